internal import CICUShim
import WinnowCore

/// Where the charset used to decode a page came from.
public enum CharsetSource: String, Sendable, Hashable {
    /// A byte-order mark at the start of the bytes.
    case bom
    /// The HTTP `Content-Type` header (or the WARC record's content type).
    case header
    /// A `<meta charset>` or `<meta http-equiv="Content-Type">` tag in the first bytes.
    case meta
    /// The bytes are valid UTF-8.
    case utf8
    /// ICU's charset detector.
    case detected
    /// Nothing else worked: windows-1252 (the web's default).
    case fallback
}

/// Turns web page bytes into a UTF-8 string: the charset comes from a byte-order mark, then the
/// declared charset (HTTP header), then a `<meta>` tag in the first 4 KiB (as browsers prescan)
/// or an XML declaration, then a UTF-8 validity check, then ICU's detector restricted to
/// ASCII-compatible charsets (only a byte-order mark makes a page UTF-16); a declared label
/// that no converter knows (`x-bogus-9`) is ignored. The bytes are converted with ICU's
/// converters, invalid or unmapped bytes becoming U+FFFD.
public enum CharsetDecoder {
    /// The result of decoding.
    public struct Decoded: Sendable, Hashable {
        /// The text, valid Unicode.
        public var text: String
        /// The charset used (a lowercase label, e.g. `utf-8`, `shift_jis`, `windows-1252`).
        public var charset: String
        /// Where the charset came from.
        public var source: CharsetSource
    }

    /// How many leading bytes are searched for a `<meta>` charset (the HTML standard's prescan
    /// looks at 1,024; pages with long `<head>` scripts put it later, so a little more).
    public static let metaScanBytes = 4096

    /// Decodes page bytes.
    /// - Parameters:
    ///   - bytes: the raw body.
    ///   - declared: a charset label from a header (nil when there was none).
    ///   - sniffMeta: whether to look for a `<meta>` charset (true for HTML).
    /// - Returns: the text and the charset used.
    public static func decode(_ bytes: UnsafeRawBufferPointer, declared: String?, sniffMeta: Bool = true) -> Decoded {
        let u8 = bytes.bindMemory(to: UInt8.self)
        // 1. A byte-order mark wins (HTML standard, "BOM sniffing").
        if u8.count >= 3, u8[0] == 0xEF, u8[1] == 0xBB, u8[2] == 0xBF {
            return Decoded(text: lossyUTF8(UnsafeBufferPointer(rebasing: u8[3...])), charset: "utf-8", source: .bom)
        }
        if u8.count >= 2, (u8[0] == 0xFF && u8[1] == 0xFE) || (u8[0] == 0xFE && u8[1] == 0xFF) {
            let name = u8[0] == 0xFF ? "utf-16le" : "utf-16be"
            if let t = convert(UnsafeRawBufferPointer(rebasing: bytes[2...]), from: name) {
                return Decoded(text: t, charset: name, source: .bom)
            }
        }
        // 2. The declared charset, 3. a <meta> tag.
        var candidates: [(String, CharsetSource)] = []
        if let declared, let label = normalizedLabel(declared) { candidates.append((label, .header)) }
        if sniffMeta, let meta = metaCharset(UnsafeRawBufferPointer(rebasing: bytes.prefix(metaScanBytes))),
            let label = normalizedLabel(meta)
        {
            // A page that says UTF-16 in an ASCII-compatible <meta> is really UTF-8 (HTML standard).
            candidates.append((label.hasPrefix("utf-16") ? "utf-8" : label, .meta))
        }
        // An XML declaration (XHTML pages, feeds): `<?xml version="1.0" encoding="…"?>`.
        if sniffMeta, let xml = xmlDeclarationEncoding(u8), let label = normalizedLabel(xml) {
            candidates.append((label.hasPrefix("utf-16") ? "utf-8" : label, .meta))
        }
        for (label, source) in candidates {
            if label == "utf-8" {
                return Decoded(text: lossyUTF8(u8), charset: "utf-8", source: source)
            }
            if let t = convert(bytes, from: label) { return Decoded(text: t, charset: label, source: source) }
        }
        // 4. Valid UTF-8 (pure ASCII included) needs no guess.
        if let s = String(validating: u8, as: UTF8.self) { return Decoded(text: s, charset: "utf-8", source: .utf8) }
        // 5. ICU's detector on the first 64 KiB, markup filtered out, among the charsets that
        //    keep ASCII as ASCII: without a byte-order mark a page is not UTF-16/32 (its tags
        //    were found as ASCII bytes), and a short Latin-1 page must not come out as CJK.
        if let guess = detect(UnsafeRawBufferPointer(rebasing: bytes.prefix(1 << 16)), asciiCompatibleOnly: true),
            let label = normalizedLabel(guess)
        {
            if label == "utf-8" { return Decoded(text: lossyUTF8(u8), charset: "utf-8", source: .detected) }
            if let t = convert(bytes, from: label) { return Decoded(text: t, charset: label, source: .detected) }
        }
        let t = convert(bytes, from: "windows-1252") ?? lossyUTF8(u8)
        return Decoded(text: t, charset: "windows-1252", source: .fallback)
    }

