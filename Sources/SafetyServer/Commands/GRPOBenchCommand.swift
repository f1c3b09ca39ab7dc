import ArgumentParser
import Foundation
import Scoring
import Training

/// One GRPO step at Qwen2.5-0.5B-Instruct's configuration with random BF16 weights: G samples of one scoring prompt
/// (shared prefill, batched decode, answer grammar), rewards, then forward + backward + AdamW on a LoRA adapter.
struct GRPOBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grpo",
        abstract: "One GRPO step (G samples + LoRA update) at Qwen2.5-0.5B-Instruct's configuration with random BF16 weights.")

    @Option(help: "Completions per prompt (G).") var groupSize = 8
    @Option(help: "Most tokens per completion.") var maxCompletionLength = 384
    @Option(help: "LoRA rank (on q,k,v,o,gate,up,down).") var rank = 16
    @Option(help: "Rows per forward/backward pass.") var microBatch = 4
    @Option(help: "Tokenizer folder.") var tokenizer = "data/qwen2-tokenizer"
    @Option(help: "Precision of the large matrix products: f32, or bf16 (activations rounded to bf16, vdpbf16ps; AVX512-BF16 hosts only).")
    var matmulPrecision: MatmulPrecision = .f32

    func run() throws {
        matmulPrecision.apply()
        print("\(HostInfo.current()); matrix products \(matmulPrecision.rawValue)")
        let tok = try Tokenizer.load(directory: URL(fileURLWithPath: tokenizer))
        print("building a random bf16 model with Qwen2.5-0.5B's configuration…")
        let base = Qwen2Model.random(config: .qwen25_05B, format: .bf16, seed: 1)
        let model = TrainableQwen2(base: base, lora: LoRAConfig(r: rank, alpha: Double(2 * rank), targets: Projection.allCases), seed: 2)
        let reference = ScoringReference(scores: try DimensionScores(uniform: 100), reasoning: "文本内容正常，未发现违规。")
        let reward = ScoringReward(tokenizer: tok, similarity: CharNGramTFIDF(corpus: [reference.reasoning]))
        let prompt = ScoringPrompt.default
        let ids = tok.encode(prompt.prefix) + tok.encode(prompt.suffix(text: "今天天气很好，我们去公园散步吧。"), parseSpecialTokens: false)
        var config = GRPOConfig(groupSize: groupSize, maxCompletionLength: maxCompletionLength, microBatchSize: microBatch, seed: 3)
        config.temperature = 1
        let grammar = try AnswerGrammar(tokenBytes: tok.allTokenBytes, eosTokenIDs: tok.eosTokenIDs, specialTokenIDs: tok.specialTokenIDs)
        let trainer = try GRPOTrainer(model: model, optimizer: AdamW(config: AdamWConfig(learningRate: 1e-5)), config: config,
                                      stopTokens: tok.eosTokenIDs,
                                      constraint: ScoreConstraint(grammar: grammar, answerReserve: ScoreConstraint.guaranteedAnswerReserve),
                                      reward: { p, g in reward(p, g) })
        let t0 = Date()
        let s = trainer.step([GRPOPrompt(tokens: ids, reference: reference)])
        let total = Date().timeIntervalSince(t0)
        print(String(format: "GRPO step, G = %d, prompt %d tokens, completions %.0f tokens on average: %.1f s (sampling %.1f s at %.0f tokens/s, training %.1f s at %.0f tokens/s); mean reward %.2f; peak RSS %.0f MiB",
                     groupSize, ids.count, s.meanCompletionTokens, total, s.sampleSeconds, s.sampleTokensPerSecond, s.trainSeconds,
                     s.trainTokensPerSecond, s.meanReward, EngineBenchmark.peakResidentMiB()))
    }
}
