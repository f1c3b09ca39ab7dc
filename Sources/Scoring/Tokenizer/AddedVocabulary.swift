import Foundation

/// One entry of tokenizer.json `added_tokens`.
struct AddedToken: Sendable, Equatable {
    var id: Int
    var content: String
    /// Match only when not inside a word (\w on neither side).
    var singleWord = false
    /// Absorb the whitespace to the left / right of a match into the token.
    var lstrip = false
    var rstrip = false
    /// Match against the normalised text rather than the raw input.
    var normalized = false
    /// Special tokens can be skipped when decoding and left unparsed when encoding.
    var special = false
}

/// tokenizer.json `added_tokens`: tokens found in the text verbatim before anything else runs, following
/// Hugging Face's `AddedVocabulary::find_matches` (leftmost-longest matching, then the single_word, lstrip and
/// rstrip rules). Tokens with `normalized: false` are matched in the raw text, the others in the normalised text.
struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    let idsByContent: [String: Int]
    let raw: Matcher
    let normalized: Matcher

    init(_ tokens: [AddedToken], normalizer: UnicodeNormalizer) {
        self.tokens = tokens
        var ids: [String: Int] = [:]
        for t in tokens { ids[t.content] = t.id }
        idsByContent = ids
        raw = Matcher(tokens.filter { !$0.normalized }.map { (Array($0.content.utf8), $0) })
        normalized = Matcher(tokens.filter(\.normalized).map { (Array(normalizer.normalize($0.content).utf8), $0) })
    }

    enum Segment {
        case text(Range<Int>)
        case token(Int)
    }

    /// Splits `text` into added tokens and the text between them. With `skipSpecial`, special tokens are left in
    /// the text (Hugging Face's `encode_special_tokens`); non-special added tokens are still split out.
    func split(_ text: UnsafeBufferPointer<UInt8>, using matcher: Matcher, skipSpecial: Bool,
               _ body: (Segment) -> Void) {
        if matcher.isEmpty {
            if !text.isEmpty { body(.text(0..<text.count)) }
            return
        }
        var offset = 0   // end of the last segment emitted
        var search = 0   // where the next match may start
        while let (start0, end0, token) = matcher.firstMatch(in: text, from: search) {
            search = end0
            var start = start0, end = end0
            if skipSpecial && token.special { continue }
            if token.singleWord {
                let before = start == 0 || !isWordScalar(lastScalar(text, before: start))
                let after = end == text.count || !isWordScalar(decodeScalar(text, at: end).value)
                if !before || !after { continue }
            }
            if token.lstrip {
                var s = start
                while s > 0 {
                    let previous = scalarStart(text, before: s)
                    guard isWhitespace(decodeScalar(text, at: previous).value) else { break }
                    s = previous
                }
                start = max(s, offset)
            }
            if token.rstrip {
                while end < text.count {
                    let (c, l) = decodeScalar(text, at: end)
                    guard isWhitespace(c) else { break }
                    end += l
                }
            }
            start = max(start, offset)  // a previous rstrip may already have taken this text
            if offset < start { body(.text(offset..<start)) }
            body(.token(token.id))
            offset = end
            search = max(search, end)
        }
        if offset < text.count { body(.text(offset..<text.count)) }
    }

    /// Leftmost-longest matching of a few literal patterns: candidates are bucketed by first byte, longest first.
    struct Matcher: Sendable {
        private let buckets: [[(bytes: [UInt8], token: AddedToken)]]  // [256]
        private let startsPattern: [Bool]  // [256]
        let isEmpty: Bool

        init(_ patterns: [([UInt8], AddedToken)]) {
            var buckets = [[(bytes: [UInt8], token: AddedToken)]](repeating: [], count: 256)
            for (bytes, token) in patterns where !bytes.isEmpty { buckets[Int(bytes[0])].append((bytes, token)) }
            for i in buckets.indices { buckets[i].sort { $0.bytes.count > $1.bytes.count } }
            self.buckets = buckets
            startsPattern = buckets.map { !$0.isEmpty }
            isEmpty = patterns.allSatisfy { $0.0.isEmpty }
        }

        func firstMatch(in text: UnsafeBufferPointer<UInt8>, from start: Int) -> (Int, Int, AddedToken)? {
            var i = start
            while i < text.count {
                if !startsPattern[Int(text[i])] { i += 1; continue }
                for candidate in buckets[Int(text[i])] where candidate.bytes.count <= text.count - i {
                    if candidate.bytes.withUnsafeBufferPointer({ p in
                        memcmp(p.baseAddress!, text.baseAddress! + i, p.count) == 0
                    }) {
                        return (i, i + candidate.bytes.count, candidate.token)
                    }
                }
                i += 1
            }
            return nil
        }
    }
}

/// Rust regex's Unicode `\w`: Alphabetic, marks, decimal digits, connector punctuation, Join_Control.
private func isWordScalar(_ value: UInt32) -> Bool {
    guard let s = Unicode.Scalar(value) else { return false }
    let p = s.properties
    if p.isAlphabetic || p.isJoinControl { return true }
    switch p.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
    default: return false
    }
}

private func isWhitespace(_ value: UInt32) -> Bool {
    ScalarClass.table[value] & ScalarClass.whitespace != 0
}

/// Start of the scalar that ends just before byte `i`.
private func scalarStart(_ text: UnsafeBufferPointer<UInt8>, before i: Int) -> Int {
    var s = i - 1
    while s > 0 && text[s] & 0xC0 == 0x80 { s -= 1 }
    return s
}

private func lastScalar(_ text: UnsafeBufferPointer<UInt8>, before i: Int) -> UInt32 {
    decodeScalar(text, at: scalarStart(text, before: i)).value
}
