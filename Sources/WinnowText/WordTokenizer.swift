/// A word token: a byte range into the UTF-8 of the text it came from.
public struct TokenSpan: Sendable, Hashable {
    /// First byte (inclusive).
    public var start: Int
    /// Last byte (exclusive).
    public var end: Int

    /// Creates a span of bytes `start..<end`.
    @inlinable public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = end
    }

    /// The byte range.
    @inlinable public var range: Range<Int> { start..<end }
}

/// Splits text into words, as byte ranges (no String per word).
///
/// Every tokenizer drops whitespace-only tokens, as datatrove's `strip_strings` does.
public protocol WordTokenizer: Sendable {
    /// A short name for logs and `winnow stages` (`spacy-en`, `nltk-treebank`, `icu`).
    var name: String { get }
    /// Appends the tokens of `utf8` to `tokens` (which is emptied first).
    func tokenize(_ utf8: UnsafeBufferPointer<UInt8>, into tokens: inout [TokenSpan])
}

extension WordTokenizer {
    /// The tokens of `text` as Strings (for tests and tools; hot paths use byte ranges).
    public func words(_ text: String) -> [String] {
        var t = text
        return t.withUTF8 { u in
            var spans: [TokenSpan] = []
            tokenize(u, into: &spans)
            return spans.map { String(decoding: UnsafeBufferPointer(rebasing: u[$0.range]), as: UTF8.self) }
        }
    }
}

/// The word tokenizers a recipe can name.
public enum WordTokenizerKind: String, Sendable, CaseIterable {
    /// spaCy's rule-based English tokenizer (datatrove's current tokenizer for English).
    case spacyEnglish = "spacy-en"
    /// NLTK's `word_tokenize` (Treebank rules; what datatrove used for English when FineWeb was built).
    case nltkTreebank = "nltk-treebank"
    /// ICU's UAX #29 word boundaries (any language).
    case icu

    /// Creates the tokenizer.
    /// - Parameter locale: the ICU locale (only for `.icu`).
    /// - Throws: ``TextError`` if ICU cannot open a word breaker.
    public func make(locale: String = "en") throws -> any WordTokenizer {
        switch self {
        case .spacyEnglish: return SpacyEnglishTokenizer()
        case .nltkTreebank: return TreebankWordTokenizer()
        case .icu: return try ICUWordTokenizer(locale: locale)
        }
    }
}

/// Errors from WinnowText.
public struct TextError: Error, CustomStringConvertible, Sendable {
    /// What failed.
    public var description: String
    /// Creates an error with a message.
    public init(_ description: String) { self.description = description }
}
