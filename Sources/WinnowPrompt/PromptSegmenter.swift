import Foundation
import WinnowText

/// One piece of a context the compressor keeps or drops whole: a word (a run of non-space
/// characters; in CJK text a single ideograph, kana or hangul syllable), or a protected span.
struct PromptUnit {
    /// Bytes of the unit in the context's clean text.
    var range: Range<Int>
    /// The white space before it (possibly empty).
    var gap: Range<Int>
    /// Never removed (marked span, code fence, JSON structure, force token, URL, number).
    var isProtected: Bool
    /// Index of its sentence in ``SegmentedContext/sentences``.
    var sentence: Int
    /// Its tokens in the request's counter (counted with a one-space gap).
    var tokens: Int = 0
}

/// A context cut into units and sentences, with its spans marked by `<keep>…</keep>` (or
/// LLMLingua's `<llmlingua, compress=False>…</llmlingua>`) unwrapped.
struct SegmentedContext {
    /// The text without the keep markers.
    var text: String
    /// Its UTF-8 bytes.
    var bytes: [UInt8]
    var units: [PromptUnit]
    /// Unit index ranges, one per sentence, in order.
    var sentences: [Range<Int>]
    /// The context is a JSON value: only words inside string values may go.
    var isJSON: Bool
}

/// What to protect, from the request.
struct ProtectionOptions {
    var forceTokens: [String] = []
    var keepNumbers = false
    var keepURLs = true
    var keepCode = true
}

/// Cuts contexts into units and sentences.
struct PromptSegmenter {
    static let markers: [(open: [UInt8], close: [UInt8])] = [
        (Array("<keep>".utf8), Array("</keep>".utf8)),
        (Array("<llmlingua, compress=False>".utf8), Array("</llmlingua>".utf8)),
    ]

    let options: ProtectionOptions
    private let sentencizer = SpacyEnglishTokenizer()

    init(options: ProtectionOptions) {
        self.options = options
    }

    /// Segments one context.
    /// - Parameter name: where the context is, for errors (`context[3]`).
    /// - Throws: ``PromptError`` for an unclosed or stray keep marker (with its byte offset).
    func segment(_ raw: String, name: String) throws -> SegmentedContext {
        var (bytes, marked) = try PromptSegmenter.unwrapMarkers(Array(raw.utf8), name: name)
        let text = String(decoding: bytes, as: UTF8.self)
        bytes = Array(text.utf8)  // unchanged unless a marker sat inside a multi-byte sequence (not possible: markers are ASCII)
        var atomic = marked
        var flagged: [Range<Int>] = []
        let isJSON = PromptSegmenter.looksLikeJSON(bytes)
        var stringSpans: [Range<Int>] = []
        if isJSON {
            stringSpans = PromptSegmenter.jsonStringValues(bytes)
            // Everything outside string values is structure.
            var last = 0
            for span in stringSpans {
                if span.lowerBound > last { atomic.append(last ..< span.lowerBound) }
                last = span.upperBound
            }
            if last < bytes.count { atomic.append(last ..< bytes.count) }
        } else if options.keepCode {
            atomic += PromptSegmenter.codeFences(bytes)
        }
        atomic = PromptSegmenter.merged(atomic.map { PromptSegmenter.wholeClusters($0, in: bytes) })
        for token in options.forceTokens where !token.isEmpty {
            flagged += PromptSegmenter.occurrences(of: Array(token.utf8), in: bytes)
        }
        if options.keepURLs { flagged += PromptSegmenter.urls(bytes) }

        var units: [PromptUnit] = []
        units.reserveCapacity(bytes.count / 5)
        var i = 0
        var gapStart = 0
        var nextAtomic = 0
        while i < bytes.count {
            if nextAtomic < atomic.count, atomic[nextAtomic].lowerBound == i {
                let r = atomic[nextAtomic]
                if !r.isEmpty { units.append(PromptUnit(range: r, gap: gapStart ..< i, isProtected: true, sentence: 0)) }
                nextAtomic += 1
                i = r.upperBound
                gapStart = i
                continue
            }
            if PromptSegmenter.isBreak(bytes, i) {
                i += PromptSegmenter.scalarLength(bytes[i])
                continue
            }
            var end = i
            let limit = nextAtomic < atomic.count ? atomic[nextAtomic].lowerBound : bytes.count
            while end < limit, !PromptSegmenter.isBreak(bytes, end) { end += PromptSegmenter.scalarLength(bytes[end]) }
            appendWords(bytes, i ..< end, gap: gapStart ..< i, to: &units)
            i = end
            gapStart = i
        }
        // Flag-protected units: any unit overlapping a force token or URL, or holding a digit.
        if !flagged.isEmpty {
            flagged.sort { $0.lowerBound < $1.lowerBound }
            var f = 0
            for k in units.indices {
                while f < flagged.count, flagged[f].upperBound <= units[k].range.lowerBound { f += 1 }
                var g = f
                while g < flagged.count, flagged[g].lowerBound < units[k].range.upperBound {
                    if flagged[g].upperBound > units[k].range.lowerBound { units[k].isProtected = true }
                    g += 1
                }
            }
        }
        if options.keepNumbers {
            for k in units.indices where !units[k].isProtected {
                if PromptSegmenter.hasDigit(bytes, units[k].range) { units[k].isProtected = true }
            }
        }
        let sentences = isJSON ? [0 ..< units.count] : sentenceRanges(bytes, units: &units)
        return SegmentedContext(text: text, bytes: bytes, units: units, sentences: units.isEmpty ? [] : sentences, isJSON: isJSON)
    }

