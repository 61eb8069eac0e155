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
/// n-gram); ``Options/memoryLimit`` makes ``add(sentence:)`` stop early with an error instead of
/// exhausting the machine.
public struct KneserNeyTrainer {
    /// Training options.
    public struct Options: Sendable {
        /// Discounts used for an order whose count-of-counts give an invalid discount (lmplz's
        /// `--discount_fallback`: 0.5, 1, 1.5); nil makes such a corpus an error, as lmplz does.
        public var discountFallback: [Double]?
        /// Discounts D1, D2, D3+ for every order instead of estimated ones (tests, tiny corpora).
        public var fixedDiscounts: [Double]?
        /// Approximate bound on counting memory in bytes; nil is unbounded.
        public var memoryLimit: Int?

        /// Creates options.
        public init(discountFallback: [Double]? = nil, fixedDiscounts: [Double]? = nil, memoryLimit: Int? = nil) {
            self.discountFallback = discountFallback
            self.fixedDiscounts = fixedDiscounts
            self.memoryLimit = memoryLimit
        }
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

    /// Creates a trainer for models of order `order` (1 or more).
    public init(order: Int, options: Options = Options()) {
        precondition(order >= 1, "order must be at least 1")
        self.order = order
        self.options = options
        tables = (2..<(order + 1)).map { GramTable(n: $0) }
    }

