import Foundation
import Testing
import WinnowCore
@testable import WinnowLM

@Suite("perplexity stage")
struct PerplexityStageTests {
    /// The synthetic words with digits spelt as letters (cc_net's normaliser maps digits to 0).
    static func letters(_ s: String) -> String {
        String(s.map { c in c.isASCII && c.isNumber ? Character(UnicodeScalar(UInt8(ascii: "a") + c.asciiValue! - 48)) : c })
    }

    static func corpus(_ sentences: Int, seed: UInt64 = 7) -> [String] {
        syntheticCorpus(sentences: sentences, seed: seed).map { letters($0.joined(separator: " ")) }
    }

    func model() throws -> NGramModel {
        var t = KneserNeyTrainer(order: 3)
        for s in Self.corpus(2000) { t.add(sentence: s.split(separator: " ")) }
        return try t.build()
    }

    @Test("document perplexity follows cc_net: normalised lines, words + 1 tokens per line")
    func documentPerplexity() throws {
        let m = try model()
        let doc: Substring = "Wa wb WC\n\nwd Wé"
        let expected = m.sentenceLog10Probability(["wa", "wb", "wc"]) + m.sentenceLog10Probability([])
            + m.sentenceLog10Probability(["wd", "we"])
        let s = m.score(document: doc)
        #expect(s.tokens == 4 + 1 + 3)
        #expect(abs(s.log10Probability - expected) < 1e-9)
        #expect(abs(m.perplexity(ofDocument: doc) - pow(10, -expected / 8)) < 1e-9)
    }

    @Test("fixed cutoffs bucket each document and `keep` drops the rest")
    func fixedCutoffs() throws {
        let m = try model()
        let texts = ["wa wb wc wa wb", "wcjj wcji wcjh", "wa wa wb wc"]
        let ppl = texts.map { m.perplexity(ofDocument: $0[...]) }
        let mid = ppl.sorted()[1]
        let stage = PerplexityAnnotator(model: m, cutoffs: (mid, mid + 1e-9), keep: [.head, .middle])
        for (text, p) in zip(texts, ppl) {
            var d = Document(id: "d", text: text)
            let v = try stage.process(&d, context: StageContext())
            #expect(d.scores["perplexity"] == p)
            let bucket = p < mid ? "head" : p < mid + 1e-9 ? "middle" : "tail"
            #expect(d.metadata["bucket"] == .string(bucket))
            #expect(v == (bucket == "tail" ? .drop(reason: "perplexity_tail") : .keep))
        }
    }

    @Test("without cutoffs the run's 30th/60th percentiles split the corpus (two shards)")
    func corpusPercentiles() throws {
        let m = try model()
        let dir = try temporaryFolder()
        let stage = PerplexityBucketer(model: m, keep: [.head, .middle])
        let corpus = Self.corpus(100, seed: 99)
        let shards = [Array(corpus[..<40]), Array(corpus[40...])]
        for (i, docs) in shards.enumerated() {
            let o = try stage.makeObserver(context: CorpusContext(workDirectory: dir, shard: i, shardCount: 2))
            for (j, t) in docs.enumerated() { try o.observe(Document(id: "\(i)-\(j)", text: t), index: j) }
            try o.finish()
        }
        try stage.resolve(step: 0, partition: 0, context: CorpusContext(workDirectory: dir, shard: -1, shardCount: 2))
        var counts: [String: Int] = [:]
        var kept = 0
        for (i, docs) in shards.enumerated() {
            let d = try stage.makeDecider(context: CorpusContext(workDirectory: dir, shard: i, shardCount: 2))
            for (j, t) in docs.enumerated() {
                var doc = Document(id: "\(i)-\(j)", text: t)
                if try d.decide(&doc, index: j) == .keep { kept += 1 }
                #expect(doc.scores["perplexity"] == m.perplexity(ofDocument: t[...]))
                if case .string(let b) = doc.metadata["bucket"] { counts[b, default: 0] += 1 }
            }
        }
        // 100 distinct perplexities: 30 below the 30th percentile, 30 more below the 60th.
        let sorted = corpus.map { m.perplexity(ofDocument: $0[...]) }.sorted()
        #expect(Set(sorted).count == 100)
        #expect(counts == ["head": 30, "middle": 30, "tail": 40])
        #expect(kept == 60)
        #expect(Perplexity.percentile([1, 2, 3, 4], 50) == 2.5)
    }
}
