import Foundation
import Testing
import WinnowCore
@testable import WinnowLM
import WinnowText

/// A fresh temporary folder for one test.
func temporaryFolder(_ name: String = #function) throws -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "winnow-lm-\(safe)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func words(_ s: String) -> [Substring] { s.split(separator: " ") }

/// A deterministic Zipf-like corpus with enough repetition for valid discounts at every order.
func syntheticCorpus(sentences: Int, vocabulary: Int = 3000, seed: UInt64 = 7) -> [[Substring]] {
    var state = seed
    func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
    var out: [[Substring]] = []
    for _ in 0..<sentences {
        let len = 3 + Int(next() % 12)
        var s: [Substring] = []
        var prev = Int(next() % 20)
        for _ in 0..<len {
            // Zipf-ish: a small id with high probability, with some dependence on the previous word.
            let r = Double(next() % 1_000_000) / 1_000_000
            let w = (Int(pow(Double(vocabulary), r * r * r)) + (r < 0.3 ? prev : 0)) % vocabulary
            s.append(Substring("w\(w)"))
            prev = w
        }
        out.append(s)
    }
    return out
}

@Suite("Kneser-Ney training")
struct KneserNeyTests {
    @Test("bigram values equal hand-computed modified KN (D = 0.5, 1, 1.5)")
    func handChecked() throws {
        var t = KneserNeyTrainer(order: 2, options: .init(fixedDiscounts: [0.5, 1, 1.5]))
        for s in ["a b", "a", "b a"] { t.add(sentence: words(s)) }
        let m = try t.build()
        // Adjusted unigram counts a=2, b=2, </s>=2 (distinct left neighbours); Σ=6, N2=3:
        // γ(ε) = 1·3/6 = 1/2; uniform over {<unk>, </s>, a, b} = 1/4.
        // p(a) = (2−1)/6 + 1/2·1/4 = 7/24; p(<unk>) = 1/8.
        let pa = m.log10Probabilities(words("a"), bos: false, eos: false)[0]
        #expect(abs(Double(pa) - log10(7.0 / 24)) < 1e-6)
        let punk = m.log10Probabilities(words("zzz"), bos: false, eos: false)[0]
        #expect(abs(Double(punk) - log10(1.0 / 8)) < 1e-6)
        // p(a|<s>) = (2−1)/3 + γ(<s>)·7/24 with γ(<s>) = (0.5+1)/3 = 1/2 → 23/48;
        // p(b|a) = 0.5/3 + 1/2·7/24 = 15/48; p(</s>|b) = 0.5/2 + 1/2·7/24 = 19/48.
        let p = m.log10Probabilities(words("a b"), bos: true, eos: true)
        let expected = [23.0 / 48, 15.0 / 48, 19.0 / 48].map(log10)
        for (x, e) in zip(p, expected) { #expect(abs(Double(x) - e) < 1e-6) }
        // Unseen bigram "b b": backoff γ(b)·p(b) = 1/2 · 7/24.
        let bb = m.log10Probabilities(words("b b"), bos: false, eos: false)
        #expect(abs(Double(bb[1]) - log10(7.0 / 48)) < 1e-6)
        #expect(abs(m.sentenceLog10Probability(words("a b")) - expected.reduce(0, +)) < 1e-5)
    }

    @Test("trigram values equal hand-computed modified KN, incl. <s>-started counts")
    func handCheckedTrigram() throws {
        var t = KneserNeyTrainer(order: 3, options: .init(fixedDiscounts: [0.5, 1, 1.5]))
        for s in ["a b", "a b", "b b"] { t.add(sentence: words(s)) }
        let m = try t.build()
        // Trigrams (raw): <s> a b:2, a b </s>:2, <s> b b:1, b b </s>:1.
        // Bigrams: <s> a:2, <s> b:1 (raw, start with <s>); a b:1 ({<s>}), b </s>:2 ({a, b}), b b:1 ({<s>}).
        // Unigrams: a:1 ({<s>}), b:3 ({<s>, a, b}), </s>:1 ({b}); Σ=5, N1=2, N3+=1 →
        // γ(ε) = (0.5·2 + 1.5)/5 = 1/2; |V| = 4 (<unk>, </s>, a, b).
        let pb = 1.5 / 5 + 0.5 / 4          // (3−1.5)/5 + γ/4 = 0.425
        let peos = 0.5 / 5 + 0.5 / 4        // 0.225
        // Context b: b </s>:2, b b:1 → Σ=3, γ=(0.5+1)/3=1/2. p(</s>|b) = 1/3 + 1/2·0.225.
        let peosB = 1.0 / 3 + 0.5 * peos
        // Context "a b" (trigram level): a b </s>:2 → Σ=2, γ=1/2; p(</s>|a b) = 1/2 + 1/2·11/24.
        let peosAB = 1.0 / 2 + 0.5 * peosB
        let p = m.log10Probabilities(words("b"), bos: false, eos: false)
        #expect(abs(Double(p[0]) - log10(pb)) < 1e-6)
        let s = m.log10Probabilities(words("a b"), bos: true, eos: true)
        #expect(abs(Double(s[2]) - log10(peosAB)) < 1e-6)
    }

    @Test("probabilities over the vocabulary (with </s>, without <s>) sum to 1", arguments: [2, 3, 4])
    func sumsToOne(order: Int) throws {
        var t = KneserNeyTrainer(order: order)
        for s in syntheticCorpus(sentences: 3000) { t.add(sentence: s) }
        let m = try t.build()
        let histories: [[Substring]] = [[], words("w0"), words("w1 w0"), words("w3 w1 w2"), words("never seen"), words("w0 w0 w0")]
        for h in histories {
            var total = 0.0
            for id in 0..<UInt32(m.vocabularySize) where id != NGramModel.bosID {
                let ids = h.map { m.id(of: $0) } + [id]
                total += pow(10, Double(m.log10Probabilities(ids: ids, bos: true, eos: false).last!))
            }
            #expect(abs(total - 1) < 1e-4, "history \(h): Σp = \(total)")
        }
    }
}

@Suite("Model files")
struct ModelFileTests {
    func trained(order: Int = 3) throws -> KneserNeyTrainer {
        var t = KneserNeyTrainer(order: order)
        for s in syntheticCorpus(sentences: 2000) { t.add(sentence: s) }
        return t
    }

    let probes: [[Substring]] = [words("w0 w1 w2 w3"), words("w5 unknown w0"), [], words("w12 w12 w12 w12 w12 w12")]

    @Test("ARPA round trip: the loaded model scores exactly as the trained one")
    func arpaRoundTrip() throws {
        let t = try trained()
        let dir = try temporaryFolder()
        try t.writeARPA(to: dir + "/m.arpa")
        let a = try NGramModel.load(path: dir + "/m.arpa")
        let b = try t.build()
        #expect(a.order == 3)
        #expect(a.vocabularySize == b.vocabularySize)
        for p in probes {
            #expect(a.log10Probabilities(p, bos: true, eos: true) == b.log10Probabilities(p, bos: true, eos: true))
        }
        // gzip ARPA loads too.
        try t.writeARPA(to: dir + "/m.arpa.gz")
        let g = try NGramModel.load(path: dir + "/m.arpa.gz")
        #expect(g.log10Probabilities(probes[0], bos: true, eos: true) == b.log10Probabilities(probes[0], bos: true, eos: true))
    }

    @Test("binary round trip gives identical scores")
    func binaryRoundTrip() throws {
        let m = try trained().build()
        let dir = try temporaryFolder()
        try m.writeBinary(to: dir + "/m.wlm")
        let l = try NGramModel.load(path: dir + "/m.wlm")
        #expect(l.order == m.order)
        for p in probes {
            #expect(l.log10Probabilities(p, bos: true, eos: true) == m.log10Probabilities(p, bos: true, eos: true))
            #expect(l.log10Probabilities(p, bos: false, eos: false) == m.log10Probabilities(p, bos: false, eos: false))
        }
        #expect(l.perplexity(ofDocument: "W0 w1\nw2 w3") == m.perplexity(ofDocument: "W0 w1\nw2 w3"))
    }

    @Test("truncated or foreign binary files are rejected with the path")
    func badBinary() throws {
        let m = try trained(order: 2).build()
        let dir = try temporaryFolder()
        try m.writeBinary(to: dir + "/m.wlm")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/m.wlm"))
        try bytes.prefix(bytes.count - 8).write(to: URL(fileURLWithPath: dir + "/t.wlm"))
        #expect { try NGramModel.load(path: dir + "/t.wlm") } throws: { "\($0)".contains("t.wlm") && "\($0)".contains("size") }
        var v2 = bytes
        v2[8] = 9
        try v2.write(to: URL(fileURLWithPath: dir + "/v.wlm"))
        #expect { try NGramModel.load(path: dir + "/v.wlm") } throws: { "\($0)".contains("version 9") }
    }

    @Test("malformed ARPA is an error naming file:line", arguments: [
        ("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\\end\\\n", ":7:", "has 2 entries"),
        ("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\nabc\t</s>\n\\end\\\n", ":6:", "bad log10 probability"),
        ("\\data\\\nngram 1=2\nngram 2=1\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\\2-grams:\n-1\t<s> x\n\\end\\\n", ":8:", "not among the unigrams"),
        ("hello\n", ":1:", "expected \\data\\"),
        ("\\data\\\nngram 1=2\n\\1-grams:\n-1\t<s>\t-0.5\t7\n", ":4:", "fields"),
        ("\\data\\\nngram 1=2\n\\1-grams:\n-1\t<s>\n-1\t</s>\n", ":5:", "unexpected end of file"),
    ])
    func malformedARPA(text: String, line: String, message: String) throws {
        let dir = try temporaryFolder()
        let path = dir + "/bad.arpa"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try NGramModel.load(path: path) } throws: { e in
            let d = "\(e)"
            return e is InputError && d.contains("bad.arpa" + line) && d.contains(message)
        }
    }

    @Test("training is deterministic: the same sentences give byte-identical ARPA and binary files")
    func deterministic() throws {
        let dir = try temporaryFolder()
        try trained().writeARPA(to: dir + "/a.arpa")
        try trained().writeARPA(to: dir + "/b.arpa")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.arpa")) == Data(contentsOf: URL(fileURLWithPath: dir + "/b.arpa")))
        try trained().build().writeBinary(to: dir + "/a.wlm")
        try trained().build().writeBinary(to: dir + "/b.wlm")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.wlm")) == Data(contentsOf: URL(fileURLWithPath: dir + "/b.wlm")))
    }

    @Test("a tiny corpus without a fallback is a clear discount error")
    func discountError() throws {
        var t = KneserNeyTrainer(order: 3)
        t.add(sentence: words("a b c"))
        #expect { try t.build() } throws: { "\($0)".contains("discount") }
        var f = KneserNeyTrainer(order: 3, options: .init(discountFallback: [0.5, 1, 1.5]))
        f.add(sentence: words("a b c"))
        _ = try f.build()
    }
}
