import Foundation

/// How group-relative advantages are scaled (TRL's `scale_rewards`).
public enum AdvantageScaling: String, Codable, Sendable, CaseIterable {
    /// Âᵢ = rᵢ − mean(r): Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training"); the default here.
    case none
    /// Âᵢ = (rᵢ − mean(r)) / (std(r) + 1e-4) with Bessel's (n − 1) std, as DeepSeekMath's GRPO and TRL's default.
    case group
}

/// Group-relative advantages (Shao et al. 2024, DeepSeekMath §4.1.2), transcribing trl 1.16.0
/// `GRPOTrainer._generate_and_score_completions` (grpo_trainer.py lines 2761–2788).
public enum GRPOAdvantages {
    /// The constant TRL adds to the std before dividing.
    public static let stdEpsilon = 1e-4

    /// `rewards` holds consecutive groups of `groupSize` completions of one prompt each.
    public static func compute(rewards: [Double], groupSize G: Int, scaling: AdvantageScaling) -> [Double] {
        precondition(G >= 1 && rewards.count % G == 0, "\(rewards.count) rewards do not split into groups of \(G)")
        var out = [Double](repeating: 0, count: rewards.count)
        for start in stride(from: 0, to: rewards.count, by: G) {
            let group = rewards[start..<(start + G)]
            let mean = group.reduce(0, +) / Double(G)
            var scale = 1.0
            if scaling == .group {
                // torch.std / trl nanstd: unbiased; a group of one has NaN std and TRL maps the NaN advantage to 0.
                guard G > 1 else { continue }
                let variance = group.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(G - 1)
                scale = 1 / (variance.squareRoot() + stdEpsilon)
            }
            for i in start..<(start + G) { out[i] = (rewards[i] - mean) * scale }
        }
        return out
    }

    /// For each group: true when its rewards all tie (max − min ≤ `tolerance`). Such a group has zero advantages and
    /// carries no learning signal, so the trainer leaves it out of the batch.
    public static func tiedGroups(rewards: [Double], groupSize G: Int, tolerance: Double = 1e-9) -> [Bool] {
        precondition(G >= 1 && rewards.count % G == 0, "\(rewards.count) rewards do not split into groups of \(G)")
        return stride(from: 0, to: rewards.count, by: G).map { start in
            let group = rewards[start..<(start + G)]
            return group.max()! - group.min()! <= tolerance
        }
    }
}
