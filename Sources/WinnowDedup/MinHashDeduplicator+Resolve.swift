import WinnowCore
import WinnowIO

/// The resolve steps of ``MinHashDeduplicator``, all within the step's memory budget
/// (`CorpusContext.memoryBudget`, the recipe's `memory` / workers), whatever the corpus size:
///
/// 1. **bands** (one partition per band): a streaming k-way merge of the shards' sorted band
///    files; documents with equal keys become edges, written to `edges-<band>-<part>.u64`, the
///    part chosen by a hash of the pair so that every copy of a pair lands in the same part.
/// 2. **verify** (only with `verify`; ``partitions`` parts): each part's pairs, external-sorted
///    and made distinct (``PairSorter``), are checked by the exact Jaccard of the two shingle
///    sets, read back from `shingles-<shard>.u64` with pread (sorted by the first document, so
///    its set is read once); pairs at or above the threshold go to `accepted-<part>.u64`.
/// 3. **cluster** (one partition): union-find over every kept edge, the parent array a
///    memory-mapped file (`roots.u32`, 4 bytes per document) whose resident pages are given back
///    past the budget (``DiskUInt32Array``); a root is always the smallest (earliest) document of
///    its set, so one forward pass turns parents into roots, and a second counts cluster sizes
///    into `sizes.u32` (the top bit marks a cluster holding a document the index knows).
/// 4. **decisions** (``partitions`` parts, shard s in part s mod ``partitions``): per shard, the
///    documents of clusters of two or more, with the root's id read through
///    `id-offsets-<shard>.u64`.
///
/// The components are those of the graph of distinct candidate pairs (with verify: of the
/// pairs whose Jaccard reaches the threshold), which do not depend on the order edges are read,
/// so every budget and worker count gives the same decisions.
extension MinHashDeduplicator {
    /// Parts of the verify and decisions steps.
    public static let partitions = 8

    /// Step 0 has one partition per band; then verify (with `verify`), cluster and decisions.
    public var resolveSteps: [Int] { verify == nil ? [bands, 1, Self.partitions] : [bands, Self.partitions, 1, Self.partitions] }

