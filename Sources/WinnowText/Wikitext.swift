/// Turns MediaWiki wikitext into plain text for training data.
///
/// Removed: HTML comments; `<ref>…</ref>` and `<ref …/>` and the content of other non-prose
/// tags (`math`, `gallery`, `timeline`, `score`, `syntaxhighlight`, …); templates `{{…}}` (nested);
/// tables `{| … |}` (nested); `[[File:…]]`, `[[Image:…]]`, `[[Media:…]]`, `[[Category:…]]` and
/// interlanguage links (with any links in their captions); magic words (`__TOC__`); horizontal
/// rules. Kept as text: `[[target|label]]` → label, `[[target]]` → target, `[http://x label]` →
/// label (`[http://x]` → nothing), headings `== X ==` → `X`, list items without their markers,
/// bold/italic text without its quotes, the content of other HTML tags. HTML entities are
/// decoded. Runs of blank lines become one.
///
/// Works on UTF-8 bytes (all markup is ASCII), a few linear passes.
public enum Wikitext {
    /// The plain text of `wikitext`.
    public static func plainText(_ wikitext: String) -> String {
        var b = Array(wikitext.utf8)
        b = removeComments(b)
        b = removeTagsWithContent(b)
        b = removeTemplatesAndTables(b)
        b = convertLinks(b)
        b = convertExternalLinks(b)
        b = removeTags(b)
        b = removeQuotes(b)
        b = convertLines(b)
        b = decodeEntities(b)
        b = tidy(b)
        return String(decoding: b, as: UTF8.self)
    }

    // MARK: - Comments and tags

