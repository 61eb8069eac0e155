internal import CMinHash
import WinnowCore
import WinnowIO
import WinnowText

/// Near-duplicate removal with MinHash and locality-sensitive hashing (Broder 1997; the
/// FineWeb/datatrove recipe): word n-gram shingles of the datatrove-normalised text, `bands × rows`
/// MinHash values per document, documents sharing any band become candidates, candidates are
/// clustered with union-find, and each cluster keeps its first document in input order.
///
/// Steps: observe (per shard: one sorted file of band keys per band, plus ids) → resolve step 0
/// (one partition per band, in parallel: documents with equal band keys become edges) → resolve
/// step 1 (union-find over all edges; per-shard decision lists) → decide.
public struct MinHashDeduplicator: CorpusStage, RegisteredStage {
    /// The stage name.
    public var name: String { "minhash_dedup" }
    /// Words per shingle.
    public var ngram: Int
    /// LSH bands.
    public var bands: Int
    /// MinHash values per band.
    public var rows: Int
    /// Seed of the permutations.
    public var seed: UInt64
    /// When set, a candidate pair is merged only if the exact Jaccard similarity of the two
    /// documents' shingle sets is at least this.
    public var verify: Double?
    /// A dedup index of a reference corpus: a document sharing a band key with it (or clustered
    /// with one that does) is dropped as `near_duplicate_of_index`, as if the reference corpus
    /// came before the input. Index matches are LSH candidates, not checked by `verify` (the
    /// index holds no shingles).
    public var index: DedupIndex?

    /// Creates the stage.
    public init(ngram: Int = 5, bands: Int = 14, rows: Int = 8, seed: UInt64 = 1, verify: Double? = nil, index: DedupIndex? = nil) {
        self.ngram = ngram
        self.bands = bands
        self.rows = rows
        self.seed = seed
        self.verify = verify
        self.index = index
    }

    /// The parameters that band keys depend on.
    public var indexParameters: MinHashIndexParameters { MinHashIndexParameters(ngram: ngram, bands: bands, rows: rows, seed: seed) }

    /// Checks that an index was built with this stage's MinHash parameters.
    /// - Throws: ``ConfigError`` naming both parameter sets.
    public func checkIndex(_ index: DedupIndex, at location: SourceLocation? = nil) throws {
        guard let built = index.minhash else {
            throw ConfigError("stage 'minhash_dedup': dedup index '\(index.path)' holds no minhash entries", at: location)
        }
        if built != indexParameters {
            throw ConfigError(
                "stage 'minhash_dedup': dedup index '\(index.path)' was built with MinHash \(built), but the stage has \(indexParameters): rebuild the index with the stage's parameters (winnow index build --ngram \(ngram) --bands \(bands) --rows \(rows) --seed \(seed)) or set the stage's to the index's",
                at: location)
        }
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "minhash_dedup", kind: .corpus,
        summary: "Removes near-duplicates: word n-gram shingles of the datatrove-normalised text, bands × rows MinHash values, LSH candidates clustered with union-find; each cluster keeps its first document in input order. Removed documents carry metadata.duplicate_of; kept members of a cluster carry cluster_id and cluster_size.",
        parameters: [
            ParameterSpec("ngram", "int", default: "5", "words per shingle"),
            ParameterSpec("bands", "int", default: "14", "LSH bands (FineWeb: 14)"),
            ParameterSpec("rows", "int", default: "8", "MinHash values per band (FineWeb: 8); pairs with Jaccard s are found with probability 1 − (1 − s^rows)^bands"),
            ParameterSpec("seed", "int", default: "1", "seed of the hash permutations"),
            ParameterSpec("verify", "number", default: nil, "merge a candidate pair only if the exact Jaccard of the two shingle sets is at least this (e.g. 0.8); keeps every document's shingle hashes in work/ (8 bytes per word)"),
            ParameterSpec("index", "path", default: nil, "a dedup index of a reference corpus (`winnow index build`, same ngram/bands/rows/seed): documents sharing a band key with it, and their clusters, are dropped as near_duplicate_of_index (metadata.duplicate_of_index names the index); not checked by verify"),
        ],
        dropReasons: ["minhash_duplicate", "near_duplicate_of_index"],
        make: { p in
            let stage = MinHashDeduplicator(
                ngram: try p.int("ngram", default: 5, min: 1, max: 64)!, bands: try p.int("bands", default: 14, min: 1, max: 255)!,
                rows: try p.int("rows", default: 8, min: 1, max: 64)!, seed: UInt64(try p.int("seed", default: 1, min: 0)!),
                verify: try p.double("verify", min: 0, max: 1),
                index: try DedupIndex.forStage(p, stage: "minhash_dedup", kind: .minhash))
            if let index = stage.index { try stage.checkIndex(index, at: p.location(of: "index")) }
            return stage
        })

