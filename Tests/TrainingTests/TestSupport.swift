import Foundation
import Scoring
@testable import Training

/// Paths inside the package, found from this file's location so tests run from any working directory.
enum TestPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
    static let training = fixtures.appendingPathComponent("training")

    static func model(_ name: String) -> URL { fixtures.appendingPathComponent("models/\(name)") }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("training-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// A training fixture batch (training/<name>.json): right-padded ids, attention mask, labels with -100.
struct BatchFixture: Decodable {
    let inputIds: [[Int]]
    let attentionMask: [[Int]]
    let labels: [[Int]]
    let loss: Double?
    enum CodingKeys: String, CodingKey { case inputIds = "input_ids", attentionMask = "attention_mask", labels, loss }

    static func load(_ name: String) throws -> BatchFixture {
        try JSONDecoder().decode(BatchFixture.self, from: Data(contentsOf: TestPaths.training.appendingPathComponent("\(name).json")))
    }

    /// Each row unpadded; labels[t + 1] != -100 marks position t as scored (one contiguous run per row).
    var sequences: [TrainingSequence] {
        zip(zip(inputIds, attentionMask), labels).map { pair, labels in
            let (ids, mask) = pair
            let n = mask.reduce(0, +)
            let scored = (0..<(n - 1)).filter { labels[$0 + 1] != -100 }
            precondition(scored == Array((scored.first ?? n - 1)..<(n - 1)), "scored positions must run to the end of the row")
            for (t, id) in ids.prefix(n).enumerated().dropFirst() where labels[t] != -100 { precondition(labels[t] == id) }
            return TrainingSequence(tokens: Array(ids.prefix(n)), targetStart: scored.first ?? n - 1)
        }
    }
}

/// SFT cross-entropy: forward, loss = −mean log-prob over every scored token of the batch, backward with −1/N.
@discardableResult
func crossEntropyStep(_ model: TrainableQwen2, _ batch: [TrainingSequence]) -> Float {
    let pass = model.forward(batch)
    let N = pass.logprobs.reduce(0) { $0 + $1.count }
    let loss = -pass.logprobs.joined().reduce(0, +) / Float(N)
    model.backward(pass, dLogprobs: pass.logprobs.map { Array(repeating: -1 / Float(N), count: $0.count) })
    return loss
}

func crossEntropy(_ model: TrainableQwen2, _ batch: [TrainingSequence], adapterEnabled: Bool = true) -> Float {
    let lp = model.logprobs(batch, adapterEnabled: adapterEnabled)
    let N = lp.reduce(0) { $0 + $1.count }
    return -lp.joined().reduce(0, +) / Float(N)
}

/// Compares every named gradient with the reference: |d| ≤ tolerance·max|g| + 1e-7 per tensor (1e-4 for F32 paths).
/// Prints the largest difference of each tensor, marking those over the tolerance; returns their names.
func compareGradients(_ params: ParameterSet, reference: SafeTensorsFile, label: String,
                      tolerance: Float = 1e-4) throws -> (failures: [String], worstRelative: Float) {
    var failures: [String] = []
    var worst: Float = 0
    let missing = Set(reference.tensors.keys).symmetricDifference(params.names)
    if !missing.isEmpty { failures.append("names differ: \(missing.sorted())") }
    for name in reference.tensors.keys.sorted() {
        let ref = try reference.floats(name)
        let ours = params.grad(name)
        precondition(ours.count == ref.count, "\(name): \(ours.count) vs \(ref.count)")
        var diff: Float = 0, scale: Float = 0
        for (a, b) in zip(ours, ref) { diff = max(diff, abs(a - b)); scale = max(scale, abs(b)) }
        let ok = diff <= tolerance * scale + 1e-7
        worst = max(worst, diff / max(scale, 1e-30))
        print(String(format: "%@ %-60@ max|Δ| %.3e  max|g| %.3e  rel %.2e %@", label, name, diff, scale, diff / max(scale, 1e-30), ok ? "" : "OVER TOLERANCE"))
        if !ok { failures.append(name) }
    }
    return (failures, worst)
}

/// Log-probs of the scored tokens from the inference engine (`Qwen2Model.forward` with all logits), in Float64.
func inferenceLogprobs(_ model: Qwen2Model, adapter: LoRAAdapter?, _ batch: [TrainingSequence]) -> [[Float]] {
    let ws = Workspace()
    let V = model.config.vocabSize
    return batch.map { s in
        guard s.scoredCount > 0 else { return [] }
        let logits = model.forward([SequenceStep(tokens: s.tokens, cache: model.makeCache(capacity: s.tokens.count), adapter: adapter, logits: .all)],
                                   workspace: ws)[0]
        return (s.targetStart..<(s.tokens.count - 1)).map { t in
            let row = logits[(t * V)..<((t + 1) * V)].map(Double.init)
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            return Float(row[row.startIndex + s.tokens[t + 1]] - lse)
        }
    }
}

func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
    precondition(a.map(\.count) == b.map(\.count), "shapes \(a.map(\.count)) vs \(b.map(\.count))")
    return zip(a.joined(), b.joined()).map { abs($0 - $1) }.max() ?? 0
}

