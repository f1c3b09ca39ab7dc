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
        public var formats: [WeightFormat] = [.f32, .bf16, .q8]
        public var promptTokens = 512
        public var decodeTokens = 64
        public var decodeContext = 128
        public var batchSizes = [1, 8]
        /// Prefill passes per run (the best is the run's figure).
        public var repeats = 3
        /// Whole runs (roofs, then every format's figures); figures are reported as median and range over them.
        public var runs = 1
        public init() {}
    }

    public struct Figures: Codable, Sendable {
        public var format: String
        public var weightBytes: Int
        /// Medians over the runs.
        public var prefillTokensPerSecond: Double
        public var prefillGFLOPs: Double
        /// Of the sgemm roof, or of the BF16 GEMM roof or the q8 kernel's rate where the prefill ran on them.
        public var prefillRatioOfSgemmPeak: Double
        public var prefill: Spread
        public var decode: [DecodeFigure]
    }

    public struct DecodeFigure: Codable, Sendable {
        public var batch: Int
        /// Median over the runs.
        public var tokensPerSecond: Double
        public var stepMilliseconds: Double
        public var spread: Spread
        /// Bandwidth roof for this batch: one read of all weights per step at the run's best streaming read.
        public var bandwidthRoofTokensPerSecond: Double
        /// Compute roof: the step's FLOPs at the run's best product rate (the BF16 GEMM's where the products run on
        /// vdpbf16ps, the 8-bit kernel's integer rate for q8, else sgemm's).
        public var computeRoofTokensPerSecond: Double
        /// The lower of the two: what this batch could reach at best.
        public var roofTokensPerSecond: Double
        public var ratioOfRoof: Double
        /// Weight bytes per second the fastest run of this figure streamed.
        public var bestWeightGBps: Double
    }

    public struct Report: Codable, Sendable {
        public var host: HostInfo
        public var threads: Int
        public var runs: Int
        /// The best of every roof measurement in the run (taken before each run's figures and at the end).
        public var sgemmGFLOPs: Double
        public var bandwidthGBps: Double
        public var sgemm: Spread
        public var bandwidth: Spread
        /// `ck_gemm_bf16` at the sgemm shape, where the CPU has AVX512-BF16.
        public var gemmBF16: Spread?
        /// The q8 kernel's arithmetic ceiling (`ck_q8_dot_rate`: its inner integer step alone, on registers only),
        /// GOP/s, where a SIMD path runs it.
        public var q8Dot: Spread?
        /// Whether some decode figure streamed weights faster than the bandwidth roof (the roof is then not a ceiling
        /// and the ratios overstate nothing but mean little).
        public var roofBeaten: Bool
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

    /// Best-of-n `ck_gemm_bf16` throughput at the same shape as `measureSgemm` (bf16 weights, activations rounded to
    /// bf16), or nil where the CPU has no AVX512-BF16 (the plain C fallback is not a roof).
    public static func measureGemmBF16(repeats: Int = 5) -> Double? {
        guard ck_bf16_dot_supported() != 0 else { return nil }
        let m = 512, n = 4864, k = 896
        let a = FloatBuffer(count: m * k), c = FloatBuffer(count: m * n), w = BF16Buffer(count: n * k)
        var rng = SplitMix64(seed: 1)
        rng.fillNormal(a.pointer, count: m * k, std: 1)
        let tmp = FloatBuffer(count: n * k)
        rng.fillNormal(tmp.pointer, count: n * k, std: 1)
        ck_f32_to_bf16(tmp.pointer, w.pointer, n * k)
        var best = Double.infinity
        for _ in 0..<(repeats + 1) {
            let t0 = now()
            ck_gemm_bf16(a.pointer, Int64(k), w.pointer, Int64(k), Int32(CK_B_ROWS_N), 0, c.pointer, Int64(n), Int64(m), Int64(n), Int64(k), 0)
            best = min(best, now() - t0)
        }
        return 2 * Double(m * n * k) / best / 1e9
    }

    /// The q8 kernel's arithmetic ceiling over the pool's threads, or nil where only the plain C path runs.
    public static func measureQ8Dot(repeats: Int = 5) -> Double? {
        let r = ck_q8_dot_rate(Int32(repeats))
        return r > 0 ? r : nil
    }

    /// The q8 decode path on this thread, as the log names it.
    static var q8PathName: String { ["plain C", "AVX2 maddubs", "AVX-512 VNNI vpdpbusd"][Int(max(0, min(2, ck_q8_path())))] }

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
        let host = HostInfo.current()
        let runs = max(1, options.runs)
        log(host.description)
        var models: [(WeightFormat, Qwen2Model)] = []
        for format in options.formats {
            log("building a random \(format.rawValue) model with Qwen2.5-0.5B's configuration…")
            models.append((format, Qwen2Model.random(config: options.config, format: format, seed: 1)))
        }
        let V = options.config.vocabSize
        var rng = SplitMix64(seed: 3)
        let prompt = (0..<options.promptTokens).map { _ in Int(rng.next() % UInt64(V)) }
        let pf = Self.flops(config: options.config, tokens: prompt.count, past: 0)
        // One decoded token's products (every weight matrix and the LM head once, attention over a single position): a
        // lower bound on its work, so the compute roof derived from it is an upper bound.
        let decodeFLOPs = Self.flops(config: options.config, tokens: 1, past: 0)
        // Roofs are measured before every run and once more at the end, and the best is kept: on a shared machine a
        // single measurement can land in a noisy moment, and a low roof would flatter the ratios.
        var sgemms: [Double] = [], bws: [Double] = [], bf16s: [Double] = [], q8s: [Double] = []
        var prefill = [[Double]](repeating: [], count: models.count)
        var decode = [[[Double]]](repeating: [[Double]](repeating: [], count: options.batchSizes.count), count: models.count)
        for run in 1...runs {
            sgemms.append(Self.measureSgemm())
            bws.append(Self.measureBandwidth())
            if let g = Self.measureGemmBF16() { bf16s.append(g) }
            if let q = Self.measureQ8Dot() { q8s.append(q) }
            log(String(format: "run %d/%d: sgemm roof %.1f GFLOP/s (512×896 · 896×4864, best of 5), read bandwidth roof %.1f GB/s (1 GiB streaming sum, best of 5)%@%@",
                       run, runs, sgemms.last!, bws.last!, bf16s.isEmpty ? "" : String(format: ", BF16 dot products (vdpbf16ps) %.1f GFLOP/s", bf16s.last!),
                       q8s.isEmpty ? "" : String(format: ", q8 kernel arithmetic (%@) %.1f GOP/s", Self.q8PathName, q8s.last!)))
            for (mi, (format, model)) in models.enumerated() {
                let ws = Workspace()
                var best = Double.infinity
                for _ in 0..<options.repeats {
                    let cache = model.makeCache(capacity: prompt.count + 1)
                    let t0 = Self.now()
                    _ = model.forward([SequenceStep(tokens: prompt, cache: cache, logits: .last)], workspace: ws)
                    best = min(best, Self.now() - t0)
                }
                prefill[mi].append(Double(prompt.count) / best)
                log(String(format: "  [%@] prefill %d tokens: %.3f s, %.1f tokens/s, %.1f GFLOP/s",
                           format.rawValue, prompt.count, best, Double(prompt.count) / best, pf / best / 1e9))
                for (bi, B) in options.batchSizes.enumerated() {
                    let caches = (0..<B).map { _ in model.makeCache(capacity: options.decodeContext + options.decodeTokens + 1) }
                    let ctx = Array(prompt.prefix(options.decodeContext))
                    _ = model.forward(caches.map { SequenceStep(tokens: ctx, cache: $0, logits: .none) }, workspace: ws)
                    var tokens = (0..<B).map { _ in Int(rng.next() % UInt64(V)) }
                    // Warm-up step, then timed steps.
                    _ = model.forward(zip(tokens, caches).map { SequenceStep(tokens: [$0], cache: $1, logits: .last) }, workspace: ws)
                    let t0 = Self.now()
                    for _ in 0..<options.decodeTokens {
                        let out = model.forward(zip(tokens, caches).map { SequenceStep(tokens: [$0], cache: $1, logits: .last) }, workspace: ws)
                        tokens = out.map { Self.argmax($0) }
                    }
                    let step = (Self.now() - t0) / Double(options.decodeTokens)
                    decode[mi][bi].append(Double(B) / step)
                    log(String(format: "  [%@] decode batch %d (context %d): %.2f ms/step, %.1f tokens/s",
                               format.rawValue, B, options.decodeContext, step * 1000, Double(B) / step))
                }
            }
        }
        sgemms.append(Self.measureSgemm())
        bws.append(Self.measureBandwidth())
        let sgemm = sgemms.max()!, bw = bws.max()!
        log(host.description)
        log(String(format: "roofs over the run: sgemm %@ GFLOP/s, read bandwidth %@ GB/s; ratios use the best of each",
                   Spread(sgemms).formatted(), Spread(bws).formatted()))
        if !bf16s.isEmpty { log("BF16 dot-product GEMM (vdpbf16ps, same shape): \(Spread(bf16s).formatted()) GFLOP/s") }
        if !q8s.isEmpty { log("q8 kernel arithmetic (\(Self.q8PathName), registers only): \(Spread(q8s).formatted()) GOP/s") }
        var figures: [Figures] = []
        var beaten = false
        for (mi, (format, model)) in models.enumerated() {
            let p = Spread(prefill[mi])
            let gflops = pf / (Double(options.promptTokens) / p.median) / 1e9
            // BF16 weights with bf16 products run on vdpbf16ps: their ceiling is that GEMM's rate, not sgemm's.
            let onBF16Gemm = format == .bf16 && MatmulPrecision.bf16Active && !bf16s.isEmpty
            // 8-bit weights on AVX-512 VNNI prefill on the q8 kernel (integer products), elsewhere on sgemm.
            let onQ8Kernel = format == .q8 && ck_q8_path() == 2 && !q8s.isEmpty
            let roof = onBF16Gemm ? bf16s.max()! : onQ8Kernel ? q8s.max()! : sgemm
            log(String(format: "[%@] prefill %d tokens: %@ tokens/s = %.0f%% of the %@ roof", format.rawValue,
                       options.promptTokens, p.formatted(), 100 * gflops / roof, onBF16Gemm ? "BF16 GEMM" : onQ8Kernel ? "q8 kernel" : "sgemm"))
            var decodes: [DecodeFigure] = []
            for (bi, B) in options.batchSizes.enumerated() {
                let d = Spread(decode[mi][bi])
                let bandwidthRoof = bw * 1e9 / Double(model.weightBytes) * Double(B)
                // Decode products of BF16 weights run on vdpbf16ps with bf16 products, 8-bit ones on integer dot
                // products (8-bit activations), F32 ones on FMA.
                let dotRate = format == .bf16 && MatmulPrecision.bf16Active && !bf16s.isEmpty ? bf16s.max()!
                    : format == .q8 && !q8s.isEmpty ? q8s.max()! : sgemm
                let computeRoof = dotRate * 1e9 / decodeFLOPs
                let roof = min(bandwidthRoof, computeRoof)
                let bestGBps = d.max / Double(B) * Double(model.weightBytes) / 1e9
                if bestGBps > bw { beaten = true }
                decodes.append(DecodeFigure(batch: B, tokensPerSecond: d.median, stepMilliseconds: 1000 * Double(B) / d.median, spread: d,
                                            bandwidthRoofTokensPerSecond: bandwidthRoof, computeRoofTokensPerSecond: computeRoof,
                                            roofTokensPerSecond: roof, ratioOfRoof: d.median / roof, bestWeightGBps: bestGBps))
                log(String(format: "[%@] decode batch %d: %@ tokens/s; roofs: bandwidth %.1f tokens/s (%.0f MB of weights per step), compute %.1f (%.2f GFLOP a token at %.0f GFLOP/s) → %.0f%% of the lower%@",
                           format.rawValue, B, d.formatted(), bandwidthRoof, Double(model.weightBytes) / 1e6, computeRoof, decodeFLOPs / 1e9,
                           dotRate, 100 * d.median / roof,
                           bestGBps > bw ? String(format: " (its best run streamed %.1f GB/s, above the roof)", bestGBps) : ""))
            }
            figures.append(Figures(format: format.rawValue, weightBytes: model.weightBytes, prefillTokensPerSecond: p.median,
                                   prefillGFLOPs: gflops, prefillRatioOfSgemmPeak: gflops / roof, prefill: p, decode: decodes))
        }
        if beaten { log("warning: a decode figure streamed faster than the measured read bandwidth: the roof is not a ceiling in this run") }
        let peak = Self.peakResidentMiB()
        log(String(format: "peak resident memory: %.0f MiB", peak))
        return Report(host: host, threads: host.threads, runs: runs, sgemmGFLOPs: sgemm, bandwidthGBps: bw, sgemm: Spread(sgemms),
                      bandwidth: Spread(bws), gemmBF16: bf16s.isEmpty ? nil : Spread(bf16s), q8Dot: q8s.isEmpty ? nil : Spread(q8s), roofBeaten: beaten, figures: figures, peakResidentMiB: peak)
    }

    static func argmax(_ v: [Float]) -> Int {
        var best = 0
        for i in v.indices where v[i] > v[best] { best = i }
        return best
    }
}