    // MARK: - Signatures

    static let mersenne: UInt64 = (1 << 61) - 1

    /// The permutation coefficients (a, b) for `count` hash functions, from the seed.
    static func permutations(count: Int, seed: UInt64) -> (a: [UInt64], b: [UInt64]) {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var a: [UInt64] = []
        var b: [UInt64] = []
        for _ in 0..<count {
            a.append(next() % (mersenne - 1) + 1)
            b.append(next() % mersenne)
        }
        return (a, b)
    }

    /// Hashes of the word n-grams of a normalised text (one shingle of all words when shorter).
    ///
    /// Words in normalised text are separated by single spaces, so an n-gram joined by spaces is
    /// simply the bytes from its first word's start to its last word's end: hashed in place.
    static func shingles(_ normalized: [UInt8], ngram: Int) -> [UInt64] {
        normalized.withUnsafeBytes { raw -> [UInt64] in
            var starts: [Int] = []
            var ends: [Int] = []
            var inWord = false
            for (i, c) in raw.enumerated() {
                if c == 0x20 {
                    if inWord { ends.append(i) }
                    inWord = false
                } else if !inWord {
                    starts.append(i)
                    inWord = true
                }
            }
            if inWord { ends.append(raw.count) }
            if starts.isEmpty { return [] }
            let n = min(ngram, starts.count)
            var out: [UInt64] = []
            out.reserveCapacity(starts.count - n + 1)
            for i in 0...(starts.count - n) {
                out.append(StableHash.xxh64(UnsafeRawBufferPointer(rebasing: raw[starts[i]..<ends[i + n - 1]])))
            }
            return out
        }
    }

    /// The MinHash signature: for each permutation k, min over shingles of
    /// ((a_k · h + b_k) mod 2^64) mod (2^61 − 1) — datatrove's arithmetic.
    static func signature(_ shingles: [UInt64], a: [UInt64], b: [UInt64]) -> [UInt64] {
        var sig = [UInt64](repeating: UInt64.max, count: a.count)
        if shingles.isEmpty { return sig }
        shingles.withUnsafeBufferPointer { hs in
            a.withUnsafeBufferPointer { av in
                b.withUnsafeBufferPointer { bv in
                    sig.withUnsafeMutableBufferPointer { out in
                        cminhash_signature(hs.baseAddress, Int64(hs.count), av.baseAddress, bv.baseAddress, Int64(av.count), out.baseAddress)
                    }
                }
            }
        }
        return sig
    }

    /// The same signature in plain Swift, for testing the C kernel.
    static func referenceSignature(_ shingles: [UInt64], a: [UInt64], b: [UInt64]) -> [UInt64] {
        var sig = [UInt64](repeating: UInt64.max, count: a.count)
        for h in shingles {
            for k in 0..<a.count {
                var v = a[k] &* h &+ b[k]
                v = (v & mersenne) &+ (v >> 61)
                if v >= mersenne { v -= mersenne }
                sig[k] = min(sig[k], v)
            }
        }
        return sig
    }

