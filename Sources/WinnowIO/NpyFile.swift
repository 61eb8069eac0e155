#if canImport(Glibc)
import Glibc
#endif
import WinnowCore

/// Writes a 2-D float32 matrix as a NumPy `.npy` file (format 1.0, little-endian `<f4`, C order),
/// one row at a time, without knowing the row count in advance.
///
/// The header is written with room for any row count and rewritten with the final shape at
/// ``finish()``; the file appears under its name only then (temporary name and rename), so a
/// crash never leaves a half matrix that numpy would load.
///
/// ```swift
/// let npy = try NpyWriter(path: "vectors.npy", columns: 384)
/// try npy.append(row: vector)
/// try npy.finish()          // numpy.load("vectors.npy").shape == (1, 384)
/// ```
public final class NpyWriter {
    /// The file's final path.
    public var path: String { file.path }
    /// The number of floats per row.
    public let columns: Int
    /// Rows written so far.
    public private(set) var rows = 0
    private let file: AtomicFileWriter
    private var finished = false

    /// The header length: magic, version, length field and the padded dictionary (a multiple of
    /// 64, as the format asks, and long enough for a 20-digit row count).
    static let headerLength = 128

    /// Creates the temporary file and writes a provisional header.
    /// - Throws: ``FileError`` when the file cannot be created.
    public init(path: String, columns: Int) throws {
        precondition(columns > 0, "an .npy matrix needs at least one column")
        self.columns = columns
        file = try AtomicFileWriter(path: path)
        let header = NpyWriter.header(rows: 0, columns: columns)
        try header.withUnsafeBytes { try file.write($0) }
    }

    /// The format 1.0 header for a `rows × columns` float32 matrix.
    static func header(rows: Int, columns: Int) -> [UInt8] {
        var dict = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }".utf8)
        let room = headerLength - 10
        dict.append(contentsOf: [UInt8](repeating: 0x20, count: room - dict.count - 1))
        dict.append(0x0A)
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        out.append(UInt8(room & 0xFF))
        out.append(UInt8(room >> 8))
        return out + dict
    }

    /// Appends one row.
    /// - Precondition: `row.count == columns`.
    public func append(row: [Float]) throws {
        precondition(row.count == columns, "row has \(row.count) values, the matrix \(columns) columns")
        try row.withUnsafeBytes { try file.write($0) }
        rows += 1
    }

    /// Appends `count` rows stored contiguously (row-major) in `values`.
    /// - Precondition: `values.count` is a multiple of `columns`.
    public func append(rows values: UnsafeBufferPointer<Float>) throws {
        precondition(values.count % columns == 0, "\(values.count) values are not whole rows of \(columns)")
        try file.write(UnsafeRawBufferPointer(values))
        rows += values.count / columns
    }

    /// Writes the final shape into the header and renames the file onto its name.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        try file.overwrite(at: 0, NpyWriter.header(rows: rows, columns: columns))
        try file.commit()
    }
}

/// A float32 `.npy` matrix read into memory: shape and values.
public struct NpyMatrix: Sendable {
    /// Rows.
    public var rows: Int
    /// Floats per row.
    public var columns: Int
    /// `rows × columns` values, row-major.
    public var values: [Float]

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Float] { Array(values[i * columns ..< (i + 1) * columns]) }

    /// Reads a 2-D (or 1-D, as one row) little-endian float32, C-order `.npy` file.
    /// - Throws: ``InputError`` naming the file and byte offset for anything else: a bad magic,
    ///   another dtype, Fortran order, a truncated body.
    public init(path: String) throws {
        let bytes = try FileSystem.readAll(path)
        func fail(_ message: String, _ offset: Int) -> InputError {
            InputError(message, at: SourceLocation(file: path, byteOffset: Int64(offset)))
        }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1 ..< 6]) == Array("NUMPY".utf8) else {
            throw fail("not an .npy file (bad magic)", 0)
        }
        let major = bytes[6]
        let lengthBytes = major == 1 ? 2 : 4
        guard major >= 1 && major <= 3, bytes.count >= 8 + lengthBytes else { throw fail("unsupported .npy version \(major)", 6) }
        var headerLength = 0
        for k in 0 ..< lengthBytes { headerLength |= Int(bytes[8 + k]) << (8 * k) }
        let start = 8 + lengthBytes
        guard bytes.count >= start + headerLength else { throw fail("truncated header", bytes.count) }
        let headerBytes = Array(bytes[start ..< start + headerLength])
        let header = String(decoding: headerBytes, as: UTF8.self)
        guard headerBytes.firstRange(of: Array("'descr': '<f4'".utf8)) != nil else {
            throw fail("dtype is not little-endian float32 ('<f4'): \(header)", start)
        }
        guard headerBytes.firstRange(of: Array("'fortran_order': False".utf8)) != nil else {
            throw fail("Fortran-order arrays are not supported", start)
        }
        guard let open = headerBytes.firstRange(of: Array("'shape': (".utf8)),
            let close = headerBytes[open.upperBound...].firstIndex(of: UInt8(ascii: ")"))
        else { throw fail("no shape in header", start) }
        let dims = headerBytes[open.upperBound ..< close].split(separator: UInt8(ascii: ","))
            .map { String(decoding: $0.filter { $0 != 0x20 }, as: UTF8.self) }.filter { !$0.isEmpty }
        let shape = dims.compactMap { Int($0) }
        guard shape.count == dims.count, (1 ... 2).contains(shape.count) else {
            throw fail("shape must have 1 or 2 dimensions: (\(dims.joined(separator: ", ")))", start)
        }
        rows = shape.count == 2 ? shape[0] : 1
        columns = shape.count == 2 ? shape[1] : shape[0]
        let body = start + headerLength
        let expected = rows * columns * 4
        guard bytes.count - body == expected else {
            throw fail("body has \(bytes.count - body) bytes, shape (\(rows), \(columns)) needs \(expected)", min(bytes.count, body + expected))
        }
        var values = [Float](repeating: 0, count: rows * columns)
        values.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[body ..< body + expected]))
            }
        }
        self.values = values
    }
}
