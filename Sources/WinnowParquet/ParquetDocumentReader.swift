import WinnowCore
import WinnowIO

/// Which columns of a Parquet file become what in a document.
public struct ParquetColumnMapping: Sendable, Hashable {
    /// The column holding the text (a string column).
    public var textKey: String
    /// The column holding the id (a string or integer column; optional in the file).
    public var idKey: String
    /// The columns read into metadata; nil for every other column.
    public var metadataColumns: [String]?

    /// Creates a mapping.
    public init(textKey: String = "text", idKey: String = "id", metadataColumns: [String]? = nil) {
        self.textKey = textKey
        self.idKey = idKey
        self.metadataColumns = metadataColumns
    }
}

/// Reads the rows of some row groups of a Parquet file as documents.
///
/// The text column becomes ``Document/text``, the id column ``Document/id`` (an integer id is
/// written in decimal; a missing or null id becomes `<name>/<row>`, the 0-based row in the
/// file, as JSONL input uses the line index), and every other column (or those of
/// ``ParquetColumnMapping/metadataColumns``) a metadata entry: strings, integers, doubles,
/// Booleans, and `null` for a null. Only these columns are decoded.
///
/// Errors: a row whose text is null or whose strings are not valid UTF-8 is an ``InputError``
/// naming the row group, column and row (the reader goes on with the next row); a page that
/// cannot be decoded (decompression fails, values run past the page) is a
/// ``DamagedDataError`` for the rest of its row group (the reader goes on with the next row
/// group).
public final class ParquetDocumentReader: DocumentReader {
    /// The file.
    public let file: ParquetFile
    private let name: String
    private let groups: [Int]
    private let textColumn: ParquetColumn
    private let idColumn: ParquetColumn?
    private let metaColumns: [ParquetColumn]
    private var nextGroup = 0
    private var group: Int?
    private var readers: [ColumnChunkReader] = []
    private var rowInGroup: Int64 = 0
    private var finishedBytes: Int64 = 0
    private var finishedStored: Int64 = 0
    private var cells: [CellValue] = []
    /// Columns a Winnow writer stored as JSON text (the footer's `winnow.json_columns`).
    private let jsonColumns: Set<String>

    /// Opens a reader for row groups of `file`.
    /// - Parameters:
    ///   - file: the open file.
    ///   - name: the file's name relative to the input root (for default ids).
    ///   - rowGroups: the row groups to read, in order; nil for all.
    ///   - mapping: the column mapping.
    /// - Throws: ``ParquetError`` when the text column is missing or not a string column, or
    ///   a needed column cannot be read.
    public init(file: ParquetFile, name: String, rowGroups: [Int]? = nil, mapping: ParquetColumnMapping) throws {
        self.file = file
        self.name = name
        groups = rowGroups ?? Array(file.rowGroups.indices)
        let names = file.columns.map(\.name).joined(separator: ", ")
        guard let text = file.column(named: mapping.textKey) else {
            throw ParquetError(file: file.path, "no text column '\(mapping.textKey)' (set text_key); the columns are: \(names)")
        }
        guard text.kind == .string else {
            throw ParquetError(
                file: file.path, column: text.name,
                "the text column must be a string column, it is \(text.unsupported ?? "of type \(text.physicalType)")")
        }
        textColumn = text
        idColumn = file.column(named: mapping.idKey)
        if let id = idColumn, id.kind != .string && id.kind != .int && id.kind != .uint32 && id.kind != .uint64 {
            throw ParquetError(
                file: file.path, column: id.name,
                "the id column must be a string or integer column, it \(id.unsupported ?? "is of type \(id.physicalType)")")
        }
        var meta: [ParquetColumn] = []
        if let wanted = mapping.metadataColumns {
            for w in wanted where w != mapping.textKey && w != mapping.idKey {
                guard let c = file.column(named: w) else {
                    throw ParquetError(file: file.path, "no column '\(w)' (input.columns); the columns are: \(names)")
                }
                meta.append(c)
            }
        } else {
            meta = file.columns.filter { $0.name != mapping.textKey && $0.name != mapping.idKey }
        }
        for c in meta where c.kind == nil {
            throw ParquetError(
                file: file.path, column: c.name,
                "the column \(c.unsupported ?? "cannot be read"); leave it out with input.columns (the columns to read into metadata)")
        }
        metaColumns = meta
        let listed = file.keyValueMetadata.first { $0.0 == "winnow.json_columns" }?.1 ?? ""
        jsonColumns = Set(listed.split(separator: ",").map(String.init))
        cells.reserveCapacity(meta.count + 2)
    }

