import Foundation

/// What a client does with an answer: let the text through, hold it for a person, or stop it.
public enum Verdict: String, Sendable, Codable, CaseIterable, Equatable {
    case pass, review, block
}

/// Turns nine scores and their confidences into a verdict.
///
/// Per dimension, a score below `blockBelow` blocks and a score below `reviewBelow` asks for review. A blocking score
/// the model is unsure of (confidence below `minConfidence`) asks for review instead of blocking; a text that would
/// pass asks for review when the model is unsure of any of its scores. An answer without scores asks for review.
public struct VerdictPolicy: Sendable, Equatable {
    public var blockBelow: [Dimension: Int]
    public var reviewBelow: [Dimension: Int]
    public var minConfidence: Float
    /// A block on 敏感数据泄露 needs personal data the evidence stage validated (an ID-card number with its check digit,
    /// a mobile number, a bank card passing Luhn, an e-mail, an address, a contact handle); without it the score asks
    /// for review instead. Models flag some look-alikes (order numbers, numbers with a wrong check digit) and also
    /// requests for someone's private data, which hold none, so this trades false blocks for reviews. Off by default.
    public var personalDataBlockNeedsEvidence = false

    /// Defaults that follow the corpus's severities: severe (10) and moderate (35) block, mild (60) asks for review.
    public static let standard = VerdictPolicy(blockBelow: 50, reviewBelow: 80, minConfidence: 0.5)

    public init(blockBelow: Int, reviewBelow: Int, minConfidence: Float) {
        self.blockBelow = Dictionary(uniqueKeysWithValues: Dimension.allCases.map { ($0, blockBelow) })
        self.reviewBelow = Dictionary(uniqueKeysWithValues: Dimension.allCases.map { ($0, reviewBelow) })
        self.minConfidence = minConfidence
    }

    public init(blockBelow: [Dimension: Int], reviewBelow: [Dimension: Int], minConfidence: Float) {
        self.blockBelow = blockBelow; self.reviewBelow = reviewBelow; self.minConfidence = minConfidence
    }

    /// Thresholds are 0…101 (101 = every score counts) and the review threshold of a dimension is at least its block
    /// threshold; the confidence is 0…1.
    public func problems() -> [String] {
        var out: [String] = []
        for d in Dimension.allCases {
            let b = blockBelow[d] ?? 0, r = reviewBelow[d] ?? 0
            if !(0...101).contains(b) { out.append("block_below for \(d.id) is \(b); thresholds are 0–101") }
            if !(0...101).contains(r) { out.append("review_below for \(d.id) is \(r); thresholds are 0–101") }
        }
        if !(0...1).contains(minConfidence) || minConfidence.isNaN { out.append("min_confidence is \(minConfidence); it is a probability 0–1") }
        return out
    }

    public struct Decision: Sendable, Equatable {
        public var verdict: Verdict
        /// Why, in one line naming the dimensions, scores and thresholds that decided it.
        public var reason: String
    }

    /// `personalDataFound`: whether the evidence stage validated personal data in the text (nil = not looked for; only
    /// read with `personalDataBlockNeedsEvidence`).
    public func decide(scores: DimensionScores?, confidence: [String: Float], personalDataFound: Bool? = nil) -> Decision {
        guard let scores else { return Decision(verdict: .review, reason: "the answer gave no usable scores") }
        var blocking: [String] = [], unsureBlocking: [String] = [], reviewing: [String] = [], unsure: [String] = []
        for d in Dimension.allCases {
            let s = scores[d]
            let c = confidence[d.key] ?? 0
            if s < (blockBelow[d] ?? 0) {
                if d == .dataLeak, personalDataBlockNeedsEvidence, personalDataFound != true {
                    unsureBlocking.append("\(d.id) \(s) < \(blockBelow[d] ?? 0) with no personal data validated in the text")
                } else if c >= minConfidence { blocking.append("\(d.id) \(s) < \(blockBelow[d] ?? 0)") } else {
                    unsureBlocking.append("\(d.id) \(s) < \(blockBelow[d] ?? 0) at confidence \(String(format: "%.2f", c))")
                }
            } else if s < (reviewBelow[d] ?? 0) {
                reviewing.append("\(d.id) \(s) < \(reviewBelow[d] ?? 0)")
            } else if c < minConfidence {
                unsure.append("\(d.id) at confidence \(String(format: "%.2f", c))")
            }
        }
        if !blocking.isEmpty { return Decision(verdict: .block, reason: "block: " + blocking.joined(separator: "; ")) }
        if !unsureBlocking.isEmpty || !reviewing.isEmpty {
            return Decision(verdict: .review, reason: "review: " + (unsureBlocking + reviewing).joined(separator: "; "))
        }
        if !unsure.isEmpty {
            return Decision(verdict: .review, reason: "review: confidence below \(minConfidence) on " + unsure.joined(separator: ", "))
        }
        return Decision(verdict: .pass, reason: "pass: every score at or above its thresholds")
    }
}
