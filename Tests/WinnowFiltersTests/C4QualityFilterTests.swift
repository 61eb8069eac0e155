import Testing
import WinnowCore
import WinnowText
@testable import WinnowFilters

@Suite("c4_quality")
struct C4QualityFilterTests {
    func run(_ text: String, _ f: C4QualityFilter = C4QualityFilter()) -> (Verdict, String) {
        var d = Document(id: "t", text: text)
        let v = f.transform(&d, context: StageContext())
        return (v, d.text)
    }

    let good = (0..<5).map { "This is good sentence number \($0)." }

    @Test("keeps good lines, drops lines without terminal punctuation, short or with javascript/policy")
    func lines() {
        let text = (good + [
            "no terminal punctuation here",
            "Ends with ellipsis here...",
            "Too short.",
            "Please enable JavaScript to view.",
            "We use cookies on this site.",
            "  Quoted line ends with a quote \"  ",
            "Citation removed here [12] and [edit] too [citation needed].",
        ]).joined(separator: "\n")
        let (v, out) = run(text)
        #expect(v == .keep)
        #expect(out == (good + ["Quoted line ends with a quote \"", "Citation removed here  and  too ."]).joined(separator: "\n"))
    }

    @Test("sentences: 5 keep, 4 drop; counted with spaCy's sentencizer")
    func sentences() {
        #expect(run(good.joined(separator: "\n")).0 == .keep)
        #expect(run(good.prefix(4).joined(separator: "\n")).0 == .drop(reason: "too_few_sentences"))
        #expect(run("One two three. Four five six! Seven eight nine? Ten eleven twelve. Thirteen fourteen fifteen.").0 == .keep)
        #expect(run("Dr. Who is here. Mr. Smith is there. All three words.").0 == .drop(reason: "too_few_sentences"))
    }

    @Test("page drops", arguments: [
        ("This has Lorem Ipsum dolor inside.", "lorem_ipsum"), ("This has a {curly} bracket.", "curly_bracket"),
        ("", "too_few_sentences"), ("  \n\t\n ", "too_few_sentences"), ("東京都に住んでいます。大阪は雨です。", "too_few_sentences"),
        ("🙂 🙂 🙂.", "too_few_sentences"),
    ])
    func pageDrops(line: String, reason: String) {
        #expect(run((good + [line]).joined(separator: "\n")).0 == (reason == "too_few_sentences" ? .keep : .drop(reason: reason)))
        #expect(run(line).0 == .drop(reason: reason))
    }

    @Test("a word of 1001 code points drops the line, 1000 keeps it")
    func longWord() {
        let ok = "Word " + String(repeating: "é", count: 1000) + " here."
        let long = "Word " + String(repeating: "é", count: 1001) + " here."
        #expect(run((good + [ok]).joined(separator: "\n")).1.hasSuffix("here."))
        #expect(run((good + [long]).joined(separator: "\n")).1 == good.joined(separator: "\n"))
    }

    @Test("filter_no_terminal_punct: false keeps unpunctuated lines (as FineWeb)")
    func noTerminal() {
        var f = C4QualityFilter()
        f.filterNoTerminalPunct = false
        let (v, out) = run((good + ["no terminal punctuation here"]).joined(separator: "\n"), f)
        #expect(v == .keep)
        #expect(out.hasSuffix("no terminal punctuation here"))
    }

    @Test("min_words_per_line counts words before citation removal")
    func wordsBeforeCitations() {
        let (_, out) = run((good + ["Two words [1] [2]."]).joined(separator: "\n"))
        #expect(out.hasSuffix("Two words  ."))
    }
}

@Suite("fineweb_quality")
struct FineWebQualityFilterTests {
    func v(_ text: String, _ f: FineWebQualityFilter = FineWebQualityFilter()) -> Verdict {
        f.verdict(for: Document(id: "t", text: text), context: StageContext())
    }

    func line(_ i: Int, end: String = ".") -> String {
        "Line \(fillerWord(i)) has enough words in it to be long\(end)"
    }

