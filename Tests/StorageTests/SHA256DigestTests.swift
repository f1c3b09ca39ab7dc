import Testing
@testable import Storage

// The swift-crypto-backed helper against the vectors from FIPS 180-4's examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
@Test func sha256MatchesTheFIPSExampleVectors() {
    #expect(SHA256Digest.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256Digest.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256Digest.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(SHA256Digest.hex(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
        == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    #expect(SHA256Digest.hex([UInt8](repeating: 0x61, count: 1_000_000))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
}

@Test func sha256OfPaddingBoundariesMatchesReference() {
    // 55, 56 and 64 bytes straddle the one-block/two-block padding boundary (values from `sha256sum`).
    #expect(SHA256Digest.hex(String(repeating: "a", count: 55))
        == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
    #expect(SHA256Digest.hex(String(repeating: "a", count: 56))
        == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
    #expect(SHA256Digest.hex(String(repeating: "a", count: 64))
        == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
}

@Test func sha256DigestIsTheSameForEveryByteSequence() {
    let message = Array("敏感词 sensitive words, hashed as different sequences".utf8) + [UInt8](repeating: 7, count: 300)
    #expect(SHA256Digest.hex(message[...]) == SHA256Digest.hex(message))
    #expect(SHA256Digest.hex(String(decoding: message, as: UTF8.self)) == SHA256Digest.hex(message))
    #expect(hexString(SHA256Digest.bytes(message)) == SHA256Digest.hex(message))
    #expect(SHA256Digest.bytes(message).count == 32)
}
