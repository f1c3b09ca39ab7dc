import Crypto

/// SHA-256 (swift-crypto) for API-key hashes, text hashes, migration checksums and the held-out split, in the
/// forms the database stores: raw bytes or 64 lowercase hex digits.
public enum SHA256Digest {
    /// The digest of `bytes` (32 bytes).
    public static func bytes<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        Array(SHA256.hash(data: Array(bytes)))
    }

    /// The digest of the UTF-8 bytes of `string`, as 64 lowercase hex digits.
    public static func hex(_ string: String) -> String { hex(Array(string.utf8)) }

    /// The digest of `bytes`, as 64 lowercase hex digits.
    public static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String { hexString(self.bytes(bytes)) }
}

/// Lowercase hex of `bytes`.
func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}
