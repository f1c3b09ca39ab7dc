import Foundation
import Scoring
import Storage
import Training

/// `safety-server export trl`: what the next retrain run would train and be judged on (`RetrainData.gather`, then
/// `RetrainPipeline.prepare`, as the run itself does), written as JSONL files that Hugging Face `datasets` loads, with
/// a manifest (counts, the scoring prompt, the reward weights, the gate's settings) and a README.
public enum TRLExport {
    /// Reads the database and the configured files, selects the data as run `max(run id) + 1` would, and writes `out`
    /// (which must not exist or be empty). Returns the manifest.
    @discardableResult
    public static func write(database db: Database, configuration cfg: ServiceConfiguration, modelConfig: Qwen2Config, tokenizer: Tokenizer,
                             prompt: ScoringPrompt, out outDir: URL) async throws -> Manifest {
        let fm = FileManager.default
        if fm.fileExists(atPath: outDir.path), !((try? fm.contentsOfDirectory(atPath: outDir.path))?.isEmpty ?? false) {
            throw ExportError.outputNotEmpty(outDir.path)
        }
        let retrain = try RetrainService.pipelineConfig(cfg)
        let nextRun = (try await db.trainingRuns.list(limit: 1, beforeID: nil).first?.id ?? 0) + 1
        let (given, maxCorrectionID) = try await RetrainData.gather(database: db, runID: nextRun, config: cfg)
        let data: RetrainTrainingData
        do {
            data = try RetrainPipeline.prepare(given, config: retrain, contextLength: modelConfig.contextLength, tokenizer: tokenizer, prompt: prompt)
        } catch RetrainError.noTrainingData {
            throw ExportError.noTrainingData(heldOut: given.heldOut.count)
        }
        let i = data.inputs
        // As the run: corrections (each with a reasoning), then the replay and the anchors (`withReasoning` too).
        let train = data.corrections.map { Row($0, source: "correction", prompt: prompt) }
            + i.replay.map { Row(RetrainPipeline.withReasoning($0), source: "replay", prompt: prompt) }
            + i.anchor.map { Row(RetrainPipeline.withReasoning($0), source: "anchor", prompt: prompt) }
        let grpo = data.corrections.map { Row($0, source: "correction", prompt: prompt) }
        // What the gate judges on (by the scores alone): the newest `eval_max_items` held-out corrections and the first
        // `control_max_items` controls; a missing reasoning is stated from the scores here too, so every completion is a
        // whole answer.
        let heldOut = i.heldOut.suffix(retrain.evalMaxItems).map { Row(RetrainPipeline.withReasoning($0), source: "held_out", prompt: prompt) }
        let control = i.control.prefix(retrain.controlMaxItems).map { Row(RetrainPipeline.withReasoning($0), source: "control", prompt: prompt) }

        try fm.createDirectory(at: outDir, withIntermediateDirectories: true)
        let files: [(String, [Row])] = [("train", train), ("grpo", grpo), ("held_out", heldOut), ("control", control)]
        for (name, rows) in files { try writeJSONL(rows, to: outDir.appendingPathComponent("\(name).jsonl")) }
        try json(data.similarityCorpus).write(to: outDir.appendingPathComponent("reward_corpus.json"), options: .atomic)
        let modelDir = URL(fileURLWithPath: cfg.modelPath).standardizedFileURL
        let manifest = Manifest(
            created_at: ISO8601DateFormatter().string(from: Date()), database: cfg.databasePath, model: modelDir.path,
            base_model_id: modelDir.lastPathComponent, prompt: prompt, end_token: SFTData.endToken,
            files: Dictionary(uniqueKeysWithValues: files.map { name, rows in
                (name, FileEntry(path: "\(name).jsonl", rows: rows.count, sources: Dictionary(grouping: rows, by: \.source).mapValues(\.count)))
            }),
            reward: retrain.reward, reward_corpus: "reward_corpus.json", anchor_targets: retrain.anchorTargets.rawValue,
            gate: retrain.gate, eval_max_items: retrain.evalMaxItems, control_max_items: retrain.controlMaxItems,
            min_held_out: retrain.minHeldOut, held_out_fraction: cfg.retrainHeldOutFraction, run_seed: nextRun,
            last_correction_id: maxCorrectionID, too_long_for_training: data.tooLongForTraining, retrain_config: retrain)
        try json(manifest).write(to: outDir.appendingPathComponent("manifest.json"), options: .atomic)
        try Data(readme(manifest).utf8).write(to: outDir.appendingPathComponent("README.md"), options: .atomic)
        return manifest
    }

