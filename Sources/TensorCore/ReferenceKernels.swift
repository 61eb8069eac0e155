#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Naive loop implementations of every tensor op, written for clarity and accumulated in
/// Double. Tests compare the fast (BLAS) ops against these; nothing on a hot path uses them.
public enum ReferenceKernels {
    /// `alpha · op(a) · op(b)` by three nested loops; shapes as in ``Tensor/matmul(_:_:transposeA:transposeB:alpha:)``.
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1
    ) -> Tensor {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let n = transposeB ? b.rows : b.columns
        precondition(k == (transposeB ? b.columns : b.rows), "matmul inner dimensions differ")
        let shape = (transposeA || a.shape.count < 2) ? [m, n] : Array(a.shape.dropLast()) + [n]
        var c = Tensor(shape: shape)
        for i in 0 ..< m {
            for j in 0 ..< n {
                var sum = 0.0
                for p in 0 ..< k {
                    let x = transposeA ? a.scalars[p * a.columns + i] : a.scalars[i * a.columns + p]
                    let y = transposeB ? b.scalars[j * b.columns + p] : b.scalars[p * b.columns + j]
                    sum += Double(x) * Double(y)
                }
                c.scalars[i * n + j] = Float(Double(alpha) * sum)
            }
        }
        return c
    }

    /// `x · weightᵀ + bias`.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
        var y = matmul(x, weight, transposeB: true)
        y = addBias(y, bias)
        return y
    }

    /// Adds `bias` to every row.
    public static func addBias(_ x: Tensor, _ bias: Tensor) -> Tensor {
        var y = x
        for i in 0 ..< y.count { y.scalars[i] += bias.scalars[i % x.columns] }
        return y
    }

    /// Element-wise sum.
    public static func add(_ x: Tensor, _ other: Tensor) -> Tensor {
        var y = x
        for i in 0 ..< y.count { y.scalars[i] += other.scalars[i] }
        return y
    }

    /// Layer normalisation over the last dimension (biased variance).
    public static func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float) -> Tensor {
        var y = x
        let n = x.columns
        for r in 0 ..< x.rows {
            let row = x.scalars[r * n ..< (r + 1) * n].map(Double.init)
            let mean = row.reduce(0, +) / Double(n)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            for j in 0 ..< n {
                let normalised = (row[j] - mean) / (variance + Double(epsilon)).squareRoot()
                y.scalars[r * n + j] = Float(normalised * Double(gamma.scalars[j]) + Double(beta.scalars[j]))
            }
        }
        return y
    }

    /// Exact GELU, `0.5 · x · (1 + erf(x / √2))`.
    public static func gelu(_ x: Tensor) -> Tensor {
        var y = x
        for i in 0 ..< y.count {
            let v = Double(x.scalars[i])
            y.scalars[i] = Float(0.5 * v * (1 + erf(v / 2.0.squareRoot())))
        }
        return y
    }

    /// Softmax of every row after adding the mask row of its group (see ``Tensor/softmax(mask:maskRowsPerGroup:)``).
    public static func softmax(_ x: Tensor, mask: [Float]? = nil, maskRowsPerGroup: Int? = nil) -> Tensor {
        var y = x
        let n = x.columns
        let group = maskRowsPerGroup ?? x.rows
        for r in 0 ..< x.rows {
            var row = (0 ..< n).map { Double(x.scalars[r * n + $0]) }
            if let mask {
                let maskBase = ((r / group) * n) % mask.count
                for j in 0 ..< n { row[j] += Double(mask[maskBase + j]) }
            }
            let maximum = row.max() ?? 0
            let exps = row.map { exp($0 - maximum) }
            let sum = exps.reduce(0, +)
            for j in 0 ..< n { y.scalars[r * n + j] = Float(exps[j] / sum) }
        }
        return y
    }

    /// Multi-head attention by explicit loops over batch, head, query and key.
    public static func multiHeadAttention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int, sequenceLength s: Int, keyMask: [Float]?
    ) -> Tensor {
        let hidden = query.columns
        let d = hidden / heads
        let batch = query.rows / s
        var out = Tensor(shape: query.shape)
        for b in 0 ..< batch {
            for h in 0 ..< heads {
                for i in 0 ..< s {
                    var scores = [Double](repeating: 0, count: s)
                    for j in 0 ..< s {
                        var dot = 0.0
                        for c in 0 ..< d {
                            dot += Double(query.scalars[(b * s + i) * hidden + h * d + c])
                                * Double(key.scalars[(b * s + j) * hidden + h * d + c])
                        }
                        scores[j] = dot / Double(d).squareRoot() + Double(keyMask?[b * s + j] ?? 0)
                    }
                    let maximum = scores.max() ?? 0
                    let exps = scores.map { exp($0 - maximum) }
                    let sum = exps.reduce(0, +)
                    for c in 0 ..< d {
                        var acc = 0.0
                        for j in 0 ..< s { acc += exps[j] / sum * Double(value.scalars[(b * s + j) * hidden + h * d + c]) }
                        out.scalars[(b * s + i) * hidden + h * d + c] = Float(acc)
                    }
                }
            }
        }
        return out
    }

    /// Row gather.
    public static func gatherRows(_ table: Tensor, _ indices: [Int32]) -> Tensor {
        Tensor(rows: indices.map { table.row(Int($0)) })
    }

    /// Masked mean pooling.
    public static func meanPooled(_ x: Tensor, mask: [Float], sequenceLength s: Int) -> Tensor {
        let n = x.columns
        let batch = x.rows / s
        var out = Tensor(shape: [batch, n])
        for b in 0 ..< batch {
            let weight = (0 ..< s).reduce(0.0) { $0 + Double(mask[b * s + $1]) }
            for j in 0 ..< n {
                var sum = 0.0
                for t in 0 ..< s { sum += Double(mask[b * s + t]) * Double(x.scalars[(b * s + t) * n + j]) }
                out.scalars[b * n + j] = Float(sum / max(weight, 1e-9))
            }
        }
        return out
    }

    /// Unit-length rows.
    public static func l2Normalize(_ x: Tensor, epsilon: Float = 1e-12) -> Tensor {
        var y = x
        let n = x.columns
        for r in 0 ..< x.rows {
            let norm = (0 ..< n).reduce(0.0) { $0 + Double(x.scalars[r * n + $1]) * Double(x.scalars[r * n + $1]) }.squareRoot()
            for j in 0 ..< n { y.scalars[r * n + j] = Float(Double(x.scalars[r * n + j]) / max(norm, Double(epsilon))) }
        }
        return y
    }

    /// Cosine similarity of `query` with every row.
    public static func cosineSimilarities(_ matrix: Tensor, _ query: [Float]) -> [Float] {
        let n = matrix.columns
        let queryNorm = query.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return (0 ..< matrix.rows).map { r in
            var dot = 0.0
            var squares = 0.0
            for j in 0 ..< n {
                let v = Double(matrix.scalars[r * n + j])
                dot += v * Double(query[j])
                squares += v * v
            }
            let denominator = squares.squareRoot() * queryNorm
            return denominator > 0 ? Float(dot / denominator) : 0
        }
    }

    /// Top-k by a full stable sort.
    public static func cosineTopK(_ matrix: Tensor, query: [Float], k: Int) -> [ScoredIndex] {
        let scores = cosineSimilarities(matrix, query)
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return order.prefix(max(0, k)).map { ScoredIndex(index: $0, score: scores[$0]) }
    }
}