    /// Appends the word units of one non-space run: the run whole, or, when it holds CJK
    /// characters, one unit per such character (grapheme) and one per stretch of others.
    private func appendWords(_ bytes: [UInt8], _ run: Range<Int>, gap: Range<Int>, to units: inout [PromptUnit]) {
        var hasWide = false
        var j = run.lowerBound
        while j < run.upperBound {
            if bytes[j] >= 0xE3 {
                let (v, _) = PromptSegmenter.decode(bytes, j)
                if TermAnalyzer.isSolitary(v) { hasWide = true; break }
            }
            j += PromptSegmenter.scalarLength(bytes[j])
        }
        guard hasWide else {
            units.append(PromptUnit(range: run, gap: gap, isProtected: false, sentence: 0))
            return
        }
        let piece = String(decoding: bytes[run], as: UTF8.self)
        var offset = run.lowerBound
        var stretch: Int?
        var first = true
        func emit(_ r: Range<Int>) {
            units.append(PromptUnit(range: r, gap: first ? gap : r.lowerBound ..< r.lowerBound, isProtected: false, sentence: 0))
            first = false
        }
        for character in piece {
            let length = character.utf8.count
            let wide = character.unicodeScalars.contains { TermAnalyzer.isSolitary($0.value) }
            if wide {
                if let s = stretch { emit(s ..< offset); stretch = nil }
                emit(offset ..< offset + length)
            } else if stretch == nil {
                stretch = offset
            }
            offset += length
        }
        if let s = stretch { emit(s ..< offset) }
    }

    /// Sentence starts from spaCy's sentencizer plus line breaks; assigns each unit its sentence.
    private func sentenceRanges(_ bytes: [UInt8], units: inout [PromptUnit]) -> [Range<Int>] {
        var starts: [Int] = []
        var tokens: [TokenSpan] = []
        bytes.withUnsafeBufferPointer { buffer in
            sentencizer.sentenceStarts(buffer, 0 ..< buffer.count, tokens: &tokens, into: &starts)
        }
        for (k, unit) in units.enumerated() where k > 0 && bytes[unit.gap].contains(0x0A) { starts.append(unit.range.lowerBound) }
        starts.sort()
        var result: [Range<Int>] = []
        var begin = 0
        var s = 0
        for k in units.indices {
            // A new sentence when a boundary falls after the previous unit's start, up to this one's.
            var crosses = false
            while s < starts.count, starts[s] <= units[k].range.lowerBound {
                if k > 0 && starts[s] > units[k - 1].range.lowerBound { crosses = true }
                s += 1
            }
            if crosses, k > begin {
                result.append(begin ..< k)
                begin = k
            }
            units[k].sentence = result.count
        }
        if begin < units.count { result.append(begin ..< units.count) }
        return result
    }

    // MARK: - Byte helpers

