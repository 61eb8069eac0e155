import Testing
import WinnowText

@Suite("CCNetNormalizer")
struct CCNetNormalizerTests {
    // Expected values from cc_net's text_normalizer.normalize (Python) on the same inputs.
    @Test("matches cc_net's normalize", arguments: [
        ("  Hello World  ", "hello world"),
        ("Café NAÏVE résumé", "cafe naive resume"),
        ("In 2019, 3.5% of 1,000", "in 0000, 0.0% of 0,000"),
        ("«Bonjour» — dit‑il…", "\"bonjour\"  -  dit‑il..."),
        ("１２３ and ٣", "000 and 0"),
        ("full，width。stop：yes？（x）", "full,width.stop:yes?(x)"),
        ("tab\there\u{7}bell", "tabherebell"),
        ("it’s ok", "it's ok"),
        ("Ωμέγα ΣΟΦΙΑ", "ωμεγα σοφια"),
        ("東京タワー", "東京タワー"),
        ("", ""),
        ("   ", ""),
        ("ＡＢＣ", "ａｂｃ"),
        ("\u{85}next\u{9F}", "next"),
    ])
    func table(input: String, expected: String) {
        #expect(CCNetNormalizer().normalize(input) == expected)
    }

    @Test("words split on ASCII whitespace only")
    func split() {
        var w: [Substring] = []
        CCNetNormalizer.splitWords("a  b\tc\u{A0}d  ", into: &w)
        #expect(w == ["a", "b", "c\u{A0}d"])
    }
}
