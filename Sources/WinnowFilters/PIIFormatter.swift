import WinnowCore
import WinnowText

/// Replaces e-mail addresses and public IPv4 addresses, as datatrove's `PIIFormatter`.
///
/// E-mails follow datatrove's pattern (RFC 5322-style local part, `@`, dotted host names; the
/// rare `[IP literal]` host form is not matched). IPv4 addresses follow its pattern (four
/// dotted octets, no word boundaries) and are replaced only when Python's `ipaddress` would
/// call them global (not private, reserved, loopback, link-local, shared or documentation).
/// Replacements cycle through the lists; unlike datatrove, whose cycle carries over between
/// documents of a worker, the cycle restarts with each document so output is the same for any
/// worker count.
public struct PIIFormatter: Transformer, RegisteredStage {
    /// The stage name.
    public var name: String { "pii" }
    /// Replace e-mail addresses.
    public var email = true
    /// Replace IPv4 addresses.
    public var ip = true
    /// Replace only public (global) IPv4 addresses.
    public var onlyPublicIPs = true
    /// E-mail replacements, used in turn.
    public var emailReplacements = PIIFormatter.defaultEmailReplacements
    /// IP replacements, used in turn.
    public var ipReplacements = PIIFormatter.defaultIPReplacements

    /// datatrove's e-mail replacements.
    public static let defaultEmailReplacements = ["email@example.com", "firstname.lastname@example.org"]
    /// datatrove's IP replacements.
    public static let defaultIPReplacements = [
        "22.214.171.124", "126.96.36.199", "188.8.131.52", "184.108.40.206", "220.127.116.11", "18.104.22.168",
    ]

