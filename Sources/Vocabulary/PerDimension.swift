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
