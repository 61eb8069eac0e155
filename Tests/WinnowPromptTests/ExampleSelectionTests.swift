import Foundation
import Testing
import WinnowCore
@testable import WinnowPrompt
import WinnowTokenizers

/// A pool with hand-made 3-d vectors, so selection can be checked without the model.
enum ExampleFixtures {
    /// (input, output, label, vector)
    static let rows: [(String, String, String, [Float])] = [
        ("the cat sat on the mat", "animal", "A", [1, 0, 0]),
        ("a cat on a mat", "animal", "A", [0.99, 0.14, 0]),
        ("dogs chase cats around", "animal", "A", [0.8, 0.6, 0]),
        ("stocks fell sharply today", "finance", "B", [0, 1, 0]),
        ("the market rallied at noon", "finance", "B", [0.1, 0.99, 0]),
        ("rain is expected tomorrow", "weather", "C", [0, 0, 1]),
        ("a very long example about the weather that rambles on and on for many many words indeed", "weather", "C", [0.7, 0, 0.71]),
    ]

    static func index(_ extra: [(String, String, String, [Float])] = []) -> ExampleIndex {
        let all = rows + extra
        let pool = ExamplePool(examples: all.map { Example(input: $0.0, output: $0.1, label: $0.2) })
        return ExampleIndex(pool: pool, vectors: all.flatMap(\.3), dimension: 3)
    }

    static let whitespace = WhitespaceTokenCounter()
}

@Suite("example selection")
struct ExampleSelectionTests {
    @Test("knn takes the k nearest and puts the most similar last")
    func knnOrder() throws {
        let selection = try ExampleFixtures.index().select(
            query: "cat", queryVector: [1, 0.05, 0], options: .init(k: 3), counter: ExampleFixtures.whitespace)
        #expect(selection.examples.map(\.index) == [2, 1, 0])
        let scores = selection.examples.map(\.score)
        #expect(scores == scores.sorted(), "least relevant first: \(scores)")
    }

    @Test("an exact duplicate of the query is skipped, and a repeated input is chosen once")
    func duplicates() throws {
        let index = ExampleFixtures.index([("  stocks fell sharply today ", "finance", "B", [0, 1, 0])])
        let selection = try index.select(
            query: "stocks fell sharply today", queryVector: [0, 1, 0], options: .init(k: 3), counter: ExampleFixtures.whitespace)
        #expect(!selection.examples.contains { $0.input.trimmingCharacters(in: .whitespaces) == "stocks fell sharply today" })
        #expect(selection.skippedDuplicates == 2)
        let repeated = ExampleFixtures.index([("a cat on a mat", "animal", "A", [0.99, 0.14, 0])])
        let picks = try repeated.select(query: "x", queryVector: [1, 0.1, 0], options: .init(k: 4), counter: ExampleFixtures.whitespace)
        #expect(picks.examples.filter { $0.input == "a cat on a mat" }.count == 1)
    }

    @Test(
        "every selection respects its budget, and the totals add up",
        arguments: [1, 3, 6, 9, 12, 20, 40, 1000], ExampleSelectionMethod.allCases)
    func budgets(budget: Int, method: ExampleSelectionMethod) throws {
        let index = ExampleFixtures.index()
        let selection = try index.select(
            query: "the cat and the weather", queryVector: [0.7, 0.1, 0.7], options: .init(k: 8, method: method, budget: budget),
            counter: ExampleFixtures.whitespace)
        #expect(selection.totalTokens <= budget)
        #expect(selection.totalTokens == selection.examples.reduce(0) { $0 + $1.tokens })
        for example in selection.examples {
            #expect(example.tokens == ExampleFixtures.whitespace.count(index.pool.examples[example.index].rendered))
        }
        // Greedy packing leaves out only what did not fit: every example not chosen would overflow.
        let chosen = Set(selection.examples.map(\.index))
        if selection.examples.count < 7 {
            for i in 0 ..< 7 where !chosen.contains(i) {
                #expect(selection.totalTokens + ExampleFixtures.whitespace.count(index.pool.examples[i].rendered) > budget)
            }
        }
    }

    @Test("an example over the remaining budget is passed over for a smaller, less relevant one")
    func packingSkips() throws {
        // The long weather example is the most similar but takes 19 tokens; the budget allows 10.
        let selection = try ExampleFixtures.index().select(
            query: "q", queryVector: [0.7, 0, 0.71], options: .init(k: 1, budget: 10), counter: ExampleFixtures.whitespace)
        #expect(selection.examples.count == 1)
        #expect(selection.examples[0].index != 6)
        #expect(selection.skippedOverBudget == 1)
    }

