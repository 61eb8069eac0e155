import Testing
import WinnowCore
import WinnowText
@testable import WinnowFilters

/// `gopher_repetition`'s n-gram passes group equal keys by partitioning them into cache-sized
/// buckets (``NGramGroups``). These tests compare the grouping with a dictionary on seeded key
/// sequences with heavy repetition (few distinct keys, runs, overlapping periodic patterns) at
/// sizes on both sides of every bucket-count step, and the filter's top-n-gram counts and greedy
/// repeated-n-gram walk with datatrove transcribed (exact shares, by setting the threshold at
/// and just below the oracle's share).
@Suite("gopher_repetition: n-grams grouped in cache-sized buckets")
struct NGramGroupsTests {
    // MARK: - Key sequences

    /// Keys with heavy repetition, one of several shapes chosen by `shape`.
    static func keys(_ n: Int, shape: Int, _ g: inout RuleRNG) -> [UInt64] {
        switch shape % 6 {
        case 0:  // few distinct keys, uniformly
            let v = Int.random(in: 1...8, using: &g)
            return (0..<n).map { _ in UInt64(Int.random(in: 0..<v, using: &g)) &* 0x9E37_79B9_7F4A_7C15 }
        case 1:  // runs of one key
            var out: [UInt64] = []
            while out.count < n {
                let k = UInt64.random(in: 0..<64, using: &g)
                out += Array(repeating: k, count: min(n - out.count, Int.random(in: 1...200, using: &g)))
            }
            return out
        case 2:  // a short period repeated (overlapping repeats), with rare mutations
            let period = Int.random(in: 1...7, using: &g)
            let base = (0..<period).map { _ in UInt64.random(in: 0...UInt64.max, using: &g) }
            return (0..<n).map { i in Int.random(in: 0..<50, using: &g) == 0 ? UInt64(i) << 32 : base[i % period] }
        case 3:  // small integers: keys that differ in the low bits only
            return (0..<n).map { _ in UInt64(Int.random(in: 0..<(n / 3 + 1), using: &g)) }
        case 4:  // keys that differ in the high bits only
            return (0..<n).map { _ in UInt64(Int.random(in: 0..<(n / 2 + 1), using: &g)) << 44 }
        default:  // mostly distinct, a share repeated from earlier
            var out: [UInt64] = []
            for _ in 0..<n {
                if !out.isEmpty && Bool.random(using: &g) { out.append(out.randomElement(using: &g)!) }
                else { out.append(UInt64.random(in: 0...UInt64.max, using: &g)) }
            }
            return out
        }
    }

    /// The inverse of ``NGramGroups/mix(_:)``: keys whose mixed forms are chosen, so a test can
    /// put thousands of distinct keys into one bucket.
    static func unmix(_ m: UInt64) -> UInt64 {
        var x = m ^ (m >> 32)
        // Inverse of the odd multiplier mod 2^64 (Newton's iteration).
        let c: UInt64 = 0xBF58_476D_1CE4_E5B9
        var inv = c
        for _ in 0..<6 { inv = inv &* (2 &- c &* inv) }
        x = x &* inv
        return x ^ (x >> 29) ^ (x >> 58)
    }

    /// Sizes on both sides of the steps from 1 to 2, 4 and 8 buckets, and a large one.
    static let sizes: [Int] = {
        let t = NGramGroups.bucketTarget
        return [0, 1, 2, 3, t - 1, t, t + 1, 2 * t, 2 * t + 1, 4 * t, 4 * t + 1, 8 * t + 3, 70_001]
    }()