    /// Opens a file and reads all its row groups (for tools and tests).
    public convenience init(path: String, mapping: ParquetColumnMapping = ParquetColumnMapping()) throws {
        try self.init(file: try ParquetFile(path: path), name: path, mapping: mapping)
    }

    /// Uncompressed page bytes decoded so far.
    public var bytesRead: Int64 { finishedBytes + readers.reduce(0) { $0 + $1.decodedBytes } }

    /// Stored (compressed) bytes of the row groups read so far.
    public var storedBytesRead: Int64 {
        finishedStored + readers.reduce(0) { $0 + ($1.pos - $1.chunk.start) }
    }

    /// The next document.
    public func next() throws -> Document? {
        while true {
            if group == nil {
                guard nextGroup < groups.count else { return nil }
                let g = groups[nextGroup]
                nextGroup += 1
                guard g >= 0 && g < file.rowGroups.count else { continue }
                let rg = file.rowGroups[g]
                group = g
                rowInGroup = 0
                readers = ([textColumn] + (idColumn.map { [$0] } ?? []) + metaColumns).map { c in
                    ColumnChunkReader(file: file, column: c, kind: c.kind ?? .string, chunk: rg.chunks[c.leafIndex ?? 0])
                }
            }
            guard let g = group else { continue }
            let rg = file.rowGroups[g]
            if rowInGroup >= rg.rows {
                finishGroup()
                continue
            }
            let row = rg.firstRow + rowInGroup
            cells.removeAll(keepingCapacity: true)
            for r in readers {
                do {
                    cells.append(try r.next())
                } catch {
                    let message = (error as? PageError)?.message ?? "\(error)"
                    let lost = rg.rows - rowInGroup
                    finishGroup()
                    throw DamagedDataError(
                        file: file.path, unit: "Parquet row group \(g) (column '\(r.column.name)', page at byte \(r.pageOffset))",
                        compressedStart: rg.start, compressedEnd: rg.start + rg.compressedBytes,
                        reason: "\(message); rows \(row)..<\(row + lost) of the file (\(lost) row\(lost == 1 ? "" : "s")) dropped",
                        decodedNewlines: 0, offset: row, lines: nil)
                }
            }
            rowInGroup += 1
            return try document(row: row, group: g)
        }
    }

    private func finishGroup() {
        if let g = group {
            finishedBytes += readers.reduce(0) { $0 + $1.decodedBytes }
            finishedStored += file.rowGroups[g].compressedBytes
        }
        readers = []
        group = nil
    }

    private func rowError(_ message: String, column: ColumnChunkReader, row: Int64, group: Int, record: [UInt8]? = nil) -> InputError {
        let e = ParquetError(file: file.path, rowGroup: group, column: column.column.name, row: row, message)
        return InputError(
            "\(e.place): \(message)", at: SourceLocation(file: file.path, byteOffset: column.pageOffset), record: record)
    }

    private func document(row: Int64, group: Int) throws -> Document {
        let text: String
        switch cells[0] {
        case .string(let s): text = s
        case .null: throw rowError("the text is null", column: readers[0], row: row, group: group)
        case .invalidUTF8(let b): throw rowError("invalid UTF-8 in a string value", column: readers[0], row: row, group: group, record: b)
        default: throw rowError("the text is not a string", column: readers[0], row: row, group: group)
        }
        var k = 1
        var id = ""
        if idColumn != nil {
            switch cells[1] {
            case .string(let s): id = s
            case .int(let i): id = String(i)
            case .number(let n): id = n
            case .null: id = "\(name)/\(row)"
            case .invalidUTF8(let b): throw rowError("invalid UTF-8 in a string value", column: readers[1], row: row, group: group, record: b)
            default: id = "\(name)/\(row)"
            }
            k = 2
        } else {
            id = "\(name)/\(row)"
        }
        var metadata: [String: MetadataValue] = [:]
        var scores: [String: Double] = [:]
        metadata.reserveCapacity(metaColumns.count)
        for (j, c) in metaColumns.enumerated() {
            let v: MetadataValue
            switch cells[k + j] {
            case .null:
                if c.name == "scores" && jsonColumns.contains(c.name) { continue }
                v = .null
            case .string(let s):
                if jsonColumns.contains(c.name), let parsed = Self.parseJSON(s) {
                    if c.name == "scores", case .object(let o) = parsed, o.values.allSatisfy({ $0.exactDoubleValue != nil }) {
                        for (key, x) in o { scores[key] = x.exactDoubleValue }
                        continue
                    }
                    v = parsed
                } else {
                    v = .string(s)
                }
            case .int(let i): v = .int(i)
            case .double(let d): v = .double(d)
            case .bool(let b): v = .bool(b)
            case .number(let n): v = .number(n)
            case .invalidUTF8(let b):
                throw rowError("invalid UTF-8 in a string value", column: readers[k + j], row: row, group: group, record: b)
            }
            metadata[c.name] = v
        }
        return Document(id: id, text: text, metadata: metadata, scores: scores)
    }

