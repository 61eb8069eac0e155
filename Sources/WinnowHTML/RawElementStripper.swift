#if canImport(Glibc)
import Glibc
#endif

/// Removes, before parsing, the parts of a page that never hold text: comments, a doctype's
/// internal subset (`<!DOCTYPE html [ <!ENTITY …> ]>`), the elements `script`, `style`,
/// `template` and `svg` with everything inside them, and the attributes the extractor never
/// reads (`href`, `src`, `srcset`, `data-*`, event handlers…).
///
/// Pages often carry more script and style bytes than text, and libxml2 scans raw-text elements
/// and attribute values one character at a time and copies every attribute; cutting them out
/// with `memchr` first saves much of the parse time on real pages. The cut is conservative: an opening tag must be followed by white space, `>` or
/// `/`; an element without its closing tag is kept for libxml2 to handle; the closing tag is
/// matched case-insensitively as browsers do.
enum RawElementStripper {
    /// Returns the page without comments and raw-text elements, or nil when there is nothing to cut.
    static func strip(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count > 16 else { return nil }
        let n = input.count
        var out: [UInt8] = []
        var copied = 0  // input[..<copied] is in `out` (or cut)
        var tag: [UInt8] = []
        var i = 0
        while i < n {
            guard let hit = memchr(base + i, 0x3C, n - i) else { break }  // '<'
            let lt = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - base
            i = lt + 1
            guard lt + 4 <= n else { break }
            var end = -1
            if base[lt + 1] == 0x21 && base[lt + 2] == 0x2D && base[lt + 3] == 0x2D {  // <!--
                end = find(base, n, from: lt + 4, "-->")
                if end >= 0 { end += 3 }
            } else if base[lt + 1] == 0x21, let subsetEnd = doctypeWithSubsetEnd(base, n, at: lt) {
                end = subsetEnd
            } else if let name = rawElementName(base, n, at: lt + 1) {
                // Closing tag: "</name" case-insensitively, then to its '>'.
                let close = findClosing(base, n, from: lt + 1 + name.count, name)
                if close >= 0, let gt = memchr(base + close, 0x3E, n - close) {
                    end = UnsafeRawPointer(gt).assumingMemoryBound(to: UInt8.self) - base + 1
                }
            } else if isLetter(base[lt + 1]), let tagEnd = reduceTag(base, n, at: lt, into: &tag) {
                // A start tag with attributes the extractor never reads: write it without them.
                if out.isEmpty { out.reserveCapacity(n) }
                out.append(contentsOf: UnsafeBufferPointer(start: base + copied, count: lt - copied))
                out.append(contentsOf: tag)
                copied = tagEnd
                i = tagEnd
                continue
            }
            guard end > lt else { continue }
            if out.isEmpty { out.reserveCapacity(n) }
            out.append(contentsOf: UnsafeBufferPointer(start: base + copied, count: lt - copied))
            copied = end
            i = end
        }
        guard copied > 0 || !out.isEmpty else { return nil }
        out.append(contentsOf: UnsafeBufferPointer(start: base + copied, count: n - copied))
        return out
    }

    private static let names: [[UInt8]] = ["script", "style", "template", "svg"].map { Array($0.utf8) }

    /// For a `<!DOCTYPE …>` at `lt` with an internal subset (`[ … ]`, XML DTD syntax that HTML
    /// does not have), the index after the declaration; nil for any other `<!…`.
    ///
    /// libxml2's HTML parser stops the doctype at the `[` and the declarations inside
    /// (`<!ENTITY % pe SYSTEM "file:///…">`) would come out as page text. The whole
    /// declaration is cut: to the `]` that closes the subset (quoted strings and comments inside
    /// skipped) and the `>` after it, or, when the subset is never closed, to the first `>`
    /// after the `[`, where a browser's tokenizer ends the doctype. Nothing in it is loaded or
    /// expanded.
    static func doctypeWithSubsetEnd(_ b: UnsafePointer<UInt8>, _ n: Int, at lt: Int) -> Int? {
        let word: [UInt8] = Array("doctype".utf8)
        guard lt + 2 + word.count < n else { return nil }
        for k in 0..<word.count where b[lt + 2 + k] | 0x20 != word[k] { return nil }
        // The declaration's head, up to '[' (a subset) or '>' (none), skipping quoted ids.
        var i = lt + 2 + word.count
        var quote: UInt8 = 0
        while i < n {
            let c = b[i]
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == 0x22 || c == 0x27 {
                quote = c
            } else if c == 0x3E {
                return nil  // an ordinary doctype: libxml2 handles it
            } else if c == 0x5B {
                break
            }
            i += 1
        }
        guard i < n else { return nil }
        let open = i
        // The subset: to the closing ']' outside quotes and comments, then its '>'.
        i += 1
        quote = 0
        while i < n {
            let c = b[i]
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == 0x22 || c == 0x27 {
                quote = c
            } else if c == 0x3C && i + 3 < n && b[i + 1] == 0x21 && b[i + 2] == 0x2D && b[i + 3] == 0x2D {
                let close = find(b, n, from: i + 4, "-->")
                if close < 0 { break }
                i = close + 3
                continue
            } else if c == 0x5D {
                var j = i + 1
                while j < n && isSpace(b[j]) { j += 1 }
                if j < n && b[j] == 0x3E { return j + 1 }
            }
            i += 1
        }
        // Never closed: end where a browser ends the doctype, at the first '>' after '['.
        guard let gt = memchr(b + open, 0x3E, n - open) else { return n }
        return UnsafeRawPointer(gt).assumingMemoryBound(to: UInt8.self) - b + 1
    }

