/// Reads little-endian fields from a model file held in memory, checking every read against the
/// end of the file and naming the field and byte offset when one does not fit.
struct ByteReader {
    let bytes: [UInt8]
    let path: String
    private(set) var offset: Int = 0

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Bytes left after the current offset.
    var remaining: Int { bytes.count - offset }

    func error(_ kind: FastTextError.Kind, _ message: String, at position: Int? = nil) -> FastTextError {
        FastTextError(path: path, offset: position ?? offset, kind: kind, message: message)
    }

    /// Checks that `count` bytes of `what` are available at the current offset.
    private func need(_ count: Int, _ what: String) throws(FastTextError) {
        if count < 0 || count > remaining {
            throw error(
                .truncated,
                "file is truncated: \(what) needs \(count) bytes but only \(remaining) remain (file size \(bytes.count) bytes)")
        }
    }

    private mutating func load<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws(FastTextError) -> T {
        try need(MemoryLayout<T>.size, what)
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func int32(_ what: String) throws(FastTextError) -> Int32 { try load(Int32.self, what) }
    mutating func int64(_ what: String) throws(FastTextError) -> Int64 { try load(Int64.self, what) }
    mutating func uint8(_ what: String) throws(FastTextError) -> UInt8 { try load(UInt8.self, what) }

    mutating func float64(_ what: String) throws(FastTextError) -> Double {
        Double(bitPattern: try load(UInt64.self, what))
    }

    /// A C++ `bool`: one byte, 0 or 1.
    mutating func bool(_ what: String) throws(FastTextError) -> Bool {
        let at = offset
        let b = try uint8(what)
        guard b <= 1 else { throw error(.corrupt, "\(what) must be 0 or 1, found \(b)", at: at) }
        return b == 1
    }

    /// `count` raw bytes.
    mutating func raw(_ count: Int, _ what: String) throws(FastTextError) -> ArraySlice<UInt8> {
        try need(count, what)
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// `count` little-endian Float32 values.
    mutating func floats(_ count: Int, _ what: String) throws(FastTextError) -> [Float] {
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: 4)
        if overflow { throw error(.corrupt, "\(what): \(count) floats is too many") }
        try need(byteCount, what)
        let start = offset
        let result = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { src in
                for i in 0..<count {
                    let bits = src.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
            initialized = count
        }
        offset += byteCount
        return result
    }

    /// The bytes up to the next NUL (not included); the NUL is consumed.
    mutating func cString(_ what: String) throws(FastTextError) -> Range<Int> {
        let start = offset
        guard let end = bytes[start...].firstIndex(of: 0) else {
            throw error(.truncated, "file is truncated: \(what) has no terminating NUL byte before the end of the file")
        }
        offset = end + 1
        return start..<end
    }
}
