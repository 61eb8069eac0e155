import Foundation
import Testing
@testable import WinnowText

@Suite("TextNormalizer")
struct TextNormalizerTests {
    func norm(_ s: String) -> String {
        var out: [UInt8] = []
        TextNormalizer().normalize(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test("lowercases and collapses whitespace", arguments: [
        ("Hello   World", "hello world"),
        ("  lead and trail \n", "lead and trail"),
        ("Tabs\tand\r\nnewlines", "tabs and newlines"),
        ("ÉCOLE Ünïcode", "école ünïcode"),
        ("東京 🙂", "東京 🙂"),
        ("", ""),
        (" \n\t", ""),
    ])
    func table(input: String, expected: String) {
        #expect(norm(input) == expected)
    }

    @Test("equal after normalisation means equal hash")
    func hash() {
        var s: [UInt8] = []
        let n = TextNormalizer()
        #expect(n.hash("A  b", scratch: &s) == n.hash("a b", scratch: &s))
        #expect(n.hash("a b", scratch: &s) != n.hash("a c", scratch: &s))
    }

    @Test("ICU is the system's")
    func icuVersion() {
        #expect(ICUInfo.version.hasPrefix("7"))
    }
}

@Suite("TextNormalizer fast paths", .serialized)
struct TextNormalizerFastPathTests {
    /// The C block code to run: portable, SSE2, AVX2 (a choice the CPU lacks runs the best it has).
    static let isas: [Int32] = [0, 1, 2]

    /// The obvious byte-at-a-time definition, for checking the eight-byte fast paths.
    func reference(_ s: String) -> String {
        let ws: Set<Unicode.Scalar> = [" ", "\n", "\t", "\r", "\u{0B}", "\u{0C}"]
        return s.lowercased().unicodeScalars.split(whereSeparator: { ws.contains($0) })
            .map { String(String.UnicodeScalarView($0)) }.joined(separator: " ")
    }

    @Test("agrees with the plain definition on 5,000 random strings", arguments: isas)
    func randomStrings(isa: Int32) {
        TextNormalizer.setBlockISA(isa)
        defer { TextNormalizer.setBlockISA(-1) }
        var state: UInt64 = 99
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        let pieces = ["a", "B", "xyz", "HELLO", " ", "  ", "\n", "\t", "\r\n", "!", "0", "é", "Ä", "東", "🙂", "~", "@", "[", "`", "{"]
        for _ in 0..<5000 {
            var s = ""
            for _ in 0..<Int(next() % 60) { s += pieces[Int(next() % UInt64(pieces.count))] }
            var out: [UInt8] = []
            TextNormalizer().normalize(s, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == reference(s), "\(s.debugDescription)")
        }
    }

    /// Long runs of printable ASCII (the 16- and 8-byte paths) broken at every offset by a
    /// second space, a control byte, DEL, a byte next to the A–Z range or a non-ASCII letter.
    @Test("agrees with the plain definition on 3,000 long mostly-ASCII strings", arguments: isas)
    func longASCIIRuns(isa: Int32) {
        TextNormalizer.setBlockISA(isa)
        defer { TextNormalizer.setBlockISA(-1) }
        var state: UInt64 = 7
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        let plain = ["Quick", "brown", "FOX", "jumps", "over", "the", "LAZY", "dog", " ", "@[`{", "AZaz", "0123456789", ",.;:!?"]
        let breaks = [
            "  ", "\n", "\t", " \n ", "\u{7F}", "\u{1F}", "É", "ß", "İ", "\r\n\r\n", "   ", "\u{0B}\u{0C}", "\u{08}", "\u{0E}",
            String(repeating: " ", count: 40), "\n\n\n\t\t  ",
        ]
        for _ in 0..<3000 {
            var s = ""
            for _ in 0..<Int(next() % 120) {
                s += next() % 9 == 0 ? breaks[Int(next() % UInt64(breaks.count))] : plain[Int(next() % UInt64(plain.count))]
            }
            var out: [UInt8] = []
            TextNormalizer().normalize(s, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == reference(s), "\(s.debugDescription)")
        }
    }
}

@Suite("DatatroveNormalizer")
struct DatatroveNormalizerTests {
    struct Case: Decodable {
        var text: String
        var simplified: String
    }

    /// Hand-written hard strings with the output of datatrove 0.10.1's `simplify_text`
    /// (generated once with bench/.venv; see the fixture's neighbours in bench/).
    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/simplify_text.jsonl")
        guard let data = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return data.split(separator: "\n").compactMap { try? JSONDecoder().decode(Case.self, from: Data($0.utf8)) }
    }()

    @Test("matches datatrove's simplify_text on the fixture")
    func parity() {
        #expect(Self.cases.count >= 40)
        for c in Self.cases {
            #expect(DatatroveNormalizer().normalize(c.text) == c.simplified, "\(c.text.debugDescription)")
        }
    }
}
