import Foundation
import Testing
import WinnowCore
@testable import WinnowSelect

/// Issue 18, Done-when 4: `top_k` and `mix` with `tokens:` instead of `count:` hit the budget
/// within one document.
@Suite("Token budgets (top_k and mix with tokens:)")
struct TokenBudgetTests {
    /// Documents with seeded token counts 1…400, a score, and a domain.
    static func documents(_ n: Int, domains: [String] = ["wiki", "web", "books"]) -> [Document] {
        var state: UInt64 = 18
        return (0..<n).map { i in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let tokens = Int64(1 + (state >> 33) % 400)
            return Document(
                id: "\(domains[i % domains.count])\(i)", text: "",
                metadata: ["token_count": .int(tokens), "source": .string(domains[i % domains.count])],
                scores: ["q": Double((state >> 13) % 1000) / 1000])
        }
    }

    static func tokens(_ d: Document) -> UInt64 { UInt64(d.metadata["token_count"]?.intValue ?? 0) }

    static func kept(_ r: [[(verdict: Verdict, document: Document)]]) -> [Document] {
        r.flatMap { $0.filter { $0.verdict == .keep }.map(\.document) }
    }

    @Test("top_k keeps the best documents while they fit: the total is within one document of the budget",
          arguments: [1_000, 12_345, 50_000, 150_001])
    func topKBudget(budget: Int) throws {
        let docs = Self.documents(1_000)
        let stage = TopKSelector(score: "q", size: .tokens(budget))
        let result = try runSelection(stage, shard(docs, sizes: [300, 200, 500]))
        let kept = Self.kept(result)
        let total = kept.reduce(0) { $0 + Self.tokens($1) }
        #expect(total <= UInt64(budget))
        // The next document in rank order (the first not kept) would overshoot: within one document.
        let ranked = docs.enumerated().sorted { a, b in
            let (x, y) = (a.element.scores["q"] ?? 0, b.element.scores["q"] ?? 0)
            return x > y || (x == y && a.offset < b.offset)
        }.map(\.element)
        #expect(kept.map(\.id) == ranked.prefix(kept.count).map(\.id).sortedLike(docs))
        #expect(kept.count < docs.count, "the budget should not hold every document")
        guard kept.count < docs.count else { return }
        let next = ranked[kept.count]
        #expect(total + Self.tokens(next) > UInt64(budget), "the next document (\(Self.tokens(next)) tokens) would still fit")
        #expect(UInt64(budget) - total < Self.tokens(next))
        // Same selection for any shard layout.
        #expect(Self.kept(try runSelection(stage, [docs])).map(\.id) == kept.map(\.id))
    }

    @Test("mix with tokens: shares of the budget by weight, the total within one document of it, any shard layout")
    func mixBudget() throws {
        let docs = Self.documents(1_500)
        let budget = 100_000
        let stage = DomainMixer(weights: [("wiki", 0.5), ("web", 0.3), ("books", 0.2)], size: .tokens(budget))
        let kept = Self.kept(try runSelection(stage, shard(docs, sizes: [700, 800]), seed: 5))
        let total = kept.reduce(0) { $0 + Self.tokens($1) }
        let largest = docs.map(Self.tokens).max() ?? 0
        #expect(total <= UInt64(budget))
        #expect(UInt64(budget) - total < largest, "total \(total) is more than one document short of \(budget)")
        var perDomain: [String: UInt64] = [:]
        for d in kept { perDomain[d.metadata["source"]?.stringValue ?? "", default: 0] += Self.tokens(d) }
        #expect(abs(Double(perDomain["wiki"] ?? 0) - 50_000) < Double(largest))
        #expect(abs(Double(perDomain["web"] ?? 0) - 30_000) < 2 * Double(largest))
        #expect(Self.kept(try runSelection(stage, [docs], seed: 5)).map(\.id) == kept.map(\.id))
    }

    @Test("a token budget without metadata.token_count names the document and the tokenize stage")
    func missingCounts() throws {
        let doc = Document(id: "d1", text: "x", scores: ["q": 1])
        let error = #expect(throws: InputError.self) { _ = try runSelection(TopKSelector(score: "q", size: .tokens(10)), [[doc]]) }
        #expect(error?.message.contains("tokenize") == true)
        #expect(error?.location.file == "document d1")
    }

    @Test("a mix domain with fewer tokens than its share is an error unless on_short says otherwise")
    func mixShort() throws {
        let docs = Self.documents(90)
        let weights: [(domain: String, weight: Double)] = [("wiki", 0.5), ("web", 0.3), ("books", 0.2)]
        #expect(throws: ConfigError.self) { _ = try runSelection(DomainMixer(weights: weights, size: .tokens(1_000_000)), [docs]) }
        let all = Self.kept(try runSelection(DomainMixer(weights: weights, size: .tokens(1_000_000), onShort: .keepAll), [docs]))
        #expect(all.count == docs.count)
    }
}

extension Array where Element == String {
    /// These ids in the input order of `docs` (kept documents come out in input order).
    func sortedLike(_ docs: [Document]) -> [String] {
        let position = Dictionary(uniqueKeysWithValues: docs.enumerated().map { ($1.id, $0) })
        return sorted { (position[$0] ?? 0) < (position[$1] ?? 0) }
    }
}
