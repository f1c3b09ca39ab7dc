import Foundation
@testable import Scoring

/// Paths inside the package, found from this file's location so tests run from any working directory.
enum TestPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
    static let qwen2Tokenizer = packageRoot.appendingPathComponent("data/qwen2-tokenizer")

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scoring-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// A small configuration with grouped-query attention for tests that need no files.
let tinyConfig: Qwen2Config = {
    var c = Qwen2Config(vocabSize: 97, hiddenSize: 48, intermediateSize: 80, numHiddenLayers: 2,
                        numAttentionHeads: 6, numKeyValueHeads: 2, rmsNormEps: 1e-6, ropeTheta: 10000,
                        maxPositionEmbeddings: 256, tieWordEmbeddings: false)
    c.headDim = nil
    return c
}()

/// Largest absolute difference relative to the largest absolute reference value.
func relativeMaxDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    var diff: Float = 0, scale: Float = 0
    for (x, y) in zip(a, b) { diff = max(diff, abs(x - y)); scale = max(scale, abs(y)) }
    return diff / max(scale, 1e-30)
}
