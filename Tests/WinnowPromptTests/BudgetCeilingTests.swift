import Foundation
import Testing
@testable import WinnowPrompt

/// `target_tokens` is the most tokens of the result, counted by the request's counter on the
/// returned text (issue 20 §2: GPT-2 gave N + 1 in 5 of 6 tries, because the steps plan with
/// per-word counts and GPT-2 merges across the gaps and cuts the "\n\n" separator before a word
/// into two tokens).
enum BudgetCase {
    /// A compressor without MiniLM (the budget logic does not depend on ranking), with the word
    /// model when it is present, finding the models in `models/`.
    static let compressor: PromptCompressor? = {
        var c = PromptCompressor.Configuration()
        c.modelsDirectory = TestSupport.packageRoot.appendingPathComponent("models").path
        c.tokenizer = "whitespace"
        c.useEmbedder = false
        c.useWordModel = TestSupport.model("wordfreq-large-en.msgpack") != nil
        return try? PromptCompressor(configuration: c)
    }()

    /// The counters to check: whitespace and the small byte-level BPE fixture always; GPT-2's
    /// tiktoken and MiniLM's WordPiece when their models are present.
    static var counters: [String] {
        var names = ["whitespace", "hf:" + TestSupport.fixtures.appendingPathComponent("bpe-small-tokenizer.json").path]
        if TestSupport.model("gpt2.tiktoken") != nil { names.append("gpt2") }
        if let folder = TestSupport.model("all-MiniLM-L6-v2") { names.append("wordpiece:" + folder) }
        return names
    }

    /// Seeded text with what makes BPE counts differ from per-word sums: contractions,
    /// punctuation runs, numbers, line breaks, quotes, accents and CJK.
    static func generated(seed: UInt64, words: Int) -> [String] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let vocabulary = [
            "the", "river", "Paris", "don't", "it's", "they'll", "1887", "3.14", "—", "...", "(see", "below)", "\"quoted\"",
            "naïve", "café", "東京", "U.S.", "e.g.", "well-known", "#tag", "a", "of", "and", "engineer", "built", "tower",
            "x86_64", "!!", "?", "mid-century", "co-operation", "'s", "12,000", "km", "über", "to", "in", "was",
        ]
        var contexts: [String] = []
        for _ in 0 ..< 1 + next(4) {
            var text = ""
            for w in 0 ..< max(1, words / 2 + next(words)) {
                if w > 0 { text += next(12) == 0 ? "\n" : next(25) == 0 ? "  " : " " }
                text += vocabulary[next(vocabulary.count)]
                if next(9) == 0 { text += next(2) == 0 ? "." : "," }
            }
            contexts.append(text)
        }
        return contexts
    }

    /// Budgets across the range: the issue's small ones and fractions of the original.
    static func budgets(origin: Int, floor: Int) -> [Int] {
        let candidates = [30, 40, 62] + [0.08, 0.2, 0.35, 0.5, 0.75, 0.93].map { Int(Double(origin) * $0) }
        return Array(Set(candidates.filter { $0 >= floor && $0 < origin })).sorted()
    }

    /// How far under the budget a result may fall: 5 % of it, at least 4 tokens, and at least
    /// the prompt's longest word in the counter's tokens (words go whole: with the small BPE
    /// fixture one word is up to a dozen tokens).
    /// When the room left for the context (budget − question) is under twice the longest word,
    /// the context may be dropped whole (seen with the small BPE fixture: budget 40, question
    /// 24 tokens, words of up to 12).
    static func slack(_ budget: Int, longestWord: Int, room: Int) -> Int {
        room < 2 * longestWord ? room : max(4, budget / 20, longestWord)
    }

    /// Compresses `context` to each budget with `counterName`; returns the problems found.
    static func check(_ context: [String], question: String, counterName: String, label: String) throws -> [String] {
        guard let compressor else { return ["the compressor did not load"] }
        let counter = try compressor.counter(named: counterName)
        var found: [String] = []
        let origin = counter.count(PromptCompressor.join(context + [question], "\n\n"))
        let longestWord = context.flatMap { $0.split(whereSeparator: \.isWhitespace) }.map { counter.count(" " + $0) }.max() ?? 0
        for budget in budgets(origin: origin, floor: counter.count(question) + 8) {
            var request = CompressionRequest(context: context, question: question, targetTokens: budget)
            request.tokenizer = counterName
            let r = try compressor.compress(request)
            let n = counter.count(r.compressedPrompt)
            if n != r.compressedTokens { found.append("\(label) \(counter.name) budget \(budget): reported \(r.compressedTokens), text has \(n)") }
            if n > budget { found.append("\(label) \(counter.name) budget \(budget): \(n) tokens (over)") }
            let room = budget - counter.count(question)
            if n < budget - slack(budget, longestWord: longestWord, room: room) { found.append("\(label) \(counter.name) budget \(budget): \(n) tokens (needlessly short)") }
        }
        return found
    }
}

@Suite("Token budget is a ceiling for every counter")
struct BudgetCeilingTests {
    @Test("seeded generated prompts × budgets × counters: count(result) ≤ budget, and not more than the slack under it",
          arguments: 0 ..< 12)
    func generatedPrompts(seed: Int) throws {
        let context = BudgetCase.generated(seed: UInt64(seed), words: 40 + 25 * seed)
        for name in BudgetCase.counters {
            let problems = try BudgetCase.check(context, question: "Who built the tower in Paris?", counterName: name, label: "seed \(seed)")
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
    }

    @Test("SQuAD paragraphs × budgets × counters (needs ../shared)", arguments: 0 ..< 6)
    func realPrompts(block: Int) throws {
        guard let paragraphs = TestSupport.squadParagraphs() else {
            print("skipped: ../shared/data/qa/squad-dev is absent; the generated prompts still ran")
            return
        }
        // Eight prompts per block of one to three consecutive paragraphs, spread over the set.
        for p in 0 ..< 8 {
            let start = (block * 8 + p) * 37 % paragraphs.count
            let context = Array(paragraphs[start ..< min(paragraphs.count, start + 1 + (p % 3))])
            for name in BudgetCase.counters {
                let problems = try BudgetCase.check(
                    context, question: "What happened in the year the text names?", counterName: name, label: "squad[\(start)]")
                #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
            }
        }
    }

    @Test("the issue's budgets with GPT-2: 30, 40 and 62 tokens hold exactly (needs models/gpt2.tiktoken)")
    func issueBudgets() throws {
        guard TestSupport.model("gpt2.tiktoken") != nil, let compressor = BudgetCase.compressor else {
            print("skipped: models/gpt2.tiktoken is absent (make deps-models)")
            return
        }
        let gpt2 = try compressor.counter(named: "gpt2")
        for budget in [30, 40, 62] {
            var request = CompressionRequest(context: prose, question: "When was the Eiffel Tower built?", targetTokens: budget)
            request.tokenizer = "gpt2"
            let r = try compressor.compress(request)
            #expect(gpt2.count(r.compressedPrompt) <= budget, "\(budget): \(r.compressedPrompt.debugDescription)")
            #expect(r.compressedTokens <= budget)
            #expect(r.warnings.allSatisfy { !$0.contains("for a target of") })
        }
    }
}
