internal import CICUShim

/// Hugging Face `tokenizers`' normalizers that SentencePiece-derived and BERT-style
/// `tokenizer.json` files use: `NFC`/`NFD`/`NFKC`/`NFKD` (ICU), `Lowercase`, `Strip`,
/// `StripAccents`, `Replace`, `Prepend` and `Sequence`. Each segment of text between added
/// tokens is normalised on its own, as `tokenizers` does.
indirect enum Normalizer: @unchecked Sendable {
    /// A Unicode normalisation form (ICU: `CICU_NFC` …).
    case unicode(Int32)
    /// Lowercase each character (its full lowercase mapping, character by character).
    case lowercase
    /// Strip whitespace on the left and/or the right.
    case strip(left: Bool, right: Bool)
    /// Drop combining marks (general category M).
    case stripAccents
    /// Replace each occurrence of a literal.
    case replaceLiteral(String, with: String)
    /// Replace each match of a regex.
    case replaceRegex(Regex<AnyRegexOutput>, with: String)
    /// Put a string before a non-empty text.
    case prepend(String)
    /// Apply each in turn.
    case sequence([Normalizer])

    /// `text` normalised.
    func apply(_ text: String) -> String {
        switch self {
        case .unicode(let form):
            if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
            var copy = text
            let bytes = copy.withUTF8 { u in Normalizer.icu(u) { cicu_normalize_utf8(form, $0, $1, $2, $3, $4) } }
            return String(decoding: bytes, as: UTF8.self)
        case .lowercase:
            var out = String.UnicodeScalarView()
            for s in text.unicodeScalars {
                if s.isASCII {
                    out.append((0x41 ... 0x5A).contains(s.value) ? Unicode.Scalar(UInt8(s.value + 32)) : s)
                } else if s.properties.changesWhenLowercased {
                    out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
                } else {
                    out.append(s)
                }
            }
            return String(out)
        case .strip(let left, let right):
            var scalars = text.unicodeScalars[...]
            if left { while let f = scalars.first, PreTokenizer.isWhitespace(f) { scalars.removeFirst() } }
            if right { while let l = scalars.last, PreTokenizer.isWhitespace(l) { scalars.removeLast() } }
            return String(scalars)
        case .stripAccents:
            var out = String.UnicodeScalarView()
            for s in text.unicodeScalars {
                switch s.properties.generalCategory {
                case .nonspacingMark, .spacingMark, .enclosingMark: continue
                default: out.append(s)
                }
            }
            return String(out)
        case .replaceLiteral(let literal, let replacement):
            return Normalizer.replacing(literal, with: replacement, in: text)
        case .replaceRegex(let regex, let replacement):
            return text.replacing(regex, with: replacement)
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case .sequence(let steps):
            var t = text
            for step in steps { t = step.apply(t) }
            return t
        }
    }

    /// `text` with each occurrence of `literal` replaced, left to right, without overlaps. On
    /// UTF-8 bytes, not Characters: " " before a combining mark is one grapheme with it, and
    /// `tokenizers` still replaces the space. (The matches are ``PreTokenizer/literalRanges(of:in:)``'s.)
    static func replacing(_ literal: String, with replacement: String, in text: String) -> String {
        let needle = Array(literal.utf8)
        guard let first = needle.first else { return text }
        let with = Array(replacement.utf8)
        var copy = text
        return copy.withUTF8 { src -> String in
            let n = src.count
            var out = [UInt8]()
            out.reserveCapacity(with.count > needle.count ? n + n / 2 : n)
            var replaced = false
            var i = 0
            outer: while i < n {
                let b = src[i]
                if b == first, i + needle.count <= n {
                    var k = 1
                    while k < needle.count {
                        if src[i + k] != needle[k] { break }
                        k += 1
                    }
                    if k == needle.count {
                        out.append(contentsOf: with)
                        i += needle.count
                        replaced = true
                        continue outer
                    }
                }
                out.append(b)
                i += 1
            }
            return replaced ? String(decoding: out, as: UTF8.self) : text
        }
    }

    /// Runs an ICU call that writes UTF-8 into a buffer, growing it when too small; the input
    /// unchanged when ICU fails.
    static func icu(
        _ u: UnsafeBufferPointer<UInt8>,
        _ call: (UnsafePointer<UInt8>?, Int32, UnsafeMutablePointer<UInt8>?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    ) -> [UInt8] {
        var cap = u.count * 2 + 16
        while true {
            var err: Int32 = 0
            var out = [UInt8](repeating: 0, count: cap)
            let n = out.withUnsafeMutableBufferPointer { call(u.baseAddress, Int32(u.count), $0.baseAddress, Int32(cap), &err) }
            if err > 0 { return Array(u) }
            if Int(n) <= cap {
                out.removeLast(cap - Int(n))
                return out
            }
            cap = Int(n)
        }
    }
}
