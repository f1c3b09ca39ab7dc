import Foundation
import Scoring
#if canImport(Glibc)
import Glibc
#endif

/// One LoRA training step (forward + backward + AdamW) at a real model's configuration with random frozen weights,
/// measured against this machine's sgemm roof measured in the same run (DESIGN §6).
public enum TrainingBenchmark {
    public struct Options: Sendable {
        public var config: Qwen2Config = .qwen25_05B
        public var format: WeightFormat = .bf16
        public var batch = 4
        public var sequenceLength = 640
        /// Leading tokens of each sequence not scored (0: every next-token prediction is scored, as a causal-LM loss on
        /// the whole sequence does).
        public var promptTokens = 0
        public var rank = 16
        public var alpha: Double = 32
        public var targets: [Projection] = Projection.allCases
        public var recomputeActivations = false
        public var warmupSteps = 1
        public var timedSteps = 1
        public var seed: UInt64 = 1
        /// Override the number of decoder layers (quick runs; nil = the configuration's).
        public var layers: Int?
        public init() {}
    }

    public struct Report: Codable, Sendable {
        public var host: HostInfo
        /// f32, or bf16 where the products ran on vdpbf16ps.
        public var matmulPrecision: String
        /// Seconds of each timed step: median and range.
        public var steps: Spread
        public var config: String
        public var batch: Int
        public var sequenceLength: Int
        public var rank: Int
        public var trainableParameters: Int
        public var recomputeActivations: Bool
        public var sgemmGFLOPs: Double
        public var secondsPerStep: Double
        public var forwardSeconds: Double
        public var backwardSeconds: Double
        public var optimizerSeconds: Double
        public var tokensPerSecond: Double
        public var flopsPerStep: Double
        public var achievedGFLOPs: Double
        public var ratioOfSgemmRoof: Double
        public var peakResidentMiB: Double
        /// Process CPU time over wall time × cores during the timed steps (≈ 1 on an otherwise idle machine).
        public var cpuShare: Double
        /// FLOPs per CPU-second of this process, and the step time that rate gives with every core (an estimate).
        public var gflopsPerCPUSecond: Double
        public var idleMachineSecondsEstimate: Double
        public var breakdownSeconds: [String: Double]
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    /// Matrix-product FLOPs of one LoRA step as this engine executes them: frozen projections forward and input
    /// gradient; LoRA forward (x·Aᵀ plus either the per-row delta or the fold into the weight, whichever the engine picks)
    /// and backward (dB, dA, x's share); attention over causal row blocks (forward 2 products, backward 5 — it recomputes
    /// the scores); the frozen LM head's logits and E_p[W] in forward (backward needs no product); plus one more forward
    /// of every layer when activations are recomputed.
    public static func flops(options o: Options) -> Double {
        let c = o.config
        let C = Double(c.hiddenSize), I = Double(c.intermediateSize), q = Double(c.qDim), kv = Double(c.kvDim)
        let R = o.batch * o.sequenceLength
        let tokens = Double(R)
        let r = Double(o.rank)
        var loraForward = 0.0, loraBackward = 0.0
        for p in o.targets {
            let (rows, cols) = TrainableQwen2.projectionShape(p, c)
            let out = Double(rows), inF = Double(cols)
            loraForward += 2 * tokens * r * inF + (R > cols ? 2 * out * inF * r : 2 * tokens * r * out)
            loraBackward += 2 * tokens * r * out * 2 + 2 * tokens * r * inF + (R > rows ? 2 * out * inF * r : 2 * tokens * r * inF)
        }
        let linear = 2 * tokens * (C * q + 2 * C * kv + q * C + 3 * C * I)
        var causalSquare = 0.0 // Σ over row blocks of rows · keys
        for t0 in stride(from: 0, to: o.sequenceLength, by: AttentionOp.rowBlock) {
            let rows = min(AttentionOp.rowBlock, o.sequenceLength - t0)
            causalSquare += Double(rows * (t0 + rows))
        }
        let attentionProduct = Double(o.batch) * 2 * causalSquare * Double(c.D) * Double(c.numAttentionHeads)
        let layerForward = linear + loraForward + 2 * attentionProduct
        let layerBackward = linear + loraBackward + 5 * attentionProduct
        let scored = Double(o.batch * max(0, o.sequenceLength - 1 - o.promptTokens))
        let head = 2 * (2 * scored * Double(c.vocabSize) * C)
        let layers = Double(c.numHiddenLayers) * (layerForward * (o.recomputeActivations ? 2 : 1) + layerBackward)
        return layers + head
    }

