/// What an element's attributes say about it: boilerplate or content by `class`/`id`/`role`,
/// `itemprop="articleBody"`, hidden by `hidden` or an inline `display:none`.
///
/// Only the first ``scanLimit`` bytes of each attribute are read, so a 10 MB attribute costs
/// no more than a short one.
struct ElementSignals {
    /// Class or id names a boilerplate word (comment, share, sidebar, nav, cookie…); not set by an
    /// id that is the slug of the element's own heading (``isHeadingAnchor(_:)``).
    var negative = false
    /// A boilerplate name that is not only a layout slot (`header`, `top`, `teaser`): `author-box`, `credit`.
    var hardNegative = false
    /// Class or id names a content word (article, content, entry, post, story, body…).
    var positive = false
    /// A class or id name has a content word and no boilerplate word at all (`entry-content`).
    var strongPositive = false
    /// `itemprop="articleBody"` or `role="main"`/`"article"`: the page says this is the content.
    var declaredContent = false
    /// `role` names page furniture (navigation, banner, contentinfo, complementary, search…).
    var furnitureRole = false
    /// `hidden`, `aria-hidden="true"` on a block, or an inline style hiding it.
    var hidden = false
    /// The `class` attribute's bytes (NUL-terminated, owned by the ``PageTree``), for comparing siblings.
    var classValue: UnsafePointer<UInt8>? = nil

    /// The readability-style class weight: +25 content, −25 boilerplate, both cancel.
    var weight: Int {
        (positive || declaredContent ? 25 : 0) - (negative ? 25 : 0) + (declaredContent ? 25 : 0)
    }

    /// No signals (text nodes).
    init() {}

    /// Bytes read per attribute value.
    static let scanLimit = 256

    /// Reads the attributes of one element of a parsed page.
    ///
    /// The class list and the id are classified each on its own (a name's verdict never
    /// depends on the other names), and each distinct value once per page: pages repeat the same
    /// class lists many times.
    init(tree: PageTree, element: Int, scratch: inout [UInt8], cache: inout ClassCache) {
        var classBits: UInt8 = 0
        var idBits: UInt8 = 0
        var idValue: UnsafePointer<UInt8>? = nil
        for a in tree.attributeRange(element) {
            let attribute = tree.attributes[a]
            let name = tree.bytes(at: attribute.name)
            guard attribute.value >= 0 else {
                if Self.equals(name, "hidden") { hidden = true }
                continue
            }
            let value = tree.bytes(at: attribute.value)
            if Self.equals(name, "class") {
                classValue = value
                classBits |= Self.classBits(value, scratch: &scratch, cache: &cache)
            } else if Self.equals(name, "id") {
                idValue = value
                idBits |= Self.classBits(value, scratch: &scratch, cache: &cache)
            } else if Self.equals(name, "role") {
                var role: [UInt8] = []
                Self.appendLowercased(value, to: &role)
                if Self.roleIsFurniture(role) { furnitureRole = true }
                if role.starts(with: Array("main".utf8)) || role.starts(with: Array("article".utf8)) {
                    declaredContent = true
                }
            } else if Self.equals(name, "itemprop") {
                var prop: [UInt8] = []
                Self.appendLowercased(value, to: &prop)
                if Self.contains(prop, "articlebody") { declaredContent = true }
            } else if Self.equals(name, "hidden") {
                hidden = true
            } else if Self.equals(name, "style") && Self.mayHide(value) {
                var style: [UInt8] = []
                Self.appendLowercased(value, to: &style, dropSpaces: true)
                if Self.contains(style, "display:none") || Self.contains(style, "visibility:hidden") { hidden = true }
            }
        }
        let bits = classBits | idBits
        negative = bits & 1 != 0
        positive = bits & 2 != 0
        strongPositive = bits & 4 != 0
        hardNegative = bits & 8 != 0
        // (A boilerplate class keeps the element boilerplate whatever its id says.)
        if negative && classBits & 1 == 0, let idValue, Self.isHeadingAnchor(tree: tree, element: element, id: idValue) {
            negative = false
            hardNegative = false
        }
    }

