import WinnowCore

/// Output formats a recipe can name.
public enum OutputFormat: String, Sendable, Hashable, CaseIterable, Codable {
    case jsonl
    case jsonlGzip = "jsonl.gz"
    case jsonlZstd = "jsonl.zst"
    /// Parquet (written by WinnowParquet's `ParquetWriter`).
    case parquet

    /// The compression this format uses (Parquet compresses its pages itself: none).
    public var compression: Compression {
        switch self {
        case .jsonl, .parquet: return .none
        case .jsonlGzip: return .gzip
        case .jsonlZstd: return .zstd
        }
    }

    /// The file extension, e.g. `jsonl.gz`.
    public var fileExtension: String { rawValue }
}

/// A writer of one output file of documents (JSONL here; Parquet in WinnowParquet).
public protocol DocumentWriter: AnyObject {
    /// The final path.
    var path: String { get }
    /// Documents written.
    var documents: Int { get }
    /// Uncompressed bytes written (an estimate for formats that encode columns).
    var bytesWritten: Int64 { get }
    /// Appends one document.
    func write(_ document: Document) throws
    /// Appends one record that is already a canonical JSON line (without its newline).
    func writeRaw(_ record: UnsafeRawBufferPointer) throws
    /// Finishes the file, renames it into place and returns the checksum of its bytes.
    @discardableResult func commit() throws -> String
}

/// Writes documents to one JSONL shard file, atomically (temp file + rename on ``commit()``).
public final class JSONLWriter: DocumentWriter {
    private let writer: CompressedWriter
    private let codec: JSONLCodec
    private var line: [UInt8] = []
    /// Documents written.
    public private(set) var documents = 0

    /// Opens `path` for writing in `format`.
    public init(path: String, format: OutputFormat, level: Int? = nil, codec: JSONLCodec = JSONLCodec()) throws {
        writer = try CompressedWriter(path: path, compression: format.compression, level: level)
        self.codec = codec
        line.reserveCapacity(1 << 16)
    }

    /// The final path.
    public var path: String { writer.path }

    /// Uncompressed bytes written.
    public var bytesWritten: Int64 { writer.bytesIn }

    /// Appends one document.
    public func write(_ document: Document) throws {
        if writer.isPlain {
            try writer.append { codec.encode(document, into: &$0) }
            documents += 1
            return
        }
        line.removeAll(keepingCapacity: true)
        codec.encode(document, into: &line)
        try line.withUnsafeBytes { try writer.write($0) }
        documents += 1
    }

    /// Appends one record that is already a canonical JSON line (without its newline), as
    /// ``JSONLCodec/encode(_:into:)`` wrote it.
    public func writeRaw(_ record: UnsafeRawBufferPointer) throws {
        try writer.write(record)
        var nl: UInt8 = 0x0A
        try withUnsafeBytes(of: &nl) { try writer.write($0) }
        documents += 1
    }

    /// Finishes the file and returns the checksum of its bytes (16 hex digits).
    @discardableResult
    public func commit() throws -> String {
        try writer.commit()
        return writer.checksum.hex
    }
}
