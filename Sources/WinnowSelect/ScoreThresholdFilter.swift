import WinnowCore

/// Keeps documents whose score lies in `[min, max]` (either bound may be omitted).
public struct ScoreThresholdFilter: Filter, RegisteredStage {
    /// What to do with a document that lacks the score.
    public enum Missing: String, Sendable, CaseIterable {
        /// Stop with an error naming the document.
        case error
        /// Drop it (`score_missing`).
        case drop
        /// Keep it.
        case keep
    }

    /// The stage name.
    public var name: String { "threshold" }
    /// The `scores` key read.
    public var score: String
    /// The lowest kept value (inclusive); nil for no lower bound.
    public var min: Double?
    /// The highest kept value (inclusive); nil for no upper bound.
    public var max: Double?
    /// Documents without the score.
    public var missing: Missing

    /// Creates the filter.
    public init(score: String, min: Double? = nil, max: Double? = nil, missing: Missing = .error) {
        self.score = score
        self.min = min
        self.max = max
        self.missing = missing
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "threshold", kind: .filter,
        summary: "Keeps documents whose score lies within [min, max] (inclusive; give one or both bounds).",
        parameters: [
            ParameterSpec("score", "string", default: nil, "the scores key to test"),
            ParameterSpec("min", "number", default: nil, "lowest kept value (inclusive)"),
            ParameterSpec("max", "number", default: nil, "highest kept value (inclusive)"),
            ParameterSpec("missing", "string", default: "error", "documents without the score: error (stop), drop or keep"),
        ],
        dropReasons: ["score_below_min", "score_above_max", "score_missing"],
        make: { p in
            guard let score = try p.string("score") else {
                throw ConfigError("stage 'threshold' needs 'score' (a scores key)", at: p.location)
            }
            let lo = try p.double("min")
            let hi = try p.double("max")
            if lo == nil && hi == nil {
                throw ConfigError("stage 'threshold' needs 'min', 'max' or both", at: p.location)
            }
            if let lo, let hi, lo > hi {
                throw ConfigError("stage 'threshold': min (\(lo)) is above max (\(hi))", at: p.location(of: "min"))
            }
            let missing = try p.string("missing", default: "error", choices: Missing.allCases.map(\.rawValue)) ?? "error"
            return ScoreThresholdFilter(score: score, min: lo, max: hi, missing: Missing(rawValue: missing) ?? .error)
        })

    /// Keeps the document when its score is within the bounds.
    /// - Throws: ``InputError`` for a document without the score when `missing` is `error`.
    public func verdict(for document: Document, context: StageContext) throws -> Verdict {
        guard let v = document.scores[score], !v.isNaN else {
            switch missing {
            case .keep: return .keep
            case .drop: return .drop(reason: "score_missing")
            case .error:
                throw InputError(
                    "stage 'threshold': document has no score '\(score)' (scores: \(document.scores.keys.sorted().joined(separator: ", "))); set missing: drop or keep",
                    at: SourceLocation(file: "document \(document.id)"))
            }
        }
        if let min, v < min { return .drop(reason: "score_below_min") }
        if let max, v > max { return .drop(reason: "score_above_max") }
        return .keep
    }
}
