import Foundation
import TensorCore
import WinnowEmbed

/// The relevance signals the coarse step can combine.
public struct RankMethods: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Okapi BM25 of the question against each context.
    public static let bm25 = RankMethods(rawValue: 1)
    /// Query likelihood: the question's probability under the context's words, Dirichlet-smoothed
    /// with the background word model.
    public static let lm = RankMethods(rawValue: 2)
    /// MiniLM cosine between the question and the context's ≤ 256-token chunks (best chunk).
    public static let minilm = RankMethods(rawValue: 4)

    /// Parses `bm25`, `lm`, `minilm`, a `+`-joined combination, or `auto` (nil).
    static func parse(_ text: String) throws -> RankMethods? {
        if text == "auto" { return nil }
        var m: RankMethods = []
        for part in text.split(separator: "+") {
            switch part {
            case "bm25": m.insert(.bm25)
            case "lm": m.insert(.lm)
            case "minilm": m.insert(.minilm)
            default: throw PromptError("rank_method", "unknown method \"\(part)\" (use auto, bm25, lm, minilm or a +-joined combination)")
            }
        }
        guard !m.isEmpty else { throw PromptError("rank_method", "empty") }
        return m
    }
}

/// Ranks contexts (or any texts) by relevance to a question.
struct ContextRanker {
    var background: (any WordProbabilityModel)?
    var embedder: Embedder?
    /// WordPiece tokens MiniLM may read per request in `auto` mode (question excluded).
    var miniLMTokenBudget: Int

    /// Combined scores (z-scores summed; higher is more relevant), one per text.
    /// - Parameters:
    ///   - texts: the contexts' texts.
    ///   - terms: their analysed terms (stop words kept).
    ///   - question: the question text.
    ///   - methods: nil for `auto`: BM25 + LM for all, MiniLM re-ranking the leading candidates
    ///     within ``miniLMTokenBudget`` when the model is loaded.
    func scores(texts: [String], terms: [[Substring]], question: String, methods: RankMethods?) -> [Double] {
        let n = texts.count
        let queryTerms = TermAnalyzer.terms(of: question, dropStopWords: true)
        guard n > 1, !queryTerms.isEmpty || (methods?.contains(.minilm) ?? false) else { return [Double](repeating: 0, count: n) }
        let chosen = methods ?? [.bm25, .lm]
        var total = [Double](repeating: 0, count: n)
        if chosen.contains(.bm25) {
            let index = BM25Index(documents: terms.map { $0.filter { !TermAnalyzer.stopWords.contains($0) } })
            add(ContextRanker.standardized(index.scores(query: queryTerms)), weight: 1, to: &total)
        }
        if chosen.contains(.lm) {
            add(ContextRanker.standardized(queryLikelihood(terms: terms, query: queryTerms)), weight: 1, to: &total)
        }
        if chosen.contains(.minilm), let embedder {
            add(ContextRanker.standardized(miniLMScores(texts: texts, question: question, embedder: embedder)), weight: 1.5, to: &total)
        } else if methods == nil, let embedder, miniLMTokenBudget > 0 {
            total = rerankLeaders(total, texts: texts, question: question, embedder: embedder)
        }
        return total
    }

    private func add(_ values: [Double], weight: Double, to total: inout [Double]) {
        for i in total.indices { total[i] += weight * values[i] }
    }

    /// Re-orders the leading candidates (those whose chunks fit the MiniLM budget) by their
    /// cheap score plus MiniLM's; they stay above every other context.
    private func rerankLeaders(_ cheap: [Double], texts: [String], question: String, embedder: Embedder) -> [Double] {
        let order = cheap.indices.sorted { (cheap[$0], -$0) > (cheap[$1], -$1) }
        var leaders: [Int] = []
        var used = 0
        for i in order {
            let cost = min(embedder.tokenizer.maxLength, approximateWordPieces(texts[i]))
            if used + cost > miniLMTokenBudget && !leaders.isEmpty { break }
            leaders.append(i)
            used += cost
            if used >= miniLMTokenBudget { break }
        }
        guard leaders.count > 1 else { return cheap }
        let semantic = ContextRanker.standardized(miniLMScores(texts: leaders.map { texts[$0] }, question: question, embedder: embedder, firstChunkOnly: true))
        let base = ContextRanker.standardized(leaders.map { cheap[$0] })
        let floor = (leaders.map { cheap[$0] }.min() ?? 0)
        let top = (leaders.map { cheap[$0] }.max() ?? 0)
        // New order among the leaders; their scores are spread over their old score range.
        let reordered = leaders.indices.sorted { (base[$0] + 1.5 * semantic[$0], -$0) > (base[$1] + 1.5 * semantic[$1], -$1) }
        var result = cheap
        for (position, k) in reordered.enumerated() {
            let t = leaders.count > 1 ? Double(position) / Double(leaders.count - 1) : 0
            result[leaders[k]] = top - t * (top - floor) + 1e-9 * Double(leaders.count - position)
        }
        return result
    }

