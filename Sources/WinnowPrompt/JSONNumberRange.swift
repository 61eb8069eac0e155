import Foundation

/// Finds the field holding a JSON number that no Swift integer or finite double holds.
///
/// Foundation's `JSONDecoder` reports such a number (`"k": 99999999999999999999`,
/// `"rate": 1e400`) as corrupt data at the top of the document, without the field's name; this
/// names it, so a client or a command line learns which option to fix.
public enum JSONNumberRange {
    /// The key path (`k`, `examples[2].weight`) of the first number in `json` that is not
    /// finite (`1e400`, and the non-JSON `NaN` and `Infinity`) or whose magnitude is 2⁶³ or more (2⁶⁴ or more first, since a `UInt64` field such
    /// as a seed may legitimately hold values in [2⁶³, 2⁶⁴)); nil when there is none.
    public static func outOfRangeField(in json: Data) -> String? {
        let text = String(decoding: json, as: UTF8.self)
        var best: (path: String, rank: Int)?
        var scanner = Scanner(bytes: Array(text.utf8))
        scanner.walk(path: "", depth: 0) { path, literal in
            let rank = Self.rank(literal)
            if rank > 0, rank > (best?.rank ?? 0) { best = (path, rank) }
        }
        return best?.path
    }

    /// 2: not finite or ≥ 2⁶⁴ in magnitude; 1: ≥ 2⁶³; 0: fits.
    static func rank(_ literal: Substring) -> Int {
        guard let value = Double(literal) else { return 2 }
        if !value.isFinite || abs(value) >= 18_446_744_073_709_551_616 { return 2 }
        if abs(value) >= 9_223_372_036_854_775_808 { return 1 }
        return 0
    }

    /// A minimal walk over a syntactically valid JSON text, calling back with each number's
    /// key path and literal text. It stops quietly on anything unexpected, and below 256 levels.
    struct Scanner {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        /// The string at `i` (which is a quote), unescaped only as far as keys need.
        mutating func string() -> String? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
            guard i < bytes.count else { return nil }
            let raw = String(decoding: bytes[start ..< i], as: UTF8.self)
            i += 1
            return (try? JSONDecoder().decode(String.self, from: Data(("\"" + raw + "\"").utf8))) ?? raw
        }

        mutating func walk(path: String, depth: Int, _ visit: (String, Substring) -> Void) {
            skipSpace()
            guard i < bytes.count, depth < 256 else { return }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                while true {
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
                    guard let key = string() else { return }
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return }
                    i += 1
                    walk(path: path.isEmpty ? key : path + "." + key, depth: depth + 1, visit)
                    skipSpace()
                    guard i < bytes.count else { return }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "}") { i += 1; return }
                    return
                }
            case UInt8(ascii: "["):
                i += 1
                var index = 0
                while true {
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return }
                    walk(path: path + "[\(index)]", depth: depth + 1, visit)
                    index += 1
                    skipSpace()
                    guard i < bytes.count else { return }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return }
                    return
                }
            case UInt8(ascii: "\""):
                _ = string()
            case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"):
                let start = i
                while i < bytes.count, "+-.eE0123456789".utf8.contains(bytes[i]) { i += 1 }
                visit(path, Substring(String(decoding: bytes[start ..< i], as: UTF8.self)))
            default:
                // true, false, null — or a non-JSON NaN / Infinity a client meant as a number.
                let start = i
                while i < bytes.count, !",]} \n\r\t".utf8.contains(bytes[i]) { i += 1 }
                let word = String(decoding: bytes[start ..< i], as: UTF8.self)
                if ["NaN", "nan", "Infinity", "inf"].contains(word) { visit(path, Substring(word)) }
            }
        }
    }
}

extension KeyedDecodingContainer {
    /// An optional integer field whose errors name the field: Foundation's decoder reports a
    /// non-integer (`2.5`), an out-of-range value (`-1` for an unsigned field, `2⁶⁶`) or an
    /// unrepresentable one (`1e400`) as corrupt data without a coding path.
    /// - Throws: `DecodingError.dataCorrupted` (or `.typeMismatch` for a non-number) whose
    ///   coding path ends at `key`, saying what was wrong.
    public func decodeIntegerIfPresent<T: FixedWidthInteger & Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let value = try? decode(T.self, forKey: key) { return value }
        let path = codingPath + [key]
        if let number = try? decode(Double.self, forKey: key), number.isFinite {
            let what = number.rounded() == number ? "out of range" : "not an integer"
            throw DecodingError.dataCorrupted(
                .init(codingPath: path, debugDescription: "must be an integer in \(T.min)…\(T.max) (got \(number): \(what))"))
        }
        if (try? decode(String.self, forKey: key)) != nil || (try? decode(Bool.self, forKey: key)) != nil {
            throw DecodingError.typeMismatch(T.self, .init(codingPath: path, debugDescription: "must be an integer"))
        }
        throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "must be an integer in \(T.min)…\(T.max)"))
    }
}
