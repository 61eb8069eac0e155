/// Python `str` semantics over UTF-8 bytes: what datatrove's rules compute with `len`,
/// `isspace`, `isalpha`, `splitlines`, `strip`, `split` and `count`, without making Strings.
///
/// Lengths are in Unicode scalars (Python code points); ranges are byte offsets into the UTF-8.
public enum PythonText {
    /// Decodes the scalar starting at byte `i` of valid UTF-8; returns the value and its length in bytes.
    @inline(__always)
    public static func decode(_ u: UnsafeBufferPointer<UInt8>, _ i: Int) -> (value: UInt32, length: Int) {
        let b0 = UInt32(u[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return (((b0 & 0x1F) << 6) | (UInt32(u[i + 1]) & 0x3F), 2) }
        if b0 < 0xF0 {
            return (((b0 & 0x0F) << 12) | ((UInt32(u[i + 1]) & 0x3F) << 6) | (UInt32(u[i + 2]) & 0x3F), 3)
        }
        return (((b0 & 0x07) << 18) | ((UInt32(u[i + 1]) & 0x3F) << 12) | ((UInt32(u[i + 2]) & 0x3F) << 6)
            | (UInt32(u[i + 3]) & 0x3F), 4)
    }

    /// The scalar that ends just before byte `i` (i > 0) and its length in bytes.
    @inline(__always)
    public static func decodeBefore(_ u: UnsafeBufferPointer<UInt8>, _ i: Int) -> (value: UInt32, length: Int) {
        var j = i - 1
        while j > 0 && u[j] & 0xC0 == 0x80 { j -= 1 }
        return decode(u, j)
    }

    /// Python's `str.isspace()` for one code point (what `str.split()`, `strip()` and `\s` use).
    @inline(__always)
    public static func isSpace(_ v: UInt32) -> Bool {
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) || (v >= 0x1C && v <= 0x1F) }
        switch v {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Python's `str.isalpha()` for one code point: general category Lu, Ll, Lt, Lm or Lo.
    @inline(__always)
    public static func isAlpha(_ v: UInt32) -> Bool {
        if v < 0x80 { return (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A }
        guard let s = Unicode.Scalar(v) else { return false }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// Whether the code point's general category is a punctuation one (P*), as spaCy's `is_punct`.
    @inline(__always)
    public static func isPunctuationCategory(_ v: UInt32) -> Bool {
        if v < 0x80 {
            switch v {
            case 0x21...0x23, 0x25...0x2A, 0x2C...0x2F, 0x3A, 0x3B, 0x3F, 0x40, 0x5B...0x5D, 0x5F, 0x7B, 0x7D: return true
            default: return false
            }
        }
        guard let s = Unicode.Scalar(v) else { return false }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    /// Number of code points in `u[range]`.
    @inline(__always)
    public static func scalarCount(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        // Eight bytes at a time: a byte starts a code point unless it is 10xxxxxx, i.e. its bit 7
        // is set and its bit 6 clear (`x & ~(x << 1)` puts bit 6 of each byte under its bit 7).
        var n = range.count
        var i = range.lowerBound
        if let base = u.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= range.upperBound {
                let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                n -= (x & ~(x << 1) & 0x8080_8080_8080_8080).nonzeroBitCount
                i += 8
            }
        }
        while i < range.upperBound {
            if u[i] & 0xC0 == 0x80 { n -= 1 }
            i += 1
        }
        return n
    }

    /// `str.splitlines()`: line ranges without their terminators. Terminators: \n, \r, \r\n,
    /// \v, \f, \x1c, \x1d, \x1e, \x85, U+2028, U+2029. No trailing empty line; "" gives none.
    public static func splitLines(_ u: UnsafeBufferPointer<UInt8>, into lines: inout [Range<Int>]) {
        lines.removeAll(keepingCapacity: true)
        let n = u.count
        var start = 0
        var i = 0
        while i < n {
            // Eight bytes at a time past ASCII above the controls: every terminator starts with a
            // byte below 0x20 (\n \v \f \r \x1c–\x1e) or above 0x7F (\x85, U+2028/9).
            if let base = u.baseAddress {
                while i + 8 <= n {
                    let x = UnsafeRawPointer(base).loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    // Bit 7 of a byte below 0x20 is set in `low`; a borrow can set it in a byte
                    // after such a byte too, never before one, so the lowest set bit is exact.
                    let low = (x &- 0x2020_2020_2020_2020) & ~x
                    let m = (low | x) & 0x8080_8080_8080_8080
                    if m != 0 {
                        i += m.trailingZeroBitCount >> 3
                        break
                    }
                    i += 8
                }
                if i >= n { break }
            }
            let c = u[i]
            var termLen = 0
            switch c {
            case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E: termLen = 1
            case 0x0D: termLen = (i + 1 < n && u[i + 1] == 0x0A) ? 2 : 1
            case 0xC2: if i + 1 < n && u[i + 1] == 0x85 { termLen = 2 }
            case 0xE2: if i + 2 < n && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9) { termLen = 3 }
            default: break
            }
            if termLen > 0 {
                lines.append(start..<i)
                i += termLen
                start = i
            } else {
                i += 1
            }
        }
        if start < n { lines.append(start..<n) }
    }

    /// `str.strip()`: the range without leading and trailing Python whitespace.
    public static func strip(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        let r = lstrip(u, range)
        return rstrip(u, r)
    }

    /// `str.lstrip()`.
    public static func lstrip(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var a = range.lowerBound
        while a < range.upperBound {
            let (v, l) = decode(u, a)
            if !isSpace(v) { break }
            a += l
        }
        return a..<range.upperBound
    }

    /// `str.rstrip()`.
    public static func rstrip(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var b = range.upperBound
        while b > range.lowerBound {
            let (v, l) = decodeBefore(u, b)
            if !isSpace(v) { break }
            b -= l
        }
        return range.lowerBound..<b
    }

    /// `str.split()` (no argument): ranges of maximal runs of non-whitespace.
    public static func splitWhitespace(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: inout [Range<Int>]) {
        out.removeAll(keepingCapacity: true)
        forEachWord(u, range) { out.append($0); return true }
    }

    /// `min(len(str.split()), limit)` for `u[range]`: counts the words of ``splitWhitespace(_:_:into:)``
    /// and stops at `limit`.
    public static func wordCount(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, upTo limit: Int) -> Int {
        var n = 0
        guard limit > 0 else { return 0 }
        forEachWord(u, range) { _ in
            n += 1
            return n < limit
        }
        return n
    }

    /// Calls `body` with each maximal run of non-whitespace in `u[range]`, in order, until it
    /// returns false. ASCII above the space (never whitespace) is passed without decoding.
    @inline(__always)
    static func forEachWord(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (Range<Int>) -> Bool) {
        var i = range.lowerBound
        var start = -1
        while i < range.upperBound {
            if u[i] > 0x20 && u[i] < 0x80 {
                if start < 0 { start = i }
                i += 1
                while i < range.upperBound && u[i] > 0x20 && u[i] < 0x80 { i += 1 }
                continue
            }
            let (v, l) = decode(u, i)
            if isSpace(v) {
                if start >= 0 {
                    if !body(start..<i) { return }
                    start = -1
                }
            } else if start < 0 {
                start = i
            }
            i += l
        }
        if start >= 0 { _ = body(start..<range.upperBound) }
    }

    /// `str.count(needle)`: non-overlapping occurrences of `needle` bytes in `u[range]`.
    public static func count(_ needle: [UInt8], in u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        let m = needle.count
        guard m > 0 else { return 0 }
        var n = 0
        var i = range.lowerBound
        let first = needle[0]
        while i + m <= range.upperBound {
            if u[i] == first {
                var k = 1
                while k < m && u[i + k] == needle[k] { k += 1 }
                if k == m {
                    n += 1
                    i += m
                    continue
                }
            }
            i += 1
        }
        return n
    }

    /// Whether `u[range]` starts with `prefix`.
    @inline(__always)
    public static func hasPrefix(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ prefix: [UInt8]) -> Bool {
        guard range.count >= prefix.count else { return false }
        for k in 0..<prefix.count where u[range.lowerBound + k] != prefix[k] { return false }
        return true
    }

    /// Whether `u[range]` ends with `suffix`.
    @inline(__always)
    public static func hasSuffix(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ suffix: [UInt8]) -> Bool {
        guard range.count >= suffix.count else { return false }
        let s = range.upperBound - suffix.count
        for k in 0..<suffix.count where u[s + k] != suffix[k] { return false }
        return true
    }

    /// Whether `u[range]` contains `needle`, ASCII-case-insensitively (`needle` is lowercase ASCII).
    /// Equals `needle in s.lower()` for ASCII needles, except for the few non-ASCII characters
    /// whose lowercase is ASCII (U+0130 İ → i̇, U+212A KELVIN SIGN → k), which are checked too.
    public static func containsLowercased(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ needle: [UInt8]) -> Bool {
        let m = needle.count
        guard m > 0, range.count >= m else { return m == 0 }
        var i = range.lowerBound
        while i + m <= range.upperBound {
            var k = 0
            while k < m {
                var c = u[i + k]
                if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                if c != needle[k] { break }
                k += 1
            }
            if k == m { return true }
            i += 1
        }
        // Kelvin sign (E2 84 AA) lowercases to "k": rare; fall back to a String search if present.
        if needle.contains(0x6B) {
            var j = range.lowerBound
            while j + 2 < range.upperBound {
                if u[j] == 0xE2 && u[j + 1] == 0x84 && u[j + 2] == 0xAA {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: u[range]), as: UTF8.self).lowercased()
                    return s.utf8.contains(needle)
                }
                j += 1
            }
        }
        return false
    }
}

extension Sequence where Element == UInt8 {
    fileprivate func contains(_ needle: [UInt8]) -> Bool {
        let hay = Array(self)
        guard needle.count <= hay.count else { return false }
        for i in 0...(hay.count - needle.count) where Array(hay[i..<(i + needle.count)]) == needle { return true }
        return false
    }
}
