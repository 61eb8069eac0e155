/// Writes the chosen subtrees as plain text: one line per paragraph, heading, list item
/// (`- ` first) and table row (cells joined by ` | `); `br` breaks the line; white space is
/// collapsed except inside `pre`. Inside the content it leaves out what the cleaning rules call
/// boilerplate: link lists, short link-heavy boxes, headings that are links.
struct TextRenderer {
    let scorer: ContentScorer
    let options: HTMLExtractor.Options

    private var out: [UInt8] = []
    private var lineHasText = false
    private var pendingSpace = false
    private var pendingPrefix: [UInt8] = []
    private var preDepth = 0
    /// `out[..<protectedEnd]` ends with a table or preformatted block: not trimmed as labels.
    private var protectedEnd = 0
    /// Where the heading now being written starts in `out`.
    private var headingStart = -1
    /// The last line written is a heading spanning `out[lastHeading.start..<lastHeading.end]`.
    private var lastHeading: (start: Int, end: Int)? = nil
    /// Where each heading line written so far starts in `out` (document order).
    private var headingLineStarts: [Int] = []

    init(scorer: ContentScorer, options: HTMLExtractor.Options) {
        self.scorer = scorer
        self.options = options
    }

    /// Renders the given roots (document order) and returns the UTF-8 text, lines joined by `\n`.
    mutating func render(roots: [Int], ledes: [Int] = []) -> [UInt8] {
        for r in ledes {
            renderPlain(r)
            breakLine()
        }
        for r in roots {
            renderSubtree(r)
            breakLine()
        }
        while out.last == 0x0A { out.removeLast() }
        trimTail()
        return out
    }

    /// Drops short trailing lines without sentence punctuation ("Related stories", "Share",
    /// "Tags: …"): labels of the boxes the cleaning removed, left at the end of the content.
    private mutating func trimTail() {
        let maxLines = options.favor == .recall ? 0 : (options.favor == .precision ? 4 : 2)
        let maxLength = 60
        var removed = 0
        while removed < maxLines {
            var start = out.count
            while start > 0 && out[start - 1] != 0x0A { start -= 1 }
            guard start > 0, start >= protectedEnd else { return }  // never empty the text
            let line = out[start...]
            if line.count > maxLength || Self.endsSentence(line) { return }
            // The content's only line under its headings is its text, not a label of a removed
            // box ("Currently, there is only one module in this package:" over a dropped link list).
            if onlyHeadingsBefore(start) { return }
            out.removeSubrange((start - 1)...)
            removed += 1
        }
    }

    /// Whether every line of `out[..<end]` is a heading.
    private func onlyHeadingsBefore(_ end: Int) -> Bool {
        var start = 0
        var h = 0
        while start < end {
            while h < headingLineStarts.count && headingLineStarts[h] < start { h += 1 }
            guard h < headingLineStarts.count && headingLineStarts[h] == start else { return false }
            var next = start
            while next < end && out[next] != 0x0A { next += 1 }
            start = next + 1
        }
        return true
    }

    private static func endsSentence(_ line: ArraySlice<UInt8>) -> Bool {
        guard let last = line.last else { return false }
        switch last {
        case 0x2E, 0x21, 0x3F, 0x22, 0x29: return true  // . ! ? " )
        case 0x9D, 0xA6, 0x82: return true  // ” … 。 (last byte of common closers)
        default: return false
        }
    }

    // MARK: - Cleaning

