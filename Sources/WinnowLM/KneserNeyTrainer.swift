#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO
import WinnowText

/// Trains an interpolated modified Kneser-Ney n-gram model as KenLM's `lmplz` does (Heafield et
/// al. 2013; Chen & Goodman 1998).
///
/// Each sentence is `<s> w1 … wk </s>`. Adjusted counts: the highest order and n-grams starting
/// with `<s>` keep their raw counts; every other n-gram counts its distinct left extensions.
/// Per order n, discounts D1, D2, D3+ come from the count-of-counts t1…t4 of adjusted counts:
/// Y = t1 / (t1 + 2·t2), D_k = k − (k+1)·Y·t_{k+1}/t_k. Then
/// p(w | h) = (a(hw) − D(a(hw))) / Σ_x a(hx) + γ(h)·p(w | h′) with
/// γ(h) = (D1·N1(h•) + D2·N2(h•) + D3+·N3+(h•)) / Σ_x a(hx), h′ = h without its first word, and
/// unigrams interpolated with the uniform distribution over the vocabulary without `<s>` (so
/// `<unk>` gets γ(ε)/|V|). `<s>` gets p = 1 (log10 0) and its γ as backoff, as lmplz 0.3.0 writes it
///
/// Counting is in memory, in hash tables of exact id sequences (about 40 bytes per distinct
/// n-gram). With ``Options/memoryLimit`` and ``Options/spillFolder``, ``spillIfNeeded()`` writes
/// the counts held to sorted runs once they pass the limit, and estimation then streams merged
/// runs through external sorts as lmplz does (see `KneserNeyStream.swift`): memory stays about
/// the limit plus about 100 bytes per vocabulary word, and the ARPA is byte-identical to the
/// in-memory build's. ARPA sections list n-grams in suffix order (by the last word, then the
/// one before, …), the same for both.
public struct KneserNeyTrainer {
    /// Training options.
    public struct Options: Sendable {
        /// Discounts used for an order whose count-of-counts give an invalid discount (lmplz's
        /// `--discount_fallback`: 0.5, 1, 1.5); nil makes such a corpus an error, as lmplz does.
        public var discountFallback: [Double]?
        /// Discounts D1, D2, D3+ for every order instead of estimated ones (tests, tiny corpora).
        public var fixedDiscounts: [Double]?
        /// Approximate bound on memory in bytes (counts, sort buffers; the vocabulary comes on top
        /// when it alone exceeds it); nil is unbounded. Going past it spills (see ``spillFolder``).
        public var memoryLimit: Int?
        /// The folder the trainer creates (with a marker file) for spilled runs when counts pass
        /// ``memoryLimit``, and removes when the model is written. It must not exist, be empty,
        /// or be one a stopped run left (it carries the marker); nil: ``spillIfNeeded()`` throws
        /// when the limit is passed.
        public var spillFolder: String?
        /// lmplz's `--prune`: per order (1, 2, …), n-grams whose raw count is at most the
        /// threshold are left out of the model and their mass goes to their context's backoff.
        /// Non-decreasing, the first 0; the last value applies to the remaining orders. Empty: none.
        public var prune: [UInt64]

        /// Creates options.
        public init(
            discountFallback: [Double]? = nil, fixedDiscounts: [Double]? = nil, memoryLimit: Int? = nil, spillFolder: String? = nil,
            prune: [UInt64] = []
        ) {
            self.discountFallback = discountFallback
            self.fixedDiscounts = fixedDiscounts
            self.memoryLimit = memoryLimit
            self.spillFolder = spillFolder
            self.prune = prune
        }

        /// The pruning threshold of order n (1-based); 0 means no pruning.
        func threshold(_ n: Int) -> UInt64 { prune.isEmpty ? 0 : prune[min(n, prune.count) - 1] }
    }

