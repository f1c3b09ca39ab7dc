import Foundation
import Scoring

/// Labelled scoring examples as SFT samples.
public enum SFTData {
    /// The chat template's end-of-turn token, which ends every completion (so the model learns to stop).
    public static let endToken = "<|im_end|>"

    /// Each example's scoring prompt (prefix and suffix tokenised separately, as the scorer does) and, as the completion,
    /// its canonical answer `ScoringPrompt.completion(reasoning:scores:)` followed by `<|im_end|>`.
    public static func samples(_ examples: [ScoringExample], prompt: ScoringPrompt, tokenizer: Tokenizer,
                               tokenizerPath: String = "the tokenizer") throws(SFTRunError) -> [SFTSample] {
        guard let end = tokenizer.tokenID(endToken) else { throw .missingEndToken(token: endToken, tokenizer: tokenizerPath) }
        return examples.enumerated().map { i, e in
            SFTExample(item: i, text: e.text, completion: ScoringPrompt.completion(reasoning: e.reference.reasoning, scores: e.reference.scores),
                       source: .human, reward: nil)
                .sftSample(prompt: prompt, tokenizer: tokenizer, endToken: end)
        }
    }

    /// Holds out round(fraction × n) items (at least one when fraction > 0) chosen by a seeded shuffle; both parts keep
    /// the input order.
    public static func split<T>(_ items: [T], validationFraction fraction: Double, seed: UInt64) throws(SFTRunError) -> (train: [T], validation: [T]) {
        guard fraction >= 0, fraction < 1 else { throw .badValidationFraction(fraction) }
        guard fraction > 0 else { return (items, []) }
        let held = max(1, Int((fraction * Double(items.count)).rounded()))
        guard held < items.count else { throw .nothingLeftToTrain(samples: items.count, validation: held) }
        var rng = SplitMix64(seed: seed ^ 0x5346_545F_5641_4C00) // "SFT_VAL": not the trainer's own data-order stream
        var order = Array(items.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let validation = Set(order.prefix(held))
        return (items.indices.filter { !validation.contains($0) }.map { items[$0] }, items.indices.filter(validation.contains).map { items[$0] })
    }
}

/// An SFT run from files: a model folder (config.json, weights, tokenizer, optional scoring_prompt.json), labelled JSONL
/// (`{"text", "scores": {nine Chinese keys: int}, "reasoning"}` per line), optionally a PEFT adapter to start from.
/// `prepare` loads and checks everything before any training starts; `SFTRun.run` trains and writes.
public struct SFTJob: Sendable {
    public var modelDirectory: URL
    public var dataFile: URL
    public var validationFile: URL?
    public var validationFraction: Double = 0
    public var mode: TrainableQwen2.Mode = .lora
    /// LoRA: continue training this adapter instead of a fresh one (its scoring_prompt.json, if any, is used).
    public var adapterDirectory: URL?
    /// A fresh adapter's rank, lora_alpha (default 2 × rank) and target projections.
    public var rank = 16
    public var alpha: Double?
    public var targets: [Projection] = Projection.allCases
    /// Full mode: dtype of the saved model. F32 by default: the master weights exactly (a small learning rate's
    /// updates are mostly below BF16's resolution); the server can still serve them as BF16 (`weight_format`).
    public var saveDType: DType?
    public var settings: SFTRunSettings

    /// Files copied beside a fully trained model so that the folder serves on its own.
    public static let modelSideFiles = ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "added_tokens.json",
                                        "special_tokens_map.json", "generation_config.json"]

    public init(modelDirectory: URL, dataFile: URL, output: URL) {
        self.modelDirectory = modelDirectory
        self.dataFile = dataFile
        settings = SFTRunSettings(output: output)
    }

