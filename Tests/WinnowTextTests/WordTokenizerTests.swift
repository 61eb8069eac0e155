import Foundation
import Testing
import WinnowText

@Suite("spaCy English tokenizer")
struct SpacyEnglishTokenizerTests {
    let tok = SpacyEnglishTokenizer()

    @Test("splits like spaCy's English rules", arguments: [
        ("Hello, world!", ["Hello", ",", "world", "!"]),
        ("I don't think it's fine.", ["I", "do", "n't", "think", "it", "'s", "fine", "."]),
        ("She said \"yes\" (twice).", ["She", "said", "\"", "yes", "\"", "(", "twice", ")", "."]),
        ("e.g. Mr. Smith's car", ["e.g.", "Mr.", "Smith", "'s", "car"]),
        ("well-known 3-4 end.Next", ["well", "-", "known", "3", "-", "4", "end", ".", "Next"]),
        ("Visit https://example.com/a-b?c=d now", ["Visit", "https://example.com/a-b?c=d", "now"]),
        ("5km 10% $3.50", ["5", "km", "10", "%", "$", "3.50"]),
        ("Wait... what?!", ["Wait", "...", "what", "?", "!"]),
        ("", []),
        (" \n\t  ", []),
        ("東京都に住んでいます。", ["東京都に住んでいます", "。"]),
        ("I ❤ emoji 🙂🙂", ["I", "❤", "emoji", "🙂", "🙂"]),
    ])
    func table(text: String, expected: [String]) {
        #expect(tok.words(text) == expected)
    }

    struct Case: Decodable {
        let text: String
        let tokens: [String]
    }

    /// Hard strings and 400 slices of the bench corpus with datatrove 0.10.1's spaCy tokens
    /// (bench/gen_tokenizer_fixtures.py).
    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/spacy_en_tokens.jsonl")
        guard let data = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return data.split(separator: "\n").compactMap { try? JSONDecoder().decode(Case.self, from: Data($0.utf8)) }
    }()

    @Test("matches spaCy on the fixture (≥ 97 % of texts exactly, ≥ 99.8 % of tokens)")
    func fixture() {
        #expect(Self.cases.count >= 400)
        var exact = 0
        var tokens = 0
        var mismatchedTokens = 0
        var shown = 0
        for c in Self.cases {
            let got = tok.words(c.text)
            tokens += c.tokens.count
            if got == c.tokens {
                exact += 1
                continue
            }
            let diff = got.difference(from: c.tokens)
            mismatchedTokens += max(diff.insertions.count, diff.removals.count)
            if shown < 15 {
                shown += 1
                let removed = diff.removals.map { if case .remove(_, let e, _) = $0 { return e } else { return "" } }
                let inserted = diff.insertions.map { if case .insert(_, let e, _) = $0 { return e } else { return "" } }
                print("spaCy \(removed.prefix(8)) vs ours \(inserted.prefix(8))")
            }
        }
        let textRate = Double(exact) / Double(max(1, Self.cases.count))
        let tokenRate = 1 - Double(mismatchedTokens) / Double(max(1, tokens))
        print("spaCy parity: \(exact)/\(Self.cases.count) texts exact, token agreement \(tokenRate)")
        #expect(textRate >= 0.97)
        #expect(tokenRate >= 0.998)
    }

    @Test("sentencizer counts sentences like spaCy's", arguments: [
        ("One. Two! Three?", 3), ("No end", 1), ("Dr. Who is here. Yes.", 2), ("Wait... really?! Yes.", 2), ("", 0),
    ])
    func sentences(text: String, count: Int) {
        var t = text
        var toks: [TokenSpan] = []
        let n = t.withUTF8 { tok.sentenceCount($0, 0..<$0.count, tokens: &toks) }
        #expect(n == count)
    }
}

