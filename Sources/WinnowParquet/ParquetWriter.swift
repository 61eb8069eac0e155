import WinnowCore
import WinnowIO

/// How the Parquet writer lays out a file.
public struct ParquetWriterOptions: Sendable, Hashable {
    /// The page codec: SNAPPY (default), ZSTD, GZIP or UNCOMPRESSED.
    public var codec: ParquetCodec = .snappy
    /// The codec's level (ZSTD 1–19, GZIP 1–12); nil for its default.
    public var level: Int?
    /// Rows go to a new row group when the current one holds about this many uncompressed
    /// bytes.
    public var rowGroupBytes: Int = 128 << 20
    /// Target uncompressed size of a data page, in bytes.
    public var pageBytes: Int = 1 << 20
    /// Whether string columns are dictionary-encoded where that pays (at most half as many
    /// distinct values as values, and a dictionary of at most 1 MiB).
    public var dictionary = true

    /// Creates default options.
    public init() {}
}

/// Writes documents to one Parquet file, atomically (temporary file, renamed on ``commit()``).
///
/// The schema is `id` and `text` (required strings), then one optional column per metadata key
/// (sorted by key), then `scores` when a document has scores. A column's type is inferred from
/// all the documents of the file: strings → `string`, integers → `int64`, numbers with a
/// fraction (and integers mixed with them, when within ±2^53) → `double`, Booleans → `bool`;
/// any other value (arrays, objects, numbers neither Int64 nor Double holds, or a key with values
/// of different kinds) is written as its JSON text in a string column whose name is listed in
/// the footer's `winnow.json_columns` key (Winnow's reader turns it back into the value);
/// `scores` is a JSON-text column too. The documents are held in memory until ``commit()``
/// (the file's types depend on all of them), so a file costs about its uncompressed size in
/// memory.
public final class ParquetWriter {
    private let sink: CompressedWriter
    private let options: ParquetWriterOptions
    private var docs: [Document] = []
    private let codec = JSONLCodec()
    /// Documents written.
    public private(set) var documents = 0
    /// Uncompressed bytes of the documents' text, ids and metadata written so far (an estimate).
    public private(set) var bytesWritten: Int64 = 0

    /// Opens `path` for writing.
    /// - Throws: ``FileError`` when the file cannot be created.
    public init(path: String, options: ParquetWriterOptions = ParquetWriterOptions()) throws {
        sink = try CompressedWriter(path: path, compression: .none, level: nil)
        self.options = options
    }

    /// The final path.
    public var path: String { sink.path }

    /// Appends one document.
    public func write(_ document: Document) throws {
        docs.append(document)
        documents += 1
        bytesWritten += Int64(document.text.utf8.count + document.id.utf8.count + 16 * document.metadata.count)
    }

    /// Appends one record that is a canonical JSON line (without its newline).
    public func writeRaw(_ record: UnsafeRawBufferPointer) throws {
        do {
            try write(try codec.decode(record) { "" })
        } catch {
            throw InputError("not a canonical JSON record", at: SourceLocation(file: path))
        }
    }

    /// Writes the file and renames it into place; returns the checksum of its bytes.
    @discardableResult
    public func commit() throws -> String {
        try writeFile()
        try sink.commit()
        return sink.checksum.hex
    }

    // MARK: - Schema

    enum ColumnType: Equatable {
        case string, int, double, bool, json
    }

    struct OutColumn {
        var name: String
        var type: ColumnType
        var required: Bool
        var value: (Document) -> MetadataValue?
    }

    func schema() -> [OutColumn] {
        var kinds: [String: Set<Int>] = [:]
        var bigInts: Set<String> = []
        var hasScores = false
        for d in docs {
            if !d.scores.isEmpty { hasScores = true }
            for (k, v) in d.metadata {
                let code: Int
                switch v {
                case .null: code = -1
                case .string: code = 0
                case .int(let i):
                    code = 1
                    if i.magnitude > 1 << 53 { bigInts.insert(k) }
                case .double: code = 2
                case .bool: code = 3
                default: code = 4
                }
                kinds[k, default: []].insert(code)
            }
        }
        var cols: [OutColumn] = [
            OutColumn(name: "id", type: .string, required: true) { .string($0.id) },
            OutColumn(name: "text", type: .string, required: true) { .string($0.text) },
        ]
        for key in kinds.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where key != "id" && key != "text" {
            let k = kinds[key, default: []].subtracting([-1])
            let type: ColumnType
            if k.isEmpty || k == [0] {
                type = .string
            } else if k == [1] {
                type = .int
            } else if k == [2] || (k == [1, 2] && !bigInts.contains(key)) {
                type = .double
            } else if k == [3] {
                type = .bool
            } else {
                type = .json
            }
            cols.append(OutColumn(name: key, type: type, required: false) { $0.metadata[key] })
        }
        if hasScores && kinds["scores"] == nil {
            cols.append(
                OutColumn(name: "scores", type: .json, required: false) { d in
                    d.scores.isEmpty ? nil : .object(d.scores.mapValues { .double($0) })
                })
        }
        return cols
    }

