import Foundation

/// Learning rate per optimizer step, as Transformers' schedulers compute it (`get_cosine_schedule_with_warmup`,
/// `get_linear_schedule_with_warmup`, `get_constant_schedule_with_warmup`): step s (0-based, the update about to be
/// taken) gets peak · s / warmup during warmup (so the very first update of a warmup has rate 0, as in Transformers),
/// then decays over the remaining steps.
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case constant, linear, cosine }

    public var kind: Kind
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    /// Floor of the decay as a fraction of the peak (0 = decay to zero, as Transformers does).
    public var minRatio: Float

    public init(kind: Kind = .cosine, peak: Float, warmupSteps: Int = 0, totalSteps: Int, minRatio: Float = 0) {
        self.kind = kind; self.peak = peak; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps; self.minRatio = minRatio
    }

    public func rate(at step: Int) -> Float { peak * Float(multiplier(at: step)) }

    func multiplier(at step: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        let floor = Double(minRatio)
        switch kind {
        case .constant: return 1
        case .linear: return max(floor, 1 - progress * (1 - floor))
        case .cosine: return floor + (1 - floor) * max(0, 0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
