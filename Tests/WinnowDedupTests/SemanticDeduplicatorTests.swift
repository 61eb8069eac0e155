import Foundation
import TensorCore
import Testing
import WinnowCore
import WinnowDedup
import WinnowEmbed
import WinnowIO

/// Unit vectors in `blobs` clusters with `duplicates` near-copies (cosine ≈ 0.999) of random
/// rows inserted at random places: every row as a `[Float]`.
func semanticTestVectors(blobs: Int, perBlob: Int, d: Int, duplicates: Int, seed: UInt64) -> [[Float]] {
    var g = SplitMix64(seed: seed)
    func gaussian() -> Float {
        let u = max(g.nextUnit(), 1e-12)
        return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * g.nextUnit()))
    }
    let centres = (0 ..< blobs).map { _ in (0 ..< d).map { _ in gaussian() } }
    var rows: [[Float]] = []
    for c in 0 ..< blobs {
        for _ in 0 ..< perBlob { rows.append(centres[c].map { $0 + 0.35 * gaussian() }) }
    }
    for _ in 0 ..< duplicates {
        let source = rows[g.nextIndex(below: rows.count)]
        rows.insert(source.map { $0 + 0.01 * gaussian() }, at: g.nextIndex(below: rows.count + 1))
    }
    return rows
}

/// Writes rows as a float32 .npy.
func writeNpy(_ rows: [[Float]], to path: String) throws {
    let w = try NpyWriter(path: path, columns: rows[0].count)
    for r in rows { try w.append(row: r) }
    try w.finish()
}

/// Splits `n` documents into shards of the given sizes (the texts do not matter to a stage reading vectors).
func shardsOf(_ sizes: [Int]) -> [[String]] {
    sizes.enumerated().map { s, n in (0 ..< n).map { "document \(s).\($0)" } }
}

/// SemDeDup by brute force: the stage's own k-means (same configuration and seed), then every
/// pair within a cluster in Double, walking the stage's order and comparing with kept documents.
/// Returns removed global index → (kept global index, cluster).
func bruteForceSemDeDup(_ rows: [[Float]], stage: SemanticDeduplicator) -> [Int: (kept: Int, cluster: Int)] {
    var flat = rows.flatMap { $0 }
    let d = rows[0].count
    Tensor.l2NormalizeRows(&flat, columns: d)
    let x = Tensor(shape: [rows.count, d], scalars: flat)
    let km = stage.kMeans(rows: rows.count, runSeed: 0).fit(x)
    let order = SemanticDeduplicator.clusterOrder(assignments: km.assignments, distances: km.distances, clusters: km.centroids.rows, keep: stage.keep)
    var removed: [Int: (Int, Int)] = [:]
    for c in 0 ..< km.centroids.rows {
        var kept: [Int] = []
        for j in order.indices[order.offsets[c] ..< order.offsets[c + 1]] {
            var best = -1
            var bestSimilarity = -Double.infinity
            for i in kept {
                var dot = 0.0
                for t in 0 ..< d { dot += Double(flat[i * d + t]) * Double(flat[j * d + t]) }
                if dot > bestSimilarity { bestSimilarity = dot; best = i }
            }
            if best >= 0 && bestSimilarity >= 1 - stage.eps { removed[j] = (best, c) } else { kept.append(j) }
        }
    }
    return removed
}

@Suite("semantic_dedup")
struct SemanticDeduplicatorTests {
    let dir = NSTemporaryDirectory() + "winnow-semdedup-\(UUID().uuidString)"

    func config(_ pairs: [(String, String)]) -> ConfigValue {
        ConfigValue(.mapping(pairs.map { ($0.0, ConfigValue(.scalar($0.1), at: SourceLocation(file: "r.yaml", line: 3, column: 7))) }))
    }

