import Testing
@testable import WinnowText

/// The spaCy tokenizer's shortcuts (one space between chunks, a plain alphanumeric word, letters or
/// digits followed by one mark, the URL pattern tried only when infixes cut) must give exactly the tokens of spaCy's
/// general affix loop, which the tokenizer runs with `fastPaths: false`.
@Suite("spaCy English tokenizer: shortcuts tokenize as the general rules")
struct SpacyFastPathTests {
    let fast = SpacyEnglishTokenizer()
    let general = SpacyEnglishTokenizer(fastPaths: false)

    func spans(_ tok: SpacyEnglishTokenizer, _ text: String) -> [String] {
        var t = text
        return t.withUTF8 { u in
            var out: [TokenSpan] = []
            tok.tokenizeWithSpaces(u, into: &out)
            return out.map { String(decoding: UnsafeBufferPointer(rebasing: u[$0.start..<$0.end]), as: UTF8.self) }
        }
    }

    @Test("chunks at the edges of the shortcuts", arguments: [
        "word, word. word; word: word! word? word) word] word} word\" word' word$ word+ word-",
        "A. I. USA. U.S. Mr. Mrs. e.g. etc. vs. a.m. St. Dr. No. Co. Inc. Jan. ",
        "1917. 1917, 5km 5km, 5km. 10% 10%, 3x 3x. 2nd, 1st. 45kg. 12th) 100m? 9V, 7h!",
        "A$ US$ C$ A$, US$. 4$ $4 dont, cant. cannot, gonna. wanna! Im, youre. Its. lets.",
        "example.com, www.example.com. https://a.b/c-d, a-b. x/y, a:b, well-known. e-mail,",
        "Ü. Äpfel, naïve. café) 東京. ❤. 🙂, word🙂 ’s' dogs' 's. '' ``",
        "z. Z. zz. ZZ. Zz. zZ. aB. AbC. ABC. ABc. a, b; c) d! q? x\" y' w]",
    ])
    func edges(text: String) {
        #expect(spans(fast, text) == spans(general, text))
    }

    @Test("the spaCy fixture's texts")
    func fixtureTexts() {
        #expect(SpacyEnglishTokenizerTests.cases.count >= 400)
        for (k, c) in SpacyEnglishTokenizerTests.cases.enumerated() {
            #expect(spans(fast, c.text) == spans(general, c.text), "fixture text \(k)")
        }
    }

    @Test("seeded random chunks of letters, digits, marks and other scalars")
    func random() {
        var g = SplitMix(seed: 11)
        let pieces: [String] = [
            "a", "b", "Z", "k", "m", "s", "t", "x", "0", "1", "9", ".", ",", ";", ":", "!", "?", ")", "(", "]", "\"", "'",
            "$", "%", "+", "-", "/", "&", "@", "#", "’", "…", "ü", "é", "–", "km", "kg", "mph", "’s", "'s", "n't", "US",
            "Mr", "e.g", "http://", "www.", ".com", "🙂",
        ]
        var mismatches = 0
        for _ in 0..<4000 {
            var text = ""
            for _ in 0..<Int(g.next() % 12 + 1) {
                for _ in 0..<Int(g.next() % 4 + 1) { text += pieces[Int(g.next() % UInt64(pieces.count))] }
                // Mostly one space (the run loop's shortcut), else other whitespace runs.
                let separators = [" ", " ", " ", " ", "\n", "  ", " \n", "\t", "\u{A0}", "\n "]
                text += separators[Int(g.next() % UInt64(separators.count))]
            }
            let a = spans(fast, text)
            let b = spans(general, text)
            if a != b {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(text.debugDescription): shortcuts \(a), general \(b)") }
            }
        }
        #expect(mismatches == 0)
    }
}

