internal import CICUShim
import WinnowCore

/// cc_net's text normaliser (`cc_net.text_normalizer.normalize` with its defaults
/// `accent=True, case=True, numbers=True, punct=1`), the text its KenLM models were trained and
/// scored on.
///
/// In order: strip Python whitespace at both ends → lowercase (full Unicode mapping, as
/// `str.lower()`) → NFD with nonspacing marks (Mn) dropped → every decimal digit (`\d`, any
/// script) becomes `0` → cc_net's Unicode punctuation is mapped to ASCII (`，`→`,`, `“`→`"`,
/// `—`→` - `, `…`→`...`, …) → control characters U+0000–U+001F and U+007F–U+009F are removed
/// (not replaced: a tab inside a line joins its neighbours, as in cc_net).
///
/// Words are then the result split on ASCII whitespace (``splitWords(_:into:)``), which is how
/// KenLM's `Model.score` splits a sentence. Other Unicode spaces (U+00A0, U+3000) stay inside
/// words, as they do in KenLM.
public struct CCNetNormalizer: Sendable {
    /// Creates the normaliser.
    public init() {}

    /// cc_net's `UNICODE_PUNCT` table.
    static let punctuation: [Unicode.Scalar: String] = [
        "，": ",", "。": ".", "、": ",", "„": "\"", "”": "\"", "“": "\"", "«": "\"", "»": "\"", "１": "\"",
        "」": "\"", "「": "\"", "《": "\"", "》": "\"", "´": "'", "∶": ":", "：": ":", "？": "?", "！": "!",
        "（": "(", "）": ")", "；": ";", "–": "-", "—": " - ", "．": ". ", "～": "~", "’": "'", "…": "...",
        "━": "-", "〈": "<", "〉": ">", "【": "[", "】": "]", "％": "%", "►": "-",
    ]

    /// The normalised line.
    public func normalize(_ text: Substring) -> String {
        String(decoding: normalizeUTF8(text), as: UTF8.self)
    }

    /// The normalised line.
    public func normalize(_ text: String) -> String { normalize(Substring(text)) }

    /// The normalised line as UTF-8 bytes.
    public func normalizeUTF8(_ text: Substring) -> [UInt8] {
        if let r = text.utf8.withContiguousStorageIfAvailable({ Self.normalize($0) }) { return r }
        var s = String(text)
        return s.withUTF8 { Self.normalize($0) }
    }

    /// The normalised line as UTF-8 bytes, from UTF-8 bytes.
    public func normalizeUTF8(bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] { Self.normalize(bytes) }

    /// Calls `body` with the [start, end) byte range of each word of UTF-8 `bytes`, split on ASCII
    /// whitespace as ``splitWords(_:into:)`` does.
    @inlinable
    public static func forEachWord(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        var i = 0
        let n = bytes.count
        while i < n {
            while i < n && (bytes[i] == 0x20 || (bytes[i] >= 0x09 && bytes[i] <= 0x0D)) { i += 1 }
            if i == n { break }
            let start = i
            while i < n && bytes[i] != 0x20 && !(bytes[i] >= 0x09 && bytes[i] <= 0x0D) { i += 1 }
            body(start..<i)
        }
    }

    /// Calls `body` with each line of UTF-8 `bytes` (split on `\n`, empty lines included, as
    /// Python's `str.split("\n")`).
    @inlinable
    public static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0A {
                body(UnsafeBufferPointer(rebasing: bytes[start..<i]))
                start = i + 1
            }
            i += 1
        }
        body(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
    }

    static func normalize(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        // 1. strip
        var lo = 0
        var hi = input.count
        while lo < hi {
            let (s, len) = DatatroveNormalizer.scalar(input, at: lo)
            if !DatatroveNormalizer.isPythonSpace(s) { break }
            lo += len
        }
        while hi > lo {
            var start = hi - 1
            while start > lo && input[start] & 0xC0 == 0x80 { start -= 1 }
            let (s, _) = DatatroveNormalizer.scalar(input, at: start)
            if !DatatroveNormalizer.isPythonSpace(s) { break }
            hi = start
        }
        let u = UnsafeBufferPointer(rebasing: input[lo..<hi])
        var ascii = true
        for c in u where c >= 0x80 {
            ascii = false
            break
        }
        if ascii {
            var out = [UInt8]()
            out.reserveCapacity(u.count)
            for c in u {
                if c < 0x20 || c == 0x7F { continue }
                if c >= 0x30 && c <= 0x39 {
                    out.append(0x30)
                } else {
                    out.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
                }
            }
            return out
        }
        // 2–3. lowercase, then NFD without nonspacing marks (ICU, straight on UTF-8).
        let lower = DatatroveNormalizer.icu(cicu_utf8_lower, u)
        let stripped = lower.withUnsafeBufferPointer { DatatroveNormalizer.icu(cicu_nfd_strip_marks, $0) }
        // 4–6. digits, punctuation, control characters.
        var out = [UInt8]()
        out.reserveCapacity(stripped.count)
        stripped.withUnsafeBufferPointer { b in
            var i = 0
            while i < b.count {
                let c = b[i]
                if c < 0x80 {
                    if c < 0x20 || c == 0x7F {
                    } else if c >= 0x30 && c <= 0x39 {
                        out.append(0x30)
                    } else {
                        out.append(c)
                    }
                    i += 1
                    continue
                }
                let (s, len) = DatatroveNormalizer.scalar(b, at: i)
                if s.value <= 0x9F {
                    // U+0080–U+009F: control characters, removed.
                } else if s.properties.numericType == .decimal {
                    out.append(0x30)
                } else if let r = punctuation[s] {
                    out.append(contentsOf: r.utf8)
                } else {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<min(b.count, i + len)]))
                }
                i += len
            }
        }
        return out
    }

    /// Splits on ASCII whitespace (space, tab, LF, VT, FF, CR), as KenLM's `Model.score` does,
    /// appending the words to `words`.
    public static func splitWords(_ text: String, into words: inout [Substring]) {
        splitWords(Substring(text), into: &words)
    }

    /// Splits on ASCII whitespace (space, tab, LF, VT, FF, CR), appending the words to `words`.
    public static func splitWords(_ text: Substring, into words: inout [Substring]) {
        let utf8 = text.utf8
        var i = utf8.startIndex
        var wordStart: Substring.UTF8View.Index? = nil
        while i != utf8.endIndex {
            let c = utf8[i]
            let space = c == 0x20 || (c >= 0x09 && c <= 0x0D)
            if space {
                if let s = wordStart {
                    words.append(text[s..<i])
                    wordStart = nil
                }
            } else if wordStart == nil {
                wordStart = i
            }
            i = utf8.index(after: i)
        }
        if let s = wordStart { words.append(text[s..<utf8.endIndex]) }
    }
}
