import CBLAS
import CKernels
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Measures the engine against this machine's own roofs, measured in the same run: sgemm GFLOP/s for prefill and
/// streaming-read bandwidth for decode (DESIGN §6).
public struct EngineBenchmark {
    public struct Options: Sendable {
        public var config: Qwen2Config = .qwen25_05B
        public var formats: [WeightFormat] = [.f32, .bf16]
        public var promptTokens = 512
        public var decodeTokens = 64
        public var decodeContext = 128
        public var batchSizes = [1, 8]
        public var repeats = 3
        public init() {}
    }

    public struct Figures: Codable, Sendable {
        public var format: String
        public var weightBytes: Int
        public var prefillTokensPerSecond: Double
        public var prefillGFLOPs: Double
        public var prefillRatioOfSgemmPeak: Double
        public var decode: [DecodeFigure]
    }

    public struct DecodeFigure: Codable, Sendable {
        public var batch: Int
        public var tokensPerSecond: Double
        public var stepMilliseconds: Double
        /// Bandwidth roof for this batch: one read of all weights per step.
        public var roofTokensPerSecond: Double
        public var ratioOfRoof: Double
    }

    public struct Report: Codable, Sendable {
        public var threads: Int
        public var sgemmGFLOPs: Double
        public var bandwidthGBps: Double
        public var figures: [Figures]
        public var peakResidentMiB: Double
    }

    public let options: Options
    public init(options: Options = Options()) { self.options = options }

    public static func now() -> Double { Monotonic.seconds() }

    /// Best-of-n sgemm throughput at a prefill-like shape (512 × 896 · 896 × 4864).
    public static func measureSgemm(repeats: Int = 5) -> Double {
        let m = 512, n = 4864, k = 896
        let a = FloatBuffer(count: m * k), b = FloatBuffer(count: n * k), c = FloatBuffer(count: m * n)
        var rng = SplitMix64(seed: 1)
        rng.fillNormal(a.pointer, count: m * k, std: 1)
        rng.fillNormal(b.pointer, count: n * k, std: 1)
        var best = Double.infinity
        for _ in 0..<(repeats + 1) {
            let t0 = now()
            Linear.sgemm(m: m, n: n, k: k, a: a.pointer, lda: k, bT: b.pointer, ldb: k, c: c.pointer, ldc: n, beta: 0)
            best = min(best, now() - t0)
        }
        return 2 * Double(m * n * k) / best / 1e9
    }

    /// Best-of-n streaming read of 1 GiB with the kernels' thread pool.
    public static func measureBandwidth(repeats: Int = 5) -> Double {
        let n = 256 << 20
        let buf = FloatBuffer(count: n)
        for i in stride(from: 0, to: n, by: 1024) { buf.pointer[i] = 1 }
        return ck_read_bandwidth(buf.pointer, n, Int32(repeats))
    }

    public static func peakResidentMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Forward FLOPs of `tokens` new tokens after `past` cached ones (matrix products + attention; logits for the last).
    static func flops(config c: Qwen2Config, tokens T: Int, past: Int) -> Double {
        let C = Double(c.hiddenSize), I = Double(c.intermediateSize), q = Double(c.qDim), kv = Double(c.kvDim)
        let perTokenLinear = 2 * (C * q + 2 * C * kv + q * C + 3 * C * I)
        var attention = 0.0
        for t in 0..<T { attention += 4 * Double(past + t + 1) * q }
        return Double(c.numHiddenLayers) * (Double(T) * perTokenLinear + attention) + 2 * C * Double(c.vocabSize)
    }

