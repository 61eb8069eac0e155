import Testing
import WinnowCore
import WinnowText
@testable import WinnowFilters

@Suite("gopher_quality")
struct GopherQualityFilterTests {
    let f = GopherQualityFilter()

    func v(_ text: String, _ filter: GopherQualityFilter? = nil) -> Verdict {
        (filter ?? f).verdict(for: Document(id: "t", text: text), context: StageContext())
    }

    @Test("word count: 50 non-symbol words keep, 49 drop; punctuation does not count")
    func wordCount() {
        #expect(v(plainWords(50).joined(separator: " ")) == .keep)
        #expect(v(plainWords(49).joined(separator: " ")) == .drop(reason: "gopher_short_doc"))
        #expect(v(plainWords(49).joined(separator: " ") + " , . ; !") == .drop(reason: "gopher_short_doc"))
        var g = GopherQualityFilter()
        g.maxDocWords = 60
        #expect(v(plainWords(60).joined(separator: " "), g) == .keep)
        #expect(v(plainWords(61).joined(separator: " "), g) == .drop(reason: "gopher_long_doc"))
    }

    @Test("empty, whitespace-only, CJK and emoji documents", arguments: [
        ("", "gopher_short_doc"), ("  \n\t \n", "gopher_short_doc"),
        (String(repeating: "東京都に住んでいます。", count: 40), "gopher_short_doc"),
        (String(repeating: "🙂 ", count: 60), "gopher_below_avg_threshold"),
    ])
    func edgeCases(text: String, reason: String) {
        #expect(v(text) == .drop(reason: reason))
    }

    @Test("mean word length: exactly 3 keeps, below drops; exactly 10 keeps, above drops")
    func meanLength() {
        let three = ["the", "and"] + Array(repeating: "cat", count: 48)
        #expect(v(three.joined(separator: " ")) == .keep)
        var below = three
        below[2] = "at"
        #expect(v(below.joined(separator: " ")) == .drop(reason: "gopher_below_avg_threshold"))
        // 6 + 14·11 + 34·10 = 500 characters over 50 words
        let ten = ["the", "and"] + (0..<14).map { fillerWord($0, length: 11) } + (0..<34).map { fillerWord($0 + 100, length: 10) }
        #expect(v(ten.joined(separator: " ")) == .keep)
        var above = ten
        above[3] += "x"
        #expect(v(above.joined(separator: " ")) == .drop(reason: "gopher_above_avg_threshold"))
    }

    @Test("# and ellipsis per word: 5 of 55 keep, 6 of 56 drop")
    func symbols() {
        let base = plainWords(50).joined(separator: " ")
        #expect(v(base + String(repeating: " #", count: 5)) == .keep)
        #expect(v(base + String(repeating: " #", count: 6)) == .drop(reason: "gopher_too_many_hashes"))
        #expect(v(String(repeating: "... ", count: 5) + base) == .keep)
        #expect(v(String(repeating: "... ", count: 6) + base) == .drop(reason: "gopher_too_many_ellipsis"))
        #expect(v(String(repeating: "… ", count: 6) + base) == .drop(reason: "gopher_too_many_ellipsis"))
    }

    func lines(_ n: Int, prefix: (Int) -> String = { _ in "" }, suffix: (Int) -> String = { _ in "" }) -> String {
        let w = plainWords(50)
        return (0..<n).map { i in prefix(i) + w[(i * 50 / n)..<((i + 1) * 50 / n)].joined(separator: " ") + suffix(i) }
            .joined(separator: "\n")
    }

    @Test("# and ellipsis counts agree with Python's str.count on 3,000 seeded strings at every alignment")
    func hashAndEllipsisCounts() {
        // str.count: non-overlapping matches, left to right.
        func count(_ s: [UInt8], _ p: [UInt8]) -> Int {
            var n = 0
            var i = 0
            while i + p.count <= s.count {
                if Array(s[i..<(i + p.count)]) == p { n += 1; i += p.count } else { i += 1 }
            }
            return n
        }
        var state: UInt64 = 23
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        let pieces = ["word", " ", "#", ".", "..", "...", "....", "…", "\u{2026}\u{2026}", "\u{2020}", "\u{20AC}", "ab.cd", "##", "\n"]
        for _ in 0..<3000 {
            var s = ""
            for _ in 0..<Int(next() % 80) { s += pieces[Int(next() % UInt64(pieces.count))] }
            let bytes = Array(s.utf8)
            let got = bytes.withUnsafeBufferPointer { GopherQualityFilter.hashesAndEllipses($0) }
            #expect(got.hashes == count(bytes, Array("#".utf8)), "\(s.debugDescription)")
            #expect(got.ellipses == count(bytes, Array("...".utf8)) + count(bytes, Array("…".utf8)), "\(s.debugDescription)")
        }
    }

    @Test("bullet lines: 9 of 10 keep, 10 of 10 drop; ellipsis lines: 3 of 10 keep, 4 drop")
    func lineRules() {
        #expect(v(lines(10, prefix: { $0 < 9 ? "- " : "" })) == .keep)
        #expect(v(lines(10, prefix: { _ in "  • " })) == .drop(reason: "gopher_too_many_bullets"))
        #expect(v(lines(10, suffix: { $0 < 3 ? " ..." : "" })) == .keep)
        #expect(v(lines(10, suffix: { $0 < 4 ? "…  " : "" })) == .drop(reason: "gopher_too_many_end_ellipsis"))
    }

    @Test("alphabetic words: 50 of 62 keep, 50 of 63 drop")
    func alpha() {
        let base = plainWords(50).joined(separator: " ")
        #expect(v(base + String(repeating: " 123", count: 12)) == .keep)
        #expect(v(base + String(repeating: " 123", count: 13)) == .drop(reason: "gopher_below_alpha_threshold"))
    }

    @Test("stop words: distinct under current, occurrences under fineweb-v1")
    func stopWords() {
        let one = (["the", "the"] + (0..<48).map { fillerWord($0) }).joined(separator: " ")
        #expect(v(one) == .drop(reason: "gopher_enough_stop_words"))
        #expect(v(one, GopherQualityFilter(rules: .finewebV1)) == .keep)
        let none = (0..<50).map { fillerWord($0) }.joined(separator: " ")
        #expect(v(none, GopherQualityFilter(rules: .finewebV1)) == .drop(reason: "gopher_enough_stop_words"))
        // case-sensitive, as datatrove's set membership
        #expect(v((["The", "And"] + (0..<48).map { fillerWord($0) }).joined(separator: " ")) == .drop(reason: "gopher_enough_stop_words"))
    }

    @Test("recipe parameters: defaults, overrides, bad values with a location")
    func config() throws {
        let stage = try GopherQualityFilter.descriptor.build(nil)
        #expect(stage.name == "gopher_quality")
        let bad = ConfigValue(.mapping([("rules", ConfigValue(.scalar("v0")))]))
        #expect(throws: ConfigError.self) { _ = try GopherQualityFilter.descriptor.build(bad) }
        let badTok = ConfigValue(.mapping([("tokenizer", ConfigValue(.scalar("whitespace")))]))
        #expect(throws: ConfigError.self) { _ = try GopherQualityFilter.descriptor.build(badTok) }
        let icu = ConfigValue(.mapping([("tokenizer", ConfigValue(.scalar("icu"))), ("min_doc_words", ConfigValue(.scalar("3")))]))
        let g = try GopherQualityFilter.descriptor.build(icu) as! GopherQualityFilter
        #expect(g.minDocWords == 3)
        #expect(g.options.tokenizer.name == "icu")
    }
}
