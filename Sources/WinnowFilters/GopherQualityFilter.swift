import WinnowCore
import WinnowText

/// Gopher's quality heuristics (Rae et al. 2021, Table A1), as datatrove's `GopherQualityFilter`.
///
/// Words come from the rule set's tokenizer; "non-symbol" words have a character outside
/// datatrove's `PUNCTUATION_SET`. Word counts and mean word length use non-symbol words; the
/// `#`/ellipsis, alphabetic and stop-word rules use all words. Lengths are in code points.
public struct GopherQualityFilter: Filter, RegisteredStage {
    /// The stage name.
    public var name: String { "gopher_quality" }
    /// Fewer non-symbol words drops (`gopher_short_doc`); nil disables.
    public var minDocWords: Int? = 50
    /// More non-symbol words drops (`gopher_long_doc`).
    public var maxDocWords: Int? = 100_000
    /// Mean non-symbol word length below this drops (`gopher_below_avg_threshold`).
    public var minAvgWordLength: Double? = 3
    /// Mean non-symbol word length above this drops (`gopher_above_avg_threshold`).
    public var maxAvgWordLength: Double? = 10
    /// `#` or ellipses per word above this drops (`gopher_too_many_hashes` / `…_ellipsis`).
    public var maxSymbolWordRatio: Double? = 0.1
    /// Share of lines starting with a bullet above this drops (`gopher_too_many_bullets`).
    public var maxBulletLinesRatio: Double? = 0.9
    /// Share of lines ending with an ellipsis above this drops (`gopher_too_many_end_ellipsis`).
    public var maxEllipsisLinesRatio: Double? = 0.3
    /// Share of words with an alphabetic character below this drops (`gopher_below_alpha_threshold`).
    public var maxNonAlphaWordsRatio: Double? = 0.8
    /// Fewer stop words drops (`gopher_enough_stop_words`).
    public var minStopWords: Int? = 2
    /// The stop words (exact, case-sensitive match).
    public var stopWords: [String] = GopherQualityFilter.defaultStopWords
    let options: RuleOptions
    let stopBytes: [[UInt8]]
    let maxStopLength: Int

    /// datatrove's `STOP_WORDS`.
    public static let defaultStopWords = ["the", "be", "to", "of", "and", "that", "have", "with"]

    /// Creates the filter with datatrove's defaults under the given rule set.
    public init(rules: QualityRuleSet = .current, stopWords: [String] = GopherQualityFilter.defaultStopWords) {
        self.init(options: .defaults(rules), stopWords: stopWords)
    }

    init(options: RuleOptions, stopWords: [String]) {
        self.options = options
        self.stopWords = stopWords
        var uniq: [[UInt8]] = []
        for w in stopWords where !uniq.contains(Array(w.utf8)) { uniq.append(Array(w.utf8)) }
        self.stopBytes = uniq
        self.maxStopLength = uniq.map(\.count).max() ?? 0
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "gopher_quality", kind: .filter,
        summary: "Gopher quality rules (datatrove GopherQualityFilter): word count, mean word length, `#`/ellipsis ratios, bullet and ellipsis lines, alphabetic words, stop words. A threshold of 0 or null disables its rule.",
        parameters: [
            ParameterSpec("min_doc_words", "int", default: "50", "minimum non-symbol words"),
            ParameterSpec("max_doc_words", "int", default: "100000", "maximum non-symbol words"),
            ParameterSpec("min_avg_word_length", "number", default: "3", "minimum mean non-symbol word length (code points)"),
            ParameterSpec("max_avg_word_length", "number", default: "10", "maximum mean non-symbol word length"),
            ParameterSpec("max_symbol_word_ratio", "number", default: "0.1", "maximum `#` per word, and `...`/`…` per word"),
            ParameterSpec("max_bullet_lines_ratio", "number", default: "0.9", "maximum share of lines starting with `•` or `-`"),
            ParameterSpec("max_ellipsis_lines_ratio", "number", default: "0.3", "maximum share of lines ending with `...` or `…`"),
            ParameterSpec("max_non_alpha_words_ratio", "number", default: "0.8", "minimum share of words with an alphabetic character (datatrove's name)"),
            ParameterSpec("min_stop_words", "int", default: "2", "minimum stop words (distinct under `current`, occurrences under `fineweb-v1`)"),
            ParameterSpec("stop_words", "[string]", default: "[the, be, to, of, and, that, have, with]", "the stop words"),
        ] + RuleOptions.specs,
        dropReasons: [
            "gopher_short_doc", "gopher_long_doc", "gopher_below_avg_threshold", "gopher_above_avg_threshold",
            "gopher_too_many_hashes", "gopher_too_many_ellipsis", "gopher_too_many_bullets",
            "gopher_too_many_end_ellipsis", "gopher_below_alpha_threshold", "gopher_enough_stop_words",
        ],
        make: { p in
            var f = GopherQualityFilter(
                options: try RuleOptions.read(p),
                stopWords: try p.strings("stop_words", default: GopherQualityFilter.defaultStopWords) ?? GopherQualityFilter.defaultStopWords)
            f.minDocWords = try p.int("min_doc_words", default: 50, min: 0)
            f.maxDocWords = try p.int("max_doc_words", default: 100_000, min: 0)
            f.minAvgWordLength = try p.double("min_avg_word_length", default: 3, min: 0)
            f.maxAvgWordLength = try p.double("max_avg_word_length", default: 10, min: 0)
            f.maxSymbolWordRatio = try p.double("max_symbol_word_ratio", default: 0.1, min: 0)
            f.maxBulletLinesRatio = try p.double("max_bullet_lines_ratio", default: 0.9, min: 0)
            f.maxEllipsisLinesRatio = try p.double("max_ellipsis_lines_ratio", default: 0.3, min: 0)
            f.maxNonAlphaWordsRatio = try p.double("max_non_alpha_words_ratio", default: 0.8, min: 0, max: 1)
            f.minStopWords = try p.int("min_stop_words", default: 2, min: 0)
            return f
        })

