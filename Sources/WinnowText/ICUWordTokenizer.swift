internal import CICUShim

/// UAX #29 word boundaries from ICU, straight on UTF-8 (`utext_openUTF8`): for languages
/// without a datatrove-compatible tokenizer here (CJK text is segmented with ICU's dictionaries).
///
/// Words are letter, number, kana and ideograph segments; with `keepPunctuation` every other
/// non-space segment (punctuation, symbols, emoji) is a token too, as datatrove's tokenizers keep
/// punctuation tokens. The default keeps punctuation.
public struct ICUWordTokenizer: WordTokenizer, @unchecked Sendable {
    /// `icu`.
    public var name: String { "icu" }
    /// The ICU locale.
    public let locale: String
    /// Whether non-word, non-space segments are tokens.
    public let keepPunctuation: Bool

    /// Creates the tokenizer.
    /// - Throws: ``TextError`` when ICU cannot open a word breaker for the locale.
    public init(locale: String = "en", keepPunctuation: Bool = true) throws {
        self.locale = locale
        self.keepPunctuation = keepPunctuation
        var err: Int32 = 0
        guard let w = cicu_words_open(locale, &err) else {
            throw TextError("ICU word breaker for locale '\(locale)': \(String(cString: cicu_error_name(err)))")
        }
        cicu_words_close(w)
    }

    public func tokenize(_ utf8: UnsafeBufferPointer<UInt8>, into tokens: inout [TokenSpan]) {
        tokens.removeAll(keepingCapacity: true)
        guard utf8.count > 0, let base = utf8.baseAddress else { return }
        var err: Int32 = 0
        // One ICU break iterator per call: a break iterator is not thread-safe, and opening one
        // from ICU's cached rules costs microseconds.
        guard let w = cicu_words_open(locale, &err) else { return }
        defer { cicu_words_close(w) }
        var cap = max(16, utf8.count / 3)
        while true {
            var bounds = [Int64](repeating: 0, count: 2 * cap)
            let n = Int(bounds.withUnsafeMutableBufferPointer {
                cicu_words_split(w, base, Int64(utf8.count), keepPunctuation ? 1 : 0, $0.baseAddress, Int32(cap), &err)
            })
            if err != 0 { return }
            if n <= cap {
                tokens.reserveCapacity(n)
                for k in 0..<n { tokens.append(TokenSpan(Int(bounds[2 * k]), Int(bounds[2 * k + 1]))) }
                return
            }
            cap = n
        }
    }
}
