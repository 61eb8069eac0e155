import WinnowCore

/// Reads an HTML file (`.html`, `.htm`, optionally gzip- or zstd-compressed) as one document:
/// the page decoded to UTF-8 (``CharsetDecoder``: byte-order mark, `<meta>` charset, UTF-8
/// check, ICU's detector). The id is the path relative to the input root; metadata holds
/// `source`, `charset` and `charset_source`. The markup is kept: `html_extract` turns it into
/// main text.
public final class HTMLFileReader: DocumentReader {
    private let piece: InputPiece
    private let maxBytes: Int
    private var done = false
    private var read: Int64 = 0
    private var stored: Int64 = 0

    /// Opens a piece (always a whole file).
    public init(piece: InputPiece, options: ReaderOptions) throws {
        self.piece = piece
        maxBytes = options.maxRecordBytes
    }

    /// Decompressed bytes consumed so far.
    public var bytesRead: Int64 { read }
    /// Stored bytes consumed so far.
    public var storedBytesRead: Int64 { stored }

    /// The file's document (once), then nil.
    public func next() throws -> Document? {
        if done { return nil }
        done = true
        defer { stored = piece.size }
        let source = try openByteSource(path: piece.path)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            if bytes.count + n > maxBytes {
                throw InputError(
                    "HTML file is larger than max_record_bytes (\(maxBytes) bytes)",
                    at: SourceLocation(file: piece.path, byteOffset: Int64(bytes.count)), record: Array(bytes.prefix(4096)))
            }
            bytes.append(contentsOf: chunk[0..<n])
        }
        read = Int64(bytes.count)
        let decoded = CharsetDecoder.decode(bytes, declared: nil, sniffMeta: true)
        return Document(
            id: piece.name, text: decoded.text,
            metadata: [
                "source": .string(piece.name), "charset": .string(decoded.charset),
                "charset_source": .string(decoded.source.rawValue),
            ])
    }
}
