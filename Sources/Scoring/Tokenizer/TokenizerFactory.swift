import Foundation

/// The components of a tokenizer, as tokenizer.json lays them out. The decoder is always ByteLevel and needs
/// nothing beyond the vocabulary, so it is built by `Tokenizer` itself.
struct TokenizerComponents {
    var normalizer: UnicodeNormalizer
    var preTokenizer: Qwen2PreTokenizer
    var model: BPEModel
    var addedTokens: [AddedToken]
}

/// Builds `TokenizerComponents` from Hugging Face files, checking that every component is one this engine
/// implements exactly; anything else is a `TokenizerError` naming the file and key.
enum TokenizerFactory {
    // MARK: tokenizer.json

    static func components(tokenizerJSON url: URL) throws -> TokenizerComponents {
        let file = url.path
        let spec = try decodeJSON(TokenizerFileSpec.self, from: url, providing: "a Hugging Face tokenizer.json")
        let normalizer = try normalizer(spec.normalizer, file: file)
        let preTokenizer = try preTokenizer(spec.preTokenizer, file: file)
        let model = try model(spec.model, file: file)
        try checkDecoder(spec.decoder, file: file)
        let addedTokens = try (spec.addedTokens ?? []).enumerated().compactMap { i, token in
            try addedToken(token, file: file, key: "added_tokens[\(i)]")
        }
        return TokenizerComponents(normalizer: normalizer, preTokenizer: preTokenizer, model: model,
                                   addedTokens: addedTokens)
    }

    static func normalizer(_ spec: NormalizerSpec?, file: String, key: String = "normalizer") throws -> UnicodeNormalizer {
        guard let spec else { return UnicodeNormalizer(form: .none) }
        switch spec.type {
        case "NFC":
            return UnicodeNormalizer(form: .nfc)
        case "Sequence":
            let steps = try (spec.normalizers ?? []).enumerated().map { i, step in
                try normalizer(step, file: file, key: "\(key).normalizers[\(i)]")
            }.filter { $0.form != .none }
            guard steps.count <= 1 else {
                throw TokenizerError.unsupported(file: file, key: "\(key).normalizers", expected: "at most one NFC step",
                                                 found: "\(steps.count) steps")
            }
            return steps.first ?? UnicodeNormalizer(form: .none)
        default:
            throw TokenizerError.unsupported(file: file, key: "\(key).type", expected: "\"NFC\", \"Sequence\" or null",
                                             found: quoted(spec.type))
        }
    }

