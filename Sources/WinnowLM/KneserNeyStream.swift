import WinnowCore
import WinnowIO

// Estimation from spilled runs, with memory bounded by the limit (plus the vocabulary), as
// lmplz does it: streams of fixed-width records, sorted on disk.
//
// 1. Adjusted counts, top order down: the top order's runs merged (suffix order, equal n-grams
//    summed) give file F_N; in suffix order the (k+1)-grams sharing a suffix are adjacent, so one
//    pass over F_{k+1} gives each k-gram's count of distinct left extensions (and the sum of their
//    raw counts), merged with the `<s>`-started k-grams' runs into F_k. Count-of-counts come on
//    the way; F_2 gives the unigrams' adjusted counts and per-word context sums (in memory).
// 2. Discounts, unigrams (in memory, per word), the ARPA header and unigram section.
// 3. Order 2: p from F_2 and the per-word arrays → P_2 (suffix order).
// 4. Order k ≥ 3: F_k sorted into context order; each context's group gives its Σ and γ; records
//    (k-gram, a, Σ, γ) sorted into suffix order meet P_{k−1} (suffix order) in one pass that
//    interpolates p_k → P_k, and, with the contexts' γ sorted into suffix order, writes the ARPA
//    section k−1. The last P_N is section N.
//
// Every value is the in-memory estimator's expression on the same integers, so the bytes agree.

/// A stream of count records (n ids, adjusted count, raw count) with unique n-grams in suffix order.
protocol CountStream: AnyObject {
    var hasHead: Bool { get }
    var head: UnsafeMutablePointer<UInt32> { get }
    func advance() throws
}

/// Merged runs of count records with equal n-grams summed.
final class SummedCounts: CountStream {
    let n: Int
    private let input: RecordMerger
    private var pending: UnsafePointer<UInt32>?
    let head: UnsafeMutablePointer<UInt32>
    private(set) var hasHead = false

    init(_ input: RecordMerger) throws {
        self.input = input
        n = input.n
        head = .allocate(capacity: input.n + 4)
        pending = try input.next()
        try advance()
    }

    deinit { head.deallocate() }

    func advance() throws {
        guard let p = pending else {
            hasHead = false
            return
        }
        head.update(from: p, count: n + 4)
        hasHead = true
        while let r = try input.next() {
            if !sameGram(r, head, n) {
                pending = r
                return
            }
            put64(head, n, get64(head, n) + get64(r, n))
            put64(head, n + 2, get64(head, n + 2) + get64(r, n + 2))
        }
        pending = nil
    }

    func close() throws { try input.close() }
}

/// The k-grams that are suffixes of a (k+1)-gram count file in suffix order: adjusted count =
/// distinct left extensions, raw count = the sum of theirs.
final class SuffixGroups: CountStream {
    let k: Int
    private let input: RecordReader
    private var pending: UnsafePointer<UInt32>?
    let head: UnsafeMutablePointer<UInt32>
    private(set) var hasHead = false

    init(_ input: RecordReader, k: Int) throws {
        self.input = input
        self.k = k
        head = .allocate(capacity: k + 4)
        pending = try input.next()
        try advance()
    }

    deinit { head.deallocate() }

    func advance() throws {
        guard let p = pending else {
            hasHead = false
            return
        }
        head.update(from: p + 1, count: k)
        put64(head, k, 1)
        put64(head, k + 2, get64(p, k + 3))
        hasHead = true
        while let r = try input.next() {
            if !sameGram(r + 1, head, k) {
                pending = r
                return
            }
            put64(head, k, get64(head, k) + 1)
            put64(head, k + 2, get64(head, k + 2) + get64(r, k + 3))
        }
        pending = nil
    }
}