    public static func run(options o: Options = Options(), log: (String) -> Void) -> Report {
        // The roof is measured before and after the steps and the better figure kept: on a shared machine one short
        // measurement can land in a busy moment and flatter the ratio.
        let host = HostInfo.current()
        log(host.description)
        let precision = MatmulPrecision.bf16Active ? "bf16" : "f32"
        log("matrix products: \(precision == "bf16" ? "bf16 (vdpbf16ps, activations rounded to bf16)" : "f32 (sgemm)")")
        var sgemm = EngineBenchmark.measureSgemm()
        log(String(format: "sgemm roof: %.1f GFLOP/s (512×896 · 896×4864, best of 5)", sgemm))
        if let g = EngineBenchmark.measureGemmBF16() { log(String(format: "BF16 dot-product GEMM (vdpbf16ps, same shape): %.1f GFLOP/s", g)) }
        log("building a random \(o.format.rawValue) model with Qwen2.5-0.5B's configuration…")
        var config = o.config
        if let layers = o.layers { config.numHiddenLayers = layers }
        let base = Qwen2Model.random(config: config, format: o.format, seed: o.seed)
        let model = TrainableQwen2(base: base, lora: LoRAConfig(r: o.rank, alpha: o.alpha, targets: o.targets), seed: o.seed)
        model.recomputeActivations = o.recomputeActivations
        let optimizer = AdamW(config: AdamWConfig(learningRate: 1e-4))
        var rng = SplitMix64(seed: o.seed &+ 1)
        let batch = (0..<o.batch).map { _ in
            TrainingSequence(tokens: (0..<o.sequenceLength).map { _ in Int(rng.next() % UInt64(o.config.vocabSize)) }, targetStart: o.promptTokens)
        }
        let N = batch.reduce(0) { $0 + $1.scoredCount }
        log("LoRA r=\(o.rank) on \(o.targets.map(\.rawValue).joined(separator: ",")): \(model.parameters.parameterCount) trainable parameters; batch \(o.batch) × \(o.sequenceLength) tokens, \(N) scored")

        var forward = 0.0, backward = 0.0, update = 0.0, cpuSeconds = 0.0
        var stepSeconds: [Double] = []
        var forwardParts: [String: Double] = [:]
        for i in 0..<(o.warmupSteps + o.timedSteps) {
            let timed = i >= o.warmupSteps
            model.scratch.times.enabled = timed
            let cpu0 = Self.cpuSeconds()
            let before = model.scratch.times.seconds
            let t0 = EngineBenchmark.now()
            model.zeroGrad()
            let pass = model.forward(batch)
            let t1 = EngineBenchmark.now()
            if timed {
                for (key, v) in model.scratch.times.seconds { forwardParts[key, default: 0] += v - (before[key] ?? 0) }
            }
            model.backward(pass, dLogprobs: pass.logprobs.map { Array(repeating: -1 / Float(N), count: $0.count) })
            let t2 = EngineBenchmark.now()
            model.parameters.clipGradNorm(maxNorm: 1)
            optimizer.step(model.parameters)
            let t3 = EngineBenchmark.now()
            let loss = -pass.logprobs.joined().reduce(0, +) / Float(N)
            log(String(format: "%@ step: %.2f s (forward %.2f, backward %.2f, AdamW %.3f), loss %.4f",
                       timed ? "timed" : "warm-up", t3 - t0, t1 - t0, t2 - t1, t3 - t2, loss))
            if timed {
                forward += t1 - t0; backward += t2 - t1; update += t3 - t2; cpuSeconds += Self.cpuSeconds() - cpu0
                stepSeconds.append(t3 - t0)
            }
        }
        let after = EngineBenchmark.measureSgemm()
        log(String(format: "sgemm roof after the steps: %.1f GFLOP/s", after))
        sgemm = max(sgemm, after)
        let steps = Double(max(o.timedSteps, 1))
        let seconds = (forward + backward + update) / steps
        // CPU time this process got during the timed steps over wall time × cores: well below 1 means other work shared
        // the machine and the step time overstates what the engine needs.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let cpuShare = cpuSeconds / steps / (seconds * Double(cores))
        log(String(format: "CPU share during the timed steps: %.0f%% of %d cores", 100 * cpuShare, cores))
        // Work per CPU-second does not depend on how busy the machine was (spin-waiting BLAS threads count as CPU time,
        // so it errs low); with every core to itself a step would take about flops / (that rate × cores).
        var counted = o
        counted.config = config
        let flops = Self.flops(options: counted)
        let perCPUSecond = flops / (cpuSeconds / steps) / 1e9
        let idleEstimate = flops / (perCPUSecond * 1e9 * Double(cores))
        log(String(format: "%.1f GFLOP per CPU-second (OpenBLAS sgemm ≈ 95–100 per core, DESIGN §6); on an idle machine ≈ %.1f s/step, %.0f tokens/s",
                   perCPUSecond, idleEstimate, Double(o.batch * o.sequenceLength) / idleEstimate))
        let gflops = flops / seconds / 1e9
        // Per op family, forward and backward, averaged over the timed steps.
        let total = model.scratch.times.seconds
        var breakdown: [String: Double] = [:]
        func part(_ key: String, _ fwd: Double, _ bwd: Double) {
            breakdown[key + ".forward"] = fwd; breakdown[key + ".backward"] = bwd
            log(String(format: "  %-22@ forward %6.2f s   backward %6.2f s", key, fwd, bwd))
        }
        let scale = 1 / steps
        let f = forwardParts.mapValues { $0 * scale }
        func split(_ key: String) -> (Double, Double) {
            let fwd = f[key] ?? 0
            return (fwd, (total[key] ?? 0) * scale - fwd)
        }
        let linear = split("linear"), lora = split("lora"), attention = split("attention"), head = split("head")
        part("frozen linear (BF16)", linear.0, linear.1)
        part("LoRA products", lora.0, lora.1)
        part("attention", attention.0, attention.1)
        part("LM head + log-softmax", head.0, head.1)
        let layersFwd = f["layers.fwd"] ?? 0
        let layersBwd = (total["layers.bwd"] ?? 0) * scale + (total["layers.recompute"] ?? 0) * scale
        part("norms, RoPE, SwiGLU", layersFwd - linear.0 - lora.0 - attention.0, layersBwd - linear.1 - lora.1 - attention.1)
        let peak = EngineBenchmark.peakResidentMiB()
        let report = Report(host: host, matmulPrecision: precision, steps: Spread(stepSeconds), config: "Qwen2.5-0.5B (random \(o.format.rawValue))", batch: o.batch, sequenceLength: o.sequenceLength, rank: o.rank,
                            trainableParameters: model.parameters.parameterCount, recomputeActivations: o.recomputeActivations,
                            sgemmGFLOPs: sgemm, secondsPerStep: seconds, forwardSeconds: forward / steps, backwardSeconds: backward / steps,
                            optimizerSeconds: update / steps, tokensPerSecond: Double(o.batch * o.sequenceLength) / seconds,
                            flopsPerStep: flops, achievedGFLOPs: gflops, ratioOfSgemmRoof: gflops / sgemm, peakResidentMiB: peak,
                            cpuShare: cpuShare, gflopsPerCPUSecond: perCPUSecond, idleMachineSecondsEstimate: idleEstimate,
                            breakdownSeconds: breakdown)
        log("timed steps: \(Spread(stepSeconds).formatted(2)) s")
        log(String(format: "LoRA training step: %.2f s/step, %.0f tokens/s; %.2f TFLOP/step → %.1f GFLOP/s = %.0f%% of the %.1f GFLOP/s sgemm roof; peak RSS %.0f MiB",
                   seconds, report.tokensPerSecond, flops / 1e12, gflops, 100 * gflops / sgemm, sgemm, peak))
        return report
    }
}