    /// The classification bits of one class or id value (1 negative, 2 positive, 4 strong
    /// positive, 8 hard negative), cached per page by an FNV-1a hash of its first
    /// ``scanLimit`` bytes, lower-cased.
    private static func classBits(_ value: UnsafePointer<UInt8>, scratch: inout [UInt8], cache: inout ClassCache)
        -> UInt8
    {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var k = 0
        while k < scanLimit {
            let c = value[k]
            if c == 0 { break }
            hash = (hash ^ UInt64((c >= 0x41 && c <= 0x5A) ? c | 0x20 : c)) &* 0x0000_0100_0000_01B3
            k += 1
        }
        if let bits = cache[hash] { return bits }
        scratch.removeAll(keepingCapacity: true)
        appendLowercased(value, to: &scratch)
        var s = ElementSignals()
        s.classify(scratch)
        let bits: UInt8 = (s.negative ? 1 : 0) | (s.positive ? 2 : 0) | (s.strongPositive ? 4 : 0) | (s.hardNegative ? 8 : 0)
        cache[hash] = bits
        return bits
    }

    // MARK: - Heading anchors

    /// Whether an element's boilerplate name comes only from an id that is the slug of its own
    /// heading: `<section id="operating-system-interface"><h2>10.1. Operating System
    /// Interface</h2>` (Sphinx, docutils, asciidoctor and many Markdown tools name sections after
    /// their titles, so such an id says what the section is about, not what it is for). Only ids
    /// of three or more words count, so `comments` or `related-posts` over a "Related posts"
    /// heading stay boilerplate. (The caller checks that its class names no boilerplate.)
    static func isHeadingAnchor(tree: PageTree, element: Int, id value: UnsafePointer<UInt8>) -> Bool {
        var idKey: [UInt8] = []
        var words = 0
        var k = 0
        var inWord = false
        while k < scanLimit && value[k] != 0 {
            let c = (value[k] >= 0x41 && value[k] <= 0x5A) ? value[k] | 0x20 : value[k]
            if isAlphanumeric(c) {
                idKey.append(c)
                if !inWord { words += 1 }
                inWord = true
            } else {
                inWord = false
            }
            k += 1
        }
        guard words >= 3 else { return false }
        // The heading: one of the first two element children.
        let nodes = tree.nodes
        let end = Int(nodes[element].end)
        var child = element + 1
        var seen = 0
        var heading = -1
        while child < end && seen < 2 {
            let c = nodes[child]
            if !c.isText {
                seen += 1
                if c.tag.isHeading {
                    heading = child
                    break
                }
            }
            child = Int(c.end)
        }
        guard heading >= 0 else { return false }
        // The heading's letters and digits, lower-cased (a short walk: headings are small).
        var text: [UInt8] = []
        var j = heading + 1
        let headingEnd = Int(nodes[heading].end)
        while j < headingEnd && text.count < 1024 {
            if nodes[j].isText {
                let content = tree.text(j)
                var k = 0
                while content[k] != 0 {
                    let c = (content[k] >= 0x41 && content[k] <= 0x5A) ? content[k] | 0x20 : content[k]
                    if isAlphanumeric(c) { text.append(c) }
                    k += 1
                }
            }
            j += 1
        }
        return contains(text[...], idKey)
    }

    // MARK: - Class and id words

    /// Words that mark boilerplate when a class/id token contains them.
    private static let negativeParts: [[UInt8]] = [
        "comment", "disqus", "footer", "sidebar", "breadcrumb", "cookie", "consent", "gdpr", "share", "sharing",
        "social", "related", "recommend", "promo", "sponsor", "advert", "newsletter", "subscri", "signup", "popup",
        "modal", "masthead", "outbrain", "taboola", "toolbar", "pagination", "pager", "tagcloud", "navbar",
        "navigation", "menu", "banner", "skyscraper", "trending", "popular", "byline", "author", "login", "copyright",
        "caption", "rating", "reply", "skip", "teaser", "newsticker", "carousel", "dropdown", "overlay", "paywall",
        "follow", "breaking", "disclaimer", "notice", "captcha", "alert", "utility", "legend", "donat", "flyout",
    ].map { Array($0.utf8) }

    /// Whole tokens that mark boilerplate (too short to match inside other words).
    private static let negativeTokens: [[UInt8]] = [
        "nav", "ad", "ads", "adv", "foot", "meta", "tags", "tag", "header", "aside", "side", "date", "links",
        "more", "nocontent", "hide", "hdr", "ftr", "top", "bottom", "extra", "info", "source", "credit", "credits", "cta",
    ].map { Array($0.utf8) }