    @Test("the removed set, duplicate_of and cluster equal a brute-force pairwise check within clusters",
          arguments: [SemanticDeduplicator.Keep.farthest, .nearest])
    func bruteForce(keep: SemanticDeduplicator.Keep) throws {
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        let rows = semanticTestVectors(blobs: 5, perBlob: 50, d: 16, duplicates: 60, seed: 7)
        try writeNpy(rows, to: dir + "/v.npy")
        let stage = SemanticDeduplicator(source: .file(vectors: dir + "/v.npy", ids: nil), clusters: 6, eps: 0.02, keep: keep)
        let sizes = [100, 0, 110, rows.count - 210]
        let out = try runCorpusStage(stage, shardsOf(sizes))
        let expected = bruteForceSemDeDup(rows, stage: stage)
        #expect(expected.count >= 50, "the fixture should hold near-duplicates")
        let starts = [0, 100, 100, 210]
        let ids = sizes.enumerated().flatMap { s, n in (0 ..< n).map { "s\(s)d\($0)" } }
        func id(_ global: Int) -> String { ids[global] }
        var removedCount = 0
        for (s, shard) in out.enumerated() {
            for (i, r) in shard.enumerated() {
                let global = starts[s] + i
                if let e = expected[global] {
                    #expect(r.verdict == .drop(reason: "semantic_duplicate"), "\(r.document.id) should be removed")
                    #expect(r.document.metadata["duplicate_of"]?.stringValue == id(e.kept))
                    #expect(r.document.metadata["semantic_cluster"] == .int(Int64(e.cluster)))
                    #expect((r.document.metadata["duplicate_similarity"]?.doubleValue ?? 0) >= 0.98)
                    removedCount += 1
                } else {
                    #expect(r.verdict == .keep, "\(r.document.id) should be kept")
                    #expect(r.document.metadata.isEmpty)
                }
            }
        }
        #expect(removedCount == expected.count)
    }

    @Test("the tiled greedy pass equals a naive one for any tile size")
    func tiling() throws {
        let rows = semanticTestVectors(blobs: 1, perBlob: 500, d: 8, duplicates: 200, seed: 3)
        var flat = rows.flatMap { $0 }
        Tensor.l2NormalizeRows(&flat, columns: 8)
        let n = rows.count
        // Naive: kept-only comparisons in order.
        var kept: [Int] = []
        var naive: [Int: Int] = [:]
        for j in 0 ..< n {
            var best = -1
            var bestSimilarity = -Double.infinity
            for i in kept {
                var dot = 0.0
                for t in 0 ..< 8 { dot += Double(flat[i * 8 + t]) * Double(flat[j * 8 + t]) }
                if dot > bestSimilarity { bestSimilarity = dot; best = i }
            }
            if best >= 0 && bestSimilarity >= 0.99 { naive[j] = best } else { kept.append(j) }
        }
        #expect(naive.count >= 100)
        for (blockRows, chunk) in [(256, 4096), (7, 19), (64, 3), (1, 1)] {
            let removed = flat.withUnsafeBufferPointer {
                SemanticDeduplicator.greedyRemoval(MatrixView($0, rows: n, columns: 8), threshold: 0.99, blockRows: blockRows, chunk: chunk)
            }
            #expect(Dictionary(uniqueKeysWithValues: removed.map { ($0.position, $0.keptPosition) }) == naive, "tiles \(blockRows) × \(chunk)")
        }
    }

    @Test("same result run twice and with the resolve partitions run in reverse order")
    func deterministic() throws {
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        let rows = semanticTestVectors(blobs: 4, perBlob: 40, d: 12, duplicates: 40, seed: 5)
        try writeNpy(rows, to: dir + "/v.npy")
        let stage = SemanticDeduplicator(source: .file(vectors: dir + "/v.npy", ids: nil), clusters: 9, eps: 0.02)
        let shards = shardsOf([60, rows.count - 60])
        let a = try runCorpusStage(stage, shards).map { $0.map { "\($0.verdict) \($0.document.metadata.sorted { $0.key < $1.key })" } }
        let b = try runCorpusStage(stage, shards).map { $0.map { "\($0.verdict) \($0.document.metadata.sorted { $0.key < $1.key })" } }
        let c = try runCorpusStage(ReversedPartitions(stage), shards).map { $0.map { "\($0.verdict) \($0.document.metadata.sorted { $0.key < $1.key })" } }
        #expect(a == b)
        #expect(a == c)
    }

