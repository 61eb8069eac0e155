extension CharsetDecoder {
    /// The charset named by the first `<meta charset=…>` or
    /// `<meta http-equiv="Content-Type" content="…; charset=…">` tag in `bytes`, if any.
    public static func metaCharset(_ bytes: UnsafeRawBufferPointer) -> String? {
        let b = bytes.bindMemory(to: UInt8.self)
        let n = b.count
        var i = 0
        while i + 5 < n {
            // "<meta" followed by a space, '/' or tab (ASCII case-insensitive).
            if b[i] == 0x3C, lower(b[i + 1]) == 0x6D, lower(b[i + 2]) == 0x65, lower(b[i + 3]) == 0x74,
                lower(b[i + 4]) == 0x61, i + 5 < n, isSpaceOrSlash(b[i + 5])
            {
                var end = i + 5
                while end < n && b[end] != 0x3E { end += 1 }
                if let cs = charsetAttribute(UnsafeBufferPointer(rebasing: b[(i + 5)..<end])) { return cs }
                i = end
                continue
            }
            // Skip comments whole: a charset named inside one does not count.
            if b[i] == 0x3C, i + 3 < n, b[i + 1] == 0x21, b[i + 2] == 0x2D, b[i + 3] == 0x2D {
                var j = i + 4
                while j + 2 < n && !(b[j] == 0x2D && b[j + 1] == 0x2D && b[j + 2] == 0x3E) { j += 1 }
                i = j + 3
                continue
            }
            i += 1
        }
        return nil
    }

    /// The `encoding` of an XML declaration at the very start of the bytes, if any.
    static func xmlDeclarationEncoding(_ b: UnsafeBufferPointer<UInt8>) -> String? {
        let head = Array("<?xml".utf8)
        guard b.count > 10, Array(b[0..<5]) == head else { return nil }
        var end = 5
        while end + 1 < min(b.count, 512) && !(b[end] == 0x3F && b[end + 1] == 0x3E) { end += 1 }
        let key = Array("encoding".utf8)
        var i = 5
        while i + key.count < end {
            if Array(b[i..<(i + key.count)]) == key {
                var j = i + key.count
                while j < end && (b[j] == 0x20 || b[j] == 0x3D) { j += 1 }
                guard j < end, b[j] == 0x22 || b[j] == 0x27 else { return nil }
                let quote = b[j]
                var k = j + 1
                while k < end && b[k] != quote { k += 1 }
                return k > j + 1 ? String(decoding: b[(j + 1)..<k], as: UTF8.self) : nil
            }
            i += 1
        }
        return nil
    }

    /// The value after `charset=` inside a tag's attribute text.
    static func charsetAttribute(_ t: UnsafeBufferPointer<UInt8>) -> String? {
        let key: [UInt8] = Array("charset".utf8)
        var i = 0
        while i + key.count < t.count {
            var match = true
            for k in 0..<key.count where lower(t[i + k]) != key[k] {
                match = false
                break
            }
            if match {
                var j = i + key.count
                while j < t.count && (t[j] == 0x20 || t[j] == 0x09) { j += 1 }
                if j < t.count && t[j] == 0x3D {
                    j += 1
                    while j < t.count && (t[j] == 0x20 || t[j] == 0x09 || t[j] == 0x22 || t[j] == 0x27) { j += 1 }
                    var e = j
                    while e < t.count, !(t[e] == 0x22 || t[e] == 0x27 || t[e] == 0x3B || t[e] == 0x20 || t[e] == 0x2F || t[e] == 0x09) {
                        e += 1
                    }
                    if e > j { return String(decoding: UnsafeBufferPointer(rebasing: t[j..<e]), as: UTF8.self) }
                }
            }
            i += 1
        }
        return nil
    }

    /// Splits a `Content-Type` value into its lowercase media type and its charset parameter.
    public static func parseContentType(_ value: String) -> (mime: String, charset: String?) {
        let parts = value.split(separator: ";", omittingEmptySubsequences: false)
        let mime = (parts.first.map(String.init) ?? "").trimmingASCIISpaces().lowercased()
        var charset: String?
        for p in parts.dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1)
            if kv.count == 2, String(kv[0]).trimmingASCIISpaces().lowercased() == "charset" {
                var v = String(kv[1]).trimmingASCIISpaces()
                if v.hasPrefix("\"") { v.removeFirst() }
                if v.hasSuffix("\"") { v.removeLast() }
                if !v.isEmpty { charset = v }
            }
        }
        return (mime, charset)
    }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
    @inline(__always) static func isSpaceOrSlash(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C || c == 0x2F
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs, CR and LF.
    func trimmingASCIISpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s.removeLast() }
        return String(s)
    }
}