    static let hash = Array("#".utf8)
    static let dots = Array("...".utf8)
    static let ellipsis = Array("…".utf8)
    static let bullet = Array("•".utf8)
    static let dash = Array("-".utf8)

    /// The verdict for one document.
    public func verdict(for document: Document, context: StageContext) -> Verdict {
        let scratch = context.local("gopher_quality.scratch") { RuleScratch() }
        let cache = options.tokenCache(context)
        let text = document.text
        return text.withBytes { u -> Verdict in
            let tokens = cache.tokens(of: text, utf8: u, options.tokenizer)
            context.measure("words", Double(tokens.count))
            return verdict(utf8: u, scratch: scratch, tokens: tokens)
        }
    }

    /// Whether the word has a character outside datatrove's `PUNCTUATION_SET`.
    /// `ascii` is ``DatatroveSets/asciiMask`` and `punct` ``DatatroveSets/punctuation``, loaded
    /// once by the caller.
    @inline(__always) static func isNonSymbol(_ u: UnsafeBufferPointer<UInt8>, _ t: TokenSpan,
                                              ascii: (UInt64, UInt64), punct: Set<UInt32>) -> Bool {
        var i = t.start
        while i < t.end {
            let c = u[i]
            if c < 0x80 {
                let inSet = c < 64 ? ascii.0 & (1 << UInt64(c)) != 0 : ascii.1 & (1 << UInt64(c - 64)) != 0
                if !inSet { return true }
                i += 1
            } else {
                let (v, l) = PythonText.decode(u, i)
                if !punct.contains(v) { return true }
                i += l
            }
        }
        return false
    }

