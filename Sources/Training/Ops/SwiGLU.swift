import CKernels
import Foundation

/// Qwen2's MLP activation: act = silu(gate) · up, silu(g) = g · σ(g).
enum SwiGLUOp {
    /// act: [n]; sigmoid (optional): σ(gate), which backward reuses. act may alias gate or up.
    static func forward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, act: UnsafeMutablePointer<Float>,
                        sigmoid: UnsafeMutablePointer<Float>?, count n: Int) {
        ck_swiglu_forward(gate, up, act, sigmoid, Int64(n))
    }

    /// dgate = dact · up · σ(g)·(1 + g·(1 − σ(g))); dup = dact · g·σ(g). Written (not added); dgate may alias dact and
    /// dup may alias sigmoid (each element is read before it is written).
    static func backward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, sigmoid: UnsafePointer<Float>, dAct: UnsafePointer<Float>,
                         dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count n: Int) {
        ck_swiglu_backward(gate, up, sigmoid, dAct, dGate, dUp, Int64(n))
    }
}