@Suite("NLTK Treebank tokenizer")
struct TreebankWordTokenizerTests {
    @Test("Treebank rules", arguments: [
        ("I don't think it's fine.", ["I", "do", "n't", "think", "it", "'s", "fine", "."]),
        ("Mr. Smith paid $3.88 (roughly).", ["Mr.", "Smith", "paid", "$", "3.88", "(", "roughly", ")", "."]),
        ("First one. Second one.", ["First", "one", ".", "Second", "one", "."]),
        ("a, b: c; d cannot", ["a", ",", "b", ":", "c", ";", "d", "can", "not"]),
        ("", []),
    ])
    func table(text: String, expected: [String]) {
        #expect(TreebankWordTokenizer().words(text) == expected)
    }
}

@Suite("ICU word tokenizer")
struct ICUWordTokenizerTests {
    @Test("UAX #29 words over UTF-8, punctuation kept or not")
    func words() throws {
        let t = try ICUWordTokenizer(locale: "en")
        #expect(t.words("Hello, world! 東京都に住んでいます。") == ["Hello", ",", "world", "!", "東京", "都", "に", "住", "んで", "い", "ます", "。"])
        let w = try ICUWordTokenizer(locale: "en", keepPunctuation: false)
        #expect(w.words("Crème brûlée, 5€ 🙂") == ["Crème", "brûlée", "5"])
        #expect(w.words("") == [])
    }
}

@Suite("Python str helpers")
struct PythonTextTests {
    func lines(_ s: String) -> [String] {
        var t = s
        return t.withUTF8 { u in
            var r: [Range<Int>] = []
            PythonText.splitLines(u, into: &r)
            return r.map { String(decoding: UnsafeBufferPointer(rebasing: u[$0]), as: UTF8.self) }
        }
    }

    @Test("splitlines separators", arguments: [
        ("a\nb", ["a", "b"]), ("a\r\nb\rc", ["a", "b", "c"]), ("a\n", ["a"]), ("", []), ("\n\n", ["", ""]),
        ("a\u{0B}b\u{0C}c\u{1C}d\u{1D}e\u{1E}f", ["a", "b", "c", "d", "e", "f"]), ("a\u{85}b\u{2028}c\u{2029}d", ["a", "b", "c", "d"]),
        ("a\u{1F}b", ["a\u{1F}b"]),
    ])
    func splitLines(text: String, expected: [String]) {
        #expect(lines(text) == expected)
    }

    @Test("splitlines over long seeded texts: terminators at every offset of the eight-byte steps")
    func splitLinesLong() {
        // The plain definition, one byte at a time.
        func reference(_ u: [UInt8]) -> [Range<Int>] {
            var out: [Range<Int>] = []
            var start = 0
            var i = 0
            while i < u.count {
                var t = 0
                switch u[i] {
                case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E: t = 1
                case 0x0D: t = i + 1 < u.count && u[i + 1] == 0x0A ? 2 : 1
                case 0xC2: t = i + 1 < u.count && u[i + 1] == 0x85 ? 2 : 0
                case 0xE2: t = i + 2 < u.count && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9) ? 3 : 0
                default: t = 0
                }
                if t > 0 { out.append(start..<i); i += t; start = i } else { i += 1 }
            }
            if start < u.count { out.append(start..<u.count) }
            return out
        }
        let pieces = ["a", "word ", "\n", "\r\n", "\r", "\u{0B}", "\u{1C}", "\u{1F}", "\u{85}", "\u{2028}", "\u{2029}", "é", "\u{2027}", "~", " ", "\t"]
        var state: UInt64 = 7
        for k in 0..<300 {
            var text = ""
            for _ in 0..<(k % 60 + 1) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                // mostly plain runs of various lengths, so terminators land on every offset
                let r = Int(state >> 33)
                text += r % 3 == 0 ? pieces[r % pieces.count] : String(repeating: "x", count: r % 19)
            }
            var got: [Range<Int>] = []
            var t = text
            t.withUTF8 { PythonText.splitLines($0, into: &got) }
            #expect(got == reference(Array(text.utf8)), "text \(k): \(text.debugDescription)")
        }
    }

    @Test("count is non-overlapping")
    func count() {
        var s = "......#"
        let n = s.withUTF8 { PythonText.count(Array("...".utf8), in: $0, 0..<$0.count) }
        #expect(n == 2)
    }
}