    /// Whether an element inside the content is left out with its subtree.
    func drops(_ i: Int, root: Int) -> Bool {
        let n = scorer.index.nodes[i]
        let st = scorer.stats[i]
        if st.pruned { return true }
        if n.isText { return false }
        if st.characters == 0 { return n.tag != .br && n.tag != .hr }
        let ld = st.linkDensity
        let precision = options.favor == .precision
        let recall = options.favor == .recall
        if n.tag.isHeading { return ld > 0.5 || n.signals.weight < 0 }
        if n.tag == .p || n.tag == .li || n.tag == .dd || n.tag == .dt {
            // A short paragraph that is nothing but a link ("Read more", "Next article").
            return precision ? (ld > 0.8 && st.characters < 160) : (ld > 0.95 && st.characters < 40 && !recall)
        }
        guard i != root, n.tag.isCleanableContainer || n.tag == .other || n.tag == .span else { return false }
        let weight = n.signals.weight
        // A box holding half the content's prose is layout, whatever its class says.
        let holdsContent = st.proseCharacters * 2 >= scorer.stats[root].proseCharacters && st.proseCharacters > 0
        // (Without precision, class words only act through pruning: the looser passes that run
        // when pruning left too little must not drop the same boxes again here.)
        if weight < 0 && precision && !st.wrapper && !holdsContent { return true }
        // Nor is it link-heavy boilerplate: a layout box between the root and its prose
        // (Sphinx's `div.bodywrapper` > `div.body` over a link list, a `section` whose list of
        // links outweighs its intro) keeps the prose; the link lists inside are judged on their own.
        if holdsContent { return false }
        if st.commas >= 10 { return false }
        // Nor is a box whose own text, links aside, is mostly prose paragraphs: a section's intro
        // over lists of function links or a see-also list of URLs. Its lists are judged on their own.
        let unlinked = st.characters - st.linkCharacters
        if st.proseCharacters >= 200 && st.paragraphs >= 2 && st.proseCharacters * 2 >= unlinked
            && n.tag != .ul && n.tag != .ol && n.tag != .dl
        {
            return false
        }
        let isList = n.tag == .ul || n.tag == .ol || n.tag == .dl
            || (st.characters > 0 && Float(st.listCharacters) / Float(st.characters) > 0.9)
        let ldLimit: Float = precision ? 0.15 : (recall ? 0.33 : 0.2)
        if isList {
            // A list of links (related stories, navigation, tags) is furniture; a list of prose is content.
            return ld > (recall ? 0.7 : 0.5) && weight < 25
        }
        // Link-heavy boxes go; a box that is mostly prose may carry more links.
        let proseShare = Float(st.proseCharacters) / Float(st.characters)
        let limit = proseShare >= 0.7 ? max(ldLimit, 0.3) : ldLimit
        if weight < 25 && ld > limit && n.tag.isCleanableContainer { return true }
        if weight >= 25 && ld > 0.5 { return true }
        if precision && st.listItems > st.paragraphs && st.paragraphs < 3 && ld > 0.1 { return true }
        if n.tag.isCleanableContainer && n.tag != .table && st.characters < 25 && st.headingCharacters == 0 && !recall {
            return true
        }
        return false
    }

    // MARK: - Writing

    /// Writes a block's text whatever the pruning says (a lede found by the scorer).
    private mutating func renderPlain(_ root: Int) {
        let nodes = scorer.index.nodes
        open(nodes[root].tag)
        for i in root..<Int(nodes[root].end) where nodes[i].isText {
            if let content = nodes[i].text { text(content) }
        }
        close(nodes[root].tag)
    }

    private mutating func renderSubtree(_ root: Int) {
        let nodes = scorer.index.nodes
        if drops(root, root: root) && root != 0 { return }
        var closers: [(end: Int, tag: HTMLTag)] = []
        var i = root
        let end = Int(nodes[root].end)
        while i < end {
            while let last = closers.last, i >= last.end {
                closers.removeLast()
                close(last.tag)
            }
            let n = nodes[i]
            if n.isText {
                if let content = n.text { text(content) }
                i += 1
                continue
            }
            if i != root && drops(i, root: root) {
                // A heading whose section was dropped ("Related stories" over a link list) goes too
                // (not a long one, a subtitle, nor one over a figure).
                if let h = lastHeading, h.end == out.count, scorer.stats[i].rawCharacters > 0,
                    options.favor != .recall, h.end - h.start <= 80, n.tag != .figure
                {
                    out.removeSubrange(h.start...)
                    while let last = headingLineStarts.last, last >= h.start { headingLineStarts.removeLast() }
                    lastHeading = nil
                }
                i = Int(n.end)
                continue
            }
            open(n.tag)
            closers.append((Int(n.end), n.tag))
            i += 1
        }
        while let last = closers.popLast() { close(last.tag) }
    }

    private mutating func open(_ tag: HTMLTag) {
        switch tag {
        case .br, .hr:
            breakLine()
        case .li:
            breakLine()
            pendingPrefix = [0x2D, 0x20]  // "- "
        case .td, .th:
            if lineHasText { pendingPrefix = [0x20, 0x7C, 0x20] }  // " | "
        case .pre:
            breakLine()
            preDepth += 1
        default:
            if tag.isBlock { breakLine() }
            if tag.isHeading { headingStart = out.count }
        }
    }

