import ArgumentParser
import Foundation
import Scoring
import Training

struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "One LoRA training step (forward + backward + AdamW) at Qwen2.5-0.5B-Instruct's configuration with random BF16 weights, against this machine's sgemm roof measured in the same run.")

    @Option(help: "Sequences per batch.") var batch = 4
    @Option(help: "Tokens per sequence.") var length = 640
    @Option(help: "LoRA rank (on q,k,v,o,gate,up,down).") var rank = 16
    @Option(help: "Base weight format (bf16 or f32).") var format: WeightFormat = .bf16
    @Option(help: "Untimed steps first (page faults, scratch growth).") var warmup = 1
    @Option(name: [.customLong("steps"), .customLong("repeat")], help: "Timed steps (reported as median and range).") var steps = 1
    @Option(help: ArgumentHelp("Decoder layers (default: the configuration's 24).", visibility: .hidden)) var layers: Int?
    @Flag(help: "Recompute each layer's activations in backward instead of keeping them.") var recompute = false
    @Option(help: "Write the report as JSON to this file.") var json: String?

    @Option(help: "Precision of the large matrix products: f32, or bf16 (activations rounded to bf16, vdpbf16ps; AVX512-BF16 hosts only).")
    var matmulPrecision: MatmulPrecision = .f32

    func run() throws {
        matmulPrecision.apply()
        var o = TrainingBenchmark.Options()
        o.batch = batch; o.sequenceLength = length; o.rank = rank; o.alpha = Double(2 * rank); o.format = format
        o.warmupSteps = warmup; o.timedSteps = steps; o.recomputeActivations = recompute
        o.layers = layers
        let report = TrainingBenchmark.run(options: o) { print($0) }
        if let json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(report).write(to: URL(fileURLWithPath: json))
        }
    }
}
