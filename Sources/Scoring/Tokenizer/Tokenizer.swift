import Foundation

/// A Qwen2 byte-level BPE tokenizer that gives the ids Hugging Face `tokenizers` gives for
/// `encode(text, add_special_tokens=False)`.
///
/// The pipeline follows tokenizer.json: added tokens are split out of the raw text first; the text between them
/// is normalised (NFC), split into pieces by the Qwen2 regex, and each piece is BPE-encoded over its UTF-8 bytes.
/// Decoding maps ids back to bytes and the bytes to text. Thread-safe; the BPE word cache is shared.
public final class Tokenizer: Sendable {
    let normalizer: UnicodeNormalizer
    let preTokenizer: Qwen2PreTokenizer
    let model: BPEModel
    let addedVocabulary: AddedVocabulary
    let decoder: ByteLevelDecoder
    private let isSpecial: [Bool]  // [vocabularySize]

    /// Largest id + 1, counting added tokens. Ids below it that name no token decode to nothing.
    public let vocabularySize: Int
    /// Ids of added tokens marked special (`<|im_start|>`, …); `decode` can skip them.
    public let specialTokenIDs: Set<Int>
    /// Ids that end a generation: `<|endoftext|>` and `<|im_end|>`, where the vocabulary has them.
    public let eosTokenIDs: Set<Int>

    init(_ components: TokenizerComponents) {
        normalizer = components.normalizer
        preTokenizer = components.preTokenizer
        model = components.model
        let added = AddedVocabulary(components.addedTokens, normalizer: components.normalizer)
        addedVocabulary = added

        let size = max(model.vocab.values.max() ?? -1, components.addedTokens.map(\.id).max() ?? -1) + 1
        var bytes = [[UInt8]](repeating: [], count: size)
        for (token, id) in model.vocab { bytes[id] = ByteLevel.decode(token) ?? Array(token.utf8) }
        var special = [Bool](repeating: false, count: size)
        for token in components.addedTokens {
            bytes[token.id] = Array(token.content.utf8)
            special[token.id] = token.special
        }
        vocabularySize = size
        decoder = ByteLevelDecoder(tokenBytes: bytes)
        isSpecial = special
        specialTokenIDs = Set(components.addedTokens.filter(\.special).map(\.id))
        let vocab = components.model.vocab
        let eos = ["<|endoftext|>", "<|im_end|>"].compactMap { added.idsByContent[$0] ?? vocab[$0] }
        eosTokenIDs = Set(eos)
    }

    /// Loads tokenizer.json from `directory` if present, else vocab.json + merges.txt with the Qwen2 pipeline
    /// and the added tokens of added_tokens.json and tokenizer_config.json (`added_tokens_decoder`), if present.
    public static func load(directory: URL) throws -> Tokenizer {
        let file = { (name: String) in directory.appendingPathComponent(name) }
        let exists = { (url: URL) in FileManager.default.fileExists(atPath: url.path) }
        if exists(file("tokenizer.json")) { return try Tokenizer(tokenizerJSON: file("tokenizer.json")) }
        guard exists(file("vocab.json")) || exists(file("merges.txt")) else {
            throw TokenizerError.missingFile(file: file("tokenizer.json").path,
                                             expected: "tokenizer.json, or vocab.json and merges.txt, in \(directory.path)")
        }
        let addedTokenFiles = [file("added_tokens.json"), file("tokenizer_config.json")].filter(exists)
        return Tokenizer(try TokenizerFactory.components(vocab: file("vocab.json"), merges: file("merges.txt"),
                                                         addedTokenFiles: addedTokenFiles))
    }

    /// Loads a Hugging Face tokenizer.json.
    public convenience init(tokenizerJSON: URL) throws {
        self.init(try TokenizerFactory.components(tokenizerJSON: tokenizerJSON))
    }

    /// Loads the slow-tokenizer files with the Qwen2 pipeline. `addedTokens` is an added_tokens.json (flat
    /// content → id, or an `added_tokens_decoder` map) or a tokenizer_config.json.
    public convenience init(vocab: URL, merges: URL, addedTokens: URL?) throws {
        self.init(try TokenizerFactory.components(vocab: vocab, merges: merges,
                                                  addedTokenFiles: addedTokens.map { [$0] } ?? []))
    }

    // MARK: Encoding

    /// The ids of `text`, without any BOS/EOS. With `parseSpecialTokens` false, special tokens written in the
    /// text are encoded as ordinary text (non-special added tokens such as `<tool_call>` are still recognised,
    /// as in Hugging Face's `encode_special_tokens`).
    public func encode(_ text: String, parseSpecialTokens: Bool = true) -> [Int] {
        var text = text
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 2 + 1)
        let workspace = BPEWorkspace()
        let skipSpecial = !parseSpecialTokens
        text.withUTF8 { raw in
            addedVocabulary.split(raw, using: addedVocabulary.raw, skipSpecial: skipSpecial) { segment in
                switch segment {
                case .token(let id):
                    ids.append(id)
                case .text(let range):
                    encodeNormalizing(UnsafeBufferPointer(rebasing: raw[range]), skipSpecial, &ids, workspace)
                }
            }
        }
        return ids
    }

    private func encodeNormalizing(_ text: UnsafeBufferPointer<UInt8>, _ skipSpecial: Bool, _ ids: inout [Int],
                                   _ workspace: BPEWorkspace) {
        guard let normalized = normalizer.normalize(text) else {
            return encodeNormalized(text, skipSpecial, &ids, workspace)
        }
        normalized.withUnsafeBufferPointer { encodeNormalized($0, skipSpecial, &ids, workspace) }
    }

    private func encodeNormalized(_ text: UnsafeBufferPointer<UInt8>, _ skipSpecial: Bool, _ ids: inout [Int],
                                  _ workspace: BPEWorkspace) {
        addedVocabulary.split(text, using: addedVocabulary.normalized, skipSpecial: skipSpecial) { segment in
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                let part = UnsafeBufferPointer(rebasing: text[range])
                preTokenizer.forEachPiece(part) { start, end in
                    model.encode(UnsafeBufferPointer(rebasing: part[start..<end]), into: &ids, workspace)
                }
            }
        }
    }

    // MARK: Decoding and the vocabulary

    /// The text of `ids`. Invalid UTF-8 (a multi-byte character cut between ids) becomes U+FFFD; ids that name
    /// no token are ignored, as in Hugging Face.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        decoder.decode(ids) { skipSpecialTokens && isSpecial[$0] }
    }

    /// The bytes token `id` stands for (for added tokens, the UTF-8 of their content); empty for unknown ids.
    public func tokenBytes(_ id: Int) -> [UInt8] {
        id >= 0 && id < vocabularySize ? decoder.tokenBytes[id] : []
    }

    /// `tokenBytes` for every id below `vocabularySize`, for grammar-constrained decoding.
    public var allTokenBytes: [[UInt8]] { decoder.tokenBytes }

    /// The id of a token given as written in the vocabulary (byte-level form such as "Ġthe") or an added
    /// token's content.
    public func tokenID(_ token: String) -> Int? {
        addedVocabulary.idsByContent[token] ?? model.vocab[token]
    }
}
