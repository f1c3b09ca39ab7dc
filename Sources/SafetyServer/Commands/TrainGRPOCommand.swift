import ArgumentParser
import Foundation
import Scoring
import Training

/// `safety-server train …`: the training tools. (If another `train` group appears, fold these subcommands into it.)
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Trains the scoring model: SFT (LoRA or full-parameter) and GRPO (LoRA).", subcommands: [TrainSFTCommand.self, TrainGRPOCommand.self])
}

struct TrainGRPOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grpo",
        abstract: "GRPO on a LoRA adapter against labelled texts; prints one JSON line of statistics per step and saves the adapter.",
        discussion: """
            --data is JSONL, one {"text": String, "scores": {the nine Chinese keys: 0…100}, "reasoning": String} per line. \
            The reward (DESIGN.md §4) compares each sampled answer with the line's scores and reasoning; the reasoning \
            similarity's IDF is fitted on the file's reasonings. --out receives adapter_config.json, \
            adapter_model.safetensors, scoring_prompt.json and grpo_run.json (settings and per-step statistics).
            """)

    @Option(help: "Model folder (config.json, model.safetensors, tokenizer files, optional scoring_prompt.json).") var model: String
    @Option(help: "Labelled JSONL file.") var data: String
    @Option(help: "Output folder for the trained adapter.") var out: String
    @Option(help: "Start from this PEFT LoRA adapter folder instead of a fresh adapter.") var adapter: String?
    @Option(help: "Rank of a fresh adapter (all seven projections).") var rank = 16
    @Option(help: "lora_alpha of a fresh adapter (default 2 × rank).") var alpha: Double?
    @Option(help: "GRPO steps.") var steps = 100
    @Option(help: "Prompts per step.") var promptsPerStep = 4
    @Option(help: "Completions per prompt (G).") var groupSize = 8
    @Option(help: "Most tokens per completion (also dr_grpo's normaliser); under the answer grammar at least \(ScoreConstraint.minimumSampledCompletion), so that a sample can reason before its answer is forced.")
    var maxCompletionLength = 512
    @Option(help: "AdamW learning rate.") var learningRate: Float = 1e-5
    @Option(help: "Clip the gradient norm to this (0 = off).") var maxGradNorm: Float = 1
    @Option(help: "KL weight β to the reference policy (adapter off); 0 = no KL term.") var beta: Double = 0
    @Option(help: "Loss aggregation: dr_grpo, grpo or dapo.") var lossType: String = GRPOLossType.drGRPO.rawValue
    @Option(help: "Advantage scaling: none (Dr. GRPO) or group (÷ std).") var scaleRewards: String = AdvantageScaling.none.rawValue
    @Option(help: "Optimisation passes per sampled batch (μ).") var iterations = 1
    @Option(help: "Sampling temperature.") var temperature: Float = 1
    @Option(help: "Rows per forward/backward pass.") var microBatch = 4
    @Flag(help: "Sample without the answer grammar (free text; the format reward then matters).") var noConstraint = false
    @Flag(help: "Leave completions cut off at --max-completion-length out of the loss.") var maskTruncated = false
    @Flag(help: "Recompute each layer's activations in backward (less memory, ≈ ⅓ more compute).") var recompute = false
    @Option(help: "JSON file with GRPO settings (keys as in GRPOConfig); command-line options above are ignored for keys it sets.")
    var config: String?
    @Option(help: "JSON file with reward weights (keys as in RewardConfig).") var rewardConfig: String?
    @Option(help: "Random seed (sampling, prompt order).") var seed: UInt64 = 0

    func grpoConfig() throws -> GRPOConfig {
        guard let lt = GRPOLossType(rawValue: lossType) else {
            throw ValidationError("--loss-type must be one of \(GRPOLossType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let scaling = AdvantageScaling(rawValue: scaleRewards) else {
            throw ValidationError("--scale-rewards must be one of \(AdvantageScaling.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var c = GRPOConfig(groupSize: groupSize, loss: GRPOLossConfig(lossType: lt, beta: beta), advantageScaling: scaling,
                           iterations: iterations, temperature: temperature, maxCompletionLength: maxCompletionLength,
                           maskTruncatedCompletions: maskTruncated, microBatchSize: microBatch, seed: seed)
        if let config {
            // Start from the command line's values; the file overrides the keys it names.
            let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config))) as? [String: Any] ?? [:]
            var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as! [String: Any]
            for (k, v) in file {
                if k == "loss", let inner = v as? [String: Any], var base = merged["loss"] as? [String: Any] {
                    for (ik, iv) in inner { base[ik] = iv }
                    merged[k] = base
                } else {
                    merged[k] = v
                }
            }
            c = try JSONDecoder().decode(GRPOConfig.self, from: JSONSerialization.data(withJSONObject: merged))
        }
        try c.validate()
        return c
    }

    @Option(help: "Precision of the large matrix products: f32, or bf16 (activations rounded to bf16, vdpbf16ps; AVX512-BF16 hosts only).")
    var matmulPrecision: MatmulPrecision = .f32

    func run() throws {
        matmulPrecision.apply()
        let cfg = try grpoConfig()
        let rewardCfg = try rewardConfig.map { try JSONDecoder().decode(RewardConfig.self, from: Data(contentsOf: URL(fileURLWithPath: $0))) }
            ?? RewardConfig()
        let examples = try ScoringExample.loadJSONL(URL(fileURLWithPath: data))
        guard promptsPerStep >= 1, steps >= 0 else { throw ValidationError("--prompts-per-step must be ≥ 1 and --steps ≥ 0") }
        guard noConstraint || cfg.maxCompletionLength >= ScoreConstraint.minimumSampledCompletion else {
            throw ValidationError("max completion length \(cfg.maxCompletionLength) is below \(ScoreConstraint.minimumSampledCompletion): the answer "
                + "grammar reserves \(ScoreConstraint.guaranteedAnswerReserve) tokens for the answer, so every sample would be forced into "
                + "its answer before any reasoning (or sample with --no-constraint)")
        }

        let modelDir = URL(fileURLWithPath: model)
        let base = try Qwen2Model.load(directory: modelDir)
        let tokenizer = try Tokenizer.load(directory: modelDir)
        let startAdapter = try adapter.map { try LoRAAdapter.load(directory: URL(fileURLWithPath: $0), model: base) }
        let prompt = try ScoringPrompt.load(directory: adapter.map { URL(fileURLWithPath: $0) } ?? modelDir)
        let lora = startAdapter ?? LoRAAdapter.fresh(
            id: "grpo", model: base,
            config: LoRAConfig(r: rank, alpha: alpha ?? Double(2 * rank), targets: Projection.allCases, baseModel: modelDir.lastPathComponent),
            seed: seed)
        let trainable = TrainableQwen2(base: base, adapter: lora)
        trainable.recomputeActivations = recompute

        let similarity = CharNGramTFIDF(corpus: examples.map(\.reference.reasoning).filter { !$0.isEmpty })
        let reward = ScoringReward(tokenizer: tokenizer, config: rewardCfg, similarity: similarity)
        let constraint: (any TokenConstraint)? = noConstraint ? nil : ScoreConstraint(
            grammar: try AnswerGrammar(tokenBytes: tokenizer.allTokenBytes, eosTokenIDs: tokenizer.eosTokenIDs,
                                       specialTokenIDs: tokenizer.specialTokenIDs),
            answerReserve: ScoreConstraint.guaranteedAnswerReserve)
        let trainer = try GRPOTrainer(model: trainable,
                                      optimizer: AdamW(config: AdamWConfig(learningRate: learningRate, weightDecay: 0)),
                                      maxGradNorm: maxGradNorm > 0 ? maxGradNorm : nil, config: cfg,
                                      stopTokens: tokenizer.eosTokenIDs, constraint: constraint,
                                      reward: { reward($0, $1) })
        let prompts = examples.map { $0.grpoPrompt(prompt: prompt, tokenizer: tokenizer) }
        logError("grpo: \(examples.count) examples, \(steps) steps × \(promptsPerStep) prompts × \(cfg.groupSize) completions, "
                 + "adapter r=\(lora.config.r), \(trainable.parameters.parameterCount) trainable parameters")

        var history: [GRPOStepStats] = []
        trainer.onStep = { s in
            history.append(s)
            try? printJSON(s)
        }
        // Epochs over a seeded shuffle of the examples.
        var rng = SplitMix64(seed: seed)
        var order: [Int] = []
        for _ in 0..<steps {
            var batch: [GRPOPrompt] = []
            while batch.count < min(promptsPerStep, prompts.count) {
                if order.isEmpty { order = Array(prompts.indices).shuffled(using: &rng) }
                batch.append(prompts[order.removeLast()])
            }
            trainer.step(batch)
        }

        let outDir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        try trainable.exportAdapter(id: outDir.lastPathComponent).save(to: outDir)
        try prompt.save(directory: outDir)
        struct RunRecord: Encodable {
            let model: String, data: String, startAdapter: String?, examples: Int, promptsPerStep: Int, learningRate: Float
            let maxGradNorm: Float, grpo: GRPOConfig, reward: RewardConfig, steps: [GRPOStepStats]
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try enc.encode(RunRecord(model: model, data: data, startAdapter: adapter, examples: examples.count, promptsPerStep: promptsPerStep,
                                 learningRate: learningRate, maxGradNorm: maxGradNorm, grpo: cfg, reward: rewardCfg, steps: history))
            .write(to: outDir.appendingPathComponent("grpo_run.json"), options: .atomic)
        logError("grpo: adapter saved to \(outDir.path)")
    }
}
