import Foundation
import Scoring

/// Temporaries of one forward or backward pass, grown on demand and reused across passes (one per model; a model is
/// used by one thread at a time). Nothing here outlives a call: what backward needs is kept in `Activations`.
final class TrainScratch {
    enum Slot: Hashable {
        case widen, loraU, loraDU                                       // linear layers
        case scores, dScores, delta, qStack, oStack, dOStack            // attention
        case logits, headWiden, runMax, runSum, rescale, headRow        // LM head + log-softmax
        case h, act, sigmoid, dh, dAtt, dq, dk, dv, dAct                // decoder layer
        case x, dx, dhFinal, finalRows, dLogprobs, layer                // whole model
    }

    let times = OpTimes()
    /// Fold LoRA deltas into widened weight blocks when that is cheaper (see `LinearLayer`); tests turn it off to
    /// compare both paths.
    var foldLoRA = true
    private var buffers: [Slot: FloatBuffer] = [:]

    func get(_ slot: Slot, _ count: Int) -> UnsafeMutablePointer<Float> {
        if let b = buffers[slot], b.count >= count { return b.pointer }
        let b = FloatBuffer(count: max(count, (buffers[slot]?.count ?? 0) * 5 / 4))
        buffers[slot] = b
        return b.pointer
    }
}

/// Wall time per op family, collected only when enabled (the training benchmark's breakdown).
final class OpTimes {
    var enabled = false
    private(set) var seconds: [String: Double] = [:]

    @inline(__always)
    func time<T>(_ key: String, _ body: () -> T) -> T {
        guard enabled else { return body() }
        let t0 = SFTTrainer.now()
        let r = body()
        seconds[key, default: 0] += SFTTrainer.now() - t0
        return r
    }

    func reset() { seconds = [:] }
}