    /// Decodes a byte array (see ``decode(_:declared:sniffMeta:)``).
    public static func decode(_ bytes: [UInt8], declared: String?, sniffMeta: Bool = true) -> Decoded {
        bytes.withUnsafeBytes { decode($0, declared: declared, sniffMeta: sniffMeta) }
    }

    /// UTF-8 with every invalid sequence replaced by U+FFFD.
    static func lossyUTF8(_ b: UnsafeBufferPointer<UInt8>) -> String {
        if let s = String(validating: b, as: UTF8.self) { return s }
        return String(decoding: b, as: UTF8.self)
    }

    /// A charset label cleaned up and mapped the way browsers map it (the WHATWG Encoding
    /// standard's labels for the common cases), or nil when ICU has no converter for it.
    public static func normalizedLabel(_ raw: String) -> String? {
        var s = raw.lowercased()
        while let f = s.first, f == " " || f == "\"" || f == "'" || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\"" || l == "'" || l == "\t" || l == ";" { s.removeLast() }
        if s.isEmpty || s.count > 40 { return nil }
        switch s {
        case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8": return "utf-8"
        // Browsers decode all of these as windows-1252 (a superset).
        case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "ansi_x3.4-1968", "cp1252",
            "windows-1252", "x-cp1252", "iso_8859-1", "cp819", "ibm819":
            return "windows-1252"
        case "gb2312", "gbk", "x-gbk", "gb_2312-80", "chinese", "csgb2312", "iso-ir-58", "cp936", "windows-936":
            return "gbk"
        case "gb18030": return "gb18030"
        case "big5", "big5-hkscs", "x-x-big5", "cn-big5", "csbig5": return "big5"
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "ms932", "cp932":
            return "shift_jis"
        case "euc-jp", "x-euc-jp", "eucjp", "cseucpkdfmtjapanese": return "euc-jp"
        case "euc-kr", "ks_c_5601-1987", "ksc5601", "windows-949", "cp949", "korean", "x-windows-949": return "euc-kr"
        case "tis-620", "iso-8859-11", "windows-874", "dos-874": return "windows-874"
        case "iso-8859-9", "latin5", "windows-1254": return "windows-1254"
        default: break
        }
        var buf = [CChar](repeating: 0, count: 64)
        return cicu_charset_canonical(s, &buf, 64) == 1 ? s : nil
    }

    /// Converts bytes in `charset` to a string through ICU (nil when ICU fails).
    public static func convert(_ bytes: UnsafeRawBufferPointer, from charset: String) -> String? {
        if bytes.isEmpty { return "" }
        guard bytes.count < Int(Int32.max / 4) else { return nil }
        let src = bytes.bindMemory(to: UInt8.self)
        var cap = bytes.count * 3 + 16
        while true {
            var err: Int32 = 0
            var needed: Int32 = 0
            let s = String(unsafeUninitializedCapacity: cap) { dst in
                needed = cicu_convert_to_utf8(charset, src.baseAddress, Int32(src.count), dst.baseAddress, Int32(dst.count), &err)
                return err == 0 && Int(needed) <= dst.count ? Int(needed) : 0
            }
            if err != 0 { return nil }
            if Int(needed) <= cap { return s }
            cap = Int(needed)
        }
    }

    /// ICU's best guess for the charset of some bytes (nil when it has none).
    /// - Parameters:
    ///   - bytes: the bytes (markup is filtered out before guessing).
    ///   - asciiCompatibleOnly: consider only charsets in which ASCII bytes mean ASCII (not
    ///     UTF-16/32 or EBCDIC): what a page without a byte-order mark must be for its markup
    ///     to be read at all.
    public static func detect(_ bytes: UnsafeRawBufferPointer, asciiCompatibleOnly: Bool = true) -> String? {
        if bytes.isEmpty { return nil }
        let src = bytes.bindMemory(to: UInt8.self)
        var name = [CChar](repeating: 0, count: 64)
        var err: Int32 = 0
        let confidence = cicu_detect_charset(
            src.baseAddress, Int32(clamping: src.count), 1, asciiCompatibleOnly ? 1 : 0, &name, 64, &err)
        if err != 0 || confidence < 0 { return nil }
        let n = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return n.isEmpty ? nil : n
    }
}