    /// The model order.
    public let order: Int
    /// The options.
    public var options: Options
    var vocab = WordTable()
    /// Index n−2: the order-n table (n = 2…N). Before ``estimate()`` order N holds raw counts and
    /// lower orders only n-grams starting with `<s>` (raw counts).
    var tables: [GramTable]
    /// Raw unigram counts (used when N = 1).
    var unigramRaw: [UInt64] = [0, 0, 0]
    var scratch: [UInt32] = []
    /// Sentences added.
    public private(set) var sentences = 0
    /// Tokens added, counting `</s>` once per sentence.
    public private(set) var tokens = 0
    /// Runs spilled so far (nil until the first spill).
    var spill: SpillState?

    /// Runs of counts written by ``spillIfNeeded()``.
    final class SpillState {
        let folder: SpillFolder
        /// Index n−2: the order-n runs, each sorted in suffix order, records of n ids, the count
        /// twice (adjusted and raw: the same here).
        var runs: [[String]]

        init(folder: SpillFolder, orders: Int) {
            self.folder = folder
            runs = Array(repeating: [], count: orders)
        }
    }

    /// Runs spilled so far (0 when counting stayed in memory).
    public var spilledRuns: Int { spill?.runs.reduce(0) { $0 + $1.count } ?? 0 }

    /// Creates a trainer for models of order `order` (1 or more).
    public init(order: Int, options: Options = Options()) {
        precondition(order >= 1, "order must be at least 1")
        precondition(options.prune.isEmpty || (options.prune[0] == 0 && options.prune.count <= order
            && zip(options.prune, options.prune.dropFirst()).allSatisfy { $0 <= $1 }),
            "prune thresholds must start at 0, not decrease and not exceed the order")
        self.order = order
        self.options = options
        tables = (2..<(order + 1)).map { GramTable(n: $0) }
        if order >= 2, options.memoryLimit != nil { tables[order - 2] = reservedTopTable() }
    }

    /// With a memory limit: an empty top-order table whose arrays have room for what the limit
    /// leaves after the vocabulary (4n + 16 bytes an entry, plus up to 12 for its hash slots), so
    /// counting never reallocates them (a reallocation holds old and new arrays at once).
    func reservedTopTable() -> GramTable {
        GramTable(n: order, reserving: max(countBudget / (4 * order + 28), 1024))
    }

    /// Bytes the count tables may hold: what the limit leaves after the vocabulary, at least a
    /// quarter of the limit (a vocabulary that outgrows the limit comes on top of it).
    var countBudget: Int {
        let limit = options.memoryLimit ?? 0
        return max(limit - vocabularyBytes, limit / 4)
    }

    /// Approximate bytes held by the counts.
    public var memoryUsed: Int { tables.reduce(0) { $0 + $1.bytes } + vocabularyBytes }

    /// Approximate bytes held per vocabulary word (its table entry and raw count).
    var vocabularyBytes: Int { unigramRaw.capacity * 8 + vocab.count * 40 }

    /// Writes the n-gram counts held to sorted runs when ``memoryUsed`` passes
    /// ``Options/memoryLimit`` (creating ``Options/spillFolder`` at the first spill); does
    /// nothing without a limit or for order 1. Call it between sentences, as often as the
    /// limit should be kept (the counting CLI calls it after each document).
    /// - Throws: ``LMError`` when the limit is passed and there is no spill folder, or the folder
    ///   is not Winnow's; ``FileError`` when a run cannot be written.
    public mutating func spillIfNeeded() throws {
        guard options.memoryLimit != nil, order >= 2, tables.contains(where: { $0.count > 0 }) else { return }
        // Spill before the next growth of the top table's slots (2× its slot bytes for a moment)
        // or of its arrays (past the reserved room) could pass the budget.
        let top = tables[order - 2]
        let held = tables.reduce(0) { $0 + $1.bytes }
        guard held + 2 * top.slotBytes > countBudget || top.count + 4096 >= top.reservedEntries else { return }
        try spillTables()
    }

