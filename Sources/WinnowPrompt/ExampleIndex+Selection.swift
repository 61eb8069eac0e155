import TensorCore
import WinnowCore
import WinnowEmbed
import WinnowTokenizers

// MARK: - Selecting demonstrations

extension ExampleIndex {
    /// Chooses up to `options.k` demonstrations for `query`.
    ///
    /// Examples are ranked by the method; then taken greedily in rank order (MMR: by the
    /// marginal-relevance score, recomputed after each pick) while they fit: an example whose
    /// input equals the query (whitespace-trimmed) or an already chosen input is skipped, one
    /// that would take the total above the budget is skipped, and with label balance a label
    /// already holding ⌈k / labels⌉ demonstrations is closed. The result is ordered least
    /// relevant first, so the most similar demonstration sits next to the query.
    /// - Parameters:
    ///   - query: the text demonstrations are chosen for.
    ///   - queryVector: the query's embedding (same model as the pool); needed by knn and mmr.
    ///   - options: k, method, λ, budget, label balance, seed.
    ///   - counter: counts the tokens of each demonstration (``Example/rendered``).
    ///   - tokenCounts: the counter's count for every pool example, when the caller selects for
    ///     many queries (see ``tokenCounts(counter:)``); nil to count as needed.
    /// - Returns: the selection; deterministic for the same inputs.
    /// - Throws: ``PromptError`` for bad options, or when knn/mmr lack embeddings.
    public func select(
        query: String, queryVector: [Float]?, options: ExampleSelectionOptions, counter: any TokenCounter,
        tokenCounts: [Int]? = nil
    ) throws -> ExampleSelection {
        if let tokenCounts, tokenCounts.count != pool.examples.count {
            throw PromptError("tokenCounts", "has \(tokenCounts.count) entries for \(pool.examples.count) examples")
        }
        try options.validate()
        let relevance = try relevanceScores(query: query, queryVector: queryVector, options: options)
        let order = relevance.indices.sorted { (relevance[$0], $1) > (relevance[$1], $0) }
        var packer = Packer(index: self, options: options, counter: counter, queryKey: ExampleIndex.duplicateKey(query), table: tokenCounts)
        if options.method == .mmr, let vectors {
            let limit = options.mmrCandidateLimit
            var candidates: [Int] = []
            for i in order where candidates.count < limit {
                if packer.isQueryDuplicate(i) { continue }
                candidates.append(i)
            }
            selectByMMR(candidates: candidates, relevance: relevance, vectors: vectors, lambda: options.lambda, packer: &packer)
        } else {
            for i in order {
                if packer.isFull { break }
                if packer.isQueryDuplicate(i) { continue }
                _ = packer.take(i)
            }
        }
        let chosen = packer.chosen.sorted { (relevance[$0], $1) < (relevance[$1], $0) }
        let examples = chosen.map { i in
            let example = pool.examples[i]
            return SelectedExample(
                index: i, input: example.input, output: example.output, label: example.label, score: relevance[i],
                tokens: packer.tokens[i] ?? 0)
        }
        return ExampleSelection(
            method: options.method, tokenizer: counter.name, budget: options.budget, examples: examples,
            totalTokens: packer.used, skippedDuplicates: packer.skippedDuplicates, skippedOverBudget: packer.skippedOverBudget)
    }

    /// Every pool example's tokens (as ``Example/rendered``) by `counter`, for
    /// ``select(query:queryVector:options:counter:tokenCounts:)`` over many queries.
    public func tokenCounts(counter: any TokenCounter) -> [Int] {
        pool.examples.map { counter.count($0.rendered) }
    }

    /// One relevance score per pool example.
    func relevanceScores(query: String, queryVector: [Float]?, options: ExampleSelectionOptions) throws -> [Double] {
        switch options.method {
        case .knn, .mmr:
            guard let vectors else { throw PromptError("method", "\(options.method.rawValue) needs the pool's embeddings") }
            guard let queryVector else { throw PromptError("method", "\(options.method.rawValue) needs the query's embedding") }
            guard queryVector.count == vectors.columns else {
                throw PromptError("query", "embedding has \(queryVector.count) dimensions, the pool's have \(vectors.columns)")
            }
            return vectors.cosineSimilarities(to: queryVector).map(Double.init)
        case .bm25:
            return bm25.scores(query: query)
        case .random:
            let base = StableHash.xxh64(query, seed: options.seed)
            return pool.examples.indices.map { i in
                var z = base &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                return Double(z >> 11) / Double(1 << 53)
            }
        }
    }

