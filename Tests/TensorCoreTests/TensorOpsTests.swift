import Foundation
import Testing
@testable import TensorCore

/// A small deterministic generator (SplitMix64) so every run uses the same data.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var generator = SeededGenerator(state: seed)
    let count = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0 ..< count).map { _ in Float.random(in: -scale ... scale, using: &generator) })
}

/// Normalised mean squared error, ggml's test measure: Σ(a−b)² / Σb².
func nmse(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var error = 0.0
    var reference = 0.0
    for (x, y) in zip(a, b) {
        error += Double(x - y) * Double(x - y)
        reference += Double(y) * Double(y)
    }
    return reference == 0 ? error : error / reference
}

@Suite("Tensor ops match the reference kernels")
struct TensorOpsTests {
    @Test("matmul with every transpose combination", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmul(transposeA: Bool, transposeB: Bool) {
        let (m, k, n) = (7, 13, 5)
        let a = randomTensor(transposeA ? [k, m] : [m, k], seed: 1)
        let b = randomTensor(transposeB ? [n, k] : [k, n], seed: 2)
        let fast = Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB, alpha: 0.5)
        let slow = ReferenceKernels.matmul(a, b, transposeA: transposeA, transposeB: transposeB, alpha: 0.5)
        #expect(fast.shape == [m, n])
        #expect(fast.shape == slow.shape)
        #expect(nmse(fast.scalars, slow.scalars) < 1e-10)
    }

    @Test("matmul keeps leading dimensions and handles empty operands")
    func matmulShapes() {
        let a = randomTensor([2, 3, 4], seed: 3)
        let b = randomTensor([4, 6], seed: 4)
        #expect(Tensor.matmul(a, b).shape == [2, 3, 6])
        #expect(nmse(Tensor.matmul(a, b).scalars, ReferenceKernels.matmul(a, b).scalars) < 1e-10)
        let empty = Tensor.matmul(Tensor(shape: [0, 4]), b)
        #expect(empty.shape == [0, 6])
    }

    @Test("linear layer, bias add and residual add")
    func linear() {
        let x = randomTensor([9, 16], seed: 5)
        let w = randomTensor([11, 16], seed: 6)
        let bias = randomTensor([11], seed: 7)
        let fast = Tensor.linear(x, weight: w, bias: bias)
        #expect(fast.shape == [9, 11])
        #expect(nmse(fast.scalars, ReferenceKernels.linear(x, weight: w, bias: bias).scalars) < 1e-10)

        var biased = x
        let rowBias = randomTensor([16], seed: 8)
        biased.addBias(rowBias)
        #expect(biased == ReferenceKernels.addBias(x, rowBias))

        var summed = x
        let other = randomTensor([9, 16], seed: 9)
        summed.add(other)
        #expect(summed == ReferenceKernels.add(x, other))
    }

    @Test("layer normalisation")
    func layerNorm() {
        let x = randomTensor([6, 32], seed: 10, scale: 3)
        let gamma = randomTensor([32], seed: 11)
        let beta = randomTensor([32], seed: 12)
        var fast = x
        fast.layerNorm(gamma: gamma, beta: beta, epsilon: 1e-12)
        #expect(nmse(fast.scalars, ReferenceKernels.layerNorm(x, gamma: gamma, beta: beta, epsilon: 1e-12).scalars) < 1e-10)
    }

    @Test("GELU, erf form")
    func gelu() {
        let x = randomTensor([4, 50], seed: 13, scale: 6)
        var fast = x
        fast.gelu()
        #expect(nmse(fast.scalars, ReferenceKernels.gelu(x).scalars) < 1e-10)
        var known = Tensor(shape: [3], scalars: [0, 1, -1])
        known.gelu()
        #expect(abs(known.scalars[1] - 0.841_344_7) < 1e-6)
        #expect(abs(known.scalars[2] + 0.158_655_3) < 1e-6)
    }

