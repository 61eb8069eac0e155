/// The `k` best-scoring rows for each of a set of query rows: row-major `rows × k` indices and
/// scores, best first (ties: the lower index); `-1` / `-infinity` pad a row with fewer
/// candidates.
public struct NeighbourList: Sendable, Equatable {
    /// Neighbours per query.
    public var k: Int
    /// The number of queries.
    public var rows: Int
    /// `rows × k` neighbour indices.
    public var indices: [Int32]
    /// `rows × k` scores (dot products; cosine similarities for unit-length rows).
    public var scores: [Float]

    /// Creates a list from its parts.
    /// - Precondition: `indices` and `scores` hold `rows × k` entries.
    public init(k: Int, rows: Int, indices: [Int32], scores: [Float]) {
        precondition(indices.count == rows * k && scores.count == rows * k, "a \(rows) × \(k) neighbour list needs \(rows * k) entries")
        self.k = k
        self.rows = rows
        self.indices = indices
        self.scores = scores
    }

    /// The neighbours of query `q` (without padding).
    public func neighbours(of q: Int) -> [ScoredIndex] {
        (0 ..< k).compactMap { j in
            let i = indices[q * k + j]
            return i < 0 ? nil : ScoredIndex(index: Int(i), score: scores[q * k + j])
        }
    }
}

/// Exact top-k nearest neighbours by dot product (cosine for unit-length rows), computed in
/// tiles of `sgemm` so that no `queries × base` matrix is ever held: memory is one tile
/// (`queryBlock × baseBlock` floats, 8 MiB) plus the `rows × k` result.
public enum NearestNeighbours {
    /// Query rows per tile.
    static let queryBlock = 256
    /// Base rows per tile.
    static let baseBlock = 8192

    /// For each of rows `queryRows` of `queries`, the `k` rows of `base` with the largest dot
    /// product, best first (ties: the lower base index).
    /// - Parameters:
    ///   - queries: the query matrix.
    ///   - queryRows: which of its rows to search for (the result's row `r` is query
    ///     `queryRows.lowerBound + r`).
    ///   - base: the matrix searched.
    ///   - k: neighbours per query.
    ///   - excludingSameIndex: skip base row `i` for query row `i` (a self-join without self).
    /// - Returns: `queryRows.count × k` neighbours.
    public static func search(_ queries: MatrixView, rows queryRows: Range<Int>? = nil, in base: MatrixView, k: Int,
                              excludingSameIndex: Bool = false) -> NeighbourList {
        let range = queryRows ?? 0 ..< queries.rows
        precondition(k >= 0, "k must not be negative")
        let m = range.count
        var indices = [Int32](repeating: -1, count: m * k)
        var scores = [Float](repeating: -.infinity, count: m * k)
        guard k > 0, m > 0, base.rows > 0 else { return NeighbourList(k: k, rows: m, indices: indices, scores: scores) }
        var tile = [Float](repeating: 0, count: queryBlock * baseBlock)
        var filled = [Int](repeating: 0, count: m)
        tile.withUnsafeMutableBufferPointer { t in
            let tp = t.baseAddress.unsafelyUnwrapped
            var q0 = range.lowerBound
            while q0 < range.upperBound {
                let q1 = min(range.upperBound, q0 + queryBlock)
                var b0 = 0
                while b0 < base.rows {
                    let b1 = min(base.rows, b0 + baseBlock)
                    queries.dotProducts(rows: q0 ..< q1, with: base, rows: b0 ..< b1, into: tp)
                    let width = b1 - b0
                    for q in q0 ..< q1 {
                        let r = q - range.lowerBound
                        let row = tp + (q - q0) * width
                        let offset = r * k
                        var count = filled[r]
                        var floor = count == k ? scores[offset + k - 1] : -Float.infinity
                        for j in 0 ..< width {
                            let s = row[j]
                            // Later indices lose ties, so only a strictly better score enters a full list.
                            if count == k ? !(s > floor) : s.isNaN { continue }
                            let index = b0 + j
                            if excludingSameIndex && index == q { continue }
                            var p = count == k ? k - 1 : count
                            while p > 0 && scores[offset + p - 1] < s {
                                scores[offset + p] = scores[offset + p - 1]
                                indices[offset + p] = indices[offset + p - 1]
                                p -= 1
                            }
                            if p < k {
                                scores[offset + p] = s
                                indices[offset + p] = Int32(index)
                            }
                            if count < k { count += 1 }
                            if count == k { floor = scores[offset + k - 1] }
                        }
                        filled[r] = count
                    }
                    b0 = b1
                }
                q0 = q1
            }
        }
        return NeighbourList(k: k, rows: m, indices: indices, scores: scores)
    }
}