    /// Checks `groups` after grouping `keys` against a dictionary: the ids partition the positions
    /// exactly as the keys do, group sizes, the most common group and the first of its ties, and
    /// datatrove's greedy walk for n = 1…10 (over ids and a bitmap, as the filter walks).
    static func check(_ keys: [UInt64], _ groups: NGramGroups, _ label: String) {
        var copy = keys
        copy.withUnsafeMutableBufferPointer { b in
            if let base = b.baseAddress { groups.group(base, count: b.count, ids: true) }
        }
        var countOf: [UInt64: Int] = [:]
        var firstOf: [UInt64: Int] = [:]
        for (i, k) in keys.enumerated() {
            countOf[k, default: 0] += 1
            if firstOf[k] == nil { firstOf[k] = i }
        }
        #expect(groups.groupCount == countOf.count, "\(label): groups")
        let best = countOf.values.max() ?? 0
        let bestFirst = countOf.filter { $0.value == best }.map { firstOf[$0.key]! }.min() ?? 0
        #expect(groups.bestCount == best, "\(label): most common count")
        #expect(groups.bestFirst == bestFirst, "\(label): first of the most common")
        guard !keys.isEmpty else { return }
        let (ids, _) = groups.walkBuffers()
        var idOf: [UInt64: UInt32] = [:]
        var keyOf: [UInt32: UInt64] = [:]
        var sizes: [UInt32: Int] = [:]
        var partition = true
        for (i, k) in keys.enumerated() {
            let id = ids[i]
            if Int(id) >= groups.groupCount { partition = false }
            if idOf[k, default: id] != id || keyOf[id, default: k] != k { partition = false }
            idOf[k] = id
            keyOf[id] = k
            sizes[id, default: 0] += 1
        }
        #expect(partition, "\(label): ids partition the positions as the keys do")
        #expect(sizes.values.sorted() == countOf.values.sorted(), "\(label): group sizes")
        for n in 1...10 {
            // find_all_duplicate over the raw keys, with a Set.
            var seenKeys = Set<UInt64>()
            var expected: [Int] = []
            var idx = 0
            while idx < keys.count - n + 1 {
                if seenKeys.insert(keys[idx]).inserted { idx += 1 } else { expected.append(idx); idx += n }
            }
            // The same walk over ids and a cleared bitmap.
            let (ids, seen) = groups.walkBuffers()
            var got: [Int] = []
            idx = 0
            while idx < keys.count - n + 1 {
                let g = Int(ids[idx])
                let bit: UInt64 = 1 << UInt64(g & 63)
                if seen[g >> 6] & bit != 0 { got.append(idx); idx += n } else { seen[g >> 6] |= bit; idx += 1 }
            }
            #expect(got == expected, "\(label): greedy walk, n = \(n)")
        }
    }

    @Test("grouping equals a dictionary on repetitive key sequences on both sides of each bucket step")
    func groupingMatchesDictionary() {
        var g = RuleRNG(seed: 41)
        let groups = NGramGroups()  // one object for all: buffers and stamps reused as in a task
        for size in Self.sizes {
            for shape in 0..<6 {
                Self.check(Self.keys(size, shape: shape, &g), groups, "size \(size) shape \(shape)")
            }
        }
    }

    @Test("thousands of distinct keys in one bucket, beside near-empty buckets")
    func crowdedBucket() {
        var g = RuleRNG(seed: 43)
        let groups = NGramGroups()
        let n = 6 * NGramGroups.bucketTarget + 5
        let bits = NGramGroups.bucketBits(n)
        #expect(bits >= 2)
        // Three quarters of the keys share their mixed top bits (one bucket), distinct but many
        // repeated; the rest spread out.
        let crowd = (0..<(n / 4)).map { _ in Self.unmix((UInt64.random(in: 0...UInt64.max, using: &g) >> bits) | (1 << 63)) }
        var keys: [UInt64] = []
        for _ in 0..<n {
            if Int.random(in: 0..<4, using: &g) > 0 { keys.append(crowd.randomElement(using: &g)!) }
            else { keys.append(UInt64.random(in: 0...UInt64.max, using: &g)) }
        }
        #expect(Set(keys.map { NGramGroups.mix($0) >> UInt64(64 - bits) }).count > 1)
        Self.check(keys, groups, "crowded")
        #expect(Self.unmix(NGramGroups.mix(0x0123_4567_89AB_CDEF)) == 0x0123_4567_89AB_CDEF)
    }

    // MARK: - Through the filter, against datatrove transcribed

    /// Words over a two-letter alphabet, one to three letters: n-grams repeat heavily and often
    /// join to the same string across different word boundaries (`ab a` and `a ba` → `aba`).
    static func tinyWords(_ n: Int, _ g: inout RuleRNG) -> [String] {
        (0..<n).map { _ in
            String((0..<Int.random(in: 1...3, using: &g)).map { _ in Bool.random(using: &g) ? "a" : "b" })
        }
    }

