import WinnowCore
import WinnowText

/// How words are normalised before n-grams are compared.
public enum NGramNormalization: String, Sendable, CaseIterable {
    /// datatrove's `simplify_text` per word: lowercase, digit runs → `0`, diacritics removed
    /// (NFD, nonspacing marks dropped).
    case datatrove
    /// Lowercase only.
    case lowercase
    /// The words' bytes as written.
    case none
}

/// The words of one text for n-gram matching: each word's byte range in the text, its
/// normalised bytes and their hash.
///
/// A word is a maximal run of letters, digits and combining marks (any script); everything
/// else (spaces, punctuation, symbols) separates words, as GPT-3's decontamination split on
/// whitespace after removing punctuation.
struct NGramWords {
    /// Normalised bytes of all words, back to back.
    var normalized: [UInt8] = []
    /// Where word `i`'s normalised bytes start in `normalized` (count + 1 entries).
    var normalizedStart: [Int] = [0]
    /// Byte range of word `i` in the text.
    var start: [Int] = []
    var end: [Int] = []
    /// xxHash64 of each word's normalised bytes.
    var hash: [UInt64] = []

    var count: Int { hash.count }

    mutating func removeAll() {
        normalized.removeAll(keepingCapacity: true)
        normalizedStart.removeAll(keepingCapacity: true)
        normalizedStart.append(0)
        start.removeAll(keepingCapacity: true)
        end.removeAll(keepingCapacity: true)
        hash.removeAll(keepingCapacity: true)
    }

    /// Whether the scalar starting at a non-ASCII byte is part of a word, and its length.
    @inline(__always) static func wordScalar(_ u: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Bool, Int) {
        let b = u[i]
        var v: UInt32, len: Int
        if b < 0xE0 { v = UInt32(b & 0x1F); len = 2 } else if b < 0xF0 { v = UInt32(b & 0x0F); len = 3 } else { v = UInt32(b & 0x07); len = 4 }
        if i + len > u.count { return (false, 1) }
        for k in 1..<len { v = v << 6 | UInt32(u[i + k] & 0x3F) }
        guard let s = Unicode.Scalar(v) else { return (false, len) }
        let p = s.properties
        if p.isAlphabetic || p.numericType != nil { return (true, len) }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .otherLetter: return (true, len)
        default: return (false, len)
        }
    }

    /// Appends the words of `u` (valid UTF-8).
    mutating func scan(_ u: UnsafeBufferPointer<UInt8>, normalization: NGramNormalization) {
        let n = u.count
        var i = 0
        while i < n {
            let b = u[i]
            var isWord: Bool, len: Int
            if b < 0x80 {
                isWord = (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
                len = 1
            } else if b & 0xC0 == 0x80 {
                isWord = false
                len = 1
            } else {
                (isWord, len) = Self.wordScalar(u, i)
            }
            if !isWord {
                i += len
                continue
            }
            let s = i
            var ascii = b < 0x80
            i += len
            while i < n {
                let c = u[i]
                if c < 0x80 {
                    guard (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) else { break }
                    i += 1
                } else {
                    let (w, l) = c & 0xC0 == 0x80 ? (false, 1) : Self.wordScalar(u, i)
                    guard w else { break }
                    ascii = false
                    i += l
                }
            }
            appendWord(u, s, i, ascii: ascii, normalization: normalization)
        }
    }

    private mutating func appendWord(_ u: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, ascii: Bool, normalization: NGramNormalization) {
        let before = normalized.count
        switch normalization {
        case .none:
            normalized.append(contentsOf: u[s..<e])
        case .lowercase:
            if ascii {
                for k in s..<e { let c = u[k]; normalized.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c) }
            } else {
                normalized.append(contentsOf: String(decoding: u[s..<e], as: UTF8.self).lowercased().utf8)
            }
        case .datatrove:
            if ascii {
                var k = s
                while k < e {
                    let c = u[k]
                    if c >= 0x30 && c <= 0x39 {
                        normalized.append(0x30)
                        while k < e && u[k] >= 0x30 && u[k] <= 0x39 { k += 1 }
                        continue
                    }
                    normalized.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
                    k += 1
                }
            } else {
                normalized.append(contentsOf: DatatroveNormalizer().normalizeUTF8(String(decoding: u[s..<e], as: UTF8.self)))
            }
        }
        if normalized.count == before { return }  // only marks: nothing left
        let h = normalized.withUnsafeBytes { StableHash.xxh64(UnsafeRawBufferPointer(rebasing: $0[before...])) }
        normalizedStart.append(normalized.count)
        start.append(s)
        end.append(e)
        hash.append(h)
    }

    /// The normalised bytes of word `i`.
    @inline(__always) func word(_ i: Int) -> ArraySlice<UInt8> {
        normalized[normalizedStart[i]..<normalizedStart[i + 1]]
    }
}

/// The rolling hash of n consecutive word hashes: Σ hᵢ·Pⁿ⁻¹⁻ⁱ (mod 2⁶⁴), finalised with
/// splitmix64's mixer; never 0 (0 marks an empty slot).
struct NGramHasher {
    static let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15 | 1
    let n: Int
    let top: UInt64  // Pⁿ⁻¹

    init(n: Int) {
        self.n = n
        var t: UInt64 = 1
        for _ in 0..<(n - 1) { t = t &* Self.multiplier }
        top = t
    }

    @inline(__always) static func finalize(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return z == 0 ? 1 : z
    }

    /// Calls `body(i, key)` for every window of `n` words starting at word `i`.
    @inline(__always) func forEachWindow(_ hashes: [UInt64], _ body: (Int, UInt64) throws -> Void) rethrows {
        let count = hashes.count
        guard count >= n else { return }
        var h: UInt64 = 0
        for k in 0..<n { h = h &* Self.multiplier &+ hashes[k] }
        try body(0, Self.finalize(h))
        var i = 1
        while i + n <= count {
            h = (h &- hashes[i - 1] &* top) &* Self.multiplier &+ hashes[i + n - 1]
            try body(i, Self.finalize(h))
            i += 1
        }
    }
}
