import WinnowCore
import WinnowFastText

/// Identifies each document's language with fastText's lid.176 model and keeps the documents in
/// the wanted languages, as datatrove's `LanguageFilter` (ft176 backend) does.
///
/// Like datatrove, the text's newlines become spaces, every label is scored (`k=-1`), the best
/// one is written to `metadata.language` (e.g. `en`) with its probability in
/// `metadata.language_score`, and a document is kept when
/// - `languages` is empty: the best score is above `min_score`;
/// - `languages` is given: any listed language scores above `min_score` (a language fastText
///   scores below 1e-5 counts as 0).
/// The model is loaded once and shared by every worker thread.
public struct LanguageFilter: DocumentStage, RegisteredStage {
    /// The stage name.
    public var name: String { "language" }
    /// The language model.
    public let model: FastTextModel
    /// Language codes to keep (`en`, `de`…); empty keeps any language.
    public let languages: [String]
    /// The score a kept document's language must exceed.
    public let minScore: Double
    /// Annotate only: never drop.
    public let labelOnly: Bool
    /// The language code of each model label (`__label__en` → `en`).
    private let codes: [String]
    /// Label indices of `languages` (a language the model does not know has none).
    private let wanted: [Int]

    /// Creates the filter.
    /// - Parameters:
    ///   - model: a fastText language-ID model (lid.176).
    ///   - languages: codes to keep; empty keeps any language scoring above `minScore`.
    ///   - minScore: the probability a kept language must exceed (datatrove's 0.65).
    ///   - labelOnly: annotate every document and drop none.
    public init(model: FastTextModel, languages: [String] = [], minScore: Double = 0.65, labelOnly: Bool = false) {
        self.model = model
        self.languages = languages
        self.minScore = minScore
        self.labelOnly = labelOnly
        let codes = model.labels.map(Self.languageCode)
        self.codes = codes
        self.wanted = languages.flatMap { code in codes.indices.filter { codes[$0] == code } }
    }

    /// datatrove's `label.split("__")[2]`: `__label__en` → `en`; a label without that shape is
    /// kept whole.
    static func languageCode(_ label: String) -> String {
        let parts = label.split(separator: "__", omittingEmptySubsequences: false)
        return parts.count > 2 ? String(parts[2]) : label
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "language", kind: .filter,
        summary: "Language ID with fastText lid.176 (native): writes metadata `language` and `language_score`, as datatrove's LanguageFilter, and keeps documents whose language (one of `languages`, or any) scores above `min_score`.",
        parameters: [
            ParameterSpec("languages", "[string]", default: nil, "language codes to keep, e.g. [en, de]; none keeps every language"),
            ParameterSpec("min_score", "number", default: "0.65", "a kept language's score must be above this (0–1)"),
            ParameterSpec("model", "string", default: "lid.176.ftz",
                          "model file; a bare name is looked for in $WINNOW_MODELS, ./models, ~/.cache/winnow/models"),
            ParameterSpec("label_only", "bool", default: "false", "only annotate; drop nothing"),
        ],
        dropReasons: ["language_not_kept", "language_low_score"],
        make: { p in
            let languages = try p.strings("languages", default: []) ?? []
            let minScore = try p.double("min_score", default: 0.65, min: 0, max: 1) ?? 0.65
            let labelOnly = try p.bool("label_only", default: false)
            let requested = try p.string("model")
            let path: String
            do {
                // A path is used as given; a bare file name is looked for on the model search path.
                if let requested, requested.contains("/") {
                    path = try ModelLocator.locate("lid.176.ftz", explicit: requested)
                } else {
                    path = try ModelLocator.locate(requested ?? "lid.176.ftz")
                }
            } catch {
                throw ConfigError("stage 'language': \(error)", at: p.location(of: "model"))
            }
            let model: FastTextModel
            do {
                model = try FastTextModel(contentsOf: path)
            } catch {
                throw ConfigError("stage 'language': \(error)", at: p.location(of: "model"))
            }
            let filter = LanguageFilter(model: model, languages: languages, minScore: minScore, labelOnly: labelOnly)
            let unknown = languages.filter { code in !filter.codes.contains(code) }
            if !unknown.isEmpty {
                throw ConfigError(
                    "stage 'language': the model has no language \(unknown.joined(separator: ", ")) (codes look like en, de, zh)",
                    at: p.location(of: "languages"))
            }
            return filter
        })

    /// Annotates the document and decides whether to keep it.
    public func process(_ document: inout Document, context: StageContext) -> Verdict {
        let predictions = model.predict(document.text, k: nil, threshold: 0)
        // datatrove: max over the returned pairs; fastText returns them best first.
        guard let best = predictions.first else {
            // Only a model without `</s>` and an empty text get here: nothing to go on.
            document.metadata["language"] = .string("")
            document.metadata["language_score"] = .double(0)
            return labelOnly ? .keep : .drop(reason: "language_low_score")
        }
        document.metadata["language"] = .string(codes[best.labelIndex])
        document.metadata["language_score"] = .double(Double(best.probability))
        context.measure("language", label: codes[best.labelIndex])
        context.measure("language_score", Double(best.probability), scale: .linear, step: 0.05)
        if labelOnly { return .keep }
        if languages.isEmpty {
            return Double(best.probability) > minScore ? .keep : .drop(reason: "language_low_score")
        }
        for p in predictions where wanted.contains(p.labelIndex) && Double(p.probability) > minScore {
            return .keep
        }
        return wanted.contains(best.labelIndex) ? .drop(reason: "language_low_score") : .drop(reason: "language_not_kept")
    }
}
