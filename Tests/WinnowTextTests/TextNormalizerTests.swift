import Testing
import WinnowText

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