    /// Once counts were spilled: writes the counts still held as runs too and frees their memory,
    /// so estimation (``writeARPA(to:)``, ``build()``) runs within the limit. Does nothing when
    /// nothing was spilled.
    public mutating func spillRemaining() throws {
        guard spill != nil, tables.contains(where: { $0.count > 0 }) else { return }
        try spillTables(reserving: false)
    }

    /// Writes every non-empty table as a sorted run and empties it.
    mutating func spillTables(reserving: Bool = true) throws {
        if spill == nil {
            guard let folder = options.spillFolder else {
                throw LMError("counting needs more than the memory limit (\(memoryUsed >> 20) MiB after \(sentences) sentences) and no spill folder was given")
            }
            spill = SpillState(folder: try SpillFolder(creating: folder), orders: tables.count)
        }
        guard let spill else { return }
        for i in tables.indices where tables[i].count > 0 {
            let k = i + 2
            let t = tables[i]
            let out = try RecordWriter(path: spill.folder.file("count\(k)"), width: k + 4)
            let p = UnsafeMutablePointer<UInt32>.allocate(capacity: k + 4)
            defer { p.deallocate() }
            for e in t.sortedIndices(.suffix) {
                t.withGram(Int(e)) { g in p.update(from: g, count: k) }
                put64(p, k, t.counts[Int(e)])
                put64(p, k + 2, t.counts[Int(e)])
                try out.append(p)
            }
            try out.finish()
            spill.runs[i].append(out.path)
            tables[i] = GramTable(n: k)
        }
        if reserving && options.memoryLimit != nil { tables[order - 2] = reservedTopTable() }
    }

    /// Removes the spill folder (after a failure; writing the model removes it by itself).
    public func removeSpillFolder() throws { try spill?.folder.removeAll() }

    /// Adds one sentence of words (already normalised; compared byte for byte).
    public mutating func add(sentence: [Substring]) {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(NGramModel.bosID)
        for w in sentence {
            let id: UInt32
            if let r = w.utf8.withContiguousStorageIfAvailable({ vocab.id(UnsafeRawBufferPointer($0)) }) {
                id = r
            } else {
                var s = String(w)
                id = s.withUTF8 { vocab.id(UnsafeRawBufferPointer($0)) }
            }
            scratch.append(id)
        }
        scratch.append(NGramModel.eosID)
        addIDs()
    }

