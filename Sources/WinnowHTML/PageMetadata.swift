/// The title and declared language of a page, read from `<html lang>` and the `head`.
struct PageMetadata {
    /// `og:title`, else `<title>`.
    var title: String?
    /// `<html lang>`, else `content-language`, else `og:locale`.
    var language: String?

    /// Longest title or language value kept, in bytes.
    static let maxLength = 1024

    /// Reads the root element and its `head`.
    mutating func read(tree: PageTree, root: Int) {
        var metaLang: String?
        var ogLocale: String?
        var ogTitle: String?
        var titleText: String?
        let htmlLang = Self.attribute(tree, root, "lang") ?? Self.attribute(tree, root, "xml:lang")

        let nodes = tree.nodes
        var child = root + 1
        let end = Int(nodes[root].end)
        while child < end {
            let c = nodes[child]
            defer { child = Int(c.end) }
            guard !c.isText, c.tag == .head else { continue }
            var h = child + 1
            while h < Int(c.end) {
                let e = nodes[h]
                defer { h = Int(e.end) }
                guard !e.isText else { continue }
                switch e.tag {
                case .title where titleText == nil:
                    titleText = Self.text(tree, h)
                case .meta:
                    guard let content = Self.attribute(tree, h, "content") else { continue }
                    if let p = Self.attribute(tree, h, "property") ?? Self.attribute(tree, h, "name") {
                        let key = p.lowercased()
                        if key == "og:title" && ogTitle == nil { ogTitle = content }
                        if key == "og:locale" && ogLocale == nil { ogLocale = content }
                    }
                    if let h = Self.attribute(tree, h, "http-equiv"), h.lowercased() == "content-language", metaLang == nil {
                        metaLang = content
                    }
                default:
                    continue
                }
            }
        }
        title = Self.clean(ogTitle) ?? Self.clean(titleText)
        language = Self.clean(htmlLang) ?? Self.clean(metaLang) ?? Self.clean(ogLocale)
    }

    /// White space collapsed and trimmed; nil when empty.
    static func clean(_ s: String?) -> String? {
        guard let s else { return nil }
        let words = s.split(whereSeparator: { $0.isWhitespace })
        if words.isEmpty { return nil }
        return words.joined(separator: " ")
    }

    /// An attribute's value (at most ``maxLength`` bytes), without a Swift string per other attribute.
    static func attribute(_ tree: PageTree, _ e: Int, _ name: StaticString) -> String? {
        tree.attribute(e, name).map(bounded)
    }

    /// The text directly inside an element (its text children), bounded.
    static func text(_ tree: PageTree, _ e: Int) -> String? {
        var bytes: [UInt8] = []
        let nodes = tree.nodes
        var c = e + 1
        while c < Int(nodes[e].end) && bytes.count < maxLength {
            let t = nodes[c]
            c = Int(t.end)
            guard t.isText else { continue }
            let p = tree.text(c - 1)
            var k = 0
            while p[k] != 0 && bytes.count < maxLength {
                bytes.append(p[k])
                k += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func bounded(_ p: UnsafePointer<UInt8>) -> String {
        var k = 0
        while k < maxLength && p[k] != 0 { k += 1 }
        return String(decoding: UnsafeBufferPointer(start: p, count: k), as: UTF8.self)
    }
}