    private func approximateWordPieces(_ text: String) -> Int { text.utf8.count / 4 + 2 }

    /// Dirichlet-smoothed query log-likelihood, μ = the mean context length.
    func queryLikelihood(terms: [[Substring]], query: [Substring]) -> [Double] {
        var collection: [Substring: Int] = [:]
        var total = 0
        for doc in terms {
            for t in doc { collection[t, default: 0] += 1 }
            total += doc.count
        }
        let mu = max(1, Double(total) / Double(max(1, terms.count)))
        let backgroundP: [Double]
        if let background {
            backgroundP = background.log10Probabilities(query).map { pow(10, Double($0)) }
        } else {
            backgroundP = [Double](repeating: 0, count: query.count)
        }
        // Background: half the word model, half the prompt's own collection.
        let pBackground = query.indices.map { k in
            let own = (Double(collection[query[k]] ?? 0) + 0.5) / (Double(total) + 1)
            return background == nil ? own : 0.5 * own + 0.5 * backgroundP[k]
        }
        return terms.map { doc in
            var tf: [Substring: Int] = [:]
            for t in doc { tf[t, default: 0] += 1 }
            var s = 0.0
            for (k, q) in query.enumerated() {
                s += log((Double(tf[q] ?? 0) + mu * pBackground[k]) / (Double(doc.count) + mu))
            }
            return s
        }
    }

    /// Cosine of the question with each text's best chunk (≤ 256 tokens, cut at sentence ends).
    func miniLMScores(texts: [String], question: String, embedder: Embedder, firstChunkOnly: Bool = false) -> [Double] {
        var chunks: [String] = [question]
        var owner: [Int] = [-1]
        for (i, text) in texts.enumerated() {
            for (k, chunk) in ContextRanker.chunks(text, maxWords: 180).enumerated() where !firstChunkOnly || k == 0 {
                chunks.append(chunk)
                owner.append(i)
            }
        }
        let vectors = embedder.embed(chunks)
        let q = vectors[0]
        var best = [Double](repeating: -1, count: texts.count)
        for c in 1 ..< vectors.count {
            var dot: Float = 0
            for d in 0 ..< q.count { dot += q[d] * vectors[c][d] }
            best[owner[c]] = max(best[owner[c]], Double(dot))
        }
        return best
    }

    /// Cuts a text into pieces of at most about `maxWords` words, at line or sentence ends when possible.
    static func chunks(_ text: String, maxWords: Int) -> [String] {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        if words.count <= maxWords { return [text] }
        var out: [String] = []
        var current: [Substring] = []
        for w in words {
            current.append(w)
            let end = w.last.map { ".!?。".contains($0) } ?? false
            if current.count >= maxWords || (end && current.count >= maxWords * 3 / 4) {
                out.append(current.joined(separator: " "))
                current.removeAll(keepingCapacity: true)
            }
        }
        if !current.isEmpty { out.append(current.joined(separator: " ")) }
        return out
    }

    /// (x − mean) / sd; all zeros when the values do not vary.
    static func standardized(_ v: [Double]) -> [Double] {
        guard v.count > 1 else { return v.map { _ in 0 } }
        let mean = v.reduce(0, +) / Double(v.count)
        let sd = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)).squareRoot()
        guard sd > 1e-12 else { return v.map { _ in 0 } }
        return v.map { ($0 - mean) / sd }
    }
}
