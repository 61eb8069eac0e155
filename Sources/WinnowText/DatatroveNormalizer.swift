internal import CICUShim
import WinnowCore

/// datatrove's `simplify_text` (datatrove 0.10, `TextNormConfig` defaults): the text key its
/// dedup stages hash, reproduced so Winnow's buckets can be cross-checked with datatrove's.
///
/// In order: lowercase (full Unicode mapping) → every run of decimal digits (any script, with
/// one optional `.`/`,`-style decimal part) becomes `0` → datatrove's punctuation and control
/// characters become spaces → whitespace runs (Python's `\s`) become one space, ends stripped →
/// NFD with nonspacing marks (Mn) dropped.
public struct DatatroveNormalizer: Sendable {
    /// Creates the normaliser.
    public init() {}

    /// datatrove's `PUNCTUATION` string: these characters become spaces.
    static let punctuation: Set<Unicode.Scalar> = {
        var set = Set<Unicode.Scalar>()
        let visible = "!/\u{2014}\u{201d}:\u{ff05}\u{ff11}\u{3008}&(\u{3001}\u{2501}\\\u{3010}#%\u{300c}\u{300d}\u{ff0c}\u{3011}\u{ff1b}+^]~\u{201c}\u{300a}\u{201e}';\u{2019}{|\u{2236}\u{00b4}[=-`*\u{ff0e}\u{ff08}\u{2013}\u{ff1f}\u{ff01}\u{ff1a}$\u{ff5e}\u{00ab}\u{3009},><\u{300b})?\u{ff09}\u{3002}\u{2026}@_.\"}\u{25ba}\u{00bb}"
        for s in visible.unicodeScalars { set.insert(s) }
        for range in [0..<9, 11..<13, 13..<32, 127..<160] as [Range<UInt32>] {
            for v in range { if let s = Unicode.Scalar(v) { set.insert(s) } }
        }
        return set
    }()

    /// Python's `str.isspace()` characters (what `re`'s `\s` matches in a str pattern).
    static func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    static let decimalSeparators: Set<Unicode.Scalar> = [".", ",", "\u{060C}", "\u{066B}", "\u{2396}", "\u{2397}", "\u{2398}"]

