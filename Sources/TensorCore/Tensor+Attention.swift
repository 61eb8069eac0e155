internal import COpenBLAS
internal import CTensorKernels

// MARK: - Multi-head attention

extension Tensor {
    /// Scaled dot-product attention over several heads and a batch of equally long sequences.
    ///
    /// `query`, `key` and `value` are `[batch · sequenceLength, hidden]` with the heads side by side
    /// in the hidden dimension (head `h` owns columns `h·d ..< (h+1)·d`, `d = hidden / heads`), as
    /// BERT's projections produce them. Each head computes
    /// `softmax(Q·Kᵀ / √d + mask) · V` with sgemm on strided views, without copying heads apart.
    /// - Parameters:
    ///   - query: queries, `[batch · sequenceLength, hidden]`.
    ///   - key: keys, same shape.
    ///   - value: values, same shape.
    ///   - heads: the number of attention heads; must divide `hidden`.
    ///   - sequenceLength: tokens per sequence (the padded length).
    ///   - keyMask: additive mask per key position, `batch · sequenceLength` elements
    ///     (0 to attend, a large negative number such as `-1e9` for padding), or `nil`.
    /// - Returns: the attended values, `[batch · sequenceLength, hidden]`.
    public static func multiHeadAttention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int, sequenceLength: Int, keyMask: [Float]?
    ) -> Tensor {
        precondition(key.shape == query.shape && value.shape == query.shape, "attention: q/k/v shapes differ")
        var output = Tensor(shape: query.shape)
        query.scalars.withUnsafeBufferPointer { pq in
            key.scalars.withUnsafeBufferPointer { pk in
                value.scalars.withUnsafeBufferPointer { pv in
                    output.scalars.withUnsafeMutableBufferPointer { po in
                        guard let q = pq.baseAddress, let k = pk.baseAddress, let v = pv.baseAddress, let o = po.baseAddress else { return }
                        attention(
                            q: q, k: k, v: v, inputStride: query.columns, output: o, rows: query.rows, hidden: query.columns,
                            heads: heads, sequenceLength: sequenceLength, keyMask: keyMask)
                    }
                }
            }
        }
        return output
    }

    /// Attention over a packed projection: `qkv` is `[batch · sequenceLength, 3 · hidden]` with
    /// the queries, keys and values side by side (one sgemm against the stacked weights makes
    /// it); otherwise as ``multiHeadAttention(query:key:value:heads:sequenceLength:keyMask:)``.
    /// - Returns: `[batch · sequenceLength, hidden]`.
    public static func multiHeadAttention(packed qkv: Tensor, heads: Int, sequenceLength: Int, keyMask: [Float]?) -> Tensor {
        precondition(qkv.columns % 3 == 0, "attention: packed q/k/v needs 3 · hidden columns, got \(qkv.columns)")
        let hidden = qkv.columns / 3
        var output = Tensor(shape: [qkv.rows, hidden])
        qkv.scalars.withUnsafeBufferPointer { p in
            output.scalars.withUnsafeMutableBufferPointer { po in
                guard let base = p.baseAddress, let o = po.baseAddress else { return }
                attention(
                    q: base, k: base + hidden, v: base + 2 * hidden, inputStride: 3 * hidden, output: o, rows: qkv.rows,
                    hidden: hidden, heads: heads, sequenceLength: sequenceLength, keyMask: keyMask)
            }
        }
        return output
    }

    /// The attention loop over raw rows: row `r` of Q starts at `q + r · inputStride` (same for K
    /// and V); the output rows are `hidden` apart.
    static func attention(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, inputStride: Int,
        output o: UnsafeMutablePointer<Float>, rows totalRows: Int, hidden: Int, heads: Int, sequenceLength: Int, keyMask: [Float]?
    ) {
        precondition(heads > 0 && hidden % heads == 0, "attention: \(heads) heads do not divide \(hidden)")
        precondition(sequenceLength > 0 && totalRows % sequenceLength == 0, "attention: rows not a multiple of the sequence length")
        let batch = totalRows / sequenceLength
        if let keyMask { precondition(keyMask.count == totalRows, "attention: mask needs \(totalRows) elements") }
        let headSize = hidden / heads
        let scale = 1 / Float(headSize).squareRoot()
        let s = sequenceLength
        var scores = [Float](repeating: 0, count: s * s)
        scores.withUnsafeMutableBufferPointer { ps in
            guard let sc = ps.baseAddress else { return }
            for b in 0 ..< batch {
                // Padding at the end of a sequence (mask 0…0 then negatives, as batches are
                // built): only the first `valid` keys and queries are computed; padded query
                // rows stay zero, since no valid position attends to them and pooling ignores them.
                let valid = Tensor.validPrefix(keyMask, start: b * s, count: s)
                let n = valid ?? s
                for h in 0 ..< heads {
                    let inOffset = b * s * inputStride + h * headSize
                    let outOffset = b * s * hidden + h * headSize
                    wblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(headSize),
                        scale, q + inOffset, Int32(inputStride), k + inOffset, Int32(inputStride),
                        0, sc, Int32(s))
                    if valid == nil, let keyMask {
                        for i in 0 ..< n {
                            for j in 0 ..< s { ps[i * s + j] += keyMask[b * s + j] }
                        }
                    }
                    ctk_softmax_rows(sc, n, n, s)
                    wblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(headSize), Int32(n),
                        1, sc, Int32(s), v + inOffset, Int32(inputStride),
                        0, o + outOffset, Int32(hidden))
                }
            }
        }
    }

    /// The number of leading attended positions when a sequence's mask is all attended (0)
    /// positions followed only by masked (negative) ones; `nil` when the mask has another shape.
    /// With no mask the whole sequence is attended.
    static func validPrefix(_ keyMask: [Float]?, start: Int, count: Int) -> Int? {
        guard let keyMask else { return count }
        var valid = 0
        while valid < count, keyMask[start + valid] == 0 { valid += 1 }
        for j in valid ..< count where keyMask[start + j] >= 0 { return nil }
        return valid == 0 ? nil : valid
    }
}
