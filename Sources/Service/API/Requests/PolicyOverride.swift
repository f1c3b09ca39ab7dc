import Foundation
import Scoring
import Storage

/// A verdict policy from JSON: the service's `verdict_thresholds` setting and a score request's `policy` field share it.
///
///     {"block_below": 50, "review_below": {"bias": 90, "敏感数据泄露": 95}, "min_confidence": 0.6}
///
/// `block_below` and `review_below` take one threshold for every dimension or an object of per-dimension thresholds
/// (keyed by ASCII id or Chinese name); whatever is left out keeps the value of the policy it is applied to.
struct PolicyOverride: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case block_below, review_below, min_confidence }

    /// Where the override sits ("body.policy", "verdict_thresholds"), for messages.
    let path: String
    let blockBelow: [Scoring.Dimension: Int]?
    let reviewBelow: [Scoring.Dimension: Int]?
    let minConfidence: Float?

    init(from decoder: any Decoder) throws {
        let object = try StrictObject<CodingKeys>(decoder)
        path = object.path
        blockBelow = try object.value(.block_below).map { try Self.thresholds($0, path: object.fieldPath(.block_below)) }
        reviewBelow = try object.value(.review_below).map { try Self.thresholds($0, path: object.fieldPath(.review_below)) }
        minConfidence = switch try object.value(.min_confidence) {
        case nil: nil
        case .int(let n)?: Float(n)
        case .double(let d)?: Float(d)
        case let other?: throw RequestError.wrongType(object.fieldPath(.min_confidence), expected: "a number 0–1", found: other)
        }
    }

    /// `base` with this override's values; refused (`invalid_policy`) when the result is not a valid policy.
    func apply(to base: VerdictPolicy) throws -> VerdictPolicy {
        var policy = base
        if let blockBelow { policy.blockBelow.merge(blockBelow) { _, new in new } }
        if let reviewBelow { policy.reviewBelow.merge(reviewBelow) { _, new in new } }
        if let minConfidence { policy.minConfidence = minConfidence }
        if let problem = policy.problems().first { throw RequestError("invalid_policy", "\(path): \(problem)") }
        return policy
    }

    private static func threshold(_ v: JSONValue, path: String) throws -> Int {
        guard let n = v.integral else { throw RequestError.wrongType(path, expected: "an integer 0–101", found: v) }
        guard (0...101).contains(n) else { throw RequestError("invalid_policy", "\(path) is \(n); thresholds are 0–101") }
        return n
    }

    /// One threshold for every dimension, or an object of per-dimension thresholds.
    private static func thresholds(_ v: JSONValue, path: String) throws -> [Scoring.Dimension: Int] {
        guard case .object(let perDimension) = v else {
            let n = try threshold(v, path: path)
            return Dictionary(uniqueKeysWithValues: Dimension.allCases.map { ($0, n) })
        }
        var out: [Scoring.Dimension: Int] = [:]
        for (key, value) in perDimension {
            guard let d = Dimension(key: key) ?? Dimension(rawValue: key) else {
                throw RequestError("unknown_dimension", "\(path) has unknown key \"\(key)\"; use the ASCII ids or the Chinese names")
            }
            out[d] = try threshold(value, path: "\(path).\(key)")
        }
        return out
    }
}
