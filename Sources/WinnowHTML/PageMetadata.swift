internal import CLibXML2

/// The title and declared language of a page, read from `<html lang>` and the `head`.
struct PageMetadata {
    /// `og:title`, else `<title>`.
    var title: String?
    /// `<html lang>`, else `content-language`, else `og:locale`.
    var language: String?

    /// Longest title or language value kept, in bytes.
    static let maxLength = 1024

    /// Reads the root element and its `head`.
    mutating func read(root: UnsafeMutablePointer<xmlNode>) {
        var htmlLang: String?
        var metaLang: String?
        var ogLocale: String?
        var ogTitle: String?
        var titleText: String?
        htmlLang = Self.attribute(root, "lang") ?? Self.attribute(root, "xml:lang")

        var child = root.pointee.children
        while let c = child {
            child = c.pointee.next
            guard c.pointee.type == XML_ELEMENT_NODE, HTMLTag.lookup(c.pointee.name) == .head else { continue }
            var h = c.pointee.children
            while let e = h {
                h = e.pointee.next
                guard e.pointee.type == XML_ELEMENT_NODE else { continue }
                switch HTMLTag.lookup(e.pointee.name) {
                case .title where titleText == nil:
                    titleText = Self.text(of: e)
                case .meta:
                    guard let content = Self.attribute(e, "content") else { continue }
                    if let p = Self.attribute(e, "property") ?? Self.attribute(e, "name") {
                        let key = p.lowercased()
                        if key == "og:title" && ogTitle == nil { ogTitle = content }
                        if key == "og:locale" && ogLocale == nil { ogLocale = content }
                    }
                    if let h = Self.attribute(e, "http-equiv"), h.lowercased() == "content-language", metaLang == nil {
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
    static func attribute(_ e: UnsafeMutablePointer<xmlNode>, _ name: StaticString) -> String? {
        var attr = e.pointee.properties
        while let a = attr {
            attr = a.pointee.next
            guard let n = a.pointee.name, ElementSignals.equals(n, name) else { continue }
            guard let v = a.pointee.children?.pointee.content else { return nil }
            return bounded(UnsafePointer(v))
        }
        return nil
    }

    /// The text directly inside an element (its text children), bounded.
    static func text(of e: UnsafeMutablePointer<xmlNode>) -> String? {
        var bytes: [UInt8] = []
        var c = e.pointee.children
        while let t = c, bytes.count < maxLength {
            c = t.pointee.next
            guard t.pointee.type == XML_TEXT_NODE, let p = t.pointee.content else { continue }
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