    public func run(log: (String) -> Void) -> Report {
        let threads = Int(ck_get_num_threads())
        log("threads: \(threads)")
        // Roofs are measured before every model's figures and the best is kept: on a shared machine a single
        // measurement can land in a noisy moment, and a low roof would flatter the ratios.
        var sgemm = Self.measureSgemm()
        var bw = Self.measureBandwidth()
        log(String(format: "sgemm roof: %.1f GFLOP/s (512×896 · 896×4864, best of 5)", sgemm))
        log(String(format: "read bandwidth roof: %.1f GB/s (1 GiB streaming sum, best of 5)", bw))
        var figures: [Figures] = []
        var raw: [(format: WeightFormat, weightBytes: Int, prefillSeconds: Double, prefillFlops: Double, decode: [(Int, Double)])] = []
        for format in options.formats {
            log("building a random \(format.rawValue) model with Qwen2.5-0.5B's configuration…")
            let model = Qwen2Model.random(config: options.config, format: format, seed: 1)
            let ws = Workspace()
            var rng = SplitMix64(seed: 3)
            let V = options.config.vocabSize
            let prompt = (0..<options.promptTokens).map { _ in Int(rng.next() % UInt64(V)) }
            // Prefill: best of n.
            var best = Double.infinity
            for _ in 0..<options.repeats {
                let cache = model.makeCache(capacity: prompt.count + 1)
                let t0 = Self.now()
                _ = model.forward([SequenceStep(tokens: prompt, cache: cache, logits: .last)], workspace: ws)
                best = min(best, Self.now() - t0)
            }
            let pf = Self.flops(config: options.config, tokens: prompt.count, past: 0)
            log(String(format: "[%@] prefill %d tokens: %.3f s, %.1f tokens/s, %.1f GFLOP/s",
                       format.rawValue, prompt.count, best, Double(prompt.count) / best, pf / best / 1e9))
            var decodeSteps: [(Int, Double)] = []
            for B in options.batchSizes {
                let caches = (0..<B).map { _ in model.makeCache(capacity: options.decodeContext + options.decodeTokens + 1) }
                let ctx = Array(prompt.prefix(options.decodeContext))
                _ = model.forward(caches.map { SequenceStep(tokens: ctx, cache: $0, logits: .none) }, workspace: ws)
                var tokens = (0..<B).map { _ in Int(rng.next() % UInt64(V)) }
                // Warm-up step, then timed steps.
                _ = model.forward(zip(tokens, caches).map { SequenceStep(tokens: [$0], cache: $1, logits: .last) }, workspace: ws)
                let t0 = Self.now()
                for _ in 0..<options.decodeTokens {
                    let out = model.forward(zip(tokens, caches).map { SequenceStep(tokens: [$0], cache: $1, logits: .last) }, workspace: ws)
                    tokens = out.map { logits in logits.indices.max { logits[$0] < logits[$1] }! }
                }
                let dt = Self.now() - t0
                let step = dt / Double(options.decodeTokens)
                decodeSteps.append((B, step))
                log(String(format: "[%@] decode batch %d (context %d): %.2f ms/step, %.1f tokens/s",
                           format.rawValue, B, options.decodeContext, step * 1000, Double(B) / step))
            }
            raw.append((format, model.weightBytes, best, pf, decodeSteps))
            sgemm = max(sgemm, Self.measureSgemm())
            bw = max(bw, Self.measureBandwidth())
        }
        log(String(format: "best roofs seen in this run: sgemm %.1f GFLOP/s, read bandwidth %.1f GB/s", sgemm, bw))
        for r in raw {
            let gflops = r.prefillFlops / r.prefillSeconds / 1e9
            log(String(format: "[%@] prefill %d tokens: %.1f tokens/s = %.0f%% of the sgemm roof", r.format.rawValue,
                       options.promptTokens, Double(options.promptTokens) / r.prefillSeconds, 100 * gflops / sgemm))
            var decodes: [DecodeFigure] = []
            for (B, step) in r.decode {
                let tps = Double(B) / step
                let roof = bw * 1e9 / Double(r.weightBytes) * Double(B)
                decodes.append(DecodeFigure(batch: B, tokensPerSecond: tps, stepMilliseconds: step * 1000,
                                            roofTokensPerSecond: roof, ratioOfRoof: tps / roof))
                log(String(format: "[%@] decode batch %d: %.1f tokens/s; bandwidth roof %.1f tokens/s (%.0f MB of weights per step) → %.0f%%",
                           r.format.rawValue, B, tps, roof, Double(r.weightBytes) / 1e6, 100 * tps / roof))
            }
            figures.append(Figures(format: r.format.rawValue, weightBytes: r.weightBytes,
                                   prefillTokensPerSecond: Double(options.promptTokens) / r.prefillSeconds,
                                   prefillGFLOPs: gflops, prefillRatioOfSgemmPeak: gflops / sgemm, decode: decodes))
        }
        let peak = Self.peakResidentMiB()
        log(String(format: "peak resident memory: %.0f MiB", peak))
        return Report(threads: threads, sgemmGFLOPs: sgemm, bandwidthGBps: bw, figures: figures, peakResidentMiB: peak)
    }
}
