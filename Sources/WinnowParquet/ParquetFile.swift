#if canImport(Glibc)
import Glibc
#endif
import WinnowCore

/// An open Parquet file: its footer decoded (schema, row groups) and a descriptor to read pages.
///
/// Opening checks the magic at both ends, the footer length, the Thrift footer, the schema and
/// that every column chunk lies between the leading magic and the footer; any failure is a
/// ``ParquetError`` naming the file (and the row group and column when the offsets are wrong).
public final class ParquetFile: @unchecked Sendable {
    /// The path as given.
    public let path: String
    /// The file's size in bytes.
    public let size: Int64
    /// The top-level columns in schema order.
    public let columns: [ParquetColumn]
    /// The row groups in file order.
    public let rowGroups: [ParquetRowGroup]
    /// Total rows.
    public let rows: Int64
    /// The footer's key/value metadata.
    public let keyValueMetadata: [(String, String?)]
    /// The writer named in the footer (`created_by`), if any.
    public let createdBy: String?
    private let fd: Int32

    /// Opens and checks a file.
    /// - Throws: ``ParquetError`` (not a Parquet file, truncated, damaged footer, bad offsets,
    ///   unreadable).
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ParquetError(file: path, "cannot open: \(String(cString: strerror(errno)))") }
        self.fd = fd
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw ParquetError(file: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        size = Int64(st.st_size)
        do {
            let (meta, footerStart) = try Self.readFooter(fd: fd, path: path, size: size)
            let leaves: [ParquetColumn]
            (columns, leaves) = try Self.schema(meta, path: path)
            (rowGroups, rows) = try Self.rowGroups(meta, path: path, leafCount: leaves.count, dataEnd: footerStart)
            var kv: [(String, String?)] = []
            for item in meta[5]?.list ?? [] {
                if let k = item[1]?.string { kv.append((k, item[2]?.string)) }
            }
            keyValueMetadata = kv
            createdBy = meta[6]?.string
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// The column named `name`, if any.
    public func column(named name: String) -> ParquetColumn? {
        columns.first { $0.name == name }
    }

    // MARK: - Reading bytes

    /// Reads `count` bytes at `offset` (all of them, or an error).
    func read(offset: Int64, count: Int, into buffer: inout [UInt8]) throws(PageError) {
        guard offset >= 0, count >= 0, offset + Int64(count) <= size else {
            throw PageError("bytes \(offset)..<\(offset + Int64(count)) lie outside the file (\(size) bytes)")
        }
        var failure: String?
        buffer = [UInt8](unsafeUninitializedCapacity: count) { b, initialized in
            initialized = count
            if count == 0 { return }
            var done = 0
            while done < count {
                let n = pread(fd, b.baseAddress! + done, count - done, off_t(offset + Int64(done)))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "read failed: \(String(cString: strerror(errno)))"
                    return
                }
                if n == 0 {
                    failure = "the file ends at byte \(offset + Int64(done)) (it changed while being read?)"
                    return
                }
                done += n
            }
        }
        if let failure { throw PageError(failure) }
    }

    // MARK: - Footer

    static let magic: [UInt8] = Array("PAR1".utf8)

    private static func readFooter(fd: Int32, path: String, size: Int64) throws -> (Thrift, Int64) {
        func fail(_ m: String, at offset: Int64? = nil) -> ParquetError { ParquetError(file: path, byteOffset: offset, m) }
        guard size >= 12 else {
            throw fail("not a Parquet file: \(size) bytes, shorter than the 12 bytes of the magic and footer length")
        }
        func readExactly(_ offset: Int64, _ count: Int) throws -> [UInt8] {
            var b = [UInt8](repeating: 0, count: count)
            let n = b.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, count, off_t(offset)) }
            if n != count { throw fail("cannot read \(count) bytes at byte \(offset)") }
            return b
        }
        let head = try readExactly(0, 4)
        if head != magic { throw fail("not a Parquet file: it does not start with the magic 'PAR1'", at: 0) }
        let tail = try readExactly(size - 8, 8)
        if Array(tail[4..<8]) != magic {
            throw fail(
                "not a Parquet file or truncated: it does not end with the magic 'PAR1' (a file cut short loses its footer)",
                at: size - 4)
        }
        let footerLength = Int64(UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24)
        guard footerLength > 0, footerLength <= size - 12 else {
            throw fail("footer length \(footerLength) does not fit in the file's \(size) bytes (truncated or damaged footer)", at: size - 8)
        }
        let footerStart = size - 8 - footerLength
        let footer = try readExactly(footerStart, Int(footerLength))
        let meta: Thrift
        do {
            meta = try footer.withUnsafeBytes { b in
                var d = ThriftDecoder(b)
                return try d.structure()
            }
        } catch let error as ThriftError {
            throw fail("damaged footer (FileMetaData): \(error.message)", at: footerStart)
        }
        return (meta, footerStart)
    }

    private static func schema(_ meta: Thrift, path: String) throws -> ([ParquetColumn], [ParquetColumn]) {
        func fail(_ m: String) -> ParquetError { ParquetError(file: path, "damaged footer: \(m)") }
        guard let elements = meta[2]?.list, let root = elements.first else { throw fail("no schema") }
        let rootChildren = Int(root[5]?.int ?? 0)
        var columns: [ParquetColumn] = []
        var leaves: [ParquetColumn] = []
        var i = 1
        // Walks one element and its descendants; returns the leaves it holds.
        func walk(depth: Int) throws -> Int {
            guard i < elements.count else { throw fail("the schema lists fewer elements than its groups claim") }
            if depth > 100 { throw fail("schema nested too deeply") }
            let e = elements[i]
            i += 1
            let children = Int(e[5]?.int ?? 0)
            if children < 0 || children > elements.count { throw fail("bad child count \(children)") }
            if children == 0 {
                guard let t = e[1]?.int.flatMap({ ParquetPhysicalType(rawValue: Int($0)) }) else {
                    throw fail("element '\(e[4]?.string ?? "?")' has no valid type")
                }
                leaves.append(
                    ParquetColumn(name: e[4]?.string ?? "", physicalType: t, optional: false, kind: nil, leafIndex: leaves.count))
                return 1
            }
            var n = 0
            for _ in 0..<children { n += try walk(depth: depth + 1) }
            return n
        }
        for _ in 0..<rootChildren {
            let e = i < elements.count ? elements[i] : nil
            guard let e, let name = e[4]?.string else { throw fail("a column has no name") }
            let firstLeaf = leaves.count
            _ = try walk(depth: 0)
            let repetition = e[3]?.int ?? 0
            let isGroup = (e[5]?.int ?? 0) > 0
            if isGroup {
                columns.append(
                    ParquetColumn(
                        name: name, physicalType: .byteArray, optional: repetition == 1, kind: nil,
                        unsupported: "is a nested column (list, map or struct), which Winnow does not read", leafIndex: nil))
                continue
            }
            let t = leaves[firstLeaf].physicalType
            var c = ParquetColumn(name: name, physicalType: t, optional: repetition == 1, kind: nil, leafIndex: firstLeaf)
            if repetition == 2 {
                c.unsupported = "is a repeated field, which Winnow does not read"
            } else {
                (c.kind, c.unsupported) = kind(of: e, type: t)
            }
            leaves[firstLeaf] = c
            columns.append(c)
        }
        if i != elements.count { throw fail("the schema has \(elements.count - i) element(s) outside the root's children") }
        return (columns, leaves)
    }

    /// How a leaf's values are read, from its physical type and its annotations.
    private static func kind(of e: Thrift, type: ParquetPhysicalType) -> (ParquetValueKind?, String?) {
        let converted = e[6]?.int
        let logical = e[10]
        if converted == 5 || logical?[5] != nil {
            return (nil, "is a DECIMAL column, which Winnow does not read")
        }
        switch type {
        case .boolean: return (.bool, nil)
        case .int32:
            if converted == 13 { return (.uint32, nil) }
            if let i = logical?[10], i[2]?.boolValue == false, i[1]?.int == 32 { return (.uint32, nil) }
            return (.int, nil)
        case .int64:
            if converted == 14 { return (.uint64, nil) }
            if let i = logical?[10], i[2]?.boolValue == false { return (.uint64, nil) }
            return (.int, nil)
        case .float, .double: return (.double, nil)
        case .byteArray: return (.string, nil)
        case .int96: return (nil, "has the legacy INT96 type, which Winnow does not read")
        case .fixedLenByteArray: return (nil, "has the FIXED_LEN_BYTE_ARRAY type, which Winnow does not read")
        }
    }

    private static func rowGroups(_ meta: Thrift, path: String, leafCount: Int, dataEnd: Int64) throws -> ([ParquetRowGroup], Int64) {
        guard let groups = meta[4]?.list else { throw ParquetError(file: path, "damaged footer: no row group list") }
        var result: [ParquetRowGroup] = []
        var firstRow: Int64 = 0
        for (g, group) in groups.enumerated() {
            func fail(_ m: String, column: Int? = nil) -> ParquetError {
                ParquetError(file: path, rowGroup: g, column: column.map { "#\($0)" }, "damaged footer: \(m)")
            }
            guard let cols = group[1]?.list, let rows = group[3]?.int, rows >= 0 else { throw fail("row group without columns or row count") }
            guard cols.count == leafCount else {
                throw fail("row group has \(cols.count) column chunks, the schema \(leafCount) columns")
            }
            var chunks: [ColumnChunkInfo] = []
            for (c, col) in cols.enumerated() {
                guard let md = col[3] else { throw fail("column chunk without metadata (external files are not read)", column: c) }
                if let fp = col[1]?.string, !fp.isEmpty { throw fail("column chunk in another file '\(fp)' (not read)", column: c) }
                guard let t = md[1]?.int.flatMap({ ParquetPhysicalType(rawValue: Int($0)) }), let codec = md[4]?.int,
                    let numValues = md[5]?.int, let unc = md[6]?.int, let comp = md[7]?.int, let dataOffset = md[9]?.int
                else { throw fail("column chunk metadata lacks a required field", column: c) }
                let info = ColumnChunkInfo(
                    type: t, codec: Int(codec), numValues: numValues, dataPageOffset: dataOffset,
                    dictionaryPageOffset: md[11]?.int, totalCompressedSize: comp, totalUncompressedSize: unc)
                guard comp >= 0, unc >= 0, numValues >= 0, info.start >= 4, info.start <= dataEnd, comp <= dataEnd - info.start,
                    dataOffset >= info.start, dataOffset < info.start + max(comp, 1)
                else {
                    throw ParquetError(
                        file: path, rowGroup: g, column: "#\(c)", byteOffset: info.start,
                        "column chunk offsets out of range: bytes \(info.start)..<\(info.start + comp) (data page at \(dataOffset)) must lie within 4..<\(dataEnd)"
                    )
                }
                chunks.append(info)
            }
            let start = chunks.map(\.start).min() ?? 4
            result.append(
                ParquetRowGroup(
                    rows: rows, start: start, compressedBytes: chunks.reduce(0) { $0 + $1.totalCompressedSize },
                    uncompressedBytes: chunks.reduce(0) { $0 + $1.totalUncompressedSize }, firstRow: firstRow, chunks: chunks))
            firstRow += rows
        }
        if let n = meta[3]?.int, n != firstRow {
            throw ParquetError(file: path, "damaged footer: num_rows is \(n) but the row groups hold \(firstRow)")
        }
        return (result, firstRow)
    }
}
