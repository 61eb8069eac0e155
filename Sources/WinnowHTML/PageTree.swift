internal import CLibXML2
#if canImport(Glibc)
import Glibc
#endif

/// A parsed page as flat arrays: libxml2's HTML parser drives SAX callbacks that build it, so no
/// libxml2 tree is allocated (one `malloc` per node and attribute, then a walk and a free of each).
///
/// The tree is the one libxml2's own tree builder (`xmlSAX2StartElement`, `xmlSAX2Characters`…)
/// makes from the same events, so extraction sees the same page: elements (every element,
/// also those the extractor skips, such as `img` or `script`) and text nodes in document order
/// (pre-order), a node's subtree being `index..<end`; adjacent text merged into one node as
/// libxml2 merges it; white space that libxml2 drops under `HTML_PARSE_NOBLANKS` dropped by
/// the same rule (its `areBlanks` reads the tree, which this parse does not give it, so
/// ``blankIsIgnorable()`` finishes that test here); the same depth limit (libxml2's 256 levels
/// stop the parse). Comments, processing instructions and CDATA (inside `script`/`style` only)
/// are not stored: they hold no text for the extractor, but they end a text run as in libxml2.
///
/// Text and attribute bytes live in one buffer, NUL-terminated, which does not move once the
/// parse is done: pointers into it stay valid while the tree lives.
final class PageTree {
    /// One element or text node.
    struct Node {
        /// Parent element, -1 for a top-level element.
        var parent: Int32
        /// One past the last node of the subtree.
        var end: Int32
        /// Text: offset of its NUL-terminated bytes; element: index of its first attribute.
        var data: Int32
        /// Element: number of attributes.
        var attributeCount: Int32
        /// The element's tag (`.other` for text and unknown elements).
        var tag: HTMLTag
        /// Whether this is a text node.
        var isText: Bool
        /// Whether libxml2 keeps white space after this element (its `allowPCData` list).
        var allowsText: Bool
    }

    /// An attribute: offsets of its NUL-terminated name and value (-1: no value) in the buffer.
    struct Attribute {
        var name: Int32
        var value: Int32
    }

    /// Nodes in document order.
    let nodes: [Node]
    /// Attributes of all elements, in order.
    let attributes: [Attribute]
    /// The first top-level element (libxml2's root element), or -1.
    let root: Int32
    /// Text and attribute bytes (owned: freed with the tree).
    private let buffer: UnsafeMutablePointer<UInt8>

    private init(_ b: Builder) {
        nodes = b.nodes
        attributes = b.attributes
        root = b.root
        buffer = b.buffer
    }

    deinit {
        buffer.deallocate()
    }

    // MARK: - Reading

    /// The NUL-terminated bytes at an offset (a text node's `data`, an attribute's name or value).
    @inline(__always)
    func bytes(at offset: Int32) -> UnsafePointer<UInt8> {
        UnsafePointer(buffer + Int(offset))
    }

    /// A text node's bytes.
    @inline(__always)
    func text(_ i: Int) -> UnsafePointer<UInt8> {
        bytes(at: nodes[i].data)
    }

    /// The attributes of element `i`.
    @inline(__always)
    func attributeRange(_ i: Int) -> Range<Int> {
        let n = nodes[i]
        return Int(n.data)..<Int(n.data + n.attributeCount)
    }

    /// The value of an element's attribute (names compared case-insensitively), or nil when it
    /// is absent or has no value; the first such attribute counts.
    func attribute(_ i: Int, _ name: StaticString) -> UnsafePointer<UInt8>? {
        for a in attributeRange(i) where ElementSignals.equals(bytes(at: attributes[a].name), name) {
            let v = attributes[a].value
            return v >= 0 ? bytes(at: v) : nil
        }
        return nil
    }

    // MARK: - Parsing

