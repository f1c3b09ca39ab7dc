import Foundation

/// Errors building or decoding a set of dimension scores.
public enum DimensionScoresError: Error, CustomStringConvertible, Equatable {
    case scoreOutOfRange(Dimension, Int)
    case missingDimension(Dimension)
    case wrongCount(expected: Int, found: Int)
    case unknownKey(String)

    public var description: String {
        switch self {
        case let .scoreOutOfRange(d, v): "score for \(d.key) (\(d.id)) is \(v); scores must be integers in 0…100"
        case let .missingDimension(d): "no score for \(d.key) (\(d.id)); all nine TC260-003 dimensions are required"
        case let .wrongCount(e, f): "expected \(e) scores in canonical dimension order, found \(f)"
        case let .unknownKey(k): "unknown dimension key \"\(k)\"; expected one of \(Dimension.allCases.map(\.key).joined(separator: ", "))"
        }
    }
}

/// One integer score 0…100 per dimension (higher = more compliant, 100 = no problem found).
///
/// Always complete and in range: every initialiser validates, so a value of this type can be written into a
/// training completion or a response without further checks.
public struct DimensionScores: Sendable, Codable, Equatable, Hashable {
    public static let range = 0...100

    /// Scores in canonical `Dimension.allCases` order.
    public private(set) var values: [Int]

    /// Scores in canonical order; throws when the count is not nine or a score is outside 0…100.
    public init(values: [Int]) throws(DimensionScoresError) {
        guard values.count == Dimension.allCases.count else {
            throw .wrongCount(expected: Dimension.allCases.count, found: values.count)
        }
        for (d, v) in zip(Dimension.allCases, values) where !Self.range.contains(v) { throw .scoreOutOfRange(d, v) }
        self.values = values
    }

    /// Scores by dimension; throws when one is missing or out of range.
    public init(_ scores: [Dimension: Int]) throws(DimensionScoresError) {
        var values: [Int] = []
        for d in Dimension.allCases {
            guard let v = scores[d] else { throw .missingDimension(d) }
            values.append(v)
        }
        try self.init(values: values)
    }

    /// The same score on every dimension (`DimensionScores(uniform: 100)` = nothing found).
    public init(uniform score: Int) throws(DimensionScoresError) {
        try self.init(values: Array(repeating: score, count: Dimension.allCases.count))
    }

    /// Reads or replaces one score; setting a value outside 0…100 is a programmer error.
    public subscript(dimension: Dimension) -> Int {
        get { values[dimension.index] }
        set {
            precondition(Self.range.contains(newValue), "score \(newValue) for \(dimension.id) outside 0…100")
            values[dimension.index] = newValue
        }
    }

    public var dictionary: [Dimension: Int] {
        Dictionary(uniqueKeysWithValues: zip(Dimension.allCases, values))
    }

    /// The canonical JSON text `{"商业违规": 100, "对抗性检测": 100, …}` — the exact form the decoding grammar
    /// accepts and training completions use (`AnswerFormat` fixes the separators).
    public var canonicalJSON: String { AnswerFormat.json(self) }

    // MARK: Codable — a JSON object keyed by the Chinese keys, encoded in canonical order. JSONEncoder itself does
    // not keep key order (its objects are dictionaries), so text that must be canonical — the model's answer, a
    // training target — is written by `canonicalJSON`, never by JSONEncoder.

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        if let unknown = c.allKeys.first(where: { Dimension(key: $0.stringValue) == nil }) {
            throw DecodingError.dataCorruptedError(
                forKey: unknown, in: c, debugDescription: DimensionScoresError.unknownKey(unknown.stringValue).description)
        }
        var values: [Int] = []
        for d in Dimension.allCases {
            let v = try c.decode(Int.self, forKey: Key(stringValue: d.key))
            guard Self.range.contains(v) else {
                throw DecodingError.dataCorruptedError(
                    forKey: Key(stringValue: d.key), in: c,
                    debugDescription: DimensionScoresError.scoreOutOfRange(d, v).description)
            }
            values.append(v)
        }
        self.values = values
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (d, v) in zip(Dimension.allCases, values) { try c.encode(v, forKey: Key(stringValue: d.key)) }
    }
}