    /// The signature through the C kernel (for tests).
    public static func signatureForTesting(_ h: [UInt64], a: [UInt64], b: [UInt64]) -> [UInt64] { signature(h, a: a, b: b) }
    /// The signature in plain Swift (for tests).
    public static func referenceSignatureForTesting(_ h: [UInt64], a: [UInt64], b: [UInt64]) -> [UInt64] {
        referenceSignature(h, a: a, b: b)
    }

    /// Whether the AVX-512 signature kernel runs on this CPU.
    public static var usesAVX512: Bool { cminhash_uses_avx512() != 0 }

    /// The LSH band keys of a document's shingles: per band, xxHash64 (seeded with the band) of
    /// the band's `rows` signature values. The index builder uses the same function, so keys match.
    static func bandKeys(shingles sh: [UInt64], bands: Int, rows: Int, a: [UInt64], b: [UInt64]) -> [UInt64] {
        let sig = signature(sh, a: a, b: b)
        return sig.withUnsafeBytes { raw in
            (0..<bands).map { band in
                StableHash.xxh64(UnsafeRawBufferPointer(rebasing: raw[(band * rows * 8)..<((band + 1) * rows * 8)]), seed: UInt64(band))
            }
        }
    }

    /// The band keys of a text (normalised and shingled as the stage does); nil when the text
    /// has no words (such a document is never a candidate).
    static func bandKeys(_ text: String, ngram: Int, bands: Int, rows: Int, a: [UInt64], b: [UInt64]) -> [UInt64]? {
        let sh = shingles(DatatroveNormalizer().normalizeUTF8(text), ngram: ngram)
        if sh.isEmpty { return nil }
        return bandKeys(shingles: sh, bands: bands, rows: rows, a: a, b: b)
    }

    // MARK: - Observe

    final class Observer: CorpusObserver {
        let stage: MinHashDeduplicator
        let context: CorpusContext
        let a: [UInt64]
        let b: [UInt64]
        var bandEntries: [[UInt64]]  // per band: (key, index) pairs flattened
        var ids: [UInt8] = []
        var count = 0
        var shingleWords: [UInt64] = []  // with verify: per document, count then sorted unique hashes
        var held = 0  // bytes of band entries in memory
        var runs = 0  // sorted runs spilled to disk (past the memory budget)
        var cursors: DedupIndex.Cursors
        var indexHits: [UInt64] = []  // indices of documents sharing a band key with the index

        init(stage: MinHashDeduplicator, context: CorpusContext) {
            self.stage = stage
            self.context = context
            cursors = DedupIndex.Cursors(bands: stage.index?.bands.count ?? 0)
            (a, b) = MinHashDeduplicator.permutations(count: stage.bands * stage.rows, seed: stage.seed)
            bandEntries = Array(repeating: [], count: stage.bands)
        }

        func observe(_ document: Document, index: Int) throws {
            let normalized = DatatroveNormalizer().normalizeUTF8(document.text)
            let sh = MinHashDeduplicator.shingles(normalized, ngram: stage.ngram)
            count += 1
            ids.append(contentsOf: document.id.utf8.map { $0 == 0x0A ? 0x20 : $0 })
            ids.append(0x0A)
            if stage.verify != nil {
                let unique = Array(Set(sh)).sorted()
                shingleWords.append(UInt64(unique.count))
                shingleWords.append(contentsOf: unique)
            }
            if sh.isEmpty { return }  // nothing to compare: never a candidate
            let keys = MinHashDeduplicator.bandKeys(shingles: sh, bands: stage.bands, rows: stage.rows, a: a, b: b)
            if let reference = stage.index, try reference.containsAnyBand(keys, &cursors) { indexHits.append(UInt64(index)) }
            for (band, key) in keys.enumerated() {
                bandEntries[band].append(key)
                bandEntries[band].append(UInt64(index))
            }
            held += stage.bands * 16
            // External sort: past the memory budget, spill sorted runs and merge them at the end.
            if held > context.memoryBudget { try spill() }
        }

