// MARK: - Embedding lookup, pooling and normalisation

extension Tensor {
    /// Gathers rows of a matrix by index (an embedding lookup).
    /// - Parameter indices: row indices into this matrix, each in `0 ..< rows`.
    /// - Returns: `[indices.count, columns]`.
    /// - Precondition: every index is in range.
    public func gatherRows(_ indices: [Int32]) -> Tensor {
        let n = columns
        let m = rows
        var out = Tensor(shape: [indices.count, n])
        scalars.withUnsafeBufferPointer { ps in
            out.scalars.withUnsafeMutableBufferPointer { po in
                guard let src = ps.baseAddress, let dst = po.baseAddress else { return }
                for (r, index) in indices.enumerated() {
                    let i = Int(index)
                    precondition(i >= 0 && i < m, "gatherRows: index \(i) out of range 0..<\(m)")
                    (dst + r * n).update(from: src + i * n, count: n)
                }
            }
        }
        return out
    }

    /// Mean of each sequence's rows where the mask is non-zero (masked mean pooling).
    ///
    /// The tensor is `[batch · sequenceLength, hidden]`; `mask` holds one weight per row
    /// (1 for real tokens, 0 for padding). The divisor is clamped to at least 1e-9, as
    /// sentence-transformers does.
    /// - Parameters:
    ///   - mask: one weight per row, `batch · sequenceLength` elements.
    ///   - sequenceLength: rows per sequence.
    /// - Returns: `[batch, hidden]`.
    public func meanPooled(mask: [Float], sequenceLength: Int) -> Tensor {
        let n = columns
        precondition(sequenceLength > 0 && rows % sequenceLength == 0, "meanPooled: rows not a multiple of \(sequenceLength)")
        precondition(mask.count == rows, "meanPooled: mask needs \(rows) elements")
        let batch = rows / sequenceLength
        var out = Tensor(shape: [batch, n])
        scalars.withUnsafeBufferPointer { px in
            out.scalars.withUnsafeMutableBufferPointer { po in
                for b in 0 ..< batch {
                    var weight: Float = 0
                    for t in 0 ..< sequenceLength {
                        let w = mask[b * sequenceLength + t]
                        guard w != 0 else { continue }
                        weight += w
                        let base = (b * sequenceLength + t) * n
                        for j in 0 ..< n { po[b * n + j] += w * px[base + j] }
                    }
                    let inverse = 1 / max(weight, 1e-9)
                    for j in 0 ..< n { po[b * n + j] *= inverse }
                }
            }
        }
        return out
    }

    /// Scales every row to unit Euclidean length; rows shorter than `epsilon` are divided by
    /// `epsilon` instead (PyTorch's `F.normalize`).
    /// - Parameter epsilon: the smallest norm divided by.
    public mutating func l2Normalize(epsilon: Float = 1e-12) {
        let n = columns
        let m = rows
        scalars.withUnsafeMutableBufferPointer { px in
            for r in 0 ..< m {
                let base = r * n
                var squares: Float = 0
                for j in 0 ..< n { squares += px[base + j] * px[base + j] }
                let inverse = 1 / max(squares.squareRoot(), epsilon)
                for j in 0 ..< n { px[base + j] *= inverse }
            }
        }
    }
}
