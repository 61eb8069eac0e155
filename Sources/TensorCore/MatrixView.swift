internal import COpenBLAS

/// A read-only view of a row-major Float32 matrix whose memory someone else owns: a tensor's
/// scalars, an array, or a memory-mapped file. The clustering, neighbour and selection kernels
/// work on views so that a large matrix is never copied.
///
/// A view is valid only while its memory is; use it inside the closure that lent the pointer
/// (``Tensor/withMatrixView(_:)``).
public struct MatrixView {
    /// The elements, `rows × columns`, row-major.
    public let scalars: UnsafeBufferPointer<Float>
    /// The number of rows.
    public let rows: Int
    /// The number of floats per row.
    public let columns: Int

    /// Creates a view of `rows × columns` floats.
    /// - Precondition: `scalars.count == rows * columns`.
    public init(_ scalars: UnsafeBufferPointer<Float>, rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0 && scalars.count == rows * columns,
                     "a \(rows) × \(columns) view needs \(rows * columns) floats, got \(scalars.count)")
        self.scalars = scalars
        self.rows = rows
        self.columns = columns
    }

    /// The first float of row `i`.
    @inline(__always)
    public func row(_ i: Int) -> UnsafePointer<Float> {
        // A view with rows has a base address.
        scalars.baseAddress.unsafelyUnwrapped + i * columns
    }

    /// The dot products of rows `a` of this view with rows `b` of `other`, an
    /// `a.count × b.count` tile written row-major into `out` (one `cblas_sgemm`).
    ///
    /// A given pair of ranges always runs the same BLAS call, so callers that cut a matrix into
    /// fixed blocks get identical results whatever thread runs each block.
    /// - Precondition: both views have the same column count; `out` holds the tile.
    public func dotProducts(rows a: Range<Int>, with other: MatrixView, rows b: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        precondition(columns == other.columns, "dot products of \(columns)- and \(other.columns)-column rows")
        precondition(a.lowerBound >= 0 && a.upperBound <= rows && b.lowerBound >= 0 && b.upperBound <= other.rows,
                     "row ranges \(a), \(b) outside \(rows) and \(other.rows) rows")
        guard !a.isEmpty, !b.isEmpty else { return }
        if columns == 0 {
            out.initialize(repeating: 0, count: a.count * b.count)
            return
        }
        wblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(a.count), Int32(b.count), Int32(columns), 1,
            row(a.lowerBound), Int32(columns), other.row(b.lowerBound), Int32(columns), 0, out, Int32(b.count))
    }

    /// The dot products of every row with `vector` (one `cblas_sgemv`), written into `out`.
    /// - Precondition: `vector` has `columns` floats and `out` has room for `rows`.
    public func dotProducts(with vector: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        if columns == 0 {
            out.initialize(repeating: 0, count: rows)
            return
        }
        wblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1, row(0), Int32(columns), vector, 1, 0, out, 1)
    }

    /// The squared Euclidean length of every row, summed in index order.
    public func squaredNorms() -> [Float] {
        (0 ..< rows).map { i in
            let p = row(i)
            var s: Float = 0
            for j in 0 ..< columns { s += p[j] * p[j] }
            return s
        }
    }
}

extension Tensor {
    /// Lends a ``MatrixView`` of this tensor's `rows × columns` matrix to `body`.
    public func withMatrixView<R>(_ body: (MatrixView) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer { try body(MatrixView($0, rows: rows, columns: columns)) }
    }

    /// Scales every row of a flat row-major matrix to unit Euclidean length in place; rows of
    /// zero length stay zero.
    /// - Parameters:
    ///   - values: `rows × columns` floats.
    ///   - columns: floats per row.
    public static func l2NormalizeRows(_ values: inout [Float], columns: Int) {
        guard columns > 0 else { return }
        values.withUnsafeMutableBufferPointer { p in
            for r in 0 ..< p.count / columns {
                var s: Float = 0
                for j in 0 ..< columns { s += p[r * columns + j] * p[r * columns + j] }
                guard s > 0 else { continue }
                let scale = 1 / s.squareRoot()
                for j in 0 ..< columns { p[r * columns + j] *= scale }
            }
        }
    }
}

/// SplitMix64: a small, fast generator whose sequence depends only on its seed, so seeded
/// clustering and selection give the same result on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Double in [0, 1) from the top 53 bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform integer in 0..<bound (bound > 0), by rejection (no modulo bias).
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next(upperBound: UInt64(bound)))
    }
}
