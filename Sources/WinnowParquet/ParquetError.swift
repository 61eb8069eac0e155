import WinnowCore

/// A Parquet file that cannot be read (or written) as asked: where, and what.
///
/// The description names the file and, when known, the row group, the column, the row (0-based
/// in the file) and the byte offset: `data.parquet: row group 2, column 'text', row 1234 (byte
/// 5678): invalid UTF-8 in a string value`.
public struct ParquetError: UserFacingError, Hashable {
    /// The file's path.
    public var file: String
    /// 0-based row group, when the error is inside one.
    public var rowGroup: Int?
    /// The column's name, when the error concerns one.
    public var column: String?
    /// 0-based row in the file, when the error concerns one row.
    public var row: Int64?
    /// Byte offset in the file (of the page or structure that failed), when known.
    public var byteOffset: Int64?
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(
        file: String, rowGroup: Int? = nil, column: String? = nil, row: Int64? = nil, byteOffset: Int64? = nil,
        _ message: String
    ) {
        self.file = file
        self.rowGroup = rowGroup
        self.column = column
        self.row = row
        self.byteOffset = byteOffset
        self.message = message
    }

    /// The place: `row group 2, column 'text', row 1234 (byte 5678)`, or empty.
    public var place: String {
        var parts: [String] = []
        if let rowGroup { parts.append("row group \(rowGroup)") }
        if let column { parts.append("column '\(column)'") }
        if let row { parts.append("row \(row)") }
        var s = parts.joined(separator: ", ")
        if let byteOffset { s += s.isEmpty ? "byte \(byteOffset)" : " (byte \(byteOffset))" }
        return s
    }

    /// `file: place: message`.
    public var description: String {
        let p = place
        return p.isEmpty ? "\(file): \(message)" : "\(file): \(p): \(message)"
    }
}

/// A decoding failure inside a page, before the file and column are attached.
struct PageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
