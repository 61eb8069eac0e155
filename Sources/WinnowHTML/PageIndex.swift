/// One element or text node of the page body, flattened in document order (pre-order).
///
/// A node's subtree is the index range `index..<end`, so sums over subtrees are one backward
/// pass and skipping a subtree is `i = end`. Text pointers point into the ``PageTree``, which
/// outlives the index.
struct PageNode {
    /// The node's index in the ``PageTree``.
    var source: Int32
    /// Index of the parent element, -1 for the root.
    var parent: Int32
    /// One past the last descendant.
    var end: Int32
    /// The element's tag (`.other` for text nodes).
    var tag: HTMLTag
    /// Whether this is a text node.
    var isText: Bool
    /// Attribute signals (elements only).
    var signals: ElementSignals
    /// Text nodes: the NUL-terminated text.
    var text: UnsafePointer<UInt8>? = nil
    /// Block children that are elements (not `br`/`hr`).
    var blockChildren: Int32 = 0
    /// Text nodes: characters that are not white space; elements: filled per pass.
    var ownCharacters: Int32 = 0
    /// Text nodes: commas (`,` `，` `、`).
    var ownCommas: Int32 = 0
}

/// Per-pass sums over each node's subtree, computed for one pruning level.
struct SubtreeStats {
    /// Whether the node or an ancestor is pruned at this level.
    var pruned = false
    /// Whether the node holds most of the page or its main content-named element (never boilerplate).
    var wrapper = false
    /// Non-white-space characters of text.
    var characters: Int32 = 0
    /// The same before pruning.
    var rawCharacters: Int32 = 0
    /// Characters inside links.
    var linkCharacters: Int32 = 0
    /// Commas.
    var commas: Int32 = 0
    /// `p` elements with text.
    var paragraphs: Int32 = 0
    /// `li` elements.
    var listItems: Int32 = 0
    /// Characters inside headings.
    var headingCharacters: Int32 = 0
    /// Characters inside `li`, `dt` and `dd` elements.
    var listCharacters: Int32 = 0
    /// Characters of text directly inside (text children and inline children such as links).
    var looseCharacters: Int32 = 0
    /// Commas in that text.
    var looseCommas: Int32 = 0
    /// Characters in prose paragraphs (≥ 25 characters, mostly not links) in the subtree.
    var proseCharacters: Int32 = 0
    /// Content score (readability-style), valid when `scored`.
    var score: Float = 0
    /// Whether a paragraph below gave this node a score.
    var scored = false

    /// Share of the text that sits inside links, 0…1.
    var linkDensity: Float {
        characters > 0 ? Float(linkCharacters) / Float(characters) : 0
    }
}

/// The flattened body of a parsed page.
struct PageIndex {
    /// The parsed page.
    let tree: PageTree
    /// Nodes in document order; index 0 is the root (usually `body`).
    var nodes: [PageNode] = []

    /// Flattens the subtree under the tree's node `root`. Skipped elements (`script`, `style`,
    /// forms controls, media…) are left out with their subtrees.
    init(tree: PageTree, root: Int) {
        self.tree = tree
        let source = tree.nodes
        nodes.reserveCapacity(source.count)
        var scratch: [UInt8] = []
        scratch.reserveCapacity(2 * ElementSignals.scanLimit + 2)
        var cache = ClassCache()
        var open: [(end: Int32, index: Int32)] = []  // open elements: their tree end and index here

        nodes.append(PageNode(
            source: Int32(root), parent: -1, end: 0, tag: source[root].tag, isText: false,
            signals: ElementSignals(tree: tree, element: root, scratch: &scratch, cache: &cache)))
        open.append((source[root].end, 0))
        var i = root + 1
        while !open.isEmpty {
            // Close the elements whose subtree ends here.
            while let last = open.last, Int32(i) >= last.end {
                nodes[Int(last.index)].end = Int32(nodes.count)
                open.removeLast()
            }
            guard let parent = open.last?.index else { break }
            let node = source[i]
            if node.isText {
                let text = tree.text(i)
                let (chars, commas) = Self.measure(text)
                nodes.append(PageNode(
                    source: Int32(i), parent: parent, end: Int32(nodes.count + 1), tag: .other, isText: true,
                    signals: ElementSignals(), text: text, ownCharacters: chars, ownCommas: commas))
                i += 1
                continue
            }
            let tag = node.tag
            if tag.isSkipped {
                i = Int(node.end)
                continue
            }
            let index = Int32(nodes.count)
            nodes.append(PageNode(
                source: Int32(i), parent: parent, end: index + 1, tag: tag, isText: false,
                signals: ElementSignals(tree: tree, element: i, scratch: &scratch, cache: &cache)))
            if tag.isBlock && tag != .br && tag != .hr { nodes[Int(parent)].blockChildren += 1 }
            open.append((node.end, index))
            i += 1
        }
    }

    /// Counts non-white-space characters (UTF-8 lead bytes) and commas in a NUL-terminated text.
    static func measure(_ p: UnsafePointer<UInt8>) -> (Int32, Int32) {
        var chars: Int32 = 0
        var commas: Int32 = 0
        var i = 0
        while true {
            let c = p[i]
            if c == 0 { break }
            i += 1
            if c <= 0x20 { continue }
            if c & 0xC0 == 0x80 { continue }
            chars += 1
            if c == 0x2C {
                commas += 1
            } else if c == 0xEF && p[i] == 0xBC && p[i + 1] == 0x8C {  // ，
                commas += 1
            } else if c == 0xE3 && p[i] == 0x80 && p[i + 1] == 0x81 {  // 、
                commas += 1
            } else if c == 0xC2 && p[i] == 0xA0 {  // no-break space: not a character
                chars -= 1
            }
        }
        return (chars, commas)
    }
}
