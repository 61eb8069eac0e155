/// Seeded k-means (Lloyd's algorithm) with distances from blocked `sgemm`, in a Euclidean and
/// a spherical (cosine) variant.
///
/// - **Initialisation**: k-means++ (Arthur & Vassilvitskii 2007: the first centre uniform, each
///   next one drawn with probability ∝ its squared distance to the nearest chosen centre) or
///   `k` distinct rows drawn uniformly; both from ``SplitMix64`` seeded with `seed`.
/// - **Assignment**: points are cut into blocks of rows; each block's dot products with every
///   centroid are one `cblas_sgemm`, and a point goes to the nearest centroid (ties: the lower
///   centroid index). Euclidean distance is ‖x‖² − 2x·c + ‖c‖²; cosine distance is 1 − x·c with
///   unit-length centroids (give unit-length points).
/// - **Update**: each centroid is the mean of its points, summed in Double in point order
///   (spherical: then scaled to unit length).
/// - **Empty clusters**: a cluster left empty takes the point farthest from its own centroid
///   (ties: the lower index) among clusters of two or more points, so the objective never rises.
/// - **Stop**: when no assignment changes, when the objective improves by at most
///   `tolerance × objective`, or after `maxIterations` updates.
///
/// Everything is sequential and in a fixed order, so the same input and seed give bit-identical
/// results on every run.
public struct KMeans: Sendable {
    /// How distance is measured.
    public enum Metric: String, Sendable, CaseIterable {
        /// Squared Euclidean distance; centroids are plain means.
        case euclidean
        /// Cosine distance 1 − x·c for unit-length points; centroids are normalised means.
        case cosine
    }

    /// How the first centroids are chosen.
    public enum Initialization: String, Sendable, CaseIterable {
        /// k-means++ D² sampling.
        case kMeansPlusPlus = "k-means++"
        /// `k` distinct rows uniformly at random.
        case random
    }

    /// The number of clusters.
    public var clusters: Int
    /// The distance.
    public var metric: Metric
    /// The initialisation.
    public var initialization: Initialization
    /// The most Lloyd updates.
    public var maxIterations: Int
    /// Stop when the objective improves by at most this fraction of itself.
    public var tolerance: Double
    /// The seed of the initialisation.
    public var seed: UInt64
    /// k-means++ seeds from a seeded uniform sample of at most this many rows (nil: every row).
    /// Seeding costs one pass over the rows per centroid, so on large inputs a sample (faiss
    /// trains on at most 256 rows per centroid) makes it k-fold cheaper; Lloyd's iterations
    /// always use every row.
    public var seedingSample: Int?

    /// Points per `sgemm` block in the assignment step (bounded so a block's tile of
    /// `block × clusters` distances stays near 16 MiB).
    func blockRows(columns: Int) -> Int { max(16, min(4096, (4 << 20) / max(1, clusters))) }

    /// Creates a configuration.
    public init(clusters: Int, metric: Metric = .euclidean, initialization: Initialization = .kMeansPlusPlus,
                maxIterations: Int = 50, tolerance: Double = 1e-4, seed: UInt64 = 0, seedingSample: Int? = nil) {
        self.clusters = clusters
        self.metric = metric
        self.initialization = initialization
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.seed = seed
        self.seedingSample = seedingSample
    }

    /// The outcome of a clustering.
    public struct Result: Sendable {
        /// `clusters × columns` centroids (unit length for the cosine metric).
        public var centroids: Tensor
        /// The cluster of each point.
        public var assignments: [Int32]
        /// Each point's distance to its centroid (squared Euclidean, or 1 − cosine).
        public var distances: [Float]
        /// The objective (sum of `distances`, in Double) after the initial assignment and after
        /// each update: non-increasing.
        public var objectives: [Double]
        /// Lloyd updates run.
        public var iterations: Int
        /// Whether it stopped before `maxIterations`.
        public var converged: Bool
        /// Empty clusters refilled along the way.
        public var emptyClustersRefilled: Int
    }

    // MARK: - Fitting

    /// Clusters the rows of `points`.
    /// - Precondition: `1 ≤ clusters ≤ points.rows`.
    public func fit(_ points: MatrixView) -> Result {
        fit(points, initialCentroids: initialCentroids(points))
    }

    /// Clusters the rows of a tensor viewed as a matrix.
    public func fit(_ points: Tensor) -> Result {
        points.withMatrixView { fit($0) }
    }

