import Foundation
import Scoring

/// Dimensions and shared state of one pass over a batch.
struct PassContext {
    let R: Int          // rows: tokens of every sequence of the batch
    let C: Int          // hidden size
    let I: Int          // MLP size
    let H: Int          // query heads
    let KVH: Int        // key/value heads
    let D: Int          // head dim
    let eps: Float
    let layout: BatchLayout
    let rope: RopeTable
    let scratch: TrainScratch
    var qDim: Int { H * D }
    var kvDim: Int { KVH * D }

    init(config c: Qwen2Config, layout: BatchLayout, rope: RopeTable, scratch: TrainScratch) {
        R = layout.R; C = c.hiddenSize; I = c.intermediateSize; H = c.numAttentionHeads; KVH = c.numKeyValueHeads; D = c.D
        eps = c.rmsNormEps; self.layout = layout; self.rope = rope; self.scratch = scratch
    }

    func attentionShape(_ i: Int) -> AttentionOp.Shape { AttentionOp.Shape(T: layout.lengths[i], H: H, KVH: KVH, D: D) }
}

/// One Qwen2 decoder layer: x += o(attn(rope(q(n1(x))), rope(k(n1(x))), v(n1(x)))); x += down(silu(gate(n2(x))) · up(n2(x))).
/// `forward` and `backward` below are mirror images.
struct DecoderLayer {
    let inputNorm: VectorWeight   // [C]
    let postNorm: VectorWeight    // [C]
    let proj: [LinearLayer]       // by Projection.index
    subscript(_ p: Projection) -> LinearLayer { proj[p.index] }

    /// x: [R, C] residual stream, updated in place; acts receives what backward needs (lse only when keepLSE).
    func forward(x: UnsafeMutablePointer<Float>, acts a: LayerActivations, useLoRA: Bool, keepLSE: Bool, _ ctx: PassContext) {
        let R = ctx.R, C = ctx.C, s = ctx.scratch
        let h = s.get(.h, R * C)                 // [R, C]
        let act = s.get(.act, R * ctx.I)         // [R, I]
        if a.xIn != x { a.xIn.update(from: x, count: R * C) }
        // Attention block.
        RMSNormOp.forward(x: x, weight: inputNorm.value, y: h, rstd: a.rstd1, rows: R, channels: C, eps: ctx.eps)
        self[.q].forward(x: h, y: a.q, rows: R, accumulate: false, loraU: a.loraU[Projection.q.index], useLoRA: useLoRA, scratch: s)
        self[.k].forward(x: h, y: a.k, rows: R, accumulate: false, loraU: a.loraU[Projection.k.index], useLoRA: useLoRA, scratch: s)
        self[.v].forward(x: h, y: a.v, rows: R, accumulate: false, loraU: a.loraU[Projection.v.index], useLoRA: useLoRA, scratch: s)
        ctx.layout.positions.withUnsafeBufferPointer { pos in
            RopeOp.forward(a.q, rows: R, ld: ctx.qDim, heads: ctx.H, headDim: ctx.D, positions: pos.baseAddress!, table: ctx.rope)
            RopeOp.forward(a.k, rows: R, ld: ctx.kvDim, heads: ctx.KVH, headDim: ctx.D, positions: pos.baseAddress!, table: ctx.rope)
        }
        for (i, o) in ctx.layout.offsets.enumerated() where ctx.layout.lengths[i] > 0 {
            AttentionOp.forward(q: a.q + o * ctx.qDim, k: a.k + o * ctx.kvDim, v: a.v + o * ctx.kvDim, out: a.att + o * ctx.qDim,
                                lse: keepLSE ? a.lse + o * ctx.H : nil, shape: ctx.attentionShape(i), scratch: s)
        }
        self[.o].forward(x: a.att, y: x, rows: R, accumulate: true, loraU: a.loraU[Projection.o.index], useLoRA: useLoRA, scratch: s)
        a.xMid.update(from: x, count: R * C)
        // MLP block.
        RMSNormOp.forward(x: x, weight: postNorm.value, y: h, rstd: a.rstd2, rows: R, channels: C, eps: ctx.eps)
        self[.gate].forward(x: h, y: a.gate, rows: R, accumulate: false, loraU: a.loraU[Projection.gate.index], useLoRA: useLoRA, scratch: s)
        self[.up].forward(x: h, y: a.up, rows: R, accumulate: false, loraU: a.loraU[Projection.up.index], useLoRA: useLoRA, scratch: s)
        SwiGLUOp.forward(gate: a.gate, up: a.up, act: act, sigmoid: nil, count: R * ctx.I)
        self[.down].forward(x: act, y: x, rows: R, accumulate: true, loraU: a.loraU[Projection.down.index], useLoRA: useLoRA, scratch: s)
    }