    /// Words that mark content when a class/id token contains them.
    private static let positiveParts: [[UInt8]] = [
        "article", "content", "entry", "story", "hentry", "prose", "markdown", "blogpost", "posting",
    ].map { Array($0.utf8) }

    /// Prefixes that mark content (short words that would otherwise match inside others).
    private static let positivePrefixes: [[UInt8]] = [
        "main", "post", "body", "blog", "article",
    ].map { Array($0.utf8) }

    /// Classifies each space-separated name (class names, then the id) on its own. A name is
    /// boilerplate when it has a boilerplate token and either no content token or a boilerplate
    /// token last (`post-share`, `article-footer`); it is content when it has a content token
    /// and is not boilerplate (`entry-content`, `article-body`).
    private mutating func classify(_ s: [UInt8]) {
        var nameHasNeg = false, nameHasPos = false, lastNeg = false, nameHasHardNeg = false
        var start = 0
        var i = 0
        while i <= s.count {
            let c: UInt8 = i < s.count ? s[i] : 0x20
            if !Self.isAlphanumeric(c) {
                if i > start {
                    let (n, p) = Self.classifyToken(s[start..<i])
                    nameHasNeg = nameHasNeg || n
                    if n && !Self.isSoftNegative(s[start..<i]) { nameHasHardNeg = true }
                    nameHasPos = nameHasPos || p
                    lastNeg = n && !p
                }
                start = i + 1
                if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {  // end of one name
                    if nameHasNeg && (!nameHasPos || lastNeg) {
                        negative = true
                        if nameHasHardNeg { hardNegative = true }
                    } else if nameHasPos {
                        positive = true
                        if !nameHasNeg { strongPositive = true }
                    }
                    nameHasNeg = false
                    nameHasPos = false
                    lastNeg = false
                    nameHasHardNeg = false
                }
            }
            i += 1
        }
    }

    private static func isSoftNegative(_ t: ArraySlice<UInt8>) -> Bool {
        t.withUnsafeBufferPointer { softNegativeSet.matches($0, whole: true) }
    }

    private static func classifyToken(_ t: ArraySlice<UInt8>) -> (negative: Bool, positive: Bool) {
        t.withUnsafeBufferPointer { tok in
            let neg = negativeTokenSet.matches(tok, whole: true) || negativePartSet.matches(tok, anywhere: true)
            let pos = positivePrefixSet.matches(tok, prefix: true) || positivePartSet.matches(tok, anywhere: true)
            return (neg, pos)
        }
    }

    /// Boilerplate tokens that only name a layout slot: a lede may sit in such a box.
    private static let softNegativeSet = WordSet(["header", "hdr", "top", "teaser"].map { Array($0.utf8) })
    private static let negativeTokenSet = WordSet(negativeTokens)
    private static let negativePartSet = WordSet(negativeParts)
    private static let positivePrefixSet = WordSet(positivePrefixes)
    private static let positivePartSet = WordSet(positiveParts)

    private static func roleIsFurniture(_ role: [UInt8]) -> Bool {
        for w in ["navigation", "banner", "contentinfo", "complementary", "menu", "search", "dialog", "alert", "toolbar"]
        where role.starts(with: Array(w.utf8)) {
            return true
        }
        return false
    }

    // MARK: - Byte helpers

    /// Whether an inline style can hide (holds "none" or "hidden" in its first bytes): a cheap
    /// test before the exact one.
    static func mayHide(_ v: UnsafePointer<UInt8>) -> Bool {
        var k = 0
        while k < scanLimit && v[k] != 0 {
            let c = v[k] | 0x20
            if (c == 0x6E && (v[k + 1] | 0x20) == 0x6F) || (c == 0x68 && (v[k + 1] | 0x20) == 0x69) { return true }  // "no", "hi"
            k += 1
        }
        return false
    }

