#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A memory-mapped safetensors file: an 8-byte little-endian header length, a JSON header
/// describing each tensor (`dtype`, `shape`, `data_offsets`), then the raw tensor bytes.
///
/// Opening validates the whole header: every entry has a known layout, its byte range lies
/// inside the data section, matches its shape and dtype, and overlaps no other entry. Reading a
/// tensor converts F32, F16 and BF16 to Float32. The mapping is read-only and lives as long as
/// the object; the object is immutable and safe to share between threads.
public final class SafeTensorsFile: @unchecked Sendable {
    /// An element type stored in a safetensors file.
    public enum DType: String, Sendable, CaseIterable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

        /// Bytes per element.
        public var byteSize: Int {
            switch self {
            case .f64, .i64: 8
            case .f32, .i32: 4
            case .f16, .bf16, .i16: 2
            case .i8, .u8, .bool: 1
            }
        }
    }

    /// One tensor's entry in the header.
    public struct Entry: Sendable, Equatable {
        /// The tensor name.
        public var name: String
        /// The stored element type.
        public var dtype: DType
        /// The dimension sizes.
        public var shape: [Int]
        /// The byte range inside the data section (after the header).
        public var byteRange: Range<Int>
    }

    /// The path the file was opened from.
    public let path: String
    /// The entries by tensor name.
    public let entries: [String: Entry]
    /// The `__metadata__` string map of the header (empty when absent).
    public let metadata: [String: String]

    private let base: UnsafeMutableRawPointer?
    private let mappedBytes: Int
    private let dataOffset: Int

    /// The tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Maps and validates a safetensors file.
    /// - Parameter path: the file to open.
    /// - Throws: ``SafeTensorsError`` naming the file (and tensor) when the file cannot be mapped or
    ///   its header is malformed, out of bounds or inconsistent.
    public init(path: String) throws(SafeTensorsError) {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw SafeTensorsError(path: path, kind: .cannotOpen(errno: errno)) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw SafeTensorsError(path: path, kind: .cannotOpen(errno: errno)) }
        let size = Int(status.st_size)
        guard size >= 8 else { throw SafeTensorsError(path: path, kind: .tooSmall(bytes: size)) }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else {
            throw SafeTensorsError(path: path, kind: .cannotOpen(errno: errno))
        }
        do {
            let bytes = UnsafeRawBufferPointer(start: mapped, count: size)
            let parsed = try SafeTensorsFile.parseHeader(bytes, path: path)
            self.entries = parsed.entries
            self.metadata = parsed.metadata
            self.dataOffset = parsed.dataOffset
        } catch {
            munmap(mapped, size)
            throw error
        }
        self.base = mapped
        self.mappedBytes = size
    }

    deinit {
        if let base { munmap(base, mappedBytes) }
    }

    // MARK: - Reading tensors

    /// Reads a tensor, converting its elements to Float32.
    /// - Parameter name: the tensor name.
    /// - Returns: the tensor with its stored shape.
    /// - Throws: ``SafeTensorsError`` when the tensor is absent or its dtype is not F32, F16 or BF16.
    public func tensor(_ name: String) throws(SafeTensorsError) -> Tensor {
        guard let entry = entries[name] else { throw SafeTensorsError(path: path, tensor: name, kind: .missingTensor) }
        let count = Tensor.elementCount(entry.shape)
        var scalars = [Float](repeating: 0, count: count)
        guard count > 0, let base else { return Tensor(shape: entry.shape, scalars: scalars) }
        let source = UnsafeRawPointer(base) + dataOffset + entry.byteRange.lowerBound
        switch entry.dtype {
        case .f32:
            scalars.withUnsafeMutableBytes { $0.baseAddress?.copyMemory(from: source, byteCount: count * 4) }
        case .f16:
            scalars.withUnsafeMutableBufferPointer { out in
                for i in 0 ..< count {
                    out[i] = SafeTensorsFile.floatFromHalf(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            }
        case .bf16:
            scalars.withUnsafeMutableBufferPointer { out in
                for i in 0 ..< count {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            }
        default:
            throw SafeTensorsError(path: path, tensor: name, kind: .unsupportedDType(entry.dtype.rawValue))
        }
        return Tensor(shape: entry.shape, scalars: scalars)
    }

    /// Converts an IEEE 754 half-precision bit pattern to Float32 (subnormals, infinities and NaN included).
    public static func floatFromHalf(_ bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = UInt32(bits >> 10) & 0x1F
        var mantissa = UInt32(bits) & 0x3FF
        switch exponent {
        case 0:
            guard mantissa != 0 else { return Float(bitPattern: sign) }
            // Subnormal: normalise the mantissa.
            var e: UInt32 = 127 - 15 + 1
            while mantissa & 0x400 == 0 { mantissa <<= 1; e -= 1 }
            mantissa &= 0x3FF
            return Float(bitPattern: sign | e << 23 | mantissa << 13)
        case 0x1F:
            return Float(bitPattern: sign | 0xFF << 23 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 127 - 15) << 23 | mantissa << 13)
        }
    }

    // MARK: - Header validation

    private struct ParsedHeader {
        var entries: [String: Entry]
        var metadata: [String: String]
        var dataOffset: Int
    }

    private static func parseHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws(SafeTensorsError) -> ParsedHeader {
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        let available = bytes.count - 8
        guard declared <= UInt64(available), declared <= 100_000_000 else {
            throw SafeTensorsError(path: path, kind: .headerTooLarge(declared: declared, available: available))
        }
        let headerBytes = Int(declared)
        let json: HeaderJSON
        do {
            json = try HeaderJSON.parse(UnsafeRawBufferPointer(rebasing: bytes[8 ..< 8 + headerBytes]))
        } catch {
            throw SafeTensorsError(path: path, kind: .invalidHeader(error.message))
        }
        guard case .object(let members) = json else {
            throw SafeTensorsError(path: path, kind: .invalidHeader("the header is not a JSON object"))
        }
        let dataBytes = available - headerBytes
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw SafeTensorsError(path: path, tensor: name, kind: .invalidEntry("__metadata__ is not an object"))
                }
                for (key, item) in pairs {
                    guard case .string(let text) = item else {
                        throw SafeTensorsError(path: path, tensor: name, kind: .invalidEntry("metadata value '\(key)' is not a string"))
                    }
                    metadata[key] = text
                }
                continue
            }
            guard entries[name] == nil else {
                throw SafeTensorsError(path: path, tensor: name, kind: .invalidEntry("duplicate tensor name"))
            }
            entries[name] = try entry(name: name, value: value, dataBytes: dataBytes, path: path)
        }
        // No two tensors may share bytes.
        let sorted = entries.values.filter { !$0.byteRange.isEmpty }.sorted { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw SafeTensorsError(path: path, tensor: next.name, kind: .overlapping(other: previous.name))
        }
        return ParsedHeader(entries: entries, metadata: metadata, dataOffset: 8 + headerBytes)
    }

    private static func entry(name: String, value: HeaderJSON, dataBytes: Int, path: String) throws(SafeTensorsError) -> Entry {
        func invalid(_ message: String) -> SafeTensorsError {
            SafeTensorsError(path: path, tensor: name, kind: .invalidEntry(message))
        }
        guard case .object(let fields) = value else { throw invalid("entry is not an object") }
        func field(_ key: String) -> HeaderJSON? { fields.first { $0.0 == key }?.1 }
        guard case .string(let dtypeName)? = field("dtype") else { throw invalid("missing string 'dtype'") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw SafeTensorsError(path: path, tensor: name, kind: .unsupportedDType(dtypeName))
        }
        guard case .array(let dims)? = field("shape") else { throw invalid("missing array 'shape'") }
        var shape: [Int] = []
        for dim in dims {
            guard let size = dim.nonNegativeInt else { throw invalid("shape entries must be non-negative integers") }
            shape.append(size)
        }
        guard case .array(let offsets)? = field("data_offsets"), offsets.count == 2,
            let begin = offsets[0].nonNegativeInt, let end = offsets[1].nonNegativeInt
        else { throw invalid("'data_offsets' must be two non-negative integers") }
        guard begin <= end, end <= dataBytes else {
            throw SafeTensorsError(path: path, tensor: name, kind: .offsetsOutOfBounds(begin: begin, end: end, dataBytes: dataBytes))
        }
        var elements = 1
        for size in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { throw invalid("shape \(shape) overflows") }
            elements = product
        }
        let (expected, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, expected == end - begin else {
            throw SafeTensorsError(path: path, tensor: name, kind: .sizeMismatch(expectedBytes: overflow ? Int.max : expected, actualBytes: end - begin))
        }
        return Entry(name: name, dtype: dtype, shape: shape, byteRange: begin ..< end)
    }
}