    /// dx: [R, C] gradient of the layer's output on entry, of its input on return. Parameter gradients are added.
    /// needInputGrad false (first layer over a frozen embedding) skips the products that only feed dx.
    func backward(dx: UnsafeMutablePointer<Float>, acts a: LayerActivations, needInputGrad: Bool, _ ctx: PassContext) {
        let R = ctx.R, C = ctx.C, I = ctx.I, s = ctx.scratch
        let h = s.get(.h, R * C)                 // [R, C] norm output, recomputed
        let dh = s.get(.dh, R * C)               // [R, C]
        let act = s.get(.act, R * I)             // [R, I]
        let sig = s.get(.sigmoid, R * I)         // [R, I] σ(gate), then dup
        let dAct = s.get(.dAct, R * I)           // [R, I] dact, then dgate
        // MLP block, reversed.
        RMSNormOp.reapply(x: a.xMid, weight: postNorm.value, rstd: a.rstd2, y: h, rows: R, channels: C)
        SwiGLUOp.forward(gate: a.gate, up: a.up, act: act, sigmoid: sig, count: R * I)
        self[.down].backward(x: act, dy: dx, dx: dAct, rows: R, accumulate: false, loraU: a.loraU[Projection.down.index], scratch: s)
        SwiGLUOp.backward(gate: a.gate, up: a.up, sigmoid: sig, dAct: dAct, dGate: dAct, dUp: sig, count: R * I)
        self[.gate].backward(x: h, dy: dAct, dx: dh, rows: R, accumulate: false, loraU: a.loraU[Projection.gate.index], scratch: s)
        self[.up].backward(x: h, dy: sig, dx: dh, rows: R, accumulate: true, loraU: a.loraU[Projection.up.index], scratch: s)
        RMSNormOp.backward(x: a.xMid, weight: postNorm.value, rstd: a.rstd2, dy: dh, dx: dx, dWeight: postNorm.grad, rows: R, channels: C)
        // Attention block, reversed.
        let dAtt = s.get(.dAtt, R * ctx.qDim)    // [R, H·D]
        let dq = s.get(.dq, R * ctx.qDim)        // [R, H·D]
        let dk = s.get(.dk, R * ctx.kvDim)       // [R, KVH·D]
        let dv = s.get(.dv, R * ctx.kvDim)       // [R, KVH·D]
        self[.o].backward(x: a.att, dy: dx, dx: dAtt, rows: R, accumulate: false, loraU: a.loraU[Projection.o.index], scratch: s)
        dk.update(repeating: 0, count: R * ctx.kvDim)
        dv.update(repeating: 0, count: R * ctx.kvDim)
        for (i, o) in ctx.layout.offsets.enumerated() where ctx.layout.lengths[i] > 0 {
            AttentionOp.backward(q: a.q + o * ctx.qDim, k: a.k + o * ctx.kvDim, v: a.v + o * ctx.kvDim, out: a.att + o * ctx.qDim,
                                 lse: a.lse + o * ctx.H, dOut: dAtt + o * ctx.qDim, dq: dq + o * ctx.qDim, dk: dk + o * ctx.kvDim,
                                 dv: dv + o * ctx.kvDim, shape: ctx.attentionShape(i), scratch: s)
        }
        ctx.layout.positions.withUnsafeBufferPointer { pos in
            RopeOp.backward(dq, rows: R, ld: ctx.qDim, heads: ctx.H, headDim: ctx.D, positions: pos.baseAddress!, table: ctx.rope)
            RopeOp.backward(dk, rows: R, ld: ctx.kvDim, heads: ctx.KVH, headDim: ctx.D, positions: pos.baseAddress!, table: ctx.rope)
        }
        RMSNormOp.reapply(x: a.xIn, weight: inputNorm.value, rstd: a.rstd1, y: h, rows: R, channels: C)
        let dhOut = needInputGrad ? dh : nil
        self[.q].backward(x: h, dy: dq, dx: dhOut, rows: R, accumulate: false, loraU: a.loraU[Projection.q.index], scratch: s)
        self[.k].backward(x: h, dy: dk, dx: dhOut, rows: R, accumulate: true, loraU: a.loraU[Projection.k.index], scratch: s)
        self[.v].backward(x: h, dy: dv, dx: dhOut, rows: R, accumulate: true, loraU: a.loraU[Projection.v.index], scratch: s)
        if needInputGrad {
            RMSNormOp.backward(x: a.xIn, weight: inputNorm.value, rstd: a.rstd1, dy: dh, dx: dx, dWeight: inputNorm.grad, rows: R, channels: C)
        }
    }
}
