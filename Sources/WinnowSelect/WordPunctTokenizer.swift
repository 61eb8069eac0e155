import WinnowText

/// NLTK's `WordPunctTokenizer` on Python-lowercased text, the tokenisation of the
/// `data-selection` package's `HashedNgramDSIR` (`wpt.tokenize(line.lower())`).
///
/// Tokens are maximal runs of the regular expression `\w+|[^\w\s]+` as NLTK (3.9+) runs it,
/// with the `regex` module's Unicode classes: a word character is Alphabetic, a mark (M*), a
/// decimal digit (Nd), connector punctuation (Pc) or a join control (ZWJ/ZWNJ); a space is
/// White_Space. So combining accents stay inside words, while `²` and `½` (No) are punctuation.
enum WordPunctTokenizer {
    /// Appends Python's `str.lower()` of `u` to `out`: full lowercase mappings (`İ` → `i̇`) and the
    /// final-sigma rule (`Σ` → `ς` after a cased letter and not before one).
    static func appendLowercased(_ u: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + u.count)
        var i = 0
        let n = u.count
        while i < n {
            let b = u[i]
            if b < 0x80 {
                out.append(b &- 0x41 < 26 ? b | 0x20 : b)
                i += 1
                continue
            }
            let (v, len) = PythonText.decode(u, i)
            defer { i += len }
            guard let s = Unicode.Scalar(v), s.properties.changesWhenLowercased else {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: u[i..<(i + len)]))
                continue
            }
            if v == 0x3A3 {
                let final = finalSigma(u, at: i, length: len)
                out.append(contentsOf: final ? [0xCF, 0x82] : [0xCF, 0x83])
                continue
            }
            out.append(contentsOf: s.properties.lowercaseMapping.utf8)
        }
    }

    /// CPython's `handle_capital_sigma`: `\p{cased}\p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased})`.
    private static func finalSigma(_ u: UnsafeBufferPointer<UInt8>, at i: Int, length: Int) -> Bool {
        var j = i
        var before: Unicode.Scalar?
        while j > 0 {
            let (v, l) = PythonText.decodeBefore(u, j)
            j -= l
            guard let s = Unicode.Scalar(v) else { break }
            if !s.properties.isCaseIgnorable { before = s; break }
        }
        guard let before, before.properties.isCased else { return false }
        j = i + length
        while j < u.count {
            let (v, l) = PythonText.decode(u, j)
            j += l
            guard let s = Unicode.Scalar(v) else { return true }
            if !s.properties.isCaseIgnorable { return !s.properties.isCased }
        }
        return true
    }

    /// Character classes of the tokenizer's regular expression.
    enum CharClass: UInt8 { case word, space, other }

    private static let asciiClasses: [CharClass] = (0..<128).map { c -> CharClass in
        let ch = UInt8(c)
        if (ch >= 0x30 && ch <= 0x39) || ((ch | 0x20) >= 0x61 && (ch | 0x20) <= 0x7A) || ch == 0x5F { return .word }
        if ch == 0x20 || (ch >= 0x09 && ch <= 0x0D) { return .space }
        return .other
    }

    /// The class of one code point in the `regex` module's Unicode terms.
    @inline(__always)
    static func charClass(_ v: UInt32) -> CharClass {
        if v < 0x80 { return asciiClasses[Int(v)] }
        guard let s = Unicode.Scalar(v) else { return .other }
        let p = s.properties
        if p.isWhitespace { return .space }
        if p.isAlphabetic || p.isJoinControl { return .word }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return .word
        default: return .other
        }
    }

    /// Appends the byte ranges of the tokens of `u` (already lowercased) to `tokens`.
    static func tokenize(_ u: UnsafeBufferPointer<UInt8>, into tokens: inout [Range<Int>]) {
        var i = 0
        let n = u.count
        var start = 0
        var current = CharClass.space
        while i < n {
            let b = u[i]
            let cls: CharClass
            let len: Int
            if b < 0x80 {
                cls = asciiClasses[Int(b)]
                len = 1
            } else {
                let (v, l) = PythonText.decode(u, i)
                cls = charClass(v)
                len = l
            }
            if cls != current {
                if current != .space { tokens.append(start..<i) }
                start = i
                current = cls
            }
            i += len
        }
        if current != .space && start < n { tokens.append(start..<n) }
    }
}
