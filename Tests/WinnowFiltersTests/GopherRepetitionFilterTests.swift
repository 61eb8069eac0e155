import Testing
import WinnowCore
import WinnowText
@testable import WinnowFilters

@Suite("gopher_repetition")
struct GopherRepetitionFilterTests {
    let f = GopherRepetitionFilter()

    func v(_ text: String) -> Verdict { f.verdict(for: Document(id: "t", text: text), context: StageContext()) }

    /// Unique words as one paragraph (no repeated n-grams).
    func unique(_ n: Int, from: Int = 0) -> String { (from..<(from + n)).map { fillerWord($0) }.joined(separator: " ") }

    @Test("empty drops; whitespace-only, CJK and emoji text", arguments: [
        ("", Verdict.drop(reason: "empty")), ("  \n \t", .keep),
        ("東京都に住んでいます。大阪は雨です。", .drop(reason: "top_2_gram")),
        ("🙂 🙂 🙂 🙂 🙂 🙂", .drop(reason: "top_2_gram")),
    ])
    func edges(text: String, expected: Verdict) {
        #expect(v(text) == expected)
    }

    @Test("duplicate paragraphs: 3 duplicates of 10 keep, 4 of 11 drop")
    func paragraphs() {
        let uniques = (0..<6).map { unique(12, from: $0 * 20) }
        let keep = (uniques + Array(repeating: "Same.", count: 4)).joined(separator: "\n\n")
        #expect(v(keep) == .keep)
        let drop = (uniques + Array(repeating: "Same.", count: 5)).joined(separator: "\n\n")
        #expect(v(drop) == .drop(reason: "dup_para_frac"))
        // the same shape with single newlines is judged as lines
        #expect(v((uniques + Array(repeating: "Same.", count: 4)).joined(separator: "\n")) == .keep)
        #expect(v((uniques + Array(repeating: "Same.", count: 5)).joined(separator: "\n")) == .drop(reason: "dup_line_frac"))
    }

    /// Independent oracle: characters of the second copy of the repeated element over the text.
    func charFraction(_ text: String, repeated: String) -> Double { Double(repeated.count) / Double(text.unicodeScalars.count) }

    @Test("duplicate paragraph and line characters: boundary at 0.2")
    func characters() throws {
        // One long word as the repeated element, so no repeated n-grams; short words first, so
        // the (count-1) top 4-gram stays small.
        let rep = String(repeating: "abcdefghij", count: 4)
        for (sep, reason) in [("\n\n", "dup_para_char_frac"), ("\n", "dup_line_char_frac")] {
            let doc: (Int) -> String = { m in
                [unique(4, from: 800), rep, unique(m, from: 0), unique(3, from: 300), rep].joined(separator: sep)
            }
            let b = try #require(boundary(1...60) { m in v(doc(m)) })
            #expect(b.below == .drop(reason: reason))
            #expect(charFraction(doc(b.m - 1), repeated: rep) > 0.2)
            #expect(charFraction(doc(b.m), repeated: rep) <= 0.2)
        }
    }

    @Test("top 2-gram characters: boundary at 0.2")
    func top2() throws {
        let doc: (Int) -> String = { m in
            (0..<4).map { "xx yy " + fillerWord(900 + $0) }.joined(separator: " ") + " " + unique(m)
        }
        let b = try #require(boundary(1...40) { m in v(doc(m)) })
        #expect(b.below == .drop(reason: "top_2_gram"))
        #expect(Double(5 * 4) / Double(doc(b.m - 1).unicodeScalars.count) > 0.2)
        #expect(Double(5 * 4) / Double(doc(b.m).unicodeScalars.count) <= 0.2)
    }

    @Test("ties between top n-grams go to the first seen (Counter.most_common)")
    func ties() {
        // "a b" and "ccccccccc dddddddd" both appear twice; the first seen (short) one is the top:
        // 3·2/163 keeps, where the long one would give 18·2/163 > 0.2.
        let text = "a b qxa ccccccccc dddddddd qxb a b qxc ccccccccc dddddddd qxd " + unique(17)
        #expect(text.unicodeScalars.count == 163)
        #expect(v(text) == .keep)
        let longFirst = "ccccccccc dddddddd qxa a b qxb ccccccccc dddddddd qxc a b qxd " + unique(17)
        #expect(v(longFirst) == .drop(reason: "top_2_gram"))
    }

    @Test("repeated 5-grams: boundary at 0.15")
    func dup5() throws {
        // The same 25 letters cut into words differently: no repeated 2/3/4-gram, but the 5-grams
        // joined without spaces repeat (datatrove's "".join), 25 characters.
        let p1 = "abcde fghij klmno pqrst uvwxy"
        let p2 = "abcd efghi jklmn opqrs tuvwxy"
        let doc: (Int) -> String = { m in [unique(4, from: 800), p1, unique(m), p2].joined(separator: " ") }
        let b = try #require(boundary(1...80) { m in v(doc(m)) })
        #expect(b.below == .drop(reason: "duplicated_5_n_grams"))
        let rep = 25.0
        #expect(rep / Double(doc(b.m - 1).unicodeScalars.count) > 0.15)
        #expect(rep / Double(doc(b.m).unicodeScalars.count) <= 0.15)
    }

    @Test("n-gram parameters are validated")
    func config() {
        let bad = ConfigValue(.mapping([("top_n_grams", ConfigValue(.sequence([ConfigValue(.scalar("2=0.2"))])))]))
        #expect(throws: ConfigError.self) { _ = try GopherRepetitionFilter.descriptor.build(bad) }
    }
}