        /// (key, index) pairs sorted by key then index, flattened.
        static func sorted(_ entries: [UInt64]) -> [UInt64] {
            var pairs: [(UInt64, UInt64)] = []
            pairs.reserveCapacity(entries.count / 2)
            var i = 0
            while i + 1 < entries.count {
                pairs.append((entries[i], entries[i + 1]))
                i += 2
            }
            pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            var flat: [UInt64] = []
            flat.reserveCapacity(pairs.count * 2)
            for (k, v) in pairs {
                flat.append(k)
                flat.append(v)
            }
            return flat
        }

        func runFile(band: Int, run: Int) -> String {
            context.path(MinHashDeduplicator.bandFile(shard: context.shard, band: band) + ".run-\(run)")
        }

        func spill() throws {
            for band in 0..<stage.bands {
                try writeWords(runFile(band: band, run: runs), Self.sorted(bandEntries[band]))
                bandEntries[band].removeAll(keepingCapacity: true)
            }
            runs += 1
            held = 0
        }

        func finish() throws {
            if runs > 0 && held > 0 { try spill() }
            for band in 0..<stage.bands {
                let path = context.path(MinHashDeduplicator.bandFile(shard: context.shard, band: band))
                if runs == 0 {
                    try writeWords(path, Self.sorted(bandEntries[band]))
                } else {
                    let inputs = (0..<runs).map { runFile(band: band, run: $0) }
                    try mergeSortedPairs(inputs, into: path)
                    for f in inputs { try FileSystem.remove(f) }
                }
            }
            try FileSystem.writeAll(context.path(MinHashDeduplicator.idFile(context.shard)), ids)
            try writeWords(context.path(MinHashDeduplicator.countFile(context.shard)), [UInt64(count)])
            if stage.verify != nil {
                try writeWords(context.path(MinHashDeduplicator.shingleFile(context.shard)), shingleWords)
            }
            if stage.index != nil {
                try writeWords(context.path(MinHashDeduplicator.indexHitFile(context.shard)), indexHits)
            }
        }
    }

    static func bandFile(shard: Int, band: Int) -> String { "band-\(band)-shard-\(shard).u64" }
    static func edgeFile(band: Int) -> String { "edges-\(band).u64" }
    static func idFile(_ shard: Int) -> String { "ids-\(shard).txt" }
    static func countFile(_ shard: Int) -> String { "count-\(shard).u64" }
    static func decisionFile(_ shard: Int) -> String { "decisions-\(shard).tsv" }
    static func shingleFile(_ shard: Int) -> String { "shingles-\(shard).u64" }
    static func indexHitFile(_ shard: Int) -> String { "index-hits-\(shard).u64" }