    /// Parses UTF-8 bytes (set up as `htmlReadMemory(…, "UTF-8", options)` would) into a tree.
    static func parse(_ input: UnsafeRawBufferPointer, options: Int32) -> PageTree? {
        guard let base = input.baseAddress, input.count > 0 else { return nil }
        // The builder lives behind a pointer: its state is mutated by C callbacks, and a pointer's
        // pointee has no run-time exclusivity checks (a class's stored properties do).
        let builder = UnsafeMutablePointer<Builder>.allocate(capacity: 1)
        builder.initialize(to: Builder(capacity: input.count / 2))
        defer { builder.deinitialize(count: 1); builder.deallocate() }
        var sax = Self.handler
        let parsed = cxml_html_sax_parse(
            base.assumingMemoryBound(to: CChar.self), Int32(clamping: input.count), options, &sax,
            UnsafeMutableRawPointer(builder))
        builder.pointee.finish()
        let tree = PageTree(builder.pointee)  // (owns the bytes from here on)
        return parsed == 0 ? tree : nil
    }

    /// Runs libxml2's HTML tokenizer and tree construction rules with no handler at all: the floor
    /// of any extraction built on libxml2 (for benchmarks).
    static func tokenizeOnly(_ input: UnsafeRawBufferPointer, options: Int32) -> Bool {
        guard let base = input.baseAddress, input.count > 0 else { return false }
        var sax = htmlSAXHandler()
        return cxml_html_sax_parse(
            base.assumingMemoryBound(to: CChar.self), Int32(clamping: input.count), options, &sax, nil) == 0
    }

    nonisolated(unsafe) private static let handler: htmlSAXHandler = {
        var h = htmlSAXHandler()
        h.internalSubset = { ctx, _, externalID, _ in PageTree.builder(ctx)?.pointee.doctype(externalID) }
        h.startElement = { ctx, name, atts in PageTree.builder(ctx)?.pointee.startElement(name, atts) }
        h.endElement = { ctx, _ in PageTree.builder(ctx)?.pointee.endElement() }
        h.characters = { ctx, ch, len in PageTree.builder(ctx)?.pointee.characters(ch, Int(len)) }
        h.cdataBlock = { ctx, _, _ in PageTree.builder(ctx)?.pointee.otherNode(keepsBlank: false) }
        h.comment = { ctx, _ in PageTree.builder(ctx)?.pointee.comment() }
        h.processingInstruction = { ctx, target, _ in
            PageTree.builder(ctx)?.pointee.otherNode(keepsBlank: HTMLTag.lookupWithTextFlag(target).allowsText)
        }
        // (ignorableWhitespace stays nil: white space libxml2 already calls ignorable is dropped.)
        return h
    }()

    /// The builder of a parser context (its `_private`), given the context for the callbacks;
    /// nil once the parse was halted.
    @inline(__always)
    private static func builder(_ ctx: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<Builder>? {
        guard let ctx else { return nil }
        let ctxt = ctx.assumingMemoryBound(to: xmlParserCtxt.self)
        guard let p = ctxt.pointee._private else { return nil }
        let b = p.assumingMemoryBound(to: Builder.self)
        if b.pointee.halted { return nil }
        b.pointee.context = ctxt
        return b
    }
}

/// The mutable state of a parse into a ``PageTree``, driven by libxml2's SAX callbacks.
private struct Builder {
    var nodes: [PageTree.Node] = []
    var attributes: [PageTree.Attribute] = []
    var root: Int32 = -1
    var buffer: UnsafeMutablePointer<UInt8>
    var used = 0
    var capacity: Int

    /// What an open element's last child is, for merging text and for the white-space rule.
    enum Last: UInt8 {
        case none, text, keepsBlank, dropsBlank
    }

    struct Open {
        var node: Int32
        /// The last child is a text node (text appended now merges into it).
        var lastIsText = false
        /// The last child that is not a comment.
        var last = Last.none
    }

    var open: [Open] = []
    /// The document has a child (a doctype, a comment, a processing instruction or an element).
    var documentHasChild = false
    /// Its first child is the root element: content after the root is closed goes into it.
    var firstChildIsRoot = false
    var documentHasDoctype = false
    /// The doctype names HTML 4.01 or 4 strict: white space directly in `body` is dropped.
    var strictHTML4 = false
    var halted = false
    var context: UnsafeMutablePointer<xmlParserCtxt>? = nil

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        self.buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
        nodes.reserveCapacity(capacity / 48 + 16)
        attributes.reserveCapacity(capacity / 128 + 16)
        open.reserveCapacity(64)
    }