    static func preTokenizer(_ spec: PreTokenizerSpec?, file: String) throws -> Qwen2PreTokenizer {
        let expected = "Qwen2's Sequence[Split(regex, Isolated), ByteLevel(add_prefix_space: false, use_regex: false)]"
        guard let spec else {
            throw TokenizerError.unsupported(file: file, key: "pre_tokenizer", expected: expected, found: "null")
        }
        guard spec.type == "Sequence" else {
            throw TokenizerError.unsupported(file: file, key: "pre_tokenizer.type", expected: "\"Sequence\"",
                                             found: quoted(spec.type))
        }
        guard let steps = spec.pretokenizers else {
            throw TokenizerError.missingKey(file: file, key: "pre_tokenizer.pretokenizers")
        }
        guard steps.count == 2 else {
            throw TokenizerError.unsupported(file: file, key: "pre_tokenizer.pretokenizers", expected: expected,
                                             found: "[" + steps.map(\.type).joined(separator: ", ") + "]")
        }
        let split = steps[0], byteLevel = steps[1]
        let splitKey = "pre_tokenizer.pretokenizers[0]", byteLevelKey = "pre_tokenizer.pretokenizers[1]"
        guard split.type == "Split" else {
            throw TokenizerError.unsupported(file: file, key: "\(splitKey).type", expected: "\"Split\"",
                                             found: quoted(split.type))
        }
        guard let pattern = split.pattern else {
            throw TokenizerError.missingKey(file: file, key: "\(splitKey).pattern")
        }
        guard pattern.regex == Qwen2PreTokenizer.pattern else {
            throw TokenizerError.unsupported(
                file: file, key: "\(splitKey).pattern.Regex", expected: quoted(Qwen2PreTokenizer.pattern),
                found: pattern.regex.map(quoted) ?? "String pattern \(quoted(pattern.string ?? ""))")
        }
        guard split.behavior == "Isolated" else {
            throw TokenizerError.unsupported(file: file, key: "\(splitKey).behavior", expected: "\"Isolated\"",
                                             found: split.behavior.map(quoted) ?? "null")
        }
        guard split.invert != true else {
            throw TokenizerError.unsupported(file: file, key: "\(splitKey).invert", expected: "false", found: "true")
        }
        guard byteLevel.type == "ByteLevel" else {
            throw TokenizerError.unsupported(file: file, key: "\(byteLevelKey).type", expected: "\"ByteLevel\"",
                                             found: quoted(byteLevel.type))
        }
        // Hugging Face defaults both options to true when absent.
        guard byteLevel.addPrefixSpace == false else {
            throw TokenizerError.unsupported(file: file, key: "\(byteLevelKey).add_prefix_space", expected: "false",
                                             found: byteLevel.addPrefixSpace.map { "\($0)" } ?? "absent (true)")
        }
        guard byteLevel.useRegex == false else {
            throw TokenizerError.unsupported(file: file, key: "\(byteLevelKey).use_regex", expected: "false",
                                             found: byteLevel.useRegex.map { "\($0)" } ?? "absent (true)")
        }
        return Qwen2PreTokenizer()
    }

    static func model(_ spec: ModelSpec, file: String) throws -> BPEModel {
        let type = spec.type ?? (spec.merges != nil ? "BPE" : "null")
        guard type == "BPE" else {
            throw TokenizerError.unsupported(file: file, key: "model.type", expected: "\"BPE\"", found: quoted(type))
        }
        guard let vocab = spec.vocab else { throw TokenizerError.missingKey(file: file, key: "model.vocab") }
        guard let merges = spec.merges else { throw TokenizerError.missingKey(file: file, key: "model.merges") }
        if let dropout = spec.dropout, dropout != 0 {
            throw TokenizerError.unsupported(file: file, key: "model.dropout", expected: "null", found: "\(dropout)")
        }
        if spec.byteFallback == true {
            throw TokenizerError.unsupported(file: file, key: "model.byte_fallback", expected: "false", found: "true")
        }
        for (key, value) in [("continuing_subword_prefix", spec.continuingSubwordPrefix),
                             ("end_of_word_suffix", spec.endOfWordSuffix)] {
            if let value, !value.isEmpty {
                throw TokenizerError.unsupported(file: file, key: "model.\(key)", expected: "\"\" or null",
                                                 found: quoted(value))
            }
        }
        try checkVocab(vocab, file: file, key: "model.vocab")
        var unknownID: Int?
        if let unk = spec.unkToken {
            guard let id = vocab[unk] else {
                throw TokenizerError.invalidValue(file: file, key: "model.unk_token", expected: "a token of model.vocab",
                                                  found: quoted(unk))
            }
            unknownID = id
        }
        let pairs: [(String, String)]
        switch merges {
        case .pairs(let list):
            pairs = try list.enumerated().map { i, pair in
                guard pair.count == 2 else {
                    throw TokenizerError.invalidValue(file: file, key: "model.merges[\(i)]", expected: "a pair [a, b]",
                                                      found: "\(pair.count) strings")
                }
                return (pair[0], pair[1])
            }
        case .strings(let list):
            pairs = try list.enumerated().map { i, line in
                try splitMerge(line, file: file, key: "model.merges[\(i)]")
            }
        }
        let table = try mergeTable(pairs, vocab: vocab, file: file) { "model.merges[\($0)]" }
        return BPEModel(vocab: vocab, merges: table, unknownID: unknownID, ignoreMerges: spec.ignoreMerges ?? false)
    }