    /// Adds one sentence given as UTF-8 bytes, split on ASCII whitespace (no normalisation);
    /// a line without words is skipped. Returns whether it had words.
    @discardableResult
    public mutating func add(line bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(NGramModel.bosID)
        CCNetNormalizer.forEachWord(bytes) { r in scratch.append(vocab.id(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[r])))) }
        if scratch.count == 1 { return false }
        scratch.append(NGramModel.eosID)
        addIDs()
        return true
    }

    private mutating func addIDs() {
        sentences += 1
        tokens += scratch.count - 1
        let len = scratch.count
        while unigramRaw.count < vocab.count { unigramRaw.append(0) }
        let n = order
        scratch.withUnsafeBufferPointer { s in
            let p = s.baseAddress!
            for i in 1..<len { unigramRaw[Int(p[i])] += 1 }
            guard n >= 2 else { return }
            // n-grams starting with <s> below the top order keep raw counts.
            var k = 2
            while k < n && k <= len {
                tables[k - 2].add(p, key: NGramHash.key(of: UnsafeBufferPointer(start: p, count: k)), count: 1)
                k += 1
            }
            if len >= n {
                for start in 0...(len - n) {
                    tables[n - 2].add(p + start, key: NGramHash.key(of: UnsafeBufferPointer(start: p + start, count: n)), count: 1)
                }
            }
        }
    }

    // MARK: - Estimation

    /// The estimated model: words, and per order the n-grams with log10 p and log10 backoff.
    struct Estimate {
        var words: WordTable
        var unigramProb: [Double]     // linear; <s> is 0 here and log10 0 (p = 1) in the output, as lmplz
        var unigramBackoff: [Double]  // linear γ; 1 when the word is no context
        var tables: [GramTable]       // adjusted counts
        var prob: [[Double]]          // index n−2, per entry, linear
        var backoff: [[Double]]       // index n−2, per entry, linear γ (1 when no context)
        var isContext: [[Bool]]
        var pruned: [[Bool]]          // index n−2, per entry: left out of the model
        var unigramIsContext: [Bool]
        var discounts: [[Double]]     // per order (index n−1): D1, D2, D3+
    }

    /// Discounts D1, D2, D3+ from count-of-counts t1…t4.
    func discounts(_ t: [UInt64], order n: Int) throws -> [Double] {
        if let fixed = options.fixedDiscounts { return fixed }
        let fallback = options.discountFallback
        let t1 = Double(t[1]), t2 = Double(t[2]), t3 = Double(t[3]), t4 = Double(t[4])
        let y = t1 / (t1 + 2 * t2)
        let d = [1 - 2 * y * t2 / t1, 2 - 3 * y * t3 / t2, 3 - 4 * y * t4 / t3]
        for (k, v) in d.enumerated() where !(v > 0 && v < Double(k + 1)) || !v.isFinite {
            if let fallback { return fallback }
            throw LMError(
                "order-\(n) discount D\(k + 1) = \(v) is out of range (count-of-counts t1…t4 = \(t[1...4].map(String.init).joined(separator: ", "))): the corpus is too small or not natural text; pass a discount fallback (--discount-fallback) to use 0.5, 1, 1.5")
        }
        return d
    }

    func estimate() throws -> Estimate {
        let n = order
        let v = vocab.count
        var tables = self.tables
        var adjusted = [UInt64](repeating: 0, count: v)
        // Raw counts of every n-gram (for pruning): the top order's and <s>-started ones are the
        // counts themselves; any other n-gram's is the sum over its left extensions.
        var raw: [[UInt64]] = tables.map(\.counts)
        // Index n−2, per order-n entry (n ≥ 3): where its suffix and its context sit one order down.
        var suffixIndex: [[UInt32]] = Array(repeating: [], count: tables.count)
        var contextIndex: [[UInt32]] = Array(repeating: [], count: tables.count)
        // Adjusted counts: continuation counts from the order above.
        if n == 1 {
            for i in 0..<min(v, unigramRaw.count) { adjusted[i] = unigramRaw[i] }
        } else {
            var k = n - 1
            while k >= 1 {
                let above = tables[k - 1]
                if k >= 2 { suffixIndex[k - 1].reserveCapacity(above.count) }
                for e in 0..<above.count {
                    above.withGram(e) { g in
                        if k == 1 {
                            adjusted[Int(g[1])] += 1
                        } else {
                            let suffix = g + 1
                            let i = tables[k - 2].add(suffix, key: NGramHash.key(of: UnsafeBufferPointer(start: suffix, count: k)), count: 1)
                            if i == raw[k - 2].count { raw[k - 2].append(0) }
                            raw[k - 2][i] += raw[k - 1][e]
                            suffixIndex[k - 1].append(UInt32(i))
                        }
                    }
                }
                k -= 1
            }
        }
        adjusted[Int(NGramModel.bosID)] = 0
        let pruned: [[Bool]] = raw.enumerated().map { i, r in
            let t = options.threshold(i + 2)
            return t == 0 ? [Bool](repeating: false, count: r.count) : r.map { $0 <= t }
        }
        // Discounts from count-of-counts.
        var discounts: [[Double]] = []
        var coc = [UInt64](repeating: 0, count: 5)
        for c in adjusted where c >= 1 && c <= 4 { coc[Int(c)] += 1 }
        discounts.append(try self.discounts(coc, order: 1))
        for k in stride(from: 2, through: n, by: 1) {
            coc = [0, 0, 0, 0, 0]
            for c in tables[k - 2].counts where c >= 1 && c <= 4 { coc[Int(c)] += 1 }
            discounts.append(try self.discounts(coc, order: k))
        }
        // Context sums and N1, N2, N3+ per context; γ per context.
        // With pruning (as lmplz): the sum counts every extension, N1/N2/N3+ only the kept ones,
        // and the pruned extensions' adjusted counts go to γ whole.
        var uniStats = [ContextStats](repeating: ContextStats(), count: v)
        var ctxStats: [[ContextStats]] = tables.map { Array(repeating: ContextStats(), count: $0.count) }
        for k in stride(from: 2, through: n, by: 1) {
            let t = tables[k - 2]
            for e in 0..<t.count {
                let c = t.counts[e]
                let isPruned = pruned[k - 2][e]
                let ctx: Int
                if k == 2 {
                    ctx = t.withGram(e) { Int($0[0]) }
                } else {
                    ctx = t.withGram(e) { g in tables[k - 3].find(g, key: NGramHash.key(of: UnsafeBufferPointer(start: g, count: k - 1)))! }
                    contextIndex[k - 2].append(UInt32(ctx))
                }
                if k == 2 { uniStats[ctx].add(c, pruned: isPruned) } else { ctxStats[k - 3][ctx].add(c, pruned: isPruned) }
            }
        }
        let (uniProb, uniBackoff, uniIsContext) = Self.unigrams(adjusted: adjusted, stats: uniStats, discounts: discounts)
        // Higher orders, ascending, each interpolated with the one below.
        var prob: [[Double]] = []
        var backoff: [[Double]] = []
        var isContext: [[Bool]] = []
        for k in stride(from: 2, through: n, by: 1) {
            let t = tables[k - 2]
            let d = discounts[k - 1]
            var p = [Double](repeating: 0, count: t.count)
            for e in 0..<t.count {
                let c = t.counts[e]
                let (ctxSum, ctxGamma, lower): (UInt64, Double, Double) = t.withGram(e) { g in
                    if k == 2 {
                        return (uniStats[Int(g[0])].sum, uniBackoff[Int(g[0])], uniProb[Int(g[1])])
                    }
                    let ci = Int(contextIndex[k - 2][e])
                    return (ctxStats[k - 3][ci].sum, backoff[k - 3][ci], prob[k - 3][Int(suffixIndex[k - 2][e])])
                }
                p[e] = Self.interpolate(c, d, ctxSum, ctxGamma, lower)
            }
            prob.append(p)
            if k < n {
                let dUp = discounts[k]
                backoff.append(ctxStats[k - 2].map { $0.sum > 0 ? Self.gamma(dUp, $0) : 1 })
                isContext.append(ctxStats[k - 2].map { $0.sum > 0 })
            } else {
                backoff.append([Double](repeating: 1, count: t.count))
                isContext.append([Bool](repeating: false, count: t.count))
            }
        }
        return Estimate(
            words: vocab, unigramProb: uniProb, unigramBackoff: uniBackoff, tables: tables, prob: prob, backoff: backoff,
            isContext: isContext, pruned: pruned, unigramIsContext: uniIsContext, discounts: discounts)
    }

    /// D(c): D1, D2 or D3+ (0 for c = 0).
    @inline(__always) static func discount(_ d: [Double], _ c: UInt64) -> Double { c == 0 ? 0 : d[Int(min(c, 3)) - 1] }

    /// γ of a context: (D1·N1 + D2·N2 + D3+·N3+ + pruned mass) / Σ.
    @inline(__always) static func gamma(_ d: [Double], _ s: ContextStats) -> Double {
        (d[0] * Double(s.n1) + d[1] * Double(s.n2) + d[2] * Double(s.n3) + Double(s.prunedMass)) / Double(s.sum)
    }

    /// p = (a − D(a)) / Σ + γ·p_lower: the one expression both estimators evaluate.
    @inline(__always) static func interpolate(_ c: UInt64, _ d: [Double], _ sum: UInt64, _ gamma: Double, _ lower: Double) -> Double {
        (Double(c) - discount(d, c)) / Double(sum) + gamma * lower
    }

    /// Unigram probabilities (interpolated with the uniform distribution over the vocabulary
    /// without `<s>`), backoffs and whether each word is a context, from adjusted counts and the
    /// per-word context sums of the bigrams.
    static func unigrams(adjusted: [UInt64], stats: [ContextStats], discounts: [[Double]]) -> (prob: [Double], backoff: [Double], isContext: [Bool]) {
        let v = adjusted.count
        var total = ContextStats()
        for c in adjusted where c > 0 {
            total.sum += c
            if c == 1 { total.n1 += 1 } else if c == 2 { total.n2 += 1 } else { total.n3 += 1 }
        }
        let gamma0 = gamma(discounts[0], total)
        let uniform = 1 / Double(v - 1)
        var prob = [Double](repeating: 0, count: v)
        for w in 0..<v where w != Int(NGramModel.bosID) {
            prob[w] = (Double(adjusted[w]) - discount(discounts[0], adjusted[w])) / Double(total.sum) + gamma0 * uniform
        }
        let isContext = stats.map { $0.sum > 0 }
        let backoff = stats.map { $0.sum > 0 ? gamma(discounts[1], $0) : 1 }
        return (prob, backoff, isContext)
    }

    // MARK: - Output

    /// Estimates the model and returns it ready to query. When counts were spilled, the model
    /// is estimated on disk, written as ARPA in the spill folder and read back.
    /// - Throws: ``LMError`` when discounts cannot be estimated (see ``Options/discountFallback``).
    public func build() throws -> NGramModel {
        guard let spill else { return NGramModel(contents: try estimate().contents()) }
        let arpa = spill.folder.file("model") + ".arpa"
        try writeARPA(to: arpa, removingSpill: false)
        defer { try? spill.folder.removeAll() }
        return try NGramModel.load(path: arpa)
    }

    /// Estimates the model and writes it as ARPA (log10 values, KenLM conventions), atomically;
    /// removes the spill folder if counts were spilled.
    /// - Throws: ``LMError`` as ``build()``; ``FileError`` when the file cannot be written.
    public func writeARPA(to path: String) throws {
        try writeARPA(to: path, removingSpill: true)
    }

    private func writeARPA(to path: String, removingSpill: Bool) throws {
        guard spill != nil else { return try estimate().writeARPA(to: path) }
        var copy = self
        try copy.spillTables(reserving: false)
        guard let state = copy.spill else { return }
        defer { if removingSpill { try? state.folder.removeAll() } }
        try copy.streamARPA(to: path, state: state)
    }
}

