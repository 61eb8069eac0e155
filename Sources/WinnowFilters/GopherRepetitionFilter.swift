import WinnowCore
import WinnowText

/// Gopher's repetition rules (Rae et al. 2021, Table A1), as datatrove's `GopherRepetitionFilter`:
/// duplicate paragraphs and lines (by count and by characters), the most frequent 2/3/4-gram's
/// characters, and characters in repeated 5…10-grams.
///
/// Paragraphs are split at runs of 2+ `\n` (after stripping the text), lines at runs of `\n`.
/// Top n-grams are words joined by a space; repeated n-grams are words joined with nothing (as in
/// datatrove, so `ab c` and `a bc` are the same n-gram). Character counts are code points, over
/// the document's length in code points. Repeated elements are found by 64-bit xxHash of their bytes.
public struct GopherRepetitionFilter: Filter, RegisteredStage {
    /// The stage name.
    public var name: String { "gopher_repetition" }
    /// Share of duplicate lines above this drops (`dup_line_frac`).
    public var dupLineFrac: Double? = 0.3
    /// Share of duplicate paragraphs above this drops (`dup_para_frac`).
    public var dupParaFrac: Double? = 0.3
    /// Characters in duplicate lines over document characters above this drops (`dup_line_char_frac`).
    public var dupLineCharFrac: Double? = 0.2
    /// Characters in duplicate paragraphs above this drops (`dup_para_char_frac`).
    public var dupParaCharFrac: Double? = 0.2
    /// (n, fraction): the top n-gram's characters above the fraction drops (`top_<n>_gram`).
    public var topNGrams: [(Int, Double)] = [(2, 0.2), (3, 0.18), (4, 0.16)]
    /// (n, fraction): characters in repeated n-grams above the fraction drops (`duplicated_<n>_n_grams`).
    public var dupNGrams: [(Int, Double)] = [(5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)]
    let options: RuleOptions

    /// Creates the filter with datatrove's defaults under the given rule set.
    public init(rules: QualityRuleSet = .current) {
        self.options = .defaults(rules)
    }

    init(options: RuleOptions) {
        self.options = options
    }

    static func parsePairs(_ items: [String]?, key: String, p: StageParameters) throws -> [(Int, Double)]? {
        guard let items else { return nil }
        return try items.map { item in
            let parts = item.split(separator: ":")
            guard parts.count == 2, let n = Int(parts[0].trimmingSpaces), n >= 1, let f = Double(parts[1].trimmingSpaces), f >= 0 else {
                throw ConfigError("stage '\(p.stage)': '\(key)' entries are \"n:fraction\" (e.g. \"2:0.2\"), got '\(item)'", at: p.location(of: key))
            }
            return (n, f)
        }
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "gopher_repetition", kind: .filter,
        summary: "Gopher repetition rules (datatrove GopherRepetitionFilter): duplicate lines and paragraphs, top 2/3/4-gram characters, characters in repeated 5–10-grams. A fraction of 0 or null disables its rule.",
        parameters: [
            ParameterSpec("dup_line_frac", "number", default: "0.3", "maximum share of duplicate lines"),
            ParameterSpec("dup_para_frac", "number", default: "0.3", "maximum share of duplicate paragraphs"),
            ParameterSpec("dup_line_char_frac", "number", default: "0.2", "maximum characters in duplicate lines / document characters"),
            ParameterSpec("dup_para_char_frac", "number", default: "0.2", "maximum characters in duplicate paragraphs / document characters"),
            ParameterSpec("top_n_grams", "[string]", default: "[\"2:0.2\", \"3:0.18\", \"4:0.16\"]", "n:fraction — maximum characters of the most frequent n-gram"),
            ParameterSpec("dup_n_grams", "[string]", default: "[\"5:0.15\", \"6:0.14\", \"7:0.13\", \"8:0.12\", \"9:0.11\", \"10:0.1\"]", "n:fraction — maximum characters in repeated n-grams"),
        ] + RuleOptions.specs,
        dropReasons: [
            "empty", "dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac",
            "top_2_gram", "top_3_gram", "top_4_gram", "duplicated_5_n_grams", "duplicated_6_n_grams",
            "duplicated_7_n_grams", "duplicated_8_n_grams", "duplicated_9_n_grams", "duplicated_10_n_grams",
        ],
        make: { p in
            var f = GopherRepetitionFilter(options: try RuleOptions.read(p))
            f.dupLineFrac = try p.double("dup_line_frac", default: 0.3, min: 0)
            f.dupParaFrac = try p.double("dup_para_frac", default: 0.3, min: 0)
            f.dupLineCharFrac = try p.double("dup_line_char_frac", default: 0.2, min: 0)
            f.dupParaCharFrac = try p.double("dup_para_char_frac", default: 0.2, min: 0)
            if let t = try parsePairs(try p.strings("top_n_grams"), key: "top_n_grams", p: p) { f.topNGrams = t }
            if let d = try parsePairs(try p.strings("dup_n_grams"), key: "dup_n_grams", p: p) { f.dupNGrams = d }
            return f
        })

