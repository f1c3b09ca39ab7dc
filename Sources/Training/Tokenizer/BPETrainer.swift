import Foundation
import Scoring

/// Settings of `BPETrainer`.
public struct BPETrainerConfiguration: Sendable, Equatable {
    /// Qwen2's first three added tokens, in Qwen2's order.
    public static let qwen2SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

    /// Tokens in the finished vocabulary, counting the 256 byte tokens and the special tokens.
    public var vocabularySize: Int
    /// Pairs that occur fewer times than this are never merged (training then stops short of `vocabularySize`).
    public var minFrequency: Int
    /// Added after the learned vocabulary, in this order, as special added tokens. Where their text appears in a
    /// training text it is cut out (encoding turns it into the special token, never into merges).
    public var specialTokens: [String]

    public init(vocabularySize: Int, minFrequency: Int = 2, specialTokens: [String] = qwen2SpecialTokens) {
        self.vocabularySize = vocabularySize
        self.minFrequency = minFrequency
        self.specialTokens = specialTokens
    }

    /// The smallest vocabulary that holds every byte and the special tokens.
    public var minimumVocabularySize: Int { 256 + specialTokens.count }

    func validate() throws(TokenizerTrainingError) {
        var seen = Set<String>()
        for token in specialTokens {
            guard !token.isEmpty else { throw .invalidSpecialToken(token: token, reason: "a special token cannot be empty") }
            guard seen.insert(token).inserted else {
                throw .invalidSpecialToken(token: token, reason: "listed twice; list each special token once")
            }
        }
        guard vocabularySize >= minimumVocabularySize else {
            throw .vocabularyTooSmall(requested: vocabularySize, minimum: minimumVocabularySize,
                                      specialTokens: specialTokens.count)
        }
        guard minFrequency >= 1 else { throw .invalidMinFrequency(minFrequency) }
    }
}

/// Trains a byte-level BPE the way Qwen2's (GPT-2's) vocabulary was built, with the pipeline `Tokenizer` encodes
/// with: each text is NFC-normalised, split by the Qwen2 pre-tokenizer regex, and each piece counted as a word of
/// bytes. The vocabulary starts from all 256 bytes (so any text encodes) and repeatedly merges the most frequent
/// adjacent pair, summed over all words, until it reaches the requested size or no pair occurs `minFrequency`
/// times; ties go to the pair of earlier-learned tokens (lower ids), as in Hugging Face's `BpeTrainer`. Special
/// tokens follow the learned vocabulary.
///
///     var trainer = try BPETrainer(BPETrainerConfiguration(vocabularySize: 12_000))
///     for text in texts { trainer.add(text) }
///     try trainer.train().write(to: folder)
///
/// The result depends only on the multiset of texts and the settings: the same input gives the same bytes.
public struct BPETrainer: Sendable {
    public let configuration: BPETrainerConfiguration

    private let normalizer = UnicodeNormalizer(form: .nfc)
    private let preTokenizer = Qwen2PreTokenizer()
    private let specials: [[UInt8]]
    private var startsSpecial = [Bool](repeating: false, count: 256)

    /// Distinct words (pre-tokenized pieces, UTF-8) in first-seen order, and how often each occurs.
    private var wordIDs: [[UInt8]: Int] = [:]
    private var words: [[UInt8]] = []
    private var wordCounts: [Int] = []

    /// Texts added so far.
    public private(set) var textCount = 0
    /// Unicode scalars in the texts added so far (before normalisation).
    public private(set) var characterCount = 0
    /// Special-token occurrences cut out of the texts.
    public private(set) var specialTokenCount = 0
    /// Pre-tokenized pieces counted, with repeats.
    public private(set) var pieceCount = 0
    /// Distinct pieces counted.
    public var distinctWordCount: Int { words.count }

    public init(_ configuration: BPETrainerConfiguration) throws(TokenizerTrainingError) {
        try configuration.validate()
        self.configuration = configuration
        // Longest first, so that of two tokens starting at the same place the longer one is cut out.
        specials = configuration.specialTokens.map { Array($0.utf8) }.sorted { $0.count > $1.count }
        for token in specials { startsSpecial[Int(token[0])] = true }
    }