    static func scalarLength(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    static func decode(_ b: [UInt8], _ i: Int) -> (UInt32, Int) {
        let lead = b[i]
        let n = scalarLength(lead)
        guard i + n <= b.count else { return (UInt32(lead), 1) }
        switch n {
        case 1: return (UInt32(lead), 1)
        case 2: return (UInt32(lead & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F), 2)
        case 3: return (UInt32(lead & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F), 3)
        default:
            return (UInt32(lead & 0x07) << 18 | UInt32(b[i + 1] & 0x3F) << 12 | UInt32(b[i + 2] & 0x3F) << 6 | UInt32(b[i + 3] & 0x3F), 4)
        }
    }

    /// A word boundary at byte `i`: white space that does not begin a grapheme cluster with the
    /// scalars after it (a space followed by a combining mark is one cluster: U+0020 U+0301;
    /// a line break never is).
    static func isBreak(_ b: [UInt8], _ i: Int) -> Bool {
        guard isSpace(b, i) else { return false }
        // Controls (tab, line breaks, NEL, U+2028/9) end a cluster whatever follows (GB4).
        let (v, n) = decode(b, i)
        if v < 0x20 || v == 0x85 || v == 0x2028 || v == 0x2029 { return true }
        let next = i + n
        return next >= b.count || !continuesCluster(b, next)
    }

    /// Whether the scalar at byte `i` joins the cluster before it: a combining or spacing
    /// mark (Grapheme_Extend, Mc), an emoji modifier, or a zero-width joiner (UAX #29 GB9, GB9a).
    static func continuesCluster(_ b: [UInt8], _ i: Int) -> Bool {
        guard b[i] >= 0xCC else { return false }  // every such scalar is U+0300 or above
        let (v, _) = decode(b, i)
        guard let scalar = Unicode.Scalar(v) else { return false }
        let p = scalar.properties
        return p.isGraphemeExtend || p.isEmojiModifier || v == 0x200D || p.generalCategory == .spacingMark
    }

    /// The start of the scalar that ends just before byte `i`.
    static func previousScalar(_ b: [UInt8], _ i: Int) -> Int {
        var j = i - 1
        while j > 0, b[j] & 0xC0 == 0x80 { j -= 1 }
        return j
    }

    /// `r` widened to whole grapheme clusters: back over the base a leading mark belongs to,
    /// forward over the marks (and a joiner's next scalar) that follow its end.
    static func wholeClusters(_ r: Range<Int>, in b: [UInt8]) -> Range<Int> {
        var lower = r.lowerBound
        while lower > 0, lower < b.count, continuesCluster(b, lower) { lower = previousScalar(b, lower) }
        var upper = r.upperBound
        while upper < b.count {
            let lastIsJoiner = upper >= 3 && b[upper - 3] == 0xE2 && b[upper - 2] == 0x80 && b[upper - 1] == 0x8D
            guard lastIsJoiner || continuesCluster(b, upper) else { break }
            upper += scalarLength(b[upper])
        }
        return min(lower, r.lowerBound) ..< max(upper, r.upperBound)
    }

    /// Whether the bytes hold a decimal digit of any script (ASCII, Arabic-Indic, fullwidth …).
    static func hasDigit(_ b: [UInt8], _ r: Range<Int>) -> Bool {
        var i = r.lowerBound
        while i < r.upperBound {
            let c = b[i]
            if c < 0x80 {
                if c >= 0x30 && c <= 0x39 { return true }
                i += 1
                continue
            }
            let (v, n) = decode(b, i)
            if let scalar = Unicode.Scalar(v), scalar.properties.generalCategory == .decimalNumber { return true }
            i += n
        }
        return false
    }

    /// White space (Unicode `White_Space`) at byte `i`.
    static func isSpace(_ b: [UInt8], _ i: Int) -> Bool {
        let c = b[i]
        if c < 0x80 { return c == 0x20 || (c >= 0x09 && c <= 0x0D) }
        let (v, _) = decode(b, i)
        return Unicode.Scalar(v)?.properties.isWhitespace ?? false
    }

    // MARK: - Protected spans

    /// Removes keep markers; returns the clean bytes and the marked spans in them.
    static func unwrapMarkers(_ bytes: [UInt8], name: String) throws -> ([UInt8], [Range<Int>]) {
        guard bytes.contains(UInt8(ascii: "<")) else { return (bytes, []) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var spans: [Range<Int>] = []
        var i = 0
        var open: (start: Int, close: [UInt8], at: Int)?
        outer: while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<") {
                if let o = open, hasPrefix(bytes, i, o.close) {
                    spans.append(o.start ..< out.count)
                    open = nil
                    i += o.close.count
                    continue
                }
                for marker in markers {
                    if hasPrefix(bytes, i, marker.open) {
                        if let o = open { throw PromptError(name, "byte \(i): a keep marker inside the one opened at byte \(o.at)") }
                        open = (out.count, marker.close, i)
                        i += marker.open.count
                        continue outer
                    }
                    if hasPrefix(bytes, i, marker.close) {
                        throw PromptError(name, "byte \(i): \(String(decoding: marker.close, as: UTF8.self)) without an opening marker")
                    }
                }
            }
            out.append(bytes[i])
            i += 1
        }
        if let o = open { throw PromptError(name, "byte \(o.at): keep marker is not closed") }
        return (out, spans)
    }

