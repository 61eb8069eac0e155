import WinnowCore

/// Reads JSONL records of one shard as documents.
///
/// Blank lines are skipped. Records without an id get `<file>/<line index>` (0-based, as
/// datatrove does). Errors name the file and line (and byte offset).
public final class JSONLReader: DocumentReader {
    private let shard: InputPiece
    private let lines: LineReader
    private let codec: JSONLCodec
    private var lineBase: Int?
    private var done = false

    /// Opens a piece (a file or a byte range of one).
    public init(piece: InputPiece, options: ReaderOptions) throws {
        self.shard = piece
        codec = JSONLCodec(textKey: options.textKey, idKey: options.idKey)
        lines = LineReader(
            source: try openPieceSource(shard), path: shard.path, start: shard.end == nil ? 0 : shard.start,
            end: shard.end, maxLineBytes: options.maxLineBytes)
        if shard.start == 0 { lineBase = 0 }
    }

    /// Decompressed bytes consumed so far.
    public var bytesRead: Int64 { lines.offset - (shard.end == nil ? 0 : shard.start) }
    /// Stored (possibly compressed) bytes consumed so far.
    public var storedBytesRead: Int64 { min(shard.size, lines.sourceOffset - (shard.end == nil ? 0 : max(0, shard.start - 1))) }

    private func absoluteLine(_ relative: Int) -> Int {
        if lineBase == nil { lineBase = ((try? countLines(path: shard.path, upTo: shard.start - 1)) ?? 0) + 1 }
        return lineBase! + relative
    }

    /// The next document.
    public func next() throws -> Document? {
        if done { return nil }
        while true {
            let line: Line?
            do {
                line = try lines.next()
            } catch var e as InputError {
                if e.location.line != nil, let l = e.location.line { e.location.line = absoluteLine(l) }
                if e.location.line == nil { done = true }  // stream error: nothing more can be read
                throw e
            }
            guard let line else {
                done = true
                return nil
            }
            if Self.isBlank(line.bytes) { continue }
            do {
                return try codec.decode(line.bytes) { "\(shard.name)/\(absoluteLine(line.number) - 1)" }
            } catch {
                let lineNo = absoluteLine(line.number)
                switch error {
                case .syntax(let e):
                    throw InputError(
                        "invalid JSON: \(e.message)",
                        at: SourceLocation(file: shard.path, line: lineNo, column: e.position + 1, byteOffset: line.offset),
                        record: Array(line.bytes))
                case .schema(let m):
                    throw InputError(
                        m, at: SourceLocation(file: shard.path, line: lineNo, byteOffset: line.offset),
                        record: Array(line.bytes))
                }
            }
        }
    }

    static func isBlank(_ b: UnsafeRawBufferPointer) -> Bool {
        for c in b where c != 0x20 && c != 0x09 && c != 0x0D { return false }
        return true
    }
}