    static func checkDecoder(_ spec: DecoderSpec?, file: String) throws {
        guard let spec else {
            throw TokenizerError.unsupported(file: file, key: "decoder", expected: "\"ByteLevel\"", found: "null")
        }
        guard spec.type == "ByteLevel" else {
            throw TokenizerError.unsupported(file: file, key: "decoder.type", expected: "\"ByteLevel\"",
                                             found: quoted(spec.type))
        }
    }

    /// Hugging Face ignores added tokens with empty content; so does this.
    static func addedToken(_ spec: AddedTokenSpec, file: String, key: String) throws -> AddedToken? {
        guard (0...maxTokenID).contains(spec.id) else {
            throw TokenizerError.invalidValue(file: file, key: "\(key).id", expected: "an id between 0 and \(maxTokenID)",
                                              found: "\(spec.id)")
        }
        guard !spec.content.isEmpty else { return nil }
        let special = spec.special ?? false
        return AddedToken(id: spec.id, content: spec.content, singleWord: spec.singleWord ?? false,
                          lstrip: spec.lstrip ?? false, rstrip: spec.rstrip ?? false,
                          normalized: spec.normalized ?? !special, special: special)
    }

    // MARK: vocab.json + merges.txt (+ added tokens)

    /// The slow-tokenizer files, with the Qwen2 pipeline (NFC, Qwen2 split, byte-level BPE). Added tokens come
    /// from each file in `addedTokenFiles` in turn (later files override earlier ones by id).
    static func components(vocab vocabURL: URL, merges mergesURL: URL, addedTokenFiles: [URL]) throws
        -> TokenizerComponents {
        let vocab = try decodeJSON([String: Int].self, from: vocabURL, providing: "the BPE vocabulary (vocab.json)")
        try checkVocab(vocab, file: vocabURL.path, key: "(top level)")
        let pairs = try readMerges(mergesURL)
        let table = try mergeTable(pairs.map { ($0.1, $0.2) }, vocab: vocab, file: mergesURL.path) { "line \(pairs[$0].0)" }
        var addedByID: [Int: AddedToken] = [:]
        for url in addedTokenFiles {
            for token in try readAddedTokens(url) { addedByID[token.id] = token }
        }
        let normalizer = UnicodeNormalizer(form: .nfc)
        return TokenizerComponents(
            normalizer: normalizer, preTokenizer: Qwen2PreTokenizer(),
            model: BPEModel(vocab: vocab, merges: table, unknownID: nil, ignoreMerges: false),
            addedTokens: addedByID.values.sorted { $0.id < $1.id })
    }

