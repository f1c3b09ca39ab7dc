import Foundation
import Testing
@testable import Scoring

@Suite struct SafeTensorsTests {
    @Test func writtenTensorsReadBackIdentically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var w = SafeTensorsWriter(metadata: ["format": "pt"])
        let a: [Float] = [1, -2.5, 3.25, 0, 1e-3, 65504]
        w.add(.init(name: "a", shape: [2, 3], values: a))
        w.add(.init(name: "b", shape: [3, 2], values: a, dtype: .bf16))
        let url = dir.appendingPathComponent("m.safetensors")
        try w.write(to: url)
        let f = try SafeTensorsFile(url: url)
        #expect(f.metadata["format"] == "pt")
        #expect(try f.floats("a") == a)
        #expect(try f.info("b").dtype == .bf16)
        let b = try f.floats("b")
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= abs(x) / 128) }
    }
}
