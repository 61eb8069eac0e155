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
                    for r in 0 ..< m {
                        let base = r * n
                        var sum: Float = 0
                        for j in 0 ..< n { sum += px[base + j] }
                        let mean = sum / Float(n)
                        var squares: Float = 0
                        for j in 0 ..< n {
                            let d = px[base + j] - mean
                            squares += d * d
                        }
                        let inverse = 1 / (squares / Float(n) + epsilon).squareRoot()
                        for j in 0 ..< n { px[base + j] = (px[base + j] - mean) * inverse * pg[j] + pb[j] }
                    }
                }
            }
        }
    }

    /// GELU in its exact form, `0.5 · x · (1 + erf(x / √2))`, element-wise.
    ///
    /// `erf` is evaluated with a rational approximation on [-4, 4] (the one Eigen and XLA use;
    /// absolute error about 1e-7, and erf is ±1 in Float32 outside that range). The loop has no
    /// branches or calls, so the compiler vectorises it.
    public mutating func gelu() {
        scalars.withUnsafeMutableBufferPointer { px in
            guard let p = px.baseAddress else { return }
            for i in 0 ..< px.count {
                let x = p[i]
                p[i] = 0.5 * x * (1 + Tensor.erfApproximation(x * 0.707_106_77))
            }
        }
    }

    /// erf by an odd degree-13 over even degree-8 rational in x, after clamping x to [-4, 4].
    @inline(__always)
    static func erfApproximation(_ input: Float) -> Float {
        let x = input < -4 ? -4 : (input > 4 ? 4 : input)
        let x2 = x * x
        var p: Float = x2 * -2.726_142_2e-10 + 2.770_681_4e-08
        p = x2 * p - 2.101_024e-06
        p = x2 * p - 5.692_506_4e-05
        p = x2 * p - 7.349_906_3e-04
        p = x2 * p - 2.954_600_1e-03
        p = x2 * p - 1.609_603_3e-02
        var q: Float = x2 * -1.456_607_2e-05 - 2.133_740_6e-04
        q = x2 * q - 1.682_827e-03
        q = x2 * q - 7.373_329_2e-03
        q = x2 * q - 1.426_473_9e-02
        return x * p / q
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

    /// Softmax of `count` elements starting at `base`, in place, subtracting the maximum first.
    ///
    /// Plain loops the compiler vectorises (generic `SIMD` methods such as `clamped` and
    /// `replacing` are not specialised and run lane by lane), with ``expApproximation(_:)``
    /// and four partial sums. A row whose maximum is -∞ (every position masked out) becomes zeros.
    @inline(__always)
    static func softmaxRow(_ px: UnsafeMutableBufferPointer<Float>, base: Int, count n: Int) {
        guard n > 0, let start = px.baseAddress else { return }
        let p = start + base
        var m0 = -Float.infinity, m1 = -Float.infinity, m2 = -Float.infinity, m3 = -Float.infinity
        var j = 0
        while j + 4 <= n {
            m0 = max(m0, p[j]); m1 = max(m1, p[j + 1]); m2 = max(m2, p[j + 2]); m3 = max(m3, p[j + 3])
            j += 4
        }
        while j < n {
            m0 = max(m0, p[j])
            j += 1
        }
        let maximum = max(max(m0, m1), max(m2, m3))
        if maximum == -Float.infinity {
            for k in 0 ..< n { p[k] = 0 }
            return
        }
        for k in 0 ..< n { p[k] = expApproximation(p[k] - maximum) }
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        j = 0
        while j + 4 <= n {
            s0 += p[j]; s1 += p[j + 1]; s2 += p[j + 2]; s3 += p[j + 3]
            j += 4
        }
        while j < n {
            s0 += p[j]
            j += 1
        }
        let inverse = 1 / ((s0 + s1) + (s2 + s3))
        for k in 0 ..< n { p[k] *= inverse }
    }

    /// e^x without a call (Cephes' expf: x = n·ln2 + r, |r| ≤ ln2/2, degree-5 polynomial for
    /// e^r, scaled by 2^n through the exponent bits); branch-free, so loops over it vectorise.
    /// Relative error about 2e-7 on [-87, 88]; smaller inputs (and -∞) give 0.
    @inline(__always)
    static func expApproximation(_ input: Float) -> Float {
        let x = input < -87.33 ? -87.33 : (input > 88.37 ? 88.37 : input)
        // Round x·log2(e) to the nearest integer by adding and removing 1.5·2^23, whose bits
        // then also hold that integer.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        var r = x - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var y: Float = 1.987_569_1e-4
        y = y * r + 1.398_199_9e-3
        y = y * r + 8.333_452e-3
        y = y * r + 4.166_579_6e-2
        y = y * r + 1.666_666_5e-1
        y = y * r + 5e-1
        y = y * (r * r) + r + 1
        let integer = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        let scale = Float(bitPattern: UInt32(bitPattern: (integer &+ 127) &<< 23))
        return input < -87.33 ? 0 : y * scale
    }
}
