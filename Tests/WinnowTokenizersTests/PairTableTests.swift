import Testing
@testable import WinnowTokenizers

/// The flat merge table and the byte-level literal replacement answer exactly as the
/// `Dictionary` and the range search they replace in the hot path.
@Suite("BPE merge table and literal replacement")
struct PairTableTests {
    /// A seeded generator, so a failure repeats.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("every key present gives its merge, absent keys nil, including ids −1 (the empty marker's key)")
    func tableEqualsDictionary() {
        var rng = SplitMix(state: 42)
        var pairs: [UInt64: BPEModel.Merge] = [:]
        for rank in 0 ..< 50_000 {
            let left = Int32.random(in: 0 ..< 40_000, using: &rng)
            let right = Int32.random(in: 0 ..< 40_000, using: &rng)
            pairs[BPEModel.key(left, right)] = BPEModel.Merge(rank: Int32(rank), id: Int32(rank + 40_000))
        }
        pairs[BPEModel.key(-1, -1)] = BPEModel.Merge(rank: 7, id: 9)
        let table = PairTable(pairs)
        for (key, merge) in pairs {
            #expect(table[key]?.rank == merge.rank && table[key]?.id == merge.id)
        }
        for _ in 0 ..< 50_000 {
            let key = BPEModel.key(Int32.random(in: 0 ..< 40_000, using: &rng), Int32.random(in: 40_000 ..< 80_000, using: &rng))
            #expect(table[key] == nil)
        }
        #expect(PairTable([:])[BPEModel.key(1, 2)] == nil)
        #expect(PairTable([:])[BPEModel.key(-1, -1)] == nil)
    }

    @Test("byte-level replace equals the replacement at literalRanges' matches", arguments: [
        (" ", "\u{2581}"), ("ab", "X"), ("aa", "b"), ("\u{301}", ""), ("▁", " "), ("", "z"),
    ])
    func replaceEqualsRanges(literal: String, replacement: String) {
        let texts = [
            "", " ", "a b  c ", "aaaa", "aaa", "abab ab", "e\u{301} \u{301}x", "a \u{30D} b", "▁▁x▁",
            "日本語 テキスト ", String(repeating: "ab ", count: 100),
        ]
        for text in texts {
            var reference = ""
            var rest = text.startIndex
            for r in PreTokenizer.literalRanges(of: literal, in: text[...]) {
                reference += text[rest ..< r.lowerBound]
                reference += replacement
                rest = r.upperBound
            }
            reference += text[rest...]
            let got = Normalizer.replacing(literal, with: replacement, in: text)
            #expect(Array(got.utf8) == Array(reference.utf8), "\(literal.debugDescription) in \(text.debugDescription)")
        }
    }
}
