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
