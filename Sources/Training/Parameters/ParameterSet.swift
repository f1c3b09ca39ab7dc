import Foundation
import Scoring

/// The trainable tensors of a model, by name, laid out once over four flat Float32 buffers of the same shape — values,
/// gradients and AdamW's two moments — so the optimiser, gradient-norm clipping and checkpoints loop over one range
/// (after llm.c's `params_memory` / `grads_memory` / `m_memory` / `v_memory`).
///
/// Names are Hugging Face's in full-parameter mode (`model.layers.0.self_attn.q_proj.weight`) and PEFT's in LoRA mode
/// (`base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`), so gradients and checkpoints compare directly
/// with PyTorch's.
public final class ParameterSet: @unchecked Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        /// First element in the flat buffers.
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    /// Total number of scalars.
    public let count: Int
    public let values: FloatBuffer // [count]
    public let grads: FloatBuffer  // [count]
    public let m: FloatBuffer      // [count] AdamW first moment
    public let v: FloatBuffer      // [count] AdamW second moment
    private let index: [String: Int]

    /// Lays out the named shapes one after another (each tensor starts on a 16-float boundary for aligned SIMD loads).
    public init(layout: [(name: String, shape: [Int])]) {
        var entries: [Entry] = []
        var offset = 0
        for (name, shape) in layout {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += (shape.reduce(1, *) + 15) / 16 * 16
        }
        self.entries = entries
        count = offset
        values = FloatBuffer(count: offset)
        grads = FloatBuffer(count: offset)
        m = FloatBuffer(count: offset)
        v = FloatBuffer(count: offset)
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() {
            precondition(index[e.name] == nil, "parameter \(e.name) appears twice")
            index[e.name] = i
        }
        self.index = index
    }

    /// Number of trainable scalars (without alignment padding).
    public var parameterCount: Int { entries.reduce(0) { $0 + $1.count } }

    public var names: [String] { entries.map(\.name) }

    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    func require(_ name: String) -> Entry {
        guard let e = entry(name) else { preconditionFailure("no parameter named \(name)") }
        return e
    }

    /// Pointers into the flat buffers (stable for the set's lifetime).
    public func valuePointer(_ name: String) -> UnsafeMutablePointer<Float> { values.pointer + require(name).offset }
    public func gradPointer(_ name: String) -> UnsafeMutablePointer<Float> { grads.pointer + require(name).offset }

    public func value(_ name: String) -> [Float] { let e = require(name); return Array(UnsafeBufferPointer(start: values.pointer + e.offset, count: e.count)) }
    public func grad(_ name: String) -> [Float] { let e = require(name); return Array(UnsafeBufferPointer(start: grads.pointer + e.offset, count: e.count)) }

    public func setValue(_ name: String, _ newValue: [Float]) {
        let e = require(name)
        precondition(newValue.count == e.count, "\(name): \(newValue.count) values for shape \(e.shape)")
        newValue.withUnsafeBufferPointer { (values.pointer + e.offset).update(from: $0.baseAddress!, count: e.count) }
    }

    /// Clears every gradient (the one place gradients are reset; backward passes only add).
    public func zeroGrad() { memset(grads.pointer, 0, count * MemoryLayout<Float>.size) }

    /// √(Σ g²) over every parameter (padding is always zero), accumulated in Float64.
    public func gradNorm() -> Float {
        var total = 0.0
        let g = grads.pointer
        var i = 0
        // Float32 partial sums of 4096 values, Float64 across blocks: stable and vectorisable.
        while i < count {
            let n = min(4096, count - i)
            total += Double(Blas.dot(g + i, g + i, count: n))
            i += n
        }
        return Float(total.squareRoot())
    }

    /// torch.nn.utils.clip_grad_norm_: g *= min(1, maxNorm / (total + 1e-6)). Returns the norm before clipping.
    @discardableResult
    public func clipGradNorm(maxNorm: Float) -> Float {
        let total = gradNorm()
        let coefficient = maxNorm / (total + 1e-6)
        if coefficient < 1 { scaleGrads(by: coefficient) }
        return total
    }

    /// g *= s (gradient accumulation over micro-batches divides once here, or loss scaling).
    public func scaleGrads(by s: Float) { Blas.scale(grads.pointer, by: s, count: count) }

    /// Copies of every tensor's values, by name.
    public func valueSnapshot() -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.name, value($0.name)) })
    }
}
