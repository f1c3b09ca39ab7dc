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
    @Option(help: "SQLite database file.") var database: String?
    @Option(name: .customLong("set"), help: "Any configuration key, as key=value (repeatable).") var settings: [String] = []

    func run() async throws {
        var cfg = ServiceConfiguration()
        if let config { cfg = try ServiceConfiguration.load(file: URL(fileURLWithPath: config)) }
        try cfg.apply(environment: ProcessInfo.processInfo.environment)
        if let host { cfg.host = host }
        if let port { cfg.port = port }
        if let model { cfg.modelPath = model }
        if let database { cfg.databasePath = database }
        for s in settings {
            let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--set expects key=value, found \"\(s)\"") }
            try cfg.set(parts[0], parts[1])
        }
        var logger = Logger(label: "safety-server")
        logger.logLevel = .info
        let service = try await SafetyService.start(configuration: cfg, logger: logger)
        if let key = try await service.bootstrapAdminKey() {
            // Printed once: only its hash is stored.
            print("No API keys existed; created a bootstrap admin key (shown once, store it now):\n  \(key)")
        }
        let (host, port) = (cfg.host, cfg.port)
        let retrain = try RetrainService(service: service)
        let app = buildApplication(service, services: [retrain], onServerRunning: { channel in
            print("safety-server listening on http://\(host):\(channel.localAddress?.port ?? port) (dashboard at /)")
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
        @Option(help: "SQLite database file.") var database = ServiceConfiguration().databasePath

        func run() async throws {
            guard let r = Role(rawValue: role) else { throw ValidationError("--role must be client, reviewer or admin") }
            let db = try Database.open(path: database)
            let created = try await db.apiKeys.create(role: r, label: label)
            try await db.auditLog.record(keyID: nil, action: "key.create", target: "\(created.key.id)",
                                         details: .object(["role": .string(role), "label": .string(label), "via": .string("cli")]))
            try await db.close()
            print(created.secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lists keys (never the keys themselves).")
        @Option(help: "SQLite database file.") var database = ServiceConfiguration().databasePath
        func run() async throws {
            let db = try Database.open(path: database)
            for k in try await db.apiKeys.list() {
                print("\(k.id)\t\(k.prefix)…\t\(k.role.rawValue)\t\(k.label)\(k.isRevoked ? "\trevoked" : "")")
            }
            try await db.close()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revokes a key by id.")
        @Argument var id: Int64
        @Option(help: "SQLite database file.") var database = ServiceConfiguration().databasePath
        func run() async throws {
            let db = try Database.open(path: database)
            _ = try await db.apiKeys.revoke(id: id)
            try await db.auditLog.record(keyID: nil, action: "key.revoke", target: "\(id)", details: .object(["via": .string("cli")]))
            try await db.close()
            print("revoked key \(id)")
        }
    }
}
