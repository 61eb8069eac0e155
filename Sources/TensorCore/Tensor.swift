/// A dense Float32 tensor stored row-major, the single value type of the tensor core.
///
/// Shapes are lists of dimension sizes; the last dimension is contiguous. Most ops view a
/// tensor as a matrix of `rows` × `columns`, where `columns` is the last dimension and `rows`
/// the product of all the others.
public struct Tensor: Sendable, Equatable {
    /// The dimension sizes, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count` equals the product of `shape`.
    public var scalars: [Float]

    // MARK: - Creating tensors

    /// Creates a tensor from its shape and row-major elements.
    /// - Precondition: `scalars.count` equals the product of `shape`, and no dimension is negative.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(
            Tensor.elementCount(shape) == scalars.count,
            "shape \(shape) needs \(Tensor.elementCount(shape)) elements, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor of the given shape filled with `value` (zero by default).
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: Tensor.elementCount(shape)))
    }

    /// Creates a matrix (rank-2 tensor) from equally long rows.
    /// - Precondition: every row has the same length.
    public init(rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "rows of different lengths")
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    // MARK: - Shape

    /// The number of elements (the product of `shape`).
    public var count: Int { scalars.count }

    /// The size of the last dimension (1 for a scalar tensor).
    public var columns: Int { shape.last ?? 1 }

    /// The number of rows when the tensor is viewed as a `rows × columns` matrix.
    public var rows: Int { columns == 0 ? 0 : scalars.count / columns }

    /// Returns the same elements under another shape with the same element count.
    /// - Precondition: the element counts match.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// The elements of row `index` of the matrix view.
    public func row(_ index: Int) -> [Float] {
        precondition(index >= 0 && index < rows, "row \(index) out of range 0..<\(rows)")
        return Array(scalars[index * columns ..< (index + 1) * columns])
    }

    /// The rows of the matrix view as arrays.
    public func rowArrays() -> [[Float]] {
        (0 ..< rows).map { row($0) }
    }

    /// The product of the dimension sizes.
    static func elementCount(_ shape: [Int]) -> Int {
        shape.reduce(1, *)
    }
}

/// An index into a matrix's rows with the score it obtained, as returned by top-k searches.
public struct ScoredIndex: Sendable, Hashable {
    /// The row index.
    public var index: Int
    /// The score of that row (for example a cosine similarity in [-1, 1]).
    public var score: Float

    /// Creates a scored index.
    public init(index: Int, score: Float) {
        self.index = index
        self.score = score
    }
}