    /// MMR: repeatedly takes the eligible candidate with the highest
    /// λ·relevance − (1−λ)·(highest cosine to a chosen one); ties go to the more relevant.
    private func selectByMMR(candidates: [Int], relevance: [Double], vectors: Tensor, lambda: Double, packer: inout Packer) {
        let dimension = vectors.columns
        var redundancy = [Double](repeating: 0, count: candidates.count)
        var open = [Bool](repeating: true, count: candidates.count)
        while !packer.isFull {
            var best: Int?
            var bestScore = -Double.infinity
            for (position, i) in candidates.enumerated() where open[position] {
                guard packer.fits(i) else {
                    open[position] = false
                    continue
                }
                let score = lambda * relevance[i] - (1 - lambda) * redundancy[position]
                if score > bestScore {
                    bestScore = score
                    best = position
                }
            }
            guard let position = best else { break }
            open[position] = false
            let picked = candidates[position]
            guard packer.take(picked) else { continue }
            vectors.scalars.withUnsafeBufferPointer { v in
                let p = picked * dimension
                for (other, j) in candidates.enumerated() where open[other] {
                    var dot: Float = 0
                    for d in 0 ..< dimension { dot += v[p + d] * v[j * dimension + d] }
                    redundancy[other] = max(redundancy[other], Double(dot))
                }
            }
        }
    }
}

/// The greedy packing state: chosen examples, tokens used, per-label counts.
struct Packer {
    let index: ExampleIndex
    let options: ExampleSelectionOptions
    let counter: any TokenCounter
    let queryKey: String
    let table: [Int]?
    let quota: Int
    private(set) var chosen: [Int] = []
    private(set) var tokens: [Int: Int] = [:]
    private(set) var used = 0
    private(set) var skippedDuplicates = 0
    private(set) var skippedOverBudget = 0
    private var chosenKeys: Set<String> = []
    private var perLabel: [String?: Int] = [:]

    init(index: ExampleIndex, options: ExampleSelectionOptions, counter: any TokenCounter, queryKey: String, table: [Int]?) {
        self.index = index
        self.table = table
        self.options = options
        self.counter = counter
        self.queryKey = queryKey
        quota = options.labelQuota(groups: index.labelGroups.count)
    }

    var isFull: Bool { chosen.count >= options.k }

    /// Whether example `i` repeats the query (counted once per example seen).
    mutating func isQueryDuplicate(_ i: Int) -> Bool {
        guard index.duplicateKeys[i] == queryKey else { return false }
        skippedDuplicates += 1
        return true
    }

    /// Tokens of example `i`, counted once (or read from the precomputed table).
    mutating func tokenCount(_ i: Int) -> Int {
        if let known = tokens[i] { return known }
        let n = table?[i] ?? counter.count(index.pool.examples[i].rendered)
        tokens[i] = n
        return n
    }

    /// Whether example `i` could be taken now; an example over the budget is counted in
    /// ``skippedOverBudget`` (a closed example never reopens: the budget only shrinks).
    mutating func fits(_ i: Int) -> Bool {
        if chosenKeys.contains(index.duplicateKeys[i]) { return false }
        if (perLabel[index.pool.examples[i].label] ?? 0) >= quota { return false }
        if let budget = options.budget, used + tokenCount(i) > budget {
            skippedOverBudget += 1
            return false
        }
        return true
    }

    /// Takes example `i` if it fits.
    mutating func take(_ i: Int) -> Bool {
        guard fits(i) else { return false }
        chosen.append(i)
        chosenKeys.insert(index.duplicateKeys[i])
        perLabel[index.pool.examples[i].label, default: 0] += 1
        used += tokenCount(i)
        return true
    }
}

// MARK: - Many queries

extension ExampleIndex {
    /// Chooses demonstrations for each query: the queries are embedded together (when the method
    /// needs embeddings) and the pool's token counts are computed once.
    /// - Parameters:
    ///   - queries: the texts.
    ///   - embedder: the pool's embedder; needed by knn and mmr.
    ///   - options: as for ``select(query:queryVector:options:counter:tokenCounts:)``.
    ///   - counter: the token counter.
    ///   - workers: embedding threads.
    /// - Returns: one selection per query, in order.
    public func select(
        queries: [String], embedder: Embedder?, options: ExampleSelectionOptions, counter: any TokenCounter, workers: Int = 1
    ) throws -> [ExampleSelection] {
        var queryVectors: [[Float]?] = Array(repeating: nil, count: queries.count)
        if options.method.needsEmbeddings {
            guard let embedder else { throw PromptError("method", "\(options.method.rawValue) needs the embedding model") }
            let matrix = try embedder.embedMatrix(queries, workers: max(1, workers))
            let d = embedder.dimension
            for q in queries.indices { queryVectors[q] = Array(matrix[q * d ..< (q + 1) * d]) }
        }
        let table = queries.count > 1 ? tokenCounts(counter: counter) : nil
        return try queries.indices.map { q in
            try select(query: queries[q], queryVector: queryVectors[q], options: options, counter: counter, tokenCounts: table)
        }
    }
}
