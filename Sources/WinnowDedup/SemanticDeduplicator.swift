import TensorCore
import WinnowCore
import WinnowEmbed
import WinnowIO

/// Semantic deduplication (SemDeDup, Abbas et al. 2023): documents whose embeddings are nearly
/// parallel are duplicates even when their words differ.
///
/// 1. Observe: each document's vector comes from the ``EmbeddingSource`` (the stage embeds it,
///    or a given `.npy`, or an earlier `embed` stage); the ids are recorded.
/// 2. Resolve step 0 (one partition): spherical k-means (``KMeans``: k-means++ seeding on a
///    seeded sample of 64 rows per cluster, then Lloyd's iterations on every row) into
///    `clusters` clusters; within each cluster the documents are ordered by distance to the
///    centroid, farthest first with `keep: farthest` (SemDeDup's default: prototypical
///    documents near the centre go first) or nearest first with `keep: nearest` (ties: input
///    order). The unit vectors are written in that order to `sorted.f32`.
/// 3. Resolve step 1 (`partitions` partitions, clusters dealt round-robin): in each cluster,
///    walking that order, a document is removed when its cosine similarity to a document
///    already *kept* is at least `1 − eps`; it records the most similar such document
///    (ties: the earlier one). Similarities come from `sgemm` tiles of at most 256 × 4096,
///    never a cluster-sized square.
/// 4. Resolve step 2: per-shard decision lists; decide drops with `semantic_duplicate` and
///    writes `duplicate_of`, `semantic_cluster` and `duplicate_similarity` into the metadata.
///
/// SemDeDup's reference code removes a document similar to *any* earlier one in the order,
/// even one itself removed; here the comparison is with kept documents only, so every removed
/// document names a kept one and chains (a ≈ b ≈ c, a ≉ c) keep c.
///
/// Every step is sequential over a fixed order and each cluster is handled whole by one
/// partition, so the result is identical for any worker count.
public struct SemanticDeduplicator: CorpusStage, RegisteredStage {
    /// The stage name.
    public var name: String { "semantic_dedup" }
    /// Where the vectors come from.
    public var source: EmbeddingSource
    /// k-means clusters (fewer when fewer documents reach the stage).
    public var clusters: Int
    /// Documents with cosine ≥ 1 − eps to a kept one are removed.
    public var eps: Double
    /// Which end of a cluster's distance order is kept first.
    public var keep: Keep
    /// k-means iterations at most.
    public var iterations: Int
    /// The k-means seed; nil takes the run's seed.
    public var seed: UInt64?

    /// Which documents of a group of duplicates are kept.
    public enum Keep: String, Sendable, CaseIterable {
        /// Farthest from the cluster centroid first (SemDeDup).
        case farthest
        /// Nearest to the centroid first.
        case nearest
    }

    /// Resolve partitions of the pairwise step (clusters are dealt to them round-robin).
    static let partitions = 8

    /// Creates the stage.
    public init(source: EmbeddingSource, clusters: Int = 100, eps: Double = 0.05, keep: Keep = .farthest,
                iterations: Int = 50, seed: UInt64? = nil) {
        self.source = source
        self.clusters = clusters
        self.eps = eps
        self.keep = keep
        self.iterations = iterations
        self.seed = seed
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "semantic_dedup", kind: .corpus,
        summary: "SemDeDup (Abbas et al. 2023): spherical k-means over the documents' unit embeddings, then within each cluster, in order of distance to the centroid (farthest first by default), removes documents whose cosine similarity to an already kept document is ≥ 1 − eps. Vectors come from the stage's own MiniLM embedder, a given .npy, or an earlier embed stage. Removed documents carry metadata.duplicate_of (the most similar kept document), semantic_cluster and duplicate_similarity. Same result for any worker count.",
        parameters: [
            ParameterSpec("clusters", "int", default: "100", "k-means clusters (at most one per document); SemDeDup used ~n/10,000 on web data"),
            ParameterSpec("eps", "number", default: "0.05", "remove documents with cosine ≥ 1 − eps to a kept document of the same cluster"),
            ParameterSpec("keep", "string", default: "farthest", "farthest | nearest: which documents of a cluster are visited (and so kept) first, by distance to the centroid"),
            ParameterSpec("iterations", "int", default: "50", "k-means iterations at most (stops earlier when the objective improves by less than 1e-4 of itself)"),
            ParameterSpec("seed", "int", default: "the run's seed", "seed of the k-means++ initialisation"),
        ] + EmbeddingSource.parameters,
        dropReasons: ["semantic_duplicate"],
        make: { p in
            let clusters = try p.int("clusters", default: 100, min: 1) ?? 100
            let eps = try p.double("eps", default: 0.05, min: 0, max: 2) ?? 0.05
            let keep = Keep(rawValue: try p.string("keep", default: "farthest", choices: Keep.allCases.map(\.rawValue)) ?? "") ?? .farthest
            let iterations = try p.int("iterations", default: 50, min: 0) ?? 50
            let seed = try p.int("seed", min: 0).map { UInt64($0) }
            return SemanticDeduplicator(source: try EmbeddingSource.parse(p), clusters: clusters, eps: eps, keep: keep,
                                        iterations: iterations, seed: seed)
        })

