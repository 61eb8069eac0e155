/// How hard a pass prunes page furniture before it scores.
enum PruneLevel: Int, Comparable {
    /// Prune nothing beyond the skipped elements.
    case none = 0
    /// Prune furniture tags and roles: `nav`, `aside`, `footer`, `menu`, `role="navigation"`…
    case furniture = 1
    /// Also prune elements whose class/id names boilerplate, hidden elements, `figure`, `noscript`.
    case boilerplate = 2

    static func < (a: PruneLevel, b: PruneLevel) -> Bool { a.rawValue < b.rawValue }
}

/// Scores the page's blocks and chooses the main-content subtrees, for one pruning level.
///
/// The scoring follows the readability family: every paragraph-like block with at least 25
/// characters scores `1 + commas + min(characters / 100, 3)` and hands it to its ancestors
/// (parent fully, grandparent half, further up a third per level); a candidate starts from a
/// tag prior and its class/id weight, and its final score is discounted by its link density.
/// The best candidate is then widened to an ancestor that several strong candidates share, and
/// its siblings that score well (or read like prose) join it.
struct ContentScorer {
    let index: PageIndex
    let level: PruneLevel
    let options: HTMLExtractor.Options
    /// Per-node sums for this level.
    private(set) var stats: [SubtreeStats]

    init(index: PageIndex, level: PruneLevel, options: HTMLExtractor.Options) {
        self.index = index
        self.level = level
        self.options = options
        self.stats = [SubtreeStats](repeating: SubtreeStats(), count: index.nodes.count)
        computeStats()
        scoreParagraphs()
        sumProse()
    }

    // MARK: - Pruning and sums

    /// Whether an element is pruned by itself at this level (not counting its ancestors).
    private func prunesItself(_ n: PageNode, wrapper: Bool, holdsMainContent: Bool) -> Bool {
        if n.isText || n.parent < 0 { return false }
        if level >= .furniture && (n.tag.isFurniture || n.signals.furnitureRole) && !n.signals.declaredContent
            && !holdsMainContent
        {
            return true
        }
        guard level >= .boilerplate else { return false }
        if n.signals.declaredContent { return false }
        if n.signals.hidden && !wrapper { return true }
        if n.signals.negative && !n.signals.positive && !wrapper { return true }
        if n.tag == .figure || n.tag == .figcaption || n.tag == .noscript { return !wrapper }
        if options.favor == .precision && (n.tag == .form || n.tag == .address) && !wrapper { return true }
        return false
    }

    private mutating func computeStats() {
        let nodes = index.nodes
        let count = nodes.count
        guard count > 0 else { return }
        // 1. Unpruned character sums, to tell layout wrappers from boilerplate blocks.
        // `content[i]`: the most text held by one content-named element in the subtree.
        var raw = [Int32](repeating: 0, count: count)
        var content = [Int32](repeating: 0, count: count)
        for i in stride(from: count - 1, through: 0, by: -1) {
            if nodes[i].isText { raw[i] = nodes[i].ownCharacters }
            let p = Int(nodes[i].parent)
            if p >= 0 { raw[p] += raw[i] }
        }
        // (Elements holding 90 % of the page are wrappers: their content name says nothing.)
        for i in stride(from: count - 1, through: 0, by: -1) {
            let s = nodes[i].signals
            if (s.strongPositive || s.declaredContent) && Int64(raw[i]) * 10 < Int64(raw[0]) * 9 { content[i] = raw[i] }
            let p = Int(nodes[i].parent)
            if p >= 0 { content[p] = max(content[p], content[i]) }
        }
        // 2. Pruning, top-down. A box holding most of the page is layout (`has-sidebar`,
        // `with-comments`), not boilerplate; so is one holding the page's main content-named
        // element, or one with a content-named element holding 40 % of its text.
        for i in 0..<count {
            let p = Int(nodes[i].parent)
            let holdsMainContent = content[0] >= 100 && content[i] >= content[0]
            let wrapper = Int64(raw[i]) * 10 >= Int64(raw[0]) * 6 || holdsMainContent
                || (content[i] >= 200 && Int64(content[i]) * 10 >= Int64(raw[i]) * 4)
            stats[i].wrapper = wrapper
            stats[i].rawCharacters = raw[i]
            stats[i].pruned = (p >= 0 && stats[p].pruned) || prunesItself(nodes[i], wrapper: wrapper, holdsMainContent: holdsMainContent)
        }
        // 3. Sums over what is left, bottom-up.
        for i in stride(from: count - 1, through: 0, by: -1) {
            if stats[i].pruned { continue }
            let n = nodes[i]
            if n.isText {
                stats[i].characters = n.ownCharacters
                stats[i].commas = n.ownCommas
            } else {
                switch n.tag {
                case .a: stats[i].linkCharacters = stats[i].characters
                case .p: if stats[i].characters > 0 { stats[i].paragraphs += 1 }
                case .li:
                    stats[i].listItems += 1
                    stats[i].listCharacters = stats[i].characters
                case .dt, .dd:
                    // (A definition list is a list: a see-also box of links with a line on each.)
                    stats[i].listCharacters = stats[i].characters
                default:
                    if n.tag.isHeading { stats[i].headingCharacters = stats[i].characters }
                }
            }
            let p = Int(n.parent)
            if p >= 0 {
                stats[p].characters += stats[i].characters
                stats[p].linkCharacters += stats[i].linkCharacters
                stats[p].commas += stats[i].commas
                stats[p].paragraphs += stats[i].paragraphs
                stats[p].listItems += stats[i].listItems
                stats[p].headingCharacters += stats[i].headingCharacters
                stats[p].listCharacters += stats[i].listCharacters
                if n.isText || !n.tag.isBlock {
                    stats[p].looseCharacters += stats[i].characters
                    stats[p].looseCommas += stats[i].commas
                }
            }
        }
    }