    // MARK: - File

    private var offset: Int64 = 0

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try sink.write($0) }
        offset += Int64(bytes.count)
    }

    private func writeFile() throws {
        let cols = schema()
        try emit(ParquetFile.magic)
        var rowGroups: [Thrift] = []
        var start = 0
        while start < docs.count {
            var end = start
            var bytes = 0
            while end < docs.count && (end == start || bytes < options.rowGroupBytes) {
                bytes += docs[end].text.utf8.count + docs[end].id.utf8.count + 16 * docs[end].metadata.count
                end += 1
            }
            rowGroups.append(try writeRowGroup(cols, start..<end))
            start = end
        }
        var schema: [Thrift] = [.structure([4: .binary(Array("schema".utf8)), 5: .i32(Int32(cols.count))])]
        for c in cols {
            var e: [Int16: Thrift] = [4: .binary(Array(c.name.utf8)), 3: .i32(c.required ? 0 : 1)]
            switch c.type {
            case .string, .json:
                e[1] = .i32(6)
                e[6] = .i32(0)
                e[10] = .structure([1: .structure([:])])
            case .int: e[1] = .i32(2)
            case .double: e[1] = .i32(5)
            case .bool: e[1] = .i32(0)
            }
            schema.append(.structure(e))
        }
        var meta: [Int16: Thrift] = [
            1: .i32(1), 2: .list(schema), 3: .int(Int64(docs.count)), 4: .list(rowGroups),
            6: .binary(Array("winnow (WinnowParquet)".utf8)),
            7: .list(cols.map { _ in .structure([1: .structure([:])]) }),
        ]
        let json = cols.filter { $0.type == .json }.map(\.name)
        if !json.isEmpty {
            meta[5] = .list([
                .structure([1: .binary(Array("winnow.json_columns".utf8)), 2: .binary(Array(json.joined(separator: ",").utf8))])
            ])
        }
        var enc = ThriftEncoder()
        enc.structure(meta)
        try emit(enc.out)
        let n = UInt32(enc.out.count)
        try emit([UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)] + ParquetFile.magic)
    }

    private func writeRowGroup(_ cols: [OutColumn], _ rows: Range<Int>) throws -> Thrift {
        let groupStart = offset
        var chunks: [Thrift] = []
        var totalUnc: Int64 = 0
        var totalComp: Int64 = 0
        for c in cols {
            let (chunk, unc, comp) = try writeChunk(c, rows)
            chunks.append(chunk)
            totalUnc += unc
            totalComp += comp
        }
        return .structure([
            1: .list(chunks), 2: .int(totalUnc), 3: .int(Int64(rows.count)), 5: .int(groupStart), 6: .int(totalComp),
        ])
    }

    /// One value of a column as bytes (strings, JSON text) or a number.
    private enum Cell {
        case bytes([UInt8])
        case int(Int64)
        case double(Double)
        case bool(Bool)
    }

    private func cell(_ v: MetadataValue?, _ type: ColumnType) -> Cell? {
        guard let v, v != .null else { return nil }
        switch (type, v) {
        case (.string, .string(let s)): return .bytes(Array(s.utf8))
        case (.int, .int(let i)): return .int(i)
        case (.double, .int(let i)): return .double(Double(i))
        case (.double, .double(let d)): return .double(d)
        case (.bool, .bool(let b)): return .bool(b)
        default:
            var out: [UInt8] = []
            JSONLCodec.appendValue(v, to: &out)
            return .bytes(out)
        }
    }

    private func writeChunk(_ c: OutColumn, _ rows: Range<Int>) throws -> (Thrift, Int64, Int64) {
        var cells: [Cell?] = []
        cells.reserveCapacity(rows.count)
        for r in rows { cells.append(cell(c.value(docs[r]), c.type)) }
        let physical: Int32
        switch c.type {
        case .string, .json: physical = 6
        case .int: physical = 2
        case .double: physical = 5
        case .bool: physical = 0
        }
        var unc: Int64 = 0
        var comp: Int64 = 0
        var nulls: Int64 = 0
        for x in cells where x == nil { nulls += 1 }

        // Dictionary for byte columns, where it pays.
        var dictIndex: [UInt32]?
        var dictionaryOffset: Int64?
        var encodings: [Int32] = [Int32(ParquetEncoding.rle)]
        if options.dictionary, physical == 6 {
            var ids: [[UInt8]: UInt32] = [:]
            var entries: [[UInt8]] = []
            var idx: [UInt32] = []
            var dictBytes = 0
            var ok = true
            for x in cells {
                guard case .bytes(let b)? = x else { continue }
                if let i = ids[b] {
                    idx.append(i)
                } else {
                    let i = UInt32(entries.count)
                    ids[b] = i
                    entries.append(b)
                    idx.append(i)
                    dictBytes += 4 + b.count
                    if dictBytes > 1 << 20 {
                        ok = false
                        break
                    }
                }
            }
            let nonNull = cells.count - Int(nulls)
            if ok && nonNull > 0 && entries.count * 2 <= nonNull {
                var body: [UInt8] = []
                body.reserveCapacity(dictBytes)
                for e in entries {
                    appendLength(e.count, to: &body)
                    body.append(contentsOf: e)
                }
                dictionaryOffset = offset
                let (u, k) = try writePage(
                    type: 2, body: body,
                    header: [7: .structure([1: .i32(Int32(entries.count)), 2: .i32(Int32(ParquetEncoding.plain))])])
                unc += u
                comp += k
                dictIndex = idx
                encodings.append(Int32(ParquetEncoding.plain))
                encodings.append(Int32(ParquetEncoding.rleDictionary))
            }
        }
        if dictIndex == nil { encodings.append(Int32(ParquetEncoding.plain)) }
        let dataOffset = offset

        // Data pages (v1).
        var pageStart = 0
        var valueStart = 0
        while pageStart < cells.count {
            var pageEnd = pageStart
            var bytes = 0
            var values = 0
            while pageEnd < cells.count && (pageEnd == pageStart || bytes < options.pageBytes) {
                if let x = cells[pageEnd] {
                    values += 1
                    switch x {
                    case .bytes(let b): bytes += dictIndex == nil ? b.count + 4 : 4
                    case .bool: bytes += 1
                    default: bytes += 8
                    }
                }
                bytes += 1
                pageEnd += 1
            }
            var body: [UInt8] = []
            if !c.required {
                var defs: [UInt32] = []
                defs.reserveCapacity(pageEnd - pageStart)
                for i in pageStart..<pageEnd { defs.append(cells[i] == nil ? 0 : 1) }
                var levels: [UInt8] = []
                ParquetEncoding.encodeHybrid(defs, width: 1, into: &levels)
                let n = UInt32(levels.count)
                body += [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
                body += levels
            }
            let encoding: Int
            if let dictIndex {
                encoding = ParquetEncoding.rleDictionary
                let slice = Array(dictIndex[valueStart..<(valueStart + values)])
                let width = ParquetEncoding.bitWidth(UInt64(dictIndex.max() ?? 0))
                body.append(UInt8(width))
                ParquetEncoding.encodeHybrid(slice, width: width, into: &body)
            } else {
                encoding = ParquetEncoding.plain
                var bits: UInt8 = 0
                var nbits = 0
                for i in pageStart..<pageEnd {
                    switch cells[i] {
                    case .bytes(let b)?:
                        appendLength(b.count, to: &body)
                        body += b
                    case .int(let v)?: withUnsafeBytes(of: v.littleEndian) { body.append(contentsOf: $0) }
                    case .double(let v)?: withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) }
                    case .bool(let v)?:
                        if v { bits |= 1 << UInt8(nbits) }
                        nbits += 1
                        if nbits == 8 {
                            body.append(bits)
                            bits = 0
                            nbits = 0
                        }
                    case nil: break
                    }
                }
                if nbits > 0 { body.append(bits) }
            }
            let (u, k) = try writePage(
                type: 0, body: body,
                header: [
                    5: .structure([
                        1: .i32(Int32(pageEnd - pageStart)), 2: .i32(Int32(encoding)), 3: .i32(Int32(ParquetEncoding.rle)),
                        4: .i32(Int32(ParquetEncoding.rle)),
                    ])
                ])
            unc += u
            comp += k
            valueStart += values
            pageStart = pageEnd
        }
        if cells.isEmpty {
            let (u, k) = try writePage(
                type: 0, body: [],
                header: [5: .structure([1: .i32(0), 2: .i32(Int32(ParquetEncoding.plain)), 3: .i32(3), 4: .i32(3)])])
            unc += u
            comp += k
        }

        var md: [Int16: Thrift] = [
            1: .i32(physical), 2: .list(encodings.map { .i32($0) }), 3: .list([.binary(Array(c.name.utf8))]),
            4: .i32(Int32(options.codec.rawValue)), 5: .int(Int64(cells.count)), 6: .int(unc), 7: .int(comp), 9: .int(dataOffset),
            12: .structure(statistics(cells, nulls: nulls)),
        ]
        if let dictionaryOffset { md[11] = .int(dictionaryOffset) }
        return (.structure([2: .int(dictionaryOffset ?? dataOffset), 3: .structure(md)]), unc, comp)
    }

    private func statistics(_ cells: [Cell?], nulls: Int64) -> [Int16: Thrift] {
        var s: [Int16: Thrift] = [3: .int(nulls)]
        var minB: [UInt8]?
        var maxB: [UInt8]?
        var minI = Int64.max
        var maxI = Int64.min
        var minD = Double.infinity
        var maxD = -Double.infinity
        var nan = false
        var minBool = true
        var maxBool = false
        var any = false
        var kind = 0
        for x in cells {
            guard let x else { continue }
            any = true
            switch x {
            case .bytes(let b):
                kind = 1
                if minB == nil || b.lexicographicallyPrecedes(minB!) { minB = b }
                if maxB == nil || maxB!.lexicographicallyPrecedes(b) { maxB = b }
            case .int(let v):
                kind = 2
                minI = min(minI, v)
                maxI = max(maxI, v)
            case .double(let v):
                kind = 3
                if v.isNaN { nan = true } else {
                    minD = min(minD, v)
                    maxD = max(maxD, v)
                }
            case .bool(let v):
                kind = 4
                minBool = minBool && v
                maxBool = maxBool || v
            }
        }
        guard any else { return s }
        func le<T>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
        switch kind {
        case 1:
            // Long values (texts) get no min/max: statistics should stay small.
            if let minB, let maxB, minB.count <= 64, maxB.count <= 64 {
                s[6] = .binary(minB)
                s[5] = .binary(maxB)
            }
        case 2:
            s[6] = .binary(le(minI.littleEndian))
            s[5] = .binary(le(maxI.littleEndian))
        case 3:
            if !nan && minD <= maxD {
                // -0.0/+0.0 as the format asks: a zero minimum is written as -0.0, a zero maximum as +0.0.
                let lo = minD == 0 ? -0.0 : minD
                let hi = maxD == 0 ? 0.0 : maxD
                s[6] = .binary(le(lo.bitPattern.littleEndian))
                s[5] = .binary(le(hi.bitPattern.littleEndian))
            }
        default:
            s[6] = .binary([minBool ? 1 : 0])
            s[5] = .binary([maxBool ? 1 : 0])
        }
        return s
    }

    private func appendLength(_ n: Int, to out: inout [UInt8]) {
        let v = UInt32(n)
        out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
    }

    /// Writes a page (header + compressed body); returns its uncompressed and compressed sizes
    /// including the header.
    private func writePage(type: Int32, body: [UInt8], header: [Int16: Thrift]) throws -> (Int64, Int64) {
        let compressed: [UInt8]
        do {
            compressed = try PageCompression.compress(body, codec: options.codec, level: options.level)
        } catch {
            throw FileError(path: path, error.message)
        }
        var h = header
        h[1] = .i32(type)
        h[2] = .i32(Int32(body.count))
        h[3] = .i32(Int32(compressed.count))
        var enc = ThriftEncoder()
        enc.structure(h)
        try emit(enc.out)
        try emit(compressed)
        return (Int64(enc.out.count + body.count), Int64(enc.out.count + compressed.count))
    }
}
extension ParquetWriter: DocumentWriter {}
