import Foundation

/// Keys and values of one sequence for every layer, in time order. K, V per layer: [capacity, KVH·D].
/// A cache belongs to one sequence and is mutated only by the thread running that sequence's forward pass.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let kvDim: Int
    public private(set) var length: Int = 0
    public private(set) var capacity: Int
    private var k: [FloatBuffer]
    private var v: [FloatBuffer]

    public init(layers: Int, kvDim: Int, capacity: Int = 256) {
        self.layers = layers
        self.kvDim = kvDim
        self.capacity = max(1, capacity)
        k = (0..<layers).map { _ in FloatBuffer(count: max(1, capacity) * kvDim) }
        v = (0..<layers).map { _ in FloatBuffer(count: max(1, capacity) * kvDim) }
    }

    public convenience init(config: Qwen2Config, capacity: Int = 256) {
        self.init(layers: config.numHiddenLayers, kvDim: config.kvDim, capacity: capacity)
    }

    /// Makes room for `n` more positions (amortised doubling).
    package func reserve(_ n: Int) {
        let needed = length + n
        guard needed > capacity else { return }
        let newCapacity = max(needed, capacity * 2)
        for l in 0..<layers {
            let nk = FloatBuffer(count: newCapacity * kvDim), nv = FloatBuffer(count: newCapacity * kvDim)
            nk.pointer.update(from: k[l].pointer, count: length * kvDim)
            nv.pointer.update(from: v[l].pointer, count: length * kvDim)
            k[l] = nk; v[l] = nv
        }
        capacity = newCapacity
    }

    package func keys(_ layer: Int) -> UnsafeMutablePointer<Float> { k[layer].pointer }
    package func values(_ layer: Int) -> UnsafeMutablePointer<Float> { v[layer].pointer }

    /// Commits `n` positions written by the last forward pass.
    package func advance(by n: Int) { length += n }

    /// Forgets everything after the first `n` positions (used to reuse a cache after a shared prefix).
    public func truncate(to n: Int) {
        precondition(n >= 0 && n <= length)
        length = n
    }

    /// A copy holding the same positions: G samples of one prompt, or requests sharing the fixed instruction prefix,
    /// start from one prefill instead of recomputing it.
    public func copy(extraCapacity: Int = 64) -> KVCache {
        let c = KVCache(layers: layers, kvDim: kvDim, capacity: length + extraCapacity)
        for l in 0..<layers {
            c.k[l].pointer.update(from: k[l].pointer, count: length * kvDim)
            c.v[l].pointer.update(from: v[l].pointer, count: length * kvDim)
        }
        c.length = length
        return c
    }

    /// Bytes held by this cache.
    public var byteCount: Int { 2 * layers * capacity * kvDim * 4 }
}