    @Test("softmax with and without an additive mask")
    func softmax() {
        let x = randomTensor([6, 10], seed: 14, scale: 4)
        var plain = x
        plain.softmax()
        #expect(nmse(plain.scalars, ReferenceKernels.softmax(x).scalars) < 1e-10)
        for r in 0 ..< 6 { #expect(abs(plain.row(r).reduce(0, +) - 1) < 1e-5) }

        var mask = [Float](repeating: 0, count: 20)
        for j in 7 ..< 10 { mask[j] = -1e9 }
        for j in 12 ..< 20 { mask[j] = -1e9 }
        var masked = x
        masked.softmax(mask: mask, maskRowsPerGroup: 3)
        #expect(nmse(masked.scalars, ReferenceKernels.softmax(x, mask: mask, maskRowsPerGroup: 3).scalars) < 1e-10)
        #expect(masked.row(0)[8] == 0)
        #expect(masked.row(4)[5] == 0)
    }

    @Test("multi-head attention with padding", arguments: [1, 4])
    func attention(heads: Int) {
        let (batch, length, hidden) = (3, 5, 8)
        let q = randomTensor([batch * length, hidden], seed: 15)
        let k = randomTensor([batch * length, hidden], seed: 16)
        let v = randomTensor([batch * length, hidden], seed: 17)
        var mask = [Float](repeating: 0, count: batch * length)
        mask[3] = -1e9
        mask[4] = -1e9
        mask[14] = -1e9
        let fast = Tensor.multiHeadAttention(query: q, key: k, value: v, heads: heads, sequenceLength: length, keyMask: mask)
        let slow = ReferenceKernels.multiHeadAttention(query: q, key: k, value: v, heads: heads, sequenceLength: length, keyMask: mask)
        // Trailing padding: the attended rows match; padded query rows are left zero.
        let padded: Set<Int> = [3, 4, 14]
        for r in 0 ..< batch * length {
            if padded.contains(r) {
                #expect(fast.row(r).allSatisfy { $0 == 0 })
            } else {
                #expect(nmse(fast.row(r), slow.row(r)) < 1e-10, "row \(r)")
            }
        }
        // A mask that is not trailing padding takes the general path: every row matches.
        var holes = [Float](repeating: 0, count: batch * length)
        holes[1] = -1e9
        holes[7] = -1e9
        holes[8] = -1e9
        let general = Tensor.multiHeadAttention(query: q, key: k, value: v, heads: heads, sequenceLength: length, keyMask: holes)
        let generalReference = ReferenceKernels.multiHeadAttention(query: q, key: k, value: v, heads: heads, sequenceLength: length, keyMask: holes)
        #expect(nmse(general.scalars, generalReference.scalars) < 1e-10)
        let unmasked = Tensor.multiHeadAttention(query: q, key: k, value: v, heads: heads, sequenceLength: length, keyMask: nil)
        #expect(nmse(unmasked.scalars, ReferenceKernels.multiHeadAttention(query: q, key: k, value: v, heads: heads, sequenceLength: length, keyMask: nil).scalars) < 1e-10)
    }

    @Test("attention over a packed q|k|v projection equals attention over separate ones")
    func packedAttention() {
        let (batch, length, hidden, heads) = (2, 6, 8, 2)
        let q = randomTensor([batch * length, hidden], seed: 21)
        let k = randomTensor([batch * length, hidden], seed: 22)
        let v = randomTensor([batch * length, hidden], seed: 23)
        var packed = Tensor(shape: [batch * length, 3 * hidden])
        for r in 0 ..< batch * length {
            for c in 0 ..< hidden {
                packed.scalars[r * 3 * hidden + c] = q.scalars[r * hidden + c]
                packed.scalars[r * 3 * hidden + hidden + c] = k.scalars[r * hidden + c]
                packed.scalars[r * 3 * hidden + 2 * hidden + c] = v.scalars[r * hidden + c]
            }
        }
        var mask = [Float](repeating: 0, count: batch * length)
        mask[10] = -1e9
        mask[11] = -1e9
        let separate = Tensor.multiHeadAttention(query: q, key: k, value: v, heads: heads, sequenceLength: length, keyMask: mask)
        let fused = Tensor.multiHeadAttention(packed: packed, heads: heads, sequenceLength: length, keyMask: mask)
        #expect(fused.shape == separate.shape)
        #expect(nmse(fused.scalars, separate.scalars) < 1e-12)
    }

    @Test("the call-free exp is within 4e-7 relative of expf over [-87, 88], and 0 below")
    func exponential() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let exact = expf(x)
            worst = max(worst, abs(Tensor.expApproximation(x) - exact) / exact)
            x += 0.013_7
        }
        #expect(worst < 4e-7, "worst relative error \(worst)")
        #expect(Tensor.expApproximation(-.infinity) == 0)
        #expect(Tensor.expApproximation(-1000) == 0)
        #expect(Tensor.expApproximation(0) == 1)
    }

    @Test("row gather")
    func gather() {
        let table = randomTensor([10, 4], seed: 18)
        let indices: [Int32] = [3, 0, 9, 3]
        #expect(table.gatherRows(indices) == ReferenceKernels.gatherRows(table, indices))
        #expect(table.gatherRows([]).shape == [0, 4])
    }

    @Test("masked mean pooling")
    func meanPool() {
        let x = randomTensor([2 * 4, 6], seed: 19)
        let mask: [Float] = [1, 1, 1, 0, 1, 0, 0, 0]
        let fast = x.meanPooled(mask: mask, sequenceLength: 4)
        #expect(fast.shape == [2, 6])
        #expect(nmse(fast.scalars, ReferenceKernels.meanPooled(x, mask: mask, sequenceLength: 4).scalars) < 1e-10)
        #expect(fast.row(1) == x.row(4))
    }

    @Test("L2 normalisation, zero rows stay zero")
    func l2() {
        var x = randomTensor([5, 7], seed: 20)
        x.scalars.replaceSubrange(7 ..< 14, with: [Float](repeating: 0, count: 7))
        var fast = x
        fast.l2Normalize()
        #expect(nmse(fast.scalars, ReferenceKernels.l2Normalize(x).scalars) < 1e-10)
        #expect(abs(fast.row(0).reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        #expect(fast.row(1).allSatisfy { $0 == 0 })
    }

    @Test("cosine similarity and top-k")
    func cosine() {
        var matrix = randomTensor([50, 12], seed: 21)
        let query = randomTensor([12], seed: 22).scalars
        // Row 17 points the same way as the query; row 30 duplicates row 17 (a tie).
        matrix.scalars.replaceSubrange(17 * 12 ..< 18 * 12, with: query.map { $0 * 2 })
        matrix.scalars.replaceSubrange(30 * 12 ..< 31 * 12, with: query.map { $0 * 2 })
        let fast = matrix.cosineSimilarities(to: query)
        let slow = ReferenceKernels.cosineSimilarities(matrix, query)
        #expect(nmse(fast, slow) < 1e-10)
        let top = matrix.cosineTopK(query: query, k: 5)
        let reference = ReferenceKernels.cosineTopK(matrix, query: query, k: 5)
        #expect(top.map(\.index) == reference.map(\.index))
        #expect(top.first?.index == 17)
        #expect(top.dropFirst().first?.index == 30)
        #expect(abs((top.first?.score ?? 0) - 1) < 1e-5)
        #expect(matrix.cosineTopK(query: query, k: 100).count == 50)
        #expect(matrix.cosineTopK(query: query, k: 0).isEmpty)
    }

    @Test("OpenBLAS reports its kernel and thread count")
    func blas() {
        #expect(!BLAS.coreName.isEmpty)
        BLAS.setThreadCount(1)
        #expect(BLAS.threadCount == 1)
        if let warning = BLAS.kernelWarning {
            #expect(warning.contains("OPENBLAS_CORETYPE"))
            #expect(BLAS.isGenericCore)
        }
    }
}