    /// Exact Jaccard of two sorted sets of hashes.
    static func jaccard(_ a: ArraySlice<UInt64>, _ b: ArraySlice<UInt64>) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        var i = a.startIndex
        var j = b.startIndex
        var common = 0
        while i < a.endIndex && j < b.endIndex {
            if a[i] == b[j] {
                common += 1
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return Double(common) / Double(a.count + b.count - common)
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        Observer(stage: self, context: context)
    }

    // MARK: - Resolve

    /// Step 0 has one partition per band; step 1 clusters.
    public var resolveSteps: [Int] { [bands, 1] }

    /// Runs one partition of a resolve step.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        if step == 0 {
            try resolveBand(partition, context: context)
        } else {
            try cluster(context: context)
        }
    }

    /// Documents with equal keys in this band: each is linked to the first of them (in
    /// shard, index order). Node = shard << 32 | index.
    ///
    /// Each shard's band file is sorted by (key, index), so this is a streaming k-way merge:
    /// memory is one read buffer per shard, whatever the corpus size.
    func resolveBand(_ band: Int, context: CorpusContext) throws {
        let readers = try (0..<context.shardCount).map { shard in
            try WordStream(path: context.path(Self.bandFile(shard: shard, band: band)))
        }
        // Heads of each stream: (key, node); a small binary heap over shards.
        var heap = BinaryHeap<MergeHead>(capacity: readers.count)
        func refill(_ shard: Int) throws {
            if let key = try readers[shard].next(), let index = try readers[shard].next() {
                heap.push(MergeHead(key: key, node: UInt64(shard) << 32 | index, shard: shard))
            }
        }
        for shard in 0..<readers.count { try refill(shard) }
        let out = try AtomicFileWriter(path: context.path(Self.edgeFile(band: band)))
        var buffer: [UInt64] = []
        buffer.reserveCapacity(1 << 16)
        var groupKey: UInt64 = 0
        var groupFirst: UInt64?
        var groupPrevious: UInt64 = 0
        while let e = heap.pop() {
            try refill(e.shard)
            if let first = groupFirst, e.key == groupKey {
                // Link each member to the bucket's first document and, with verify, also to
                // the member before it: a pair rejected by the Jaccard check against the first
                // can still join through a closer neighbour.
                buffer.append(first)
                buffer.append(e.node)
                if verify != nil && groupPrevious != first {
                    buffer.append(groupPrevious)
                    buffer.append(e.node)
                }
                groupPrevious = e.node
                if buffer.count >= 1 << 16 {
                    try buffer.withUnsafeBytes { try out.write($0) }
                    buffer.removeAll(keepingCapacity: true)
                }
            } else {
                groupKey = e.key
                groupFirst = e.node
                groupPrevious = e.node
            }
        }
        try buffer.withUnsafeBytes { try out.write($0) }
        try out.commit()
    }

    /// Union-find over every band's edges; the root of a cluster is its first document.
    func cluster(context: CorpusContext) throws {
        var offsets: [Int] = [0]
        var total = 0
        for shard in 0..<context.shardCount {
            total += Int(try readWords(context.path(Self.countFile(shard))).first ?? 0)
            offsets.append(total)
        }
        var parent = [Int32](unsafeUninitializedCapacity: total) { buf, n in
            for i in 0..<total { buf[i] = Int32(i) }
            n = total
        }
        func find(_ x: Int) -> Int {
            var r = x
            while Int(parent[r]) != r { r = Int(parent[r]) }
            var y = x
            while Int(parent[y]) != r {
                let next = Int(parent[y])
                parent[y] = Int32(r)
                y = next
            }
            return r
        }
        func dense(_ node: UInt64) -> Int { offsets[Int(node >> 32)] + Int(node & 0xFFFF_FFFF) }
        // With verify: every document's sorted shingle set, located by (start, count).
        var shingles: [Int: (words: [UInt64], starts: [Int])] = [:]
        func shingleSet(_ node: UInt64) throws -> ArraySlice<UInt64> {
            let shard = Int(node >> 32)
            let words: [UInt64]
            let starts: [Int]
            if let loaded = shingles[shard] {
                (words, starts) = loaded
            } else {
                words = try readWords(context.path(Self.shingleFile(shard)))
                var found: [Int] = []
                var i = 0
                while i < words.count {
                    found.append(i)
                    i += Int(words[i]) + 1
                }
                starts = found
                shingles[shard] = (words, starts)
            }
            let s = starts[Int(node & 0xFFFF_FFFF)]
            return words[(s + 1)..<(s + 1 + Int(words[s]))]
        }
        var checked = Set<UInt64>()
        for band in 0..<bands {
            let stream = try WordStream(path: context.path(Self.edgeFile(band: band)))
            while let u = try stream.next(), let v = try stream.next() {
                if let threshold = verify {
                    // The same pair can come from several bands: check it once.
                    let first = checked.insert((u &* 0x9E37_79B9_7F4A_7C15) ^ v).inserted
                    let joined = find(dense(u)) == find(dense(v))
                    var reject = !first
                    if first && !joined {
                        reject = Self.jaccard(try shingleSet(u), try shingleSet(v)) < threshold
                    }
                    if reject { continue }
                }
                let ra = find(dense(u))
                let rb = find(dense(v))
                if ra != rb {
                    // The smaller dense id (earlier in input order) stays the root.
                    if ra < rb { parent[rb] = Int32(ra) } else { parent[ra] = Int32(rb) }
                }
            }
        }
        var size = [Int32](repeating: 0, count: total)
        var root = [Int32](repeating: 0, count: total)
        for i in 0..<total {
            let r = find(i)
            root[i] = Int32(r)
            size[r] += 1
        }
        // With an index: a cluster holding a document that shares a band key with the reference
        // corpus joins that corpus, which comes first: every member is dropped.
        var rootInIndex = [Bool](repeating: false, count: index == nil ? 0 : total)
        if index != nil {
            for shard in 0..<context.shardCount {
                for i in try readWords(context.path(Self.indexHitFile(shard))) {
                    rootInIndex[Int(root[offsets[shard] + Int(i)])] = true
                }
            }
        }
        // Ids of every root of a cluster with more than one member.
        var neededShards = Set<Int>()
        for i in 0..<total where size[Int(root[i])] > 1 && !(rootInIndex.isEmpty ? false : rootInIndex[Int(root[i])]) {
            neededShards.insert(shardOf(Int(root[i]), offsets))
        }
        var ids: [Int: [Substring]] = [:]
        for shard in neededShards.sorted() {
            let text = String(decoding: try FileSystem.readAll(context.path(Self.idFile(shard))), as: UTF8.self)
            ids[shard] = text.split(separator: "\n", omittingEmptySubsequences: false)
        }
        func id(_ d: Int) -> Substring {
            let s = shardOf(d, offsets)
            return ids[s]?[d - offsets[s]] ?? ""
        }
        for shard in 0..<context.shardCount {
            var out = ""
            for d in offsets[shard]..<offsets[shard + 1] {
                let r = Int(root[d])
                let n = size[r]
                if !rootInIndex.isEmpty && rootInIndex[r] {
                    // index \t position \t (no root id) \t cluster size in the input
                    out += "x\t\(d - offsets[shard])\t\t\(n)\n"
                    continue
                }
                if n <= 1 { continue }
                // drop \t index \t root id \t size  |  keep \t index \t root id \t size
                out += "\(r == d ? "k" : "d")\t\(d - offsets[shard])\t\(id(r))\t\(n)\n"
            }
            try FileSystem.writeAll(context.path(Self.decisionFile(shard)), Array(out.utf8))
        }
    }

    func shardOf(_ d: Int, _ offsets: [Int]) -> Int {
        var lo = 0
        var hi = offsets.count - 2
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if offsets[mid] <= d { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    // MARK: - Decide

    final class Decider: CorpusDecider {
        let decisions: [Int: (drop: Bool, root: String, size: Int)]
        let inIndex: Set<Int>
        let indexPath: String
        init(_ decisions: [Int: (drop: Bool, root: String, size: Int)], inIndex: Set<Int>, indexPath: String) {
            self.decisions = decisions
            self.inIndex = inIndex
            self.indexPath = indexPath
        }

        func quickVerdict(index: Int) -> Verdict? { decisions[index] == nil && !inIndex.contains(index) ? .keep : nil }

        func decide(_ document: inout Document, index: Int) throws -> Verdict {
            if inIndex.contains(index) {
                document.metadata["duplicate_of_index"] = .string(indexPath)
                return .drop(reason: "near_duplicate_of_index")
            }
            guard let d = decisions[index] else { return .keep }
            if d.drop {
                document.metadata["duplicate_of"] = .string(d.root)
                return .drop(reason: "minhash_duplicate")
            }
            document.metadata["cluster_id"] = .string(d.root)
            document.metadata["cluster_size"] = .int(Int64(d.size))
            return .keep
        }

        func measure(_ document: Document, index: Int, into measures: inout PendingMeasures) {
            guard let d = decisions[index] else { return }
            // Kept: one count per cluster (the cluster-size histogram); dropped: per duplicate.
            measures.add("cluster_size", Double(d.size))
            measures.cluster = (d.root, d.size)
        }
    }

    /// Creates the per-shard decider from the clustering's list.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        let text = String(decoding: try FileSystem.readAll(context.path(Self.decisionFile(context.shard))), as: UTF8.self)
        var map: [Int: (drop: Bool, root: String, size: Int)] = [:]
        var inIndex = Set<Int>()
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 4, let i = Int(f[1]), let n = Int(f[3]) else { continue }
            if f[0] == "x" {
                inIndex.insert(i)
            } else {
                map[i] = (f[0] == "d", String(f[2]), n)
            }
        }
        return Decider(map, inIndex: inIndex, indexPath: index?.path ?? "")
    }
}

