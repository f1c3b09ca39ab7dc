import Foundation
import Scoring

/// One configuration key: its name (as written in the JSON file and `--set`, upper-cased after `SAFETY_` in the
/// environment) and how it sets its property from JSON and from text.
struct ConfigurationKey: Sendable {
    struct Name: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    let name: String
    /// Sets the property from its text form (environment, `--set`).
    let parse: @Sendable (inout ServiceConfiguration, String) throws -> Void
    /// Sets the property from the JSON file when the key is there.
    let decode: @Sendable (inout ServiceConfiguration, KeyedDecodingContainer<Name>) throws -> Void

    var environmentName: String { "SAFETY_" + name.uppercased() }

    init<Value: ConfigurationValue>(_ name: String, _ path: WritableKeyPath<ServiceConfiguration, Value> & Sendable) {
        self.name = name
        parse = { configuration, text in
            guard let value = Value(configurationText: text) else {
                throw ConfigurationError(message: "\(name) must be \(Value.expectation), found \"\(text)\"")
            }
            configuration[keyPath: path] = value
        }
        decode = { configuration, container in
            if let value = try Value.decode(from: container, forKey: Name(stringValue: name)) {
                configuration[keyPath: path] = value
            }
        }
    }
}

/// A type a configuration key can hold.
protocol ConfigurationValue: Sendable {
    /// The value of a text form (environment, `--set`); nil when it is not one.
    init?(configurationText: String)
    /// What the text form must be, for error messages ("an integer").
    static var expectation: String { get }
    /// The value in the JSON file; nil when the key is absent.
    static func decode(from container: KeyedDecodingContainer<ConfigurationKey.Name>, forKey key: ConfigurationKey.Name)
        throws -> Self?
}

extension ConfigurationValue where Self: Decodable {
    static func decode(from container: KeyedDecodingContainer<ConfigurationKey.Name>, forKey key: ConfigurationKey.Name)
        throws -> Self?
    {
        try container.decodeIfPresent(Self.self, forKey: key)
    }
}

extension String: ConfigurationValue {
    init?(configurationText: String) { self = configurationText }
    static var expectation: String { "text" }
}

extension Int: ConfigurationValue {
    init?(configurationText: String) { self.init(configurationText) }
    static var expectation: String { "an integer" }
}

extension Bool: ConfigurationValue {
    init?(configurationText: String) {
        switch configurationText.lowercased() {
        case "true", "1", "yes", "on": self = true
        case "false", "0", "no", "off": self = false
        default: return nil
        }
    }
    static var expectation: String { "true or false" }
}

extension Double: ConfigurationValue {
    init?(configurationText: String) { self.init(configurationText) }
    static var expectation: String { "a number" }
}

/// Optional keys (`bootstrap_admin_key`): absent or null in the JSON leaves them unset.
extension Optional: ConfigurationValue where Wrapped: ConfigurationValue & Decodable {
    init?(configurationText: String) {
        guard let value = Wrapped(configurationText: configurationText) else { return nil }
        self = .some(value)
    }
    static var expectation: String { Wrapped.expectation }
    static func decode(from container: KeyedDecodingContainer<ConfigurationKey.Name>, forKey key: ConfigurationKey.Name)
        throws -> Self?
    {
        try container.decodeIfPresent(Wrapped.self, forKey: key).map { .some($0) }
    }
}

/// A closed set of names (`weight_format`, `matmul_precision`): read from the JSON as a string, and any other string is
/// an error that lists the accepted ones.
protocol NamedConfigurationValue: ConfigurationValue, RawRepresentable where RawValue == String {}

extension NamedConfigurationValue {
    init?(configurationText: String) { self.init(rawValue: configurationText) }
    static func decode(from container: KeyedDecodingContainer<ConfigurationKey.Name>, forKey key: ConfigurationKey.Name)
        throws -> Self?
    {
        guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = Self(configurationText: text) else {
            throw ConfigurationError(message: "\(key.stringValue) must be \(expectation), found \"\(text)\"")
        }
        return value
    }
}

extension MatmulPrecision: NamedConfigurationValue {
    static var expectation: String { "f32 or bf16" }
}

extension WeightFormat: NamedConfigurationValue {
    static var expectation: String { "stored, f32, bf16 or q8" }
}