    /// Creates the formatter with datatrove's defaults.
    public init() {}

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "pii", kind: .transformer,
        summary: "Replaces e-mail addresses and public IPv4 addresses (datatrove PIIFormatter) with placeholder values. Never drops.",
        parameters: [
            ParameterSpec("email", "bool", default: "true", "replace e-mail addresses"),
            ParameterSpec("ip", "bool", default: "true", "replace IPv4 addresses"),
            ParameterSpec("only_public_ips", "bool", default: "true", "replace only global (public) addresses"),
            ParameterSpec("email_replacement", "[string]", default: "[email@example.com, firstname.lastname@example.org]", "replacements, used in turn"),
            ParameterSpec("ip_replacement", "[string]", default: "[22.214.171.124, 126.96.36.199, 188.8.131.52, 184.108.40.206, 220.127.116.11, 18.104.22.168]", "replacements, used in turn"),
        ],
        dropReasons: [],
        make: { p in
            var f = PIIFormatter()
            f.email = try p.bool("email", default: true)
            f.ip = try p.bool("ip", default: true)
            f.onlyPublicIPs = try p.bool("only_public_ips", default: true)
            f.emailReplacements = try p.strings("email_replacement", default: defaultEmailReplacements) ?? defaultEmailReplacements
            f.ipReplacements = try p.strings("ip_replacement", default: defaultIPReplacements) ?? defaultIPReplacements
            if f.emailReplacements.isEmpty || f.ipReplacements.isEmpty {
                throw ConfigError("stage 'pii': replacement lists must not be empty", at: p.location)
            }
            return f
        })

    /// Rewrites the text; always keeps.
    public func transform(_ document: inout Document, context: StageContext) -> Verdict {
        var text = document.text
        var changed = false
        if email, let t = Self.replaceEmails(text, emailReplacements) {
            text = t
            changed = true
        }
        if ip, let t = Self.replaceIPs(text, ipReplacements, onlyPublic: onlyPublicIPs) {
            text = t
            changed = true
        }
        if changed {
            document.text = text
            context.count("pii_replaced_documents")
        }
        return .keep
    }

    // MARK: - E-mail

    @inline(__always) static func isLocal(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2F, 0x3D, 0x3F, 0x5E, 0x5F, 0x60, 0x7B, 0x7C, 0x7D, 0x7E, 0x2D: return true
        default: return false
        }
    }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    /// Python `\w` before/after byte positions (Unicode letters and digits count).
    static func isWordAt(_ u: UnsafeBufferPointer<UInt8>, before i: Int) -> Bool {
        guard i > 0 else { return false }
        return BadWordList.isWord(PythonText.decodeBefore(u, i).value)
    }
    static func isWordAt(_ u: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i < u.count else { return false }
        return BadWordList.isWord(PythonText.decode(u, i).value)
    }

    /// Length of the e-mail match starting at `p`, or nil.
    static func emailMatch(_ u: UnsafeBufferPointer<UInt8>, _ p: Int) -> Int? {
        let n = u.count
        guard isLocal(u[p]) else { return nil }
        // \b at p
        guard isWordAt(u, before: p) != isWordAt(u, at: p) else { return nil }
        // local part: atoms separated by single dots, then '@'
        var i = p
        while true {
            guard i < n && isLocal(u[i]) else { return nil }
            while i < n && isLocal(u[i]) { i += 1 }
            if i < n && u[i] == 0x2E { i += 1; continue }
            break
        }
        guard i < n && u[i] == 0x40 else { return nil }
        let hs = i + 1
        // host: greedy (label\.)+label with backtracking on the number of labels
        var labelEnds: [Int] = []  // end of each full label followed by '.'
        var j = hs
        var lastLabelEnd = -1
        while j < n && isAlnum(u[j]) {
            var k = j
            while k < n && (isAlnum(u[k]) || u[k] == 0x2D) { k += 1 }
            // a label must end in an alnum: back off trailing hyphens
            var e = k
            while e > j && u[e - 1] == 0x2D { e -= 1 }
            if k < n && u[k] == 0x2E && e == k {
                labelEnds.append(k)
                j = k + 1
            } else {
                lastLabelEnd = e
                break
            }
        }
        // Try the most labels first: (labels 0..<r each with '.') then one more label.
        var r = labelEnds.count
        while r >= 1 {
            let start = labelEnds[r - 1] + 1
            var end: Int
            if r == labelEnds.count {
                guard lastLabelEnd > start else {
                    r -= 1
                    continue
                }
                end = lastLabelEnd
            } else {
                // the next full label (without its dot)
                end = labelEnds[r]
            }
            if end > start { return end - p }
            r -= 1
        }
        return nil
    }

    static func replaceEmails(_ text: String, _ reps: [String]) -> String? {
        text.withBytes { u -> String? in
            var out: [UInt8] = []
            var last = 0
            var k = 0
            var i = 0
            var any = false
            while i < u.count {
                if u[i] == 0x40 || !isLocal(u[i]) { i += 1; continue }
                // Skip runs of local-part characters that do not reach an '@'.
                var e = i
                while e < u.count && (isLocal(u[e]) || u[e] == 0x2E) { e += 1 }
                if e >= u.count || u[e] != 0x40 { i = e; continue }
                if let len = emailMatch(u, i) {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: u[last..<i]))
                    out.append(contentsOf: reps[k % reps.count].utf8)
                    k += 1
                    i += len
                    last = i
                    any = true
                } else {
                    i += 1
                }
            }
            guard any else { return nil }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: u[last..<u.count]))
            return String(decoding: out, as: UTF8.self)
        }
    }

    // MARK: - IPv4

    /// Octet alternatives at `q` in the regex's order of preference: 25[0-5], 2[0-4][0-9], [01]?[0-9][0-9]?.
    static func octetLengths(_ u: UnsafeBufferPointer<UInt8>, _ q: Int) -> [Int] {
        let n = u.count
        func d(_ i: Int) -> Bool { i < n && u[i] >= 0x30 && u[i] <= 0x39 }
        var out: [Int] = []
        if q + 2 < n && u[q] == 0x32 && u[q + 1] == 0x35 && u[q + 2] >= 0x30 && u[q + 2] <= 0x35 { out.append(3) }
        if q + 2 < n && u[q] == 0x32 && u[q + 1] >= 0x30 && u[q + 1] <= 0x34 && d(q + 2) { out.append(3) }
        if q < n && (u[q] == 0x30 || u[q] == 0x31) && d(q + 1) {
            out.append(d(q + 2) ? 3 : 2)
            if d(q + 2) { out.append(2) }
        }
        if d(q) {
            if d(q + 1) { out.append(2) }
            out.append(1)
        }
        return out
    }

    /// End of the IPv4 match starting at `p` (backtracking like `re`), or nil.
    static func ipMatch(_ u: UnsafeBufferPointer<UInt8>, _ p: Int, group: Int = 0) -> Int? {
        for len in octetLengths(u, p) {
            let e = p + len
            if group == 3 { return e }
            if e < u.count && u[e] == 0x2E, let end = ipMatch(u, e + 1, group: group + 1) { return end }
        }
        return nil
    }

    /// Python `ipaddress.ip_address(s).is_global` for a dotted quad (nil if Python rejects it,
    /// e.g. leading zeros).
    static func isGlobal(_ u: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool? {
        var parts: [Int] = []
        var i = r.lowerBound
        while i < r.upperBound {
            var j = i
            var v = 0
            while j < r.upperBound && u[j] != 0x2E { v = v * 10 + Int(u[j] - 0x30); j += 1 }
            if j - i > 1 && u[i] == 0x30 { return nil }
            if v > 255 { return nil }
            parts.append(v)
            i = j + 1
        }
        guard parts.count == 4 else { return nil }
        let a = UInt32(parts[0]) << 24 | UInt32(parts[1]) << 16 | UInt32(parts[2]) << 8 | UInt32(parts[3])
        func inNet(_ net: UInt32, _ bits: Int) -> Bool { bits == 0 || (a >> (32 - bits)) == (net >> (32 - bits)) }
        let priv: [(UInt32, Int)] = [
            (0x00000000, 8), (0x0A000000, 8), (0x7F000000, 8), (0xA9FE0000, 16), (0xAC100000, 12), (0xC0000000, 29),
            (0xC00000AA, 31), (0xC0000200, 24), (0xC0A80000, 16), (0xC6120000, 15), (0xC6336400, 24), (0xCB007100, 24),
            (0xF0000000, 4), (0xFFFFFFFF, 32),
        ]
        if priv.contains(where: { inNet($0.0, $0.1) }) { return false }
        if inNet(0x64400000, 10) { return false }  // 100.64.0.0/10 (shared address space)
        return true
    }

    static func replaceIPs(_ text: String, _ reps: [String], onlyPublic: Bool) -> String? {
        text.withBytes { u -> String? in
            var out: [UInt8] = []
            var last = 0
            var k = 0
            var i = 0
            var any = false
            while i < u.count {
                guard u[i] >= 0x30 && u[i] <= 0x39, let end = ipMatch(u, i) else { i += 1; continue }
                let valid = isGlobal(u, i..<end).map { !onlyPublic || $0 } ?? false
                if valid {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: u[last..<i]))
                    out.append(contentsOf: reps[k % reps.count].utf8)
                    k += 1
                    last = end
                    any = true
                }
                i = end
            }
            guard any else { return nil }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: u[last..<u.count]))
            return String(decoding: out, as: UTF8.self)
        }
    }
}
