import Foundation
import Testing
@testable import WinnowPrompt

/// The compressor under adversarial text (issue 15 §3): protected content (`<keep>` spans, code
/// fences, URLs, numbers, JSON, force tokens) comes back byte-identical, no grapheme cluster
/// (emoji ZWJ sequences, flags, keycaps, combining marks, Hangul jamo, Indic conjuncts) is ever
/// split or glued to another, and the output is valid UTF-8 with no replacement character.
enum IntegrityCheck {
    /// The grapheme clusters of `text` that are not white space.
    static func clusters(_ text: String) -> [Character] {
        // An array of the original clusters: filtering the String itself would re-segment it.
        Array(text).filter { !$0.unicodeScalars.allSatisfy(\.properties.isWhitespace) }
    }

    /// Problems with `output` as a compression of `input` that must keep every string of `kept`.
    static func problems(output: String, input: String, kept: [String]) -> [String] {
        var found: [String] = []
        let bytes = Array(output.utf8)
        for piece in kept where !containsBytes(bytes, Array(piece.utf8)) { found.append("lost or changed: \(piece.debugDescription)") }
        if output.unicodeScalars.contains("\u{FFFD}") && !input.unicodeScalars.contains("\u{FFFD}") {
            found.append("a replacement character appeared")
        }
        if String(validating: Array(output.utf8), as: UTF8.self) == nil { found.append("invalid UTF-8") }
        // Every cluster of the output is a cluster of the input, in order: none split, none glued.
        var source = clusters(input).makeIterator()
        outer: for c in clusters(output) {
            while let s = source.next() { if s == c { continue outer } }
            found.append("cluster \(String(c).unicodeScalars.map { String($0.value, radix: 16) }) is not an input cluster in order")
            break
        }
        return found
    }