    /// Runs Lloyd's iterations from given centroids (for tests and warm starts).
    /// - Precondition: `initialCentroids` is `clusters × points.columns`, and
    ///   `1 ≤ clusters ≤ points.rows`.
    public func fit(_ points: MatrixView, initialCentroids: Tensor) -> Result {
        precondition(clusters >= 1 && clusters <= points.rows, "k-means: \(clusters) clusters for \(points.rows) points")
        precondition(initialCentroids.rows == clusters && initialCentroids.columns == points.columns,
                     "k-means: initial centroids are \(initialCentroids.shape), expected [\(clusters), \(points.columns)]")
        let norms = metric == .euclidean ? points.squaredNorms() : []
        var centroids = initialCentroids
        var (assignments, distances) = assign(points, centroids: centroids, pointNorms: norms)
        var objectives = [Self.sum(distances)]
        var iterations = 0
        var converged = false
        var refilled = 0
        while iterations < maxIterations {
            refilled += Self.refillEmptyClusters(&assignments, &distances, clusters: clusters)
            centroids = update(points, assignments: assignments, previous: centroids)
            iterations += 1
            let (next, nextDistances) = assign(points, centroids: centroids, pointNorms: norms)
            let objective = Self.sum(nextDistances)
            let previous = objectives[objectives.count - 1]
            let unchanged = next == assignments
            assignments = next
            distances = nextDistances
            objectives.append(objective)
            if unchanged || previous - objective <= tolerance * abs(previous) {
                converged = true
                break
            }
        }
        return Result(centroids: centroids, assignments: assignments, distances: distances, objectives: objectives,
                      iterations: iterations, converged: converged, emptyClustersRefilled: refilled)
    }

    static func sum(_ values: [Float]) -> Double {
        var s = 0.0
        for v in values { s += Double(v) }
        return s
    }

    // MARK: - Steps

    /// The seeded initial centroids (`clusters × columns`).
    public func initialCentroids(_ points: MatrixView) -> Tensor {
        precondition(clusters >= 1 && clusters <= points.rows, "k-means: \(clusters) clusters for \(points.rows) points")
        var generator = SplitMix64(seed: seed)
        let n = points.rows
        var chosen: [Int] = []
        switch initialization {
        case .random:
            chosen = Self.distinctIndices(limit: clusters, below: n, generator: &generator)
        case .kMeansPlusPlus:
            if let limit = seedingSample, limit >= clusters, limit < n {
                // Rows of the sample keep their input order.
                let sample = Self.distinctIndices(limit: limit, below: n, generator: &generator).sorted()
                var rows: [Float] = []
                rows.reserveCapacity(limit * points.columns)
                for i in sample { rows.append(contentsOf: UnsafeBufferPointer(start: points.row(i), count: points.columns)) }
                let picked = rows.withUnsafeBufferPointer {
                    plusPlus(MatrixView($0, rows: limit, columns: points.columns), generator: &generator)
                }
                chosen = picked.map { sample[$0] }
            } else {
                chosen = plusPlus(points, generator: &generator)
            }
        }
        var scalars: [Float] = []
        scalars.reserveCapacity(clusters * points.columns)
        for c in chosen { scalars.append(contentsOf: UnsafeBufferPointer(start: points.row(c), count: points.columns)) }
        var centroids = Tensor(shape: [clusters, points.columns], scalars: scalars)
        if metric == .cosine { Tensor.l2NormalizeRows(&centroids.scalars, columns: points.columns) }
        return centroids
    }

    /// `limit` distinct indices below `n`, uniformly (a partial Fisher–Yates shuffle).
    static func distinctIndices(limit: Int, below n: Int, generator: inout SplitMix64) -> [Int] {
        var indices = Array(0 ..< n)
        for i in 0 ..< limit { indices.swapAt(i, i + generator.nextIndex(below: n - i)) }
        return Array(indices[0 ..< limit])
    }