/// Writes 64-bit words (little-endian) to a file atomically.
func writeWords(_ path: String, _ words: [UInt64]) throws {
    let w = try AtomicFileWriter(path: path)
    try words.withUnsafeBytes { try w.write($0) }
    try w.commit()
}

/// Merges files of (key, value) word pairs, each sorted by (key, value), into one sorted file,
/// streaming (one buffer per input).
func mergeSortedPairs(_ inputs: [String], into output: String) throws {
    let streams = try inputs.map { try WordStream(path: $0) }
    var heads: [(UInt64, UInt64)?] = try streams.map { s in
        guard let k = try s.next(), let v = try s.next() else { return nil }
        return (k, v)
    }
    let out = try AtomicFileWriter(path: output)
    var buffer: [UInt64] = []
    buffer.reserveCapacity(1 << 16)
    while true {
        // Few inputs (spilled runs of one shard): a linear scan for the smallest head is enough.
        var best = -1
        for (i, h) in heads.enumerated() {
            guard let h else { continue }
            if best < 0 { best = i; continue }
            if let b = heads[best], h.0 < b.0 || (h.0 == b.0 && h.1 < b.1) { best = i }
        }
        guard best >= 0, let h = heads[best] else { break }
        buffer.append(h.0)
        buffer.append(h.1)
        if buffer.count >= 1 << 16 {
            try buffer.withUnsafeBytes { try out.write($0) }
            buffer.removeAll(keepingCapacity: true)
        }
        if let k = try streams[best].next(), let v = try streams[best].next() { heads[best] = (k, v) } else { heads[best] = nil }
    }
    try buffer.withUnsafeBytes { try out.write($0) }
    try out.commit()
}

