/// Parquet's physical types (the `Type` enum of parquet.thrift).
public enum ParquetPhysicalType: Int, Sendable, Hashable, CustomStringConvertible {
    /// 1-bit Boolean.
    case boolean = 0
    /// 32-bit signed integer.
    case int32 = 1
    /// 64-bit signed integer.
    case int64 = 2
    /// 96-bit legacy timestamp (not read).
    case int96 = 3
    /// IEEE 32-bit float.
    case float = 4
    /// IEEE 64-bit float.
    case double = 5
    /// Variable-length bytes (strings).
    case byteArray = 6
    /// Fixed-length bytes (not read).
    case fixedLenByteArray = 7

    /// The parquet.thrift name.
    public var description: String {
        switch self {
        case .boolean: return "BOOLEAN"
        case .int32: return "INT32"
        case .int64: return "INT64"
        case .int96: return "INT96"
        case .float: return "FLOAT"
        case .double: return "DOUBLE"
        case .byteArray: return "BYTE_ARRAY"
        case .fixedLenByteArray: return "FIXED_LEN_BYTE_ARRAY"
        }
    }
}

/// Parquet's compression codecs (the `CompressionCodec` enum).
public enum ParquetCodec: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// No compression.
    case uncompressed = 0
    /// Snappy (libsnappy).
    case snappy = 1
    /// Gzip (libdeflate).
    case gzip = 2
    /// LZO (not supported).
    case lzo = 3
    /// Brotli (not supported).
    case brotli = 4
    /// LZ4 with the deprecated Hadoop framing (not supported).
    case lz4 = 5
    /// Zstandard (libzstd).
    case zstd = 6
    /// Raw LZ4 blocks (liblz4).
    case lz4Raw = 7

    /// The parquet.thrift name.
    public var description: String {
        switch self {
        case .uncompressed: return "UNCOMPRESSED"
        case .snappy: return "SNAPPY"
        case .gzip: return "GZIP"
        case .lzo: return "LZO"
        case .brotli: return "BROTLI"
        case .lz4: return "LZ4"
        case .zstd: return "ZSTD"
        case .lz4Raw: return "LZ4_RAW"
        }
    }
}

/// What a column's values become in a document.
public enum ParquetValueKind: Sendable, Hashable {
    /// UTF-8 strings (BYTE_ARRAY, annotated or not).
    case string
    /// Signed integers (INT32, INT64).
    case int
    /// Unsigned 32-bit integers stored in INT32.
    case uint32
    /// Unsigned 64-bit integers stored in INT64.
    case uint64
    /// Floating point (FLOAT, DOUBLE).
    case double
    /// Booleans.
    case bool
}

/// One top-level column of a Parquet file.
public struct ParquetColumn: Sendable, Hashable {
    /// The column's name.
    public var name: String
    /// Its physical type.
    public var physicalType: ParquetPhysicalType
    /// Whether it may hold nulls (OPTIONAL repetition).
    public var optional: Bool
    /// What its values become; nil when Winnow cannot read it (``unsupported`` says why).
    public var kind: ParquetValueKind?
    /// Why the column cannot be read (a nested group, a repeated field, a decimal…), or nil.
    public var unsupported: String?
    /// Index of its column chunk in each row group (leaf order), or nil for a nested group.
    public var leafIndex: Int?

    /// Creates a column description.
    public init(
        name: String, physicalType: ParquetPhysicalType, optional: Bool, kind: ParquetValueKind?, unsupported: String? = nil,
        leafIndex: Int?
    ) {
        self.name = name
        self.physicalType = physicalType
        self.optional = optional
        self.kind = kind
        self.unsupported = unsupported
        self.leafIndex = leafIndex
    }
}

/// The metadata of one column chunk.
struct ColumnChunkInfo: Sendable, Hashable {
    var type: ParquetPhysicalType
    var codec: Int
    var numValues: Int64
    var dataPageOffset: Int64
    var dictionaryPageOffset: Int64?
    var totalCompressedSize: Int64
    var totalUncompressedSize: Int64

    /// The first byte of the chunk.
    var start: Int64 {
        if let d = dictionaryPageOffset, d > 0, d < dataPageOffset { return d }
        return dataPageOffset
    }
}

/// The metadata of one row group.
public struct ParquetRowGroup: Sendable, Hashable {
    /// Rows in the group.
    public var rows: Int64
    /// First byte of the group (its first column chunk).
    public var start: Int64
    /// Compressed bytes of all its column chunks.
    public var compressedBytes: Int64
    /// Uncompressed bytes of all its column chunks.
    public var uncompressedBytes: Int64
    /// Index of its first row in the file.
    public var firstRow: Int64
    var chunks: [ColumnChunkInfo]
}
