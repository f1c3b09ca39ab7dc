import Foundation
import Scoring

/// The whole model's forward and backward: embedding → layers → final norm → LM head + log-softmax at the scored
/// positions, and the same in reverse.
extension TrainableQwen2 {
    /// Log-probs of every scored target token, per sequence (count = tokens.count − 1 − targetStart); keeps
    /// activations for `backward` (or only each layer's input with `recomputeActivations`).
    public func forward(_ batch: [TrainingSequence]) -> ForwardPass {
        let layout = BatchLayout(batch, vocabSize: config.vocabSize)
        checkPositions(layout)
        let state = PassState(layout: layout, config: config, ranks: loraRanks, recompute: recomputeActivations, frozenHead: lmHead.grad == nil,
                              adapterEnabled: true, pool: pool)
        let ctx = PassContext(config: config, layout: layout, rope: rope, scratch: scratch)
        let x = scratch.get(.x, layout.R * ctx.C)    // [R, C] residual stream
        EmbeddingOp.forward(tokens: layout.tokens, table: embedding, x: x)
        let shared = recomputeActivations ? sharedLayerActivations(rows: layout.R) : nil
        for (l, layer) in layers.enumerated() {
            if recomputeActivations { state.checkpoints[l].update(from: x, count: layout.R * ctx.C) }
            scratch.times.time("layers.fwd") { layer.forward(x: x, acts: shared ?? state.layers[l], useLoRA: true, keepLSE: shared == nil, ctx) }
        }
        head(x: x, layout: layout, xSel: state.xSel, rstd: state.finalRstd, h: state.hFinal, lse: state.headLse, logprobs: state.logprobs,
             expectation: state.headExpectation)
        return ForwardPass(logprobs: layout.split(state.logprobs), state: state)
    }

    /// Accumulates dL/dθ into `parameters.grads` given dL/dlogprob for every scored token (same shape as
    /// `pass.logprobs`). For SFT cross-entropy over N scored tokens, every entry is −1/N.
    public func backward(_ pass: ForwardPass, dLogprobs: [[Float]]) {
        let state = pass.state, layout = state.layout
        precondition(!state.consumed, "backward called twice on one ForwardPass")
        precondition(dLogprobs.count == layout.scoredCounts.count, "dLogprobs has \(dLogprobs.count) sequences, the pass \(layout.scoredCounts.count)")
        for (i, d) in dLogprobs.enumerated() {
            precondition(d.count == layout.scoredCounts[i], "dLogprobs[\(i)] has \(d.count) values for \(layout.scoredCounts[i]) scored tokens")
        }
        state.consumed = true
        let ctx = PassContext(config: config, layout: layout, rope: rope, scratch: scratch)
        let R = layout.R, N = layout.N, C = ctx.C
        // LM head and log-softmax.
        let dLp = scratch.get(.dLogprobs, N)            // [N]
        var n = 0
        for d in dLogprobs { for g in d { dLp[n] = g; n += 1 } }
        let dhF = scratch.get(.dhFinal, N * C)          // [N, C]
        dhF.update(repeating: 0, count: N * C)
        scratch.times.time("head") {
            if let e = state.headExpectation {
                LogSoftmaxOp.backward(head: lmHead, targets: layout.targets, expectation: e, dLogprobs: dLp, dh: dhF, scratch: scratch)
            } else {
                LogSoftmaxOp.backward(h: state.hFinal, head: lmHead, targets: layout.targets, lse: state.headLse, dLogprobs: dLp, dh: dhF, scratch: scratch)
            }
        }
        // Final norm, at the scored rows only.
        let dx = scratch.get(.dx, R * C)                 // [R, C]
        dx.update(repeating: 0, count: R * C)
        for (j, row) in layout.selected.enumerated() {
            RMSNormOp.backward(x: state.xSel + j * C, weight: finalNorm.value, rstd: state.finalRstd + j, dy: dhF + j * C,
                               dx: dx + row * C, dWeight: finalNorm.grad, rows: 1, channels: C)
        }
        // Layers in reverse (re-running each layer first when the pass kept only its input).
        let shared = state.layers.isEmpty ? sharedLayerActivations(rows: R) : nil
        let embeddingGrad = embedding.grad
        for l in layers.indices.reversed() {
            let acts: LayerActivations
            if let shared {
                let x = scratch.get(.x, R * C)
                x.update(from: state.checkpoints[l], count: R * C)
                scratch.times.time("layers.recompute") { layers[l].forward(x: x, acts: shared, useLoRA: state.adapterEnabled, keepLSE: true, ctx) }
                acts = shared
            } else {
                acts = state.layers[l]
            }
            scratch.times.time("layers.bwd") { layers[l].backward(dx: dx, acts: acts, needInputGrad: l > 0 || embeddingGrad != nil, ctx) }
        }
        if let embeddingGrad { EmbeddingOp.backward(tokens: layout.tokens, dx: dx, dTable: embeddingGrad, channels: C) }
    }