    /// A JSON value written as text by ``ParquetWriter`` (nil when it is not JSON).
    static func parseJSON(_ s: String) -> MetadataValue? {
        let bytes = Array("{\"text\":\"\",\"v\":".utf8) + Array(s.utf8) + [0x7D]
        let doc = try? bytes.withUnsafeBytes { b in try JSONLCodec().decode(b) { "" } }
        return doc?.metadata["v"]
    }
}

/// Reads a shard of Parquet input: its pieces are byte ranges of files, and a piece holds the
/// row groups that start inside its range (``planParquetShards(files:root:shardBytes:)``).
public final class ParquetShardReader: DocumentReader {
    private let pieces: [InputPiece]
    private let mapping: ParquetColumnMapping
    private var current: ParquetDocumentReader?
    private var nextPiece = 0
    private var finishedBytes: Int64 = 0
    private var finishedStored: Int64 = 0

    /// Opens a reader over the pieces of a shard.
    public init(pieces: [InputPiece], mapping: ParquetColumnMapping) {
        self.pieces = pieces
        self.mapping = mapping
    }

    /// Uncompressed bytes decoded so far.
    public var bytesRead: Int64 { finishedBytes + (current?.bytesRead ?? 0) }
    /// Stored bytes of the row groups read so far.
    public var storedBytesRead: Int64 { finishedStored + (current?.storedBytesRead ?? 0) }

    /// The next document.
    public func next() throws -> Document? {
        while true {
            if current == nil {
                guard nextPiece < pieces.count else { return nil }
                let piece = pieces[nextPiece]
                nextPiece += 1
                let file = try ParquetFile(path: piece.path)
                let groups = file.rowGroups.indices.filter { g in
                    let s = file.rowGroups[g].start
                    return piece.end == nil || (s >= piece.start && s < piece.end!)
                }
                current = try ParquetDocumentReader(file: file, name: piece.name, rowGroups: groups, mapping: mapping)
            }
            guard let reader = current else { continue }
            if let doc = try reader.next() { return doc }
            finishedBytes += reader.bytesRead
            finishedStored += reader.storedBytesRead
            current = nil
        }
    }
}

/// Cuts Parquet files into shards of row groups: consecutive row groups of a file are packed
/// until a shard holds about `shardBytes` compressed bytes (a row group is never split, and a
/// large one is a shard of its own), and small files are packed together. The cut depends only
/// on the files and `shardBytes`, never on the worker count.
/// - Throws: ``ParquetError`` for a file whose footer cannot be read.
public func planParquetShards(files: [String], root: String, shardBytes: Int64) throws -> [InputShard] {
    var shards: [InputShard] = []
    var pack: [InputPiece] = []
    var packBytes: Int64 = 0
    func flush() {
        if !pack.isEmpty { shards.append(InputShard(index: shards.count, pieces: pack)) }
        pack = []
        packBytes = 0
    }
    for path in files {
        let file = try ParquetFile(path: path)
        let name = relativeName(path, root: root)
        for rg in file.rowGroups {
            let size = max(rg.compressedBytes, 1)
            if !pack.isEmpty && packBytes + size > shardBytes { flush() }
            if let last = pack.last, last.path == path, let end = last.end, end <= rg.start {
                pack[pack.count - 1].end = rg.start + size
                pack[pack.count - 1].size += size
            } else {
                pack.append(InputPiece(path: path, name: name, start: rg.start, end: rg.start + size, size: size))
            }
            packBytes += size
        }
    }
    flush()
    return shards
}