    @Test("ids match rows by id, so documents may be filtered or reordered after embedding")
    func byID() throws {
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        // Rows for 4 documents written in another order, plus one for a document that was filtered out.
        try writeNpy([[0, 1], [1, 0], [0.999, 0.01], [5, 5], [0, -1]], to: dir + "/v.npy")
        try FileSystem.writeAll(dir + "/ids.txt", Array("s0d1\ns0d0\ns0d2\ngone\ns0d3\n".utf8))
        let stage = SemanticDeduplicator(source: .file(vectors: dir + "/v.npy", ids: dir + "/ids.txt"), clusters: 1, eps: 0.01)
        let out = try runCorpusStage(stage, [["a", "b", "c", "d"]])
        // s0d0 = [1, 0] and s0d2 = [0.999, 0.01] are duplicates; the one farther from the centroid is kept.
        let dropped = out[0].filter { $0.verdict != .keep }.map(\.document.id)
        #expect(dropped.count == 1 && ["s0d0", "s0d2"].contains(dropped[0]))
        #expect(out[0][1].verdict == .keep && out[0][3].verdict == .keep)
    }

    @Test("no documents, and fewer documents than clusters, work")
    func small() throws {
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        try NpyWriter(path: dir + "/empty.npy", columns: 4).finish()
        let none = SemanticDeduplicator(source: .file(vectors: dir + "/empty.npy", ids: nil))
        #expect(try runCorpusStage(none, [[], []]).allSatisfy { $0.isEmpty })
        try writeNpy([[1, 0], [1, 0.001], [0, 1]], to: dir + "/three.npy")
        // 100 clusters for 3 documents: one cluster each, so nothing can be compared or removed.
        let many = SemanticDeduplicator(source: .file(vectors: dir + "/three.npy", ids: nil), clusters: 100)
        #expect(try runCorpusStage(many, [["a", "b", "c"]])[0].allSatisfy { $0.verdict == .keep })
        let two = SemanticDeduplicator(source: .file(vectors: dir + "/three.npy", ids: nil), clusters: 2)
        #expect(try runCorpusStage(two, [["a", "b", "c"]])[0].filter { $0.verdict == .keep }.count == 2)
    }

