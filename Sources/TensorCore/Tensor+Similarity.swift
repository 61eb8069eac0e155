internal import COpenBLAS

// MARK: - Cosine similarity and top-k

extension Tensor {
    /// Cosine similarity of `query` with every row of this matrix (sgemv for the dot products).
    /// Rows or queries of zero length score 0.
    /// - Parameter query: a vector of `columns` elements.
    /// - Returns: one similarity per row, in [-1, 1].
    public func cosineSimilarities(to query: [Float]) -> [Float] {
        let n = columns
        let m = rows
        precondition(query.count == n, "cosine: query has \(query.count) elements, rows have \(n)")
        var dots = [Float](repeating: 0, count: m)
        guard m > 0, n > 0 else { return dots }
        scalars.withUnsafeBufferPointer { pm in
            query.withUnsafeBufferPointer { pq in
                dots.withUnsafeMutableBufferPointer { pd in
                    wblas_sgemv(
                        CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1, pm.baseAddress, Int32(n),
                        pq.baseAddress, 1, 0, pd.baseAddress, 1)
                }
            }
        }
        let queryNorm = query.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        scalars.withUnsafeBufferPointer { pm in
            for r in 0 ..< m {
                var squares: Float = 0
                for j in 0 ..< n { squares += pm[r * n + j] * pm[r * n + j] }
                let denominator = squares.squareRoot() * queryNorm
                dots[r] = denominator > 0 ? dots[r] / denominator : 0
            }
        }
        return dots
    }

    /// The `k` rows most cosine-similar to `query`, best first; ties go to the lower index.
    /// - Parameters:
    ///   - query: a vector of `columns` elements.
    ///   - k: how many rows to return (fewer when the matrix has fewer rows).
    /// - Returns: up to `k` scored row indices, by descending score.
    public func cosineTopK(query: [Float], k: Int) -> [ScoredIndex] {
        Tensor.topK(cosineSimilarities(to: query), k: k)
    }

    /// The `k` largest scores with their indices, best first; ties go to the lower index.
    /// - Parameters:
    ///   - scores: one score per index.
    ///   - k: how many to keep.
    /// - Returns: up to `k` scored indices, by descending score.
    public static func topK(_ scores: [Float], k: Int) -> [ScoredIndex] {
        guard k > 0 else { return [] }
        // A sorted buffer of the best k so far; insertion is cheap because k is small.
        var best: [ScoredIndex] = []
        best.reserveCapacity(min(k, scores.count) + 1)
        for (index, score) in scores.enumerated() where !score.isNaN {
            if best.count == k, let last = best.last, !(score > last.score) { continue }
            var position = best.count
            while position > 0, best[position - 1].score < score { position -= 1 }
            best.insert(ScoredIndex(index: index, score: score), at: position)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}