    @Test("empty and whitespace-only", arguments: ["", "\n \n\t"])
    func empty(text: String) {
        #expect(v(text) == .drop(reason: "empty"))
        #expect(v(text, FineWebQualityFilter(rules: .finewebV1)) == .drop(reason: "line_punct_ratio"))
    }

    @Test("fineweb-v1 counts blank lines in the line shares")
    func blankLines() {
        let lines = (0..<4).map { i in "Line \(i) " + (0..<30).map { fillerWord(40 * i + $0) }.joined(separator: " ") + "." }
        // 4 punctuated lines among 4 + 30 blank lines: 4/34 = 0.118 ≤ 0.12 under v1; 1.0 under current
        let text = lines.joined(separator: "\n") + String(repeating: "\n", count: 30)
        #expect(v(text) == .keep)
        #expect(v(text, FineWebQualityFilter(rules: .finewebV1)) == .drop(reason: "line_punct_ratio"))
    }

    @Test("line punctuation: 3 of 25 lines (0.12) keeps under current, drops under fineweb-v1; 2 of 25 drops")
    func punct() {
        let three = (0..<25).map { line($0, end: $0 < 3 ? "." : "") }.joined(separator: "\n")
        #expect(v(three) == .keep)
        #expect(v(three, FineWebQualityFilter(rules: .finewebV1)) == .drop(reason: "line_punct_ratio"))
        let two = (0..<25).map { line($0, end: $0 < 2 ? "." : "") }.joined(separator: "\n")
        #expect(v(two) == .drop(reason: "line_punct_ratio"))
        // Unicode terminal punctuation counts under current; quotes only under fineweb-v1
        let cjk = (0..<4).map { line($0, end: "。") }.joined(separator: "\n")
        #expect(v(cjk) == .keep)
        #expect(v(cjk, FineWebQualityFilter(rules: .finewebV1)) == .drop(reason: "line_punct_ratio"))
        let quoted = (0..<4).map { line($0, end: "\"") }.joined(separator: "\n")
        #expect(v(quoted) == .drop(reason: "line_punct_ratio"))
        #expect(v(quoted, FineWebQualityFilter(rules: .finewebV1)) == .keep)
    }

    /// A line of exactly `n` code points (accented words, a final period), distinct per `k`.
    func exact(_ n: Int, _ k: Int) -> String {
        var s = "é" + fillerWord(k)
        while s.unicodeScalars.count < n - 1 { s += s.unicodeScalars.count % 6 == 5 ? " " : "ü" }
        if s.hasSuffix(" ") { s.removeLast(); s += "ü" }
        return s + "."
    }

    @Test("short lines: 67 of 100 keep, 68 drop (at most 30 code points is short)")
    func short() {
        let mk: (Int) -> String = { k in (0..<100).map { $0 < k ? "Short \(fillerWord($0))." : line($0) }.joined(separator: "\n") }
        #expect(v(mk(67)) == .keep)
        #expect(v(mk(68)) == .drop(reason: "short_line_ratio"))
        // 2 of 3 lines of exactly 30 code points: 0.667 ≤ 0.67 keeps; 3 of 3 drops; 31 is not short
        #expect(v([exact(30, 1), exact(30, 2), line(3)].joined(separator: "\n")) == .keep)
        #expect(v([exact(30, 1), exact(30, 2), exact(30, 3)].joined(separator: "\n")) == .drop(reason: "short_line_ratio"))
        #expect(v([exact(31, 1), exact(31, 2), exact(31, 3)].joined(separator: "\n")) == .keep)
    }

    @Test("duplicate-line characters: boundary at 0.01")
    func duplicates() throws {
        let dup = line(999)
        let doc: (Int) -> String = { m in ([dup, dup] + (0..<m).map { line($0) }).joined(separator: "\n") }
        let b = try #require(boundary(1...200) { m in v(doc(m)) })
        #expect(b.below == .drop(reason: "char_dup_ratio"))
        let frac: (String) -> Double = { Double(dup.count) / Double($0.replacingOccurrences(of: "\n", with: "").unicodeScalars.count) }
        #expect(frac(doc(b.m - 1)) > 0.01)
        #expect(frac(doc(b.m)) <= 0.01)
    }

