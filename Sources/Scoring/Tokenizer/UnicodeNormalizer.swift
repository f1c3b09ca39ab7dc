import Foundation

/// tokenizer.json `normalizer`: Unicode normalisation of the text between added tokens. Qwen2 uses NFC.
public struct UnicodeNormalizer: Sendable {
    public enum Form: Sendable { case none, nfc }
    public let form: Form

    public init(form: Form) {
        self.form = form
    }

    /// Returns nil when `text` (UTF-8) is already normalised (the common case), else its normalised UTF-8.
    public func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        switch form {
        case .none:
            return nil
        case .nfc:
            if Self.isInertUnderNFC(text) { return nil }
            let normalized = String(decoding: text, as: UTF8.self).precomposedStringWithCanonicalMapping
            return Array(normalized.utf8)
        }
    }

    public func normalize(_ text: String) -> String {
        switch form {
        case .none: text
        case .nfc: text.precomposedStringWithCanonicalMapping
        }
    }

    /// A quick check that lets ASCII, Latin-1, CJK and kana text skip normalisation: every scalar in these ranges
    /// has NFC_Quick_Check = Yes and canonical combining class 0, so a string made only of them is already NFC
    /// (UAX #15 §9). The ranges were checked against the Unicode Character Database; anything else goes
    /// through the full normaliser.
    static func isInertUnderNFC(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = text.count
        while i < n {
            let b0 = text[i]
            if b0 < 0x80 { i += 1; continue }
            let (v, length) = decodeScalar(text, at: i)
            i += length
            switch v {
            case 0x80...0x2FF, 0x2002...0x206F, 0x3000...0x3029, 0x3030...0x3098, 0x309B...0x30FF,
                 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0xFF00...0xFFEF:
                continue
            default:
                return false
            }
        }
        return true
    }
}

/// Decodes the scalar starting at `i` of well-formed UTF-8 (Swift strings always are).
@inline(__always)
func decodeScalar(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
    let b0 = UInt32(p[i])
    if b0 < 0x80 { return (b0, 1) }
    if b0 < 0xE0 { return (((b0 & 0x1F) << 6) | (UInt32(p[i + 1]) & 0x3F), 2) }
    if b0 < 0xF0 {
        return (((b0 & 0x0F) << 12) | ((UInt32(p[i + 1]) & 0x3F) << 6) | (UInt32(p[i + 2]) & 0x3F), 3)
    }
    return (((b0 & 0x07) << 18) | ((UInt32(p[i + 1]) & 0x3F) << 12) | ((UInt32(p[i + 2]) & 0x3F) << 6)
            | (UInt32(p[i + 3]) & 0x3F), 4)
}
