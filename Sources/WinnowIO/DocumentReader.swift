#if canImport(Glibc)
import Glibc
#endif
import WinnowCore

/// A stream of documents from one input shard.
public protocol DocumentReader: AnyObject {
    /// The next document, or nil at the end.
    ///
    /// - Throws: ``InputError`` for a bad record. The reader stays usable: the next call moves
    ///   on to the next record (after a stream error such as a truncated file, it returns nil).
    ///   ``DamagedDataError`` for a damaged gzip member or zstd frame: none of its records were
    ///   returned, and the next call goes on after it.
    func next() throws -> Document?
    /// Decompressed bytes consumed so far.
    var bytesRead: Int64 { get }
    /// Bytes of the file(s) as stored (compressed, for compressed input) consumed so far: the
    /// measure of progress against shard sizes.
    var storedBytesRead: Int64 { get }
}

/// Input formats a recipe can name.
public enum InputFormat: String, Sendable, Hashable, CaseIterable, Codable {
    /// One JSON object per line (optionally .gz / .zst).
    case jsonl
    /// Plain text: one document per file, line or blank-line paragraph.
    case text
    /// WARC files (plain, gzip per record or whole-file gzip): one document per selected record.
    case warc
    /// HTML files (`.html`, `.htm`, optionally `.gz`): one document per file, decoded to UTF-8.
    case html
    /// MediaWiki XML dumps (`.xml`, `.xml.bz2`, `.xml.gz`): one document per article page.
    case mediawiki
    /// Parquet files: one document per row (read by WinnowParquet; a shard is a run of row groups).
    case parquet
}

/// How plain text splits into documents.
public enum TextSplit: String, Sendable, Hashable, CaseIterable, Codable {
    /// One document per file (id: the file's path relative to the input root).
    case file
    /// One document per non-blank line (id: `<file>/<line index>`).
    case line
    /// One document per blank-line-separated paragraph (id: `<file>/<paragraph index>`).
    case paragraph
}

/// Options shared by the readers.
public struct ReaderOptions: Sendable, Hashable {
    /// The input format.
    public var format: InputFormat = .jsonl
    /// JSONL: the key of the text field.
    public var textKey = "text"
    /// JSONL: the key of the id field.
    public var idKey = "id"
    /// Text: how files split into documents.
    public var split: TextSplit = .file
    /// The longest accepted line (JSONL record or text line), in bytes.
    public var maxLineBytes = 256 << 20
    /// WARC: record types read (`response`, `conversion`, `resource`); others are skipped.
    public var warcRecordTypes: [String] = ["response", "conversion"]
    /// WARC: accepted media types of the payload; nil for the defaults: `text/html` and
    /// `application/xhtml+xml` for response/resource records, `text/plain` for conversion records.
    public var contentTypes: [String]?
    /// WARC: the largest record content block read into memory, in bytes (larger ones are
    /// reported as errors); HTML: the largest file.
    public var maxRecordBytes = 64 << 20
    /// MediaWiki: namespaces read (0: articles).
    public var namespaces: [Int] = [0]
    /// MediaWiki: whether redirect pages are skipped.
    public var skipRedirects = true
    /// Parquet: the columns read into metadata (besides the text and id); nil for all.
    public var columns: [String]?
    /// Creates default options.
    public init() {}
}

/// A file, or a byte range of an uncompressed file: part of a shard.
public struct InputPiece: Sendable, Hashable, Codable {
    /// The file's path.
    public var path: String
    /// The file's name relative to the input root (used in default ids).
    public var name: String
    /// First byte of the range.
    public var start: Int64
    /// End of the range (exclusive); nil for the whole file.
    public var end: Int64?
    /// Bytes in the range (the file size for compressed files).
    public var size: Int64

    /// Creates a piece.
    public init(path: String, name: String, start: Int64 = 0, end: Int64? = nil, size: Int64) {
        self.path = path
        self.name = name
        self.start = start
        self.end = end
        self.size = size
    }
}

/// One unit of input work: a byte range of a large file, one large file, or a run of small
/// consecutive files (so a folder of thousands of pages does not make thousands of tasks).
public struct InputShard: Sendable, Hashable, Codable {
    /// 0-based position in the run's shard list.
    public var index: Int
    /// The pieces, read in order.
    public var pieces: [InputPiece]

    /// Creates a shard of pieces.
    public init(index: Int, pieces: [InputPiece]) {
        self.index = index
        self.pieces = pieces
    }

    /// Creates a shard of one file (or one byte range of it).
    public init(index: Int, path: String, name: String, start: Int64 = 0, end: Int64? = nil, size: Int64) {
        self.init(index: index, pieces: [InputPiece(path: path, name: name, start: start, end: end, size: size)])
    }

    /// Total bytes (compressed bytes for compressed files).
    public var size: Int64 { pieces.reduce(0) { $0 + $1.size } }

    /// A short name for logs: the first file, and how many follow.
    public var name: String {
        guard let first = pieces.first else { return "(empty)" }
        return pieces.count == 1 ? first.name : "\(first.name) (+\(pieces.count - 1) files)"
    }
}