extension KneserNeyTrainer.Estimate {
    static func log10f(_ p: Double) -> Float { Float(log10(p)) }

    func contents() -> ModelContents {
        var words: [[UInt8]] = []
        words.reserveCapacity(self.words.count)
        for i in 0..<self.words.count { words.append(Array(self.words.word(i))) }
        var uniP = unigramProb.map(Self.log10f)
        uniP[Int(NGramModel.bosID)] = 0
        let uniB = unigramBackoff.map(Self.log10f)
        var ngrams: [[NGramEntry]] = []
        for (i, t) in tables.enumerated() {
            var entries = [NGramEntry]()
            entries.reserveCapacity(t.count)
            for e in 0..<t.count where !pruned[i][e] {
                entries.append(NGramEntry(key: t.keys[e], prob: Self.log10f(prob[i][e]), backoff: Self.log10f(backoff[i][e])))
            }
            ngrams.append(entries)
        }
        return ModelContents(words: words, unigramProb: uniP, unigramBackoff: uniB, ngrams: ngrams)
    }

    func writeARPA(to path: String) throws {
        var out = try ARPAWriter(path: path)
        try out.header([words.count] + pruned.map { p in p.count { !$0 } })
        try out.section(1)
        let top = tables.isEmpty
        for w in 0..<words.count {
            let p: Float = w == Int(NGramModel.bosID) ? 0 : Self.log10f(unigramProb[w])
            try out.unigram(p, words.word(w), backoff: !top && unigramIsContext[w] ? Self.log10f(unigramBackoff[w]) : nil)
        }
        for (i, t) in tables.enumerated() {
            let n = i + 2
            try out.section(n)
            for e32 in t.sortedIndices(.suffix) {
                let e = Int(e32)
                if pruned[i][e] { continue }
                try t.withGram(e) { g in
                    try out.ngram(Self.log10f(prob[i][e]), g, n, words, backoff: isContext[i][e] ? Self.log10f(backoff[i][e]) : nil)
                }
            }
        }
        try out.finish()
    }
}