    @Test("bad vectors and parameters fail with clear errors")
    func errors() throws {
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        try writeNpy([[1, 0], [0, 1], [1, 1]], to: dir + "/v.npy")
        let mismatch = SemanticDeduplicator(source: .file(vectors: dir + "/v.npy", ids: nil), clusters: 2)
        #expect { _ = try runCorpusStage(mismatch, [["a", "b"], ["c", "d"]]) } throws: { e in
            "\(e)".contains("v.npy: has 3 rows but 4 documents reached the stage")
        }
        try FileSystem.writeAll(dir + "/ids.txt", Array("s0d0\ns0d1\ns0d0\n".utf8))
        let twice = SemanticDeduplicator(source: .file(vectors: dir + "/v.npy", ids: dir + "/ids.txt"), clusters: 2)
        #expect { _ = try runCorpusStage(twice, [["a", "b"]]) } throws: { e in
            "\(e)".contains("ids.txt:3: id 's0d0' is listed twice (first on line 1)")
        }
        try FileSystem.writeAll(dir + "/ids.txt", Array("s0d0\ns0d1\nx\n".utf8))
        let missing = SemanticDeduplicator(source: .file(vectors: dir + "/v.npy", ids: dir + "/ids.txt"), clusters: 2)
        #expect { _ = try runCorpusStage(missing, [["a", "b", "c"]]) } throws: { e in
            "\(e)".contains("has no row for document 's0d2'")
        }
        let noRun = SemanticDeduplicator(source: .runEmbeddings)
        #expect { _ = try runCorpusStage(noRun, [["a"]]) } throws: { e in "\(e)".contains("vectors: embed reads the run folder's embeddings/, but the stage runs outside a run") }
        // A truncated body: the .npy reader names the file and the byte offset.
        let whole = try FileSystem.readAll(dir + "/v.npy")
        try FileSystem.writeAll(dir + "/short.npy", Array(whole.dropLast(3)))
        let short = SemanticDeduplicator(source: .file(vectors: dir + "/short.npy", ids: nil))
        #expect { _ = try runCorpusStage(short, [["a", "b", "c"]]) } throws: { e in
            "\(e)".contains("short.npy: byte") && "\(e)".contains("body has 21 bytes, shape (3, 2) needs 24")
        }
        let notNpy = SemanticDeduplicator(source: .file(vectors: dir + "/ids.txt", ids: nil))
        #expect { _ = try runCorpusStage(notNpy, [["a"]]) } throws: { e in "\(e)".contains("not an .npy file") }

        let d = SemanticDeduplicator.descriptor
        #expect { _ = try d.build(config([("vectors", "v.npy"), ("model", "m")])) } throws: { e in
            "\(e)" == "r.yaml:3:7: stage 'semantic_dedup': give either vectors or model, not both"
        }
        #expect { _ = try d.build(config([("ids", "i.txt")])) } throws: { e in "\(e)".contains("ids needs vectors") }
        #expect { _ = try d.build(config([("vectors", "v.npy"), ("keep", "middle")])) } throws: { e in "\(e)".contains("must be one of farthest, nearest") }
        #expect { _ = try d.build(config([("vectors", "v.npy"), ("clusters", "0")])) } throws: { e in "\(e)".contains("'clusters' must be ≥ 1") }
        #expect { _ = try d.build(config([("vectors", "v.npy"), ("eps", "x")])) } throws: { e in "\(e)".contains("'eps' must be a number") }
        #expect { _ = try d.build(config([("model", dir + "/no-such-model")])) } throws: { e in "\(e)".contains("model not found") }
        let ok = try d.build(config([("vectors", "embed"), ("clusters", "7"), ("keep", "nearest")])) as? SemanticDeduplicator
        #expect(ok?.clusters == 7 && ok?.keep == .nearest)
    }

    @Test("with the real MiniLM embedder the stage removes paraphrase-level duplicates, as a brute-force check does",
          .enabled(if: (try? ModelLocator.locate("all-MiniLM-L6-v2")) != nil, "models/all-MiniLM-L6-v2 is absent (make deps-models)"))
    func miniLM() throws {
        let texts = [
            "The quick brown fox jumps over the lazy dog.",
            "Stock markets fell sharply on Monday after the central bank raised interest rates.",
            "Photosynthesis converts light energy into chemical energy in green plants.",
            "the quick brown fox jumps over the lazy dog",
            "How do I bake sourdough bread at home?",
            "Stock markets fell sharply on Monday after the central bank raised its interest rates.",
            "The committee will meet again next Thursday to vote on the budget.",
            "A recipe for baking sourdough bread in a home oven.",
        ]
        let stage = try SemanticDeduplicator.descriptor.build(config([("clusters", "2"), ("eps", "0.05")])) as! SemanticDeduplicator
        let out = try runCorpusStage(stage, [Array(texts[0 ..< 5]), Array(texts[5...])])
        guard case .model(let embedder, _, _) = stage.source else { Issue.record("expected the model source"); return }
        let expected = bruteForceSemDeDup(embedder.embed(texts), stage: stage)
        let flat = out.flatMap { $0 }
        let removed = Set(flat.indices.filter { flat[$0].verdict != .keep })
        #expect(removed == Set(expected.keys))
        // The two fox sentences and the two stock-market sentences are pairs; one of each goes.
        #expect(removed.count == 2)
        #expect(removed.contains(0) != removed.contains(3))
        #expect(removed.contains(1) != removed.contains(5))
    }
}

/// Runs a stage's resolve partitions in reverse order (as a different worker schedule would).
struct ReversedPartitions: CorpusStage {
    let inner: any CorpusStage
    init(_ inner: any CorpusStage) { self.inner = inner }
    var name: String { inner.name }
    var resolveSteps: [Int] { inner.resolveSteps }
    func makeObserver(context: CorpusContext) throws -> any CorpusObserver { try inner.makeObserver(context: context) }
    func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        let last = inner.resolveSteps[step] - 1
        var c = context
        c.partition = last - partition
        try inner.resolve(step: step, partition: last - partition, context: c)
    }
    func makeDecider(context: CorpusContext) throws -> any CorpusDecider { try inner.makeDecider(context: context) }
}
