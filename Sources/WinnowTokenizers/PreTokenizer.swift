/// How a tokenizer cuts (normalised) text into pre-tokens before its model runs: Hugging Face
/// `tokenizers`' pre-tokenizers (`ByteLevel`, `Split`, `Metaspace`, `Whitespace`,
/// `WhitespaceSplit`, `BertPreTokenizer`, `Punctuation`, `Digits`, `Sequence`) and tiktoken's
/// patterns.
indirect enum PreTokenizer: @unchecked Sendable {
    /// GPT-2's pattern, hand-coded (`ByteLevel` with its regex):
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// No split (`ByteLevel` without its regex, or no pre-tokenizer).
    case none
    /// A regex `Split`, through Swift `Regex` with Unicode-scalar semantics (as Python's and
    /// Rust's engines match; `\r\n` is two characters there).
    case regex(Regex<AnyRegexOutput>, SplitBehavior, invert: Bool)
    /// A literal-string `Split`.
    case literal(String, SplitBehavior, invert: Bool)
    /// `Metaspace`: spaces become `replacement`, which is prepended (always, or to the text's
    /// first piece only, or never) and, when `split`, starts each piece.
    case metaspace(replacement: Unicode.Scalar, prepend: PrependScheme, split: Bool)
    /// `ByteLevel` with `add_prefix_space`: a space is put before each piece that lacks one.
    case prefixSpace
    /// `Whitespace`: `\w+|[^\w\s]+`.
    case whitespace
    /// `WhitespaceSplit`: runs of non-whitespace.
    case whitespaceSplit
    /// `Punctuation`: each punctuation character by the behaviour.
    case punctuation(SplitBehavior)
    /// `Digits`: ASCII digits, each on its own or in runs.
    case digits(individual: Bool)
    /// `BertPreTokenizer`: whitespace splits, punctuation isolated.
    case bert
    /// Each step cuts the pieces of the one before.
    case sequence([PreTokenizer])

    /// Where a `Split`'s delimiters go (Hugging Face `SplitDelimiterBehavior`).
    enum SplitBehavior: String {
        case removed, isolated, mergedWithPrevious = "merged_with_previous", mergedWithNext = "merged_with_next", contiguous
    }

    /// When `Metaspace` prepends its replacement.
    enum PrependScheme: String { case always, first, never }

    /// cl100k_base's pattern (GPT-3.5/4).
    static let cl100kPattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// A regex `Split` with `Isolated` behaviour (tiktoken's patterns).
    /// - Throws: ``TokenizerError`` when the pattern does not compile.
    static func regex(_ pattern: String, _ behavior: SplitBehavior = .isolated, invert: Bool = false, location: String = "pre_tokenizer") throws -> PreTokenizer {
        do {
            return .regex(try Regex(pattern).matchingSemantics(.unicodeScalar), behavior, invert: invert)
        } catch {
            throw TokenizerError(location, "pattern \(pattern) does not compile: \(error)")
        }
    }

    // MARK: - Cutting

    /// True when the pre-tokenizer only cuts (pieces are substrings of the text, in order,
    /// covering it): ``forEachPiece(of:_:)`` may then be used without copying.
    var onlyCuts: Bool {
        switch self {
        case .gpt2, .none, .regex(_, .isolated, false), .literal(_, .isolated, false): return true
        default: return false
        }
    }

    /// Calls `body` with each pre-token of `text`, in order; for a pre-tokenizer that
    /// ``onlyCuts`` they cover `text`.
    func forEachPiece(of text: Substring, first: Bool = true, _ body: (Substring) -> Void) {
        switch self {
        case .gpt2:
            PreTokenizer.gpt2Pieces(text, body)
        case .none:
            if !text.isEmpty { body(text) }
        default:
            for piece in pieces(of: [text], first: first) { body(piece) }
        }
    }

    /// The pre-tokens of `pieces` (the text's first piece marked by `first`).
    func pieces(of input: [Substring], first: Bool) -> [Substring] {
        switch self {
        case .gpt2:
            var out: [Substring] = []
            for piece in input { PreTokenizer.gpt2Pieces(piece) { out.append($0) } }
            return out
        case .none:
            return input.filter { !$0.isEmpty }
        case .regex(let regex, let behavior, let invert):
            return input.flatMap { piece in
                PreTokenizer.split(piece, behavior: behavior, invert: invert, matches: piece.matches(of: regex).map(\.range))
            }
        case .literal(let literal, let behavior, let invert):
            return input.flatMap { piece in
                PreTokenizer.split(piece, behavior: behavior, invert: invert, matches: PreTokenizer.literalRanges(of: literal, in: piece))
            }
        case .metaspace(let replacement, let prepend, let split):
            var out: [Substring] = []
            for (k, piece) in input.enumerated() {
                var text = String.UnicodeScalarView()
                let starts = piece.unicodeScalars.first == replacement || piece.unicodeScalars.first == " "
                if !starts && (prepend == .always || (prepend == .first && first && k == 0)) { text.append(replacement) }
                for s in piece.unicodeScalars { text.append(s == " " ? replacement : s) }
                let whole = String(text)[...]
                if split {
                    let ranges = PreTokenizer.scalarRanges(whole) { $0 == replacement }
                    out += PreTokenizer.split(whole, behavior: .mergedWithNext, invert: false, matches: ranges)
                } else if !whole.isEmpty {
                    out.append(whole)
                }
            }
            return out
        case .prefixSpace:
            return input.compactMap { piece in
                if piece.isEmpty { return nil }
                return piece.utf8.first == UInt8(ascii: " ") ? piece : (" " + piece)[...]
            }
        case .whitespace:
            return input.flatMap { piece in
                // \w+|[^\w\s]+ kept, whitespace removed.
                var out: [Substring] = []
                var start = piece.unicodeScalars.startIndex
                var kind = 0  // 0 space, 1 word, 2 other
                var i = start
                for s in piece.unicodeScalars {
                    let k = PreTokenizer.isWhitespace(s) ? 0 : (PreTokenizer.isWordCharacter(s) ? 1 : 2)
                    if k != kind {
                        if kind != 0 && start < i { out.append(Substring(piece.unicodeScalars[start ..< i])) }
                        start = i
                        kind = k
                    }
                    i = piece.unicodeScalars.index(after: i)
                }
                if kind != 0 && start < i { out.append(Substring(piece.unicodeScalars[start ..< i])) }
                return out
            }
        case .whitespaceSplit:
            return input.flatMap { piece in
                PreTokenizer.split(piece, behavior: .removed, invert: false, matches: PreTokenizer.scalarRanges(piece, PreTokenizer.isWhitespace))
            }
        case .punctuation(let behavior):
            return input.flatMap { piece in
                PreTokenizer.split(piece, behavior: behavior, invert: false, matches: PreTokenizer.scalarRanges(piece, PreTokenizer.isPunctuation))
            }
        case .digits(let individual):
            return input.flatMap { piece in
                PreTokenizer.split(piece, behavior: individual ? .isolated : .contiguous, invert: false,
                                   matches: PreTokenizer.scalarRanges(piece) { $0.isASCII && $0.value >= 0x30 && $0.value <= 0x39 })
            }
        case .bert:
            return PreTokenizer.sequence([.whitespaceSplit, .punctuation(.isolated)]).pieces(of: input, first: first)
        case .sequence(let steps):
            var pieces = input
            for step in steps { pieces = step.pieces(of: pieces, first: first) }
            return pieces
        }
    }

    /// The non-overlapping occurrences of `literal` in `text`, left to right, found on UTF-8 bytes
    /// (Swift's `ranges(of:)` compares Characters, and a space before a combining mark is not a
    /// space there).
    static func literalRanges(of literal: String, in text: Substring) -> [Range<Substring.Index>] {
        let needle = Array(literal.utf8)
        guard let first = needle.first else { return [] }
        let utf8 = text.utf8
        var out: [Range<Substring.Index>] = []
        var i = utf8.startIndex
        while i < utf8.endIndex {
            guard utf8[i] == first else {
                i = utf8.index(after: i)
                continue
            }
            var j = i
            var k = 0
            while k < needle.count, j < utf8.endIndex, utf8[j] == needle[k] {
                j = utf8.index(after: j)
                k += 1
            }
            if k == needle.count {
                out.append(i ..< j)
                i = j
            } else {
                i = utf8.index(after: i)
            }
        }
        return out
    }

    /// One range per scalar for which `isDelimiter` holds.
    static func scalarRanges(_ text: Substring, _ isDelimiter: (Unicode.Scalar) -> Bool) -> [Range<Substring.Index>] {
        var out: [Range<Substring.Index>] = []
        var i = text.unicodeScalars.startIndex
        while i < text.unicodeScalars.endIndex {
            let j = text.unicodeScalars.index(after: i)
            if isDelimiter(text.unicodeScalars[i]) { out.append(i ..< j) }
            i = j
        }
        return out
    }

    /// Cuts `text` at `matches` (ascending, not overlapping) by `behavior`, as `tokenizers`'
    /// `NormalizedString::split` does; empty pieces are dropped.
    static func split(_ text: Substring, behavior: SplitBehavior, invert: Bool, matches: [Range<Substring.Index>]) -> [Substring] {
        var parts: [(Range<Substring.Index>, Bool)] = []
        var rest = text.startIndex
        for m in matches where !m.isEmpty {
            if m.lowerBound > rest { parts.append((rest ..< m.lowerBound, invert)) }
            parts.append((m, !invert))
            rest = m.upperBound
        }
        if rest < text.endIndex { parts.append((rest ..< text.endIndex, invert)) }
        var out: [Range<Substring.Index>] = []
        switch behavior {
        case .removed:
            out = parts.filter { !$0.1 }.map(\.0)
        case .isolated:
            out = parts.map(\.0)
        case .mergedWithPrevious:
            var previousMatch = false
            for (range, isMatch) in parts {
                if isMatch && !previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound ..< range.upperBound
                } else {
                    out.append(range)
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for (range, isMatch) in parts.reversed() {
                if isMatch && !previousMatch, let last = out.last {
                    out[out.count - 1] = range.lowerBound ..< last.upperBound
                } else {
                    out.append(range)
                }
                previousMatch = isMatch
            }
            out.reverse()
        case .contiguous:
            var previousMatch = false
            for (range, isMatch) in parts {
                if isMatch && previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound ..< range.upperBound
                } else {
                    out.append(range)
                }
                previousMatch = isMatch
            }
        }
        return out.filter { !$0.isEmpty }.map { text[$0] }
    }

    /// Whitespace as Rust's `char::is_whitespace` (the Unicode White_Space property).
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x20, 0x09 ... 0x0D: return true
        case 0x21 ..< 0x80: return false
        default: return s.properties.isWhitespace
        }
    }

    /// `\w` as Oniguruma and Rust's regex read it: letters, marks, numbers, connector punctuation.
    static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII {
            let v = s.value
            return (0x30 ... 0x39).contains(v) || (0x41 ... 0x5A).contains(v) || (0x61 ... 0x7A).contains(v) || v == 0x5F
        }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber, .connectorPunctuation:
            return true
        default:
            return false
        }
    }

    /// Punctuation as `tokenizers` splits on it: ASCII punctuation or any Unicode `P*` category.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33 ... 47).contains(v) || (58 ... 64).contains(v) || (91 ... 96).contains(v) || (123 ... 126).contains(v) { return true }
        guard v >= 0x80 else { return false }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    private enum Class { case letter, number, space, other }

    private static func classify(_ s: Unicode.Scalar) -> Class {
        if s.properties.isWhitespace { return .space }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    private static let contractions: [[Unicode.Scalar]] = ["s", "t", "re", "ve", "m", "ll", "d"].map { Array($0.unicodeScalars) }

    /// GPT-2's pre-tokenisation over the text's scalars.
    static func gpt2Pieces(_ text: Substring, _ body: (Substring) -> Void) {
        let scalars = text.unicodeScalars
        var i = scalars.startIndex
        let end = scalars.endIndex
        while i < end {
            let start = i
            let c = scalars[i]
            // 's 't 're 've 'm 'll 'd
            if c == "'" {
                let after = scalars.index(after: i)
                var matched: String.UnicodeScalarView.Index?
                for suffix in contractions {
                    var j = after
                    var ok = true
                    for expected in suffix {
                        guard j < end, scalars[j] == expected else { ok = false; break }
                        j = scalars.index(after: j)
                    }
                    if ok { matched = j; break }
                }
                if let j = matched {
                    body(Substring(scalars[start ..< j]))
                    i = j
                    continue
                }
            }
            var j = i
            var kind = classify(c)
            if c == " " {
                let next = scalars.index(after: i)
                if next < end, classify(scalars[next]) != .space {
                    j = next
                    kind = classify(scalars[next])
                }
            }
            if kind != .space {
                // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
                while j < end, classify(scalars[j]) == kind { j = scalars.index(after: j) }
                body(Substring(scalars[start ..< j]))
                i = j
                continue
            }
            // `\s+(?!\S)|\s+`: a whitespace run, leaving its last space to the next word.
            while j < end, classify(scalars[j]) == .space { j = scalars.index(after: j) }
            if j < end {
                let last = scalars.index(before: j)
                if last > start { j = last }
            }
            body(Substring(scalars[start ..< j]))
            i = j
        }
    }
}
