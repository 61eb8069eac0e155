import WinnowCore

/// Reads plain-text files as documents: one per file, per line or per paragraph.
///
/// Text must be valid UTF-8; a bad byte is reported with its line and byte offset. A UTF-8 byte
/// order mark at the start of a file is dropped. An empty file gives no document. Damaged
/// compressed input (``DamagedDataError``) drops what it touches: the line, the paragraph, or
/// with `split: file` the whole file's document.
public final class TextReader: DocumentReader {
    private let shard: InputPiece
    private let split: TextSplit
    private let lines: LineReader
    private var lineBase: Int?
    private var index = 0
    private var done = false
    private var paragraph: [UInt8] = []
    private var paragraphLine = 0
    /// After damage in paragraph mode: lines are dropped up to the next blank line.
    private var skippingParagraph = false

    /// Opens a piece (a file or a byte range of one).
    public init(piece: InputPiece, options: ReaderOptions) throws {
        self.shard = piece
        split = options.split
        lines = LineReader(
            source: try openPieceSource(shard), path: shard.path, start: shard.end == nil ? 0 : shard.start,
            end: shard.end, maxLineBytes: options.split == .file ? Int.max / 4 : options.maxLineBytes)
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

    private func validate(_ bytes: UnsafeRawBufferPointer, line: Int, offset: Int64) throws -> String {
        let b = bytes.bindMemory(to: UInt8.self)
        if let s = String(validating: b, as: UTF8.self) { return s }
        let bad = JSONScanner.firstInvalidUTF8(b)
        throw InputError(
            "invalid UTF-8", at: SourceLocation(file: shard.path, line: absoluteLine(line), column: bad + 1, byteOffset: offset + Int64(bad)),
            record: Array(bytes))
    }

    /// The next document.
    public func next() throws -> Document? {
        if done { return nil }
        switch split {
        case .line:
            while let line = try nextLine() {
                if JSONLReader.isBlank(line.bytes) { continue }
                let text = try validate(line.bytes, line: line.number, offset: line.offset)
                return Document(id: "\(shard.name)/\(absoluteLine(line.number) - 1)", text: text)
            }
            done = true
            return nil
        case .paragraph:
            while true {
                let line = try nextLine()
                if skippingParagraph {
                    if let line, !JSONLReader.isBlank(line.bytes) { continue }
                    skippingParagraph = false
                }
                if let line, !JSONLReader.isBlank(line.bytes) {
                    if paragraph.isEmpty { paragraphLine = line.number } else { paragraph.append(0x0A) }
                    paragraph.append(contentsOf: line.bytes)
                    continue
                }
                if !paragraph.isEmpty {
                    let bytes = paragraph
                    paragraph.removeAll(keepingCapacity: true)
                    let text = try bytes.withUnsafeBytes { try validate($0, line: paragraphLine, offset: -1) }
                    defer { index += 1 }
                    return Document(id: "\(shard.name)/\(index)", text: text)
                }
                if line == nil {
                    done = true
                    return nil
                }
            }
        case .file:
            var all: [UInt8] = []
            var firstLine = 1
            var lineStarts: [(Int, Int)] = []
            while let line = try nextLine() {
                if all.isEmpty && lineStarts.isEmpty { firstLine = line.number }
                lineStarts.append((all.count, line.number))
                all.append(contentsOf: line.bytes)
                all.append(0x0A)
            }
            done = true
            if lineStarts.isEmpty { return nil }  // an empty file
            if all.last == 0x0A { all.removeLast() }
            if let s = all.withUnsafeBufferPointer({ String(validating: $0, as: UTF8.self) }) {
                return Document(id: shard.name, text: s)
            }
            let bad = all.withUnsafeBufferPointer { JSONScanner.firstInvalidUTF8($0) }
            let lineNo = lineStarts.last(where: { $0.0 <= bad })?.1 ?? firstLine
            throw InputError(
                "invalid UTF-8", at: SourceLocation(file: shard.path, line: lineNo, byteOffset: Int64(bad)), record: all)
        }
    }

    private func nextLine() throws -> Line? {
        do {
            return try lines.next()
        } catch let e as InputError {
            if e.location.line == nil { done = true }
            throw e
        } catch let e as DamagedDataError {
            switch split {
            case .file: done = true  // the file is one document, and it is damaged
            case .paragraph:
                // The paragraph the damage cuts: its lines before it, and after it up to the
                // next blank line.
                paragraph.removeAll(keepingCapacity: true)
                skippingParagraph = true
            case .line: break
            }
            throw e
        }
    }
}
