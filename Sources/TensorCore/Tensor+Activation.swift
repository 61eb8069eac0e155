internal import CTensorKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Normalisation and activations

extension Tensor {
    /// Layer normalisation over the last dimension: `(x − mean) / sqrt(var + epsilon) · gamma + beta`,
    /// with the biased variance as PyTorch computes it.
    /// - Parameters:
    ///   - gamma: the scale, `columns` elements.
    ///   - beta: the shift, `columns` elements.
    ///   - epsilon: added to the variance (BERT uses 1e-12).
    public mutating func layerNorm(gamma: Tensor, beta: Tensor, epsilon: Float) {
        let n = columns
        precondition(gamma.count == n && beta.count == n, "layerNorm: gamma/beta must have \(n) elements")
        let m = rows
        gamma.scalars.withUnsafeBufferPointer { pg in
            beta.scalars.withUnsafeBufferPointer { pb in
                scalars.withUnsafeMutableBufferPointer { px in
                    guard let x = px.baseAddress, let g = pg.baseAddress, let b = pb.baseAddress else { return }
                    ctk_layer_norm(x, m, n, g, b, epsilon)
                }
            }
        }
    }

    /// GELU in its exact form, `0.5 · x · (1 + erf(x / √2))`, element-wise.
    ///
    /// `erf` is evaluated with a rational approximation on [-4, 4] (the one Eigen and XLA use;
    /// absolute error about 1e-7, and erf is ±1 in Float32 outside that range), in C compiled for
    /// the running CPU's vector width (CTensorKernels).
    public mutating func gelu() {
        scalars.withUnsafeMutableBufferPointer { px in
            guard let p = px.baseAddress else { return }
            ctk_gelu(p, px.count)
        }
    }

    /// Softmax over the last dimension, after adding an optional additive mask to every row.
    ///
    /// The mask has `columns` elements (or a multiple of them, one mask row per group of rows
    /// as `maskRowsPerGroup` says): use 0 for positions to keep and a large negative number
    /// (for example `-1e9`) for positions to ignore.
    /// - Parameters:
    ///   - mask: additive mask, `columns` × number-of-groups elements, or `nil`.
    ///   - maskRowsPerGroup: how many consecutive rows share one mask row.
    public mutating func softmax(mask: [Float]? = nil, maskRowsPerGroup: Int? = nil) {
        let n = columns
        let m = rows
        guard n > 0 else { return }
        let group = maskRowsPerGroup ?? m
        if let mask { precondition(mask.count % n == 0 && group > 0, "softmax: mask is not whole rows of \(n)") }
        scalars.withUnsafeMutableBufferPointer { px in
            for r in 0 ..< m {
                let base = r * n
                if let mask {
                    let maskBase = ((r / group) * n) % mask.count
                    for j in 0 ..< n { px[base + j] += mask[maskBase + j] }
                }
                Tensor.softmaxRow(px, base: base, count: n)
            }
        }
    }

    /// Softmax of `count` elements starting at `base`, in place, subtracting the maximum first
    /// (CTensorKernels: call-free exp, vectorised for the running CPU). A row whose maximum is -∞
    /// (every position masked out) becomes zeros.
    @inline(__always)
    static func softmaxRow(_ px: UnsafeMutableBufferPointer<Float>, base: Int, count n: Int) {
        guard n > 0, let start = px.baseAddress else { return }
        ctk_softmax_rows(start + base, 1, n, n)
    }

    /// e^x as the softmax computes it (Cephes' expf with the exponent set through its bits).
    static func expApproximation(_ x: Float) -> Float { ctk_exp(x) }
}