    /// Whether `needle` occurs in `haystack` byte for byte (String.contains compares canonically equivalent text).
    static func containsBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard needle.count <= haystack.count else { return false }
        for start in 0 ... haystack.count - needle.count where haystack[start] == needle[0] {
            if haystack[start ..< start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }

    /// The input as the compressor sees it: keep markers removed.
    static func unmarked(_ text: String) -> String {
        // On bytes: `<keep>` followed by a combining mark is not a whole Character sequence.
        var bytes = Array(text.utf8)
        for marker in ["<keep>", "</keep>", "<llmlingua, compress=False>", "</llmlingua>"].map({ Array($0.utf8) }) {
            var out: [UInt8] = []
            var i = 0
            while i < bytes.count {
                if bytes[i...].starts(with: marker) {
                    i += marker.count
                } else {
                    out.append(bytes[i])
                    i += 1
                }
            }
            bytes = out
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One adversarial context and what must come back byte for byte.
struct AdversarialCase: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var kept: [String]
    var keepNumbers = false
    var forceTokens: [String] = []
    var testDescription: String { name }
}

let filler = "The committee reviewed several proposals during the long afternoon session and postponed most decisions until the following week because members disagreed about the budget."

let adversarialCases: [AdversarialCase] = [
    AdversarialCase(
        name: "keep span with emoji and combining marks",
        text: filler + " <keep>👩‍👩‍👧‍👦 caf\u{65}\u{301}  Z\u{36B}\u{33F}a 🏳️‍🌈\tend</keep> " + filler,
        kept: ["👩‍👩‍👧‍👦 caf\u{65}\u{301}  Z\u{36B}\u{33F}a 🏳️‍🌈\tend"]),
    AdversarialCase(
        name: "keep span inside a word, and adjacent spans",
        text: filler + " pre<keep>FIX</keep>suf and <keep>one</keep><keep> two</keep> " + filler, kept: ["FIX", "one two"]),
    AdversarialCase(
        name: "keep span starting with a combining mark", text: filler + " e<keep>\u{301}xact</keep> words " + filler,
        kept: ["\u{301}xact"]),
    AdversarialCase(
        name: "code fence", text: filler + "\n```python\nx = [1, 2, 3]  # a comment\nprint(x)\n```\n" + filler,
        kept: ["```python\nx = [1, 2, 3]  # a comment\nprint(x)\n```"]),
    AdversarialCase(
        name: "four-backtick fence holding a three-backtick one",
        text: filler + "\n````md\nHere is code:\n```\nlet y = 2\n```\n````\n" + filler,
        kept: ["````md\nHere is code:\n```\nlet y = 2\n```\n````"]),
    AdversarialCase(
        name: "tilde fence", text: filler + "\n~~~\nfoo bar baz qux\n~~~\n" + filler, kept: ["~~~\nfoo bar baz qux\n~~~"]),
    AdversarialCase(name: "unclosed fence", text: filler + "\n```sh\nrm -rf build\necho done", kept: ["```sh\nrm -rf build\necho done"]),
    AdversarialCase(
        name: "URLs", text: filler + " see https://example.com/a_(b)?q=1&r=ü#frag, http://[::1]:8080/x and www.example.org/path. " + filler,
        kept: ["https://example.com/a_(b)?q=1&r=ü#frag,", "http://[::1]:8080/x", "www.example.org/path."]),
    AdversarialCase(
        name: "numbers", text: filler + " Pi is 3.14159, debt -42, total 1,234,567.89, tiny 1e-9, mask 0x1F, ٣٤٥ and ５０ units. " + filler,
        kept: ["3.14159,", "-42,", "1,234,567.89,", "1e-9,", "0x1F,", "٣٤٥", "５０"], keepNumbers: true),
    AdversarialCase(
        name: "emoji sequences", text: filler + " 👨‍👩‍👧‍👦 🧑🏽‍💻 🏴󠁧󠁢󠁳󠁣󠁴󠁿 ❤️ 1️⃣ 🇫🇷🇩🇪 👍🏿 " + filler, kept: []),
    AdversarialCase(
        name: "combining marks after white space", text: filler + " word \u{301}\u{302}accent \u{20DD} ring \u{0308}x " + filler, kept: []),
    AdversarialCase(
        name: "a protected word after a space that carries a combining mark",
        text: filler + "\nbeta \u{301}gamma delta " + filler, kept: [" \u{301}gamma"], forceTokens: ["gamma"]),
    AdversarialCase(
        name: "scripts with clusters", text: filler + " क्षि हिन्दी \u{1100}\u{1161}\u{11A8} ภาษาไทย مرحبا\u{200F} بالعالم " + filler, kept: []),
    AdversarialCase(
        name: "unusual white space", text: filler + " a\u{00A0}b c\u{2028}d e\u{3000}f g\u{200B}h i\r\nj\u{0085}k " + filler, kept: []),
    AdversarialCase(
        name: "force tokens across clusters", text: filler + " the 👩‍💻 engineer Zoë\u{301} met the café owner " + filler,
        kept: ["👩‍💻 engineer", "café owner"], forceTokens: ["👩‍💻 engineer", "café owner"]),
    AdversarialCase(
        name: "JSON with escapes and emoji",
        text: #"{"title": "Quarterly report with many words to prune away", "emoji": "👨‍👩‍👧 family \"quoted\" text", "esc": "\u00e9\ud83d\ude00 tab\there", "n": [1, 2.5e10, -0, 3], "nested": {"k": "long long long string value that could be pruned"}}"#,
        kept: [#""n": [1, 2.5e10, -0, 3]"#, #"{"title": "#, #""nested": {"k": "#]),
]

@Suite("Prompt compressor integrity under adversarial text")
struct CompressorIntegrityTests {
    let compressor = TestSupport.bare

    func check(_ item: AdversarialCase, rate: Double, question: String = "What did the committee decide about the budget?") throws {
        var request = CompressionRequest(context: [item.text, filler + " " + filler], question: question, rate: rate)
        request.keepNumbers = item.keepNumbers
        request.forceTokens = item.forceTokens
        let result = try compressor.compress(request)
        let input = IntegrityCheck.unmarked(item.text) + "\n\n" + filler + " " + filler + "\n\n" + question
        let problems = IntegrityCheck.problems(output: result.compressedPrompt, input: input, kept: item.kept)
        #expect(problems.isEmpty, "\(item.name) at rate \(rate): \(problems)\n\(result.compressedPrompt)")
        if item.text.hasPrefix("{"), let json = result.compressedContext.first(where: { $0.hasPrefix("{") }) {
            #expect((try? JSONSerialization.jsonObject(with: Data(json.utf8))) != nil, "\(json)")
        }
    }

    @Test("adversarial inputs keep protected content byte-identical and clusters whole", arguments: adversarialCases)
    func table(item: AdversarialCase) throws {
        for rate in [0.05, 0.2, 0.5, 0.9] { try check(item, rate: rate) }
    }

    @Test("a target of 0 tokens still keeps every protected span", arguments: adversarialCases.filter { !$0.kept.isEmpty })
    func zeroTarget(item: AdversarialCase) throws {
        var request = CompressionRequest(context: [item.text], question: "", targetTokens: 0)
        request.keepNumbers = item.keepNumbers
        request.forceTokens = item.forceTokens
        let result = try compressor.compress(request)
        let problems = IntegrityCheck.problems(output: result.compressedPrompt, input: IntegrityCheck.unmarked(item.text), kept: item.kept)
        #expect(problems.isEmpty, "\(item.name): \(problems)")
    }

    /// Pieces the generator glues together, each with the strings that must survive.
    static let pieces: [(text: String, kept: [String])] = [
        ("the", []), ("budget", []), ("committee", []), ("reviewed", []), ("proposals,", []), ("and", []), ("décidé", []),
        ("👨‍👩‍👧‍👦", []), ("🧑🏽‍💻", []), ("🇯🇵", []), ("❤️", []), ("#️⃣", []), ("e\u{301}", []), ("\u{301}", []), ("a\u{308}\u{304}", []),
        ("क्षि", []), ("\u{1100}\u{1161}\u{11A8}", []), ("東京", []), ("ภาษา", []),
        ("<keep>Keep this 🧑🏽‍💻 exactly!</keep>", ["Keep this 🧑🏽‍💻 exactly!"]), ("<keep>x\u{301}</keep>", ["x\u{301}"]),
        ("https://example.com/p?q=ü&x=1", ["https://example.com/p?q=ü&x=1"]), ("www.test.org/a.b", ["www.test.org/a.b"]),
        ("```\ncode 👍🏿 here\n```", ["```\ncode 👍🏿 here\n```"]), ("3.14159", ["3.14159"]), ("-1,024", ["-1,024"]),
    ]
    static let separators = [" ", " ", " ", "  ", "\n", "\n\n", "\t", "\u{00A0}", "\r\n", "\u{3000}"]

    @Test("seeded mixtures of adversarial pieces at several rates", arguments: 0 ..< 24)
    func generated(seed: Int) throws {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var contexts: [String] = []
        var kept: [String] = []
        for _ in 0 ..< 1 + next(3) {
            var text = ""
            for _ in 0 ..< 20 + next(60) {
                let piece = Self.pieces[next(Self.pieces.count)]
                // Protected pieces stand apart (a URL glued to a word would take the word in).
                let separator = Self.separators[next(Self.separators.count)]
                text += (text.isEmpty ? "" : separator) + piece.text
                kept += piece.kept
            }
            contexts.append(text)
        }
        let question = "What did the committee decide about the budget?"
        for rate in [0.1, 0.3, 0.6] {
            var request = CompressionRequest(context: contexts, question: question, rate: rate)
            request.keepNumbers = true
            let result = try compressor.compress(request)
            let input = contexts.map(IntegrityCheck.unmarked).joined(separator: "\n\n") + "\n\n" + question
            let problems = IntegrityCheck.problems(output: result.compressedPrompt, input: input, kept: kept)
            #expect(problems.isEmpty, "seed \(seed) rate \(rate): \(problems)\n\(contexts)")
        }
    }
}