    // MARK: - Building

    mutating func append(_ p: UnsafePointer<UInt8>, _ count: Int) {
        if used + count + 1 > capacity {
            var c = capacity * 2
            while used + count + 1 > c { c *= 2 }
            let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
            b.update(from: buffer, count: used)
            buffer.deallocate()
            buffer = b
            capacity = c
        }
        (buffer + used).update(from: p, count: count)
        used += count
        buffer[used] = 0
        used += 1
    }

    mutating func appendCString(_ p: UnsafePointer<UInt8>) -> Int32 {
        let at = Int32(used)
        append(p, strlen(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self)))
        return at
    }

    mutating func doctype(_ externalID: UnsafePointer<UInt8>?) {
        // libxml2 keeps the first doctype only (an HTML document's later ones are ignored) and
        // puts it first among the document's children.
        guard !documentHasDoctype else { return }
        documentHasDoctype = true
        documentHasChild = true
        firstChildIsRoot = false
        if let id = externalID {
            strictHTML4 = Self.equalsIgnoringCase(id, "-//W3C//DTD HTML 4.01//EN")
                || Self.equalsIgnoringCase(id, "-//W3C//DTD HTML 4//EN")
        }
    }

    mutating func startElement(_ name: UnsafePointer<UInt8>?, _ atts: UnsafeMutablePointer<UnsafePointer<UInt8>?>?) {
        // libxml2's limit: a push beyond 256 open nodes halts the parser, the element not added.
        var size = 0
        if let atts {
            var k = 0
            while let n = atts[k] {
                size += Self.length(n) * 2 + 3 + (atts[k + 1].map(Self.length) ?? 0)
                k += 2
            }
        }
        if open.count > 256 || !room(for: size) {
            halt()
            return
        }
        let (tag, allowsText) = HTMLTag.lookupWithTextFlag(name)
        let index = Int32(nodes.count)
        var parent: Int32 = -1
        if let top = open.last {
            parent = top.node
        } else if !documentHasChild {
            documentHasChild = true
            firstChildIsRoot = true
            root = index
        } else if firstChildIsRoot {
            parent = root  // content after the root was closed goes into the root
        } else if root < 0 {
            root = index  // (the first element after a doctype or comment)
        }
        let first = Int32(attributes.count)
        var count: Int32 = 0
        if let atts {
            var k = 0
            while let n = atts[k] {
                let nameAt = appendCString(n)
                // (libxml2's builder gives a boolean attribute without a value its name as value.)
                let valueAt = atts[k + 1].map { appendCString($0) } ?? (htmlIsBooleanAttr(n) != 0 ? appendCString(n) : -1)
                attributes.append(PageTree.Attribute(name: nameAt, value: valueAt))
                count += 1
                k += 2
            }
        }
        nodes.append(PageTree.Node(
            parent: parent, end: index + 1, data: first, attributeCount: count, tag: tag, isText: false,
            allowsText: allowsText))
        if !open.isEmpty {
            open[open.count - 1].lastIsText = false
            open[open.count - 1].last = allowsText ? .keepsBlank : .dropsBlank
        }
        open.append(Open(node: index))
    }

    mutating func endElement() {
        guard let closed = open.popLast() else { return }
        nodes[Int(closed.node)].end = Int32(nodes.count)
        var p = nodes[Int(closed.node)].parent
        if open.isEmpty {
            // An element added to the closed root: the root's subtree grows.
            while p >= 0 {
                nodes[Int(p)].end = Int32(nodes.count)
                p = nodes[Int(p)].parent
            }
        }
    }

    mutating func characters(_ ch: UnsafePointer<UInt8>?, _ len: Int) {
        guard let ch, len > 0, !open.isEmpty else { return }
        guard room(for: len) else {
            halt()
            return
        }
        if blankIsIgnorable(ch, len) { return }
        let top = open.count - 1
        if open[top].lastIsText {
            used -= 1  // the text node's bytes end the buffer: extend them
            append(ch, len)
            return
        }
        let at = Int32(used)
        append(ch, len)
        nodes.append(PageTree.Node(
            parent: open[top].node, end: Int32(nodes.count + 1), data: at, attributeCount: 0, tag: .other,
            isText: true, allowsText: false))
        open[top].lastIsText = true
        open[top].last = .text
    }

    /// The part of libxml2's `areBlanks` that reads the tree (it returns "not blank" when there
    /// is none, as here): white space before a tag is dropped unless the last child is text or
    /// an element that keeps white space after it (`b`, `span`, `p`…), or, with no child yet,
    /// the element itself keeps white space (`<b> x</b>`); directly in `body` under an
    /// HTML 4 strict doctype it is always dropped.
    func blankIsIgnorable(_ ch: UnsafePointer<UInt8>, _ len: Int) -> Bool {
        for k in 0..<len {
            let c = ch[k]
            if c != 0x20 && c != 0x09 && c != 0x0A && c != 0x0D { return false }
        }
        guard let ctxt = context, let input = ctxt.pointee.input, let cur = input.pointee.cur, cur[0] == 0x3C else {
            return false
        }
        // Only libxml2's character-data path asks `areBlanks`; a character reference (`&#32;`)
        // is passed on as it is. That path's text ends just before the tag: the byte before it is
        // the last blank (or a NUL, which libxml2 reads as a space), never a reference's `;`.
        if let base = input.pointee.base, cur > base {
            let before = cur[-1]
            if before != 0x20 && before != 0x09 && before != 0x0A && before != 0x0D && before != 0 { return false }
        }
        if strictHTML4, let name = ctxt.pointee.name, Self.equalsIgnoringCase(name, "body", exact: true) { return true }
        let top = open[open.count - 1]
        switch top.last {
        case .none: return !nodes[Int(top.node)].allowsText
        case .text, .keepsBlank: return false
        case .dropsBlank: return true
        }
    }

    mutating func comment() {
        guard !open.isEmpty else { return topLevelNonElement() }
        open[open.count - 1].lastIsText = false
    }

    /// A comment, processing instruction or CDATA block outside every element: when it is the
    /// document's first child, the root element is not.
    private mutating func topLevelNonElement() {
        if !documentHasChild {
            documentHasChild = true
            firstChildIsRoot = false
        }
    }

    /// A processing instruction or CDATA block: not stored, but a child that ends a text run.
    mutating func otherNode(keepsBlank: Bool) {
        guard !open.isEmpty else { return topLevelNonElement() }
        open[open.count - 1].lastIsText = false
        open[open.count - 1].last = keepsBlank ? .keepsBlank : .dropsBlank
    }

    /// Whether `count` more bytes keep every offset within `Int32` (a page of text and attributes
    /// over 2 GB is cut there).
    func room(for count: Int) -> Bool {
        used + count + 1 < Int(Int32.max) && nodes.count < Int(Int32.max) - 1
    }

    static func length(_ p: UnsafePointer<UInt8>) -> Int {
        strlen(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
    }

    /// Stops the parse here, as libxml2 does at its depth limit.
    mutating func halt() {
        halted = true
        if let c = context { xmlStopParser(c) }
    }

    /// Closes what the parse left open.
    mutating func finish() {
        let count = Int32(nodes.count)
        for o in open { nodes[Int(o.node)].end = count }
        if root >= 0 && !open.isEmpty { nodes[Int(root)].end = max(nodes[Int(root)].end, count) }
        open.removeAll()
        context = nil
    }

    private static func equalsIgnoringCase(_ p: UnsafePointer<UInt8>, _ s: StaticString, exact: Bool = false) -> Bool {
        let w = s.utf8Start
        for k in 0..<s.utf8CodeUnitCount {
            let c = p[k]
            if c == 0 { return false }
            if exact ? c != w[k] : (c | 0x20) != (w[k] | 0x20) { return false }
        }
        return p[s.utf8CodeUnitCount] == 0
    }
}