    /// The same log-probs as `forward` without keeping activations (memory for one layer only).
    /// `adapterEnabled: false` runs the frozen base alone (GRPO's reference policy); it has no effect in full mode.
    public func logprobs(_ batch: [TrainingSequence], adapterEnabled: Bool) -> [[Float]] {
        let layout = BatchLayout(batch, vocabSize: config.vocabSize)
        checkPositions(layout)
        let ctx = PassContext(config: config, layout: layout, rope: rope, scratch: scratch)
        let R = layout.R, N = layout.N, C = ctx.C
        let x = scratch.get(.x, R * C)
        EmbeddingOp.forward(tokens: layout.tokens, table: embedding, x: x)
        let shared = sharedLayerActivations(rows: R)
        for layer in layers { layer.forward(x: x, acts: shared, useLoRA: adapterEnabled, keepLSE: false, ctx) }
        let out = scratch.get(.finalRows, 2 * Carver.rounded(N * C) + 3 * Carver.rounded(N))
        var carver = Carver(out)
        let xSel = carver.take(N * C), h = carver.take(N * C), rstd = carver.take(N), lse = carver.take(N), lp = carver.take(N)
        head(x: x, layout: layout, xSel: xSel, rstd: rstd, h: h, lse: lse, logprobs: lp)
        return layout.split(lp)
    }

    /// Final norm at the scored rows, then the LM head and log-softmax.
    private func head(x: UnsafePointer<Float>, layout: BatchLayout, xSel: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                      h: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>, logprobs: UnsafeMutablePointer<Float>,
                      expectation: UnsafeMutablePointer<Float>? = nil) {
        let C = config.hiddenSize, N = layout.N
        for (j, row) in layout.selected.enumerated() { (xSel + j * C).update(from: x + row * C, count: C) }
        RMSNormOp.forward(x: xSel, weight: finalNorm.value, y: h, rstd: rstd, rows: N, channels: C, eps: config.rmsNormEps)
        scratch.times.time("head") {
            LogSoftmaxOp.forward(h: h, head: lmHead, targets: layout.targets, logprobs: logprobs, lse: lse, expectation: expectation, scratch: scratch)
        }
    }

    /// One layer's activations in scratch memory (recompute and no-grad passes).
    private func sharedLayerActivations(rows R: Int) -> LayerActivations {
        var carver = Carver(scratch.get(.layer, LayerActivations.floats(rows: R, config: config, ranks: loraRanks)))
        return LayerActivations(carving: &carver, rows: R, config: config, ranks: loraRanks)
    }

    private func checkPositions(_ layout: BatchLayout) {
        if let longest = layout.lengths.max(), longest > rope.capacity {
            preconditionFailure("sequence of \(longest) tokens exceeds the \(rope.capacity) positions this model supports")
        }
    }
}
