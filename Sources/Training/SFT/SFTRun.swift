import Foundation
import Scoring

/// Errors of an SFT run (`safety-server train sft`); each says what was wrong and how to fix it.
public enum SFTRunError: Error, CustomStringConvertible, Equatable {
    case missingFile(what: String, path: String)
    case noTrainingSamples
    case adapterDoesNotFit(directory: String, model: String, reason: String)
    case missingEndToken(token: String, tokenizer: String)
    case tokenOutOfVocabulary(sample: Int, token: Int, vocabularySize: Int)
    case emptyCompletion(sample: Int)
    case badValidationFraction(Double)
    case nothingLeftToTrain(samples: Int, validation: Int)
    case noCheckpoint(directory: String)
    case incompatibleOptions(String)

    public var description: String {
        switch self {
        case let .missingFile(what, p): "\(what) \(p) does not exist"
        case .noTrainingSamples: "there are no training samples"
        case let .adapterDoesNotFit(d, m, r): "the adapter in \(d) does not fit the model in \(m): \(r)"
        case let .missingEndToken(t, tok): "the tokenizer in \(tok) has no \(t) token to end each completion with (expected a Qwen2 ChatML tokenizer)"
        case let .tokenOutOfVocabulary(s, t, v):
            "sample \(s) holds token id \(t) but the model's vocabulary has \(v) entries; tokenizer and model do not belong together"
        case let .emptyCompletion(s): "sample \(s) has an empty completion: there is nothing to learn from it"
        case let .badValidationFraction(f): "--validation-fraction must be in [0, 1), found \(f)"
        case let .nothingLeftToTrain(n, v): "holding out \(v) of \(n) samples for validation leaves none to train on; lower --validation-fraction"
        case let .noCheckpoint(d): "--resume: no checkpoint in \(d) (a run with --checkpoint-dir \(d) writes one; start without --resume)"
        case let .incompatibleOptions(r): r
        }
    }
}

/// How an SFT run trains, validates, checkpoints and what it writes.
public struct SFTRunSettings: Sendable {
    /// The trainer's settings (batching, schedule, optimiser, seed, recomputation).
    public var trainer = SFTConfig()
    /// Validate every this many steps (and always after the last step when there is a validation set).
    public var validateEvery: Int?
    /// Resumable checkpoints go here (`latest/`, swapped in whole), every `checkpointEvery` steps and at the end.
    public var checkpointDirectory: URL?
    public var checkpointEvery: Int?
    /// Continue from the checkpoint in `checkpointDirectory`: weights, moments, step, data order and settings.
    public var resume = false
    /// The trained adapter (LoRA) or model (full), `scoring_prompt.json` and `sft_run.json`.
    public var output: URL
    /// One JSON line per step (default `<output>/train_log.jsonl`).
    public var logFile: URL?
    /// Written beside the result, so it is served with the prompt it was trained on.
    public var prompt: ScoringPrompt = .default
    /// Full mode: the saved weights' dtype, and the files copied beside them (tokenizer, generation config).
    public var fullModelDType: DType = .f32
    public var filesToCopy: [URL] = []
    /// Where the run's inputs came from (model, data, adapter), recorded in `sft_run.json`.
    public var sources: [String: String] = [:]

    public init(output: URL) { self.output = output }

    public var resolvedLogFile: URL { logFile ?? output.appendingPathComponent("train_log.jsonl") }
}

/// What a finished run did (also written to `<output>/sft_run.json`).
public struct SFTRunSummary: Codable, Sendable, Equatable {
    public var mode: TrainableQwen2.Mode
    public var sources: [String: String]
    public var config: SFTConfig
    public var trainSamples: Int
    public var validationSamples: Int
    public var trainableParameters: Int
    /// The step a resumed run started from (nil: a fresh run).
    public var resumedFromStep: Int?
    public var steps: Int
    public var firstLoss: Float?
    public var lastLoss: Float?
    public var initialValidationLoss: Float?
    public var finalValidationLoss: Float?
    public var tokens: Int
    public var seconds: Double
    /// Files written into the output folder.
    public var outputs: [String]
}

/// One SFT run over tokenised samples: drives `SFTTrainer`, logs every step as JSON, checkpoints, and writes the PEFT
/// adapter (LoRA) or a whole model (full) with the scoring prompt. The command line (`train sft`) and tests call this.
public final class SFTRun {
    public let trainer: SFTTrainer
    public let settings: SFTRunSettings

