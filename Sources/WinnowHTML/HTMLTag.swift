/// The HTML elements the extractor tells apart; everything else is `.other` (treated as inline).
///
/// Names come from libxml2's HTML parser, which lower-cases them, and are looked up by a 64-bit
/// FNV-1a hash of their bytes, so no Swift `String` is made per element.
enum HTMLTag: UInt8, CaseIterable {
    case other
    // Containers and text blocks.
    case html, body, div, section, article, main, p, span, center, font
    case h1, h2, h3, h4, h5, h6, hgroup
    case ul, ol, li, dl, dt, dd, menu
    case table, thead, tbody, tfoot, tr, td, th, caption
    case blockquote, pre, code, figure, figcaption, hr, br, address, details, summary, fieldset, legend, form
    // Page furniture.
    case header, footer, nav, aside
    // Inline text.
    case a, b, i, em, strong, small, sup, sub, abbr, cite, q, u, s, mark, label, time
    /// Kept, not skipped: broken pages leave the rest of the body inside an unclosed `noscript`.
    case noscript
    // Never text: skipped with their whole subtree.
    case script, style, template, svg, math, iframe, object, embed, canvas, video, audio
    case select, option, optgroup, button, input, textarea, head, link, meta, title, map, area
    case frame, frameset, noframes, applet, param, source, track, datalist, dialog, img, picture, base, rt, rp

    /// Whether the element and everything under it is never part of the text.
    var isSkipped: Bool { rawValue >= HTMLTag.script.rawValue }

    /// Whether the element starts and ends a line of output.
    var isBlock: Bool {
        switch self {
        case .other, .span, .font, .code, .a, .b, .i, .em, .strong, .small, .sup, .sub, .abbr, .cite, .q, .u, .s,
            .mark, .label, .time, .noscript:
            return false
        default:
            return !isSkipped
        }
    }

    /// Headings `h1`…`h6`.
    var isHeading: Bool { rawValue >= HTMLTag.h1.rawValue && rawValue <= HTMLTag.h6.rawValue }

    /// Elements that are page furniture by their very tag (navigation, footers, sidebars).
    var isFurniture: Bool { self == .nav || self == .footer || self == .aside || self == .menu }

    /// Elements whose text is scored as one paragraph when they hold no block children.
    var isParagraphCandidate: Bool {
        switch self {
        case .p, .pre, .td, .blockquote, .div, .section, .article, .main, .center, .dd, .font, .address, .details:
            return true
        default:
            return false
        }
    }

    /// Containers that the cleaning step may remove as a whole inside the main content.
    var isCleanableContainer: Bool {
        switch self {
        case .div, .section, .ul, .ol, .dl, .table, .form, .header, .figure, .center, .details, .fieldset, .menu,
            .aside, .footer, .nav:
            return true
        default:
            return false
        }
    }

    // MARK: - Lookup

    /// The tag for an element name (NUL-terminated bytes as libxml2 gives them).
    static func lookup(_ name: UnsafePointer<UInt8>?) -> HTMLTag {
        lookupWithTextFlag(name).tag
    }

    /// The tag for an element name, and whether libxml2 keeps white space after such an element
    /// under `HTML_PARSE_NOBLANKS` (its `allowPCData` list, which also names elements that are
    /// `.other` here: `acronym`, `bdo`, `big`, `del`, `dfn`, `ins`, `kbd`, `samp`, `strike`,
    /// `tt`, `var`).
    static func lookupWithTextFlag(_ name: UnsafePointer<UInt8>?) -> (tag: HTMLTag, allowsText: Bool) {
        guard let name else { return (.other, false) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var n = 0
        while n < 16 {
            let c = name[n]
            if c == 0 { break }
            // Lower-case ASCII so that XHTML-ish upper-case names (rare: libxml2 lowers them) match too.
            let l = (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
            hash = (hash ^ UInt64(l)) &* 0x0000_0100_0000_01B3
            n += 1
        }
        if n == 16 { return (.other, false) }
        guard let v = lookupTable[hash] else { return (.other, false) }
        return (HTMLTag(rawValue: UInt8(truncatingIfNeeded: v)) ?? .other, v & 0x100 != 0)
    }

    /// libxml2 2.9's `allowPCData`: elements after which (or first inside which) white space
    /// before a tag is kept.
    private static let keepsWhiteSpace: Set<String> = [
        "a", "abbr", "acronym", "address", "applet", "b", "bdo", "big", "blockquote", "body", "button", "caption",
        "center", "cite", "code", "dd", "del", "dfn", "div", "dt", "em", "font", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "i", "iframe", "ins", "kbd", "label", "legend", "li", "noframes", "noscript", "object", "p", "pre", "q",
        "s", "samp", "small", "span", "strike", "strong", "td", "th", "tt", "u", "var",
    ]

    /// FNV-1a hash of a name → tag raw value, plus 0x100 when it keeps white space.
    private static let lookupTable: [UInt64: UInt16] = {
        func hash(_ s: String) -> UInt64 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for c in s.utf8 { hash = (hash ^ UInt64(c)) &* 0x0000_0100_0000_01B3 }
            return hash
        }
        var t: [UInt64: UInt16] = [:]
        for tag in HTMLTag.allCases where tag != .other {
            let name = String(describing: tag)
            t[hash(name)] = UInt16(tag.rawValue) | (keepsWhiteSpace.contains(name) ? 0x100 : 0)
        }
        for name in keepsWhiteSpace where t[hash(name)] == nil { t[hash(name)] = UInt16(HTMLTag.other.rawValue) | 0x100 }
        return t
    }()
}
