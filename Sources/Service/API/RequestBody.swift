import Foundation
import Hummingbird
import NIOCore
import Storage

/// A request body or query that the API refuses (400): a stable machine-readable code and a message that says what
/// was wrong and where. Request types throw it from their decoding and validation; `APIError(_:logger:path:)` sends it.
struct RequestError: Error, Equatable, CustomStringConvertible {
    let code: String
    let message: String

    init(_ code: String, _ message: String) { self.code = code; self.message = message }

    var description: String { "\(code): \(message)" }

    static func missingField(_ path: String) -> RequestError { RequestError("missing_field", "\(path) is required") }
    static func wrongType(_ path: String, expected: String, found: JSONValue) -> RequestError {
        RequestError("wrong_type", "\(path) must be \(expected), found \(found.kind)")
    }
}

/// Reads a JSON request body into a request type. Every problem is a precise 4xx: too large (413), empty, not UTF-8,
/// not JSON, not an object, or whatever the request type's own decoding refuses (400).
enum RequestBody {
    static func decode<Body: Decodable>(_ type: Body.Type, from request: Request, maxBytes: Int) async throws -> Body {
        guard let body = try await decodeIfPresent(type, from: request, maxBytes: maxBytes) else {
            throw RequestError("empty_body", "the request body is empty; send a JSON object")
        }
        return body
    }

    /// For endpoints whose body is optional: nil when the request carries no bytes (whatever its headers say: clients
    /// differ in sending `Content-Length: 0`, chunked encoding or nothing for an empty POST).
    static func decodeIfPresent<Body: Decodable>(_ type: Body.Type, from request: Request, maxBytes: Int) async throws -> Body? {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBytes)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", "the request body exceeds \(maxBytes) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        if bytes.isEmpty { return nil }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw RequestError("invalid_utf8", "the request body is not valid UTF-8")
        }
        do {
            return try decode(type, from: Data(bytes), root: "body")
        } catch let error as DecodingError {
            throw RequestError("malformed_json", "the request body is not valid JSON: \(describe(error))")
        }
    }

    /// Decodes JSON text; fields are named from `root` in messages ("body.scores", "verdict_thresholds.block_below").
    /// Only a syntax error comes out as a `DecodingError`: request types report everything else as `RequestError`.
    static func decode<Body: Decodable>(_ type: Body.Type, from data: Data, root: String) throws -> Body {
        let decoder = JSONDecoder()
        decoder.userInfo[FieldPath.rootKey] = root
        return try decoder.decode(type, from: data)
    }

    private static func describe(_ error: DecodingError) -> String {
        if case .dataCorrupted(let ctx) = error {
            if let underlying = ctx.underlyingError { return "\(underlying)" }
            return ctx.debugDescription
        }
        return "\(error)"
    }
}

/// Where a field sits, for messages: the root's name, then `.key` or `[index]` per step.
enum FieldPath {
    static let rootKey = CodingUserInfoKey(rawValue: "service.fieldPathRoot")!

    static func of(_ decoder: any Decoder) -> String {
        let root = decoder.userInfo[rootKey] as? String ?? "body"
        return decoder.codingPath.reduce(root) { path, key in key.intValue.map { "\(path)[\($0)]" } ?? "\(path).\(key.stringValue)" }
    }
}

/// A JSON object being decoded into a request type, with the API's errors. JSONDecoder ignores keys a type does not
/// declare and says little about a value of the wrong JSON type, so request types read their fields through this:
/// a key outside `Key` is refused by name (a misspelt field is not silently ignored), and each field is read as a
/// `JSONValue` first, so that a wrong type is reported with what was found. JSON `null` counts as absent.
struct StrictObject<Key: CodingKey & CaseIterable> {
    let path: String
    private let container: KeyedDecodingContainer<AnyKey>

    init(_ decoder: any Decoder) throws {
        (path, container) = try JSONObjectNode.open(decoder)
        let allowed = Key.allCases.map(\.stringValue)
        if let unknown = container.allKeys.map(\.stringValue).filter({ !allowed.contains($0) }).sorted().first {
            throw RequestError("unknown_field", "unknown field \"\(unknown)\" in \(path); allowed: \(allowed.joined(separator: ", "))")
        }
    }

    func fieldPath(_ key: Key) -> String { "\(path).\(key.stringValue)" }

    /// The field's value, nil when absent or null.
    func value(_ key: Key) throws -> JSONValue? {
        let v = try container.decodeIfPresent(JSONValue.self, forKey: AnyKey(key.stringValue))
        return v == .null ? nil : v
    }

    func has(_ key: Key) throws -> Bool { try value(key) != nil }

    func string(_ key: Key, required: Bool = false) throws -> String? {
        switch try value(key) {
        case nil: if required { throw RequestError.missingField(fieldPath(key)) }; return nil
        case .string(let s)?: return s
        case let other?: throw RequestError.wrongType(fieldPath(key), expected: "a string", found: other)
        }
    }

    /// A free-form JSON object (request metadata).
    func object(_ key: Key) throws -> JSONValue? {
        switch try value(key) {
        case nil: return nil
        case .object(let o)?: return .object(o)
        case let other?: throw RequestError.wrongType(fieldPath(key), expected: "an object", found: other)
        }
    }

    func stringArray(_ key: Key) throws -> [String]? {
        switch try value(key) {
        case nil: return nil
        case .array(let items)?:
            return try items.enumerated().map { i, item in
                guard case .string(let s) = item else { throw RequestError.wrongType("\(fieldPath(key))[\(i)]", expected: "a string", found: item) }
                return s
            }
        case let other?: throw RequestError.wrongType(fieldPath(key), expected: "an array of strings", found: other)
        }
    }

    /// A field that is itself a request type (decoded with its own checks), nil when absent or null.
    func decode<Nested: Decodable>(_ type: Nested.Type, _ key: Key, required: Bool = false) throws -> Nested? {
        let nested = try container.decodeIfPresent(Nested.self, forKey: AnyKey(key.stringValue))
        if nested == nil, required { throw RequestError.missingField(fieldPath(key)) }
        return nested
    }
}

/// Opening a JSON object during decoding, with the API's errors.
enum JSONObjectNode {
    /// The object at the decoder's position, or why it is not one: the request body itself must be an object
    /// (`expected_object`); a field must be one (`wrong_type`).
    static func open(_ decoder: any Decoder) throws -> (path: String, container: KeyedDecodingContainer<AnyKey>) {
        let path = FieldPath.of(decoder)
        do {
            return (path, try decoder.container(keyedBy: AnyKey.self))
        } catch {
            if decoder.codingPath.isEmpty, path == "body" {
                throw RequestError("expected_object", "the request body must be a JSON object")
            }
            throw RequestError.wrongType(path, expected: "an object", found: (try? JSONValue(from: decoder)) ?? .null)
        }
    }

    /// Every key of the object with its value (for objects whose keys are data, such as the nine scores).
    static func fields(_ container: KeyedDecodingContainer<AnyKey>) throws -> [(key: String, value: JSONValue)] {
        try container.allKeys.map { ($0.stringValue, try container.decode(JSONValue.self, forKey: $0)) }
    }
}

extension JSONValue {
    /// What kind of JSON value this is, for messages ("found an integer").
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a non-integer number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// An integer as JSON Schema counts them: 35 and 35.0 are the same number.
    var integral: Int? {
        switch self {
        case .int(let n): n
        case .double(let d) where d.rounded() == d && abs(d) <= 1e6: Int(d)
        default: nil
        }
    }
}