    public init(model: TrainableQwen2, train: [SFTSample], validation: [SFTSample], settings: SFTRunSettings) throws(SFTRunError) {
        guard !train.isEmpty else { throw .noTrainingSamples }
        let V = model.config.vocabSize
        for (i, s) in (train + validation).enumerated() {
            guard !s.completion.isEmpty else { throw .emptyCompletion(sample: i) }
            if let bad = (s.prompt + s.completion).first(where: { $0 < 0 || $0 >= V }) {
                throw .tokenOutOfVocabulary(sample: i, token: bad, vocabularySize: V)
            }
        }
        let c = settings.trainer
        guard c.batchSize > 0, c.gradientAccumulation > 0, c.epochs > 0 || (c.maxSteps ?? 0) > 0 else {
            throw .incompatibleOptions("batch size, gradient accumulation and epochs (or steps) must be positive")
        }
        if settings.resume, settings.checkpointDirectory == nil { throw .incompatibleOptions("--resume needs --checkpoint-dir") }
        trainer = SFTTrainer(model: model, train: train, validation: validation, config: settings.trainer)
        self.settings = settings
    }

    /// Trains to the end, calling `onStep` after every step (and its JSON log line); throwing from it stops the run
    /// before that step's checkpoint and writes nothing more (an interruption: resume from the last checkpoint).
    /// `note` receives one-line messages (resuming, settings kept from the checkpoint). Writes the outputs and returns
    /// the summary.
    @discardableResult
    public func run(note: (String) -> Void = { _ in }, onStep: (SFTStepReport) throws -> Void = { _ in }) throws -> SFTRunSummary {
        let fm = FileManager.default
        try fm.createDirectory(at: settings.output, withIntermediateDirectories: true)
        var resumedFrom: Int?
        if settings.resume, let dir = settings.checkpointDirectory {
            guard let slot = Self.latestCheckpoint(in: dir) else { throw SFTRunError.noCheckpoint(directory: dir.path) }
            try trainer.loadCheckpoint(from: slot)
            resumedFrom = trainer.state.step
            note("resumed from \(slot.path) at step \(trainer.state.step) of \(trainer.totalSteps)")
            for d in Self.differences(given: settings.trainer, checkpoint: trainer.config) {
                note("the checkpoint's \(d) is kept (a resumed run continues with the settings it started with)")
            }
        }
        note("\(trainer.totalSteps - trainer.state.step) steps to run of \(trainer.totalSteps), \(trainer.samplesPerStep) samples each "
             + "(\(trainer.stepsPerEpoch) per epoch)")
        let log = try StepLog(url: settings.resolvedLogFile, keepingStepsUpTo: resumedFrom)
        defer { log.close() }

        let t0 = SFTTrainer.now()
        let initialValidation = resumedFrom == nil ? trainer.validationLoss() : nil
        if let v = initialValidation { note(String(format: "validation loss before training: %.4f", v)) }
        var reports: [SFTStepReport] = []
        try trainer.run(validateEvery: settings.validateEvery) { r in
            reports.append(r)
            try log.append(r)
            try onStep(r)
            if let dir = settings.checkpointDirectory, let every = settings.checkpointEvery, every > 0, r.step % every == 0,
               r.step < trainer.totalSteps {
                try saveCheckpoint(in: dir)
            }
        }
        if let dir = settings.checkpointDirectory { try saveCheckpoint(in: dir) }
        var outputs = try writeOutputs()
        if log.url.standardizedFileURL.path == settings.output.appendingPathComponent(log.url.lastPathComponent).standardizedFileURL.path {
            outputs.append(log.url.lastPathComponent)
        }
        let summary = SFTRunSummary(
            mode: trainer.model.mode, sources: settings.sources, config: trainer.config, trainSamples: trainer.train.count, validationSamples: trainer.validation.count,
            trainableParameters: trainer.model.parameters.parameterCount, resumedFromStep: resumedFrom, steps: reports.count,
            firstLoss: reports.first?.loss, lastLoss: reports.last?.loss, initialValidationLoss: initialValidation,
            finalValidationLoss: reports.last(where: { $0.validationLoss != nil })?.validationLoss,
            tokens: reports.reduce(0) { $0 + $1.tokens }, seconds: SFTTrainer.now() - t0, outputs: outputs + ["sft_run.json"])
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try enc.encode(summary).write(to: settings.output.appendingPathComponent("sft_run.json"), options: .atomic)
        return summary
    }