    // MARK: Counting

    /// Counts the words of one text.
    public mutating func add(_ text: String) {
        var text = text
        textCount += 1
        text.withUTF8 { bytes in
            for b in bytes where b & 0xC0 != 0x80 { characterCount += 1 }
            var segmentStart = 0
            var i = 0
            while i < bytes.count {
                if startsSpecial[Int(bytes[i])], let length = special(at: i, in: bytes) {
                    countWords(UnsafeBufferPointer(rebasing: bytes[segmentStart..<i]))
                    specialTokenCount += 1
                    i += length
                    segmentStart = i
                } else {
                    i += 1
                }
            }
            countWords(UnsafeBufferPointer(rebasing: bytes[segmentStart..<bytes.count]))
        }
    }

    public mutating func add<S: Sequence>(contentsOf texts: S) where S.Element == String {
        for text in texts { add(text) }
    }

    /// The length of the special token that starts at `i`, if any.
    private func special(at i: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        for token in specials where i + token.count <= bytes.count {
            if token.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress! + i, token.count) == 0 }) {
                return token.count
            }
        }
        return nil
    }

    private mutating func countWords(_ segment: UnsafeBufferPointer<UInt8>) {
        guard !segment.isEmpty else { return }
        if let normalized = normalizer.normalize(segment) {
            normalized.withUnsafeBufferPointer { countPieces($0) }
        } else {
            countPieces(segment)
        }
    }

    private mutating func countPieces(_ text: UnsafeBufferPointer<UInt8>) {
        preTokenizer.forEachPiece(text) { start, end in
            let word = Array(text[start..<end])
            pieceCount += 1
            if let id = wordIDs[word] {
                wordCounts[id] += 1
            } else {
                wordIDs[word] = words.count
                words.append(word)
                wordCounts.append(1)
            }
        }
    }

    // MARK: Training

    /// Learns the merges. `progress` is called after each merge that adds a token, with (tokens learned so far,
    /// tokens to learn).
    /// Throws `noText` when the texts hold no word at all.
    public func train(progress: (_ learned: Int, _ target: Int) -> Void = { _, _ in })
        throws(TokenizerTrainingError) -> TrainedTokenizer {
        guard !words.isEmpty else { throw .noText }
        let position = ByteLevelAlphabet.position
        var state = BPEMergeState(words: words.map { $0.map { position[Int($0)] } }, counts: wordCounts)
        let target = configuration.vocabularySize - configuration.specialTokens.count
        state.run(vocabularySize: target, minFrequency: configuration.minFrequency) { progress($0 - 256, target - 256) }
        let tokens = state.tokens.map(ByteLevelAlphabet.string)
        let merges = state.merges.map { key in
            TrainedTokenizer.Merge(left: tokens[Int(BPEPairTable.left(key))], right: tokens[Int(BPEPairTable.right(key))])
        }
        return TrainedTokenizer(
            tokens: tokens, merges: merges, specialTokens: configuration.specialTokens,
            statistics: .init(texts: textCount, characters: characterCount, distinctWords: words.count,
                              tokens: state.tokenCount + specialTokenCount))
    }
}

/// GPT-2's byte-level alphabet (`Scoring.ByteLevel`) in the order of its characters' code points: printable
/// Latin-1 bytes first, then the shifted ones. BPE vocabularies list the 256 byte tokens in this order.
enum ByteLevelAlphabet {
    /// `position[b]`: where byte `b`'s character comes in code-point order.
    static let position: [UInt8] = {
        let order = (0..<256).sorted { ByteLevel.characters[$0].unicodeScalars.first!.value
            < ByteLevel.characters[$1].unicodeScalars.first!.value }
        var position = [UInt8](repeating: 0, count: 256)
        for (p, b) in order.enumerated() { position[b] = UInt8(p) }
        return position
    }()

    /// The character at each position.
    static let characters: [Character] = {
        var characters = [Character](repeating: " ", count: 256)
        for b in 0..<256 { characters[Int(position[b])] = ByteLevel.characters[b] }
        return characters
    }()

    /// The byte-level text of a token given as positions.
    static func string(_ positions: [UInt8]) -> String {
        String(positions.map { characters[Int($0)] })
    }
}
