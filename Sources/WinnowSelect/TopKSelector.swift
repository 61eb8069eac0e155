import WinnowCore
import WinnowIO

/// Keeps the `count` (or `fraction`) documents with the highest (or lowest) value of a score,
/// across the whole corpus, or the best documents up to a token budget (`tokens`: in rank order
/// while their `metadata.token_count` fits, within one document of the budget); ties go to the
/// document earlier in input order.
///
/// Observe records each document's score; resolve ranks them; decide drops the rest.
public struct TopKSelector: CorpusStage, RegisteredStage {
    /// What to do with a document that lacks the score.
    public enum Missing: String, Sendable, CaseIterable {
        /// Stop with an error naming the document.
        case error
        /// Drop it (`score_missing`).
        case drop
    }

    /// The stage name.
    public var name: String { "top_k" }
    /// The `scores` key ranked.
    public var score: String
    /// How many documents to keep.
    public var size: SelectionSize
    /// Keep the lowest values instead of the highest.
    public var lowest: Bool
    /// Documents without the score.
    public var missing: Missing

    /// Creates the stage.
    public init(score: String, size: SelectionSize, lowest: Bool = false, missing: Missing = .error) {
        self.score = score
        self.size = size
        self.lowest = lowest
        self.missing = missing
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "top_k", kind: .corpus,
        summary: "Keeps the count (or fraction) documents with the highest (or lowest) value of a score over the whole corpus, or the best ones up to a token budget (tokens: metadata.token_count from a tokenize stage, within one document of the budget); ties go to the earlier document in input order.",
        parameters: [ParameterSpec("score", "string", default: nil, "the scores key to rank by")] + SelectionSize.parametersWithTokens + [
            ParameterSpec("order", "string", default: "highest", "highest or lowest values are kept"),
            ParameterSpec("missing", "string", default: "error", "documents without the score: error (stop) or drop"),
        ],
        dropReasons: ["top_k_not_selected", "score_missing"],
        make: { p in
            guard let score = try p.string("score") else {
                throw ConfigError("stage 'top_k' needs 'score' (a scores key)", at: p.location)
            }
            return TopKSelector(
                score: score, size: try SelectionSize.read(p, tokens: true),
                lowest: try p.string("order", default: "highest", choices: ["highest", "lowest"]) == "lowest",
                missing: Missing(rawValue: try p.string("missing", default: "error", choices: Missing.allCases.map(\.rawValue)) ?? "error") ?? .error)
        })

    static func scoresFile(_ shard: Int) -> String { "scores-\(shard).f64" }
    static func marksFile(_ shard: Int) -> String { "marks-\(shard).u8" }

    // MARK: - Observe

    final class Observer: CorpusObserver {
        let context: CorpusContext
        let stage: TopKSelector
        var values: [Double] = []
        var tokens: [UInt64] = []

        init(context: CorpusContext, stage: TopKSelector) {
            self.context = context
            self.stage = stage
        }

        func observe(_ document: Document, index: Int) throws {
            values.append(try stage.value(of: document))
            if stage.size.tokenBudget != nil { tokens.append(try TokenCounts.of(document, stage: stage.name)) }
        }

        func finish() throws {
            try StateFile.write(values, to: context.path(TopKSelector.scoresFile(context.shard)))
            if stage.size.tokenBudget != nil { try StateFile.write(tokens, to: context.path(TokenCounts.file(context.shard))) }
        }
    }

    /// The score of a document; NaN when it has none and `missing` is `drop`.
    /// - Throws: ``InputError`` when it has none and `missing` is `error`.
    func value(of document: Document) throws -> Double {
        if let v = document.scores[score], !v.isNaN { return v }
        if missing == .drop { return .nan }
        throw InputError(
            "stage '\(name)': document has no score '\(score)' (scores: \(document.scores.keys.sorted().joined(separator: ", "))); set missing: drop to drop such documents",
            at: SourceLocation(file: "document \(document.id)"))
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        Observer(context: context, stage: self)
    }

    // MARK: - Resolve

    /// Ranks all scores and marks the kept documents.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        var values: [Double] = []
        var sizes: [Int] = []
        for shard in 0..<context.shardCount {
            let v = try StateFile.read(context.path(Self.scoresFile(shard)), as: Double.self)
            sizes.append(v.count)
            values += v
        }
        let eligible = values.map { !$0.isNaN }
        let keys = lowest ? values.map { -$0 } : values
        var mask: [Bool]
        if let budget = size.tokenBudget {
            var tokens: [UInt64] = []
            for shard in 0..<context.shardCount { tokens += try StateFile.read(context.path(TokenCounts.file(shard)), as: UInt64.self) }
            var order = keys.indices.filter { eligible[$0] }
            order.sort { a, b in keys[a] > keys[b] || (keys[a] == keys[b] && a < b) }
            mask = [Bool](repeating: false, count: keys.count)
            for i in TokenCounts.prefix(order, tokens: tokens, budget: UInt64(budget)).taken { mask[i] = true }
        } else {
            mask = Ranking.topMask(keys: keys, eligible: eligible, k: size.resolve(total: values.count))
        }
        try SelectionMark.writeShards(mask: mask, eligible: eligible, sizes: sizes) { context.path(Self.marksFile($0)) }
    }

    // MARK: - Decide

    /// Creates the per-shard decider.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        MarkDecider(
            marks: try StateFile.read(context.path(Self.marksFile(context.shard)), as: UInt8.self),
            notSelected: "top_k_not_selected", ineligible: "score_missing")
    }
}

extension SelectionMark {
    /// Writes one marks file per shard from global masks.
    static func writeShards(mask: [Bool], eligible: [Bool], sizes: [Int], path: (Int) -> String) throws {
        var start = 0
        for (shard, n) in sizes.enumerated() {
            let marks = (start..<(start + n)).map { i -> UInt8 in
                (mask[i] ? SelectionMark.kept : eligible[i] ? .dropped : .ineligible).rawValue
            }
            try StateFile.write(marks, to: path(shard))
            start += n
        }
    }
}

/// Keeps or drops each document by its stored mark, without touching it.
final class MarkDecider: CorpusDecider {
    let marks: [UInt8]
    let notSelected: String
    let ineligible: String

    init(marks: [UInt8], notSelected: String, ineligible: String) {
        self.marks = marks
        self.notSelected = notSelected
        self.ineligible = ineligible
    }

    func verdict(_ index: Int) -> Verdict {
        guard index < marks.count else { return .drop(reason: notSelected) }
        switch SelectionMark(rawValue: marks[index]) {
        case .kept: return .keep
        case .ineligible: return .drop(reason: ineligible)
        default: return .drop(reason: notSelected)
        }
    }

    func quickVerdict(index: Int) -> Verdict? {
        let v = verdict(index)
        return v.isKeep ? v : nil
    }

    func decide(_ document: inout Document, index: Int) throws -> Verdict {
        verdict(index)
    }
}
