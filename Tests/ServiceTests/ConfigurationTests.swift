import Foundation
import Scoring
@testable import Service
import Testing

@Test func everyConfigurationKeyIsReadFromJSONEnvironmentAndSet() throws {
    let names = ServiceConfiguration.keys.map(\.name)
    #expect(Set(names).count == names.count, "no key is listed twice")

    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("safety.json")
    try #"{"port": 9001, "weight_format": "bf16", "rate_limit_burst": 7.5, "bootstrap_admin_key": "cs_x", "model_path": "m"}"#
        .write(to: file, atomically: true, encoding: .utf8)
    var configuration = try ServiceConfiguration.load(file: file)
    #expect(configuration.port == 9001 && configuration.weightFormat == .bf16 && configuration.rateLimitBurst == 7.5)
    #expect(configuration.bootstrapAdminKey == "cs_x" && configuration.modelPath == "m")
    #expect(configuration.host == ServiceConfiguration().host, "absent keys keep their defaults")

    try configuration.apply(environment: ["SAFETY_PORT": "9002", "SAFETY_WEIGHT_FORMAT": "f32",
                                          "SAFETY_RETRAIN_HELD_OUT_FRACTION": "0.3", "PORT": "1"])
    #expect(configuration.port == 9002 && configuration.weightFormat == .f32 && configuration.retrainHeldOutFraction == 0.3)
    try configuration.set("weight_format", "stored")
    try configuration.set("retrain_schedule", "off")
    #expect(configuration.weightFormat == .asStored && configuration.retrainSchedule == "off")
    #expect(configuration.matmulPrecision == .f32)
    try configuration.set("matmul_precision", "bf16")
    #expect(configuration.matmulPrecision == .bf16)
    #expect(throws: ConfigurationError.self) { try configuration.set("matmul_precision", "fp8") }
    #expect(try !configuration.verdictPolicy().personalDataBlockNeedsEvidence)
    try configuration.set("verdict_personal_data_needs_evidence", "true")
    #expect(try configuration.verdictPolicy().personalDataBlockNeedsEvidence)
    try configuration.set("verdict_thresholds", #"{"block_below": 40}"#)
    #expect(try configuration.verdictPolicy().personalDataBlockNeedsEvidence, "per-dimension thresholds keep the option")
    try configuration.validate()
}

@Test func configurationDefaultsAreUnchanged() {
    let d = ServiceConfiguration()
    #expect(d.host == "127.0.0.1" && d.port == 8080 && d.modelPath == "models/default" && d.weightFormat == .asStored)
    #expect(d.databasePath == "var/safety.sqlite" && d.maxBodyBytes == 1 << 20 && d.maxTextCharacters == 20_000)
    #expect(d.windowTokens == 160 && d.windowOverlapTokens == 48 && d.bootstrapAdminKey == nil)
    #expect(d.retrainSchedule == "0 3 * * *" && d.retrainHeldOutFraction == 0.2 && d.retrainMaxYieldSeconds == 2.0)
}

@Test func badConfigurationValuesAndUnknownKeysAreErrors() throws {
    var configuration = ServiceConfiguration()
    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }
    #expect(message { try configuration.set("port", "eighty") } == "port must be an integer, found \"eighty\"")
    #expect(message { try configuration.set("rate_limit_burst", "x") } == "rate_limit_burst must be a number, found \"x\"")
    #expect(message { try configuration.set("weight_format", "f16") } == "weight_format must be stored, f32, bf16 or q8, found \"f16\"")
    #expect(message { try configuration.set("prot", "1") } == "unknown configuration key \"prot\"")

    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let typo = folder.appendingPathComponent("typo.json")
    try #"{"prot": 1}"#.write(to: typo, atomically: true, encoding: .utf8)
    #expect(message { _ = try ServiceConfiguration.load(file: typo) }.contains("unknown key \"prot\"; known keys: adapter_sync_seconds, adapters_path"))
    let format = folder.appendingPathComponent("format.json")
    try #"{"weight_format": "f16"}"#.write(to: format, atomically: true, encoding: .utf8)
    #expect(message { _ = try ServiceConfiguration.load(file: format) }.contains("weight_format must be stored, f32, bf16 or q8"))
    let type = folder.appendingPathComponent("type.json")
    try #"{"port": "8080"}"#.write(to: type, atomically: true, encoding: .utf8)
    #expect(throws: ConfigurationError.self) { try ServiceConfiguration.load(file: type) }
}

/// `--database` takes a SQLite path or a PostgreSQL URL; a malformed URL is refused before anything starts, and an
/// unreachable server stops start-up with a clear error, never a crash.
@Test func theDatabaseIsAPathOrAPostgresURLAndABadOneIsAClearError() async throws {
    var configuration = ServiceConfiguration()
    configuration.setDatabase("postgres://safety@db.internal:5432/scoring")
    #expect(configuration.databaseURL == "postgres://safety@db.internal:5432/scoring")
    #expect(configuration.databaseLocation == configuration.databaseURL)
    configuration.setDatabase("var/other.sqlite")
    #expect(configuration.databaseURL.isEmpty && configuration.databaseLocation == "var/other.sqlite")
    try configuration.set("database_url", "postgres://safety@db.internal/scoring")
    try configuration.validate()

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }
    try configuration.set("database_url", "postgres://db.internal/scoring")
    #expect(message { try configuration.validate() }.contains("database_url: invalid database URL: no user"))
    try configuration.set("database_url", "postgres://u@h:5432/")
    #expect(message { try configuration.validate() }.contains("no database name after the host"))

    // Nothing listens on port 9: start-up fails at once, naming the server (and not its password).
    var unreachable = ServiceConfiguration()
    unreachable.modelPath = ServicePaths.packageRoot.appendingPathComponent("models/default").path
    unreachable.migrationsPath = ServicePaths.migrations.path
    unreachable.databaseURL = "postgres://safety:secret@127.0.0.1:9/scoring?sslmode=disable"
    do {
        _ = try await SafetyService.start(configuration: unreachable)
        Issue.record("start-up must fail when the database cannot be reached")
    } catch {
        #expect("\(error)".contains("database unavailable: cannot open postgres://safety:***@127.0.0.1:9/scoring"), "\(error)")
        #expect(!"\(error)".contains("secret"))
    }
}