    @Test("newlines per word: 0.3 keeps, above drops")
    func listRatio() {
        // 10 long lines of 3 tokens: 9 newlines / 30 words = 0.3 keeps; one line of 2 tokens: 9/29 drops
        let mk: (Int) -> String = { twoTokenLines in
            (0..<10).map { "Supercalifragilistic\(fillerWord($0))expialidocious" + ($0 < twoTokenLines ? "." : " word.") }
                .joined(separator: "\n")
        }
        #expect(v(mk(0)) == .keep)
        #expect(v(mk(1)) == .drop(reason: "list_ratio"))
    }
}

/// The vector search under C4's phrase search: each block width against the plain definition.
@Suite("c4_quality phrase search", .serialized)
struct C4PhraseSearchTests {
    @Test("the phrase search finds what a lowercased substring search finds (seeded lines, mixed case)", arguments: [Int32(0), 1, 2])
    func phraseSearchMatchesPlainSearch(isa: Int32) {
        C4QualityFilter.setPhraseSearchISA(isa)
        defer { C4QualityFilter.setPhraseSearchISA(-1) }
        // Pieces that start, nearly start or cut the phrases, in random case, glued at random.
        let pieces = [
            "terms of use", "terms of us", "Privacy Policy", "privacy polic", "cookie policy", "COOKIE", "uses cookies",
            "use of cookies", "use cookies", "use", "Lorem Ipsum", "lorem ipsu", "JavaScript", "javascrip", "t", "p", "c", "u",
            "th", "te", "pr", "co", "us", " ", "policy", "the cat", "é", "K", "lo", "ja", "L", "J", "@", "`", "\u{212A}",
            "a long stretch of words without any of the heads in it ", "ＬＯ",
        ]
        var state: UInt64 = 0x5EED
        func next(_ n: Int) -> Int {
            state = state &+ 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
        for _ in 0..<4000 {
            var line = ""
            for _ in 0..<(1 + next(16)) {
                let p = pieces[next(pieces.count)]
                line += next(3) == 0 ? p.uppercased() : p
            }
            let lower = line.lowercased()
            var expected: UInt8 = 0
            if lower.contains("lorem ipsum") { expected |= C4QualityFilter.foundLorem }
            if lower.contains("javascript") { expected |= C4QualityFilter.foundJavascript }
            if C4QualityFilter.policy.contains(where: { lower.contains(String(decoding: $0, as: UTF8.self)) }) {
                expected |= C4QualityFilter.foundPolicy
            }
            let bytes = Array(line.utf8)
            let got = bytes.withUnsafeBufferPointer { C4QualityFilter.phrases($0) }
            #expect(got == expected, "\(line)")
            if got != expected { return }
        }
    }

    @Test("finds the first two-letter head at every offset and block boundary", arguments: [Int32(0), 1, 2])
    func bigramAtEveryOffset(isa: Int32) {
        C4QualityFilter.setPhraseSearchISA(isa)
        defer { C4QualityFilter.setPhraseSearchISA(-1) }
        let heads = C4QualityFilter.allHeads
        for length in [0, 1, 2, 15, 16, 17, 31, 32, 33, 34, 64, 65, 100] {
            for at in 0..<max(1, length - 1) {
                for pair in [("l", "O"), ("J", "a"), ("u", "s"), ("L", "p"), ("@", "o")] {
                    var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: length)
                    if at + 1 < length {
                        bytes[at] = UInt8(ascii: Unicode.Scalar(pair.0)!)
                        bytes[at + 1] = UInt8(ascii: Unicode.Scalar(pair.1)!)
                    }
                    let head = at + 1 < length ? UInt16(bytes[at] | 0x20) << 8 | UInt16(bytes[at + 1] | 0x20) : 0
                    let expected = at + 1 < length && heads.contains(head) && pair.0 != "@" ? at : length
                    for from in [0, at, at + 1] where from <= length {
                        let got = C4QualityFilter.firstHead(bytes, from: from)
                        #expect(got == (from <= expected ? expected : length), "length \(length) at \(at) from \(from) \(pair)")
                    }
                }
            }
        }
    }
}
