import ArgumentParser
import Foundation
import Scoring

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks.",
        subcommands: [EngineBench.self, TrainBench.self, GRPOBench.self, LoadBench.self, StorageBench.self])
}

struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Prefill and decode speed of a random model with Qwen2.5-0.5B-Instruct's configuration, against this machine's sgemm and bandwidth roofs measured in the same run.")

    @Option(help: "Weight formats to measure (comma-separated: f32,bf16,q8).") var formats = "f32,bf16,q8"
    @Option(name: .customLong("repeat"), help: "Whole runs; every figure is reported as the median and range over them.") var runs: Int = 1
    @Option(help: "Prompt length for prefill.") var prompt = 512
    @Option(help: "Decode steps timed per batch size.") var decode = 64
    @Option(help: "Batch sizes for decode (comma-separated).") var batches = "1,8"
    @Option(help: "Write the report as JSON to this file.") var json: String?

    @Option(help: "Precision of the large matrix products: f32, or bf16 (activations rounded to bf16, vdpbf16ps; AVX512-BF16 hosts only).")
    var matmulPrecision: MatmulPrecision = .f32

    func run() throws {
        matmulPrecision.apply()
        var o = EngineBenchmark.Options()
        o.formats = try formats.split(separator: ",").map {
            guard let f = WeightFormat(rawValue: String($0)) else { throw ValidationError("unknown format \($0)") }
            return f
        }
        guard runs >= 1 else { throw ValidationError("--repeat must be at least 1") }
        o.runs = runs
        o.promptTokens = prompt
        o.decodeTokens = decode
        o.batchSizes = batches.split(separator: ",").compactMap { Int($0) }
        let report = EngineBenchmark(options: o).run { print($0) }
        if let json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(report).write(to: URL(fileURLWithPath: json))
        }
    }
}
