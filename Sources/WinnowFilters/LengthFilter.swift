import WinnowCore

/// Keeps documents whose length in characters (Unicode scalars) or words lies within bounds.
public struct LengthFilter: Filter, RegisteredStage {
    /// The stage name.
    public var name: String { "length" }
    /// Minimum characters (inclusive), if any.
    public var minCharacters: Int?
    /// Maximum characters (inclusive), if any.
    public var maxCharacters: Int?
    /// Minimum whitespace-separated words (inclusive), if any.
    public var minWords: Int?
    /// Maximum whitespace-separated words (inclusive), if any.
    public var maxWords: Int?

    /// Creates the filter.
    public init(minCharacters: Int? = nil, maxCharacters: Int? = nil, minWords: Int? = nil, maxWords: Int? = nil) {
        self.minCharacters = minCharacters
        self.maxCharacters = maxCharacters
        self.minWords = minWords
        self.maxWords = maxWords
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "length", kind: .filter,
        summary: "Keeps documents whose length lies within bounds. Characters are Unicode scalars; words are runs of non-whitespace.",
        parameters: [
            ParameterSpec("min_chars", "int", default: nil, "drop documents with fewer characters"),
            ParameterSpec("max_chars", "int", default: nil, "drop documents with more characters"),
            ParameterSpec("min_words", "int", default: nil, "drop documents with fewer words"),
            ParameterSpec("max_words", "int", default: nil, "drop documents with more words"),
        ],
        dropReasons: ["too_short", "too_long", "too_few_words", "too_many_words"],
        make: { p in
            let f = LengthFilter(
                minCharacters: try p.int("min_chars", min: 0), maxCharacters: try p.int("max_chars", min: 0),
                minWords: try p.int("min_words", min: 0), maxWords: try p.int("max_words", min: 0))
            if f.minCharacters == nil && f.maxCharacters == nil && f.minWords == nil && f.maxWords == nil {
                throw ConfigError("stage 'length' needs at least one of min_chars, max_chars, min_words, max_words", at: p.location)
            }
            return f
        })

    /// Counts Unicode scalars and whitespace-separated words in one pass over UTF-8.
    static func measure(_ text: String) -> (characters: Int, words: Int) {
        var t = text
        return t.withUTF8 { u in
            var chars = 0
            var words = 0
            var inWord = false
            for c in u {
                if c & 0xC0 != 0x80 { chars += 1 }
                let space = c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C
                if space {
                    inWord = false
                } else if !inWord {
                    inWord = true
                    words += 1
                }
            }
            return (chars, words)
        }
    }

    /// The verdict for one document.
    public func verdict(for document: Document, context: StageContext) -> Verdict {
        let (chars, words) = Self.measure(document.text)
        context.measure("characters", Double(chars))
        context.measure("words", Double(words))
        if let minCharacters, chars < minCharacters { return .drop(reason: "too_short") }
        if let maxCharacters, chars > maxCharacters { return .drop(reason: "too_long") }
        if let minWords, words < minWords { return .drop(reason: "too_few_words") }
        if let maxWords, words > maxWords { return .drop(reason: "too_many_words") }
        return .keep
    }
}
