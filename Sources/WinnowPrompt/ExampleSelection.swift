import WinnowCore

/// How demonstrations are ranked for a query.
public enum ExampleSelectionMethod: String, Sendable, Codable, CaseIterable {
    /// Nearest neighbours: the highest cosine similarity of input embeddings.
    case knn
    /// Maximal marginal relevance: λ·similarity to the query − (1−λ)·the highest similarity to
    /// an example already chosen, so the demonstrations are relevant and unlike each other.
    case mmr
    /// Okapi BM25 of the query's terms over the inputs (no embeddings needed).
    case bm25
    /// A seeded random order (the baseline the others are measured against).
    case random

    /// Whether the method needs input embeddings.
    public var needsEmbeddings: Bool { self == .knn || self == .mmr }
}

/// What to select: how many, how, and under what limits.
public struct ExampleSelectionOptions: Sendable, Hashable {
    /// The most demonstrations to choose.
    public var k: Int
    /// The ranking.
    public var method: ExampleSelectionMethod
    /// MMR's weight of relevance against diversity, in [0, 1] (1 is kNN).
    public var lambda: Double
    /// The most tokens the chosen demonstrations may take together (each counted as
    /// ``Example/rendered``), or nil for no limit.
    public var budget: Int?
    /// Whether to choose at most ⌈k / labels⌉ demonstrations of each label.
    public var balanceLabels: Bool
    /// The seed of the random method (the order also depends on the query).
    public var seed: UInt64
    /// MMR considers the this many most relevant examples (default max(100, 20·k)).
    public var mmrCandidates: Int?

    /// Creates options; the defaults are k = 8 by kNN without a budget.
    public init(
        k: Int = 8, method: ExampleSelectionMethod = .knn, lambda: Double = 0.5, budget: Int? = nil,
        balanceLabels: Bool = false, seed: UInt64 = 0, mmrCandidates: Int? = nil
    ) {
        self.k = k
        self.method = method
        self.lambda = lambda
        self.budget = budget
        self.balanceLabels = balanceLabels
        self.seed = seed
        self.mmrCandidates = mmrCandidates
    }

    /// The most demonstrations one selection may ask for (a prompt holds far fewer).
    public static let maximumK = 100_000
    /// The largest token budget accepted (10⁹ tokens: more than any prompt).
    public static let maximumBudget = 1_000_000_000
    /// The most MMR candidates accepted.
    public static let maximumMMRCandidates = 10_000_000

    /// Checks the ranges, so that every count derived from the options (label quotas, MMR's
    /// candidate list, token sums) is computed without overflow.
    /// - Throws: ``PromptError`` naming the option.
    public func validate() throws {
        guard (1 ... Self.maximumK).contains(k) else {
            throw PromptError("k", "must be in 1…\(Self.maximumK) (got \(k))")
        }
        guard lambda >= 0, lambda <= 1 else { throw PromptError("lambda", "must be in [0, 1] (got \(lambda))") }
        if let budget, !(1 ... Self.maximumBudget).contains(budget) {
            throw PromptError("budget", "must be in 1…\(Self.maximumBudget) tokens (got \(budget))")
        }
        if let mmrCandidates, !(1 ... Self.maximumMMRCandidates).contains(mmrCandidates) {
            throw PromptError("mmr_candidates", "must be in 1…\(Self.maximumMMRCandidates) (got \(mmrCandidates))")
        }
    }

    /// The most demonstrations of one label: ⌈k / groups⌉ with label balance (k without),
    /// computed without overflow for any `k`.
    func labelQuota(groups: Int) -> Int {
        guard balanceLabels else { return k }
        let g = max(1, groups)
        return k / g + (k % g == 0 ? 0 : 1)
    }

    /// How many candidates MMR considers: `mmrCandidates`, else max(100, 20·k), saturating.
    var mmrCandidateLimit: Int {
        if let mmrCandidates { return mmrCandidates }
        let (twenty, overflow) = k.multipliedReportingOverflow(by: 20)
        return overflow ? Int.max : max(100, twenty)
    }
}

/// One chosen demonstration.
public struct SelectedExample: Sendable, Hashable, Codable {
    /// Its position in the pool (0-based).
    public var index: Int
    /// The example's input.
    public var input: String
    /// The example's output.
    public var output: String
    /// The example's label.
    public var label: String?
    /// Its relevance to the query: cosine similarity (knn, mmr), BM25 score, or the random key.
    public var score: Double
    /// Its tokens as ``Example/rendered``, by the selection's token counter.
    public var tokens: Int
}

/// The demonstrations chosen for one query, least relevant first (the most similar sits last,
/// next to the query in the prompt).
public struct ExampleSelection: Sendable, Hashable, Codable {
    /// The method used.
    public var method: ExampleSelectionMethod
    /// The token counter's name.
    public var tokenizer: String
    /// The budget in tokens, if any.
    public var budget: Int?
    /// The chosen demonstrations, in prompt order.
    public var examples: [SelectedExample]
    /// Their tokens together (never above `budget`).
    public var totalTokens: Int
    /// Pool examples passed over because their input equals the query.
    public var skippedDuplicates: Int
    /// Candidates passed over because they did not fit the remaining budget.
    public var skippedOverBudget: Int

    enum CodingKeys: String, CodingKey {
        case method, tokenizer, budget, examples
        case totalTokens = "total_tokens"
        case skippedDuplicates = "skipped_duplicates"
        case skippedOverBudget = "skipped_over_budget"
    }
}
