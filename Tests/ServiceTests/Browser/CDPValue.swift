import Foundation

/// A JSON value as the DevTools protocol sends it: parameters, results and whatever page JavaScript returns.
enum CDPValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([CDPValue])
    case object([String: CDPValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([CDPValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: CDPValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            // Integral numbers as integers: CDP's integer parameters (button counts, ids) reject 1.0 on some domains.
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    subscript(key: String) -> CDPValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    subscript(index: Int) -> CDPValue? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var double: Double? { if case .number(let value) = self { value } else { nil } }
    var int: Int? { double.flatMap { $0.rounded() == $0 ? Int($0) : nil } }
    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    var array: [CDPValue]? { if case .array(let value) = self { value } else { nil } }
    var object: [String: CDPValue]? { if case .object(let value) = self { value } else { nil } }
    var isNull: Bool { self == .null }

    /// Compact JSON text.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "null"
    }

    var description: String { json }

    /// A Swift string as a JavaScript string literal (JSON is a subset of JavaScript).
    static func literal(_ text: String) -> String { CDPValue.string(text).json }
}

extension CDPValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    init(nilLiteral: ()) { self = .null }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(floatLiteral value: Double) { self = .number(value) }
    init(stringLiteral value: String) { self = .string(value) }
    init(arrayLiteral elements: CDPValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, CDPValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