    /// The k-means the stage runs over `rows` documents in a run with seed `runSeed`.
    public func kMeans(rows: Int, runSeed: UInt64) -> KMeans {
        KMeans(clusters: max(1, min(clusters, rows)), metric: .cosine, initialization: .kMeansPlusPlus,
               maxIterations: iterations, tolerance: 1e-4, seed: seed ?? runSeed, seedingSample: 64 * clusters)
    }

    static let sortedFile = "sorted.f32"
    static let orderFile = "order.u64"
    static let layoutFile = "layout.u64"  // rows, columns, clusters, then clusters + 1 offsets
    static func removedFile(_ partition: Int) -> String { "removed-\(partition).u64" }
    static func decisionFile(_ shard: Int) -> String { "semantic-\(shard).tsv" }

    // MARK: - Observe

    /// Creates the per-shard observer (embeds, or records ids).
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        try source.makeObserver(context: context)
    }

    // MARK: - Resolve

    /// k-means, then the pairwise step in partitions, then the decision lists.
    public var resolveSteps: [Int] { [1, Self.partitions, 1] }

    /// Runs one partition of a resolve step.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        BLAS.setThreadCount(1)  // the parallelism is the partitions'; the same BLAS path on every machine
        switch step {
        case 0: try cluster(context: context)
        case 1: try removeDuplicates(partition: partition, context: context)
        default: try writeDecisions(context: context)
        }
    }

    /// Step 0: cluster, order each cluster, write the vectors in that order.
    func cluster(context: CorpusContext) throws {
        let matrix = try source.load(context: context)
        let n = matrix.rows
        let d = matrix.columns
        guard n > 0 else {
            try writeWords(context.path(Self.layoutFile), [0, UInt64(d), 0, 0])
            try writeWords(context.path(Self.orderFile), [])
            try MappedMatrix.write([], to: context.path(Self.sortedFile))
            return
        }
        let kmeans = kMeans(rows: n, runSeed: context.seed)
        let result = matrix.values.withUnsafeBufferPointer { kmeans.fit(MatrixView($0, rows: n, columns: d)) }
        let order = Self.clusterOrder(assignments: result.assignments, distances: result.distances,
                                      clusters: kmeans.clusters, keep: keep)
        var layout: [UInt64] = [UInt64(n), UInt64(d), UInt64(kmeans.clusters)]
        layout += order.offsets.map { UInt64($0) }
        try writeWords(context.path(Self.layoutFile), layout)
        try writeWords(context.path(Self.orderFile), order.indices.map { UInt64($0) })
        let out = try AtomicFileWriter(path: context.path(Self.sortedFile))
        try matrix.values.withUnsafeBufferPointer { all in
            var chunk: [Float] = []
            chunk.reserveCapacity(4096 * d)
            for (k, i) in order.indices.enumerated() {
                chunk.append(contentsOf: all[(i * d) ..< ((i + 1) * d)])
                if chunk.count >= 4096 * d || k == order.indices.count - 1 {
                    try chunk.withUnsafeBytes { try out.write($0) }
                    chunk.removeAll(keepingCapacity: true)
                }
            }
        }
        try out.commit()
    }

    /// The documents grouped by cluster (in cluster order) and, within a cluster, by distance to
    /// the centroid (descending for `farthest`, ascending for `nearest`; ties by index).
    public static func clusterOrder(assignments: [Int32], distances: [Float], clusters: Int, keep: Keep)
        -> (indices: [Int], offsets: [Int])
    {
        var offsets = [Int](repeating: 0, count: clusters + 1)
        for a in assignments { offsets[Int(a) + 1] += 1 }
        for c in 0 ..< clusters { offsets[c + 1] += offsets[c] }
        var fill = offsets
        var indices = [Int](repeating: 0, count: assignments.count)
        for (i, a) in assignments.enumerated() {
            indices[fill[Int(a)]] = i
            fill[Int(a)] += 1
        }
        for c in 0 ..< clusters {
            indices[offsets[c] ..< offsets[c + 1]].sort { a, b in
                if distances[a] != distances[b] { return keep == .farthest ? distances[a] > distances[b] : distances[a] < distances[b] }
                return a < b
            }
        }
        return (indices, offsets)
    }

    /// Step 1: the greedy pass over this partition's clusters.
    func removeDuplicates(partition: Int, context: CorpusContext) throws {
        let layout = try readWords(context.path(Self.layoutFile))
        let d = Int(layout[1])
        let k = Int(layout[2])
        let offsets = layout[3...].map { Int($0) }
        let order = try readWords(context.path(Self.orderFile))
        var out: [UInt64] = []
        if d > 0 {
            let mapped = try MappedMatrix.shared(path: context.path(Self.sortedFile), columns: d)
            mapped.withView { view in
                for c in stride(from: partition, to: k, by: Self.partitions) {
                    let start = offsets[c]
                    let members = MatrixView(
                        UnsafeBufferPointer(rebasing: view.scalars[(start * d) ..< (offsets[c + 1] * d)]),
                        rows: offsets[c + 1] - start, columns: d)
                    let removed = Self.greedyRemoval(members, threshold: Float(1 - eps))
                    for r in removed {
                        // global index, kept global index, cluster, similarity bits
                        out += [order[start + r.position], order[start + r.keptPosition], UInt64(c), UInt64(r.similarity.bitPattern)]
                    }
                }
            }
        }
        try writeWords(context.path(Self.removedFile(partition)), out)
    }

    /// A document removed by the greedy pass: its position in the cluster's order, the position
    /// of the most similar kept document before it, and their cosine similarity.
    public struct Removal: Sendable, Hashable {
        /// The removed document's position.
        public var position: Int
        /// The kept document's position.
        public var keptPosition: Int
        /// Their cosine similarity.
        public var similarity: Float
    }

    /// Walks the rows in order; a row whose similarity to an earlier *kept* row is ≥ `threshold`
    /// is removed (naming the most similar kept row, ties to the earlier one), else kept.
    /// Tiles of `sgemm`: each block of 256 rows against the earlier rows in chunks of 4,096,
    /// then against itself, so memory is one tile whatever the cluster size.
    /// - Parameters:
    ///   - rows: the cluster's unit vectors in visiting order.
    ///   - threshold: the similarity at or above which a row is a duplicate.
    ///   - blockRows: rows per tile (the stage always uses the defaults, so its results repeat bit for bit).
    ///   - chunk: earlier rows per tile.
    public static func greedyRemoval(_ rows: MatrixView, threshold: Float, blockRows: Int = 256, chunk: Int = 4096) -> [Removal] {
        precondition(blockRows > 0 && chunk > 0)
        let n = rows.rows
        var kept = [Bool](repeating: false, count: n)
        var removed: [Removal] = []
        var tile = [Float](repeating: 0, count: blockRows * max(blockRows, chunk))  // also holds a block × block tile
        var bestScore = [Float](repeating: 0, count: blockRows)
        var bestIndex = [Int](repeating: -1, count: blockRows)
        tile.withUnsafeMutableBufferPointer { t in
            let tp = t.baseAddress.unsafelyUnwrapped
            var r0 = 0
            while r0 < n {
                let r1 = min(n, r0 + blockRows)
                for j in 0 ..< (r1 - r0) {
                    bestScore[j] = -.infinity
                    bestIndex[j] = -1
                }
                // Against earlier blocks, whose kept flags are final.
                var c0 = 0
                while c0 < r0 {
                    let c1 = min(r0, c0 + chunk)
                    rows.dotProducts(rows: r0 ..< r1, with: rows, rows: c0 ..< c1, into: tp)
                    let width = c1 - c0
                    for j in 0 ..< (r1 - r0) {
                        let line = tp + j * width
                        for i in 0 ..< width where kept[c0 + i] && line[i] > bestScore[j] {
                            bestScore[j] = line[i]
                            bestIndex[j] = c0 + i
                        }
                    }
                    c0 = c1
                }
                // Within the block, in order.
                rows.dotProducts(rows: r0 ..< r1, with: rows, rows: r0 ..< r1, into: tp)
                let width = r1 - r0
                for j in 0 ..< width {
                    let line = tp + j * width
                    for i in 0 ..< j where kept[r0 + i] && line[i] > bestScore[j] {
                        bestScore[j] = line[i]
                        bestIndex[j] = r0 + i
                    }
                    if bestIndex[j] >= 0 && bestScore[j] >= threshold {
                        removed.append(Removal(position: r0 + j, keptPosition: bestIndex[j], similarity: bestScore[j]))
                    } else {
                        kept[r0 + j] = true
                    }
                }
                r0 = r1
            }
        }
        return removed
    }

    /// Step 2: one decision list per shard: index, duplicate_of id, cluster, similarity.
    func writeDecisions(context: CorpusContext) throws {
        var removed: [(index: Int, kept: Int, cluster: Int, similarity: Float)] = []
        for p in 0 ..< Self.partitions {
            let words = try readWords(context.path(Self.removedFile(p)))
            var i = 0
            while i + 3 < words.count {
                removed.append((Int(words[i]), Int(words[i + 1]), Int(words[i + 2]), Float(bitPattern: UInt32(truncatingIfNeeded: words[i + 3]))))
                i += 4
            }
        }
        removed.sort { $0.index < $1.index }
        let (ids, starts) = try EmbeddingSource.documentIDs(context: context)
        var lines = [String](repeating: "", count: context.shardCount)
        var shard = 0
        for r in removed {
            while starts[shard + 1] <= r.index { shard += 1 }
            let id = ids[r.kept].replacing("\n", with: " ").replacing("\t", with: " ")
            lines[shard] += "\(r.index - starts[shard])\t\(r.cluster)\t\(r.similarity)\t\(id)\n"
        }
        for s in 0 ..< context.shardCount {
            try FileSystem.writeAll(context.path(Self.decisionFile(s)), Array(lines[s].utf8))
        }
    }

    // MARK: - Decide

    final class Decider: CorpusDecider {
        let decisions: [Int: (cluster: Int, similarity: Double, original: String)]
        init(_ decisions: [Int: (cluster: Int, similarity: Double, original: String)]) { self.decisions = decisions }

        func quickVerdict(index: Int) -> Verdict? { decisions[index] == nil ? .keep : nil }

        func decide(_ document: inout Document, index: Int) throws -> Verdict {
            guard let d = decisions[index] else { return .keep }
            document.metadata["duplicate_of"] = .string(d.original)
            document.metadata["semantic_cluster"] = .int(Int64(d.cluster))
            document.metadata["duplicate_similarity"] = .double(d.similarity)
            return .drop(reason: "semantic_duplicate")
        }
    }

    /// Creates the per-shard decider from the decision list.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        let text = String(decoding: try FileSystem.readAll(context.path(Self.decisionFile(context.shard))), as: UTF8.self)
        var map: [Int: (cluster: Int, similarity: Double, original: String)] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            guard f.count == 4, let i = Int(f[0]), let c = Int(f[1]), let s = Float(f[2]) else {
                throw FileError(path: context.path(Self.decisionFile(context.shard)), "corrupt line '\(line)' (rerun without --resume)")
            }
            // Rounded to 6 decimals so the metadata does not show float32 noise.
            map[i] = (c, (Double(s) * 1e6).rounded() / 1e6, String(f[3]))
        }
        return Decider(map)
    }
}
