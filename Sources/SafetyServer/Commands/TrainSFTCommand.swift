import ArgumentParser
import Foundation
import Scoring
import Training

/// `safety-server train sft`: supervised fine-tuning on labelled texts. Reads the options into an `SFTJob`
/// (Sources/Training/SFT), draws the progress bar, prints the run summary as JSON on standard output.
struct TrainSFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Supervised fine-tuning (LoRA by default, or --full) on labelled texts; saves a PEFT adapter or a whole model.",
        discussion: """
            --data (and --validation) are JSONL, one {"text": String, "scores": {the nine Chinese keys: 0…100}, \
            "reasoning": String} per line. Each line becomes the scoring prompt (as the scorer builds it) and, as the \
            completion to learn, the canonical answer followed by <|im_end|>; the loss covers the completion only. \
            --out receives adapter_config.json + adapter_model.safetensors (LoRA) or config.json + model.safetensors + \
            the tokenizer files (--full), scoring_prompt.json, sft_run.json (settings and summary) and, unless --log \
            says otherwise, train_log.jsonl (one JSON object per step). Progress goes to standard error, the summary \
            to standard output.
            """)

    @Option(help: "Model folder (config.json, model.safetensors, tokenizer files, optional scoring_prompt.json).") var model: String
    @Option(help: "Labelled JSONL file.") var data: String
    @Option(help: "Output folder.") var out: String

    @Flag(help: "Train every weight instead of a LoRA adapter; --out receives a whole model.") var full = false
    @Option(help: "LoRA: continue training this PEFT adapter folder instead of a fresh adapter.") var adapter: String?
    @Option(help: "LoRA: rank of a fresh adapter.") var rank = 16
    @Option(help: "LoRA: lora_alpha of a fresh adapter (default 2 × rank).") var alpha: Double?
    @Option(help: "LoRA: projections a fresh adapter targets (comma-separated; all seven by default).")
    var targets = Projection.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Passes over the training data (ignored when --steps is given).") var epochs = 1
    @Option(help: "Optimiser steps to run (default: epochs × steps per epoch).") var steps: Int?
    @Option(help: "Samples per forward/backward pass.") var batchSize = 4
    @Option(help: "Passes accumulated per optimiser step (the step's loss is the mean over all its completion tokens).")
    var gradAccum = 1
    @Option(help: "Peak AdamW learning rate (default 1e-4 for LoRA, 1e-5 with --full).") var learningRate: Float?
    @Option(help: "AdamW weight decay.") var weightDecay: Float = 0
    @Option(help: "Linear warmup steps.") var warmup = 0
    @Option(help: "Learning-rate decay after warmup: cosine, linear or constant.") var schedule = LearningRateSchedule.Kind.cosine.rawValue
    @Option(help: "Floor of the decay as a fraction of the peak.") var minLrRatio: Float = 0
    @Option(help: "Clip the global gradient norm to this (0 = off).") var maxGradNorm: Float = 1
    @Option(help: "Cut samples longer than this many tokens (their completion is shortened).") var maxLength: Int?

    @Option(help: "Labelled JSONL file for the validation loss.") var validation: String?
    @Option(help: "Hold out this fraction of --data for validation instead (seeded).") var validationFraction: Double = 0
    @Option(help: "Compute the validation loss every N steps (always after the last).") var validateEvery: Int?
    @Option(help: "Seed of the data order, the validation split and a fresh adapter.") var seed: UInt64 = 0
    @Flag(help: "Recompute each layer's activations in backward (less memory, ≈ ⅓ more compute).") var recompute = false

    @Option(help: "Write resumable checkpoints (weights, optimiser moments, data order) into this folder.") var checkpointDir: String?
    @Option(help: "Checkpoint every N steps (and after the last).") var checkpointEvery = 100
    @Flag(help: "Continue from the checkpoint in --checkpoint-dir (with the settings it was started with).") var resume = false

    @Option(help: "JSON-lines step log (default <out>/train_log.jsonl).") var log: String?
    @Option(help: "When standard error is not a terminal, print progress every N steps.") var logEvery = 10
    @Option(help: "--full: dtype of the saved weights, f32 (default, exact) or bf16.") var saveDtype: String?

    func validate() throws {
        guard LearningRateSchedule.Kind(rawValue: schedule) != nil else {
            throw ValidationError("--schedule must be one of \(LearningRateSchedule.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard epochs > 0, batchSize > 0, gradAccum > 0, warmup >= 0, logEvery > 0, checkpointEvery > 0 else {
            throw ValidationError("--epochs, --batch-size, --grad-accum, --log-every and --checkpoint-every must be positive, --warmup ≥ 0")
        }
        if let steps, steps <= 0 { throw ValidationError("--steps must be positive") }
        if let validateEvery, validateEvery <= 0 { throw ValidationError("--validate-every must be positive") }
        if resume, checkpointDir == nil { throw ValidationError("--resume needs --checkpoint-dir") }
        if full, adapter != nil { throw ValidationError("--adapter continues a LoRA adapter; it cannot be combined with --full") }
        if validation != nil, validationFraction > 0 { throw ValidationError("give either --validation or --validation-fraction, not both") }
        if let saveDtype, !["f32", "bf16"].contains(saveDtype) { throw ValidationError("--save-dtype must be f32 or bf16") }
        _ = try projections()
    }

    func projections() throws -> [Projection] {
        try targets.split(separator: ",").map { name in
            let n = name.trimmingCharacters(in: .whitespaces)
            guard let p = Projection(rawValue: n) ?? Projection(rawValue: n + "_proj") else {
                throw ValidationError("--targets: unknown projection \"\(n)\" (expected \(Projection.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return p
        }
    }

    func job() throws -> SFTJob {
        var job = SFTJob(modelDirectory: URL(fileURLWithPath: model), dataFile: URL(fileURLWithPath: data), output: URL(fileURLWithPath: out))
        job.mode = full ? .full : .lora
        job.validationFile = validation.map { URL(fileURLWithPath: $0) }
        job.validationFraction = validationFraction
        job.adapterDirectory = adapter.map { URL(fileURLWithPath: $0) }
        job.rank = rank
        job.alpha = alpha
        job.targets = try projections()
        job.saveDType = saveDtype == "bf16" ? .bf16 : saveDtype == "f32" ? .f32 : nil

        var c = SFTConfig()
        c.batchSize = batchSize; c.gradientAccumulation = gradAccum; c.epochs = epochs; c.maxSteps = steps
        c.optimizer = AdamWConfig(learningRate: learningRate ?? (full ? 1e-5 : 1e-4), weightDecay: weightDecay)
        c.schedule = LearningRateSchedule.Kind(rawValue: schedule)!
        c.warmupSteps = warmup; c.minLearningRateRatio = minLrRatio
        c.maxGradNorm = maxGradNorm > 0 ? maxGradNorm : nil
        c.maxLength = maxLength; c.seed = seed; c.recomputeActivations = recompute
        job.settings.trainer = c
        job.settings.validateEvery = validateEvery
        job.settings.checkpointDirectory = checkpointDir.map { URL(fileURLWithPath: $0) }
        job.settings.checkpointEvery = checkpointEvery
        job.settings.resume = resume
        job.settings.logFile = log.map { URL(fileURLWithPath: $0) }
        return job
    }

    @Option(help: "Precision of the large matrix products: f32, or bf16 (activations rounded to bf16, vdpbf16ps; AVX512-BF16 hosts only).")
    var matmulPrecision: MatmulPrecision = .f32

    func run() throws {
        matmulPrecision.apply()
        let run = try job().prepare(note: { logError("sft: " + $0) })
        var bar = ProgressBar(total: run.trainer.totalSteps, every: logEvery)
        let summary = try run.run(note: { bar.note("sft: " + $0) }) { r in
            bar.update(step: r.step, of: r.totalSteps, loss: r.loss, learningRate: r.learningRate, tokens: r.tokens, validationLoss: r.validationLoss)
        }
        bar.finish()
        if log != nil { logError("sft: step log in \(run.settings.resolvedLogFile.path)") }
        logError("sft: \(summary.steps) steps in \(ProgressBar.clock(summary.seconds)); wrote \(summary.outputs.joined(separator: ", ")) to \(out)")
        try printJSON(summary, pretty: true)
    }
}
