import Foundation

/// How a byte-level BPE tokenizer cuts text into pre-tokens before merging.
enum PreTokenizer: @unchecked Sendable {
    /// GPT-2's pattern, hand-coded:
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// Any other pattern, through Swift `Regex` with Unicode-scalar semantics (as Python's and
    /// Rust's engines match; `\r\n` is two characters there). Pieces are the matches; text
    /// between matches is a piece too, as `Split` with `Isolated` behaviour keeps it.
    case regex(Regex<AnyRegexOutput>)

    /// cl100k_base's pattern (GPT-3.5/4).
    static let cl100kPattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    init(_ pattern: String) throws {
        do { self = .regex(try Regex(pattern).matchingSemantics(.unicodeScalar)) } catch { throw PromptError("pre_tokenizer", "pattern \(pattern) does not compile: \(error)") }
    }

    static func regex(_ pattern: String) throws -> PreTokenizer { try PreTokenizer(pattern) }

    /// Reads `tokenizer.json`'s `pre_tokenizer`: `ByteLevel` with `use_regex` (GPT-2's
    /// pattern), or a `Sequence` whose regex `Split` is followed by a `ByteLevel` without regex.
    init(huggingFace value: Any?, path: String) throws {
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw PromptError(path, "pre_tokenizer is missing (a byte-level BPE needs ByteLevel)")
        }
        if type == "ByteLevel" {
            guard object["use_regex"] as? Bool ?? true else { throw PromptError(path, "ByteLevel pre_tokenizer without a regex is not supported") }
            if object["add_prefix_space"] as? Bool ?? false { throw PromptError(path, "ByteLevel add_prefix_space is not supported") }
            self = .gpt2
            return
        }
        if type == "Sequence", let steps = object["pretokenizers"] as? [[String: Any]] {
            var pattern: String?
            for step in steps {
                switch step["type"] as? String {
                case "Split":
                    guard pattern == nil, let p = (step["pattern"] as? [String: Any])?["Regex"] as? String,
                        (step["behavior"] as? String ?? "Isolated") == "Isolated", !(step["invert"] as? Bool ?? false)
                    else { throw PromptError(path, "pre_tokenizer: only one isolated regex Split is supported") }
                    pattern = p
                case "ByteLevel":
                    if step["use_regex"] as? Bool ?? true { pattern = pattern ?? "gpt2" }
                default:
                    throw PromptError(path, "pre_tokenizer step \(step["type"] ?? "?") is not supported")
                }
            }
            if let pattern, pattern != "gpt2" { self = try PreTokenizer(pattern) } else { self = .gpt2 }
            return
        }
        throw PromptError(path, "pre_tokenizer \(type) is not supported (ByteLevel or Sequence[Split, ByteLevel])")
    }

    /// Calls `body` with each pre-token of `text`, in order; together they cover `text`.
    func forEachPiece(of text: Substring, _ body: (Substring) -> Void) {
        switch self {
        case .gpt2:
            PreTokenizer.gpt2Pieces(text, body)
        case .regex(let regex):
            var rest = text.startIndex
            for match in text.matches(of: regex) {
                if match.range.lowerBound > rest { body(text[rest ..< match.range.lowerBound]) }
                if !match.range.isEmpty { body(text[match.range]) }
                rest = match.range.upperBound
            }
            if rest < text.endIndex { body(text[rest...]) }
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