    /// Runs one partition of a resolve step.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        switch (step, verify) {
        case (0, _): try resolveBand(partition, context: context)
        case (1, .some(let threshold)): try verifyPairs(partition, threshold: threshold, context: context)
        case (1, nil), (2, .some): try cluster(context: context)
        default: try writeDecisions(partition, context: context)
        }
    }

    static func edgeFile(band: Int, part: Int) -> String { "edges-\(band)-\(part).u64" }
    static func acceptedFile(_ part: Int) -> String { "accepted-\(part).u64" }
    static let rootsFile = "roots.u32"
    static let sizesFile = "sizes.u32"
    static let indexFlag: UInt32 = 1 << 31

    /// The part of the verify step that checks the pair (u, v): the same for every band.
    static func pairPart(_ u: UInt64, _ v: UInt64) -> Int {
        var z = (u &* 0x9E37_79B9_7F4A_7C15) ^ v
        z = (z ^ (z >> 31)) &* 0xBF58_476D_1CE4_E5B9
        return Int((z >> 32) % UInt64(partitions))
    }

    // MARK: - Step: bands

    /// Documents with equal keys in this band: each is linked to the first of them (in
    /// shard, index order), and with verify also to the one before it. Node = shard << 32 | index.
    ///
    /// Each shard's band file is sorted by (key, index), so this is a streaming k-way merge:
    /// memory is one read buffer per shard (at most half the budget in all, ≥ 4 KiB each) and
    /// one write buffer per part.
    func resolveBand(_ band: Int, context: CorpusContext) throws {
        let bufferWords = max(512, min(1 << 17, context.memoryBudget / 2 / 8 / max(1, context.shardCount)))
        let readers = try (0..<context.shardCount).map { shard in
            try WordStream(path: context.path(Self.bandFile(shard: shard, band: band)), bufferWords: bufferWords)
        }
        var heap = BinaryHeap<MergeHead>(capacity: readers.count)
        func refill(_ shard: Int) throws {
            if let key = try readers[shard].next(), let index = try readers[shard].next() {
                heap.push(MergeHead(key: key, node: UInt64(shard) << 32 | index, shard: shard))
            }
        }
        for shard in 0..<readers.count { try refill(shard) }
        let outs = try (0..<Self.partitions).map { try AtomicFileWriter(path: context.path(Self.edgeFile(band: band, part: $0))) }
        var buffers = [[UInt64]](repeating: [], count: Self.partitions)
        func edge(_ u: UInt64, _ v: UInt64) throws {
            let p = Self.pairPart(u, v)
            buffers[p].append(u)
            buffers[p].append(v)
            if buffers[p].count >= 1 << 12 {
                try buffers[p].withUnsafeBytes { try outs[p].write($0) }
                buffers[p].removeAll(keepingCapacity: true)
            }
        }
        var groupKey: UInt64 = 0
        var groupFirst: UInt64?
        var groupPrevious: UInt64 = 0
        while let e = heap.pop() {
            try refill(e.shard)
            if let first = groupFirst, e.key == groupKey {
                // Each member is linked to the bucket's first document and, with verify, also to
                // the member before it: a pair rejected by the Jaccard check against the first
                // can still join through a closer neighbour.
                try edge(first, e.node)
                if verify != nil && groupPrevious != first { try edge(groupPrevious, e.node) }
                groupPrevious = e.node
            } else {
                groupKey = e.key
                groupFirst = e.node
                groupPrevious = e.node
            }
        }
        for p in 0..<Self.partitions {
            try buffers[p].withUnsafeBytes { try outs[p].write($0) }
            try outs[p].commit()
        }
    }

    // MARK: - Step: verify

    /// Checks this part's distinct candidate pairs by the exact Jaccard of their shingle sets.
    ///
    /// Memory: the pair sorter gets half the budget (pairs, sort scratch and merge buffers); the
    /// rest is two shingle sets (8 bytes per distinct shingle) and fixed buffers.
    func verifyPairs(_ part: Int, threshold: Double, context: CorpusContext) throws {
        let sorter = PairSorter(prefix: context.path("pairs-\(part)"), budget: context.memoryBudget / 2, distinct: true)
        for band in 0..<bands {
            let edges = try FilePairSource(path: context.path(Self.edgeFile(band: band, part: part)), bufferWords: 1 << 14)
            while let e = try edges.next() { try sorter.append(e.first, e.second) }
        }
        let pairs = try sorter.sorted()
        let reader = ShingleReader(context: context)
        let out = try AtomicFileWriter(path: context.path(Self.acceptedFile(part)))
        var buffer: [UInt64] = []
        buffer.reserveCapacity(1 << 12)
        var lastU: UInt64?
        var setU: [UInt64] = []
        while let e = try pairs.next() {
            if e.first != lastU {
                setU = try reader.set(e.first)
                lastU = e.first
            }
            let setV = try reader.set(e.second)
            if Self.jaccard(setU[...], setV[...]) < threshold { continue }
            buffer.append(e.first)
            buffer.append(e.second)
            if buffer.count >= 1 << 12 {
                try buffer.withUnsafeBytes { try out.write($0) }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try buffer.withUnsafeBytes { try out.write($0) }
        try out.commit()
        try sorter.removeRuns()
    }

    /// Reads documents' shingle sets back from the shards' shingle files.
    final class ShingleReader {
        let offsets: ShardFiles
        let words: ShardFiles
        init(context: CorpusContext) {
            offsets = ShardFiles { context.path(MinHashDeduplicator.shingleOffsetFile($0)) }
            words = ShardFiles { context.path(MinHashDeduplicator.shingleFile($0)) }
        }

        /// The sorted distinct shingle hashes of a node (shard << 32 | index).
        func set(_ node: UInt64) throws -> [UInt64] {
            let shard = Int(node >> 32)
            let range = try offsets.file(shard).words(at: Int(node & 0xFFFF_FFFF), count: 2)
            let count = Int(range[1]) - Int(range[0]) - 1
            if count <= 0 { return [] }
            return try words.file(shard).words(at: Int(range[0]) + 1, count: count)
        }
    }

    // MARK: - Step: cluster

    /// Documents before each shard (and the total at the end), from the observers' counts.
    func shardOffsets(_ context: CorpusContext) throws -> [Int] {
        var offsets: [Int] = [0]
        var total = 0
        for shard in 0..<context.shardCount {
            total += Int(try readWords(context.path(Self.countFile(shard))).first ?? 0)
            offsets.append(total)
        }
        return offsets
    }

    /// Union-find over every kept edge, on disk; writes each document's root and each root's
    /// cluster size.
    func cluster(context: CorpusContext) throws {
        let offsets = try shardOffsets(context)
        let total = offsets[offsets.count - 1]
        if total >= Int(Self.indexFlag) {
            throw ConfigError("stage 'minhash_dedup': \(total) documents; at most \(Self.indexFlag - 1) can be clustered", at: nil)
        }
        let limit = max(1, context.memoryBudget / 2)
        let parent = try DiskUInt32Array(creating: context.path(Self.rootsFile), count: total, residentLimit: limit) { UInt32($0) }
        func find(_ x: Int) -> Int {
            var r = x
            while Int(parent[r]) != r { r = Int(parent[r]) }
            var y = x
            while Int(parent[y]) != r {
                let next = Int(parent[y])
                parent[y] = UInt32(r)
                y = next
            }
            return r
        }
        func dense(_ node: UInt64) -> Int { offsets[Int(node >> 32)] + Int(node & 0xFFFF_FFFF) }
        let files =
            verify != nil
            ? (0..<Self.partitions).map { Self.acceptedFile($0) }
            : (0..<bands).flatMap { b in (0..<Self.partitions).map { Self.edgeFile(band: b, part: $0) } }
        for name in files {
            let edges = try FilePairSource(path: context.path(name), bufferWords: 1 << 14)
            while let e = try edges.next() {
                let ra = find(dense(e.first))
                let rb = find(dense(e.second))
                // The smaller dense id (earlier in input order) stays the root, so a parent is
                // never after its child.
                if ra < rb { parent[rb] = UInt32(ra) } else if rb < ra { parent[ra] = UInt32(rb) }
            }
        }
        // Parents precede children: in one forward pass each parent already holds its root.
        for i in 0..<total {
            let p = Int(parent[i])
            if p != i { parent[i] = parent[p] }
        }
        let sizes = try DiskUInt32Array(creating: context.path(Self.sizesFile), count: total, residentLimit: limit) { _ in 0 }
        for i in 0..<total {
            let r = Int(parent[i])
            sizes[r] = sizes[r] + 1
        }
        // With an index: a cluster holding a document that shares a band key with the reference
        // corpus joins that corpus, which comes first: every member is dropped.
        if index != nil {
            for shard in 0..<context.shardCount {
                let hits = try WordStream(path: context.path(Self.indexHitFile(shard)), bufferWords: 1 << 12)
                while let i = try hits.next() {
                    let r = Int(parent[offsets[shard] + Int(i)])
                    sizes[r] = sizes[r] | Self.indexFlag
                }
            }
        }
        try parent.commit()
        try sizes.commit()
    }

    // MARK: - Step: decisions

    /// The decision lists of this part's shards: per document of a cluster of two or more,
    /// keep/drop, its index, the root's id and the cluster size (`x` lines: index matches).
    func writeDecisions(_ part: Int, context: CorpusContext) throws {
        let shards = Array(stride(from: part, to: context.shardCount, by: Self.partitions))
        if shards.isEmpty { return }
        let offsets = try shardOffsets(context)
        let limit = max(1, context.memoryBudget / 2)
        let roots = try DiskUInt32Array(reading: context.path(Self.rootsFile), residentLimit: limit / 2)
        let sizes = try DiskUInt32Array(reading: context.path(Self.sizesFile), residentLimit: limit / 2)
        let idOffsets = ShardFiles { context.path(MinHashDeduplicator.idOffsetFile($0)) }
        let idText = ShardFiles { context.path(MinHashDeduplicator.idFile($0)) }
        var lastRoot = -1
        var lastId = ""
        func id(_ r: Int) throws -> String {
            if r == lastRoot { return lastId }
            let s = shardOf(r, offsets)
            let range = try idOffsets.file(s).words(at: r - offsets[s], count: 2)
            let bytes = try idText.file(s).bytes(at: Int(range[0]), count: max(0, Int(range[1]) - Int(range[0]) - 1))
            lastRoot = r
            lastId = String(decoding: bytes, as: UTF8.self)
            return lastId
        }
        for shard in shards {
            let out = try AtomicFileWriter(path: context.path(Self.decisionFile(shard)))
            var text = ""
            for d in offsets[shard]..<offsets[shard + 1] {
                let r = Int(roots[d])
                let raw = sizes[r]
                let n = raw & ~Self.indexFlag
                if raw & Self.indexFlag != 0 {
                    // index \t position \t (no root id) \t cluster size in the input
                    text += "x\t\(d - offsets[shard])\t\t\(n)\n"
                } else if n > 1 {
                    // drop \t index \t root id \t size  |  keep \t index \t root id \t size
                    text += "\(r == d ? "k" : "d")\t\(d - offsets[shard])\t\(try id(r))\t\(n)\n"
                }
                if text.utf8.count >= 1 << 16 {
                    try Array(text.utf8).withUnsafeBytes { try out.write($0) }
                    text = ""
                }
            }
            try Array(text.utf8).withUnsafeBytes { try out.write($0) }
            try out.commit()
        }
    }
}
