import Foundation
import Testing
@testable import TensorCore

/// `clusters` well-separated Gaussian blobs of `perCluster` points in `d` dimensions, in a
/// seeded shuffled order; unit length when `normalize`.
func blobs(clusters: Int, perCluster: Int, d: Int, spread: Float = 0.15, seed: UInt64, normalize: Bool = false) -> Tensor {
    var g = SplitMix64(seed: seed)
    func gaussian() -> Float {
        // Box–Muller from two uniform draws.
        let u = max(g.nextUnit(), 1e-12)
        let v = g.nextUnit()
        return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
    }
    let centres = (0 ..< clusters).map { _ in (0 ..< d).map { _ in gaussian() } }
    var rows: [[Float]] = []
    for c in 0 ..< clusters {
        for _ in 0 ..< perCluster { rows.append(centres[c].map { $0 + spread * gaussian() }) }
    }
    for i in stride(from: rows.count - 1, to: 0, by: -1) { rows.swapAt(i, g.nextIndex(below: i + 1)) }
    var t = Tensor(rows: rows)
    if normalize { Tensor.l2NormalizeRows(&t.scalars, columns: d) }
    return t
}

/// Plain Lloyd's algorithm with Double loops (no BLAS), the same stopping rule and no empty
/// clusters expected: the reference for ``KMeans``.
func naiveKMeans(_ x: [[Float]], initial: [[Float]], cosine: Bool, iterations: Int, tolerance: Double)
    -> (assignments: [Int32], centroids: [[Double]], objectives: [Double])
{
    var centroids = initial.map { $0.map(Double.init) }
    func assign() -> ([Int32], Double) {
        var a: [Int32] = []
        var total = 0.0
        for p in x {
            var best = 0
            var bestD = Double.infinity
            for (c, centre) in centroids.enumerated() {
                var d = 0.0
                if cosine {
                    var dot = 0.0
                    for j in p.indices { dot += Double(p[j]) * centre[j] }
                    d = 1 - dot
                } else {
                    for j in p.indices { d += (Double(p[j]) - centre[j]) * (Double(p[j]) - centre[j]) }
                }
                if d < bestD { bestD = d; best = c }
            }
            a.append(Int32(best))
            total += max(0, bestD)
        }
        return (a, total)
    }
    var (assignments, objective) = assign()
    var objectives = [objective]
    for _ in 0 ..< iterations {
        for c in centroids.indices {
            let members = x.indices.filter { assignments[$0] == Int32(c) }
            guard !members.isEmpty else { continue }
            var mean = [Double](repeating: 0, count: x[0].count)
            for i in members { for j in mean.indices { mean[j] += Double(x[i][j]) } }
            mean = mean.map { $0 / Double(members.count) }
            if cosine {
                let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
                mean = mean.map { $0 / norm }
            }
            centroids[c] = mean
        }
        let (next, nextObjective) = assign()
        let unchanged = next == assignments
        assignments = next
        objectives.append(nextObjective)
        if unchanged || objective - nextObjective <= tolerance * abs(objective) { break }
        objective = nextObjective
    }
    return (assignments, centroids, objectives)
}

