/// Punycode (RFC 3492) and the host normalisation the URL filter compares hosts by.
///
/// Only encoding is needed: block lists and URLs are compared in their ASCII (`xn--`) form.
public enum Punycode {
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN = 128

    private static func digit(_ d: Int) -> UInt8 {
        UInt8(d < 26 ? 0x61 + d : 0x30 + d - 26)  // a–z, then 0–9
    }

    private static func adapt(_ delta: Int, _ numPoints: Int, _ first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / numPoints
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    /// The Punycode encoding of `label` (without the `xn--` prefix): `bücher` → `bcher-kva`.
    /// - Returns: nil on overflow (labels far longer than DNS allows).
    public static func encode(_ label: String) -> String? {
        let input = label.unicodeScalars.map { Int($0.value) }
        var out: [UInt8] = input.filter { $0 < 0x80 }.map { UInt8($0) }
        let basicCount = out.count
        var handled = basicCount
        if basicCount > 0 { out.append(0x2D) }
        var n = initialN, delta = 0, bias = initialBias
        while handled < input.count {
            guard let m = input.filter({ $0 >= n }).min() else { break }
            let (step, o1) = (m - n).multipliedReportingOverflow(by: handled + 1)
            let (d2, o2) = delta.addingReportingOverflow(step)
            if o1 || o2 { return nil }
            delta = d2
            n = m
            for c in input {
                if c < n {
                    delta += 1
                    if delta == Int.max { return nil }
                }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        out.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    out.append(digit(q))
                    bias = adapt(delta, handled + 1, handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A host in the form the URL filter compares: lowercased, IDNA labels as `xn--…`
    /// (Unicode lowercase, then Punycode), the full stops `。．｡` read as `.`, trailing dots
    /// removed, and, when `stripWWW`, one leading `www.` removed (unless nothing with a dot
    /// would be left).
    public static func normalizeHost(_ host: some StringProtocol, stripWWW: Bool = true) -> String {
        var ascii = true
        for b in host.utf8 where b >= 0x80 {
            ascii = false
            break
        }
        var h: String
        if ascii {
            h = String(decoding: host.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
        } else {
            var dotted = ""
            for s in host.unicodeScalars {
                switch s.value {
                case 0x3002, 0xFF0E, 0xFF61: dotted.unicodeScalars.append(".")
                default: dotted.unicodeScalars.append(s)
                }
            }
            let labels = dotted.lowercased().split(separator: ".", omittingEmptySubsequences: false).map { label -> String in
                if label.utf8.allSatisfy({ $0 < 0x80 }) { return String(label) }
                return Punycode.encode(String(label)).map { "xn--" + $0 } ?? String(label)
            }
            h = labels.joined(separator: ".")
        }
        while h.utf8.last == 0x2E { h.removeLast() }
        if stripWWW, h.hasPrefix("www."), h.utf8.dropFirst(4).contains(0x2E) { h.removeFirst(4) }
        return h
    }
}