/// Reads 64-bit words from a file one at a time, through a buffer of `bufferWords` words
/// (1 MiB by default; merges with many inputs use a small one).
final class WordStream {
    private let source: FileSource
    private var buffer: [UInt64]
    private var count = 0
    private var position = 0

    init(path: String, bufferWords: Int = 1 << 17) throws {
        source = try FileSource(path: path)
        buffer = [UInt64](repeating: 0, count: bufferWords)
    }

    func next() throws -> UInt64? {
        if position == count {
            var filled = 0
            try buffer.withUnsafeMutableBytes { raw in
                while filled < raw.count {
                    let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                    if n == 0 { break }
                    filled += n
                }
            }
            count = filled / 8
            position = 0
            if count == 0 { return nil }
        }
        defer { position += 1 }
        return buffer[position]
    }
}

/// Reads a file of 64-bit words.
func readWords(_ path: String) throws -> [UInt64] {
    let bytes = try FileSystem.readAll(path)
    return [UInt64](unsafeUninitializedCapacity: bytes.count / 8) { buf, n in
        bytes.withUnsafeBytes { raw in
            for i in 0..<(bytes.count / 8) { buf[i] = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
        }
        n = bytes.count / 8
    }
}

/// The head of one shard's sorted band stream in the k-way merge: smallest (key, node) first.
struct MergeHead: HeapOrdered {
    var key: UInt64
    var node: UInt64
    var shard: Int

    @inline(__always)
    static func precedes(_ a: MergeHead, _ b: MergeHead) -> Bool {
        a.key != b.key ? a.key < b.key : a.node < b.node
    }
}