    static func removeComments(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == 0x3C, matches(b, i, "<!--") {
                if let end = find(b, "-->", from: i + 4) {
                    i = end + 3
                } else {
                    i = b.count  // an unclosed comment runs to the end, as MediaWiki renders it
                }
                continue
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    /// Tags whose content is not prose and goes with them.
    static let droppedTags: [String] = [
        "ref", "references", "math", "gallery", "timeline", "score", "syntaxhighlight", "source", "chem", "ce", "hiero",
        "imagemap", "templatedata", "graph", "mapframe", "maplink", "inputbox", "categorytree", "charinsert", "templatestyles",
    ]

    static func removeTagsWithContent(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        outer: while i < b.count {
            if b[i] == 0x3C, i + 1 < b.count, isLetter(b[i + 1]) {
                for tag in droppedTags {
                    let name = Array(tag.utf8)
                    guard matchesCaseless(b, i + 1, name) else { continue }
                    let after = i + 1 + name.count
                    guard after < b.count, b[after] == 0x3E || b[after] == 0x2F || isSpace(b[after]) else { continue }
                    guard let close = firstIndex(b, of: 0x3E, from: after) else { continue }
                    if b[close - 1] == 0x2F {  // <ref … />
                        i = close + 1
                        continue outer
                    }
                    // The matching </tag>; without one, only the opening tag goes.
                    let closing = Array("</".utf8) + name
                    if let end = findCaseless(b, closing, from: close + 1), let gt = firstIndex(b, of: 0x3E, from: end) {
                        i = gt + 1
                    } else {
                        i = close + 1
                    }
                    continue outer
                }
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    /// Removes every remaining `<tag …>`, `</tag>` and `<tag/>`, keeping what is between.
    static func removeTags(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == 0x3C, i + 1 < b.count {
                var j = i + 1
                if b[j] == 0x2F { j += 1 }
                if j < b.count, isLetter(b[j]) {
                    var k = j
                    while k < b.count, isLetter(b[k]) || isDigit(b[k]) { k += 1 }
                    if k < b.count, b[k] == 0x3E || b[k] == 0x2F || isSpace(b[k]),
                        let gt = firstIndex(b, of: 0x3E, from: k), !b[k..<gt].contains(0x3C), !b[k..<gt].contains(0x0A) || gt - k < 500
                    {
                        let name = String(decoding: b[j..<k], as: UTF8.self).lowercased()
                        if name == "br" || name == "p" || name == "div" || name == "li" || name == "tr" { out.append(0x0A) }
                        i = gt + 1
                        continue
                    }
                }
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    // MARK: - Templates and tables

    /// Removes `{{…}}` and `{| … |}` (tables open and close at the start of a line), nested in
    /// any order. A closer with no opener, or an opener never closed, loses only its marker.
    static func removeTemplatesAndTables(_ b: [UInt8]) -> [UInt8] {
        enum Kind { case template, table }
        var deletions: [(Int, Int)] = []  // [start, end) ranges, in order
        var stack: [(Kind, Int)] = []
        var i = 0
        while i + 1 < b.count {
            let c = b[i]
            let d = b[i + 1]
            let lineStart = isLineStart(b, i)
            if c == 0x7B && d == 0x7B {  // {{
                stack.append((.template, i))
                i += 2
            } else if c == 0x7B && d == 0x7C && lineStart {  // {|
                stack.append((.table, i))
                i += 2
            } else if c == 0x7D && d == 0x7D {  // }}
                if let k = stack.lastIndex(where: { $0.0 == .template }) {
                    let start = stack[k].1
                    stack.removeSubrange(k...)
                    if stack.isEmpty { deletions.append((start, i + 2)) }
                } else if stack.isEmpty {
                    deletions.append((i, i + 2))
                }
                i += 2
            } else if c == 0x7C && d == 0x7D && lineStart {  // |}
                if let k = stack.lastIndex(where: { $0.0 == .table }) {
                    let start = stack[k].1
                    stack.removeSubrange(k...)
                    if stack.isEmpty { deletions.append((start, i + 2)) }
                } else if stack.isEmpty {
                    deletions.append((i, i + 2))
                }
                i += 2
            } else {
                i += 1
            }
        }
        // Openers never closed: drop the marker only.
        for (_, start) in stack { deletions.append((start, start + 2)) }
        deletions.sort { $0.0 < $1.0 }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var pos = 0
        for (s, e) in deletions where e > pos {
            if s > pos { out.append(contentsOf: b[pos..<s]) }
            pos = max(pos, e)
        }
        if pos < b.count { out.append(contentsOf: b[pos...]) }
        return out
    }

    /// Whether position `i` is at the start of a line, allowing indentation (`:` and spaces).
    static func isLineStart(_ b: [UInt8], _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0, b[j] == 0x20 || b[j] == 0x09 || b[j] == 0x3A { j -= 1 }
        return j < 0 || b[j] == 0x0A
    }

    // MARK: - Links

    /// Namespaces whose links are not prose.
    static let droppedNamespaces: Set<String> = ["file", "image", "media", "category"]

    /// `[[target|label]]` → label, `[[target]]` → target; files, categories and interlanguage
    /// links go (with their captions' links).
    static func convertLinks(_ b: [UInt8]) -> [UInt8] {
        var stack: [[UInt8]] = [[]]
        stack[0].reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if i + 1 < b.count && b[i] == 0x5B && b[i + 1] == 0x5B {
                stack.append([])
                i += 2
            } else if i + 1 < b.count && b[i] == 0x5D && b[i + 1] == 0x5D && stack.count > 1 {
                let inner = stack.removeLast()
                stack[stack.count - 1].append(contentsOf: linkText(inner))
                i += 2
            } else if i + 1 < b.count && b[i] == 0x5D && b[i + 1] == 0x5D {
                i += 2  // a closer with no opener
            } else {
                stack[stack.count - 1].append(b[i])
                i += 1
            }
        }
        // Openers never closed: their text stays, without the marker.
        while stack.count > 1 {
            let inner = stack.removeLast()
            stack[stack.count - 1].append(contentsOf: inner)
        }
        return stack[0]
    }

    static func linkText(_ inner: [UInt8]) -> [UInt8] {
        let pipe = inner.firstIndex(of: 0x7C)
        var target = Array(inner[..<(pipe ?? inner.count)])
        while let f = target.first, isSpace(f) { target.removeFirst() }
        let visibleColon = target.first == 0x3A
        if visibleColon { target.removeFirst() }
        if !visibleColon, let colon = target.firstIndex(of: 0x3A) {
            let ns = String(decoding: target[..<colon], as: UTF8.self).lowercased().trimmingChars(" _")
            if droppedNamespaces.contains(ns) { return [] }
            if pipe == nil && isLanguageCode(ns) { return [] }  // [[de:Seite]]
        }
        if let pipe {
            var label = Array(inner[(pipe + 1)...])
            // [[a|b|c]]: the last part is the label.
            if let last = label.lastIndex(of: 0x7C) { label = Array(label[(last + 1)...]) }
            if label.allSatisfy(isSpace) {
                // The pipe trick, [[Paris, Texas|]] → Paris.
                var t = target
                if let comma = t.firstIndex(of: 0x2C) { t = Array(t[..<comma]) }
                if let paren = t.firstIndex(of: 0x28) { t = Array(t[..<paren]) }
                while let l = t.last, isSpace(l) { t.removeLast() }
                return t
            }
            return label
        }
        // [[target#section]] shows the whole target.
        return target
    }

    static func isLanguageCode(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count) else { return false }
        return s.count <= 12 && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D }
    }

    /// `[http://example.org label]` → label; `[http://example.org]` → nothing.
    static func convertExternalLinks(_ b: [UInt8]) -> [UInt8] {
        let schemes = ["http://", "https://", "ftp://", "//", "mailto:", "news:", "irc://", "ircs://"].map { Array($0.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        outer: while i < b.count {
            if b[i] == 0x5B {
                for s in schemes where matchesCaseless(b, i + 1, s) {
                    var end = i + 1
                    while end < b.count, b[end] != 0x5D, b[end] != 0x0A { end += 1 }
                    guard end < b.count, b[end] == 0x5D else { break }
                    if let space = b[(i + 1)..<end].firstIndex(where: { $0 == 0x20 || $0 == 0x09 }) {
                        out.append(contentsOf: b[(space + 1)..<end])
                    }
                    i = end + 1
                    continue outer
                }
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    // MARK: - Quotes, lines, entities

    /// Bold and italic quotes: runs of 2, 3 and 5 apostrophes go; 4 leaves one (an apostrophe
    /// before bold text); longer runs leave the extra ones. As in MediaWiki, when a line has an
    /// odd number of both italic and bold markers, one bold marker is an apostrophe plus
    /// italics (`''cat'''s` → cat's).
    static func removeQuotes(_ b: [UInt8]) -> [UInt8] {
        guard b.contains(0x27) else { return b }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var lineStart = 0
        while lineStart <= b.count {
            let lineEnd = firstIndex(b, of: 0x0A, from: lineStart) ?? b.count
            // Runs of two or more apostrophes on this line: (start, length).
            var runs: [(Int, Int)] = []
            var i = lineStart
            while i < lineEnd {
                if b[i] == 0x27 {
                    var j = i
                    while j < lineEnd && b[j] == 0x27 { j += 1 }
                    if j - i >= 2 { runs.append((i, j - i)) }
                    i = j
                } else {
                    i += 1
                }
            }
            let italics = runs.filter { $0.1 == 2 || $0.1 >= 5 }.count
            let bolds = runs.filter { $0.1 == 3 || $0.1 == 4 || $0.1 >= 5 }.count
            var apostropheRun: Int?
            if italics % 2 == 1 && bolds % 2 == 1 {
                let threes = runs.filter { $0.1 == 3 }.map(\.0)
                apostropheRun = threes.first(where: { $0 > lineStart && b[$0 - 1] != 0x20 }) ?? threes.first
            }
            i = lineStart
            var r = 0
            while i < lineEnd {
                if r < runs.count && runs[r].0 == i {
                    let n = runs[r].1
                    switch n {
                    case 2, 5: break
                    case 3: if apostropheRun == i { out.append(0x27) }
                    case 4: out.append(0x27)
                    default: out.append(contentsOf: [UInt8](repeating: 0x27, count: min(2, n - 5)))
                    }
                    i += n
                    r += 1
                    continue
                }
                out.append(b[i])
                i += 1
            }
            if lineEnd < b.count { out.append(0x0A) }
            lineStart = lineEnd + 1
        }
        return out
    }

    /// Headings, list markers, rules, magic words, leftover table rows.
    static func convertLines(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        for lineSlice in b.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var line = Array(lineSlice)
            while let l = line.last, l == 0x20 || l == 0x09 || l == 0x0D { line.removeLast() }
            // Headings: == X ==
            if line.first == 0x3D {
                var lead = 0
                while lead < line.count && line[lead] == 0x3D { lead += 1 }
                var trail = 0
                while trail < line.count - lead && line[line.count - 1 - trail] == 0x3D { trail += 1 }
                if trail > 0 {
                    var t = Array(line[lead..<(line.count - trail)])
                    while let f = t.first, isSpace(f) { t.removeFirst() }
                    while let l = t.last, isSpace(l) { t.removeLast() }
                    out.append(contentsOf: t)
                    out.append(0x0A)
                    continue
                }
            }
            // Horizontal rules and leftover table rows.
            if line.count >= 4 && line.allSatisfy({ $0 == 0x2D }) { out.append(0x0A); continue }
            if let f = line.first, f == 0x7C || f == 0x21 && line.count > 1 && (line[1] == 0x20 || line[1] == 0x7C) {
                out.append(0x0A)
                continue
            }
            // List markers: * # : ;
            var start = 0
            while start < line.count, line[start] == 0x2A || line[start] == 0x23 || line[start] == 0x3A || line[start] == 0x3B {
                start += 1
            }
            if start > 0 { while start < line.count && isSpace(line[start]) { start += 1 } }
            out.append(contentsOf: removeMagicWords(Array(line[start...])))
            out.append(0x0A)
        }
        if !out.isEmpty { out.removeLast() }
        return out
    }

    static func removeMagicWords(_ b: [UInt8]) -> [UInt8] {
        guard b.count >= 4, find(b, "__", from: 0) != nil else { return b }
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            if i + 1 < b.count, b[i] == 0x5F, b[i + 1] == 0x5F {
                var j = i + 2
                while j < b.count, b[j] >= 0x41 && b[j] <= 0x5A { j += 1 }
                if j > i + 2, j + 1 < b.count, b[j] == 0x5F, b[j + 1] == 0x5F {
                    i = j + 2
                    continue
                }
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    /// Trailing spaces off, runs of blank lines down to one, no leading or trailing blank lines.
    static func tidy(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var blank = 0
        for lineSlice in b.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var s = lineSlice.startIndex
            var e = lineSlice.endIndex
            while e > s, isSpace(lineSlice[e - 1]) { e -= 1 }
            if s == e {
                blank += 1
                continue
            }
            while s < e, lineSlice[s] == 0x20 || lineSlice[s] == 0x09 { s += 1 }
            if !out.isEmpty { out.append(contentsOf: blank > 0 ? [0x0A, 0x0A] : [0x0A]) }
            out.append(contentsOf: lineSlice[s..<e])
            blank = 0
        }
        return out
    }

    // MARK: - Byte helpers

    @inline(__always) static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    static func matches(_ b: [UInt8], _ i: Int, _ s: String) -> Bool {
        let u = Array(s.utf8)
        guard i + u.count <= b.count else { return false }
        for k in 0..<u.count where b[i + k] != u[k] { return false }
        return true
    }

    static func matchesCaseless(_ b: [UInt8], _ i: Int, _ u: [UInt8]) -> Bool {
        guard i + u.count <= b.count else { return false }
        for k in 0..<u.count {
            let x = b[i + k], y = u[k]
            if x == y { continue }
            if isLetter(x) && isLetter(y) && (x | 0x20) == (y | 0x20) { continue }
            return false
        }
        return true
    }

    static func find(_ b: [UInt8], _ s: String, from: Int) -> Int? {
        let u = Array(s.utf8)
        guard let f = u.first else { return nil }
        var i = from
        while i + u.count <= b.count {
            if b[i] == f && matches(b, i, s) { return i }
            i += 1
        }
        return nil
    }

    static func findCaseless(_ b: [UInt8], _ u: [UInt8], from: Int) -> Int? {
        var i = from
        while i + u.count <= b.count {
            if b[i] == u[0] && matchesCaseless(b, i, u) { return i }
            i += 1
        }
        return nil
    }

    static func firstIndex(_ b: [UInt8], of c: UInt8, from: Int) -> Int? {
        var i = from
        while i < b.count {
            if b[i] == c { return i }
            i += 1
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingChars(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
