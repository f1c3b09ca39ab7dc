import Foundation
import Synchronization

/// A real PostgreSQL server of the machine's own installation (Debian's `postgresql` package), started in a temporary
/// folder on loopback for the tests and `bench storage`, and stopped when the process exits. Nothing is mocked: it is
/// the same server a deployment runs, only private and short-lived.
///
/// PostgreSQL refuses to run as root; under root (CI, the development machines) the server runs as the `postgres`
/// user that the Debian package creates, through `runuser`. Set `SAFETY_TEST_POSTGRES_URL` to use a running server
/// instead (a superuser URL: each caller gets a database of its own on it).
public final class TemporaryPostgresServer: Sendable {
    /// The superuser URL of the server's `postgres` database.
    public let url: PostgresURL
    let dataDirectory: URL?
    let binDirectory: URL?
    let asUser: String?

    private static let shared = Mutex<Task<TemporaryPostgresServer, any Error>?>(nil)
    private static let started = Mutex<[TemporaryPostgresServer]>([])

    /// The process's one server, started on first use.
    public static func shared() async throws -> TemporaryPostgresServer {
        let task = shared.withLock { task in
            if let task { return task }
            let created = Task { try await start() }
            task = created
            return created
        }
        return try await task.value
    }

    /// A new, empty database on the shared server; its URL.
    public static func makeDatabase(prefix: String = "test") async throws -> String {
        let server = try await shared()
        let name = "\(prefix)_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await PostgresAdmin.createDatabase(name, on: server.url)
        var url = server.url
        url.database = name
        return url.string
    }

    private init(url: PostgresURL, dataDirectory: URL?, binDirectory: URL?, asUser: String?) {
        self.url = url
        self.dataDirectory = dataDirectory
        self.binDirectory = binDirectory
        self.asUser = asUser
    }

    /// Starts a server of its own (or adopts `SAFETY_TEST_POSTGRES_URL`).
    public static func start(environment: [String: String] = ProcessInfo.processInfo.environment) async throws
        -> TemporaryPostgresServer
    {
        if let given = environment["SAFETY_TEST_POSTGRES_URL"], !given.isEmpty {
            return TemporaryPostgresServer(url: try PostgresURL(given), dataDirectory: nil, binDirectory: nil, asUser: nil)
        }
        let bin = try findBinaries(environment: environment)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("safety-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let asUser: String? = geteuid() == 0 ? "postgres" : nil
        if let asUser {
            guard let user = getpwnam(asUser) else {
                throw StorageError.unavailable("PostgreSQL refuses to run as root and there is no '\(asUser)' user to run it as; "
                    + "install Debian's postgresql package (it creates the user): apt-get install postgresql")
            }
            guard chown(root.path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw StorageError.unavailable("cannot hand \(root.path) to the \(asUser) user (chown failed)")
            }
        }
        let data = root.appendingPathComponent("data")
        try run(bin.appendingPathComponent("initdb"), ["-D", data.path, "-U", "safety", "--auth=trust", "-E", "UTF8", "--locale=C"],
                asUser: asUser, what: "initdb")
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = Int.random(in: 20000...60000)
            let options = "-p \(port) -k \(root.path) -c listen_addresses=127.0.0.1 -c max_connections=400"
            do {
                try run(bin.appendingPathComponent("pg_ctl"),
                        ["-D", data.path, "-l", root.appendingPathComponent("server.log").path, "-w", "-t", "60", "-o", options, "start"],
                        asUser: asUser, what: "pg_ctl start")
                let server = TemporaryPostgresServer(
                    url: try PostgresURL("postgres://safety@127.0.0.1:\(port)/postgres?sslmode=disable"),
                    dataDirectory: data, binDirectory: bin, asUser: asUser)
                registerForExit(server)
                return server
            } catch {
                lastError = error  // most likely the port was taken: try another
            }
        }
        let log = (try? String(contentsOf: root.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
        throw StorageError.unavailable("could not start PostgreSQL in \(root.path): \(lastError.map { "\($0)" } ?? "?")\n\(log.suffix(2000))")
    }

    /// Stops the server (immediately: the data is thrown away) and deletes its folder.
    public func stop() {
        guard let dataDirectory, let binDirectory else { return }
        try? Self.run(binDirectory.appendingPathComponent("pg_ctl"), ["-D", dataDirectory.path, "-m", "immediate", "-w", "stop"],
                      asUser: asUser, what: "pg_ctl stop")
        try? FileManager.default.removeItem(at: dataDirectory.deletingLastPathComponent())
    }

    private static func registerForExit(_ server: TemporaryPostgresServer) {
        let first = started.withLock { list in
            list.append(server)
            return list.count == 1
        }
        if first {
            atexit {
                for server in TemporaryPostgresServer.started.withLock({ $0 }) { server.stop() }
            }
        }
    }

    /// `SAFETY_PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin` that has `initdb` and `pg_ctl`.
    static func findBinaries(environment: [String: String]) throws -> URL {
        let fm = FileManager.default
        func usable(_ url: URL) -> Bool {
            fm.isExecutableFile(atPath: url.appendingPathComponent("initdb").path)
                && fm.isExecutableFile(atPath: url.appendingPathComponent("pg_ctl").path)
        }
        if let given = environment["SAFETY_PG_BIN"], !given.isEmpty {
            let url = URL(fileURLWithPath: given)
            guard usable(url) else { throw StorageError.unavailable("SAFETY_PG_BIN=\(given) has no initdb and pg_ctl") }
            return url
        }
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions {
            let bin = root.appendingPathComponent("\(version)/bin")
            if usable(bin) { return bin }
        }
        throw StorageError.unavailable("""
            no PostgreSQL server found (looked for initdb and pg_ctl in /usr/lib/postgresql/*/bin and $SAFETY_PG_BIN); \
            the PostgreSQL tests need a real server: apt-get install postgresql (scripts/install-deps.sh does), \
            or set SAFETY_TEST_POSTGRES_URL to a superuser URL of a running one
            """)
    }

    /// Runs a PostgreSQL tool (as `asUser` through runuser when given) and fails with its output when it fails.
    ///
    /// posix_spawn and waitpid rather than Foundation's `Process`, whose `waitUntilExit` was seen never to return for
    /// `pg_ctl start` under runuser on Linux (the child stayed a zombie). The output goes to a file, not a pipe: the
    /// server that `pg_ctl start` leaves running would hold a pipe open for ever.
    static func run(_ tool: URL, _ arguments: [String], asUser: String?, what: String) throws {
        var argv: [String]
        if let asUser {
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) }
            guard let runuser else { throw StorageError.unavailable("runuser not found: cannot start PostgreSQL as \(asUser) under root") }
            argv = [runuser, "-u", asUser, "--", tool.path] + arguments
        } else {
            argv = [tool.path] + arguments
        }
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("safety-pg-tool-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else {
            throw StorageError.unavailable("cannot run \(argv[0]) for \(what): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw StorageError.unavailable("\(what) failed (status \(status)): \(text.suffix(1500))")
        }
    }
}