    @Test("label balance allows at most ceil(k / labels) per label")
    func balance() throws {
        let index = ExampleFixtures.index()
        let plain = try index.select(query: "q", queryVector: [1, 0, 0], options: .init(k: 3), counter: ExampleFixtures.whitespace)
        #expect(plain.examples.allSatisfy { $0.label == "A" })
        let balanced = try index.select(
            query: "q", queryVector: [1, 0, 0], options: .init(k: 3, balanceLabels: true), counter: ExampleFixtures.whitespace)
        #expect(Set(balanced.examples.compactMap(\.label)) == ["A", "B", "C"])
    }

    @Test("MMR with λ = 1 is kNN; with a small λ it trades a near-copy for a different example")
    func mmr() throws {
        let index = ExampleFixtures.index()
        let query: [Float] = [1, 0.3, 0]
        let knn = try index.select(query: "q", queryVector: query, options: .init(k: 2), counter: ExampleFixtures.whitespace)
        let same = try index.select(query: "q", queryVector: query, options: .init(k: 2, method: .mmr, lambda: 1), counter: ExampleFixtures.whitespace)
        #expect(knn.examples.map(\.index) == same.examples.map(\.index))
        #expect(Set(knn.examples.map(\.index)) == [0, 1])
        let diverse = try index.select(
            query: "q", queryVector: query, options: .init(k: 2, method: .mmr, lambda: 0.3), counter: ExampleFixtures.whitespace)
        #expect(Set(diverse.examples.map(\.index)) != [0, 1])
        #expect(diverse.examples.contains { $0.index == 0 || $0.index == 1 })
    }