extension KneserNeyTrainer {
    /// Estimates the model from the spilled runs of `state` (every table spilled) and writes ARPA.
    func streamARPA(to path: String, state: SpillState) throws {
        let n = order
        let v = vocab.count
        let folder = state.folder
        let bos = Int(NGramModel.bosID)
        // Sort buffers share what the limit leaves after the per-word arrays (about 105 bytes a
        // word), at least a quarter of the limit.
        let limit = options.memoryLimit ?? 0
        let budget = max(limit - vocabularyBytes - v * 65, limit / 4)
        var coc = [[UInt64]](repeating: [0, 0, 0, 0, 0], count: n + 1)
        var kept = [Int](repeating: 0, count: n + 1)
        var countFile = [String](repeating: "", count: n + 1)
        func isPruned(_ raw: UInt64, _ k: Int) -> Bool {
            let t = options.threshold(k)
            return t != 0 && raw <= t
        }
        @inline(__always) func value(_ r: UnsafePointer<UInt32>, _ at: Int) -> Double { Double(bitPattern: get64(r, at)) }

        // 1. Adjusted counts, top order down.
        func writeCounts(_ k: Int, _ x: CountStream, _ y: CountStream?) throws {
            let out = try RecordWriter(path: folder.file("adjusted\(k)"), width: k + 4)
            let sum = UnsafeMutablePointer<UInt32>.allocate(capacity: k + 4)
            defer { sum.deallocate() }
            func emit(_ r: UnsafePointer<UInt32>) throws {
                let a = get64(r, k)
                if a >= 1 && a <= 4 { coc[k][Int(a)] += 1 }
                if !isPruned(get64(r, k + 2), k) { kept[k] += 1 }
                try out.append(r)
            }
            while true {
                let hx = x.hasHead
                let hy = y?.hasHead ?? false
                if !hx && !hy { break }
                let c: Int
                if !hx {
                    c = 1
                } else if let y, hy {
                    c = compareGrams(x.head, y.head, k, .suffix)
                } else {
                    c = -1
                }
                if c < 0 {
                    try emit(x.head)
                    try x.advance()
                } else if let y, c > 0 {
                    try emit(y.head)
                    try y.advance()
                } else if let y {
                    sum.update(from: x.head, count: k + 4)
                    put64(sum, k, get64(sum, k) + get64(y.head, k))
                    put64(sum, k + 2, get64(sum, k + 2) + get64(y.head, k + 2))
                    try emit(sum)
                    try x.advance()
                    try y.advance()
                }
            }
            try out.finish()
            countFile[k] = out.path
        }
        do {
            let top = try SummedCounts(RecordMerger.runs(state.runs[n - 2], n: n, width: n + 4, order: .suffix, folder: folder))
            try writeCounts(n, top, nil)
            try top.close()
        }
        var k = n - 1
        while k >= 2 {
            let starts = try SummedCounts(RecordMerger.runs(state.runs[k - 2], n: k, width: k + 4, order: .suffix, folder: folder))
            try writeCounts(k, try SuffixGroups(RecordReader(path: countFile[k + 1], width: k + 5), k: k), starts)
            try starts.close()
            k -= 1
        }

        // 2. Unigrams (adjusted counts and context sums from the bigrams), discounts, header.
        var adjusted = [UInt64](repeating: 0, count: v)
        var uniStats = [ContextStats](repeating: ContextStats(), count: v)
        do {
            let r = try RecordReader(path: countFile[2], width: 6)
            while let g = try r.next() {
                adjusted[Int(g[1])] += 1
                uniStats[Int(g[0])].add(get64(g, 2), pruned: isPruned(get64(g, 4), 2))
            }
        }
        adjusted[bos] = 0
        var c1 = [UInt64](repeating: 0, count: 5)
        for c in adjusted where c >= 1 && c <= 4 { c1[Int(c)] += 1 }
        var discounts = [try self.discounts(c1, order: 1)]
        for k in 2...n { discounts.append(try self.discounts(coc[k], order: k)) }
        let (uniProb, uniBackoff, uniIsContext) = Self.unigrams(adjusted: adjusted, stats: uniStats, discounts: discounts)
        let log10f = Estimate.log10f
        var out = try ARPAWriter(path: path)
        try out.header([v] + (2...n).map { kept[$0] })
        try out.section(1)
        for w in 0..<v {
            try out.unigram(w == bos ? 0 : log10f(uniProb[w]), vocab.word(w), backoff: uniIsContext[w] ? log10f(uniBackoff[w]) : nil)
        }

        // 3. Order 2: probabilities in suffix order (records: 2 ids, p, pruned).
        var probFile: String
        do {
            let r = try RecordReader(path: countFile[2], width: 6)
            let w = try RecordWriter(path: folder.file("prob2"), width: 5)
            let p = UnsafeMutablePointer<UInt32>.allocate(capacity: 5)
            defer { p.deallocate() }
            while let g = try r.next() {
                let ctx = Int(g[0])
                let prob = Self.interpolate(get64(g, 2), discounts[1], uniStats[ctx].sum, uniBackoff[ctx], uniProb[Int(g[1])])
                p[0] = g[0]
                p[1] = g[1]
                put64(p, 2, prob.bitPattern)
                p[4] = isPruned(get64(g, 4), 2) ? 1 : 0
                try w.append(p)
            }
            try w.finish()
            probFile = w.path
            try folder.remove(countFile[2])
        }

        // 4. Orders 3…N.
        if n >= 3 {
            for k in 3...n {
                let d = discounts[k - 1]
                let byContextSorter = RecordSorter(width: k + 4, n: k, order: .context, budget: budget / 2, folder: folder, stem: "context\(k)")
                do {
                    let r = try RecordReader(path: countFile[k], width: k + 4)
                    while let g = try r.next() { try byContextSorter.add(g) }
                }
                try folder.remove(countFile[k])
                let byContext = try byContextSorter.finish()
                // (k-gram, a, Σ of its context, γ of its context, pruned) and (context, γ).
                let entries = RecordSorter(width: k + 7, n: k, order: .suffix, budget: budget / 4, folder: folder, stem: "interp\(k)")
                let contexts = RecordSorter(width: k + 1, n: k - 1, order: .suffix, budget: budget / 4, folder: folder, stem: "backoff\(k - 1)")
                var group: [UInt32] = []
                var stats = ContextStats()
                let p = UnsafeMutablePointer<UInt32>.allocate(capacity: k + 7)
                defer { p.deallocate() }
                func flushGroup() throws {
                    guard !group.isEmpty else { return }
                    let gamma = Self.gamma(d, stats)
                    do {
                        try group.withUnsafeBufferPointer { gb in
                            guard let base = gb.baseAddress else { return }
                            for i in 0..<(gb.count / (k + 4)) {
                                let e = base + i * (k + 4)
                                p.update(from: e, count: k)
                                put64(p, k, get64(e, k))
                                put64(p, k + 2, stats.sum)
                                put64(p, k + 4, gamma.bitPattern)
                                p[k + 6] = isPruned(get64(e, k + 2), k) ? 1 : 0
                                try entries.add(p)
                            }
                            p.update(from: base, count: k - 1)
                            put64(p, k - 1, gamma.bitPattern)
                            try contexts.add(p)
                        }
                    }
                    group.removeAll(keepingCapacity: true)
                    stats = ContextStats()
                }
                while let g = try byContext.next() {
                    if !group.isEmpty && !group.withUnsafeBufferPointer({ $0.baseAddress.map { sameGram($0, g, k - 1) } ?? false }) {
                        try flushGroup()
                    }
                    group.append(contentsOf: UnsafeBufferPointer(start: g, count: k + 4))
                    stats.add(get64(g, k), pruned: isPruned(get64(g, k + 2), k))
                }
                try flushGroup()
                try byContext.close()
                let interp = try entries.finish()
                let backoffs = try contexts.finish()
                // One pass over P_{k−1}: its ARPA section (with the contexts' γ) and P_k.
                let lower = try RecordReader(path: probFile, width: k + 2)
                let w = try RecordWriter(path: folder.file("prob\(k)"), width: k + 3)
                try out.section(k - 1)
                var next = try interp.next()
                var context = try backoffs.next()
                let q = UnsafeMutablePointer<UInt32>.allocate(capacity: k + 3)
                defer { q.deallocate() }
                do {
                    let p = q
                    while let r = try lower.next() {
                        var backoff: Float?
                        if let c = context, sameGram(c, r, k - 1) {
                            backoff = log10f(value(c, k - 1))
                            context = try backoffs.next()
                        }
                        let pLower = value(r, k - 1)
                        if r[k + 1] == 0 { try out.ngram(log10f(pLower), r, k - 1, vocab, backoff: backoff) }
                        while let b = next, sameGram(b + 1, r, k - 1) {
                            let prob = Self.interpolate(get64(b, k), d, get64(b, k + 2), value(b, k + 4), pLower)
                            p.update(from: b, count: k)
                            put64(p, k, prob.bitPattern)
                            p[k + 2] = b[k + 6]
                            try w.append(p)
                            next = try interp.next()
                        }
                    }
                }
                guard next == nil, context == nil else {
                    throw LMError("order-\(k) estimation lost its way: an n-gram or context has no entry one order down in '\(folder.path)'")
                }
                try w.finish()
                try interp.close()
                try backoffs.close()
                try folder.remove(probFile)
                probFile = w.path
            }
        }
        try out.section(n)
        let r = try RecordReader(path: probFile, width: n + 3)
        while let g = try r.next() {
            if g[n + 2] == 0 { try out.ngram(log10f(value(g, n)), g, n, vocab, backoff: nil) }
        }
        try out.finish()
    }
}