    static func hasPrefix(_ b: [UInt8], _ i: Int, _ p: [UInt8]) -> Bool {
        guard i + p.count <= b.count else { return false }
        for k in 0 ..< p.count where b[i + k] != p[k] { return false }
        return true
    }

    static func occurrences(of needle: [UInt8], in b: [UInt8]) -> [Range<Int>] {
        guard let first = needle.first, needle.count <= b.count else { return [] }
        var out: [Range<Int>] = []
        var i = 0
        while i + needle.count <= b.count {
            if b[i] == first, hasPrefix(b, i, needle) {
                out.append(i ..< i + needle.count)
                i += needle.count
            } else {
                i += 1
            }
        }
        return out
    }

    /// Fenced code blocks, as Markdown writes them: from an opening run of three or more
    /// backticks or tildes to the end of the next run of the same character at least as long
    /// (or the text's end). A longer fence may hold shorter ones (````` ```` ````` around ```` ``` ````).
    static func codeFences(_ b: [UInt8]) -> [Range<Int>] {
        var runs: [(range: Range<Int>, char: UInt8)] = []
        var i = 0
        while i < b.count {
            let c = b[i]
            guard c == UInt8(ascii: "`") || c == UInt8(ascii: "~") else { i += 1; continue }
            var j = i
            while j < b.count, b[j] == c { j += 1 }
            if j - i >= 3 { runs.append((i ..< j, c)) }
            i = j
        }
        var out: [Range<Int>] = []
        var k = 0
        while k < runs.count {
            let open = runs[k]
            var close = k + 1
            while close < runs.count, runs[close].char != open.char || runs[close].range.count < open.range.count { close += 1 }
            if close < runs.count {
                out.append(open.range.lowerBound ..< runs[close].range.upperBound)
                k = close + 1
            } else {
                out.append(open.range.lowerBound ..< b.count)
                break
            }
        }
        return out
    }

    /// `http://`, `https://` and `www.` runs up to the next white space.
    static func urls(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for prefix in ["http://", "https://", "www."] {
            for r in occurrences(of: Array(prefix.utf8), in: b) {
                var end = r.upperBound
                while end < b.count, !isSpace(b, end) { end += scalarLength(b[end]) }
                out.append(r.lowerBound ..< min(end, b.count))
            }
        }
        return out
    }

    static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound ..< max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    // MARK: - JSON

    static func looksLikeJSON(_ b: [UInt8]) -> Bool {
        guard let first = b.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }),
            first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        else { return false }
        return (try? JSONSerialization.jsonObject(with: Data(b), options: [.fragmentsAllowed])) != nil
    }

    /// The contents (between the quotes) of the string values of a valid JSON text — not keys.
    static func jsonStringValues(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "\"") else { i += 1; continue }
            let start = i + 1
            var j = start
            while j < b.count, b[j] != UInt8(ascii: "\"") { j += b[j] == UInt8(ascii: "\\") ? 2 : 1 }
            // A key is followed by ':' (after white space).
            var k = j + 1
            while k < b.count, b[k] == 0x20 || b[k] == 0x0A || b[k] == 0x0D || b[k] == 0x09 { k += 1 }
            let isKey = k < b.count && b[k] == UInt8(ascii: ":")
            if !isKey && j > start { out.append(start ..< j) }
            i = j + 1
        }
        return out
    }
}