    private mutating func close(_ tag: HTMLTag) {
        switch tag {
        case .td, .th, .br, .hr, .span, .a, .other:
            break
        case .pre:
            preDepth -= 1
            breakLine()
            protectedEnd = out.count
        case .table:
            breakLine()
            protectedEnd = out.count
        default:
            if tag.isHeading && headingStart >= 0 && lineHasText {
                breakLine()
                lastHeading = (headingStart, out.count)
                headingLineStarts.append(headingStart)
                headingStart = -1
            } else if tag.isBlock {
                breakLine()
            }
        }
    }

    private mutating func breakLine() {
        if lineHasText { out.append(0x0A) }
        lineHasText = false
        pendingSpace = false
        pendingPrefix.removeAll(keepingCapacity: true)
    }

    private enum Special { case none, format(Int), space(Int) }

    /// Classifies the multi-byte character at `p` (the bytes are NUL-terminated, so reading
    /// past a lead byte stops at the terminator).
    private static func special(_ p: UnsafePointer<UInt8>) -> Special {
        switch p[0] {
        case 0xC2:
            if p[1] == 0xAD { return .format(2) }  // soft hyphen
            if p[1] == 0xA0 { return .space(2) }  // no-break space
        case 0xE2:
            if p[1] == 0x80 {
                let c = p[2]
                if c >= 0x8B && c <= 0x8F { return .format(3) }  // U+200B–200F
                if c >= 0xAA && c <= 0xAE { return .format(3) }  // U+202A–202E
                if c <= 0x8A && c >= 0x80 { return .space(3) }  // U+2000–200A
                if c == 0xAF { return .space(3) }  // U+202F
            } else if p[1] == 0x81 {
                if p[2] == 0xA0 { return .format(3) }  // U+2060
                if p[2] == 0x9F { return .space(3) }  // U+205F
            }
        case 0xE3:
            if p[1] == 0x80 && p[2] == 0x80 { return .space(3) }  // U+3000
        case 0xEF:
            if p[1] == 0xBB && p[2] == 0xBF { return .format(3) }  // BOM
        default:
            break
        }
        return .none
    }

    private mutating func text(_ p: UnsafePointer<UInt8>) {
        var k = 0
        while true {
            let c = p[k]
            if c == 0 { break }
            k += 1
            if preDepth > 0 {
                if c == 0x0A {
                    if lineHasText { out.append(0x0A) }
                    lineHasText = false
                    continue
                }
                if c == 0x0D { continue }
                if c == 0x20 || c == 0x09 {
                    // Indentation is part of preformatted text.
                    out.append(c)
                    lineHasText = true
                    continue
                }
            } else if c <= 0x20 {
                if lineHasText { pendingSpace = true }
                continue
            }
            if c >= 0xC2 {
                // Invisible format characters go (soft hyphen, zero-width and direction marks,
                // BOM); Unicode spaces become spaces.
                switch Self.special(p + (k - 1)) {
                case .format(let length):
                    k += length - 1
                    continue
                case .space(let length):
                    k += length - 1
                    if lineHasText || preDepth > 0 { pendingSpace = lineHasText }
                    continue
                case .none:
                    break
                }
            }
            if !lineHasText && !pendingPrefix.isEmpty {
                out.append(contentsOf: pendingPrefix)
                pendingPrefix.removeAll(keepingCapacity: true)
            } else if !pendingPrefix.isEmpty {
                out.append(contentsOf: pendingPrefix)
                pendingPrefix.removeAll(keepingCapacity: true)
                pendingSpace = false
            }
            if pendingSpace {
                out.append(0x20)
                pendingSpace = false
            }
            // The run of ordinary bytes from here is written as it is, in one copy.
            let start = k - 1
            while Self.isOrdinary(p[k]) { k += 1 }
            out.append(contentsOf: UnsafeBufferPointer(start: p + start, count: k - start))
            lineHasText = true
        }
    }

    /// Whether a byte is written as it is wherever it stands: not white space or a control
    /// character, not NUL, and not the lead byte of a character ``special(_:)`` may change.
    @inline(__always)
    private static func isOrdinary(_ c: UInt8) -> Bool {
        c > 0x20 && c != 0xC2 && c != 0xE2 && c != 0xE3 && c != 0xEF
    }
}
