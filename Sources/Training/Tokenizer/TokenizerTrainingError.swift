import Foundation

/// Errors training a tokenizer; each names what was wrong and how to fix it.
public enum TokenizerTrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The requested vocabulary cannot hold the 256 byte tokens and the special tokens.
    case vocabularyTooSmall(requested: Int, minimum: Int, specialTokens: Int)
    /// `minFrequency` must be at least 1.
    case invalidMinFrequency(Int)
    /// A special token is empty or listed twice, or the EOS/pad token is not one of the special tokens.
    case invalidSpecialToken(token: String, reason: String)
    /// Nothing to learn from: no text at all, or only empty texts and special tokens.
    case noText
    case unreadable(file: String, reason: String)
    /// A data file holds no line at all.
    case emptyFile(file: String)
    /// A JSONL line that is not an object with a `"text"` string (or, with completions, valid `"scores"`).
    case badLine(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .vocabularyTooSmall(requested, minimum, specials):
            "vocabulary size \(requested) is too small: it must hold the 256 byte tokens and the \(specials) special tokens; "
                + "ask for at least \(minimum)"
        case let .invalidMinFrequency(n):
            "minimum pair frequency \(n) is invalid; use 1 or more (1 merges every pair that occurs)"
        case let .invalidSpecialToken(token, reason):
            "special token \"\(token)\": \(reason)"
        case .noText:
            "the training data holds no text to learn from; give files with non-empty \"text\" fields"
        case let .unreadable(file, reason):
            "cannot read \(file): \(reason)"
        case let .emptyFile(file):
            "\(file) holds no lines; give a file with one JSON object per line, such as {\"text\": \"你好\"}"
        case let .badLine(file, line, reason):
            "\(file):\(line): \(reason) (expected one JSON object per line with a \"text\" string; with completions also "
                + "\"scores\" {the nine Chinese keys: integer 0…100} and \"reasoning\")"
        }
    }
}
