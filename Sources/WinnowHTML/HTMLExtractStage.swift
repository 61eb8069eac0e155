import WinnowCore

/// The `html_extract` stage: replaces a document's HTML `text` with its main text.
///
/// Writes `metadata.title` and `metadata.html_lang` when the page has them. A page with no main
/// text is dropped as `html_no_text`, or kept with empty text when `keep_empty` is set.
public struct HTMLExtractStage: Transformer, RegisteredStage {
    /// The stage name.
    public var name: String { "html_extract" }
    /// The extractor.
    public var extractor: HTMLExtractor
    /// Keep documents whose extraction is empty (with empty text) instead of dropping them.
    public var keepEmpty: Bool
    /// Drop extractions shorter than this many characters (Unicode scalars) as `html_no_text`.
    public var minCharacters: Int

    /// Creates the stage.
    public init(extractor: HTMLExtractor = HTMLExtractor(), keepEmpty: Bool = false, minCharacters: Int = 1) {
        self.extractor = extractor
        self.keepEmpty = keepEmpty
        self.minCharacters = minCharacters
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "html_extract", kind: .transformer,
        summary: "Replaces HTML text with the page's main text (libxml2 parser, boilerplate scoring by text and "
            + "link density, tags and class/id words). Paragraphs, headings, list items and table rows become "
            + "lines. Writes metadata.title and metadata.html_lang.",
        parameters: [
            ParameterSpec("favor", "string", default: "balanced", "balanced, precision (less boilerplate) or recall (more text)"),
            ParameterSpec("min_chars", "int", default: "1", "drop extractions with fewer characters as html_no_text"),
            ParameterSpec("keep_empty", "bool", default: "false", "keep pages without main text, with empty text"),
        ],
        dropReasons: ["html_no_text"],
        make: { p in
            let favor = try p.string("favor", default: "balanced", choices: HTMLExtractor.Favor.allCases.map(\.rawValue))
            let options = HTMLExtractor.Options(favor: HTMLExtractor.Favor(rawValue: favor ?? "balanced") ?? .balanced)
            return HTMLExtractStage(
                extractor: HTMLExtractor(options: options), keepEmpty: try p.bool("keep_empty", default: false),
                minCharacters: try p.int("min_chars", default: 1, min: 0) ?? 1)
        })

    /// Extracts one document's main text.
    public func transform(_ document: inout Document, context: StageContext) -> Verdict {
        let inputBytes = document.text.utf8.count
        let page = extractor.extract(html: document.text)
        if let title = page.title { document.metadata["title"] = .string(title) }
        if let language = page.language { document.metadata["html_lang"] = .string(language) }
        document.text = page.text
        context.count("html_bytes_in", by: Double(inputBytes))
        context.count("text_bytes_out", by: Double(page.text.utf8.count))
        if page.text.unicodeScalars.count < minCharacters && !keepEmpty {
            return .drop(reason: "html_no_text")
        }
        return .keep
    }
}