    // MARK: - Scores

    /// The starting score of a candidate: a tag prior plus the class/id weight.
    private func prior(_ n: PageNode) -> Float {
        var s: Float
        switch n.tag {
        case .div, .article, .main: s = 5
        case .pre, .td, .blockquote: s = 3
        case .address, .ol, .ul, .dl, .dd, .dt, .li, .form: s = -3
        case .h1, .h2, .h3, .h4, .h5, .h6, .th: s = -5
        default: s = 0
        }
        return s + Float(n.signals.weight)
    }

    private mutating func scoreParagraphs() {
        let nodes = index.nodes
        for i in 0..<nodes.count {
            let n = nodes[i]
            guard !n.isText, !stats[i].pruned else { continue }
            let chars: Int32, commas: Int32
            var a: Int
            var level: Int
            if (n.tag.isParagraphCandidate && (n.tag == .p || n.tag == .pre || n.blockChildren == 0))
                || (n.tag.isHeading && n.blockChildren == 0 && stats[i].characters >= 80)
            {
                // (A heading as long as a paragraph is one: prose set in `h3`/`h4`.)
                // A paragraph: scores its parent and further ancestors.
                chars = stats[i].characters
                commas = stats[i].commas
                a = Int(n.parent)
                level = 0
            } else if n.blockChildren > 0 && stats[i].looseCharacters >= 25 && !n.tag.isHeading && n.tag != .li
                && n.tag != .ul && n.tag != .ol && n.tag != .table && n.tag != .tr
            {
                // Loose text between block children (text after `<br>`s, no `<p>`): a paragraph of
                // this element's own, so it scores the element itself first.
                chars = stats[i].looseCharacters
                commas = stats[i].looseCommas
                a = i
                level = 0
            } else {
                continue
            }
            if chars < 25 { continue }
            if a != i && stats[i].linkDensity < 0.5 { stats[i].proseCharacters = chars }
            if a == i { stats[i].proseCharacters += chars }
            let s = 1 + Float(commas) + Float(min(chars / 100, 3))
            while a >= 0 && level < 5 {
                if !stats[a].scored {
                    stats[a].scored = true
                    stats[a].score = prior(nodes[a])
                }
                let divider: Float = level == 0 ? 1 : (level == 1 ? 2 : Float(level * 3))
                stats[a].score += s / divider
                a = Int(nodes[a].parent)
                level += 1
            }
        }
    }

    /// Sums prose characters up the tree (after ``scoreParagraphs()``).
    private mutating func sumProse() {
        let nodes = index.nodes
        for i in stride(from: nodes.count - 1, through: 1, by: -1) where !stats[i].pruned {
            let p = Int(nodes[i].parent)
            if p >= 0 { stats[p].proseCharacters += stats[i].proseCharacters }
        }
    }

    /// A candidate's score after the link-density discount.
    func finalScore(_ i: Int) -> Float {
        stats[i].score * (1 - stats[i].linkDensity)
    }

    // MARK: - Choosing the content

    /// The element children of a node, in order.
    func elementChildren(of i: Int) -> [Int] {
        var out: [Int] = []
        var j = i + 1
        let end = Int(index.nodes[i].end)
        while j < end {
            if !index.nodes[j].isText { out.append(j) }
            j = Int(index.nodes[j].end)
        }
        return out
    }

