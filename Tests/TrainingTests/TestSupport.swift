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

/// Compares every named gradient with the reference: |d| ≤ 1e-4·max|g| + 1e-7 per tensor. Prints the largest
/// difference of each tensor; returns the names that fail.
func compareGradients(_ params: ParameterSet, reference: SafeTensorsFile, label: String) throws -> (failures: [String], worstRelative: Float) {
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
        let ok = diff <= 1e-4 * scale + 1e-7
        worst = max(worst, diff / max(scale, 1e-30))
        print(String(format: "%@ %-60@ max|Δ| %.3e  max|g| %.3e  rel %.2e %@", label, name, diff, scale, diff / max(scale, 1e-30), ok ? "" : "FAIL"))
        if !ok { failures.append(name) }
    }
    return (failures, worst)
}
