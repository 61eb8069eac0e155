extension Wikitext {
    /// Named HTML entities common in wikitext (the rest of HTML's list is rare there).
    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "ensp": " ", "emsp": " ", "thinsp": " ",
        "ndash": "–", "mdash": "—", "minus": "−", "hellip": "…", "times": "×", "divide": "÷", "deg": "°", "plusmn": "±",
        "middot": "·", "bull": "•", "laquo": "«", "raquo": "»", "lsaquo": "‹", "rsaquo": "›", "lsquo": "‘", "rsquo": "’",
        "sbquo": "‚", "ldquo": "“", "rdquo": "”", "bdquo": "„", "prime": "′", "Prime": "″", "euro": "€", "pound": "£",
        "yen": "¥", "cent": "¢", "copy": "©", "reg": "®", "trade": "™", "sect": "§", "para": "¶", "frac12": "½",
        "frac14": "¼", "frac34": "¾", "sup1": "¹", "sup2": "²", "sup3": "³", "micro": "µ", "larr": "←", "rarr": "→",
        "uarr": "↑", "darr": "↓", "harr": "↔", "le": "≤", "ge": "≥", "ne": "≠", "asymp": "≈", "infin": "∞", "shy": "",
        "zwj": "\u{200D}", "zwnj": "\u{200C}", "lrm": "", "rlm": "", "dagger": "†", "Dagger": "‡", "iexcl": "¡",
        "iquest": "¿", "ordm": "º", "ordf": "ª", "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε",
        "lambda": "λ", "mu": "μ", "pi": "π", "sigma": "σ", "tau": "τ", "phi": "φ", "omega": "ω", "Omega": "Ω",
        "Delta": "Δ", "Sigma": "Σ", "eacute": "é", "egrave": "è", "aacute": "á", "agrave": "à", "oacute": "ó",
        "uuml": "ü", "ouml": "ö", "auml": "ä", "szlig": "ß", "ntilde": "ñ", "ccedil": "ç", "iacute": "í", "uacute": "ú",
    ]

    /// Decodes `&name;`, `&#123;` and `&#x7B;` (unknown names stay as written).
    static func decodeEntities(_ b: [UInt8]) -> [UInt8] {
        guard b.contains(0x26) else { return b }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == 0x26, let semi = firstIndex(b, of: 0x3B, from: i + 1), semi - i <= 12, semi > i + 1 {
                let body = b[(i + 1)..<semi]
                var replacement: String?
                if body.first == 0x23 {
                    let digits = body.dropFirst()
                    var value: UInt32?
                    if let f = digits.first, f == 0x78 || f == 0x58 {
                        value = UInt32(String(decoding: digits.dropFirst(), as: UTF8.self), radix: 16)
                    } else {
                        value = UInt32(String(decoding: digits, as: UTF8.self), radix: 10)
                    }
                    if let v = value, let scalar = Unicode.Scalar(v), v != 0 { replacement = String(Character(scalar)) }
                } else {
                    replacement = namedEntities[String(decoding: body, as: UTF8.self)]
                }
                if let replacement {
                    out.append(contentsOf: replacement.utf8)
                    i = semi + 1
                    continue
                }
            }
            out.append(b[i])
            i += 1
        }
        return out
    }
}