    /// k-means++ D² sampling of `clusters` distinct rows.
    func plusPlus(_ points: MatrixView, generator: inout SplitMix64) -> [Int] {
        let n = points.rows
        var chosen = [generator.nextIndex(below: n)]
        var nearest = [Float](repeating: .infinity, count: n)
        var dots = [Float](repeating: 0, count: n)
        let norms = points.squaredNorms()
        var taken = [Bool](repeating: false, count: n)
        taken[chosen[0]] = true
        while chosen.count < clusters {
            let c = chosen[chosen.count - 1]
            dots.withUnsafeMutableBufferPointer { points.dotProducts(with: points.row(c), into: $0.baseAddress.unsafelyUnwrapped) }
            var total = 0.0
            for i in 0 ..< n {
                let d = metric == .euclidean ? max(0, norms[i] - 2 * dots[i] + norms[c]) : max(0, 1 - dots[i])
                if d < nearest[i] { nearest[i] = d }
                if !taken[i] { total += Double(nearest[i]) * Double(nearest[i]) }
            }
            var pick = -1
            if total > 0 {
                let target = generator.nextUnit() * total
                var running = 0.0
                for i in 0 ..< n where !taken[i] {
                    running += Double(nearest[i]) * Double(nearest[i])
                    if running > target { pick = i; break }
                }
            }
            if pick < 0 { pick = (0 ..< n).first { !taken[$0] && (total == 0 || nearest[$0] > 0) } ?? (taken.firstIndex(of: false) ?? 0) }
            taken[pick] = true
            chosen.append(pick)
        }
        return chosen
    }

    /// Each point's nearest centroid and its distance, through blocked `sgemm`.
    /// - Parameter pointNorms: squared norms of the points (Euclidean only; empty for cosine).
    public func assign(_ points: MatrixView, centroids: Tensor, pointNorms: [Float]) -> (assignments: [Int32], distances: [Float]) {
        let n = points.rows
        let k = centroids.rows
        var assignments = [Int32](repeating: 0, count: n)
        var distances = [Float](repeating: 0, count: n)
        let centroidNorms = centroids.withMatrixView { $0.squaredNorms() }
        let block = blockRows(columns: points.columns)
        var tile = [Float](repeating: 0, count: block * k)
        centroids.withMatrixView { cv in
            tile.withUnsafeMutableBufferPointer { t in
                let tp = t.baseAddress.unsafelyUnwrapped
                var start = 0
                while start < n {
                    let end = min(n, start + block)
                    points.dotProducts(rows: start ..< end, with: cv, rows: 0 ..< k, into: tp)
                    for i in start ..< end {
                        let row = tp + (i - start) * k
                        var best = 0
                        var bestDistance = Float.infinity
                        for c in 0 ..< k {
                            let d = metric == .euclidean ? centroidNorms[c] - 2 * row[c] : -row[c]
                            if d < bestDistance { bestDistance = d; best = c }
                        }
                        assignments[i] = Int32(best)
                        distances[i] = metric == .euclidean ? max(0, bestDistance + pointNorms[i]) : max(0, 1 + bestDistance)
                    }
                    start = end
                }
            }
        }
        return (assignments, distances)
    }

    /// The means of each cluster's points (Double sums in point order); a cluster without
    /// points keeps its previous centroid.
    func update(_ points: MatrixView, assignments: [Int32], previous: Tensor) -> Tensor {
        let d = points.columns
        var sums = [Double](repeating: 0, count: clusters * d)
        var counts = [Int](repeating: 0, count: clusters)
        for i in 0 ..< points.rows {
            let c = Int(assignments[i])
            counts[c] += 1
            let p = points.row(i)
            for j in 0 ..< d { sums[c * d + j] += Double(p[j]) }
        }
        var centroids = previous
        for c in 0 ..< clusters where counts[c] > 0 {
            var squares = 0.0
            for j in 0 ..< d {
                let mean = sums[c * d + j] / Double(counts[c])
                sums[c * d + j] = mean
                squares += mean * mean
            }
            // Spherical k-means: the unit vector nearest the mean (keep the old one at a zero mean).
            let scale = metric == .cosine ? (squares > 0 ? 1 / squares.squareRoot() : 0) : 1
            if scale == 0 { continue }
            for j in 0 ..< d { centroids.scalars[c * d + j] = Float(sums[c * d + j] * scale) }
        }
        return centroids
    }

    /// Gives every empty cluster the point farthest from its own centroid, taken from a
    /// cluster that keeps at least one point. Returns how many clusters were refilled.
    static func refillEmptyClusters(_ assignments: inout [Int32], _ distances: inout [Float], clusters: Int) -> Int {
        var counts = [Int](repeating: 0, count: clusters)
        for a in assignments { counts[Int(a)] += 1 }
        var refilled = 0
        for c in 0 ..< clusters where counts[c] == 0 {
            var far = -1
            for i in assignments.indices where counts[Int(assignments[i])] > 1 {
                if far < 0 || distances[i] > distances[far] { far = i }
            }
            guard far >= 0 else { break }
            counts[Int(assignments[far])] -= 1
            assignments[far] = Int32(c)
            distances[far] = 0
            counts[c] = 1
            refilled += 1
        }
        return refilled
    }
}
