/// JSON with a fixed key order, written the way Hugging Face writes tokenizer files: two-space indentation, one
/// element per line, `"key": value`, `[]` and `{}` when empty, non-ASCII text as is, and only `"`, `\` and control
/// characters escaped (`\n`, `\t`, …, else `\u00xx`). This is both serde_json's pretty printer (tokenizer.json,
/// written by the Rust library) and Python's `json.dumps(indent=2, ensure_ascii=False)` (tokenizer_config.json,
/// written by transformers), so files written here can be byte-identical to theirs.
indirect enum PrettyJSON {
    case object([(String, PrettyJSON)])
    case array([PrettyJSON])
    case string(String)
    case int(Int)
    case bool(Bool)
    case null

    /// The text, without a final newline.
    var text: String {
        var out = ""
        write(into: &out, depth: 0)
        return out
    }

    private func write(into out: inout String, depth: Int) {
        switch self {
        case let .object(members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                Self.indent(&out, depth + 1)
                Self.quote(key, into: &out)
                out += ": "
                value.write(into: &out, depth: depth + 1)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            Self.indent(&out, depth)
            out += "}"
        case let .array(elements):
            guard !elements.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (i, value) in elements.enumerated() {
                Self.indent(&out, depth + 1)
                value.write(into: &out, depth: depth + 1)
                out += i == elements.count - 1 ? "\n" : ",\n"
            }
            Self.indent(&out, depth)
            out += "]"
        case let .string(s):
            Self.quote(s, into: &out)
        case let .int(n):
            out += String(n)
        case let .bool(b):
            out += b ? "true" : "false"
        case .null:
            out += "null"
        }
    }

    private static func indent(_ out: inout String, _ depth: Int) {
        out += String(repeating: "  ", count: depth)
    }

    private static let hex = Array("0123456789abcdef")

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case _ where scalar.value < 0x20:
                out += "\\u00"
                out.append(hex[Int(scalar.value >> 4)])
                out.append(hex[Int(scalar.value & 0xF)])
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
