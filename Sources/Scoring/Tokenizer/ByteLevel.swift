/// GPT-2's byte-level alphabet (`bytes_to_unicode` in openai/gpt-2 encoder.py): every byte is shown as one
/// printable character, so that BPE vocabularies can be stored as text. Printable Latin-1 bytes stand for
/// themselves; the others (controls, space, …) are shifted to U+0100 and up, so space is "Ġ" and "\n" is "Ċ".
public enum ByteLevel {
    /// `characters[b]` is the character that stands for byte `b`.
    public static let characters: [Character] = {
        var scalars = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                scalars[b] = UInt32(b)
            } else {
                scalars[b] = next
                next += 1
            }
        }
        return scalars.map { Character(Unicode.Scalar($0)!) }
    }()

    /// The inverse of `characters`, indexed by scalar value (all lie below U+0144).
    private static let bytesByScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, c) in characters.enumerated() { table[Int(c.unicodeScalars.first!.value)] = Int16(b) }
        return table
    }()

    /// The byte-level text for raw bytes.
    public static func encode<S: Sequence<UInt8>>(_ bytes: S) -> String {
        String(bytes.map { characters[Int($0)] })
    }

    /// The bytes a byte-level token stands for, or nil when it contains a character outside the alphabet
    /// (the ByteLevel decoder then passes the token's own UTF-8 through, as Hugging Face's does).
    public static func decode(_ token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            let v = Int(scalar.value)
            guard v < bytesByScalar.count, bytesByScalar[v] >= 0 else { return nil }
            bytes.append(UInt8(bytesByScalar[v]))
        }
        return bytes
    }
}

/// tokenizer.json `decoder` of type ByteLevel: token strings back to bytes, then bytes to text. Invalid UTF-8 is
/// replaced with U+FFFD per maximal invalid subsequence — the same policy as Rust's `String::from_utf8_lossy`.
struct ByteLevelDecoder: Sendable {
    /// The bytes each token stands for, indexed by id; added tokens contribute their UTF-8.
    let tokenBytes: [[UInt8]]

    func decode(_ ids: [Int], skipping skipped: (Int) -> Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && id < tokenBytes.count && !skipped(id) {
            bytes.append(contentsOf: tokenBytes[id])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
