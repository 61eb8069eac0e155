import Testing
@testable import WinnowFastText

@Suite("fastText hash")
struct FastTextHashTests {
    /// Bytes below 0x80 hash as plain 32-bit FNV-1a (published FNV test vectors).
    @Test("ASCII strings hash as FNV-1a", arguments: [
        ("", UInt32(0x811C_9DC5)),
        ("a", UInt32(0xE40C_292C)),
        ("foobar", UInt32(0xBF9C_F968)),
    ])
    func asciiMatchesFNV1a(text: String, expected: UInt32) {
        #expect(FastTextHash.hash(text) == expected)
    }

    /// Bytes from 0x80 are sign-extended before the XOR: "é" (C3 A9) XORs 0xFFFFFFC3 then
    /// 0xFFFFFFA9, unlike FNV-1a. The expected values are worked out step by step here.
    @Test("non-ASCII bytes are sign-extended")
    func signQuirk() {
        var h: UInt32 = 0x811C_9DC5
        for b: UInt32 in [0xFFFF_FFC3, 0xFFFF_FFA9] { h = (h ^ b) &* 16_777_619 }
        #expect(FastTextHash.hash("é") == h)
        var plain: UInt32 = 0x811C_9DC5
        for b: UInt32 in [0xC3, 0xA9] { plain = (plain ^ b) &* 16_777_619 }
        #expect(FastTextHash.hash("é") != plain)
    }

    /// fastText's own n-gram rows (`get_subwords` from Python fasttext, in tiny-reference.jsonl)
    /// are `nwords + hash % bucket`: equal rows for words full of multi-byte characters check the
    /// hash, the n-gram boundaries on UTF-8 characters and the bucket arithmetic.
    @Test("subword rows equal fastText's for every tiny model")
    func subwordRowsMatchReference() throws {
        var checked = 0
        for line in try Fixtures.jsonLines("tiny-reference.jsonl") {
            guard let word = line["subwords_of"] as? String, let name = line["model"] as? String else { continue }
            let model = try FastTextModel(contentsOf: Fixtures.path(name))
            let expected = (line["rows"] as? [Int] ?? []).map(Int32.init)
            #expect(model.subwordRows(word) == expected, "\(name): subwords of \(word)")
            checked += 1
        }
        #expect(checked >= 50)
    }
}