    @inline(__always) static func isDigit(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return s.value >= 0x30 && s.value <= 0x39 }
        return s.properties.numericType == .decimal
    }

    /// ASCII bytes that become spaces (datatrove's punctuation and control characters, and
    /// whitespace), as a 128-entry table.
    static let asciiSpace: [Bool] = (0..<128).map { v in
        let s = Unicode.Scalar(UInt8(v))
        return punctuation.contains(s) || isPythonSpace(s)
    }

    /// The simplified text.
    public func normalize(_ text: String) -> String {
        String(decoding: normalizeUTF8(text), as: UTF8.self)
    }

    /// The simplified text as UTF-8 bytes.
    public func normalizeUTF8(_ text: String) -> [UInt8] {
        var t = text
        return t.withUTF8 { u -> [UInt8] in
            var ascii = true
            for c in u where c >= 0x80 {
                ascii = false
                break
            }
            // 1. lowercase (ICU root locale, full mapping, as Python's str.lower()); ASCII inline.
            if ascii { return Self.simplify(u, ascii: true) }
            let lower = Self.icu(cicu_utf8_lower, u)
            let simplified = lower.withUnsafeBufferPointer { Self.simplify($0, ascii: false) }
            // 5. NFD, nonspacing marks dropped; that can leave a space at either end: strip again.
            let stripped = simplified.withUnsafeBufferPointer { Self.icu(cicu_nfd_strip_marks, $0) }
            return Self.stripPythonSpace(stripped)
        }
    }

    /// Steps 2–4 on UTF-8 (lowercased already unless `ascii`): digit runs → "0", punctuation and
    /// whitespace runs → one space, no space at the ends.
    static func simplify(_ u: UnsafeBufferPointer<UInt8>, ascii: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(u.count)
        let spaceTable = asciiSpace
        var pendingSpace = false
        var i = 0
        let n = u.count
        func scalar(at i: Int) -> (Unicode.Scalar, Int) { Self.scalar(u, at: i) }
        while i < n {
            let c = u[i]
            if c < 0x80 {
                if c >= 0x30 && c <= 0x39 {
                    if pendingSpace && !out.isEmpty { out.append(0x20) }
                    pendingSpace = false
                    out.append(0x30)
                    i = numberEnd(u, after: i + 1)
                    continue
                }
                if spaceTable[Int(c)] {
                    pendingSpace = true
                    i += 1
                    continue
                }
                if pendingSpace && !out.isEmpty { out.append(0x20) }
                pendingSpace = false
                out.append(ascii && c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
                i += 1
                continue
            }
            let (s, len) = scalar(at: i)
            if s.properties.numericType == .decimal {
                if pendingSpace && !out.isEmpty { out.append(0x20) }
                pendingSpace = false
                out.append(0x30)
                i = numberEnd(u, after: i + len)
                continue
            }
            if punctuation.contains(s) || isPythonSpace(s) {
                pendingSpace = true
                i += len
                continue
            }
            if pendingSpace && !out.isEmpty { out.append(0x20) }
            pendingSpace = false
            out.append(contentsOf: UnsafeBufferPointer(rebasing: u[i..<min(n, i + len)]))
            i += len
        }
        return out
    }

    /// The end of a number whose first digit ends at `j`: more digits, then optionally one
    /// decimal separator followed by digits (`\p{Nd}+([.,،٫⎖⎗⎘]\p{Nd}+)?`).
    static func numberEnd(_ u: UnsafeBufferPointer<UInt8>, after start: Int) -> Int {
        let n = u.count
        var j = start
        while j < n, case (true, let l) = isDigit(u, at: j) { j += l }
        if j < n {
            let (sep, sl) = scalar(u, at: j)
            if decimalSeparators.contains(sep), j + sl < n, case (true, _) = isDigit(u, at: j + sl) {
                j += sl
                while j < n, case (true, let l) = isDigit(u, at: j) { j += l }
            }
        }
        return j
    }

    /// Decodes the scalar at byte i of valid UTF-8, and its length in bytes.
    @inline(__always) static func scalar(_ u: UnsafeBufferPointer<UInt8>, at i: Int) -> (Unicode.Scalar, Int) {
        let c = u[i]
        if c < 0x80 { return (Unicode.Scalar(c), 1) }
        var v: UInt32
        var len: Int
        if c >= 0xF0 {
            v = UInt32(c & 0x07)
            len = 4
        } else if c >= 0xE0 {
            v = UInt32(c & 0x0F)
            len = 3
        } else {
            v = UInt32(c & 0x1F)
            len = 2
        }
        for k in 1..<len where i + k < u.count { v = v << 6 | UInt32(u[i + k] & 0x3F) }
        return (Unicode.Scalar(v) ?? "\u{FFFD}", len)
    }

    /// Whether the scalar at byte i is a decimal digit (any script), and its length in bytes.
    @inline(__always) static func isDigit(_ u: UnsafeBufferPointer<UInt8>, at i: Int) -> (Bool, Int) {
        let c = u[i]
        if c < 0x80 { return (c >= 0x30 && c <= 0x39, 1) }
        let (s, len) = scalar(u, at: i)
        return (s.properties.numericType == .decimal, len)
    }

    /// Strips Python whitespace from both ends of UTF-8 bytes (decoding only the ends).
    static func stripPythonSpace(_ b: [UInt8]) -> [UInt8] {
        b.withUnsafeBufferPointer { u -> [UInt8] in
            var lo = 0
            var hi = u.count
            while lo < hi {
                let (s, len) = scalar(u, at: lo)
                if !isPythonSpace(s) { break }
                lo += len
            }
            while hi > lo {
                var start = hi - 1
                while start > lo && u[start] & 0xC0 == 0x80 { start -= 1 }
                let (s, _) = scalar(u, at: start)
                if !isPythonSpace(s) { break }
                hi = start
            }
            return lo == 0 && hi == u.count ? b : Array(u[lo..<hi])
        }
    }

    typealias ICUCall = (UnsafePointer<UInt8>?, Int32, UnsafeMutablePointer<UInt8>?, Int32, UnsafeMutablePointer<Int32>?) -> Int32

    static func icu(_ call: ICUCall, _ u: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var cap = u.count * 2 + 16
        while true {
            var err: Int32 = 0
            var out = [UInt8](repeating: 0, count: cap)
            let n = out.withUnsafeMutableBufferPointer { call(u.baseAddress, Int32(u.count), $0.baseAddress, Int32(cap), &err) }
            if err != 0 { return Array(u) }
            if Int(n) <= cap {
                out.removeLast(cap - Int(n))
                return out
            }
            cap = Int(n)
        }
    }
}
