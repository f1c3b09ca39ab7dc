import Foundation

/// A forgiving reader for the one flat JSON object in a model's answer.
///
/// `JSONSerialization` answers "valid or not"; scoring needs more: which keys a truncated or slightly malformed
/// object did contain (for the reward), and whether it was *strictly* valid (for `formatOK`). So this reader accepts
/// what models commonly get wrong — single quotes, bare keys, trailing commas, a missing closing brace, values as
/// strings — keeps every pair it could read, and clears `strict` whenever it had to forgive something.
struct LenientJSONObject {
    enum Value: Equatable {
        /// A JSON number; `isInteger` when written without fraction or exponent.
        case number(Double, text: String, isInteger: Bool)
        case string(String)
        /// `null`, `true`, an unquoted word, … — kept as its text for the problem report.
        case other(String)
    }

    struct Pair: Equatable {
        var key: String
        var value: Value?
        /// The value ran to the very end of the input (a truncated output may have cut it short: "10" of "100").
        var valueAtEnd = false
    }

    var pairs: [Pair] = []
    /// True only when the text was one strictly valid JSON object (RFC 8259) and nothing else but whitespace.
    var strict = true
    /// The closing brace was seen.
    var closed = false
    /// Human-readable notes on what was forgiven.
    var issues: [String] = []

    private let s: [Unicode.Scalar]
    private var i = 0

    /// Nil when `text` (after leading whitespace) does not start with `{`.
    init?(_ text: String) {
        s = Array(text.unicodeScalars)
        skipSpace()
        guard i < s.count, s[i] == "{" else { return nil }
        i += 1
        parseMembers()
        skipSpace()
        if i < s.count {
            forgive("unexpected text after the JSON object")
        }
    }

    private mutating func forgive(_ issue: String) {
        strict = false
        if !issues.contains(issue) { issues.append(issue) }
    }

    private static func isJSONSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\n" || c == "\r" || c == "\t"
    }

    private mutating func skipSpace() {
        while i < s.count, s[i].properties.isWhitespace {
            if !Self.isJSONSpace(s[i]) { forgive("non-JSON whitespace in the answer") }
            i += 1
        }
    }

    private mutating func parseMembers() {
        var expectMember = true  // after "{" or ","
        var sawMember = false
        while true {
            skipSpace()
            guard i < s.count else { forgive("the JSON object is not closed"); return }
            let c = s[i]
            if c == "}" {
                if expectMember && sawMember { forgive("trailing comma in the JSON object") }
                i += 1
                closed = true
                return
            }
            if c == "," {
                forgive("stray comma in the JSON object")
                i += 1
                continue
            }
            if !expectMember { forgive("missing comma between JSON members") }
            let key: String
            if c == "\"" || c == "'" {
                key = parseString()
            } else {
                forgive("unquoted key in the JSON object")
                key = parseBare(stoppingAt: [":", ",", "}"])
            }
            skipSpace()
            var value: Value?
            if i < s.count, s[i] == ":" {
                i += 1
                skipSpace()
                value = parseValue()
            } else if i < s.count {
                forgive("missing colon after key \"\(key)\"")
                value = parseValue()
            } else {
                forgive("the JSON object is not closed")
            }
            pairs.append(Pair(key: key, value: value, valueAtEnd: i >= s.count))
            sawMember = true
            skipSpace()
            if i < s.count, s[i] == "," {
                i += 1
                expectMember = true
            } else {
                expectMember = false
            }
        }
    }

    private mutating func parseValue() -> Value? {
        guard i < s.count else { forgive("the JSON object is not closed"); return nil }
        let c = s[i]
        if c == "\"" || c == "'" { return .string(parseString()) }
        if c == "-" || c == "+" || c == "." || ("0"..."9").contains(c) { return parseNumber() }
        let word = parseBare(stoppingAt: [",", "}"])
        if !["null", "true", "false"].contains(word) { forgive("unquoted non-numeric value \(word)") }
        return .other(word)
    }

    /// A run of characters up to a stop character or the end, trimmed.
    private mutating func parseBare(stoppingAt stops: Set<Unicode.Scalar>) -> String {
        var out = String.UnicodeScalarView()
        while i < s.count, !stops.contains(s[i]) {
            out.append(s[i])
            i += 1
        }
        return String(out).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private mutating func parseString() -> String {
        let quote = s[i]
        if quote != "\"" { forgive("single-quoted string in the JSON object") }
        i += 1
        var out = String.UnicodeScalarView()
        while i < s.count {
            let c = s[i]
            if c == quote { i += 1; return String(out) }
            if c.value < 0x20 { forgive("control character inside a JSON string") }
            if c == "\\", i + 1 < s.count {
                let e = s[i + 1]
                i += 2
                switch e {
                case "\"", "\\", "/", "'": out.append(e)
                    if e == "'" { forgive("invalid escape in a JSON string") }
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "u":
                    if let u = parseHex4() {
                        if (0xD800..<0xDC00).contains(u), i + 1 < s.count, s[i] == "\\", s[i + 1] == "u" {
                            i += 2
                            if let lo = parseHex4(), (0xDC00..<0xE000).contains(lo),
                               let sc = Unicode.Scalar(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)) {
                                out.append(sc)
                                continue
                            }
                        }
                        if let sc = Unicode.Scalar(u) { out.append(sc) } else { forgive("invalid \\u escape") }
                    } else {
                        forgive("invalid \\u escape")
                    }
                default:
                    forgive("invalid escape in a JSON string")
                    out.append(e)
                }
                continue
            }
            out.append(c)
            i += 1
        }
        forgive("unterminated string in the JSON object")
        return String(out)
    }

    private mutating func parseHex4() -> UInt32? {
        guard i + 4 <= s.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let d = hexValue(s[i + k]) else { return nil }
            v = v * 16 + d
        }
        i += 4
        return v
    }

    private func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": c.value - 48
        case "a"..."f": c.value - 87
        case "A"..."F": c.value - 55
        default: nil
        }
    }

    private mutating func parseNumber() -> Value {
        var text = String.UnicodeScalarView()
        while i < s.count, "+-.eE0123456789".unicodeScalars.contains(s[i]) {
            text.append(s[i])
            i += 1
        }
        let t = String(text)
        let (valid, isInteger) = Self.classifyJSONNumber(t)
        if !valid { forgive("malformed number \(t)") }
        guard let d = Double(t) else { return .other(t) }
        return .number(d, text: t, isInteger: valid && isInteger)
    }

    /// RFC 8259 number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    static func classifyJSONNumber(_ t: String) -> (valid: Bool, isInteger: Bool) {
        let b = Array(t.utf8)
        var k = 0
        func digits() -> Int {
            let start = k
            while k < b.count, (48...57).contains(b[k]) { k += 1 }
            return k - start
        }
        if k < b.count, b[k] == UInt8(ascii: "-") { k += 1 }
        guard k < b.count else { return (false, false) }
        if b[k] == UInt8(ascii: "0") { k += 1 } else if digits() == 0 { return (false, false) }
        var isInteger = true
        if k < b.count, b[k] == UInt8(ascii: ".") {
            k += 1
            isInteger = false
            if digits() == 0 { return (false, false) }
        }
        if k < b.count, b[k] == UInt8(ascii: "e") || b[k] == UInt8(ascii: "E") {
            k += 1
            isInteger = false
            if k < b.count, b[k] == UInt8(ascii: "+") || b[k] == UInt8(ascii: "-") { k += 1 }
            if digits() == 0 { return (false, false) }
        }
        return (k == b.count, isInteger)
    }
}