    /// Loads the model, tokenizer, prompt, data and adapter, and builds the run. Every input problem surfaces here.
    public func prepare(note: (String) -> Void = { _ in }) throws -> SFTRun {
        let fm = FileManager.default
        func require(_ url: URL, _ what: String) throws(SFTRunError) {
            guard fm.fileExists(atPath: url.path) else { throw .missingFile(what: what, path: url.path) }
        }
        try require(modelDirectory.appendingPathComponent("config.json"), "model config")
        try require(dataFile, "training data")
        if let validationFile { try require(validationFile, "validation data") }
        if let adapterDirectory { try require(adapterDirectory.appendingPathComponent("adapter_config.json"), "adapter config") }
        if mode == .full, adapterDirectory != nil {
            throw SFTRunError.incompatibleOptions("--adapter starts a LoRA run; full-parameter training (--full) starts from the model itself")
        }
        if settings.resume {
            guard let dir = settings.checkpointDirectory else { throw SFTRunError.incompatibleOptions("--resume needs --checkpoint-dir") }
            guard SFTRun.latestCheckpoint(in: dir) != nil else { throw SFTRunError.noCheckpoint(directory: dir.path) }
        }
        if validationFile != nil, validationFraction > 0 {
            throw SFTRunError.incompatibleOptions("give either --validation FILE or --validation-fraction, not both")
        }

        let examples = try ScoringExample.loadJSONL(dataFile)
        let (trainExamples, heldOut) = try SFTData.split(examples, validationFraction: validationFraction, seed: settings.trainer.seed)
        var validationExamples = heldOut
        if let validationFile { validationExamples = try ScoringExample.loadJSONL(validationFile) }

        // The model and adapter before the tokenizer and data: a mismatch between them is the likelier mistake.
        let base = try Qwen2Model.load(directory: modelDirectory)
        let model: TrainableQwen2
        var settings = settings
        switch mode {
        case .full:
            model = TrainableQwen2(copying: base)
            settings.fullModelDType = saveDType ?? .f32
            settings.filesToCopy = Self.modelSideFiles.map { modelDirectory.appendingPathComponent($0) }
        case .lora:
            let adapter: LoRAAdapter
            if let adapterDirectory {
                do { adapter = try LoRAAdapter.load(directory: adapterDirectory, model: base) } catch let e as AdapterError {
                    throw SFTRunError.adapterDoesNotFit(directory: adapterDirectory.path, model: modelDirectory.path, reason: e.description)
                }
            } else {
                guard rank > 0 else { throw SFTRunError.incompatibleOptions("--rank must be positive, found \(rank)") }
                guard !targets.isEmpty else { throw SFTRunError.incompatibleOptions("--targets names no projection") }
                let config = LoRAConfig(r: rank, alpha: alpha ?? Double(2 * rank), targets: targets, baseModel: modelDirectory.lastPathComponent)
                adapter = LoRAAdapter.fresh(id: settings.output.lastPathComponent, model: base, config: config, seed: settings.trainer.seed)
            }
            model = TrainableQwen2(base: base, adapter: adapter)
        }

        let tokenizer = try Tokenizer.load(directory: modelDirectory)
        let promptDirectory = adapterDirectory.flatMap {
            fm.fileExists(atPath: $0.appendingPathComponent(ScoringPrompt.fileName).path) ? $0 : nil
        } ?? modelDirectory
        let prompt = try ScoringPrompt.load(directory: promptDirectory)
        settings.prompt = prompt
        // Recorded relative to the working directory when inside it, so a run's record names no machine's paths.
        func recorded(_ url: URL) -> String {
            let path = url.standardizedFileURL.path
            let here = URL(fileURLWithPath: fm.currentDirectoryPath).standardizedFileURL.path + "/"
            return path.hasPrefix(here) ? String(path.dropFirst(here.count)) : path
        }
        settings.sources = ["model": recorded(modelDirectory), "data": recorded(dataFile)]
        settings.sources["validation"] = validationFile.map(recorded)
        settings.sources["adapter"] = adapterDirectory.map(recorded)
        let train = try SFTData.samples(trainExamples, prompt: prompt, tokenizer: tokenizer, tokenizerPath: modelDirectory.path)
        let validation = try SFTData.samples(validationExamples, prompt: prompt, tokenizer: tokenizer, tokenizerPath: modelDirectory.path)
        note("\(train.count) training and \(validation.count) validation samples, \(mode == .lora ? "LoRA" : "full-parameter"), "
             + "\(model.parameters.parameterCount) trainable parameters")
        return try SFTRun(model: model, train: train, validation: validation, settings: settings)
    }
}