    /// merges.txt: one "a b" pair per line, after an optional "#version" line. Returns (line number, a, b).
    static func readMerges(_ url: URL) throws -> [(Int, String, String)] {
        let data = try read(url, providing: "the BPE merges (merges.txt)")
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.unreadableFile(file: url.path, reason: "not valid UTF-8")
        }
        var pairs: [(Int, String, String)] = []
        for (i, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty || line.hasPrefix("#version") { continue }
            let (a, b) = try splitMerge(String(line), file: url.path, key: "line \(i + 1)")
            pairs.append((i + 1, a, b))
        }
        return pairs
    }

    /// added_tokens.json or tokenizer_config.json: the `added_tokens_decoder` map when present, else (for
    /// added_tokens.json) the flat content → id map.
    static func readAddedTokens(_ url: URL) throws -> [AddedToken] {
        let file = url.path
        let data = try read(url, providing: "added tokens")
        let decoder = JSONDecoder()
        let withDecoder: AddedTokensDecoderSpec
        do { withDecoder = try decoder.decode(AddedTokensDecoderSpec.self, from: data) } catch {
            throw TokenizerError.decoding(error, file: file)
        }
        var specs: [(String, AddedTokenSpec)] = []
        if let entries = withDecoder.addedTokensDecoder {
            for (key, flags) in entries {
                guard let id = Int(key) else {
                    throw TokenizerError.invalidValue(file: file, key: "added_tokens_decoder", expected: "integer ids as keys",
                                                      found: quoted(key))
                }
                specs.append(("added_tokens_decoder.\(key)", AddedTokenSpec(
                    id: id, content: flags.content, singleWord: flags.singleWord, lstrip: flags.lstrip,
                    rstrip: flags.rstrip, normalized: flags.normalized, special: flags.special)))
            }
        } else if url.lastPathComponent != "tokenizer_config.json" {
            // The flat form carries no flags; its tokens are control tokens such as <|endoftext|>, so they are
            // taken as special and matched verbatim.
            let flat: [String: Int]
            do { flat = try decoder.decode([String: Int].self, from: data) } catch {
                throw TokenizerError.decoding(error, file: file)
            }
            for (content, id) in flat {
                specs.append((content, AddedTokenSpec(id: id, content: content, singleWord: false, lstrip: false,
                                                      rstrip: false, normalized: false, special: true)))
            }
        }
        return try specs.compactMap { key, spec in try addedToken(spec, file: file, key: key) }.sorted { $0.id < $1.id }
    }

    // MARK: Shared

    static func read(_ url: URL, providing what: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TokenizerError.missingFile(file: url.path, expected: what)
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(file: url.path, reason: error.localizedDescription)
        }
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, from url: URL, providing what: String) throws -> T {
        let data = try read(url, providing: what)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw TokenizerError.decoding(error, file: url.path)
        }
    }

    /// Tables are indexed by id, so a wild id in a damaged file must be an error rather than a huge allocation.
    static let maxTokenID = (1 << 24) - 1

    /// Ids must be in range and distinct, so that every id names one token.
    static func checkVocab(_ vocab: [String: Int], file: String, key: String) throws {
        var tokenByID: [Int: String] = [:]
        tokenByID.reserveCapacity(vocab.count)
        for (token, id) in vocab {
            guard (0...maxTokenID).contains(id) else {
                throw TokenizerError.invalidValue(file: file, key: "\(key)[\(quoted(token))]",
                                                  expected: "an id between 0 and \(maxTokenID)", found: "\(id)")
            }
            if let other = tokenByID.updateValue(token, forKey: id) {
                throw TokenizerError.invalidValue(file: file, key: key, expected: "distinct ids",
                                                  found: "\(quoted(other)) and \(quoted(token)) both have id \(id)")
            }
        }
    }

    /// The legacy "a b" merge form: exactly one space (tokens are byte-level, so they contain none).
    static func splitMerge(_ line: String, file: String, key: String) throws -> (String, String) {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw TokenizerError.invalidValue(file: file, key: key, expected: "two tokens separated by one space",
                                              found: quoted(line))
        }
        return (String(parts[0]), String(parts[1]))
    }

    static func mergeTable(_ pairs: [(String, String)], vocab: [String: Int], file: String,
                           key: (Int) -> String) throws -> MergeTable {
        var merges: [MergeTable.Merge] = []
        merges.reserveCapacity(pairs.count)
        for (i, (a, b)) in pairs.enumerated() {
            guard let left = vocab[a] else { throw TokenizerError.unknownMergeToken(file: file, key: key(i), token: a) }
            guard let right = vocab[b] else { throw TokenizerError.unknownMergeToken(file: file, key: key(i), token: b) }
            guard let merged = vocab[a + b] else {
                throw TokenizerError.unknownMergeToken(file: file, key: key(i), token: a + b)
            }
            merges.append(.init(left: Int32(left), right: Int32(right), merged: Int32(merged)))
        }
        return MergeTable(merges)
    }
}