    static let p61: UInt64 = (1 << 61) - 1
    static let base: UInt64 = 0x1F_3A5C_9D27_1B83  // < 2^61 - 1

    @inline(__always) static func mod(_ x: UInt64) -> UInt64 {
        let y = (x & p61) &+ (x >> 61)
        return y >= p61 ? y &- p61 : y
    }

    /// a · b mod 2^61 − 1 (a, b < 2^61).
    @inline(__always) static func mulmod(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (hi, lo) = a.multipliedFullWidth(by: b)
        return mod((lo & p61) &+ ((lo >> 61) | (hi << 3)))
    }

    /// The verdict for one document.
    public func verdict(for document: Document, context: StageContext) -> Verdict {
        let scratch = context.local("gopher_repetition.scratch") { RuleScratch() }
        let cache = options.tokenCache(context)
        let text = document.text
        return text.withBytes { u in verdict(utf8: u, scratch: scratch) { cache.tokens(of: text, utf8: u, options.tokenizer) } }
    }

    /// (duplicate elements, their characters) over byte ranges, as datatrove's `find_duplicates`.
    static func findDuplicates(_ u: UnsafeBufferPointer<UInt8>, _ parts: [Range<Int>], seen: inout HashSlots) -> (Int, Int) {
        seen.reset(expected: parts.count)
        var dups = 0
        var chars = 0
        let raw = UnsafeRawBufferPointer(u)
        for r in parts {
            let h = StableHash.xxh64(UnsafeRawBufferPointer(rebasing: raw[r]))
            if !seen.slot(h).inserted {
                dups += 1
                chars += PythonText.scalarCount(u, r)
            }
        }
        return (dups, chars)
    }

    /// Splits `u[range]` at runs of at least `minRun` consecutive `\n` (re.split(r"\n{k,}")).
    static func splitNewlineRuns(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, minRun: Int, into out: inout [Range<Int>]) {
        out.removeAll(keepingCapacity: true)
        var start = range.lowerBound
        var i = range.lowerBound
        while i < range.upperBound {
            if u[i] == 0x0A {
                var j = i
                while j < range.upperBound && u[j] == 0x0A { j += 1 }
                if j - i >= minRun {
                    out.append(start..<i)
                    start = j
                }
                i = j
            } else {
                i += 1
            }
        }
        out.append(start..<range.upperBound)
    }