/// The stretches of plain words taken in C (`cicu_plain_words`), in each of its block codes: long
/// texts, so that words fall on every offset of its 64-byte blocks, with the chunks that must stop
/// it (special cases, numbers ending in a unit, marks, words of 63 bytes or more, other
/// whitespace, non-ASCII) among the plain words.
@Suite("spaCy English tokenizer: plain words taken in C", .serialized)
struct SpacyPlainWordTests {
    let fast = SpacyEnglishTokenizer()
    let general = SpacyEnglishTokenizer(fastPaths: false)

    func spans(_ tok: SpacyEnglishTokenizer, _ text: String) -> [TokenSpan] {
        var t = text
        return t.withUTF8 { u in
            var out: [TokenSpan] = []
            tok.tokenize(u, into: &out)
            return out
        }
    }

    fileprivate static func longText(_ g: inout SplitMix, chunks: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let stops = [
            "cannot", "dont", "I", "Im", "gonna", "e.g.", "5km", "10kg", "3am", "word,", "end.", "(a)", "x'", "’s",
            "café", "🙂", "a-b", "http://x.y/z", "$5", "U.S.", "can't", "it's", "Dr.", "#tag", "tl;dr",
        ]
        var text = ""
        for _ in 0..<chunks {
            let r = g.next() % 100
            if r < 80 {
                // a plain word of 1 to 12 letters and digits, now and then up to 80
                let len = g.next() % 20 == 0 ? Int(g.next() % 80 + 1) : Int(g.next() % 12 + 1)
                for _ in 0..<len { text.append(letters[Int(g.next() % UInt64(letters.count))]) }
            } else {
                text += stops[Int(g.next() % UInt64(stops.count))]
            }
            let s = g.next() % 50
            text += s < 45 ? " " : ["\n", "  ", "\t", " \n", "\u{A0}"][Int(s - 45)]
        }
        return text
    }

    @Test("long texts tokenize as the general rules in each block code", arguments: [Int32(0), 1])
    func longTexts(isa: Int32) {
        SpacyEnglishTokenizer.setPlainWordsISA(isa)
        defer { SpacyEnglishTokenizer.setPlainWordsISA(-1) }
        var g = SplitMix(seed: 23 + UInt64(isa))
        var mismatches = 0
        for k in 0..<60 {
            var text = Self.longText(&g, chunks: 50 + k * 40)
            // the text's last bytes are a plain word too, now and then with no space after it
            if k % 3 == 0 { text += "lastword" }
            let a = spans(fast, text)
            let b = spans(general, text)
            if a != b {
                mismatches += 1
                if mismatches <= 3 {
                    let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
                    Issue.record("text \(k) (\(text.utf8.count) bytes): first difference at token \(i): \(i < a.count ? "\(a[i])" : "-") vs \(i < b.count ? "\(b[i])" : "-")")
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("plain words at every offset of a block, and words that cross it", arguments: [Int32(0), 1])
    func everyOffset(isa: Int32) {
        SpacyEnglishTokenizer.setPlainWordsISA(isa)
        defer { SpacyEnglishTokenizer.setPlainWordsISA(-1) }
        for lead in 0..<70 {
            for wordLength in [1, 2, 5, 15, 16, 17, 62, 63, 64, 65] {
                let text = String(repeating: "x", count: lead) + " " + String(repeating: "ab1", count: 30).prefix(wordLength) + " the dont end. "
                    + String(repeating: "w ", count: 40)
                #expect(spans(fast, text) == spans(general, text), "lead \(lead), word of \(wordLength)")
            }
        }
    }

    @Test("the C filter bit is the tables' filter bit")
    func filterBit() {
        var g = SplitMix(seed: 5)
        for _ in 0..<2000 {
            let bytes = (0..<Int(g.next() % 70 + 1)).map { _ in UInt8(g.next() % 94 + 33) }
            bytes.withUnsafeBufferPointer { u in
                #expect(SpacyEnglishTokenizer.plainFilterBit(u, 0, u.count) == SpacyEnglishTokenizer.Tables.filterBit(u, 0, u.count))
            }
        }
    }
}

/// SplitMix64, so every run sees the same chunks.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
