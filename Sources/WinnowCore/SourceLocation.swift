/// Where in an input something happened: a file, and a line, column and/or byte offset.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file's path as the user gave it (or a description such as `<stdin>`).
    public var file: String
    /// 1-based line number, when known.
    public var line: Int?
    /// 1-based column (in bytes), when known.
    public var column: Int?
    /// 0-based byte offset in the (decompressed, unless stated) stream, when known.
    public var byteOffset: Int64?

    /// Creates a location.
    public init(file: String, line: Int? = nil, column: Int? = nil, byteOffset: Int64? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.byteOffset = byteOffset
    }

    /// `file:line:column`, or `file: byte N` when no line is known.
    public var description: String {
        var s = file
        if let line {
            s += ":\(line)"
            if let column { s += ":\(column)" }
        } else if let byteOffset {
            s += ": byte \(byteOffset)"
        }
        return s
    }
}

/// An error the user can fix: bad input data, a bad recipe, a missing file.
///
/// The command line maps these to exit code 1 and prints `description`, which names the place.
public protocol UserFacingError: Error, CustomStringConvertible {}

/// Bad input data: malformed JSON, invalid UTF-8, a truncated or corrupt compressed stream.
public struct InputError: UserFacingError, Hashable {
    /// Where the bad record is.
    public var location: SourceLocation
    /// What is wrong, in a few words.
    public var message: String
    /// The raw bytes of the bad record, when there is one (kept so nothing is lost).
    public var record: [UInt8]?

    /// Creates an input error.
    public init(_ message: String, at location: SourceLocation, record: [UInt8]? = nil) {
        self.message = message
        self.location = location
        self.record = record
    }

    /// `file:line: message`.
    public var description: String { "\(location): \(message)" }
}

/// A problem reading or writing a file (missing, unreadable, disk full).
public struct FileError: UserFacingError, Hashable {
    /// The path involved.
    public var path: String
    /// What failed.
    public var message: String

    /// Creates a file error.
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`.
    public var description: String { "\(path): \(message)" }
}
