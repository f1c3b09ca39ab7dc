import Foundation
import Scoring

/// A vocabulary learned by `BPETrainer`, written as Hugging Face tokenizer files with Qwen2's layout: tokenizer.json
/// (NFC normaliser, Qwen2 split + ByteLevel pre-tokenizer, ByteLevel post-processor and decoder, BPE model with
/// `vocab` and `merges` as pairs, special tokens as `added_tokens`) and tokenizer_config.json (for transformers:
/// EOS, padding, chat template, added tokens). `Tokenizer.load(directory:)`, Hugging Face `tokenizers` and
/// transformers' `AutoTokenizer` all read them. The same vocabulary always gives the same bytes.
public struct TrainedTokenizer: Sendable, Equatable {
    public struct Merge: Sendable, Equatable, CustomStringConvertible {
        public let left: String
        public let right: String

        public init(left: String, right: String) {
            self.left = left
            self.right = right
        }

        public var description: String { "\(left) \(right)" }
    }

    /// What the training texts come to under the learned vocabulary.
    public struct Statistics: Sendable, Equatable {
        public let texts: Int
        /// Unicode scalars, before normalisation.
        public let characters: Int
        /// Distinct pre-tokenized pieces.
        public let distinctWords: Int
        /// Tokens the texts encode to (special-token text counts as one token).
        public let tokens: Int

        public var charactersPerToken: Double { tokens > 0 ? Double(characters) / Double(tokens) : 0 }
    }

    /// The learned vocabulary as byte-level text (`Ġ` is a space), by id: the 256 bytes, then one token per merge
    /// that formed a new string.
    public let tokens: [String]
    /// The merges in the order they were learned (their rank).
    public let merges: [Merge]
    /// Added after `tokens`: special token i has id `tokens.count + i`.
    public let specialTokens: [String]
    public let statistics: Statistics

    // tokenizer_config.json
    /// Ends a turn or a generation; nil when it is not one of `specialTokens`.
    public var eosToken: String?
    public var padToken: String?
    /// Jinja chat template; Qwen2.5's ChatML template by default.
    public var chatTemplate: String? = ChatTemplates.qwen25ChatML
    /// The longest input transformers accepts without a warning.
    public var modelMaxLength = 131_072

    public init(tokens: [String], merges: [Merge], specialTokens: [String], statistics: Statistics) {
        self.tokens = tokens
        self.merges = merges
        self.specialTokens = specialTokens
        self.statistics = statistics
        eosToken = specialTokens.contains("<|im_end|>") ? "<|im_end|>" : nil
        padToken = specialTokens.contains("<|endoftext|>") ? "<|endoftext|>" : nil
    }

    /// Tokens including the special ones: the size of a model's embedding table for this tokenizer.
    public var vocabularySize: Int { tokens.count + specialTokens.count }

    /// The id of a special token.
    public func specialTokenID(_ token: String) -> Int? {
        specialTokens.firstIndex(of: token).map { tokens.count + $0 }
    }

    // MARK: Files

    public static let tokenizerFileName = "tokenizer.json"
    public static let configFileName = "tokenizer_config.json"

    /// Writes tokenizer.json and tokenizer_config.json into `directory` (created if needed); returns their URLs.
    @discardableResult
    public func write(to directory: URL) throws -> [URL] {
        let config = try tokenizerConfigJSON()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files = [(Self.tokenizerFileName, tokenizerJSON()), (Self.configFileName, config)]
        return try files.map { name, data in
            let url = directory.appendingPathComponent(name)
            try data.write(to: url, options: .atomic)
            return url
        }
    }

    /// tokenizer.json as the Rust library writes it (`Tokenizer.save(pretty=True)`), without a final newline.
    public func tokenizerJSON() -> Data {
        let addedTokens: [PrettyJSON] = specialTokens.enumerated().map { i, content in
            .object([("id", .int(tokens.count + i)), ("content", .string(content)), ("single_word", .bool(false)),
                     ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)),
                     ("special", .bool(true))])
        }
        let byteLevel = { (prefix: Bool, trim: Bool, regex: Bool) -> PrettyJSON in
            .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(prefix)), ("trim_offsets", .bool(trim)),
                     ("use_regex", .bool(regex))])
        }
        let preTokenizer = PrettyJSON.object([
            ("type", .string("Sequence")),
            ("pretokenizers", .array([
                .object([("type", .string("Split")), ("pattern", .object([("Regex", .string(Qwen2PreTokenizer.pattern))])),
                         ("behavior", .string("Isolated")), ("invert", .bool(false))]),
                byteLevel(false, false, false),
            ])),
        ])
        let model = PrettyJSON.object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null),
            ("continuing_subword_prefix", .string("")), ("end_of_word_suffix", .string("")),
            ("fuse_unk", .bool(false)), ("byte_fallback", .bool(false)), ("ignore_merges", .bool(false)),
            ("vocab", .object(tokens.enumerated().map { ($1, .int($0)) })),
            ("merges", .array(merges.map { .array([.string($0.left), .string($0.right)]) })),
        ])
        let file = PrettyJSON.object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null),
            ("added_tokens", .array(addedTokens)),
            ("normalizer", .object([("type", .string("NFC"))])),
            ("pre_tokenizer", preTokenizer),
            ("post_processor", byteLevel(false, false, false)),
            ("decoder", byteLevel(true, true, true)),
            ("model", model),
        ])
        return Data(file.text.utf8)
    }

    /// tokenizer_config.json for transformers (keys sorted, as `save_pretrained` writes them). Throws when the EOS
    /// or pad token is not one of `specialTokens`.
    public func tokenizerConfigJSON() throws(TokenizerTrainingError) -> Data {
        for (role, token) in [("EOS", eosToken), ("pad", padToken)] {
            if let token, !specialTokens.contains(token) {
                throw .invalidSpecialToken(token: token, reason: "the \(role) token must be one of the special tokens "
                                           + specialTokens.map { "\"\($0)\"" }.joined(separator: ", "))
            }
        }
        let optional = { (token: String?) -> PrettyJSON in token.map(PrettyJSON.string) ?? .null }
        let decoder: [(String, PrettyJSON)] = specialTokens.enumerated().map { i, content in
            (String(tokens.count + i), .object([
                ("content", .string(content)), ("lstrip", .bool(false)), ("normalized", .bool(false)),
                ("rstrip", .bool(false)), ("single_word", .bool(false)), ("special", .bool(true)),
            ]))
        }
        var members: [(String, PrettyJSON)] = [
            ("add_bos_token", .bool(false)),
            ("add_prefix_space", .bool(false)),
            ("added_tokens_decoder", .object(decoder)),
            ("additional_special_tokens", .array(specialTokens.filter { $0 != padToken }.map(PrettyJSON.string))),
            ("bos_token", .null),
            ("clean_up_tokenization_spaces", .bool(false)),
            ("eos_token", optional(eosToken)),
            ("errors", .string("replace")),
            ("model_max_length", .int(modelMaxLength)),
            ("pad_token", optional(padToken)),
            ("split_special_tokens", .bool(false)),
            ("tokenizer_class", .string("Qwen2Tokenizer")),
            ("unk_token", .null),
        ]
        if let chatTemplate { members.append(("chat_template", .string(chatTemplate))) }
        members.sort { $0.0 < $1.0 }
        return Data((PrettyJSON.object(members).text + "\n").utf8)
    }
}
