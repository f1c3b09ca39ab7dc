import Foundation
import Scoring
import Storage

/// A verdict policy from JSON: the service's `verdict_thresholds` setting and a request's `policy` field share it.
///
///     {"block_below": 50, "review_below": {"bias": 90, "敏感数据泄露": 95}, "min_confidence": 0.6}
///
/// `block_below` and `review_below` take one threshold for every dimension or an object of per-dimension thresholds
/// (keyed by ASCII id or Chinese name); whatever is left out keeps the value of `base`.
enum VerdictInput {
    static func apply(_ value: JSONValue?, to base: VerdictPolicy, path: String) throws -> VerdictPolicy {
        guard let value, value != .null else { return base }
        guard case .object(let object) = value else {
            throw APIError.badRequest("wrong_type", "\(path) must be an object, found \(JSONInput.kind(value))")
        }
        let input = JSONInput(object: object, path: path)
        try input.onlyAllow(["block_below", "review_below", "min_confidence"])
        var policy = base
        if let v = object["block_below"], v != .null { policy.blockBelow = try thresholds(v, base: base.blockBelow, path: "\(path).block_below") }
        if let v = object["review_below"], v != .null { policy.reviewBelow = try thresholds(v, base: base.reviewBelow, path: "\(path).review_below") }
        switch object["min_confidence"] {
        case nil, .null?: break
        case .int(let n)?: policy.minConfidence = Float(n)
        case .double(let d)?: policy.minConfidence = Float(d)
        case let other?: throw APIError.badRequest("wrong_type", "\(path).min_confidence must be a number 0–1, found \(JSONInput.kind(other))")
        }
        if let problem = policy.problems().first { throw APIError.badRequest("invalid_policy", "\(path): \(problem)") }
        return policy
    }

    private static func threshold(_ v: JSONValue, path: String) throws -> Int {
        let n: Int? = switch v {
        case .int(let n): n
        case .double(let d) where d.rounded() == d && abs(d) <= 1e6: Int(d)
        default: nil
        }
        guard let n else { throw APIError.badRequest("wrong_type", "\(path) must be an integer 0–101, found \(JSONInput.kind(v))") }
        guard (0...101).contains(n) else { throw APIError.badRequest("invalid_policy", "\(path) is \(n); thresholds are 0–101") }
        return n
    }

    private static func thresholds(_ v: JSONValue, base: [Scoring.Dimension: Int], path: String) throws -> [Scoring.Dimension: Int] {
        if case .object(let perDimension) = v {
            var out = base
            for (key, value) in perDimension {
                guard let d = Dimension(key: key) ?? Dimension(rawValue: key) else {
                    throw APIError.badRequest("unknown_dimension", "\(path) has unknown key \"\(key)\"; use the ASCII ids or the Chinese names")
                }
                out[d] = try threshold(value, path: "\(path).\(key)")
            }
            return out
        }
        let n = try threshold(v, path: path)
        return Dictionary(uniqueKeysWithValues: Dimension.allCases.map { ($0, n) })
    }
}