    /// Whether the word has an alphabetic character (`any(c.isalpha() for c in w)`).
    @inline(__always) static func hasAlpha(_ u: UnsafeBufferPointer<UInt8>, _ t: TokenSpan) -> Bool {
        var i = t.start
        while i < t.end {
            let c = u[i]
            if c < 0x80 {
                if (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A { return true }
                i += 1
            } else {
                let (v, l) = PythonText.decode(u, i)
                if PythonText.isAlpha(v) { return true }
                i += l
            }
        }
        return false
    }

    /// `text.count("#")` and `text.count("...") + text.count("…")` (non-overlapping, left to
    /// right) in one pass; eight bytes at a time past bytes that cannot start either.
    static func hashesAndEllipses(_ u: UnsafeBufferPointer<UInt8>) -> (hashes: Int, ellipses: Int) {
        guard let base = u.baseAddress else { return (0, 0) }
        let raw = UnsafeRawPointer(base)
        var hashes = 0
        var dots = 0
        var i = 0
        let n = u.count
        while i < n {
            if i + 8 <= n {
                let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if SWAR.equal(x, 0x23) | SWAR.equal(x, 0x2E) | SWAR.equal(x, 0xE2) == 0 {
                    i += 8
                    continue
                }
            }
            let c = u[i]
            if c == 0x23 {
                hashes += 1
            } else if c == 0x2E {
                if i + 2 < n && u[i + 1] == 0x2E && u[i + 2] == 0x2E { dots += 1; i += 3; continue }
            } else if c == 0xE2 {
                if i + 2 < n && u[i + 1] == 0x80 && u[i + 2] == 0xA6 { dots += 1; i += 3; continue }
            }
            i += 1
        }
        return (hashes, dots)
    }

    /// datatrove's checks in its order, each computed only when every earlier one has passed and
    /// stopped as soon as its outcome is known (word statistics stop at `max_doc_words`, the
    /// alphabetic share once it reaches its minimum, stop words once enough are found).
    func verdict(utf8 u: UnsafeBufferPointer<UInt8>, scratch s: RuleScratch, tokens: [TokenSpan]) -> Verdict {
        let nWords = tokens.count
        let minWords = (minDocWords ?? 0) != 0 ? minDocWords : nil
        let maxWords = (maxDocWords ?? 0) != 0 ? maxDocWords : nil
        var nonSymbol = 0
        var nonSymbolChars = 0
        let ascii = DatatroveSets.asciiMask
        let punct = DatatroveSets.punctuation
        // In an all-ASCII text a word's characters are its bytes: one count over the text instead
        // of one per word.
        let textIsASCII = PythonText.scalarCount(u, 0..<u.count) == u.count  // valid UTF-8: no continuation byte, no lead byte
        // The words with an alphabetic character are counted in the same walk (the alpha rule
        // below reads them; counting them here costs one test of a word's first bytes).
        let countAlpha = enabled(maxNonAlphaWordsRatio) != nil
        var alphaWords = 0
        for t in tokens {
            if countAlpha && Self.hasAlpha(u, t) { alphaWords += 1 }
            guard Self.isNonSymbol(u, t, ascii: ascii, punct: punct) else { continue }
            nonSymbol += 1
            nonSymbolChars += textIsASCII ? t.end - t.start : wordScalarCount(u, t)
            // Past the maximum (and at or past the minimum), the document is long whatever follows.
            if let mx = maxWords, nonSymbol > mx, minWords.map({ nonSymbol >= $0 }) ?? true {
                return .drop(reason: "gopher_long_doc")
            }
        }
        if let m = minWords, nonSymbol < m { return .drop(reason: "gopher_short_doc") }
        if let m = maxWords, nonSymbol > m { return .drop(reason: "gopher_long_doc") }
        // datatrove divides by the word count below; a document with no words is short.
        if nWords == 0 || nonSymbol == 0 { return .drop(reason: "gopher_short_doc") }
        let avg = Double(nonSymbolChars) / Double(nonSymbol)
        if let m = enabled(minAvgWordLength), avg < m { return .drop(reason: "gopher_below_avg_threshold") }
        if let m = enabled(maxAvgWordLength), avg > m { return .drop(reason: "gopher_above_avg_threshold") }
        if let m = enabled(maxSymbolWordRatio) {
            let (hashes, dots) = Self.hashesAndEllipses(u)
            if Double(hashes) / Double(nWords) > m { return .drop(reason: "gopher_too_many_hashes") }
            if Double(dots) / Double(nWords) > m { return .drop(reason: "gopher_too_many_ellipsis") }
        }
        let bulletMax = enabled(maxBulletLinesRatio)
        let ellipsisMax = enabled(maxEllipsisLinesRatio)
        if bulletMax != nil || ellipsisMax != nil {
            PythonText.splitLines(u, into: &s.lines)
            let nLines = s.lines.count
            if nLines > 0 {
                var bullets = 0
                var ell = 0
                for l in s.lines {
                    if bulletMax != nil {
                        let r = PythonText.lstrip(u, l)
                        if PythonText.hasPrefix(u, r, Self.bullet) || PythonText.hasPrefix(u, r, Self.dash) { bullets += 1 }
                    }
                    if ellipsisMax != nil {
                        let r = PythonText.rstrip(u, l)
                        if PythonText.hasSuffix(u, r, Self.dots) || PythonText.hasSuffix(u, r, Self.ellipsis) { ell += 1 }
                    }
                }
                if let m = bulletMax, Double(bullets) / Double(nLines) > m { return .drop(reason: "gopher_too_many_bullets") }
                if let m = ellipsisMax, Double(ell) / Double(nLines) > m { return .drop(reason: "gopher_too_many_end_ellipsis") }
            }
        }
        if let m = enabled(maxNonAlphaWordsRatio), Double(alphaWords) / Double(nWords) < m {
            return .drop(reason: "gopher_below_alpha_threshold")
        }
        if let m = minStopWords, m != 0 {
            var stopSeen = [Bool](repeating: false, count: stopBytes.count)
            var found = 0
            let occurrences = options.rules == .finewebV1
            for t in tokens where found < m {
                let len = t.end - t.start
                guard len <= maxStopLength else { continue }
                for (k, w) in stopBytes.enumerated() where w.count == len {
                    var eq = true
                    for j in 0..<len where u[t.start + j] != w[j] { eq = false; break }
                    if eq {
                        if occurrences || !stopSeen[k] { found += 1 }
                        stopSeen[k] = true
                        break
                    }
                }
            }
            if found < m { return .drop(reason: "gopher_enough_stop_words") }
        }
        return .keep
    }
}
