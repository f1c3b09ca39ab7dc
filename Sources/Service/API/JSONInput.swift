import Foundation
import Hummingbird
import NIOCore
import Storage

/// Reads and checks JSON request bodies, turning every problem into a precise 4xx error: too large, empty, not UTF-8,
/// not JSON, not an object, unknown or missing fields, wrong types.
struct JSONInput {
    let object: [String: JSONValue]
    /// Where these fields sit, for messages ("body", "scores", …).
    let path: String

    static func read(_ request: Request, maxBytes: Int) async throws -> JSONInput {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBytes)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", "the request body exceeds \(maxBytes) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        if bytes.isEmpty { throw APIError.badRequest("empty_body", "the request body is empty; send a JSON object") }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw APIError.badRequest("invalid_utf8", "the request body is not valid UTF-8")
        }
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) } catch {
            throw APIError.badRequest("malformed_json", "the request body is not valid JSON: \(Self.describe(error))")
        }
        guard case .object(let object) = value else {
            throw APIError.badRequest("expected_object", "the request body must be a JSON object")
        }
        return JSONInput(object: object, path: "body")
    }

    private static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let ctx) = error {
            if let underlying = ctx.underlyingError { return "\(underlying)" }
            return ctx.debugDescription
        }
        return "\(error)"
    }

    /// Refuses fields other than `allowed` (a misspelt field should not be silently ignored).
    func onlyAllow(_ allowed: [String]) throws {
        if let unknown = object.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw APIError.badRequest("unknown_field",
                                      "unknown field \"\(unknown)\" in \(path); allowed: \(allowed.joined(separator: ", "))")
        }
    }

    func has(_ key: String) -> Bool { object[key] != nil && object[key] != .null }

    func string(_ key: String, required: Bool) throws -> String? {
        switch object[key] {
        case nil, .null?:
            if required { throw APIError.badRequest("missing_field", "\(path).\(key) is required") }
            return nil
        case .string(let s)?: return s
        case let other?: throw APIError.badRequest("wrong_type", "\(path).\(key) must be a string, found \(Self.kind(other))")
        }
    }

    func int(_ key: String, required: Bool) throws -> Int? {
        switch object[key] {
        case nil, .null?:
            if required { throw APIError.badRequest("missing_field", "\(path).\(key) is required") }
            return nil
        case .int(let v)?: return v
        case let other?: throw APIError.badRequest("wrong_type", "\(path).\(key) must be an integer, found \(Self.kind(other))")
        }
    }

    func nested(_ key: String, required: Bool) throws -> JSONInput? {
        switch object[key] {
        case nil, .null?:
            if required { throw APIError.badRequest("missing_field", "\(path).\(key) is required") }
            return nil
        case .object(let o)?: return JSONInput(object: o, path: "\(path).\(key)")
        case let other?: throw APIError.badRequest("wrong_type", "\(path).\(key) must be an object, found \(Self.kind(other))")
        }
    }

    func stringArray(_ key: String) throws -> [String]? {
        switch object[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            return try items.enumerated().map { i, item in
                guard case .string(let s) = item else {
                    throw APIError.badRequest("wrong_type", "\(path).\(key)[\(i)] must be a string, found \(Self.kind(item))")
                }
                return s
            }
        case let other?: throw APIError.badRequest("wrong_type", "\(path).\(key) must be an array of strings, found \(Self.kind(other))")
        }
    }

    static func kind(_ v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a non-integer number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