    public enum ExportError: Error, CustomStringConvertible, Equatable {
        case outputNotEmpty(String)
        case noTrainingData(heldOut: Int)

        public var description: String {
            switch self {
            case .outputNotEmpty(let p): "\(p) exists and is not an empty folder; choose a new one"
            case .noTrainingData(let h):
                "there are no new corrections to train on (a retrain would fail the same way); \(h) held-out corrections exist"
            }
        }
    }

    /// One JSONL line. The keys of `scores` are the nine Chinese keys; `completion` is the canonical answer the
    /// retrain trains on (the model ends it with `end_token`).
    struct Row: Encodable {
        let source: String
        let text: String
        let prompt: String
        let completion: String
        let scores: [String: Int]
        let reasoning: String

        init(_ e: ScoringExample, source: String, prompt p: ScoringPrompt) {
            self.source = source
            text = e.text
            prompt = p.renderChatML(text: e.text)
            completion = e.reference.completion
            scores = Dictionary(uniqueKeysWithValues: Dimension.allCases.map { ($0.key, e.reference.scores[$0]) })
            reasoning = e.reference.reasoning
        }
    }

    public struct FileEntry: Encodable, Sendable { public let path: String; public let rows: Int; public let sources: [String: Int] }

    public struct Manifest: Encodable {
        var format = "safety-server export trl"
        var version = 1
        let created_at: String
        let database: String
        let model: String
        let base_model_id: String
        let prompt: ScoringPrompt
        let end_token: String
        public let files: [String: FileEntry]
        let reward: RewardConfig
        let reward_corpus: String
        let anchor_targets: String
        let gate: EvalGateConfig
        let eval_max_items: Int
        let control_max_items: Int
        let min_held_out: Int
        let held_out_fraction: Double
        let run_seed: Int64
        let last_correction_id: Int64
        let too_long_for_training: Int
        let retrain_config: RetrainConfig
    }

    static func json<T: Encodable>(_ value: T) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(value) + Data("\n".utf8)
    }

    static func writeJSONL(_ rows: [Row], to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = Data()
        for row in rows { out += try enc.encode(row); out += Data("\n".utf8) }
        try out.write(to: url, options: .atomic)
    }

    static func readme(_ m: Manifest) -> String {
        """
        # Retrain data exported for TRL

        Written by `safety-server export trl` from `\(m.database)` (model `\(m.base_model_id)`): what the next retrain run
        would train and be judged on. Counts, the scoring prompt, the reward weights and the gate's settings are in
        `manifest.json`.

        | file | rows | what |
        |---|---|---|
        | `train.jsonl` | \(m.files["train"]?.rows ?? 0) | SFT: the new corrections, the replay of older labels and look-alikes, and the anchors (`source`) |
        | `grpo.jsonl` | \(m.files["grpo"]?.rows ?? 0) | GRPO prompts: the new corrections with their references |
        | `held_out.jsonl` | \(m.files["held_out"]?.rows ?? 0) | the gate's held-out corrections (never train on these) |
        | `control.jsonl` | \(m.files["control"]?.rows ?? 0) | the gate's control texts (never train on these) |
        | `reward_corpus.json` | | the reference reasonings the reward's TF-IDF similarity is fitted on |

        Each line: `prompt` (the scorer's ChatML input, ending where the answer begins), `completion` (the reference
        answer `<reasoning>…</reasoning>\\n<answer>{…}</answer>`; the model ends it with `\(m.end_token)`), `scores` (the
        nine reference scores, Chinese keys), `reasoning`, `text`, `source`.

            from datasets import load_dataset
            ds = load_dataset("json", data_files={"train": "train.jsonl", "grpo": "grpo.jsonl",
                                                  "held_out": "held_out.jsonl", "control": "control.jsonl"})

        Anchors: the server trains them on the active model's own answers when `anchor_targets` is `model` (here:
        `\(m.anchor_targets)`); this export carries their corpus labels. Train with `tools/trl/train_grpo.py`, then
        import the adapter folder with `POST /v1/admin/adapters`; the server's gate evaluates it on the held-out and
        control sets above before it may serve.

        """
    }
}
