extension SpacyEnglishTokenizer {
    /// spaCy's `URL_MATCH` (`spacy/lang/tokenizer_exceptions.py`) on `sc[a..<b]`:
    /// `^(scheme://)?(userinfo@)?(IPv4 | (label.)+tld)(:port)?([/?#]\S*)?$`, where the TLD is
    /// 2–63 of spaCy's lowercase letters. A chunk that matches is not cut at infixes.
    static func urlMatch(_ sc: [UInt32], _ a: Int, _ b: Int) -> Bool {
        guard b - a >= 3 else { return false }
        var starts = [a]
        // (?:[\w\+\-\.]{2,})://
        var j = a
        while j < b && isSchemeChar(sc[j]) { j += 1 }
        if j - a >= 2 && j + 2 < b && sc[j] == 0x3A && sc[j + 1] == 0x2F && sc[j + 2] == 0x2F { starts.append(j + 3) }
        // The scheme chars may include '.', so a "://" later than the first non-scheme char is impossible.
        for s in starts {
            if hostAndRest(sc, s, b) { return true }
            // (?:\S+(?::\S*)?@)? : any '@' after at least one character
            var q = s + 1
            while q < b {
                if sc[q] == 0x40 && hostAndRest(sc, q + 1, b) { return true }
                q += 1
            }
        }
        return false
    }

    @inline(__always) static func isSchemeChar(_ v: UInt32) -> Bool {
        if v < 0x80 {
            return isDigit(v) || (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A || v == 0x5F || v == 0x2B || v == 0x2D || v == 0x2E
        }
        guard let s = Unicode.Scalar(v) else { return false }
        return s.properties.isAlphabetic || s.properties.numericType != nil
    }

    @inline(__always) static func isLabelEdge(_ v: UInt32) -> Bool {
        (v >= 0x30 && v <= 0x39) || ((v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A) || (v >= 0xA1 && v <= 0xFFFF)
    }

    @inline(__always) static func isHostChar(_ v: UInt32) -> Bool {
        isLabelEdge(v) || v == 0x5F || v == 0x2D || v == 0x2E
    }

    /// Host (IPv4 or domain), optional port and path, to the end.
    static func hostAndRest(_ sc: [UInt32], _ hs: Int, _ b: Int) -> Bool {
        guard hs < b else { return false }
        if let r = ipv4End(sc, hs, b), portAndPath(sc, r, b) { return true }
        var h = hs
        while h < b && isHostChar(sc[h]) { h += 1 }
        // The TLD ends at h, or at h-1 when a trailing '.' is taken by `\.?`.
        var ends = [h]
        if h - 1 > hs && sc[h - 1] == 0x2E { ends.append(h - 1) }
        for tldEnd in ends where domain(sc, hs, tldEnd) {
            if portAndPath(sc, h, b) { return true }
        }
        return false
    }

    /// `(label\.)+tld` exactly covering `sc[hs..<e]`.
    static func domain(_ sc: [UInt32], _ hs: Int, _ e: Int) -> Bool {
        var lastDot = -1
        var k = e - 1
        while k >= hs {
            if sc[k] == 0x2E { lastDot = k; break }
            k -= 1
        }
        guard lastDot > hs else { return false }
        // TLD
        let tldLen = e - lastDot - 1
        var tldOK = tldLen >= 2 && tldLen <= 63
        if tldOK {
            for i in (lastDot + 1)..<e where !tables.alphaLower.contains(sc[i]) { tldOK = false; break }
        }
        if !tldOK {
            // xn--[a-z0-9]+
            if tldLen >= 5 && sc[lastDot + 1] == 0x78 && sc[lastDot + 2] == 0x6E && sc[lastDot + 3] == 0x2D && sc[lastDot + 4] == 0x2D {
                tldOK = true
                for i in (lastDot + 5)..<e where !((sc[i] >= 0x61 && sc[i] <= 0x7A) || isDigit(sc[i])) { tldOK = false; break }
            }
        }
        guard tldOK else { return false }
        // labels
        var ls = hs
        var i = hs
        while i <= lastDot {
            if sc[i] == 0x2E {
                let len = i - ls
                if len < 1 || len > 64 || !isLabelEdge(sc[ls]) || !isLabelEdge(sc[i - 1]) { return false }
                ls = i + 1
            }
            i += 1
        }
        return true
    }

    /// spaCy's IPv4 alternative (private ranges excluded); returns where it ends.
    static func ipv4End(_ sc: [UInt32], _ hs: Int, _ b: Int) -> Int? {
        var parts: [Int] = []
        var i = hs
        while parts.count < 4 {
            var j = i
            var v = 0
            while j < b && j - i < 3 && isDigit(sc[j]) {
                v = v * 10 + Int(sc[j] - 0x30)
                j += 1
            }
            if j == i { return nil }
            // leading zeros: the pattern's first and last parts use [1-9]\d?|1\d\d|2..; middle 1?\d{1,2}
            if (parts.isEmpty || parts.count == 3) && sc[i] == 0x30 { return nil }
            parts.append(v)
            i = j
            if parts.count < 4 {
                guard i < b && sc[i] == 0x2E else { return nil }
                i += 1
            }
        }
        guard parts[0] >= 1 && parts[0] <= 223, parts[1] <= 255, parts[2] <= 255, parts[3] >= 1 && parts[3] <= 254 else { return nil }
        if parts[0] == 10 || parts[0] == 127 { return nil }
        if (parts[0] == 169 && parts[1] == 254) || (parts[0] == 192 && parts[1] == 168) { return nil }
        if parts[0] == 172 && parts[1] >= 16 && parts[1] <= 31 { return nil }
        return i
    }

    /// `(?::\d{2,5})?(?:[/?#]\S*)?$` from `r`.
    static func portAndPath(_ sc: [UInt32], _ r0: Int, _ b: Int) -> Bool {
        var r = r0
        if r < b && sc[r] == 0x3A {
            var j = r + 1
            while j < b && isDigit(sc[j]) { j += 1 }
            let d = j - r - 1
            if d >= 2 && d <= 5 { r = j } else { return false }
        }
        if r == b { return true }
        let c = sc[r]
        return c == 0x2F || c == 0x3F || c == 0x23
    }
}