/// Writes an ARPA file (both estimators go through it, so their bytes agree).
struct ARPAWriter {
    private let out: CompressedWriter
    private var buf: [UInt8] = []

    init(path: String) throws {
        out = try CompressedWriter(path: path, compression: Compression.fromName(path))
        buf.reserveCapacity(1 << 20)
    }

    private mutating func flush(_ force: Bool = false) throws {
        if force || buf.count >= 1 << 20 {
            try buf.withUnsafeBytes { try out.write($0) }
            buf.removeAll(keepingCapacity: true)
        }
    }

    private mutating func put(_ s: String) { buf.append(contentsOf: s.utf8) }

    /// `\data\` with the n-gram count of every order (index 0: unigrams).
    mutating func header(_ counts: [Int]) throws {
        put("\n\\data\\\n")
        for (i, c) in counts.enumerated() { put("ngram \(i + 1)=\(c)\n") }
        try flush()
    }

    /// The heading of order n's section.
    mutating func section(_ n: Int) throws { put("\n\\\(n)-grams:\n") }

    /// One unigram line.
    mutating func unigram(_ p: Float, _ word: ArraySlice<UInt8>, backoff: Float?) throws {
        put(p.description)
        buf.append(0x09)
        buf.append(contentsOf: word)
        if let backoff {
            buf.append(0x09)
            put(backoff.description)
        }
        buf.append(0x0A)
        try flush()
    }

