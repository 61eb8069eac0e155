import WinnowCore
import WinnowFastText

/// Scores documents with a fastText supervised classifier (a `.bin` from `winnow classify train`
/// or fastText itself, or an `.ftz`) and optionally keeps only those a chosen label wins with a
/// high enough probability — e.g. a DCLM/GPT-3-style quality classifier trained on reference
/// text (`__label__hq`) against random web text (`__label__cc`).
///
/// Each label's probability goes to `scores["<prefix><label>"]` (the label without
/// `__label__`); a label fastText does not return (below 1e-5 under hierarchical softmax)
/// scores 0. The text is read as the `language` stage reads it: newlines count as spaces, as
/// in DCLM and datatrove. The model is loaded once and shared by every worker thread.
public struct ClassifierScorer: DocumentStage, RegisteredStage {
    /// The stage name.
    public var name: String { "classifier" }
    /// The classifier.
    public let model: FastTextModel
    /// Prefix of the score keys.
    public let prefix: String
    /// Label indices whose scores are written (all by default), with their score keys.
    private let written: [(index: Int, key: String)]
    /// The label a kept document needs (index), when filtering.
    private let keepIndex: Int?
    /// The probability the `keep` label must reach.
    public let minScore: Double

    /// Creates the scorer.
    /// - Parameters:
    ///   - model: a supervised fastText model.
    ///   - prefix: prefix of the score keys (`classifier_` → `classifier_hq`).
    ///   - labels: labels to write, without `__label__`; empty writes every label.
    ///   - keep: a label; when given, documents whose probability for it is below `minScore` are dropped.
    ///   - minScore: the probability (0–1) the `keep` label must reach.
    /// - Throws: ``UnknownLabelError`` naming a label the model does not have.
    public init(model: FastTextModel, prefix: String = "classifier_", labels: [String] = [], keep: String? = nil,
                minScore: Double = 0.5) throws(UnknownLabelError) {
        self.model = model
        self.prefix = prefix
        self.minScore = minScore
        let names = model.labels.map(Self.labelName)
        func index(_ label: String) throws(UnknownLabelError) -> Int {
            guard let i = names.firstIndex(of: Self.labelName(label)) else {
                throw UnknownLabelError(label: label, known: names)
            }
            return i
        }
        var written: [(Int, String)] = []
        for label in labels { written.append((try index(label), prefix + Self.labelName(label))) }
        if labels.isEmpty { written = names.enumerated().map { ($0.offset, prefix + $0.element) } }
        self.written = written
        keepIndex = try keep.map { (k) throws(UnknownLabelError) in try index(k) }
    }

    /// `__label__hq` → `hq`; other labels stay whole.
    static func labelName(_ label: String) -> String {
        label.hasPrefix("__label__") ? String(label.dropFirst(9)) : label
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "classifier", kind: .filter,
        summary: "Scores each document with a fastText supervised classifier (`winnow classify train`, or fastText's own .bin/.ftz): writes `scores[<prefix><label>]` for every label (e.g. a DCLM-style quality classifier's `hq` probability); with `keep`, drops documents whose probability for that label is below `min_score`.",
        parameters: [
            ParameterSpec("model", "string", default: nil,
                          "model file (required); a bare name is looked for in $WINNOW_MODELS, ./models, ~/.cache/winnow/models"),
            ParameterSpec("prefix", "string", default: "classifier_", "prefix of the score keys"),
            ParameterSpec("labels", "[string]", default: nil, "labels whose probability to write (without __label__); none writes all"),
            ParameterSpec("keep", "string", default: nil, "a label; documents whose probability for it is below min_score are dropped"),
            ParameterSpec("min_score", "number", default: "0.5", "the probability (0–1) the keep label must reach"),
        ],
        dropReasons: ["classifier_low_score"],
        make: { p in
            let prefix = try p.string("prefix") ?? "classifier_"
            let labels = try p.strings("labels", default: []) ?? []
            let keep = try p.string("keep")
            let minScore = try p.double("min_score", default: 0.5, min: 0, max: 1) ?? 0.5
            guard let requested = try p.string("model") else {
                throw ConfigError("stage 'classifier': `model` is required (a fastText .bin or .ftz file)", at: p.location(of: "model"))
            }
            let model: FastTextModel
            do {
                let path = requested.contains("/") ? try ModelLocator.locate(requested, explicit: requested) : try ModelLocator.locate(requested)
                model = try FastTextModel(contentsOf: path)
            } catch {
                throw ConfigError("stage 'classifier': \(error)", at: p.location(of: "model"))
            }
            do {
                return try ClassifierScorer(model: model, prefix: prefix, labels: labels, keep: keep, minScore: minScore)
            } catch {
                throw ConfigError("stage 'classifier': \(error)", at: p.location(of: keep != nil ? "keep" : "labels"))
            }
        })

    /// Writes the label probabilities and, with `keep`, decides.
    public func process(_ document: inout Document, context: StageContext) -> Verdict {
        let predictions = model.predict(document.text, k: nil, threshold: 0)
        var probability = [Float](repeating: 0, count: model.labels.count)
        for p in predictions { probability[p.labelIndex] = p.probability }
        for (index, key) in written {
            document.scores[key] = Double(probability[index])
            context.measure(key, Double(probability[index]), scale: .linear, step: 0.05)
        }
        guard let keepIndex else { return .keep }
        return Double(probability[keepIndex]) >= minScore ? .keep : .drop(reason: "classifier_low_score")
    }
}

/// A label asked of a classifier that the model does not have.
public struct UnknownLabelError: UserFacingError, Hashable {
    /// The label asked for.
    public var label: String
    /// The model's labels (without `__label__`).
    public var known: [String]
    /// `the model has no label 'x' (it has a, b)`.
    public var description: String { "the model has no label '\(label)' (it has \(known.joined(separator: ", ")))" }
}
