/// The nine TC260-003 dimensions, in the canonical order of DESIGN.md §1. The raw value is the stable ASCII name
/// used for SQL columns and JSON keys; `chineseKey` is the key the model writes in its answer.
public enum Dimension: String, CaseIterable, Codable, Sendable, Hashable, CodingKeyRepresentable {
    case commercial
    case adversarial
    case bias
    case terrorismViolence = "terrorism_violence"
    case politicalMilitary = "political_military"
    case dataLeak = "data_leak"
    case sensitiveWords = "sensitive_words"
    case misinformation
    case illegalInducement = "illegal_inducement"

    public var chineseKey: String {
        switch self {
        case .commercial: "商业违规"
        case .adversarial: "对抗性检测"
        case .bias: "带有偏见、仇恨、歧视或侮辱"
        case .terrorismViolence: "恐怖主义&&带有暴力倾向"
        case .politicalMilitary: "政治&&军事敏感问题"
        case .dataLeak: "敏感数据泄露"
        case .sensitiveWords: "敏感词"
        case .misinformation: "虚假信息"
        case .illegalInducement: "诱导&&违法不良信息"
        }
    }

    public init?(chineseKey: String) {
        guard let match = Self.allCases.first(where: { $0.chineseKey == chineseKey }) else { return nil }
        self = match
    }

    /// Position in the canonical order (0…8).
    public var index: Int { Self.allCases.firstIndex(of: self)! }

    /// SQL column of the score (both `requests` and `corrections`).
    var scoreColumn: String { rawValue }
    /// SQL column of the model's confidence (`requests`).
    var confidenceColumn: String { "confidence_" + rawValue }
}

/// One value per dimension, in canonical order. Encodes as a JSON object keyed by the ASCII dimension names.
public struct PerDimension<Value: Sendable>: Sendable {
    public private(set) var values: [Value]

    public init(_ value: (Dimension) throws -> Value) rethrows {
        values = try Dimension.allCases.map(value)
    }

    public init(repeating value: Value) {
        values = Array(repeating: value, count: Dimension.allCases.count)
    }

    /// Nine values in canonical order.
    public init(_ values: [Value]) {
        precondition(values.count == Dimension.allCases.count, "PerDimension needs exactly 9 values")
        self.values = values
    }

    public subscript(dimension: Dimension) -> Value {
        get { values[dimension.index] }
        set { values[dimension.index] = newValue }
    }

    public func map<Other>(_ transform: (Value) throws -> Other) rethrows -> PerDimension<Other> {
        PerDimension<Other>(try values.map(transform))
    }
}

extension PerDimension: Equatable where Value: Equatable {}
extension PerDimension: Hashable where Value: Hashable {}

extension PerDimension: Codable where Value: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        values = try Dimension.allCases.map { try container.decode(Value.self, forKey: Key(stringValue: $0.rawValue)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for dimension in Dimension.allCases {
            try container.encode(self[dimension], forKey: Key(stringValue: dimension.rawValue))
        }
    }
}
