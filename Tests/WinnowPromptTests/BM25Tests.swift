import Foundation
import Testing
@testable import WinnowPrompt

@Suite("BM25")
struct BM25Tests {
    @Test("scores follow Okapi BM25 with Lucene's idf")
    func okapi() {
        let index = BM25Index(documents: ["the cat sat on the mat", "a dog barked at the cat", "birds fly south"])
        let s = index.scores(query: "cat mat")
        // cat: in 2 of 3 documents; mat: in 1. Document 0 has 3 terms (the, on dropped), document 1 has 3.
        let idfCat = log(1 + (3 - 2 + 0.5) / (2 + 0.5))
        let idfMat = log(1 + (3 - 1 + 0.5) / (1 + 0.5))
        let avg = (3.0 + 3.0 + 3.0) / 3
        func term(_ idf: Double, _ tf: Double, _ len: Double) -> Double { idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len / avg)) }
        #expect(abs(s[0] - (term(idfCat, 1, 3) + term(idfMat, 1, 3))) < 1e-12)
        #expect(abs(s[1] - term(idfCat, 1, 3)) < 1e-12)
        #expect(s[2] == 0)
    }

    @Test("CJK text is indexed per character and empty input scores nothing")
    func cjkAndEmpty() {
        let index = BM25Index(documents: ["东京大学", "北京大学", ""])
        let s = index.scores(query: "东京")
        #expect(s[0] > s[1])
        #expect(s[2] == 0)
        #expect(BM25Index(documents: [String]()).scores(query: "x").isEmpty)
    }
}