@Suite("k-means and nearest neighbours")
struct KMeansTests {
    @Test("Lloyd's iterations match a naive Double implementation from the same initial centroids",
          arguments: [KMeans.Metric.euclidean, .cosine])
    func matchesNaive(metric: KMeans.Metric) {
        let x = blobs(clusters: 6, perCluster: 40, d: 12, spread: 0.6, seed: 11, normalize: metric == .cosine)
        let kmeans = KMeans(clusters: 6, metric: metric, maxIterations: 30, tolerance: 0, seed: 3)
        // A deliberately poor start (random rows) so several iterations run.
        let initial = x.withMatrixView { KMeans(clusters: 6, metric: metric, initialization: .random, seed: 5).initialCentroids($0) }
        let fast = x.withMatrixView { kmeans.fit($0, initialCentroids: initial) }
        let slow = naiveKMeans(x.rowArrays(), initial: initial.rowArrays(), cosine: metric == .cosine, iterations: 30, tolerance: 0)
        #expect(fast.iterations > 1)
        #expect(fast.assignments == slow.assignments)
        #expect(fast.objectives.count == slow.objectives.count)
        for (a, b) in zip(fast.objectives, slow.objectives) { #expect(abs(a - b) <= 1e-3 * max(1, abs(b))) }
        for c in 0 ..< 6 {
            for j in 0 ..< 12 { #expect(abs(Double(fast.centroids.scalars[c * 12 + j]) - slow.centroids[c][j]) < 1e-4) }
        }
        #expect(fast.emptyClustersRefilled == 0)
    }

    @Test("the objective never rises, k-means++ finds separated blobs, and the same seed gives identical bits",
          arguments: [KMeans.Metric.euclidean, .cosine])
    func objectiveAndDeterminism(metric: KMeans.Metric) {
        let x = blobs(clusters: 8, perCluster: 50, d: 16, seed: 21, normalize: metric == .cosine)
        let kmeans = KMeans(clusters: 8, metric: metric, maxIterations: 100, tolerance: 0, seed: 9)
        let a = kmeans.fit(x)
        let b = kmeans.fit(x)
        for (previous, next) in zip(a.objectives, a.objectives.dropFirst()) { #expect(next <= previous + 1e-6 * abs(previous)) }
        #expect(a.converged)
        #expect(a.assignments == b.assignments && a.centroids == b.centroids && a.distances == b.distances)
        // Each blob of 50 is one cluster: 8 clusters of exactly 50.
        var sizes = [Int](repeating: 0, count: 8)
        for c in a.assignments { sizes[Int(c)] += 1 }
        #expect(sizes.sorted() == [Int](repeating: 50, count: 8))
    }

    @Test("empty clusters take the farthest point; duplicate initial centroids still give k non-empty clusters")
    func emptyClusters() {
        let x = blobs(clusters: 4, perCluster: 30, d: 6, seed: 31)
        // Every initial centroid is the same row: all but cluster 0 start empty.
        let first = x.row(0)
        let initial = Tensor(rows: [[Float]](repeating: first, count: 4))
        let r = x.withMatrixView { KMeans(clusters: 4, maxIterations: 50, tolerance: 0).fit($0, initialCentroids: initial) }
        #expect(r.emptyClustersRefilled >= 3)
        #expect(Set(r.assignments).count == 4)
        for (previous, next) in zip(r.objectives, r.objectives.dropFirst()) { #expect(next <= previous + 1e-6 * abs(previous)) }
        // The refill rule on its own: the farthest point of a cluster with two or more points.
        var assignments: [Int32] = [0, 0, 0, 1]
        var distances: [Float] = [1, 5, 5, 9]
        #expect(KMeans.refillEmptyClusters(&assignments, &distances, clusters: 3) == 1)
        #expect(assignments == [0, 2, 0, 1])  // point 1 (distance 5, lower index than 2); point 3 is alone in cluster 1
    }

    @Test("k-means++ on a seeded sample picks distinct rows of the input and repeats for the same seed")
    func seedingSample() {
        let x = blobs(clusters: 5, perCluster: 200, d: 8, seed: 51, normalize: true)
        let kmeans = KMeans(clusters: 5, metric: .euclidean, seed: 4, seedingSample: 64)  // centroids are the rows themselves
        let a = x.withMatrixView { kmeans.initialCentroids($0) }
        let b = x.withMatrixView { kmeans.initialCentroids($0) }
        #expect(a == b)
        let rows = Set(x.rowArrays().map { $0.map(\.bitPattern) })
        let picked = Set(a.rowArrays().map { $0.map(\.bitPattern) })
        #expect(picked.count == 5 && picked.isSubset(of: rows))
        let r = kmeans.fit(x)
        var sizes = [Int](repeating: 0, count: 5)
        for c in r.assignments { sizes[Int(c)] += 1 }
        #expect(sizes.sorted() == [200, 200, 200, 200, 200])
    }

    @Test("k-means++ with fewer distinct points than clusters still picks distinct rows")
    func duplicatePoints() {
        let x = Tensor(rows: [[1, 0], [1, 0], [1, 0], [0, 1]])
        let c = x.withMatrixView { KMeans(clusters: 3, seed: 1).initialCentroids($0) }
        #expect(c.rows == 3)
        let r = KMeans(clusters: 3, seed: 1).fit(x)
        #expect(r.objectives.last == 0)
    }

    @Test("blocked top-k neighbours equal a brute-force search across tile edges")
    func neighbours() {
        // 300 queries (two query tiles of 256) against 8,300 rows (two base tiles of 8,192).
        let base = blobs(clusters: 10, perCluster: 830, d: 8, spread: 0.5, seed: 41, normalize: true)
        let k = 5
        let found = base.withMatrixView { NearestNeighbours.search($0, rows: 8000 ..< 8300, in: $0, k: k, excludingSameIndex: true) }
        #expect(found.rows == 300)
        let rows = base.rowArrays()
        for q in 8000 ..< 8300 {
            var scored: [(Double, Int)] = []
            for i in rows.indices where i != q {
                var dot = 0.0
                for j in 0 ..< 8 { dot += Double(rows[q][j]) * Double(rows[i][j]) }
                scored.append((dot, i))
            }
            scored.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            let got = found.neighbours(of: q - 8000)
            #expect(got.map(\.index) == scored.prefix(k).map(\.1), "query \(q)")
            for (g, s) in zip(got, scored) { #expect(abs(Double(g.score) - s.0) < 1e-5) }
        }
    }

    @Test("neighbour lists pad with -1 when there are fewer rows than k, and ties go to the lower index")
    func padding() {
        let x = Tensor(rows: [[1, 0], [1, 0], [0, 1]])
        let found = x.withMatrixView { NearestNeighbours.search($0, in: $0, k: 4) }
        #expect(Array(found.indices[0 ..< 4]) == [0, 1, 2, -1])
        #expect(Array(found.indices[4 ..< 8]) == [0, 1, 2, -1])
        #expect(found.neighbours(of: 2).map(\.index) == [2, 0, 1])
    }
}
