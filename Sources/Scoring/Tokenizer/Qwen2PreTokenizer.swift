/// tokenizer.json `pre_tokenizer`: Qwen2's `Sequence[Split(regex, Isolated), ByteLevel(use_regex: false)]`.
///
/// The Split regex is matched by hand rather than by a regex engine (it is the hot loop of encoding):
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// Every character matches one of the alternatives, so the text splits into consecutive matches with no gaps
/// and "Isolated" just means each match is a piece. `\s` is Unicode White_Space (as in Oniguruma, which
/// Hugging Face tokenizers uses). The ByteLevel step that follows only maps bytes to printable characters; the
/// BPE model works on the raw bytes directly, so it needs no code here.
public struct Qwen2PreTokenizer: Sendable {
    /// The Split regex as tokenizer.json writes it.
    public static let pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    public init() {}

    /// Calls `body` with the byte range of each piece of `text` (UTF-8), in order.
    @inline(__always)
    public func forEachPiece(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        let classes = ScalarClass.table
        var i = 0
        while i < text.count {
            let end = pieceEnd(text, from: i, classes)
            body(i, end)
            i = end
        }
    }

    /// The end of the regex match that starts at `i`: the first alternative that matches wins.
    @inline(__always)
    private func pieceEnd(_ text: UnsafeBufferPointer<UInt8>, from i: Int, _ classes: ScalarClass.Table) -> Int {
        let n = text.count
        let (c0, l0) = decodeScalar(text, at: i)
        let k0 = classes[c0]
        let j = i + l0

        // (?i:'s|'t|'re|'ve|'m|'ll|'d) — ASCII letters only: Oniguruma does not fold ſ to s here.
        if c0 == 0x27, j < n {
            switch text[j] | 0x20 {
            case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
                return j + 1
            case UInt8(ascii: "r"), UInt8(ascii: "v"):
                if j + 1 < n, text[j + 1] | 0x20 == UInt8(ascii: "e") { return j + 2 }
            case UInt8(ascii: "l"):
                if j + 1 < n, text[j + 1] | 0x20 == UInt8(ascii: "l") { return j + 2 }
            default:
                break
            }
        }

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if k0 & ScalarClass.letter != 0 { return run(text, from: j, while: ScalarClass.letter, classes) }
        if k0 & (ScalarClass.number | ScalarClass.newline) == 0, j < n {
            let (c1, l1) = decodeScalar(text, at: j)
            if classes[c1] & ScalarClass.letter != 0 {
                return run(text, from: j + l1, while: ScalarClass.letter, classes)
            }
        }

        // \p{N}
        if k0 & ScalarClass.number != 0 { return j }

        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        let word = ScalarClass.letter | ScalarClass.number | ScalarClass.whitespace
        var start = -1
        if k0 & word == 0 {
            start = i
        } else if c0 == 0x20, j < n, classes[decodeScalar(text, at: j).value] & word == 0 {
            start = j
        }
        if start >= 0 {
            var e = start
            while e < n {
                let (c, l) = decodeScalar(text, at: e)
                if classes[c] & word != 0 { break }
                e += l
            }
            while e < n, text[e] == 0x0A || text[e] == 0x0D { e += 1 }
            return e
        }

        // Only whitespace is left: c0 is White_Space. Scan the whole run once.
        var e = i
        var lastNewline = -1
        var lastStart = i
        var count = 0
        while e < n {
            let (c, l) = decodeScalar(text, at: e)
            if classes[c] & ScalarClass.whitespace == 0 { break }
            if c == 0x0A || c == 0x0D { lastNewline = e }
            lastStart = e
            count += 1
            e += l
        }
        // \s*[\r\n]+ — backtracking \s* stops at the run's last CR/LF, and [\r\n]+ takes just that one.
        if lastNewline >= 0 { return lastNewline + 1 }
        // \s+(?!\S) — at the end of text the whole run; before a non-space it gives back its last character.
        if e == n { return n }
        if count >= 2 { return lastStart }
        // \s+
        return e
    }

    @inline(__always)
    private func run(_ text: UnsafeBufferPointer<UInt8>, from start: Int, while mask: UInt8,
                     _ classes: ScalarClass.Table) -> Int {
        var e = start
        while e < text.count {
            let (c, l) = decodeScalar(text, at: e)
            if classes[c] & mask == 0 { break }
            e += l
        }
        return e
    }
}

/// The Unicode properties the Qwen2 regex asks about, as bit flags per scalar.
enum ScalarClass {
    static let letter: UInt8 = 1      // \p{L}: Lu Ll Lt Lm Lo
    static let number: UInt8 = 2      // \p{N}: Nd Nl No
    static let whitespace: UInt8 = 4  // \s: White_Space
    static let newline: UInt8 = 8     // \r or \n
    static let unicodeVersion = (16, 0)

    static func compute(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return 0 }
        // Hugging Face tokenizers 0.23 matches with Oniguruma's Unicode 16.0 tables, where characters assigned
        // later are unassigned: neither letter, number nor space. Checked code point by code point.
        if let age = scalar.properties.age, (age.major, age.minor) > Self.unicodeVersion { return 0 }
        var flags: UInt8 = 0
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            flags |= letter
        case .decimalNumber, .letterNumber, .otherNumber:
            flags |= number
        default:
            break
        }
        if scalar.properties.isWhitespace { flags |= whitespace }
        if value == 0x0A || value == 0x0D { flags |= newline }
        return flags
    }

    /// Flags for the Basic Multilingual Plane, computed once per process; other planes are computed on demand.
    static let table = Table()

    /// Immutable after `init`, hence safe to share.
    final class Table: @unchecked Sendable {
        private let bmp: UnsafeMutablePointer<UInt8>

        init() {
            bmp = .allocate(capacity: 0x10000)
            for v in 0..<0x10000 { bmp[v] = ScalarClass.compute(UInt32(v)) }
        }

        deinit { bmp.deallocate() }

        @inline(__always)
        subscript(value: UInt32) -> UInt8 {
            value < 0x10000 ? bmp[Int(value)] : ScalarClass.compute(value)
        }
    }
}
