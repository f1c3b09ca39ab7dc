import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Service
import Storage

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Runs the scoring service: HTTP API, dashboard and metrics.")

    @Option(help: "JSON configuration file (keys as in the README); environment SAFETY_* and these flags override it.")
    var config: String?
    @Option(help: "Address to listen on.") var host: String?
    @Option(help: "Port to listen on.") var port: Int?
    @Option(help: "Model folder.") var model: String?
    @Option(help: "SQLite database file, or postgres://USER@HOST:PORT/DB for PostgreSQL (replicas).") var database: String?
    @Option(name: .customLong("set"), help: "Any configuration key, as key=value (repeatable).") var settings: [String] = []
    @Option(help: ArgumentHelp(
        "On first start (no keys yet), also write the generated admin key to this new file (mode 0600); it must not exist.",
        valueName: "path"))
    var bootstrapKeyFile: String?

    func run() async throws {
        var cfg = try Self.loadConfiguration(file: config, settings: [])
        if let host { cfg.host = host }
        if let port { cfg.port = port }
        if let model { cfg.modelPath = model }
        if let database { cfg.setDatabase(database) }
        for s in settings {
            let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--set expects key=value, found \"\(s)\"") }
            try cfg.set(parts[0], parts[1])
        }
        var logger = Logger(label: "safety-server")
        logger.logLevel = .info
        let service = try await SafetyService.start(configuration: cfg, logger: logger)
        // The file is created (exclusively, 0600) before the key exists, so a key is never made that cannot be delivered.
        var keyFile: KeyFile?
        if let bootstrapKeyFile, try await service.needsBootstrapKey {
            do { keyFile = try KeyFile(creatingNew: bootstrapKeyFile) } catch {
                await service.shutdown()
                throw error
            }
        }
        if let key = try await service.bootstrapAdminKey() {
            // Shown once: only its hash is stored. Written to standard output (flushed at once, so a log file or a
            // process manager gets it) and to standard error, and to --bootstrap-key-file when given.
            let message = "No API keys existed; created a bootstrap admin key (shown once, store it now):\n  \(key)\n"
            FileHandle.standardOutput.write(Data(message.utf8))
            FileHandle.standardError.write(Data(message.utf8))
            if let keyFile {
                do {
                    try keyFile.write(key + "\n")
                    FileHandle.standardError.write(Data("bootstrap admin key written to \(keyFile.path) (mode 0600)\n".utf8))
                } catch {
                    FileHandle.standardError.write(Data("could not write the bootstrap key to \(keyFile.path): \(error)\n".utf8))
                }
            }
        }
        keyFile?.close()
        let (host, port) = (cfg.host, cfg.port)
        let retrain = try RetrainService(service: service)
        let app = buildApplication(service, services: [retrain, AdapterSyncService(service: service)], onServerRunning: { channel in
            let line = "safety-server listening on http://\(host):\(channel.localAddress?.port ?? port) (dashboard at /)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        })
        try await app.runService()
        await service.shutdown()
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manages API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Creates a key and prints it once.")
        @Option(help: "client, reviewer or admin.") var role: String
        @Option(help: "A label to recognise the key by.") var label: String
        @Option(help: "SQLite database file, or a postgres:// URL.") var database = ServiceConfiguration().databasePath

        func run() async throws {
            guard let r = Role(rawValue: role) else { throw ValidationError("--role must be client, reviewer or admin") }
            let db = try await Database.open(location: database)
            let created = try await db.apiKeys.create(role: r, label: label)
            try await db.auditLog.record(keyID: nil, action: "key.create", target: "\(created.key.id)",
                                         details: .object(["role": .string(role), "label": .string(label), "via": .string("cli")]))
            try await db.close()
            print(created.secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lists keys (never the keys themselves).")
        @Option(help: "SQLite database file, or a postgres:// URL.") var database = ServiceConfiguration().databasePath
        func run() async throws {
            let db = try await Database.open(location: database)
            for k in try await db.apiKeys.list() {
                print("\(k.id)\t\(k.prefix)…\t\(k.role.rawValue)\t\(k.label)\(k.isRevoked ? "\trevoked" : "")")
            }
            try await db.close()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revokes a key by id.")
        @Argument var id: Int64
        @Option(help: "SQLite database file, or a postgres:// URL.") var database = ServiceConfiguration().databasePath
        func run() async throws {
            let db = try await Database.open(location: database)
            _ = try await db.apiKeys.revoke(id: id)
            try await db.auditLog.record(keyID: nil, action: "key.revoke", target: "\(id)", details: .object(["via": .string("cli")]))
            try await db.close()
            print("revoked key \(id)")
        }
    }
}

/// A file made for one secret: created exclusively with mode 0600 (never over an existing file), written and synced.
final class KeyFile {
    let path: String
    private var fd: Int32

    init(creatingNew path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw ValidationError("--bootstrap-key-file \(path): cannot create it (\(reason)); it must be a new file in a writable folder")
        }
    }

    func write(_ text: String) throws {
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw ValidationError("write failed: \(String(cString: strerror(errno)))") }
            written += n
        }
        guard fsync(fd) == 0 else { throw ValidationError("fsync failed: \(String(cString: strerror(errno)))") }
    }

    func close() {
        if fd >= 0 { _ = Foundation.close(fd); fd = -1 }
    }

    deinit { close() }
}
