/// A product quantiser (ProductQuantizer): `nsubq` sub-vectors of `dsub` values (the last of
/// `lastdsub`), each coded by one byte that picks one of 256 centroids.
struct ProductQuantizer: Sendable {
    static let ksub = 256
    let dim: Int
    let nsubq: Int
    let dsub: Int
    let lastdsub: Int
    let centroids: [Float]

    init(reading r: inout ByteReader, what: String) throws(FastTextError) {
        let at = r.offset
        dim = Int(try r.int32("\(what) dimension"))
        nsubq = Int(try r.int32("\(what) sub-quantiser count"))
        dsub = Int(try r.int32("\(what) sub-vector size"))
        lastdsub = Int(try r.int32("\(what) last sub-vector size"))
        guard dim > 0, nsubq > 0, dsub > 0, lastdsub > 0, lastdsub <= dsub, (nsubq - 1) * dsub + lastdsub == dim else {
            throw r.error(.corrupt, "\(what) shape is inconsistent: dim \(dim), nsubq \(nsubq), dsub \(dsub), lastdsub \(lastdsub)", at: at)
        }
        centroids = try r.floats(dim * Self.ksub, "\(what) centroids (\(dim) × 256 floats)")
    }

    /// Offset of centroid `code` of sub-quantiser `m` (ProductQuantizer::get_centroids).
    @inline(__always)
    func centroidOffset(_ m: Int, _ code: UInt8) -> Int {
        m == nsubq - 1 ? m * Self.ksub * dsub + Int(code) * lastdsub : (m * Self.ksub + Int(code)) * dsub
    }
}

/// One of a model's two matrices: plain Float32 rows (`.bin`) or product-quantised rows (`.ftz`).
enum FastTextMatrix: Sendable {
    case dense(rows: Int, columns: Int, data: [Float])
    case quantized(QuantizedMatrix)

    var rows: Int {
        switch self {
        case .dense(let rows, _, _): rows
        case .quantized(let q): q.rows
        }
    }

    var columns: Int {
        switch self {
        case .dense(_, let columns, _): columns
        case .quantized(let q): q.columns
        }
    }

    /// Reads a DenseMatrix (`m`, `n`, then `m × n` floats).
    static func readDense(_ r: inout ByteReader, what: String) throws(FastTextError) -> FastTextMatrix {
        let at = r.offset
        let m = try r.int64("\(what) row count")
        let n = try r.int64("\(what) column count")
        guard m >= 0, n >= 0, m <= Int64(Int32.max), n <= Int64(Int32.max) else {
            throw r.error(.corrupt, "\(what) has an impossible shape \(m) × \(n)", at: at)
        }
        let (count, overflow) = Int(m).multipliedReportingOverflow(by: Int(n))
        guard !overflow else { throw r.error(.corrupt, "\(what) has an impossible shape \(m) × \(n)", at: at) }
        let data = try r.floats(count, "\(what) values (\(m) × \(n) floats)")
        return .dense(rows: Int(m), columns: Int(n), data: data)
    }

    /// Adds row `row` to `x` (Matrix::addRowToVector).
    @inline(__always)
    func addRow(_ row: Int, to x: UnsafeMutablePointer<Float>) {
        switch self {
        case .dense(_, let n, let data):
            data.withUnsafeBufferPointer { d in
                let base = row * n
                for j in 0..<n { x[j] += d[base + j] }
            }
        case .quantized(let q):
            q.addRow(row, to: x)
        }
    }

    /// The dot product of row `row` with `x` (Matrix::dotRow).
    @inline(__always)
    func dotRow(_ row: Int, _ x: UnsafePointer<Float>) -> Float {
        switch self {
        case .dense(_, let n, let data):
            return data.withUnsafeBufferPointer { d in
                let base = row * n
                var s: Float = 0
                for j in 0..<n { s += d[base + j] * x[j] }
                return s
            }
        case .quantized(let q):
            return q.dotRow(row, x)
        }
    }
}

/// A product-quantised matrix (QuantMatrix), with optionally quantised row norms (`qnorm`).
struct QuantizedMatrix: Sendable {
    let rows: Int
    let columns: Int
    let codes: [UInt8]
    let pq: ProductQuantizer
    /// Per-row norm codes and their one-dimensional quantiser, when `qnorm`.
    let normCodes: [UInt8]?
    let normPQ: ProductQuantizer?

