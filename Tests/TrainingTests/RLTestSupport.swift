import Foundation
import Scoring
@testable import Training

/// Paths for the RL and evaluation tests.
enum RLPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
    static let training = fixtures.appendingPathComponent("training")
}

/// A random one-layer Qwen2 over the real Qwen2 vocabulary, with its tokenizer and the answer grammar: the engine's
/// sampling under the grammar, end to end, in seconds.
struct TinyGrammarModel {
    let tokenizer: Tokenizer
    let model: Qwen2Model
    let grammar: AnswerGrammar

    init() throws {
        tokenizer = try Tokenizer.load(directory: RLPaths.packageRoot.appendingPathComponent("data/qwen2-tokenizer"))
        let config = Qwen2Config(vocabSize: tokenizer.vocabularySize, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1,
                                 numAttentionHeads: 4, numKeyValueHeads: 2)
        model = Qwen2Model.random(config: config, format: .f32, seed: 3)
        grammar = try AnswerGrammar(tokenBytes: tokenizer.allTokenBytes, eosTokenIDs: tokenizer.eosTokenIDs,
                                    specialTokenIDs: tokenizer.specialTokenIDs)
    }
}

/// Tests/Fixtures/training/grpo.json (see its "note").
struct GRPOFixture: Decodable {
    struct Settings: Decodable {
        let epsilon_low: Double
        let epsilon_high: Double
        let max_completion_length: Int
    }
    struct Config: Decodable {
        let loss_type: String
        let beta: Double
        let scale_rewards: String
        let loss: Double
        let grads_file: String
    }
    let base: String
    let adapter_dir: String
    let num_generations: Int
    let prompts: [[Int]]
    let completion_ids: [[Int]]
    let completion_mask: [[Int]]
    let rewards: [Double]
    let advantages: [String: [Double]]
    let per_token_logps: [[Float]]
    let old_per_token_logps: [[Float]]
    let ref_per_token_logps: [[Float]]
    let settings: Settings
    let tokens_clipped_low: Int
    let tokens_clipped_high: Int
    let configs: [String: Config]

    static func load() throws -> GRPOFixture {
        try JSONDecoder().decode(GRPOFixture.self, from: Data(contentsOf: RLPaths.training.appendingPathComponent("grpo.json")))
    }

    var masks: [[Bool]] { completion_mask.map { $0.map { $0 != 0 } } }

    /// Row b = prompt b / G followed by its completion, unpadded (RoPE is relative, so left pads change nothing).
    var sequences: [TrainingSequence] {
        completion_ids.enumerated().map { b, ids in
            let p = prompts[b / num_generations]
            let n = completion_mask[b].reduce(0, +)
            return TrainingSequence(tokens: p + ids.prefix(n), targetStart: p.count - 1)
        }
    }

    func lossConfig(_ c: Config) -> GRPOLossConfig {
        GRPOLossConfig(lossType: GRPOLossType(rawValue: c.loss_type)!, epsilonLow: settings.epsilon_low,
                       epsilonHigh: settings.epsilon_high, beta: c.beta)
    }
}

/// A reasoning similarity that returns a fixed value (for reward arithmetic tests).
struct FixedSimilarity: ReasoningSimilarity {
    let value: Double
    func similarity(_ a: String, _ b: String) -> Double { value }
}

func scores(_ values: [Int]) -> DimensionScores { try! DimensionScores(values: values) }
