import ArgumentParser
import Foundation
import Scoring
import Service
import Storage

/// `safety-server export trl`: the retrain's data as JSONL that Hugging Face `datasets` loads, for training elsewhere
/// (tools/trl/train_grpo.py) and importing the adapter back (`POST /v1/admin/adapters`). The work is `TRLExport`.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Exports the server's data for other tools.", subcommands: [TRL.self])

    struct TRL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trl",
            abstract: "Writes what the next retrain would train and be judged on, as JSONL for Hugging Face datasets / TRL.",
            discussion: """
                Reads the server's database and model folder with the server's own configuration (--config, SAFETY_* \
                and --set, as `serve`) and selects the data exactly as the next retrain run would (the same corrections, \
                replay, anchors, held-out split and control set, the same context-length filter). Writes into --out \
                (which must not exist or be empty): train.jsonl (SFT), grpo.jsonl (GRPO prompts), held_out.jsonl and \
                control.jsonl (what the eval gate judges an adapter on), reward_corpus.json (the reasonings the reward's \
                TF-IDF is fitted on), manifest.json (counts, prompt, reward weights, gate settings) and README.md. Each \
                JSONL line: {"source", "text", "prompt", "completion", "scores", "reasoning"}, the prompt rendered as the \
                scorer renders it.
                """)

        @Option(help: "Folder to write (must not exist or be empty).") var out: String
        @Option(help: "JSON configuration file of the server (keys as in the README).") var config: String?
        @Option(help: "The server's SQLite database file.") var database: String?
        @Option(help: "The served model folder (tokenizer, config.json, scoring_prompt.json).") var model: String?
        @Option(name: .customLong("set"), help: "Any configuration key, as key=value (repeatable).") var settings: [String] = []

        func run() async throws {
            var cfg = try ServeCommand.loadConfiguration(file: config, settings: settings)
            if let model { cfg.modelPath = model }
            if let database { cfg.databasePath = database }
            guard FileManager.default.fileExists(atPath: cfg.databasePath) else {
                throw ValidationError("no database at \(cfg.databasePath); pass the server's --database")
            }
            let modelDir = URL(fileURLWithPath: cfg.modelPath)
            let modelConfig = try Qwen2Config.load(modelDir.appendingPathComponent("config.json"))
            let tokenizer = try Tokenizer.load(directory: modelDir)
            let prompt = try ScoringPrompt.load(directory: modelDir)
            let db = try Database.open(path: cfg.databasePath,
                                       migrationsDirectory: cfg.migrationsPath.isEmpty ? nil : URL(fileURLWithPath: cfg.migrationsPath))
            let manifest: TRLExport.Manifest
            do {
                manifest = try await TRLExport.write(database: db, configuration: cfg, modelConfig: modelConfig, tokenizer: tokenizer,
                                                     prompt: prompt, out: URL(fileURLWithPath: out))
            } catch {
                try? await db.close()
                throw error
            }
            try await db.close()
            logError("wrote \(out): " + manifest.files.sorted { $0.key < $1.key }.map { "\($0.value.path) \($0.value.rows)" }.joined(separator: ", "))
            try printJSON(manifest.files)
        }
    }
}
extension ServeCommand {
    /// The server's configuration as `serve` reads it: the JSON file, then SAFETY_* from the environment, then `--set`.
    static func loadConfiguration(file: String?, settings: [String]) throws -> ServiceConfiguration {
        var cfg = ServiceConfiguration()
        if let file { cfg = try ServiceConfiguration.load(file: URL(fileURLWithPath: file)) }
        try cfg.apply(environment: ProcessInfo.processInfo.environment)
        for s in settings {
            let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--set expects key=value, found \"\(s)\"") }
            try cfg.set(parts[0], parts[1])
        }
        return cfg
    }
}
