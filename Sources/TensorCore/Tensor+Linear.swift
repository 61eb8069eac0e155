internal import COpenBLAS

// MARK: - Matrix multiply, bias and residual

extension Tensor {
    /// Multiplies two tensors viewed as matrices with `cblas_sgemm` (OpenBLAS): `alpha · op(a) · op(b)`.
    ///
    /// `a` is viewed as `a.rows × a.columns` and `b` as `b.rows × b.columns`; `op` transposes when
    /// asked. Without `transposeA` the result keeps `a`'s leading dimensions and replaces its last
    /// dimension by the result's column count; with it the result is a plain matrix.
    /// - Parameters:
    ///   - a: the left operand.
    ///   - b: the right operand.
    ///   - transposeA: use `aᵀ`.
    ///   - transposeB: use `bᵀ` (a `[out, in]` weight matrix times `x` is `matmul(x, w, transposeB: true)`).
    ///   - alpha: a scale applied to the product.
    /// - Returns: the product, `m × n`.
    /// - Precondition: the inner dimensions agree.
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1
    ) -> Tensor {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let kb = transposeB ? b.columns : b.rows
        let n = transposeB ? b.rows : b.columns
        precondition(k == kb, "matmul inner dimensions differ: \(a.shape) vs \(b.shape)")
        let shape = (transposeA || a.shape.count < 2) ? [m, n] : Array(a.shape.dropLast()) + [n]
        var c = Tensor(shape: shape)
        guard m > 0, n > 0, k > 0 else { return c }
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                c.scalars.withUnsafeMutableBufferPointer { pc in
                    wblas_sgemm(
                        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                        transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha,
                        pa.baseAddress, Int32(a.columns), pb.baseAddress, Int32(b.columns),
                        0, pc.baseAddress, Int32(n))
                }
            }
        }
        return c
    }

    /// A fully connected layer: `x · weightᵀ + bias`, with `weight` stored `[out, in]` as in
    /// PyTorch's `nn.Linear`. The bias is written into the output first and accumulated by sgemm.
    /// - Parameters:
    ///   - x: the input, `rows × in`.
    ///   - weight: the weight matrix, `[out, in]`.
    ///   - bias: the bias, `out` elements.
    /// - Returns: `rows × out`, keeping `x`'s leading dimensions.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
        let m = x.rows
        let k = x.columns
        let n = weight.rows
        precondition(weight.columns == k, "linear: input has \(k) features, weight is \(weight.shape)")
        precondition(bias.count == n, "linear: bias has \(bias.count) elements, expected \(n)")
        guard m > 0, n > 0 else { return Tensor(shape: Array(x.shape.dropLast()) + [n]) }
        // Every row starts as the bias (no zero fill first: this is the largest allocation of a
        // forward pass).
        let rowsOfBias = bias.scalars.withUnsafeBufferPointer { pb in
            [Float](unsafeUninitializedCapacity: m * n) { dst, initialized in
                if let src = pb.baseAddress, let base = dst.baseAddress {
                    for r in 0 ..< m { (base + r * n).initialize(from: src, count: n) }
                }
                initialized = m * n
            }
        }
        var y = Tensor(shape: Array(x.shape.dropLast()) + [n], scalars: rowsOfBias)
        guard k > 0 else { return y }
        x.scalars.withUnsafeBufferPointer { px in
            weight.scalars.withUnsafeBufferPointer { pw in
                y.scalars.withUnsafeMutableBufferPointer { py in
                    wblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1,
                        px.baseAddress, Int32(k), pw.baseAddress, Int32(k), 1, py.baseAddress, Int32(n))
                }
            }
        }
        return y
    }

    /// Adds `bias` to every row.
    /// - Precondition: `bias.count == columns`.
    public mutating func addBias(_ bias: Tensor) {
        let n = columns
        precondition(bias.count == n, "addBias: bias has \(bias.count) elements, rows have \(n)")
        let m = rows
        bias.scalars.withUnsafeBufferPointer { pb in
            scalars.withUnsafeMutableBufferPointer { px in
                for r in 0 ..< m {
                    let base = r * n
                    for j in 0 ..< n { px[base + j] += pb[j] }
                }
            }
        }
    }

    /// Adds `other` element-wise (a residual connection).
    /// - Precondition: both tensors have the same element count.
    public mutating func add(_ other: Tensor) {
        precondition(other.count == count, "add: \(other.shape) vs \(shape)")
        other.scalars.withUnsafeBufferPointer { po in
            scalars.withUnsafeMutableBufferPointer { px in
                for i in 0 ..< px.count { px[i] += po[i] }
            }
        }
    }
}