    /// Distinct words with runs and periodic stretches of a few words.
    static func runWords(_ n: Int, _ g: inout RuleRNG) -> [String] {
        var out: [String] = []
        while out.count < n {
            switch Int.random(in: 0..<3, using: &g) {
            case 0: out += (0..<Int.random(in: 1...40, using: &g)).map { _ in fillerWord(Int.random(in: 0...1_000_000, using: &g), length: 4) }
            case 1: out += Array(repeating: fillerWord(Int.random(in: 0..<30, using: &g)), count: Int.random(in: 2...60, using: &g))
            default:
                let period = (0..<Int.random(in: 2...6, using: &g)).map { _ in fillerWord(Int.random(in: 0..<30, using: &g), length: 3) }
                out += (0..<Int.random(in: 5...80, using: &g)).map { period[$0 % period.count] }
            }
        }
        return Array(out.prefix(n))
    }

    /// datatrove's `find_all_duplicate` characters for `n`.
    static func repeatedChars(_ words: [String], _ n: Int) -> Int {
        var seen = Set<String>()
        var repeated = 0
        var idx = 0
        while idx < words.count - n + 1 {
            let s = words[idx..<(idx + n)].joined()
            if seen.insert(s).inserted { idx += 1 } else { repeated += s.unicodeScalars.count; idx += n }
        }
        return repeated
    }

    /// The top n-gram's characters times its count (`Counter.most_common(1)`, ties to the first).
    static func topChars(_ words: [String], _ n: Int) -> Int {
        var count: [String: Int] = [:]
        var order: [String] = []
        for i in 0...(words.count - n) {
            let s = words[i..<(i + n)].joined(separator: " ")
            if let c = count[s] { count[s] = c + 1 } else { count[s] = 1; order.append(s) }
        }
        var top = order[0]
        for s in order where count[s]! > count[top]! { top = s }
        return top.unicodeScalars.count * count[top]!
    }

    /// A filter with only the given n-gram rules.
    static func only(top: [(Int, Double)] = [], dup: [(Int, Double)] = []) -> GopherRepetitionFilter {
        var f = GopherRepetitionFilter()
        f.dupParaFrac = nil; f.dupParaCharFrac = nil; f.dupLineFrac = nil; f.dupLineCharFrac = nil
        f.topNGrams = top
        f.dupNGrams = dup
        return f
    }

    @Test("repeated-n-gram characters and top-n-gram counts exact at and just below the threshold, across bucket steps")
    func exactShares() {
        var g = RuleRNG(seed: 47)
        let t = NGramGroups.bucketTarget
        let context = StageContext()  // one task: scratch reused from document to document
        var checked = 0
        for words in [t - 3, t + 4, 2 * t + 9, 4 * t + 10, 20_000] {
            for kind in 0..<2 {
                let w = kind == 0 ? Self.tinyWords(words, &g) : Self.runWords(words, &g)
                let text = w.joined(separator: " ")
                let len = Double(text.unicodeScalars.count)
                let f0 = Self.only()
                #expect(f0.options.tokenizer.words(text) == w, "the tokenizer keeps the words")
                for n in [2, 3, 4, 5, 7, 10] {
                    let share = Double(Self.repeatedChars(w, n)) / len
                    let top = Double(Self.topChars(w, n)) / len
                    let doc = Document(id: "w\(words)", text: text)
                    #expect(Self.only(dup: [(n, share)]).verdict(for: doc, context: context) == .keep, "\(words) words, kind \(kind), n \(n): repeated at the share")
                    if share > 0 {
                        #expect(Self.only(dup: [(n, share.nextDown)]).verdict(for: doc, context: context) == .drop(reason: "duplicated_\(n)_n_grams"),
                                "\(words) words, kind \(kind), n \(n): repeated just below the share")
                    }
                    #expect(Self.only(top: [(n, top)]).verdict(for: doc, context: context) == .keep, "\(words) words, kind \(kind), n \(n): top at the share")
                    #expect(Self.only(top: [(n, top.nextDown)]).verdict(for: doc, context: context) == .drop(reason: "top_\(n)_gram"),
                            "\(words) words, kind \(kind), n \(n): top just below the share")
                    checked += 1
                }
            }
        }
        #expect(checked == 60)
    }
}
