/// A unit of text flowing through a pipeline.
///
/// `metadata` holds provenance and annotations (source, url, language…); `scores` holds numbers
/// written by scorers and read by selectors.
public struct Document: Sendable, Hashable {
    /// A stable identifier: the input's `id` field, or `<file>/<line>` when the input has none.
    public var id: String
    /// The document's text (valid UTF-8).
    public var text: String
    /// Everything else the input carried, plus annotations added by stages.
    public var metadata: [String: MetadataValue]
    /// Numeric scores written by scorer stages.
    public var scores: [String: Double]

    /// Creates a document.
    public init(id: String, text: String, metadata: [String: MetadataValue] = [:], scores: [String: Double] = [:]) {
        self.id = id
        self.text = text
        self.metadata = metadata
        self.scores = scores
    }

    /// Creates a document with an empty id (for tests and one-off calls).
    public init(_ text: String) {
        self.init(id: "", text: text)
    }
}

/// The outcome of a filter for one document.
public enum Verdict: Sendable, Hashable {
    /// Keep the document.
    case keep
    /// Drop the document; `reason` is a stable snake_case name such as `gopher_short_doc`.
    case drop(reason: String)

    /// Whether this verdict keeps the document.
    public var isKeep: Bool {
        if case .keep = self { return true }
        return false
    }
}