    /// Approximate bytes held by the counts.
    public var memoryUsed: Int { tables.reduce(0) { $0 + $1.bytes } + unigramRaw.capacity * 8 + vocab.count * 40 }

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
        // Adjusted counts: continuation counts from the order above.
        if n == 1 {
            for i in 0..<min(v, unigramRaw.count) { adjusted[i] = unigramRaw[i] }
        } else {
            var k = n - 1
            while k >= 1 {
                let above = tables[k - 1]
                for e in 0..<above.count {
                    above.withGram(e) { g in
                        if k == 1 {
                            adjusted[Int(g[1])] += 1
                        } else {
                            let suffix = g + 1
                            tables[k - 2].add(suffix, key: NGramHash.key(of: UnsafeBufferPointer(start: suffix, count: k)), count: 1)
                        }
                    }
                }
                k -= 1
            }
        }
        adjusted[Int(NGramModel.bosID)] = 0
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
        @inline(__always) func discount(_ d: [Double], _ c: UInt64) -> Double { c == 0 ? 0 : d[Int(min(c, 3)) - 1] }
        // Context sums and N1, N2, N3+ per context; γ per context.
        @inline(__always) func gamma(_ d: [Double], _ s: (sum: UInt64, n1: UInt64, n2: UInt64, n3: UInt64)) -> Double {
            (d[0] * Double(s.n1) + d[1] * Double(s.n2) + d[2] * Double(s.n3)) / Double(s.sum)
        }
        var uniStats = [(sum: UInt64, n1: UInt64, n2: UInt64, n3: UInt64)](repeating: (0, 0, 0, 0), count: v)
        var ctxStats: [[(sum: UInt64, n1: UInt64, n2: UInt64, n3: UInt64)]] = tables.map { Array(repeating: (0, 0, 0, 0), count: $0.count) }
        for k in stride(from: 2, through: n, by: 1) {
            let t = tables[k - 2]
            for e in 0..<t.count {
                let c = t.counts[e]
                let ctx: Int
                if k == 2 {
                    ctx = t.withGram(e) { Int($0[0]) }
                } else {
                    ctx = t.withGram(e) { g in tables[k - 3].find(g, key: NGramHash.key(of: UnsafeBufferPointer(start: g, count: k - 1)))! }
                }
                func bump(_ s: inout (sum: UInt64, n1: UInt64, n2: UInt64, n3: UInt64)) {
                    s.sum += c
                    if c == 1 { s.n1 += 1 } else if c == 2 { s.n2 += 1 } else { s.n3 += 1 }
                }
                if k == 2 { bump(&uniStats[ctx]) } else { bump(&ctxStats[k - 3][ctx]) }
            }
        }
        // Unigrams: interpolated with the uniform distribution over the vocabulary without <s>.
        var total: (sum: UInt64, n1: UInt64, n2: UInt64, n3: UInt64) = (0, 0, 0, 0)
        for c in adjusted where c > 0 {
            total.sum += c
            if c == 1 { total.n1 += 1 } else if c == 2 { total.n2 += 1 } else { total.n3 += 1 }
        }
        let gamma0 = gamma(discounts[0], total)
        let uniform = 1 / Double(v - 1)
        var uniProb = [Double](repeating: 0, count: v)
        for w in 0..<v where w != Int(NGramModel.bosID) {
            uniProb[w] = (Double(adjusted[w]) - discount(discounts[0], adjusted[w])) / Double(total.sum) + gamma0 * uniform
        }
        let uniIsContext = uniStats.map { $0.sum > 0 }
        let uniBackoff = uniStats.map { $0.sum > 0 ? gamma(discounts[1], $0) : 1 }
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
                    let lowerProb: Double
                    if k == 2 {
                        lowerProb = uniProb[Int(g[1])]
                    } else {
                        let i = tables[k - 3].find(g + 1, key: NGramHash.key(of: UnsafeBufferPointer(start: g + 1, count: k - 1)))!
                        lowerProb = prob[k - 3][i]
                    }
                    if k == 2 {
                        return (uniStats[Int(g[0])].sum, uniBackoff[Int(g[0])], lowerProb)
                    }
                    let ci = tables[k - 3].find(g, key: NGramHash.key(of: UnsafeBufferPointer(start: g, count: k - 1)))!
                    return (ctxStats[k - 3][ci].sum, backoff[k - 3][ci], lowerProb)
                }
                p[e] = (Double(c) - discount(d, c)) / Double(ctxSum) + ctxGamma * lower
            }
            prob.append(p)
            if k < n {
                let dUp = discounts[k]
                backoff.append(ctxStats[k - 2].map { $0.sum > 0 ? gamma(dUp, $0) : 1 })
                isContext.append(ctxStats[k - 2].map { $0.sum > 0 })
            } else {
                backoff.append([Double](repeating: 1, count: t.count))
                isContext.append([Bool](repeating: false, count: t.count))
            }
        }
        return Estimate(
            words: vocab, unigramProb: uniProb, unigramBackoff: uniBackoff, tables: tables, prob: prob, backoff: backoff,
            isContext: isContext, unigramIsContext: uniIsContext, discounts: discounts)
    }

    // MARK: - Output

    /// Estimates the model and returns it ready to query.
    /// - Throws: ``LMError`` when discounts cannot be estimated (see ``Options/discountFallback``).
    public func build() throws -> NGramModel {
        NGramModel(contents: try estimate().contents())
    }

    /// Estimates the model and writes it as ARPA (log10 values, KenLM conventions), atomically.
    /// - Throws: ``LMError`` as ``build()``; ``FileError`` when the file cannot be written.
    public func writeARPA(to path: String) throws {
        try estimate().writeARPA(to: path)
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
            for e in 0..<t.count {
                entries.append(NGramEntry(key: t.keys[e], prob: Self.log10f(prob[i][e]), backoff: Self.log10f(backoff[i][e])))
            }
            ngrams.append(entries)
        }
        return ModelContents(words: words, unigramProb: uniP, unigramBackoff: uniB, ngrams: ngrams)
    }

    func writeARPA(to path: String) throws {
        let out = try CompressedWriter(path: path, compression: Compression.fromName(path))
        var buf: [UInt8] = []
        buf.reserveCapacity(1 << 20)
        func flush(_ force: Bool = false) throws {
            if force || buf.count >= 1 << 20 {
                try buf.withUnsafeBytes { try out.write($0) }
                buf.removeAll(keepingCapacity: true)
            }
        }
        func put(_ s: String) { buf.append(contentsOf: s.utf8) }
        func putFloat(_ x: Float) { put(x.description) }
        put("\n\\data\\\n")
        put("ngram 1=\(words.count)\n")
        for (i, t) in tables.enumerated() { put("ngram \(i + 2)=\(t.count)\n") }
        put("\n\\1-grams:\n")
        let top = tables.isEmpty
        for w in 0..<words.count {
            putFloat(w == Int(NGramModel.bosID) ? 0 : Self.log10f(unigramProb[w]))
            buf.append(0x09)
            buf.append(contentsOf: words.word(w))
            if !top && unigramIsContext[w] {
                buf.append(0x09)
                putFloat(Self.log10f(unigramBackoff[w]))
            }
            buf.append(0x0A)
            try flush()
        }
        for (i, t) in tables.enumerated() {
            let n = i + 2
            put("\n\\\(n)-grams:\n")
            for e in 0..<t.count {
                putFloat(Self.log10f(prob[i][e]))
                buf.append(0x09)
                t.withGram(e) { g in
                    for k in 0..<n {
                        if k > 0 { buf.append(0x20) }
                        buf.append(contentsOf: words.word(Int(g[k])))
                    }
                }
                if isContext[i][e] {
                    buf.append(0x09)
                    putFloat(Self.log10f(backoff[i][e]))
                }
                buf.append(0x0A)
                try flush()
            }
        }
        put("\n\\end\\\n")
        try flush(true)
        try out.commit()
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