    /// `tokens` gives the text's words (called at most once, only when the word rules run).
    func verdict(utf8 u: UnsafeBufferPointer<UInt8>, scratch s: RuleScratch, tokens: () -> [TokenSpan]) -> Verdict {
        if u.isEmpty { return .drop(reason: "empty") }
        let textChars = Double(PythonText.scalarCount(u, 0..<u.count))

        Self.splitNewlineRuns(u, PythonText.strip(u, 0..<u.count), minRun: 2, into: &s.lines)
        var (dups, chars) = Self.findDuplicates(u, s.lines, seen: &s.seen)
        if let m = enabled(dupParaFrac), Double(dups) / Double(s.lines.count) > m { return .drop(reason: "dup_para_frac") }
        if let m = enabled(dupParaCharFrac), Double(chars) / textChars > m { return .drop(reason: "dup_para_char_frac") }

        Self.splitNewlineRuns(u, 0..<u.count, minRun: 1, into: &s.lines)
        (dups, chars) = Self.findDuplicates(u, s.lines, seen: &s.seen)
        if let m = enabled(dupLineFrac), Double(dups) / Double(s.lines.count) > m { return .drop(reason: "dup_line_frac") }
        if let m = enabled(dupLineCharFrac), Double(chars) / textChars > m { return .drop(reason: "dup_line_char_frac") }

        let words = tokens()
        let nw = words.count
        guard nw > 0 else { return .keep }
        // Words joined by a space (top n-grams) and by nothing (repeated n-grams): each n-gram is a
        // contiguous slice of one of these buffers. Character prefix sums per word.
        // Top n-grams compare words joined by a space; words never contain whitespace, so that is
        // equality of word tuples: an n-gram's key combines its words' xxHash values.
        // Repeated n-grams compare words joined with nothing: a polynomial hash (mod 2^61 − 1)
        // over the concatenated words, read in O(1) per n-gram from prefix hashes.
        // Buffers reused across documents (scratch); base powers are computed once per task.
        var wordHash = s.hashes
        var joinedStart = s.joinedStart
        var charPrefix = s.charPrefix
        var prefix = s.prefix
        var power = s.power
        s.hashes = []; s.joinedStart = []; s.charPrefix = []; s.prefix = []; s.power = []
        defer {
            s.hashes = wordHash; s.prefix = prefix; s.power = power
            s.joinedStart = joinedStart; s.charPrefix = charPrefix
        }
        wordHash.removeAll(keepingCapacity: true)
        joinedStart.removeAll(keepingCapacity: true)
        charPrefix.removeAll(keepingCapacity: true)
        wordHash.reserveCapacity(nw)
        joinedStart.reserveCapacity(nw + 1)
        charPrefix.reserveCapacity(nw + 1)
        charPrefix.append(0)
        var joinedLen = 0
        let raw = UnsafeRawBufferPointer(u)
        for t in words {
            wordHash.append(StableHash.xxh64(UnsafeRawBufferPointer(rebasing: raw[t.range])))
            joinedStart.append(joinedLen)
            joinedLen += t.end - t.start
            charPrefix.append(charPrefix[charPrefix.count - 1] + PythonText.scalarCount(u, t.range))
        }
        joinedStart.append(joinedLen)
        if power.isEmpty { power.append(1) }
        while power.count < joinedLen + 1 { power.append(Self.mulmod(power[power.count - 1], Self.base)) }
        prefix.removeAll(keepingCapacity: true)
        prefix.reserveCapacity(joinedLen + 1)
        prefix.append(0)
        var q = 0
        for t in words {
            for i in t.range {
                prefix.append(Self.mod(Self.mulmod(prefix[q], Self.base) &+ UInt64(u[i]) &+ 1))
                q += 1
            }
        }

        // Local copies: no exclusivity checks on the scratch object inside the loops.
        var table = s.table
        var slotCount = s.slotCount
        var slotFirst = s.slotFirst
        s.table = HashSlots(); s.slotCount = []; s.slotFirst = []
        defer {
            s.table = table
            s.slotCount = slotCount
            s.slotFirst = slotFirst
        }
        do {
            do {
                for (n, frac) in topNGrams {
                    guard nw - n + 1 > 0 else { continue }
                    // Counter.most_common(1): the highest count; ties go to the n-gram inserted first.
                    // Slots are numbered in insertion order.
                    table.reset(expected: nw - n + 1)
                    slotCount.removeAll(keepingCapacity: true)
                    slotFirst.removeAll(keepingCapacity: true)
                    for i in 0...(nw - n) {
                        var h = wordHash[i]
                        for k in 1..<n { h = ((h << 27) | (h >> 37)) &* 0x9E37_79B9_7F4A_7C15 ^ wordHash[i + k] }
                        let (slot, inserted) = table.slot(h)
                        if inserted {
                            slotCount.append(1)
                            slotFirst.append(i)
                        } else {
                            slotCount[slot] += 1
                        }
                    }
                    var best = 0
                    for k in 1..<slotCount.count where slotCount[k] > slotCount[best] { best = k }
                    let bestCount = slotCount[best]
                    let i0 = slotFirst[best]
                    let bestLen = charPrefix[i0 + n] - charPrefix[i0] + (n - 1)
                    if Double(bestLen * bestCount) / textChars > frac { return .drop(reason: "top_\(n)_gram") }
                }
                for (n, frac) in dupNGrams {
                    table.reset(expected: nw)
                    var repeated = 0
                    var idx = 0
                    while idx < nw - n + 1 {
                        let a = joinedStart[idx]
                        let b = joinedStart[idx + n]
                        let h = Self.mod(prefix[b] &+ Self.p61 &- Self.mulmod(prefix[a], power[b - a])) ^ (UInt64(b - a) << 61)
                        if !table.slot(h).inserted {
                            repeated += charPrefix[idx + n] - charPrefix[idx]
                            idx += n
                        } else {
                            idx += 1
                        }
                    }
                    if Double(repeated) / textChars > frac { return .drop(reason: "duplicated_\(n)_n_grams") }
                }
                return .keep
            }
        }
    }

}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