    private func isAncestor(_ a: Int, of i: Int) -> Bool {
        a <= i && i < Int(index.nodes[a].end)
    }

    /// The element the page declares as its main region (`role="main"`, `role="article"`,
    /// `itemprop="articleBody"`) holding the most text at this level, or 0 (the body) when none
    /// holds any.
    func declaredRegion() -> Int {
        var best = 0
        var most: Int32 = 0
        for i in 1..<max(index.nodes.count, 1) where index.nodes[i].signals.declaredContent && !stats[i].pruned {
            if stats[i].characters > most {
                most = stats[i].characters
                best = i
            }
        }
        return best
    }

    /// The roots of the main content, in document order; empty when the page has no text.
    func chooseContent() -> [Int] {
        let nodes = index.nodes
        guard !nodes.isEmpty, stats[0].characters > 0 else { return [] }
        // Top five candidates by final score (ties: document order).
        var top: [(index: Int, score: Float)] = []
        for i in 0..<nodes.count where stats[i].scored && !stats[i].pruned {
            let s = finalScore(i)
            if top.count < 5 || s > top[top.count - 1].score {
                var k = top.count
                while k > 0 && top[k - 1].score < s { k -= 1 }
                top.insert((i, s), at: k)
                if top.count > 5 { top.removeLast() }
            }
        }
        guard var best = top.first?.index else { return [0] }
        let bestScore = top[0].score

        // Several strong candidates under one ancestor: the content is that ancestor.
        let strong = top.dropFirst().filter { $0.score / max(bestScore, 0.001) >= 0.75 }.map(\.index)
        if strong.count >= 3 {
            var a = Int(nodes[best].parent)
            while a > 0 {
                let shared = strong.filter { isAncestor(a, of: $0) }.count
                if shared >= 3 {
                    best = a
                    break
                }
                a = Int(nodes[a].parent)
            }
        }
        // A parent scoring higher than the candidate (bonus from other children) takes its place.
        var parent = Int(nodes[best].parent)
        var lastScore = stats[best].score
        let threshold = lastScore / 3
        while parent > 0 {
            if !stats[parent].scored {
                parent = Int(nodes[parent].parent)
                continue
            }
            let ps = stats[parent].score
            if ps < threshold { break }
            if ps > lastScore {
                best = parent
                break
            }
            lastScore = ps
            parent = Int(nodes[parent].parent)
        }
        // Content split over several blocks (rich-text components, fields, sections): widen to
        // an ancestor that adds a good share of prose while staying mostly prose itself.
        let gain: Float = options.favor == .recall ? 1.1 : (options.favor == .precision ? 1.5 : 1.25)
        var up = Int(nodes[best].parent)
        while up > 0 {
            let us = stats[up]
            let proseShare = Float(us.proseCharacters) / Float(max(us.characters, 1))
            if proseShare < 0.4 || us.linkDensity >= 0.3 { break }
            if Float(us.proseCharacters) >= Float(stats[best].proseCharacters) * gain { best = up }
            up = Int(nodes[up].parent)
        }
        // An only child stands for its parent.
        parent = Int(nodes[best].parent)
        while parent > 0 && elementChildren(of: parent).count == 1 {
            best = parent
            parent = Int(nodes[best].parent)
        }
        guard parent >= 0 else { return [best] }

        // Siblings that score well or read like prose join the content.
        let bestFinal = finalScore(best)
        let factor: Float = options.favor == .recall ? 0.1 : (options.favor == .precision ? 0.3 : 0.2)
        let siblingThreshold = max(10, bestFinal * factor)
        var roots: [Int] = []
        for s in elementChildren(of: parent) {
            if s == best {
                roots.append(s)
                continue
            }
            if stats[s].pruned || stats[s].characters == 0 { continue }
            var bonus: Float = 0
            if let a = nodes[best].signals.classValue, let b = nodes[s].signals.classValue, Self.sameString(a, b) {
                bonus = bestFinal * 0.2
            }
            if stats[s].scored && finalScore(s) + bonus >= siblingThreshold {
                roots.append(s)
                continue
            }
            if nodes[s].tag == .p || (nodes[s].tag.isParagraphCandidate && nodes[s].blockChildren == 0) {
                let chars = stats[s].characters
                let ld = stats[s].linkDensity
                if chars > 80 && ld < 0.25 {
                    roots.append(s)
                } else if chars > 0 && chars <= 80 && ld == 0 && endsSentence(s) && options.favor != .precision {
                    roots.append(s)
                }
            }
        }
        return roots
    }

