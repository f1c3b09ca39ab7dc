import Foundation

// The parts of Hugging Face's tokenizer.json this engine reads, decoded as they are written (CodingKeys are the
// JSON names). Everything a component may omit is optional here; `TokenizerFactory` decides what is required,
// so that an unsupported component is reported as such rather than as a missing key of some other component.

struct TokenizerFileSpec: Decodable {
    var addedTokens: [AddedTokenSpec]?
    var normalizer: NormalizerSpec?
    var preTokenizer: PreTokenizerSpec?
    var model: ModelSpec
    var decoder: DecoderSpec?

    enum CodingKeys: String, CodingKey {
        case addedTokens = "added_tokens", normalizer, preTokenizer = "pre_tokenizer", model, decoder
    }
}

struct AddedTokenSpec: Decodable {
    var id: Int
    var content: String
    var singleWord: Bool?
    var lstrip: Bool?
    var rstrip: Bool?
    var normalized: Bool?
    var special: Bool?

    enum CodingKeys: String, CodingKey {
        case id, content, singleWord = "single_word", lstrip, rstrip, normalized, special
    }
}

struct NormalizerSpec: Decodable {
    var type: String
    var normalizers: [NormalizerSpec]?
}

struct PreTokenizerSpec: Decodable {
    var type: String
    var pretokenizers: [PreTokenizerSpec]?
    var pattern: PatternSpec?
    var behavior: String?
    var invert: Bool?
    var addPrefixSpace: Bool?
    var useRegex: Bool?

    enum CodingKeys: String, CodingKey {
        case type, pretokenizers, pattern, behavior, invert, addPrefixSpace = "add_prefix_space", useRegex = "use_regex"
    }
}

/// `{"Regex": "..."}` or `{"String": "..."}`.
struct PatternSpec: Decodable {
    var regex: String?
    var string: String?

    enum CodingKeys: String, CodingKey {
        case regex = "Regex", string = "String"
    }
}

struct ModelSpec: Decodable {
    var type: String?
    var vocab: [String: Int]?
    var merges: MergesSpec?
    var unkToken: String?
    var dropout: Double?
    var byteFallback: Bool?
    var continuingSubwordPrefix: String?
    var endOfWordSuffix: String?
    var ignoreMerges: Bool?

    enum CodingKeys: String, CodingKey {
        case type, vocab, merges, unkToken = "unk_token", dropout, byteFallback = "byte_fallback",
             continuingSubwordPrefix = "continuing_subword_prefix", endOfWordSuffix = "end_of_word_suffix",
             ignoreMerges = "ignore_merges"
    }
}

/// Merges are written as `[["a", "b"], ...]` by tokenizers ≥ 0.20 and as `["a b", ...]` before.
enum MergesSpec: Decodable {
    case pairs([[String]])
    case strings([String])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            self = .pairs(try container.decode([[String]].self))
        } catch let pairsError {
            do {
                self = .strings(try container.decode([String].self))
            } catch let stringsError {
                // Report the attempt that got further into the list: it is the form the file meant to use.
                throw Self.progress(stringsError).lexicographicallyPrecedes(Self.progress(pairsError)) ? pairsError : stringsError
            }
        }
    }

    private static func progress(_ error: any Error) -> [Int] {
        let path: [any CodingKey]
        switch error as? DecodingError {
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            path = context.codingPath
        case let .keyNotFound(_, context):
            path = context.codingPath
        default:
            path = []
        }
        return [path.count] + path.compactMap(\.intValue)
    }
}

struct DecoderSpec: Decodable {
    var type: String
}

/// The `added_tokens_decoder` map transformers writes in tokenizer_config.json (and in some added_tokens.json):
/// `{"151643": {"content": "<|endoftext|>", "special": true, ...}}`. Other keys are ignored.
struct AddedTokensDecoderSpec: Decodable {
    var addedTokensDecoder: [String: Flags]?

    struct Flags: Decodable {
        var content: String
        var singleWord: Bool?
        var lstrip: Bool?
        var rstrip: Bool?
        var normalized: Bool?
        var special: Bool?

        enum CodingKeys: String, CodingKey {
            case content, singleWord = "single_word", lstrip, rstrip, normalized, special
        }
    }

    enum CodingKeys: String, CodingKey {
        case addedTokensDecoder = "added_tokens_decoder"
    }
}
