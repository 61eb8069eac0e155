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

    /// The simplified text.
    public func normalize(_ text: String) -> String {
        // 1. lowercase (ICU root locale, full mapping, as Python's str.lower()).
        var t = text
        let lower: [UInt8] = t.withUTF8 { Self.icu(cicu_utf8_lower, $0) }
        let scalars = Array(String(decoding: lower, as: UTF8.self).unicodeScalars)
        // 2. numbers → "0"; 3. punctuation → " "; 4. whitespace runs → " ", stripped.
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        var i = 0
        let n = scalars.count
        func emit(_ s: Unicode.Scalar) {
            if pendingSpace && !out.isEmpty { out.append(" ") }
            pendingSpace = false
            out.append(s)
        }
        while i < n {
            let s = scalars[i]
            if Self.isDigit(s) {
                var j = i + 1
                while j < n && Self.isDigit(scalars[j]) { j += 1 }
                if j + 1 < n && Self.decimalSeparators.contains(scalars[j]) && Self.isDigit(scalars[j + 1]) {
                    j += 2
                    while j < n && Self.isDigit(scalars[j]) { j += 1 }
                }
                emit("0")
                i = j
                continue
            }
            if Self.punctuation.contains(s) || Self.isPythonSpace(s) {
                pendingSpace = true
                i += 1
                continue
            }
            emit(s)
            i += 1
        }
        // 5. NFD, nonspacing marks dropped.
        var simplified = String(out)
        let stripped: [UInt8] = simplified.withUTF8 { Self.icu(cicu_nfd_strip_marks, $0) }
        // Dropping a mark can leave a space at either end: strip again, as datatrove does.
        var result = String(decoding: stripped, as: UTF8.self).unicodeScalars[...]
        while let f = result.first, Self.isPythonSpace(f) { result.removeFirst() }
        while let l = result.last, Self.isPythonSpace(l) { result.removeLast() }
        return String(String.UnicodeScalarView(result))
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
