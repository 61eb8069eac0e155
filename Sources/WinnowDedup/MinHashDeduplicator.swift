internal import CMinHash
import WinnowCore
import WinnowIO
import WinnowText

/// Near-duplicate removal with MinHash and locality-sensitive hashing (Broder 1997; the
/// FineWeb/datatrove recipe): word n-gram shingles of the datatrove-normalised text, `bands × rows`
/// MinHash values per document, documents sharing any band become candidates, candidates are
/// clustered with union-find, and each cluster keeps its first document in input order.
///
/// Steps: observe (per shard: one sorted file of band keys per band, plus ids) → resolve: bands
/// (one partition per band: documents with equal band keys become edges) → verify (with
/// `verify`, 8 partitions: exact Jaccard of each distinct candidate pair, shingle sets read back
/// from disk) → cluster (union-find over a memory-mapped parent array) → decisions (8
/// partitions: per-shard decision lists) → decide. Details: `MinHashDeduplicator+Resolve.swift`.
///
/// Memory (B = the step's budget, `memory` / workers; N documents, E candidate edges, W words):
/// - observe: band entries 16 · bands bytes per document up to B/2, then sorted in place and
///   spilled as runs (merged at the end with ≥ 4 KiB per run); ids and shingle sets stream to
///   disk. Per task ≈ B/2 + B/8 (sort scratch) + ~6 MiB of buffers.
/// - bands: one read buffer per shard (B/2 in all, ≥ 4 KiB each) + 8 × 1 MiB write buffers.
/// - verify: pair external sort within B/2 (≤ B/4 pairs, ≤ B/8 scratch) + two shingle sets.
/// - cluster, decisions: 4 bytes per document in `roots.u32` and `sizes.u32`, memory-mapped;
///   resident pages are given back past B/2 per array (kept in the page cache, not the process).
/// - decide: the shard's decision list (clustered documents of that shard only).
/// None of it grows with the corpus beyond the bounds above. Disk (work/): 16 · bands bytes per
/// document (band files) + 16 bytes per edge per band (edges) + with verify 8 bytes per distinct
/// shingle per document + 16 per document (offsets) + 8 bytes per document (roots, sizes).
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
            ParameterSpec("verify", "number", default: nil, "merge a candidate pair only if the exact Jaccard of the two shingle sets is at least this (e.g. 0.8); keeps every document's shingle hashes in work/ (8 bytes per word, on disk: pairs read them back, memory does not grow with the corpus)"),
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

    /// Observes one shard. Memory: the band entries (16 bytes per band per document) up to half
    /// the budget, then sorted in place and spilled as runs; ids and shingle sets go straight to
    /// their files through 1 MiB write buffers. So a shard's observer stays within the budget
    /// (plus ~5 MiB of buffers and one document's shingles) whatever the shard's size.
    final class Observer: CorpusObserver {
        let stage: MinHashDeduplicator
        let context: CorpusContext
        let a: [UInt64]
        let b: [UInt64]
        var bandEntries: [[UInt64]]  // per band: (key, index) pairs flattened
        var count = 0
        var held = 0  // bytes of band entries in memory
        let limit: Int  // bytes of band entries held before a spill
        var runs = 0  // sorted runs spilled to disk (past the memory budget)
        var cursors: DedupIndex.Cursors
        var indexHits: [UInt64] = []  // indices of documents sharing a band key with the index
        // Ids, one a line, and the byte offset of each line (one more at the end).
        let idWriter: AtomicFileWriter
        let idOffsetWriter: AtomicFileWriter
        var idBytes: UInt64 = 0
        // With verify: per document, count then sorted unique hashes; and the word offset of each
        // document's count (one more at the end).
        let shingleWriter: AtomicFileWriter?
        let shingleOffsetWriter: AtomicFileWriter?
        var shingleWordCount: UInt64 = 0

        init(stage: MinHashDeduplicator, context: CorpusContext) throws {
            self.stage = stage
            self.context = context
            cursors = DedupIndex.Cursors(bands: stage.index?.bands.count ?? 0)
            (a, b) = MinHashDeduplicator.permutations(count: stage.bands * stage.rows, seed: stage.seed)
            bandEntries = Array(repeating: [], count: stage.bands)
            limit = max(1, context.memoryBudget / 2)
            idWriter = try AtomicFileWriter(path: context.path(MinHashDeduplicator.idFile(context.shard)))
            idOffsetWriter = try AtomicFileWriter(path: context.path(MinHashDeduplicator.idOffsetFile(context.shard)))
            if stage.verify != nil {
                shingleWriter = try AtomicFileWriter(path: context.path(MinHashDeduplicator.shingleFile(context.shard)))
                shingleOffsetWriter = try AtomicFileWriter(path: context.path(MinHashDeduplicator.shingleOffsetFile(context.shard)))
            } else {
                shingleWriter = nil
                shingleOffsetWriter = nil
            }
        }

        func observe(_ document: Document, index: Int) throws {
            let normalized = DatatroveNormalizer().normalizeUTF8(document.text)
            let sh = MinHashDeduplicator.shingles(normalized, ngram: stage.ngram)
            count += 1
            var id = document.id.utf8.map { $0 == 0x0A ? 0x20 : $0 }
            id.append(0x0A)
            try writeWord(idOffsetWriter, idBytes)
            try id.withUnsafeBytes { try idWriter.write($0) }
            idBytes += UInt64(id.count)
            if let shingleWriter, let shingleOffsetWriter {
                var unique = Array(Set(sh)).sorted()
                unique.insert(UInt64(unique.count), at: 0)
                try writeWord(shingleOffsetWriter, shingleWordCount)
                try unique.withUnsafeBytes { try shingleWriter.write($0) }
                shingleWordCount += UInt64(unique.count)
            }
            if sh.isEmpty { return }  // nothing to compare: never a candidate
            let keys = MinHashDeduplicator.bandKeys(shingles: sh, bands: stage.bands, rows: stage.rows, a: a, b: b)
            if let reference = stage.index, try reference.containsAnyBand(keys, &cursors) { indexHits.append(UInt64(index)) }
            for (band, key) in keys.enumerated() {
                bandEntries[band].append(key)
                bandEntries[band].append(UInt64(index))
            }
            held += stage.bands * 16
            // External sort: past half the memory budget, spill sorted runs and merge them at the end.
            if held > limit { try spill() }
        }

        func runFile(band: Int, run: Int) -> String {
            context.path(MinHashDeduplicator.bandFile(shard: context.shard, band: band) + ".run-\(run)")
        }

        func spill() throws {
            for band in 0..<stage.bands {
                sortPairsInPlace(&bandEntries[band])
                try writeWords(runFile(band: band, run: runs), bandEntries[band])
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
                    sortPairsInPlace(&bandEntries[band])
                    try writeWords(path, bandEntries[band])
                    bandEntries[band] = []
                } else {
                    let inputs = (0..<runs).map { runFile(band: band, run: $0) }
                    let bufferWords = max(512, min(1 << 17, limit / 8 / runs))
                    try mergeSortedPairs(inputs, into: path, bufferWords: bufferWords)
                    for f in inputs { try FileSystem.remove(f) }
                }
            }
            try writeWord(idOffsetWriter, idBytes)
            try idWriter.commit()
            try idOffsetWriter.commit()
            try writeWords(context.path(MinHashDeduplicator.countFile(context.shard)), [UInt64(count)])
            if let shingleWriter, let shingleOffsetWriter {
                try writeWord(shingleOffsetWriter, shingleWordCount)
                try shingleWriter.commit()
                try shingleOffsetWriter.commit()
            }
            if stage.index != nil {
                try writeWords(context.path(MinHashDeduplicator.indexHitFile(context.shard)), indexHits)
            }
        }
    }

    static func bandFile(shard: Int, band: Int) -> String { "band-\(band)-shard-\(shard).u64" }
    static func idFile(_ shard: Int) -> String { "ids-\(shard).txt" }
    static func countFile(_ shard: Int) -> String { "count-\(shard).u64" }
    static func decisionFile(_ shard: Int) -> String { "decisions-\(shard).tsv" }
    static func shingleFile(_ shard: Int) -> String { "shingles-\(shard).u64" }
    static func shingleOffsetFile(_ shard: Int) -> String { "shingle-offsets-\(shard).u64" }
    static func idOffsetFile(_ shard: Int) -> String { "id-offsets-\(shard).u64" }
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
        try Observer(stage: self, context: context)
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

/// Writes one 64-bit word (little-endian).
func writeWord(_ writer: AtomicFileWriter, _ word: UInt64) throws {
    var w = word.littleEndian
    try withUnsafeBytes(of: &w) { try writer.write($0) }
}

/// Merges files of (key, value) word pairs, each sorted by (key, value), into one sorted file,
/// streaming (one buffer of `bufferWords` words per input).
func mergeSortedPairs(_ inputs: [String], into output: String, bufferWords: Int = 1 << 17) throws {
    let merged = try MergedPairSource(inputs.map { try FilePairSource(path: $0, bufferWords: bufferWords) }, distinct: false)
    let out = try AtomicFileWriter(path: output)
    var buffer: [UInt64] = []
    buffer.reserveCapacity(1 << 14)
    while let p = try merged.next() {
        buffer.append(p.first)
        buffer.append(p.second)
        if buffer.count >= 1 << 14 {
            try buffer.withUnsafeBytes { try out.write($0) }
            buffer.removeAll(keepingCapacity: true)
        }
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