    static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c >= 0x80
    }

    /// Whether a NUL-terminated name equals an ASCII word (case-insensitively).
    static func equals(_ name: UnsafePointer<UInt8>, _ word: StaticString) -> Bool {
        let w = word.utf8Start
        for k in 0..<word.utf8CodeUnitCount {
            let c = name[k]
            if c == 0 { return false }
            let l = (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
            if l != w[k] { return false }
        }
        return name[word.utf8CodeUnitCount] == 0
    }

    /// Appends up to ``scanLimit`` lower-cased bytes of a NUL-terminated value, then a space.
    static func appendLowercased(_ value: UnsafePointer<UInt8>, to out: inout [UInt8], dropSpaces: Bool = false) {
        var k = 0
        while k < scanLimit {
            let c = value[k]
            if c == 0 { break }
            k += 1
            if dropSpaces && (c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D) { continue }
            out.append((c >= 0x41 && c <= 0x5A) ? c | 0x20 : c)
        }
        out.append(0x20)
    }

    static func contains(_ h: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard needle.count <= h.count, let first = needle.first else { return false }
        var i = h.startIndex
        while i + needle.count <= h.endIndex {
            if h[i] == first {
                var k = 1
                while k < needle.count && h[i + k] == needle[k] { k += 1 }
                if k == needle.count { return true }
            }
            i += 1
        }
        return false
    }

    static func contains(_ hay: [UInt8], _ needle: StaticString) -> Bool {
        contains(hay[...], Array(UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)))
    }
}

/// The classification bits of the class and id values seen on one page, by a 64-bit hash of
/// the value: open addressing over a power-of-two table (no per-lookup hashing of the hash).
struct ClassCache {
    private var keys = [UInt64](repeating: 0, count: 256)
    private var values = [UInt8](repeating: 0, count: 256)
    private var count = 0

    /// The bits stored for a hash, or nil.
    subscript(hash: UInt64) -> UInt8? {
        get {
            let key = hash | 1  // (0 marks an empty slot)
            let mask = keys.count - 1
            var i = Int(truncatingIfNeeded: key >> 7) & mask
            while true {
                let k = keys[i]
                if k == key { return values[i] }
                if k == 0 { return nil }
                i = (i + 1) & mask
            }
        }
        set {
            guard let v = newValue else { return }
            if (count + 1) * 2 > keys.count { grow() }
            insert(hash | 1, v)
        }
    }

    private mutating func insert(_ key: UInt64, _ v: UInt8) {
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: key >> 7) & mask
        while keys[i] != 0 && keys[i] != key { i = (i + 1) & mask }
        if keys[i] == 0 { count += 1 }
        keys[i] = key
        values[i] = v
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [UInt8](repeating: 0, count: oldKeys.count * 2)
        count = 0
        for i in 0..<oldKeys.count where oldKeys[i] != 0 { insert(oldKeys[i], oldValues[i]) }
    }
}

/// A small set of ASCII words, flattened and indexed by first byte, for matching inside tokens
/// without allocation or reference counting.
private struct WordSet: Sendable {
    private var bytes: [UInt8] = []
    private var words: [(offset: Int, count: Int)] = []
    private var first = [UInt16](repeating: 0, count: 257)

    init(_ list: [[UInt8]]) {
        let sorted = list.sorted { ($0[0], $0.count) < ($1[0], $1.count) }
        var counts = [Int](repeating: 0, count: 256)
        for w in sorted {
            words.append((bytes.count, w.count))
            bytes.append(contentsOf: w)
            counts[Int(w[0])] += 1
        }
        var acc = 0
        for c in 0..<256 {
            first[c] = UInt16(acc)
            acc += counts[c]
        }
        first[256] = UInt16(acc)
    }

    /// Whether a word equals the token (`whole`), starts it (`prefix`) or occurs in it (`anywhere`).
    func matches(_ t: UnsafeBufferPointer<UInt8>, whole: Bool = false, prefix: Bool = false, anywhere: Bool = false)
        -> Bool
    {
        guard let tb = t.baseAddress, t.count > 0 else { return false }
        let n = t.count
        return bytes.withUnsafeBufferPointer { wb in
            words.withUnsafeBufferPointer { ws in
                first.withUnsafeBufferPointer { fs in
                    let last = anywhere ? n : 1
                    var j = 0
                    while j < last {
                        let c = Int(tb[j])
                        var k = Int(fs[c])
                        let end = Int(fs[c + 1])
                        while k < end {
                            let w = ws[k]
                            k += 1
                            if whole ? w.count != n : j + w.count > n { continue }
                            var m = 1
                            while m < w.count && tb[j + m] == wb[w.offset + m] { m += 1 }
                            if m == w.count { return true }
                        }
                        j += 1
                    }
                    return false
                }
            }
        }
    }
}
