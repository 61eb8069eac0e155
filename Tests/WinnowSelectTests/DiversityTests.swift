import Foundation
import TensorCore
import Testing
import WinnowCore
import WinnowEmbed
import WinnowIO
@testable import WinnowSelect

/// Runs a corpus stage as the pipeline does (observe every shard, each resolve partition, decide)
/// over shards of placeholder texts with ids `s<shard>d<index>`; returns each document's verdict
/// and metadata after decide.
func runDiversityStage(_ stage: any CorpusStage, shardSizes: [Int], runDirectory: String = "") throws -> [[(verdict: Verdict, document: Document)]] {
    let dir = NSTemporaryDirectory() + "winnow-diversity-\(UUID().uuidString)"
    try FileSystem.createDirectory(dir)
    defer { try? FileSystem.remove(dir) }
    func context(_ shard: Int, _ partition: Int = -1) -> CorpusContext {
        var c = CorpusContext(workDirectory: dir, shard: shard, shardCount: shardSizes.count, partition: partition)
        c.runDirectory = runDirectory
        return c
    }
    for (s, n) in shardSizes.enumerated() {
        let observer = try stage.makeObserver(context: context(s))
        for i in 0 ..< n { try observer.observe(Document(id: "s\(s)d\(i)", text: "text \(s) \(i)"), index: i) }
        try observer.finish()
    }
    for (step, partitions) in stage.resolveSteps.enumerated() {
        for p in 0 ..< partitions { try stage.resolve(step: step, partition: p, context: context(-1, p)) }
    }
    return try shardSizes.enumerated().map { s, n in
        let decider = try stage.makeDecider(context: context(s))
        return try (0 ..< n).map { i in
            var doc = Document(id: "s\(s)d\(i)", text: "text \(s) \(i)")
            let v = try decider.decide(&doc, index: i)
            return (v, doc)
        }
    }
}

/// `n` seeded random unit vectors of `d` dimensions (as a flat row-major array).
func randomUnitRows(_ n: Int, _ d: Int, seed: UInt64) -> [Float] {
    var g = SplitMix64(seed: seed)
    var x = (0 ..< n * d).map { _ in Float(g.nextUnit() * 2 - 1) }
    Tensor.l2NormalizeRows(&x, columns: d)
    return x
}

func dot(_ x: [Float], _ d: Int, _ i: Int, _ j: Int) -> Double {
    var s = 0.0
    for t in 0 ..< d { s += Double(x[i * d + t]) * Double(x[j * d + t]) }
    return s
}

/// Farthest-first by brute force: every candidate's distance to every pick, in Double.
func bruteForceKCenter(_ x: [Float], _ d: Int, count: Int, seed: UInt64) -> [Int] {
    let n = x.count / d
    var g = SplitMix64(seed: seed)
    var picks = [g.nextIndex(below: n)]
    while picks.count < count {
        var best = -1
        var bestDistance = -Double.infinity
        for i in 0 ..< n where !picks.contains(i) {
            let nearest = picks.map { 1 - dot(x, d, i, $0) }.min() ?? 0
            if nearest > bestDistance { bestDistance = nearest; best = i }
        }
        picks.append(best)
    }
    return picks
}

/// Plain greedy facility location by brute force: F(S ∪ {c}) for every candidate each round,
/// over a similarity function.
func bruteForceFacilityLocation(n: Int, count: Int, similarity: (Int, Int) -> Double) -> [Int] {
    var covered = [Double](repeating: 0, count: n)
    var picks: [Int] = []
    while picks.count < count {
        var best = -1
        var bestGain = -Double.infinity
        for c in 0 ..< n where !picks.contains(c) {
            var gain = 0.0
            for i in 0 ..< n { gain += max(0, similarity(i, c) - covered[i]) }
            if gain > bestGain { bestGain = gain; best = c }
        }
        picks.append(best)
        for i in 0 ..< n { covered[i] = max(covered[i], similarity(i, best)) }
    }
    return picks
}

@Suite("diversity")
struct DiversityTests {
    @Test("greedy k-center equals a brute-force farthest-first selection", arguments: [UInt64(1), 2, 3])
    func kCenter(seed: UInt64) {
        let x = randomUnitRows(300, 10, seed: seed)
        let fast = x.withUnsafeBufferPointer { DiversitySelector.kCenter(MatrixView($0, rows: 300, columns: 10), count: 25, seed: seed) }
        #expect(fast == bruteForceKCenter(x, 10, count: 25, seed: seed))
        #expect(Set(fast).count == 25)
    }

