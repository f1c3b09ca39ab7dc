import ArgumentParser
import Foundation
import Scoring

/// `safety-server model init`: a freshly initialised Qwen2-architecture model over a given tokenizer — the starting
/// point of a model trained from scratch (`train sft --full`).
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "Model folders.", subcommands: [Init.self, Grow.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Writes a randomly initialised Qwen2 model (F32, normal(0, 0.02) weights, unit norms) sized to a tokenizer.",
            discussion: """
                --tokenizer is a folder with tokenizer.json (e.g. from `safety-server tokenizer train`); its files are \
                copied beside the weights, and the vocabulary size is the tokenizer's, rounded up to a multiple of 64. \
                --prompt is the scoring_prompt.json the model will be trained and served with (default: the built-in one).
                """)

        @Option(help: "Folder with the tokenizer files.") var tokenizer: String
        @Option(help: "Output folder.") var out: String
        @Option(help: "scoring_prompt.json to store with the model.") var prompt: String?
        @Option(help: "Hidden size.") var hidden = 256
        @Option(help: "Decoder layers.") var layers = 6
        @Option(help: "Attention heads.") var heads = 4
        @Option(help: "Key/value heads (grouped-query attention).") var kvHeads = 2
        @Option(help: "MLP intermediate size.") var intermediate = 768
        @Option(help: "Longest position the model is meant for.") var maxPositions = 2048
        @Option(help: "RoPE base.") var ropeTheta: Double = 10_000
        @Option(help: "Seed of the initial weights.") var seed: UInt64 = 1

        func validate() throws {
            guard hidden > 0, layers > 0, heads > 0, kvHeads > 0, intermediate > 0, maxPositions > 0 else {
                throw ValidationError("sizes must be positive")
            }
            guard hidden % heads == 0 else { throw ValidationError("--hidden (\(hidden)) must be a multiple of --heads (\(heads))") }
            guard heads % kvHeads == 0 else { throw ValidationError("--heads (\(heads)) must be a multiple of --kv-heads (\(kvHeads))") }
            guard (hidden / heads) % 2 == 0 else { throw ValidationError("the head size (\(hidden / heads)) must be even for RoPE") }
        }

        func run() throws {
            let src = URL(fileURLWithPath: tokenizer)
            let tok = try Tokenizer.load(directory: src)
            let scoringPrompt = try prompt.map { try JSONDecoder().decode(ScoringPrompt.self, from: Data(contentsOf: URL(fileURLWithPath: $0))) } ?? .default
            let vocab = (tok.vocabularySize + 63) / 64 * 64
            let cfg = Qwen2Config(vocabSize: vocab, hiddenSize: hidden, intermediateSize: intermediate, numHiddenLayers: layers,
                                  numAttentionHeads: heads, numKeyValueHeads: kvHeads, rmsNormEps: 1e-6, ropeTheta: ropeTheta,
                                  maxPositionEmbeddings: maxPositions, tieWordEmbeddings: true)
            let dir = URL(fileURLWithPath: out)
            try Qwen2Model.random(config: cfg, format: .f32, seed: seed).save(directory: dir, dtype: .f32)
            try ModelCommand.copyFiles(["tokenizer.json", "tokenizer_config.json"], from: src, to: dir)
            try scoringPrompt.save(directory: dir)
            logError("model init: \(cfg.parameterCount) parameters (vocabulary \(vocab) for \(tok.vocabularySize) tokens) in \(dir.path)")
        }
    }

    struct Grow: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "grow",
            abstract: "Writes a model grown in depth that computes exactly what the source does.",
            discussion: """
                Each layer is followed by --factor − 1 copies of itself whose output projections (o_proj, down_proj) \
                are zero, so the grown model's logits are the source's; training (`train sft --full`) then uses the \
                added depth. The tokenizer files and scoring_prompt.json are copied beside the weights.
                """)

        @Option(help: "Model folder to grow.") var model: String
        @Option(help: "Output folder.") var out: String
        @Option(help: "Layers per source layer (2 doubles the depth).") var factor = 2
        @Option(help: "Weight dtype to save: bf16 or f32.") var dtype = "bf16"

        func validate() throws {
            guard dtype == "bf16" || dtype == "f32" else { throw ValidationError("--dtype must be bf16 or f32") }
        }

        func run() throws {
            let src = URL(fileURLWithPath: model), dir = URL(fileURLWithPath: out)
            let source = try Qwen2Model.load(directory: src, format: .f32)
            let grown = try source.grownInDepth(factor: factor)
            try grown.save(directory: dir, dtype: dtype == "bf16" ? .bf16 : .f32)
            try ModelCommand.copyFiles(["tokenizer.json", "tokenizer_config.json", "scoring_prompt.json", "generation_config.json"], from: src, to: dir)
            logError("model grow: \(source.config.numHiddenLayers) layers → \(grown.config.numHiddenLayers), \(grown.config.parameterCount) parameters in \(dir.path)")
        }
    }

    /// Copies the named files that exist in `source` into `destination`, replacing any there.
    static func copyFiles(_ names: [String], from source: URL, to destination: URL) throws {
        let fm = FileManager.default
        for name in names {
            let from = source.appendingPathComponent(name), to = destination.appendingPathComponent(name)
            guard fm.fileExists(atPath: from.path) else { continue }
            if fm.fileExists(atPath: to.path) { try fm.removeItem(at: to) }
            try fm.copyItem(at: from, to: to)
        }
    }
}
