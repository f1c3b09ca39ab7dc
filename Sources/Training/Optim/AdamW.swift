import Foundation
import Scoring

/// AdamW hyper-parameters (PyTorch's defaults except the learning rate).
public struct AdamWConfig: Codable, Sendable, Equatable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    /// Decoupled weight decay (Loshchilov & Hutter 2019), applied to every parameter as torch.optim.AdamW does.
    public var weightDecay: Float

    public init(learningRate: Float = 1e-4, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
    }
}

/// torch.optim.AdamW (single-tensor path, amsgrad off), over the flat moment buffers of a `ParameterSet`.
/// Step k (1-based), elementwise in this order:
///     p *= 1 − lr·wd
///     m = lerp(m, g, 1 − β1);  v = β2·v + (1 − β2)·g²
///     p −= lr / (1 − β1^k) · m / (√v / √(1 − β2^k) + eps)
public final class AdamW: @unchecked Sendable {
    public var config: AdamWConfig
    /// Updates taken so far (k of the last update).
    public private(set) var stepCount: Int

    public init(config: AdamWConfig = AdamWConfig(), stepCount: Int = 0) {
        self.config = config; self.stepCount = stepCount
    }

    /// Restores the step count from a checkpoint (the moments live in the parameter set).
    public func restore(stepCount: Int) { self.stepCount = stepCount }

    /// One update of every parameter from `parameters.grads`, at `learningRate` (default: the configured one).
    public func step(_ parameters: ParameterSet, learningRate: Float? = nil) {
        stepCount += 1
        let lr = Double(learningRate ?? config.learningRate)
        let k = Double(stepCount)
        // Scalars as torch forms them: Python floats (double), rounded to float32 when they meet a float32 tensor.
        let decay = Float(1 - lr * Double(config.weightDecay))
        let w1 = Float(1 - Double(config.beta1))
        let b2 = config.beta2, w2 = Float(1 - Double(config.beta2))
        let stepSize = Float(-(lr / (1 - pow(Double(config.beta1), k))))
        let bc2Sqrt = Float((1 - pow(Double(config.beta2), k)).squareRoot())
        let eps = config.eps
        let p = parameters.values.pointer, g = parameters.grads.pointer, m = parameters.m.pointer, v = parameters.v.pointer
        for i in 0..<parameters.count {
            p[i] *= decay
            let gi = g[i]
            m[i] = m[i] + w1 * (gi - m[i])          // torch.lerp for weight < 0.5
            v[i] = v[i] * b2 + w2 * gi * gi          // mul_(β2).addcmul_(g, g, value: 1 − β2)
            let denom = v[i].squareRoot() / bc2Sqrt + eps
            p[i] = p[i] + stepSize * m[i] / denom    // addcdiv_(m, denom, value: −step_size)
        }
    }
}