    init(reading r: inout ByteReader, what: String) throws(FastTextError) {
        let qnorm = try r.bool("\(what) qnorm flag")
        let at = r.offset
        let m = try r.int64("\(what) row count")
        let n = try r.int64("\(what) column count")
        let codeSizeAt = r.offset
        let codeSize = try r.int32("\(what) code size")
        guard m >= 0, n > 0, m <= Int64(Int32.max), n <= Int64(Int32.max) else {
            throw r.error(.corrupt, "\(what) has an impossible shape \(m) × \(n)", at: at)
        }
        guard codeSize >= 0 else { throw r.error(.corrupt, "\(what) code size \(codeSize) is negative", at: codeSizeAt) }
        rows = Int(m)
        columns = Int(n)
        codes = Array(try r.raw(Int(codeSize), "\(what) codes (\(codeSize) bytes)"))
        let pqAt = r.offset
        pq = try ProductQuantizer(reading: &r, what: "\(what) quantiser")
        guard pq.dim == columns else {
            throw r.error(.corrupt, "\(what) quantiser has dimension \(pq.dim) but the matrix has \(columns) columns", at: pqAt)
        }
        guard codes.count == rows * pq.nsubq else {
            throw r.error(
                .corrupt, "\(what) holds \(codes.count) code bytes; \(rows) rows × \(pq.nsubq) sub-quantisers need \(rows * pq.nsubq)",
                at: codeSizeAt)
        }
        if qnorm {
            normCodes = Array(try r.raw(rows, "\(what) norm codes (\(rows) bytes)"))
            let npqAt = r.offset
            let npq = try ProductQuantizer(reading: &r, what: "\(what) norm quantiser")
            guard npq.dim == 1 else {
                throw r.error(.corrupt, "\(what) norm quantiser has dimension \(npq.dim), expected 1", at: npqAt)
            }
            normPQ = npq
        } else {
            normCodes = nil
            normPQ = nil
        }
    }

    /// Every row decoded to Float32 (`rows × columns`). Adding a decoded row to a vector gives
    /// exactly what adding the codes does (each value is the same single product `norm × centroid`).
    func decoded() -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        out.withUnsafeMutableBufferPointer { o in
            guard let base = o.baseAddress else { return }
            for row in 0..<rows { addRow(row, to: base + row * columns) }
        }
        return out
    }

    @inline(__always)
    private func norm(_ row: Int) -> Float {
        guard let normCodes, let normPQ else { return 1 }
        return normPQ.centroids[normPQ.centroidOffset(0, normCodes[row])]
    }

    /// ProductQuantizer::addcode with alpha = the row's norm.
    @inline(__always)
    func addRow(_ row: Int, to x: UnsafeMutablePointer<Float>) {
        let alpha = norm(row)
        let nsubq = pq.nsubq, dsub = pq.dsub, last = nsubq - 1
        codes.withUnsafeBufferPointer { codes in
            pq.centroids.withUnsafeBufferPointer { c in
                let code = row * nsubq
                if dsub == 2 && pq.lastdsub == 2 {
                    // The common layout (lid.176): pairs of values, one centroid pair per code byte.
                    for m in 0..<nsubq {
                        let o = 2 * (m * ProductQuantizer.ksub + Int(codes[code + m]))
                        x[2 * m] += alpha * c[o]
                        x[2 * m + 1] += alpha * c[o + 1]
                    }
                    return
                }
                for m in 0..<nsubq {
                    let o = pq.centroidOffset(m, codes[code + m])
                    let d = m == last ? pq.lastdsub : dsub
                    for k in 0..<d { x[m * dsub + k] += alpha * c[o + k] }
                }
            }
        }
    }

    /// ProductQuantizer::mulcode with alpha = the row's norm.
    @inline(__always)
    func dotRow(_ row: Int, _ x: UnsafePointer<Float>) -> Float {
        let nsubq = pq.nsubq, dsub = pq.dsub, last = nsubq - 1
        let s: Float = codes.withUnsafeBufferPointer { codes in
            pq.centroids.withUnsafeBufferPointer { c in
                var s: Float = 0
                let code = row * nsubq
                for m in 0..<nsubq {
                    let o = pq.centroidOffset(m, codes[code + m])
                    let d = m == last ? pq.lastdsub : dsub
                    for k in 0..<d { s += x[m * dsub + k] * c[o + k] }
                }
                return s
            }
        }
        return s * norm(row)
    }
}
