import Foundation
import Testing
@testable import WinnowPrompt
import WinnowTokenizers

/// Output pieces (cut after `.`, `!` or `?` and a space) that are not verbatim in the input:
/// a sentence whose words were pruned shows up as one of them.
func trimmedPieces(_ output: String, input: String) -> [String] {
    var pieces: [String] = []
    var current = ""
    for ch in output {
        current.append(ch)
        if ".!?".contains(ch) {
            pieces.append(current)
            current = ""
        }
    }
    pieces.append(current)
    return pieces.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty && !input.contains($0) }
}

@Suite("Sentence step and second hop")
struct SentenceStepTests {
    let compressor = TestSupport.bare

    @Test("by default the word step trims only the sentence admitted over the budget")
    func wordsTrimOneSentence() throws {
        let input = prose.joined(separator: "\n\n")
        let question = "Who designed the Eiffel Tower and how high is Mount Everest?"
        var looseTrimmed = 0
        for rate in [0.3, 0.4, 0.5, 0.6, 0.7] {
            let r = try compressor.compress(CompressionRequest(context: prose, question: question, rate: rate))
            let trimmed = r.compressedContext.flatMap { trimmedPieces($0, input: input) }
            #expect(trimmed.count <= 1, "rate \(rate): pruned inside more than one sentence: \(trimmed)")
            #expect(abs(r.achievedRate / rate - 1) <= 0.1, "rate \(rate): achieved \(r.achievedRate)")
            // With LongLLMLingua's token_budget_ratio the sentence step overshoots on purpose
            // and the word step prunes across all kept sentences: the check above sees that.
            var loose = CompressionRequest(context: prose, question: question, rate: rate)
            loose.tokenBudgetRatio = 1.6
            looseTrimmed += try compressor.compress(loose).compressedContext.flatMap { trimmedPieces($0, input: input) }.count
        }
        #expect(looseTrimmed > 5)
    }

    @Test("token_budget_ratio below 1 is refused")
    func badRatio() {
        var request = CompressionRequest(context: prose, question: "Eiffel", rate: 0.5)
        request.tokenBudgetRatio = 0.9
        #expect(throws: PromptError.self) { try compressor.compress(request) }
        #expect(throws: PromptError.self) { try CompressionRequest.decode(json: Data(#"{"context": "a b", "token_budget_ratio": "x"}"#.utf8)) }
    }

    @Test("a second-hop query reaches the bridge sentence that shares no word with the question")
    func secondHop() throws {
        let contexts = [
            "Walchelin de Ferriers was a Norman baron and principal captain of King Richard of England.",
            "Richard was the third son of Henry and Eleanor of Aquitaine. He spent most of his reign abroad.",
            "Bananas are the fruit of a large herbaceous flowering plant. They grow in warm climates.",
        ]
        let segmenter = PromptSegmenter(options: ProtectionOptions())
        let segmented = try contexts.enumerated().map { try segmenter.segment($0.element, name: "context[\($0.offset)]") }
        var plan = CompressionPlan(contexts: segmented, counter: WhitespaceTokenCounter(), background: nil)
        let question = "Who is the mother of the king that Walchelin de Ferriers was principal captain to?"
        // The bridge sentence has none of the question's words: BM25 alone gives it nothing.
        let questionTerms = Set(TermAnalyzer.terms(of: question, dropStopWords: true))
        #expect(TermAnalyzer.terms(of: "Richard was the third son of Henry and Eleanor of Aquitaine.", dropStopWords: true)
            .allSatisfy { !questionTerms.contains($0) })
        plan.prepareRelevance(question: question)
        #expect(plan.sentenceScore[1][0] > 0, "the bridge sentence names Richard, whom the best sentence names")
        #expect(plan.sentenceScore[2].allSatisfy { $0 == 0 }, "an unrelated context gains nothing")
        #expect(plan.sentenceScore[0][0] > plan.sentenceScore[1][0], "the seed sentence stays first")
        #expect(plan.bestSentenceScores()[1] > plan.bestSentenceScores()[2])
    }

    @Test("a context with one sentence that answers is not cut by the coarse step")
    func bestSentenceKeepsContext() throws {
        // The answering context is long and mostly about other things; each distractor is short
        // and shares the question's topic words, so whole-context BM25 ranks it last.
        let answer = [
            "The river trade shaped the town for centuries and its markets drew merchants from far away.",
            "Wool, grain and timber passed through the harbour, and guilds set the prices every spring.",
            "The lighthouse keeper of Fenwick harbour in 1890 was Tobias Marlowe, who kept the lamp for forty years.",
            "Later the railway arrived, the canal silted up, and the warehouses became flats and studios.",
            "Today the old customs house is a museum of maritime crafts, open on weekends from April.",
            "Local festivals celebrate the fishing fleet each summer with music, boats and food stalls.",
        ].joined(separator: " ")
        let distractors = [
            "Fenwick harbour is painted red and white every spring.",
            "The lighthouse keeper cottages are now holiday lets.",
            "A logbook from Fenwick harbour is held in the county archive.",
            "Fenwick has a lifeboat station near the lighthouse.",
            "The lighthouse keeper left when it was automated in 1962.",
            "Visitors climb the Fenwick lighthouse in summer.",
            "A painting of Fenwick harbour hangs in the inn.",
            "Keeper tours of the harbour mill start at noon.",
            "In 1890 a storm damaged the Fenwick pier.",
            "The lighthouse lens came from Paris in 1890.",
        ]
        let r = try compressor.compress(CompressionRequest(
            context: distractors + [answer], question: "Who was the lighthouse keeper of Fenwick harbour in 1890?", rate: 0.2))
        #expect(r.contexts[distractors.count].label != "dropped")
        #expect(r.compressedPrompt.contains("Tobias Marlowe"))
    }
}