/// Cuts input files into shards, so that every worker has work and no task is tiny:
/// - a large uncompressed JSONL file (or line-split text file) is cut into byte ranges of
///   `shardBytes`, so one 10 GB file still uses every worker;
/// - a compressed file, or an uncompressed file that cannot be split, is one shard (or part of one);
/// - consecutive small files are packed together until a shard holds about `shardBytes`.
///
/// The cut depends only on the files and `shardBytes`, never on the worker count.
public func planShards(files: [String], root: String, options: ReaderOptions, shardBytes: Int64) throws -> [InputShard] {
    var shards: [InputShard] = []
    var pack: [InputPiece] = []
    var packBytes: Int64 = 0
    func flush() {
        if !pack.isEmpty { shards.append(InputShard(index: shards.count, pieces: pack)) }
        pack = []
        packBytes = 0
    }
    for path in files {
        let size = try FileSource.size(path: path)
        let name = relativeName(path, root: root)
        let splittable =
            Compression.fromName(path) == .none
            && (options.format == .jsonl || (options.format == .text && options.split == .line))
            && (try? FileSource.peek(path: path, count: 4)).flatMap(Compression.fromMagic) == nil
        if splittable && size > shardBytes && shardBytes > 0 {
            flush()
            var start: Int64 = 0
            while start < size {
                let end = min(size, start + shardBytes)
                shards.append(InputShard(index: shards.count, path: path, name: name, start: start, end: end, size: end - start))
                start = end
            }
        } else {
            if !pack.isEmpty && packBytes + size > shardBytes { flush() }
            pack.append(InputPiece(path: path, name: name, size: size))
            packBytes += size
        }
    }
    flush()
    return shards
}

/// A path relative to a root folder (the path itself when it is not under the root).
public func relativeName(_ path: String, root: String) -> String {
    if root.isEmpty || root == "." {
        return path.hasPrefix("./") ? String(path.dropFirst(2)) : path
    }
    let r = root.hasSuffix("/") ? root : root + "/"
    return path.hasPrefix(r) ? String(path.dropFirst(r.count)) : path
}

/// Opens the reader for a shard (its pieces read one after another).
public func makeReader(for shard: InputShard, options: ReaderOptions) throws -> DocumentReader {
    if shard.pieces.count == 1 { return try makeReader(for: shard.pieces[0], options: options) }
    return ConcatenatedReader(pieces: shard.pieces, options: options)
}

/// Opens the reader for one piece.
public func makeReader(for piece: InputPiece, options: ReaderOptions) throws -> DocumentReader {
    switch options.format {
    case .jsonl: return try JSONLReader(piece: piece, options: options)
    case .text: return try TextReader(piece: piece, options: options)
    case .warc: return try WARCReader(piece: piece, options: options)
    case .html: return try HTMLFileReader(piece: piece, options: options)
    case .mediawiki: return try MediaWikiReader(piece: piece, options: options)
    case .parquet:
        // WinnowParquet sits above this module; WinnowPipeline opens Parquet shards itself.
        throw FileError(path: piece.path, "Parquet input is read through WinnowParquet (ParquetShardReader)")
    }
}

/// Reads the pieces of a shard in order, opening each when the previous one ends.
final class ConcatenatedReader: DocumentReader {
    private let pieces: [InputPiece]
    private let options: ReaderOptions
    private var current: DocumentReader?
    private var nextPiece = 0
    private var finishedBytes: Int64 = 0
    private var finishedStored: Int64 = 0

    init(pieces: [InputPiece], options: ReaderOptions) {
        self.pieces = pieces
        self.options = options
    }

    var bytesRead: Int64 { finishedBytes + (current?.bytesRead ?? 0) }
    var storedBytesRead: Int64 { finishedStored + (current?.storedBytesRead ?? 0) }

    func next() throws -> Document? {
        while true {
            let reader: DocumentReader
            if let current {
                reader = current
            } else {
                guard nextPiece < pieces.count else { return nil }
                reader = try makeReader(for: pieces[nextPiece], options: options)
                current = reader
                nextPiece += 1
            }
            if let doc = try reader.next() { return doc }
            finishedBytes += reader.bytesRead
            finishedStored += pieces[nextPiece - 1].size
            current = nil
        }
    }
}

/// Counts newlines in [0, offset) of an uncompressed file: the line number base of a range.
func countLines(path: String, upTo offset: Int64) throws -> Int {
    if offset <= 0 { return 0 }
    let src = try FileSource(path: path, start: 0, end: offset)
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buf.deallocate() }
    var lines = 0
    while true {
        let n = try src.read(into: buf)
        if n == 0 { break }
        var p = buf.baseAddress!
        var left = n
        while left > 0, let nl = memchr(p, 0x0A, left) {
            lines += 1
            let step = p.distance(to: nl) + 1
            p += step
            left -= step
        }
    }
    return lines
}

/// Opens the byte source for a piece (a range source starts one byte early; see ``LineReader``).
func openPieceSource(_ piece: InputPiece) throws -> ByteSource {
    if piece.end != nil {
        return try FileSource(path: piece.path, start: max(0, piece.start - 1))
    }
    return try openByteSource(path: piece.path)
}