    /// Lede and standfirst paragraphs just before the content: prose blocks that sit in the
    /// content's close surroundings (an ancestor not much larger than the content) and come before
    /// its first root — often in a `header`/`intro` box that pruning or the sibling rule left out.
    /// A block qualifies when it is a paragraph (`p`, or a leaf `div`) of at least 50 characters,
    /// has (almost) no links, reads as a sentence and lies in no `nav`/`aside`/`footer`/`form`, no
    /// hidden element, no list or table, and no box named boilerplate by more than its layout
    /// slot (`article-header` may hold a lede, `author-box` or `credit` may not).
    func ledeBlocks(before roots: [Int]) -> [Int] {
        guard options.favor != .precision, let first = roots.first, first > 0 else { return [] }
        let nodes = index.nodes
        let content = roots.reduce(0) { $0 + Int(stats[$1].characters) }
        // The close surroundings: up to five levels up, while what the ancestor keeps after
        // pruning is not much more than the content.
        var scope = first
        var a = Int(nodes[first].parent)
        var levels = 0
        while a > 0 && levels < 5 {
            if Int(stats[a].characters) * 2 > content * 3 + 1000 { break }
            scope = a
            a = Int(nodes[a].parent)
            levels += 1
        }
        guard scope != first else { return [] }
        var out: [Int] = []
        var i = scope + 1
        while i < first {
            let n = nodes[i]
            if n.isText || isAncestor(i, of: first) {
                i += 1
                continue
            }
            if n.tag.isHeading && n.tag != .h1 && !n.signals.hardNegative && stats[i].rawCharacters >= 60
                && rawLinkCharacters(i) == 0
            {
                // A subtitle: a heading as long as a sentence under the title.
                out.append(i)
                i = Int(n.end)
                continue
            }
            if n.tag.isFurniture || n.tag == .form || n.tag == .ul || n.tag == .ol || n.tag == .dl || n.tag == .table
                || n.tag == .figure || n.tag == .figcaption || n.tag.isHeading || n.tag == .a || n.signals.hidden
                || n.signals.furnitureRole
            {
                i = Int(n.end)
                continue
            }
            if n.signals.hardNegative {
                i = Int(n.end)
                continue
            }
            let paragraph = n.tag == .p || (n.tag.isParagraphCandidate && n.blockChildren == 0)
            if paragraph {
                if stats[i].rawCharacters >= 50 && rawLinkCharacters(i) * 10 < Int(stats[i].rawCharacters)
                    && endsSentence(i) && !besideImage(i)
                {
                    out.append(i)
                }
                i = Int(n.end)
                continue
            }
            i += 1
        }
        return out
    }

    /// Whether a block shares its parent with an image and no heading (a caption, not a lede).
    private func besideImage(_ i: Int) -> Bool {
        let p = Int(index.nodes[i].parent)
        guard p >= 0 else { return false }
        // (All the parent's element children, also those the index leaves out, such as `img`.)
        let tree = index.tree.nodes
        let source = Int(index.nodes[p].source)
        var c = source + 1
        let end = Int(tree[source].end)
        var image = false
        while c < end {
            let node = tree[c]
            if !node.isText {
                let t = node.tag
                if t == .img || t == .picture || t == .figure || t == .video { image = true }
                if t.isHeading || t == .hgroup { return false }  // a header: title, picture, lede
            }
            c = Int(node.end)
        }
        return image
    }

    /// Characters inside links in a subtree, before pruning.
    private func rawLinkCharacters(_ i: Int) -> Int {
        var total = 0
        var j = i
        let end = Int(index.nodes[i].end)
        while j < end {
            let n = index.nodes[j]
            if !n.isText && n.tag == .a {
                total += Int(stats[j].rawCharacters)
                j = Int(n.end)
                continue
            }
            j += 1
        }
        return total
    }

    /// Whether a block's text holds a sentence end (". ") — short prose, not a label.
    private func endsSentence(_ i: Int) -> Bool {
        var j = i
        let end = Int(index.nodes[i].end)
        while j < end {
            let n = index.nodes[j]
            if n.isText, let c = n.text {
                var k = 0
                while c[k] != 0 {
                    if (c[k] == 0x2E || c[k] == 0x21 || c[k] == 0x3F) && (c[k + 1] == 0x20 || c[k + 1] == 0) {
                        return true
                    }
                    k += 1
                }
            }
            j += 1
        }
        return false
    }

    private static func sameString(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>) -> Bool {
        if a[0] == 0 { return false }
        var k = 0
        while a[k] == b[k] {
            if a[k] == 0 { return true }
            k += 1
        }
        return false
    }
}
