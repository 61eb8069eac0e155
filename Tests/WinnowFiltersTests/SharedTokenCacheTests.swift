import Testing
import WinnowCore
@testable import WinnowFilters

/// The rule stages share one token cache per task (`StageContext.shared`): running them in a
/// chain on one task's contexts must decide and rewrite exactly as running each on a fresh
/// context does, including when c4_quality rewrites the text between stages and when
/// consecutive documents repeat a text.
@Suite("Rule stages sharing a task's token cache")
struct SharedTokenCacheTests {
    /// Varied documents: plain prose, repeated lines, C4 boilerplate lines, curly brackets, short
    /// and empty ones, CJK, and exact repeats of the previous document's text.
    static func documents() -> [String] {
        let prose = plainWords(120).joined(separator: " ")
        // Sentences of distinct words with a few stop words: no repeated n-grams, so the clean
        // documents below are kept by all four stages.
        let stops = ["the", "of", "and", "to", "with", "that"]
        let sentences = (0 ..< 12).map { i in
            let words = (0 ..< 10).map { fillerWord(i * 10 + $0 + 7) }
            return "A " + words[0 ..< 3].joined(separator: " ") + " \(stops[i % 6]) " + words[3 ..< 6].joined(separator: " ")
                + " \(stops[(i + 1) % 6]) " + words[6 ..< 10].joined(separator: " ") + "."
        }
        var docs: [String] = [
            sentences.joined(separator: "\n"),
            sentences.joined(separator: "\n") + "\nPlease enable JavaScript to view this page.\nTerms of use apply.",
            sentences.prefix(6).joined(separator: "\n") + "\nfunction f() { return 1; }\n" + sentences.suffix(6).joined(separator: "\n"),
            String(repeating: sentences[0] + "\n", count: 30),
            prose,
            prose,  // the same text again: a cache hit across documents
            sentences.joined(separator: " ") + " lorem ipsum dolor sit amet",
            "",
            "   \n\t",
            "東京都に住んでいます。今日は晴れです。" + sentences[1],
            sentences.map { $0 + " ..." }.joined(separator: "\n"),
            sentences.map { "- " + $0 }.joined(separator: "\n"),
        ]
        docs.append(docs[1])  // a text c4_quality rewrites, right after a different document
        return docs
    }

    @Test("a chain on one task's contexts equals each stage on fresh contexts")
    func chainEqualsFresh() throws {
        let stages: [any DocumentStage] = [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter()]
        let task = TaskLocals()
        let shared = stages.map { _ in StageContext(task: task) }
        var outcomes: [String] = []
        for (index, text) in Self.documents().enumerated() {
            var chained = Document(id: "d\(index)", text: text)
            var fresh = Document(id: "d\(index)", text: text)
            var chainedVerdict = Verdict.keep
            var freshVerdict = Verdict.keep
            for (k, stage) in stages.enumerated() {
                if chainedVerdict == .keep { chainedVerdict = try stage.process(&chained, context: shared[k]) }
                if freshVerdict == .keep { freshVerdict = try stage.process(&fresh, context: StageContext()) }
            }
            #expect(chainedVerdict == freshVerdict, "document \(index)")
            #expect(chained.text == fresh.text, "document \(index)")
            outcomes.append("\(chainedVerdict)")
        }
        // The set must exercise both outcomes, or the comparison proves little.
        #expect(outcomes.contains("keep"))
        #expect(outcomes.contains { $0 != "keep" })
    }
}