    @Test("BM25 needs no vectors and ranks the lexical match first")
    func bm25() throws {
        let index = ExampleIndex(pool: ExampleFixtures.index().pool, vectors: nil, dimension: 0)
        let selection = try index.select(
            query: "market rallied", queryVector: nil, options: .init(k: 2, method: .bm25), counter: ExampleFixtures.whitespace)
        #expect(selection.examples.last?.index == 4)
        #expect(throws: PromptError.self) {
            try index.select(query: "q", queryVector: nil, options: .init(k: 2, method: .knn), counter: ExampleFixtures.whitespace)
        }
    }

    @Test("random selection is deterministic for a seed and changes with it")
    func random() throws {
        let index = ExampleFixtures.index()
        func pick(_ seed: UInt64) throws -> [Int] {
            try index.select(query: "q", queryVector: nil, options: .init(k: 3, method: .random, seed: seed), counter: ExampleFixtures.whitespace)
                .examples.map(\.index)
        }
        #expect(try pick(1) == pick(1))
        let picks = try Set((0 ..< 8).map { try pick($0) })
        #expect(picks.count > 1)
    }

    @Test("bad options are refused with the option's name", arguments: [
        ExampleSelectionOptions(k: 0), ExampleSelectionOptions(lambda: 1.5), ExampleSelectionOptions(budget: 0),
    ])
    func badOptions(options: ExampleSelectionOptions) {
        #expect(throws: PromptError.self) {
            try ExampleFixtures.index().select(query: "q", queryVector: [1, 0, 0], options: options, counter: ExampleFixtures.whitespace)
        }
    }

    /// Issue 24: k = Int.max with label balance trapped on ⌈k / labels⌉ (and MMR's 20·k) and
    /// took the server down; every numeric option is now range-checked before any arithmetic.
    @Test(
        "hostile option values are refused with the option's name, for every method",
        arguments: [
            (Int.max, 1.0 / 2, nil, nil, "k"), (Int.min, 0.5, nil, nil, "k"), (-1, 0.5, nil, nil, "k"),
            (ExampleSelectionOptions.maximumK + 1, 0.5, nil, nil, "k"), (3, Double.nan, nil, nil, "lambda"),
            (3, -Double.infinity, nil, nil, "lambda"), (3, 0.5, Int.max, nil, "budget"), (3, 0.5, Int.min, nil, "budget"),
            (3, 0.5, -1, nil, "budget"), (3, 0.5, nil, 0, "mmr_candidates"), (3, 0.5, nil, Int.max, "mmr_candidates"),
        ] as [(Int, Double, Int?, Int?, String)],
        ExampleSelectionMethod.allCases)
    func hostileOptions(row: (k: Int, lambda: Double, budget: Int?, candidates: Int?, option: String), method: ExampleSelectionMethod) {
        for balance in [false, true] {
            let options = ExampleSelectionOptions(
                k: row.k, method: method, lambda: row.lambda, budget: row.budget, balanceLabels: balance, seed: .max,
                mmrCandidates: row.candidates)
            do {
                _ = try ExampleFixtures.index().select(query: "q", queryVector: [1, 0, 0], options: options, counter: ExampleFixtures.whitespace)
                Issue.record("\(row) with \(method) was accepted")
            } catch let error as PromptError {
                #expect(error.location == row.option, "\(error)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test("the largest k with label balance, MMR and a budget selects normally")
    func largestK() throws {
        for method in ExampleSelectionMethod.allCases {
            let options = ExampleSelectionOptions(
                k: ExampleSelectionOptions.maximumK, method: method, budget: ExampleSelectionOptions.maximumBudget, balanceLabels: true,
                seed: .max)
            let selection = try ExampleFixtures.index().select(
                query: "cat", queryVector: [1, 0, 0], options: options, counter: ExampleFixtures.whitespace)
            #expect(selection.examples.count == ExampleFixtures.rows.count)
        }
    }
}

@Suite("example pools and their embedding cache")
struct ExamplePoolTests {
    @Test("reads input, output and a string or number label; blank lines skipped")
    func parses() throws {
        let text = """
            {"input": "a", "output": "b", "label": "x"}

            {"input": "c", "output": "d", "label": 3}
            {"input": "e", "output": "f"}
            """
        let pool = try ExamplePool(jsonl: Data(text.utf8), source: "p.jsonl")
        #expect(pool.examples == [
            Example(input: "a", output: "b", label: "x"), Example(input: "c", output: "d", label: "3"), Example(input: "e", output: "f"),
        ])
    }

    @Test("a bad line is named by file and line", arguments: [
        ("{\"input\": \"a\", \"output\": \"b\"}\nnot json", "p.jsonl:2: invalid JSON"),
        ("{\"input\": \"a\"}", "p.jsonl:1: missing field \"output\""),
        ("\n\n{\"input\": \"a\", \"output\": \"b\", \"label\": true}", "p.jsonl:3: field \"label\" must be a string or a number"),
        ("[1, 2]", "p.jsonl:1: expected a JSON object"),
        ("{\"input\": 5, \"output\": \"b\"}", "p.jsonl:1: field \"input\" must be a string"),
    ])
    func badLines(text: String, message: String) {
        do {
            _ = try ExamplePool(jsonl: Data(text.utf8), source: "p.jsonl")
            Issue.record("no error for \(text)")
        } catch let error as InputError {
            #expect(error.description == message)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("an empty pool is an error")
    func empty() {
        #expect(throws: FileError.self) { try ExamplePool(jsonl: Data("\n\n".utf8), source: "e.jsonl") }
    }

    @Test("the cache returns stored vectors, and a changed pool replaces its old entry")
    func cache() throws {
        let path = NSTemporaryDirectory() + "winnow-example-cache-\(getpid())-\(UInt32.random(in: 0 ... .max)).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cache = try ExampleEmbeddingCache(path: path)
        let vectors: [Float] = [1, 2, 3, -4.5, 0, .leastNonzeroMagnitude]
        try cache.store(poolHash: 7, modelID: "m@1", source: "pool.jsonl", rows: 2, dimension: 3, vectors: vectors)
        #expect(try cache.vectors(poolHash: 7, modelID: "m@1", rows: 2, dimension: 3) == vectors)
        #expect(try cache.vectors(poolHash: 7, modelID: "m@2", rows: 2, dimension: 3) == nil)
        #expect(try cache.vectors(poolHash: 7, modelID: "m@1", rows: 3, dimension: 2) == nil)
        try cache.store(poolHash: 8, modelID: "m@1", source: "pool.jsonl", rows: 1, dimension: 3, vectors: [1, 1, 1])
        #expect(try cache.vectors(poolHash: 7, modelID: "m@1", rows: 2, dimension: 3) == nil)
        #expect(try cache.entryCount() == 1)
        try cache.store(poolHash: 9, modelID: "m@1", source: "other.jsonl", rows: 1, dimension: 3, vectors: [2, 2, 2])
        #expect(try cache.entryCount() == 2)
    }

    @Test("the content hash follows the bytes")
    func hash() throws {
        let a = try ExamplePool(jsonl: Data(#"{"input": "a", "output": "b"}"#.utf8), source: "x")
        let b = try ExamplePool(jsonl: Data(#"{"input": "a", "output": "c"}"#.utf8), source: "x")
        #expect(a.contentHash != b.contentHash)
        #expect(ExamplePool(examples: a.examples).contentHash == ExamplePool(examples: a.examples).contentHash)
    }
}
