import WinnowCore
import WinnowText
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// A 64-bit key of the word `raw[a..<b]` (equal words, equal keys): words of up to 16 bytes
    /// that are not at the very end of the text are read as two 8-byte loads, masked to the
    /// word; longer ones (and those) go through xxHash.
    @inline(__always) static func wordKey(_ raw: UnsafeRawBufferPointer, _ a: Int, _ b: Int) -> UInt64 {
        let len = b - a
        guard len <= 16 && a + 16 <= raw.count else {
            return StableHash.xxh64(UnsafeRawBufferPointer(rebasing: raw[a..<b]))
        }
        var lo = raw.loadUnaligned(fromByteOffset: a, as: UInt64.self)
        var hi = raw.loadUnaligned(fromByteOffset: a + 8, as: UInt64.self)
        if len < 8 {
            lo &= (1 << UInt64(8 * len)) &- 1
            hi = 0
        } else if len < 16 {
            hi &= (1 << UInt64(8 * (len - 8))) &- 1
        }
        // The length separates words that differ only by trailing zero bytes; for one first half
        // and length the key is a bijection of the second half.
        return NGramGroups.mix(NGramGroups.mix(lo &+ UInt64(len) &* 0x9E37_79B9_7F4A_7C15) ^ hi)
    }

    /// Documents of up to this many words find their shared windows in a table of counts;
    /// longer ones group the windows (``NGramGroups``), which never probes outside the cache.
    static let countedWindows = 4096

    /// At most 2^15 slots (256 KB) in the top n-gram passes' bounding table.
    static let boundBits = 15

    /// Bytes of joined text whose equality at two word starts is a prefilter of repeated n-grams.
    static let window = 16

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

    /// Which of a duplicate pass's two rules decides: datatrove's `find_duplicates` followed by
    /// `dups / len(parts) > countFrac` (checked first) and `chars / textChars > charFrac`.
    enum DuplicateRule { case none, count, characters }

    /// The rule of a duplicate pass that drops the document, stopping as soon as it is known:
    /// the count rule as soon as the duplicates seen exceed its share (they only grow); the
    /// character rule once its share is exceeded *and* the count rule can no longer fire even if
    /// every remaining element were a duplicate; neither once the elements left (their bytes
    /// bound their characters) cannot lift either share over its threshold. `strictCharFrac`
    /// false makes the character rule fire at the threshold itself (`>=`, FineWeb v1).
    static func duplicateRule(_ u: UnsafeBufferPointer<UInt8>, _ parts: [Range<Int>], seen: inout HashSlots,
                              textChars: Double, countFrac: Double?, charFrac: Double?,
                              strictCharFrac: Bool = true) -> DuplicateRule {
        if countFrac == nil && charFrac == nil { return .none }
        @inline(__always) func over(_ c: Int, _ m: Double) -> Bool {
            strictCharFrac ? Double(c) / textChars > m : Double(c) / textChars >= m
        }
        let n = parts.count
        let nd = Double(n)
        seen.reset(expected: n)
        var dups = 0
        var chars = 0
        let raw = UnsafeRawBufferPointer(u)
        // `countCannotFire(d)`: even `d` duplicates in all keep the count rule silent.
        @inline(__always) func countCannotFire(_ d: Int) -> Bool {
            guard let m = countFrac else { return true }
            return !(Double(d) / nd > m)
        }
        for (k, r) in parts.enumerated() {
            let h = StableHash.xxh64(UnsafeRawBufferPointer(rebasing: raw[r]))
            if !seen.slot(h).inserted {
                dups += 1
                chars += PythonText.scalarCount(u, r)
                if let m = countFrac, Double(dups) / nd > m { return .count }
                if let m = charFrac, over(chars, m), countCannotFire(dups + (n - 1 - k)) { return .characters }
            } else if k & 255 == 255 {
                // Nothing left can fire either rule: stop reading.
                let rest = k + 1 < n ? parts[n - 1].upperBound - parts[k + 1].lowerBound : 0
                let charsQuiet = charFrac.map { !over(chars + rest, $0) } ?? true
                if charsQuiet && countCannotFire(dups + (n - 1 - k)) { return .none }
            }
        }
        if let m = countFrac, Double(dups) / nd > m { return .count }
        if let m = charFrac, over(chars, m) { return .characters }
        return .none
    }

    /// Splits `u[range]` at runs of at least `minRun` consecutive `\n` (re.split(r"\n{k,}")).
    static func splitNewlineRuns(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, minRun: Int, into out: inout [Range<Int>]) {
        out.removeAll(keepingCapacity: true)
        var start = range.lowerBound
        var i = range.lowerBound
        let end = range.upperBound
        while i < end, let base = u.baseAddress, let hit = memchr(base + i, 0x0A, end - i) {
            i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            var j = i
            while j < end && u[j] == 0x0A { j += 1 }
            if j - i >= minRun {
                out.append(start..<i)
                start = j
            }
            i = j
        }
        out.append(start..<end)
    }

    /// `tokens` gives the text's words (called at most once, only when the word rules run).
    func verdict(utf8 u: UnsafeBufferPointer<UInt8>, scratch s: RuleScratch, tokens: () -> [TokenSpan]) -> Verdict {
        if u.isEmpty { return .drop(reason: "empty") }
        let textChars = Double(PythonText.scalarCount(u, 0..<u.count))

        Self.splitNewlineRuns(u, PythonText.strip(u, 0..<u.count), minRun: 2, into: &s.lines)
        switch Self.duplicateRule(u, s.lines, seen: &s.seen, textChars: textChars,
                                  countFrac: enabled(dupParaFrac), charFrac: enabled(dupParaCharFrac)) {
        case .count: return .drop(reason: "dup_para_frac")
        case .characters: return .drop(reason: "dup_para_char_frac")
        case .none: break
        }

        Self.splitNewlineRuns(u, 0..<u.count, minRun: 1, into: &s.lines)
        switch Self.duplicateRule(u, s.lines, seen: &s.seen, textChars: textChars,
                                  countFrac: enabled(dupLineFrac), charFrac: enabled(dupLineCharFrac)) {
        case .count: return .drop(reason: "dup_line_frac")
        case .characters: return .drop(reason: "dup_line_char_frac")
        case .none: break
        }

        let words = tokens()
        let nw = words.count
        guard nw > 0 else { return .keep }
        // Top n-grams compare words joined by a space; words never contain whitespace, so that is
        // equality of word tuples: an n-gram's key combines its words' xxHash values. Character
        // prefix sums per word give any n-gram's length. Buffers are reused across documents
        // (scratch); local copies avoid exclusivity checks on the scratch object in the loops.
        var wordHash = s.hashes
        var charPrefix = s.charPrefix
        s.hashes = []; s.charPrefix = []
        defer { s.hashes = wordHash; s.charPrefix = charPrefix }
        // Sized once, then written through pointers: a per-word `append` costs a uniqueness
        // check of the array each time.
        wordHash.removeAll(keepingCapacity: true)
        charPrefix.removeAll(keepingCapacity: true)
        wordHash.append(contentsOf: repeatElement(0, count: nw))
        charPrefix.append(contentsOf: repeatElement(0, count: nw + 1))
        let raw = UnsafeRawBufferPointer(u)
        var wordChars = 0
        let ascii = Int(textChars) == u.count  // then every word's characters are its bytes
        wordHash.withUnsafeMutableBufferPointer { wh in
            charPrefix.withUnsafeMutableBufferPointer { cp in
                for (i, t) in words.enumerated() {
                    wh[i] = Self.wordKey(raw, t.start, t.end)
                    wordChars += ascii ? t.end - t.start : wordScalarCount(u, t)
                    cp[i + 1] = wordChars
                }
            }
        }
        // Each pass writes its n-gram keys, then groups equal keys (``NGramGroups``: partitioned
        // into cache-sized buckets, so no probe into a table larger than the cache).
        let groups = s.groups
        let keys = s.keys.reserve(nw)

        // The key of the n-gram at word i: its words' hashes combined.
        @inline(__always) func key(_ i: Int, _ n: Int) -> UInt64 {
            var h = wordHash[i]
            for k in 1..<n { h = ((h << 27) | (h >> 37)) &* 0x9E37_79B9_7F4A_7C15 ^ wordHash[i + k] }
            return h
        }
        // (n, the highest count among n-grams) of the passes run: an n-gram occurs at most as
        // often as its first m < n words, so a later pass is skipped when even that count times
        // the longest n-gram cannot exceed its share.
        var known: (n: Int, maxCount: Int)? = nil
        for (n, frac) in topNGrams {
            guard nw - n + 1 > 0 else { continue }
            if let k = known, k.n < n {
                var longest = 0
                for i in 0...(nw - n) { longest = max(longest, charPrefix[i + n] - charPrefix[i]) }
                if !(Double(k.maxCount * (longest + n - 1)) / textChars > frac) { continue }
            }
            // First an upper bound, in one pass: each key lands in a slot of a table of at least
            // two slots per n-gram (equal keys in the same slot), which keeps its count and its
            // longest n-gram. The most frequent n-gram's count times its length is at most its
            // slot's count times that slot's longest, so when no slot can exceed the share
            // neither can it, and the exact grouping is skipped (on natural text it nearly
            // always is). The largest slot count bounds every n-gram's count for the passes after.
            var bits = 4
            while (1 << bits) < 2 * (nw - n + 1) && bits < Self.boundBits { bits += 1 }
            let slots = s.topBound.reserve(1 << bits)
            slots.initialize(repeating: 0, count: 1 << bits)
            let shift = UInt64(64 - bits)
            var worst = 0
            var maxSlotCount = 0
            for i in 0...(nw - n) {
                let k = key(i, n)
                keys[i] = k
                let j = Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> shift)
                let len = UInt64(charPrefix[i + n] - charPrefix[i] + (n - 1))
                // count in the high half, longest n-gram in the low half
                var e = slots[j] &+ (1 << 32)
                if len > e & 0xFFFF_FFFF { e = e & ~0xFFFF_FFFF | min(len, 0xFFFF_FFFF) }
                slots[j] = e
                let c = Int(e >> 32)
                worst = max(worst, c * Int(e & 0xFFFF_FFFF))
                maxSlotCount = max(maxSlotCount, c)
            }
            if !(Double(worst) / textChars > frac) {
                if known.map({ $0.n < n }) ?? true { known = (n, maxSlotCount) }
                continue
            }
            // Counter.most_common(1): the highest count; ties go to the n-gram seen first.
            groups.group(keys, count: nw - n + 1, ids: false)
            let bestCount = groups.bestCount
            let i0 = groups.bestFirst
            if known.map({ $0.n < n }) ?? true { known = (n, bestCount) }
            let bestLen = charPrefix[i0 + n] - charPrefix[i0] + (n - 1)
            if Double(bestLen * bestCount) / textChars > frac { return .drop(reason: "top_\(n)_gram") }
        }

        // Repeated n-grams compare words joined with nothing. Two equal n-grams (n ≥ 5) of at
        // least 16 joined bytes begin with the same 16 bytes of the joined text, so a position
        // whose 16-byte window is shared with no other word start holds an n-gram that occurs
        // nowhere else: the greedy walk passes it (step 1) and nothing ever finds it again. Only
        // the other positions (shared windows, or n-grams under 16 bytes) are hashed and
        // grouped, each pass; on natural text they are few.
        let enabledDup = dupNGrams.filter { n, frac in
            // Repeated characters never exceed the words' characters: such a rule cannot fire.
            n >= 1 && nw - n + 1 > 0 && Double(wordChars) / textChars > frac
        }
        if enabledDup.isEmpty { return .keep }
        var joined = s.bytes
        var joinedStart = s.joinedStart
        s.bytes = []; s.joinedStart = []
        defer { s.bytes = joined; s.joinedStart = joinedStart }
        // The words' bytes back to back, then `window` zero bytes (the last windows' padding).
        // A word of up to 16 bytes is copied as two 8-byte stores (its bytes and whatever follows
        // it in the text; the next word, or the padding, overwrites the excess).
        var joinedLen = 0
        for t in words { joinedLen += t.end - t.start }
        joined.removeAll(keepingCapacity: true)
        joined.append(contentsOf: repeatElement(0, count: joinedLen + Self.window + 16))
        joinedStart.removeAll(keepingCapacity: true)
        joinedStart.append(contentsOf: repeatElement(0, count: nw + 1))
        joined.withUnsafeMutableBytes { j in
            joinedStart.withUnsafeMutableBufferPointer { js in
                var at = 0
                for (i, t) in words.enumerated() {
                    js[i] = at
                    let len = t.end - t.start
                    if len <= 16 && t.start + 16 <= raw.count {
                        j.storeBytes(of: raw.loadUnaligned(fromByteOffset: t.start, as: UInt64.self), toByteOffset: at, as: UInt64.self)
                        j.storeBytes(of: raw.loadUnaligned(fromByteOffset: t.start + 8, as: UInt64.self), toByteOffset: at + 8, as: UInt64.self)
                    } else {
                        UnsafeMutableRawBufferPointer(rebasing: j[at..<(at + len)]).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[t.range]))
                    }
                    at += len
                }
                js[nw] = at
                UnsafeMutableRawBufferPointer(rebasing: j[at...]).initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
        let shared = s.shared.reserve(nw)
        let windowKeys = s.windowKeys.reserve(nw)  // kept: the passes below read them again
        joined.withUnsafeBytes { j in
            for i in 0..<nw {
                let at = joinedStart[i]
                let lo = j.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                let hi = j.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self)
                let len = UInt64(min(Self.window, joinedLen - at))
                let m = lo &* 0x9E37_79B9_7F4A_7C15 ^ hi
                keys[i] = ((m << 31) | (m >> 33)) &* 0xC2B2_AE3D_27D4_EB4F ^ len
                windowKeys[i] = keys[i]
            }
        }
        if nw <= Self.countedWindows {
            // Up to a few thousand words: saturating counts in a table of 16 slots per word
            // (≤ 64 KB, in cache). A window that occurs twice has a count of two; one that only
            // shares its slot with another becomes a candidate too, which each pass checks
            // exactly.
            let counts = KeyCounts(&s.windowCounts, keys: nw, slotsPerKey: 16)
            for i in 0..<nw { counts.add(keys[i]) }
            for i in 0..<nw { shared[i] = counts.repeated(keys[i]) ? 1 : 0 }
        } else {
            groups.group(keys, count: nw, ids: true)
            let (windowIds, _) = groups.walkBuffers()
            let sizes = groups.groupSizes()
            for i in 0..<nw { shared[i] = sizes[Int(windowIds[i])] > 1 ? 1 : 0 }
        }

        // The candidates of the smallest n hold those of every larger n (an n-gram is at least as
        // long as the shorter one at the same start): one scan of all positions, then of these.
        let nMin = enabledDup.map(\.0).min() ?? 1
        // Positions are kept without a branch (one store each, the count moves when kept): which
        // ones are kept is unpredictable, and a mispredicted branch per word cost more than the store.
        let widest = s.widest.reserve(nw)
        let candidates = s.positions.reserve(nw)
        var widestCount = 0
        joinedStart.withUnsafeBufferPointer { js in
            for i in 0..<(nw - nMin + 1) {
                widest[widestCount] = i
                widestCount += Int(shared[i] | (js[i + nMin] - js[i] < Self.window ? 1 : 0))
            }
        }
        for (n, frac) in enabledDup {
            // datatrove's find_all_duplicate over the candidates alone, stopping once the share
            // is exceeded (it only grows).
            let count = nw - n + 1
            var candidateCount = 0
            joinedStart.withUnsafeBufferPointer { js in
                for w in 0..<widestCount {
                    let i = widest[w]
                    if i >= count { break }  // positions ascend
                    candidates[candidateCount] = i
                    candidateCount += Int(shared[i] | (js[i + n] - js[i] < Self.window ? 1 : 0))
                }
            }
            if candidateCount == 0 { continue }
            // The candidates' keys, hashing as few n-grams whole as possible:
            // - under 16 bytes, the n-gram is its window's first bytes: those bytes and the length
            //   are the key (``wordKey``'s exact form over the zero-padded joined text);
            // - otherwise two equal n-grams have the same window and the same length, so an
            //   n-gram whose (window, length) no other candidate has occurs once, and that pair
            //   is its key; only the others (repeated phrases) are hashed whole with xxHash.
            // Saturating counts of the keys in a table of at least 16 slots per candidate: a
            // pair that merely shares a slot is hashed whole too, which is exact, just slower.
            let pairCounts = KeyCounts(&s.windowCounts, keys: candidateCount, slotsPerKey: 16)
            var bound = 0
            let hashed: Bool = joined.withUnsafeBytes { j in
                joinedStart.withUnsafeBufferPointer { js in
                    for c in 0..<candidateCount {
                        let i = candidates[c]
                        let len = js[i + n] - js[i]
                        let k = len < Self.window
                            ? Self.wordKey(j, js[i], js[i + n])
                            : NGramGroups.mix(windowKeys[i] ^ UInt64(len) &* 0xC2B2_AE3D_27D4_EB4F)
                        keys[c] = k
                        pairCounts.add(k)
                    }
                    // The walk counts an n-gram's characters only when it meets the n-gram again,
                    // so only candidates whose key occurs twice can add to the share: when even
                    // all of them cannot lift it over the threshold, this pass cannot fire.
                    for c in 0..<candidateCount where pairCounts.repeated(keys[c]) {
                        let i = candidates[c]
                        bound += charPrefix[i + n] - charPrefix[i]
                    }
                    if !(Double(bound) / textChars > frac) { return false }
                    for c in 0..<candidateCount {
                        let i = candidates[c]
                        let len = js[i + n] - js[i]
                        if len >= Self.window && pairCounts.repeated(keys[c]) {
                            keys[c] = StableHash.xxh64(UnsafeRawBufferPointer(rebasing: j[js[i]..<js[i + n]]))
                        }
                    }
                    return true
                }
            }
            if !hashed { continue }
            groups.group(keys, count: candidateCount, ids: true)
            let (ids, seen) = groups.walkBuffers()
            var repeated = 0
            var idx = 0
            for c in 0..<candidateCount where candidates[c] >= idx {
                let i = candidates[c]
                // Positions idx..<i hold n-grams found nowhere else: the walk steps over them.
                let g = Int(ids[c])
                let bit: UInt64 = 1 << UInt64(g & 63)
                if seen[g >> 6] & bit != 0 {
                    repeated += charPrefix[i + n] - charPrefix[i]
                    if Double(repeated) / textChars > frac { return .drop(reason: "duplicated_\(n)_n_grams") }
                    idx = i + n
                } else {
                    seen[g >> 6] |= bit
                    idx = i + 1
                }
            }
        }
        return .keep
    }

}

/// Saturating counts (0, 1, 2 for two or more) of 64-bit keys in a table of at least
/// `slotsPerKey` slots per key, reused across documents: a key counted twice is repeated; one
/// that only shares its slot with another reads as repeated too (callers then check exactly).
struct KeyCounts {
    let counts: UnsafeMutablePointer<UInt8>
    let shift: UInt64

    init(_ buffer: inout Growable<UInt8>, keys n: Int, slotsPerKey: Int) {
        var bits = 4
        while (1 << bits) < slotsPerKey * n { bits += 1 }
        counts = buffer.reserve(1 << bits)
        counts.initialize(repeating: 0, count: 1 << bits)
        shift = UInt64(64 - bits)
    }

    @inline(__always) func slot(_ k: UInt64) -> Int { Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    @inline(__always) func add(_ k: UInt64) {
        let q = slot(k)
        if counts[q] < 2 { counts[q] += 1 }
    }

    @inline(__always) func repeated(_ k: UInt64) -> Bool { counts[slot(k)] > 1 }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