    @Test("lazy greedy facility location equals brute-force greedy: exact graph and a top-8 graph", arguments: [0, 8])
    func facilityLocation(neighbours: Int) {
        let n = 120
        let x = randomUnitRows(n, 6, seed: 17)
        let graph = x.withUnsafeBufferPointer {
            let v = MatrixView($0, rows: n, columns: 6)
            return NearestNeighbours.search(v, in: v, k: neighbours == 0 ? n : neighbours)
        }
        let fast = DiversitySelector.facilityLocation(graph: graph, count: 20)
        let brute: [Int]
        if neighbours == 0 {
            brute = bruteForceFacilityLocation(n: n, count: 20) { i, c in max(0, dot(x, 6, i, c)) }
        } else {
            var sparse = [Int: Double]()
            for i in 0 ..< n { for nb in graph.neighbours(of: i) { sparse[i * n + nb.index] = max(0, Double(nb.score)) } }
            brute = bruteForceFacilityLocation(n: n, count: 20) { i, c in sparse[i * n + c] ?? 0 }
        }
        #expect(fast == brute)
    }

    @Test("ties go to the lower index, and a count above n selects everything once")
    func ties() {
        let x: [Float] = [1, 0, 1, 0, 0, 1, 0, 1]  // rows 0 = 1 and 2 = 3
        let graph = x.withUnsafeBufferPointer { let v = MatrixView($0, rows: 4, columns: 2); return NearestNeighbours.search(v, in: v, k: 4) }
        #expect(DiversitySelector.facilityLocation(graph: graph, count: 10) == [0, 2, 1, 3])
        let k = x.withUnsafeBufferPointer { DiversitySelector.kCenter(MatrixView($0, rows: 4, columns: 2), count: 10, seed: 0) }
        #expect(Set(k) == [0, 1, 2, 3] && k.count == 4)
    }

    @Test("the stage keeps exactly the algorithm's picks, with their ranks, across shards",
          arguments: [DiversitySelector.Method.kCenter, .facilityLocation])
    func stage(method: DiversitySelector.Method) throws {
        let dir = NSTemporaryDirectory() + "winnow-diversity-npy-\(UUID().uuidString)"
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        let n = 200
        let x = randomUnitRows(n, 8, seed: 23)
        let w = try NpyWriter(path: dir + "/v.npy", columns: 8)
        try x.withUnsafeBufferPointer { try w.append(rows: $0) }
        try w.finish()
        let stage = DiversitySelector(source: .file(vectors: dir + "/v.npy", ids: nil), method: method, size: .fraction(0.1), neighbours: 12, seed: 5)
        let sizes = [70, 0, 130]
        let out = try runDiversityStage(stage, shardSizes: sizes).flatMap { $0 }
        let expected = x.withUnsafeBufferPointer { p -> [Int] in
            let v = MatrixView(p, rows: n, columns: 8)
            return method == .kCenter
                ? DiversitySelector.kCenter(v, count: 20, seed: 5)
                : DiversitySelector.facilityLocation(graph: NearestNeighbours.search(v, in: v, k: 12), count: 20)
        }
        #expect(expected.count == 20)
        for (i, r) in out.enumerated() {
            if let rank = expected.firstIndex(of: i) {
                #expect(r.verdict == .keep)
                #expect(r.document.metadata["diversity_rank"] == .int(Int64(rank)))
            } else {
                #expect(r.verdict == .drop(reason: "diversity_not_selected"))
            }
        }
        // The same again (a fixed order everywhere).
        let again = try runDiversityStage(stage, shardSizes: sizes).flatMap { $0 }
        #expect(again.map(\.verdict) == out.map(\.verdict))
    }