/// Raw bytes of every tensor of a model as stored (BF16 bits stay BF16), by Hugging Face name.
func storedBytes(_ model: Qwen2Model) -> [String: [UInt8]] {
    func bytes(_ w: WeightMatrix) -> [UInt8] {
        switch w.storage {
        case .f32(let b): Array(UnsafeRawBufferPointer(start: b.pointer, count: b.count * 4))
        case .bf16(let b): Array(UnsafeRawBufferPointer(start: b.pointer, count: b.count * 2))
        case .q8(let q): Array(UnsafeRawBufferPointer(start: q.quants, count: q.quantByteCount))
            + Array(UnsafeRawBufferPointer(start: q.scales.pointer, count: q.scales.count * 2))
        }
    }
    func bytes(_ b: FloatBuffer) -> [UInt8] { Array(UnsafeRawBufferPointer(start: b.pointer, count: b.count * 4)) }
    var out: [String: [UInt8]] = ["model.embed_tokens.weight": bytes(model.embedding), "model.norm.weight": bytes(model.finalNorm),
                                  "lm_head.weight": bytes(model.lmHead)]
    for (l, layer) in model.layers.enumerated() {
        let p = "model.layers.\(l)."
        out[p + "input_layernorm.weight"] = bytes(layer.inputNorm)
        out[p + "post_attention_layernorm.weight"] = bytes(layer.postAttentionNorm)
        out[p + "self_attn.q_proj.bias"] = bytes(layer.qBias)
        out[p + "self_attn.k_proj.bias"] = bytes(layer.kBias)
        out[p + "self_attn.v_proj.bias"] = bytes(layer.vBias)
        for pr in Projection.allCases { out[p + pr.path + ".weight"] = bytes(layer[pr]) }
    }
    return out
}

/// Deterministic toy SFT data over a small vocabulary: prompt [1, k], completion a fixed pseudo-random run per k.
func memorisationSamples(count: Int, vocab: Int, completionLength: Int = 6, seed: UInt64 = 7) -> [SFTSample] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { k in
        let completion = (0..<completionLength).map { _ in 3 + Int(rng.next() % UInt64(vocab - 3)) }
        return SFTSample(prompt: [1, 2 + k % (vocab - 2)], completion: completion)
    }
}

/// A small configuration with grouped-query attention for tests that train from scratch.
let scratchConfig: Qwen2Config = {
    var c = Qwen2Config(vocabSize: 48, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4,
                        numKeyValueHeads: 2, rmsNormEps: 1e-6, ropeTheta: 10000, maxPositionEmbeddings: 128, tieWordEmbeddings: true)
    c.headDim = nil
    return c
}()