    /// One n-gram line (n ids at `g`).
    mutating func ngram(_ p: Float, _ g: UnsafePointer<UInt32>, _ n: Int, _ words: WordTable, backoff: Float?) throws {
        put(p.description)
        buf.append(0x09)
        for k in 0..<n {
            if k > 0 { buf.append(0x20) }
            buf.append(contentsOf: words.word(Int(g[k])))
        }
        if let backoff {
            buf.append(0x09)
            put(backoff.description)
        }
        buf.append(0x0A)
        try flush()
    }

    /// `\end\`; flushes and commits the file.
    mutating func finish() throws {
        put("\n\\end\\\n")
        try flush(true)
        try out.commit()
    }
}

/// Per-context sums for γ: Σ adjusted counts, N1, N2, N3+ of kept extensions, pruned mass.
struct ContextStats {
    var sum: UInt64 = 0
    var n1: UInt64 = 0
    var n2: UInt64 = 0
    var n3: UInt64 = 0
    var prunedMass: UInt64 = 0

    /// Counts one extension with adjusted count `c`.
    @inline(__always) mutating func add(_ c: UInt64, pruned: Bool) {
        sum += c
        if pruned {
            prunedMass += c
        } else if c == 1 {
            n1 += 1
        } else if c == 2 {
            n2 += 1
        } else {
            n3 += 1
        }
    }
}

/// An error in language-model training or use.
public struct LMError: UserFacingError, Hashable {
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