    @Test("vectors: embed reads the run's embeddings/ (as the embed stage writes it) and matches rows by id")
    func runEmbeddings() throws {
        let run = NSTemporaryDirectory() + "winnow-diversity-run-\(UUID().uuidString)"
        try FileSystem.createDirectory(run + "/embeddings")
        defer { try? FileSystem.remove(run) }
        let n = 40
        let x = randomUnitRows(n, 5, seed: 29)
        // The embed stage saw two more documents (filtered out since) and wrote rows in its own order.
        let order = Array((0 ..< n).reversed())
        let w = try NpyWriter(path: run + "/embeddings/vectors.npy", columns: 5)
        var ids = ""
        for i in order {
            try w.append(row: Array(x[(i * 5) ..< (i * 5 + 5)]))
            ids += (i < 25 ? "s0d\(i)" : "s1d\(i - 25)") + "\n"
            if i == 10 {
                try w.append(row: [1, 2, 3, 4, 5])
                ids += "filtered-out\n"
            }
        }
        try w.append(row: [5, 4, 3, 2, 1])
        ids += "also-gone\n"
        try w.finish()
        try FileSystem.writeAll(run + "/embeddings/ids.txt", Array(ids.utf8))
        let stage = DiversitySelector(source: .runEmbeddings, method: .kCenter, size: .count(7), seed: 3)
        let out = try runDiversityStage(stage, shardSizes: [25, 15], runDirectory: run).flatMap { $0 }
        let expected = x.withUnsafeBufferPointer { DiversitySelector.kCenter(MatrixView($0, rows: n, columns: 5), count: 7, seed: 3) }
        #expect(out.indices.filter { out[$0].verdict == .keep } == expected.sorted())
        #expect { _ = try runDiversityStage(stage, shardSizes: [25, 15]) } throws: { e in "\(e)".contains("the stage runs outside a run") }
    }

    @Test("bad parameters and mismatched vectors fail with clear errors")
    func errors() throws {
        func build(_ pairs: [(String, String)]) throws -> any Stage {
            try DiversitySelector.descriptor.build(
                ConfigValue(.mapping(pairs.map { ($0.0, ConfigValue(.scalar($0.1), at: SourceLocation(file: "r.yaml", line: 4, column: 9))) })))
        }
        #expect { _ = try build([("vectors", "v.npy"), ("count", "5")]) } throws: { e in "\(e)".contains("method is required") }
        #expect { _ = try build([("vectors", "v.npy"), ("method", "random")]) } throws: { e in "\(e)".contains("must be one of k_center, facility_location") }
        #expect { _ = try build([("vectors", "v.npy"), ("method", "k_center")]) } throws: { e in "\(e)".contains("give count or fraction") }
        #expect { _ = try build([("vectors", "v.npy"), ("method", "k_center"), ("count", "3"), ("fraction", "0.5")]) } throws: { e in
            "\(e)" == "r.yaml:4:9: stage 'diversity': give count or fraction, not both"
        }
        #expect { _ = try build([("vectors", "v.npy"), ("method", "k_center"), ("fraction", "1.5")]) } throws: { e in "\(e)".contains("'fraction' must be ≤ 1") }
        #expect { _ = try build([("vectors", "v.npy"), ("method", "k_center"), ("count", "-1")]) } throws: { e in "\(e)".contains("'count' must be ≥ 0") }
        let ok = try build([("vectors", "v.npy"), ("method", "facility_location"), ("count", "3"), ("neighbours", "0")]) as? DiversitySelector
        #expect(ok?.size == .count(3) && ok?.neighbours == 0 && ok?.method == .facilityLocation)

        let dir = NSTemporaryDirectory() + "winnow-diversity-bad-\(UUID().uuidString)"
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        let w = try NpyWriter(path: dir + "/v.npy", columns: 2)
        try w.append(row: [1, 0])
        try w.finish()
        let stage = DiversitySelector(source: .file(vectors: dir + "/v.npy", ids: nil), method: .kCenter, size: .count(1))
        #expect { _ = try runDiversityStage(stage, shardSizes: [2]) } throws: { e in "\(e)".contains("has 1 rows but 2 documents reached the stage") }
    }

    @Test("no documents: both methods select nothing without error", arguments: [DiversitySelector.Method.kCenter, .facilityLocation])
    func empty(method: DiversitySelector.Method) throws {
        let dir = NSTemporaryDirectory() + "winnow-diversity-empty-\(UUID().uuidString)"
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        try NpyWriter(path: dir + "/v.npy", columns: 3).finish()
        let stage = DiversitySelector(source: .file(vectors: dir + "/v.npy", ids: nil), method: method, size: .fraction(0.5))
        #expect(try runDiversityStage(stage, shardSizes: [0, 0]).allSatisfy { $0.isEmpty })
    }

    @Test("fractions round to the nearest whole number and never exceed n")
    func sizes() {
        #expect(DiversitySelector.Size.fraction(0.25).resolved(10) == 3)
        #expect(DiversitySelector.Size.fraction(1).resolved(7) == 7)
        #expect(DiversitySelector.Size.count(50).resolved(7) == 7)
        #expect(DiversitySelector.Size.count(0).resolved(7) == 0)
    }
}