    /// LoRA: `adapter_config.json` + `adapter_model.safetensors` (PEFT). Full: `config.json` + `model.safetensors` and the
    /// copied tokenizer files. Both: `scoring_prompt.json`.
    func writeOutputs() throws -> [String] {
        let out = settings.output
        var written: [String]
        switch trainer.model.mode {
        case .lora:
            try trainer.model.exportAdapter(id: out.lastPathComponent).save(to: out)
            written = ["adapter_config.json", "adapter_model.safetensors"]
        case .full:
            try trainer.model.exportModel().save(directory: out, dtype: settings.fullModelDType)
            written = ["config.json", "model.safetensors"]
            let fm = FileManager.default
            for src in settings.filesToCopy where fm.fileExists(atPath: src.path) {
                let dst = out.appendingPathComponent(src.lastPathComponent)
                if fm.fileExists(atPath: dst.path) { try fm.removeItem(at: dst) }
                try fm.copyItem(at: src, to: dst)
                written.append(src.lastPathComponent)
            }
        }
        try settings.prompt.save(directory: out)
        return written + [ScoringPrompt.fileName]
    }

    // MARK: Checkpoints

    static let checkpointSlot = "latest"

    /// Writes the checkpoint beside the previous one and swaps it in by renaming folders, so a crash at any moment leaves
    /// one complete checkpoint (`latest`, or `latest.old` between the two renames).
    func saveCheckpoint(in directory: URL) throws {
        let fm = FileManager.default
        let slot = directory.appendingPathComponent(Self.checkpointSlot)
        let partial = directory.appendingPathComponent(Self.checkpointSlot + ".partial")
        let old = directory.appendingPathComponent(Self.checkpointSlot + ".old")
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        if fm.fileExists(atPath: partial.path) { try fm.removeItem(at: partial) }
        try trainer.saveCheckpoint(to: partial)
        if fm.fileExists(atPath: slot.path) {
            if fm.fileExists(atPath: old.path) { try fm.removeItem(at: old) }
            try fm.moveItem(at: slot, to: old)
        }
        try fm.moveItem(at: partial, to: slot)
        if fm.fileExists(atPath: old.path) { try fm.removeItem(at: old) }
    }

    /// The newest complete checkpoint under `directory`: `latest/`, else `latest.old/` (a crash between the renames),
    /// else the folder itself when `SFTTrainer.saveCheckpoint` wrote straight into it.
    public static func latestCheckpoint(in directory: URL) -> URL? {
        let candidates = [directory.appendingPathComponent(checkpointSlot), directory.appendingPathComponent(checkpointSlot + ".old"), directory]
        return candidates.first { dir in
            [TrainingCheckpoint.tensorsFile, TrainingCheckpoint.stateFile].allSatisfy {
                FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path)
            }
        }
    }

    /// Settings that differ between the command line and a checkpoint, as "key (checkpoint X, given Y)".
    static func differences(given: SFTConfig, checkpoint: SFTConfig) -> [String] {
        func flat(_ c: SFTConfig) -> [String: String] {
            let data = (try? JSONEncoder().encode(c)) ?? Data()
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            var out: [String: String] = [:]
            for (k, v) in object {
                if let inner = v as? [String: Any] { for (ik, iv) in inner { out[k + "." + ik] = "\(iv)" } } else { out[k] = "\(v)" }
            }
            return out
        }
        let a = flat(given), b = flat(checkpoint)
        return Set(a.keys).union(b.keys).sorted().compactMap { k in
            a[k] == b[k] ? nil : "\(k) (checkpoint \(b[k] ?? "unset"), given \(a[k] ?? "unset"))"
        }
    }
}

/// The JSON-lines step log. A resumed run keeps the lines up to its checkpoint's step and drops any written after it
/// (those steps are run again), so the log always describes one consistent run.
final class StepLog {
    let url: URL
    private let handle: FileHandle
    private let encoder: JSONEncoder

    init(url: URL, keepingStepsUpTo resumedStep: Int?) throws {
        self.url = url
        let fm = FileManager.default
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var kept = Data()
        if let resumedStep, let old = fm.contents(atPath: url.path) {
            struct Step: Decodable { let step: Int }
            for line in old.split(separator: UInt8(ascii: "\n")) {
                if let s = try? JSONDecoder().decode(Step.self, from: Data(line)), s.step <= resumedStep { kept += line + [UInt8(ascii: "\n")] }
            }
        }
        try kept.write(to: url, options: .atomic)
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    func append(_ report: SFTStepReport) throws {
        try handle.write(contentsOf: encoder.encode(report) + [UInt8(ascii: "\n")])
    }

    func close() { try? handle.close() }
}