    /// Attributes the extractor reads (`ElementSignals`, `PageMetadata`); all others are cut.
    private static let keptAttributes: [[UInt8]] = [
        "class", "id", "role", "itemprop", "hidden", "style", "lang", "xml:lang", "content", "property", "name",
        "http-equiv",
    ].map { Array($0.utf8) }

    private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C }

    /// Rewrites the start tag at `lt` keeping only ``keptAttributes`` into `tag`; returns the index
    /// after its `>`, or nil when nothing would be cut or the tag is malformed (left to libxml2).
    private static func reduceTag(_ b: UnsafePointer<UInt8>, _ n: Int, at lt: Int, into tag: inout [UInt8]) -> Int? {
        var p = lt + 1
        while p < n && !isSpace(b[p]) && b[p] != 0x2F && b[p] != 0x3E { p += 1 }
        tag.removeAll(keepingCapacity: true)
        tag.append(contentsOf: UnsafeBufferPointer(start: b + lt, count: p - lt))
        var dropped = false
        while true {
            while p < n && (isSpace(b[p]) || b[p] == 0x2F) { p += 1 }
            guard p < n else { return nil }
            if b[p] == 0x3E { break }
            let start = p
            while p < n && !isSpace(b[p]) && b[p] != 0x2F && b[p] != 0x3E && b[p] != 0x3D { p += 1 }
            let nameEnd = p
            if nameEnd == start { return nil }  // a stray '=': leave the tag alone
            var q = p
            while q < n && isSpace(b[q]) { q += 1 }
            if q < n && b[q] == 0x3D {  // =
                q += 1
                while q < n && isSpace(b[q]) { q += 1 }
                guard q < n else { return nil }
                if b[q] == 0x22 || b[q] == 0x27 {  // quoted
                    guard let close = memchr(b + q + 1, Int32(b[q]), n - q - 1) else { return nil }
                    p = UnsafeRawPointer(close).assumingMemoryBound(to: UInt8.self) - b + 1
                } else {
                    p = q
                    while p < n && !isSpace(b[p]) && b[p] != 0x3E { p += 1 }
                }
            }
            if keeps(b + start, nameEnd - start) {
                tag.append(0x20)
                tag.append(contentsOf: UnsafeBufferPointer(start: b + start, count: p - start))
            } else {
                dropped = true
            }
        }
        guard dropped else { return nil }
        tag.append(0x3E)
        return p + 1
    }

    private static func keeps(_ name: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        for k in keptAttributes where k.count == count {
            var m = 0
            while m < count && (name[m] | 0x20) == k[m] { m += 1 }
            if m == count { return true }
        }
        return false
    }

    /// The raw-text element whose name starts at `p` (after '<'), if any.
    private static func rawElementName(_ b: UnsafePointer<UInt8>, _ n: Int, at p: Int) -> [UInt8]? {
        let c0 = b[p] | 0x20
        guard c0 == 0x73 || c0 == 0x74 else { return nil }  // s, t
        for name in names where p + name.count < n {
            var k = 0
            while k < name.count && (b[p + k] | 0x20) == name[k] { k += 1 }
            if k == name.count {
                let after = b[p + k]
                if after == 0x3E || after == 0x2F || after == 0x20 || after == 0x09 || after == 0x0A || after == 0x0D {
                    return name
                }
            }
        }
        return nil
    }

    /// Index of "</name" (case-insensitive) at or after `from`, or -1.
    private static func findClosing(_ b: UnsafePointer<UInt8>, _ n: Int, from: Int, _ name: [UInt8]) -> Int {
        var i = from
        while i < n {
            guard let hit = memchr(b + i, 0x3C, n - i) else { return -1 }
            let lt = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - b
            if lt + 2 + name.count <= n && b[lt + 1] == 0x2F {
                var k = 0
                while k < name.count && (b[lt + 2 + k] | 0x20) == name[k] { k += 1 }
                if k == name.count { return lt }
            }
            i = lt + 1
        }
        return -1
    }

    /// Index of an ASCII needle at or after `from`, or -1.
    private static func find(_ b: UnsafePointer<UInt8>, _ n: Int, from: Int, _ needle: StaticString) -> Int {
        let m = needle.utf8CodeUnitCount
        let w = needle.utf8Start
        var i = from
        while i + m <= n {
            guard let hit = memchr(b + i, Int32(w[0]), n - i - m + 1) else { return -1 }
            let at = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - b
            var k = 1
            while k < m && b[at + k] == w[k] { k += 1 }
            if k == m { return at }
            i = at + 1
        }
        return -1
    }
}
