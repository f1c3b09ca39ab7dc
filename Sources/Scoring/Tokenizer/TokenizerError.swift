import Foundation

/// Errors loading tokenizer files. Each names the file and the key (a dotted JSON path such as
/// `model.merges[12]`, or `line 12` for text files), and where it applies what was expected and what was found.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A required file does not exist; `expected` says what the file should provide.
    case missingFile(file: String, expected: String)
    /// The file exists but could not be read.
    case unreadableFile(file: String, reason: String)
    /// The file is not valid JSON (or, for text files, not UTF-8).
    case malformedJSON(file: String, reason: String)
    /// A required key is absent.
    case missingKey(file: String, key: String)
    /// A key holds a value of the wrong JSON type.
    case wrongType(file: String, key: String, expected: String, found: String)
    /// A key holds a value of the right type that cannot be used (a negative id, a merge that is not a pair, …).
    case invalidValue(file: String, key: String, expected: String, found: String)
    /// A pipeline component this engine does not implement (normalizer, pre-tokenizer, model, decoder, or an option of one).
    case unsupported(file: String, key: String, expected: String, found: String)
    /// A merge names a token that is not in the vocabulary, or produces one that is not.
    case unknownMergeToken(file: String, key: String, token: String)

    public var description: String {
        switch self {
        case let .missingFile(file, expected):
            "tokenizer file \(file) does not exist (expected \(expected))"
        case let .unreadableFile(file, reason):
            "tokenizer file \(file) cannot be read: \(reason)"
        case let .malformedJSON(file, reason):
            "tokenizer file \(file) is not valid JSON: \(reason)"
        case let .missingKey(file, key):
            "tokenizer file \(file): required key '\(key)' is missing"
        case let .wrongType(file, key, expected, found):
            "tokenizer file \(file): key '\(key)' has the wrong type: expected \(expected), found \(found)"
        case let .invalidValue(file, key, expected, found):
            "tokenizer file \(file): key '\(key)' has an invalid value: expected \(expected), found \(found)"
        case let .unsupported(file, key, expected, found):
            "tokenizer file \(file): key '\(key)' is not supported by this engine: expected \(expected), found \(found)"
        case let .unknownMergeToken(file, key, token):
            "tokenizer file \(file): merge '\(key)' refers to token \(quoted(token)), which is not in the vocabulary"
        }
    }
}

/// A token shown with escapes, so that whitespace and control characters stay visible in messages.
func quoted(_ s: String) -> String {
    "\"" + s.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
}

extension TokenizerError {
    /// Maps a `DecodingError` thrown while decoding `file` to the key it concerns.
    static func decoding(_ error: Error, file: String) -> TokenizerError {
        guard let error = error as? DecodingError else {
            if let error = error as? TokenizerError { return error }
            return .malformedJSON(file: file, reason: "\(error)")
        }
        switch error {
        case let .keyNotFound(key, context):
            return .missingKey(file: file, key: jsonPath(context.codingPath + [key]))
        case let .typeMismatch(type, context):
            return .wrongType(file: file, key: jsonPath(context.codingPath), expected: jsonTypeName(type),
                              found: context.debugDescription)
        case let .valueNotFound(type, context):
            return .wrongType(file: file, key: jsonPath(context.codingPath), expected: jsonTypeName(type), found: "null")
        case let .dataCorrupted(context):
            let underlying = context.underlyingError.map { ": \($0)" } ?? ""
            if context.codingPath.isEmpty {
                return .malformedJSON(file: file, reason: context.debugDescription + underlying)
            }
            return .invalidValue(file: file, key: jsonPath(context.codingPath), expected: "a valid value",
                                 found: context.debugDescription + underlying)
        @unknown default:
            return .malformedJSON(file: file, reason: "\(error)")
        }
    }
}

/// `model.merges[3]` from a coding path.
func jsonPath(_ path: [any CodingKey]) -> String {
    var out = ""
    for key in path {
        if let i = key.intValue, key.stringValue == "Index \(i)" {  // array element, as JSONDecoder names it
            out += "[\(i)]"
        } else {
            out += out.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return out.isEmpty ? "(top level)" : out
}

private func jsonTypeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Int.Type: "an integer"
    case is Bool.Type: "a boolean"
    case is Double.Type: "a number"
    default: "\(type)"
    }
}
