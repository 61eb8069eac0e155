#if canImport(Glibc)
import Glibc
#endif
import WinnowCore

/// One WARC record: its header fields and (when asked for) its content block.
public struct WARCRecord: Sendable {
    /// The version line, e.g. `WARC/1.1`.
    public var version: String
    /// Header fields in file order (names as written; values without surrounding spaces).
    public var headers: [(name: String, value: String)]
    /// The content block (`Content-Length` bytes); empty when the reader was told to skip it.
    public var block: [UInt8]
    /// `Content-Length`, in bytes.
    public var contentLength: Int
    /// Offset of the record's `WARC/` line in the decompressed stream.
    public var offset: Int64
    /// Offset of the record in the file as stored: its gzip member for a gzip-per-record file,
    /// `offset` for an uncompressed file, nil when unknown (a record inside a larger member).
    public var fileOffset: Int64?

    /// The first header field of that name (ASCII case-insensitive).
    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first(where: { $0.name.lowercased() == n })?.value
    }

    /// `WARC-Type`, lowercased (empty when missing).
    public var type: String { header("WARC-Type")?.lowercased() ?? "" }
}

/// Reads the records of a WARC file (WARC/1.0, 1.1 and the older 0.x), uncompressed, gzip per
/// record, whole-file gzip or zstd, streaming: memory holds one record at most.
///
/// Errors are ``InputError``s naming the file and byte offset (the gzip member's offset in the
/// file when records are compressed one per member). After an error the reader is still usable:
/// it goes on at the next record (the next `WARC/` line, or the next undamaged gzip member). A
/// truncated file yields every complete record, then one error.
public final class WARCRecordReader {
    private let path: String
    private let source: ByteSource
    private let gzip: GzipMemberSource?
    private var buffer: UnsafeMutableRawBufferPointer
    private var head = 0
    private var tail = 0
    private var eof = false
    private var streamOffset: Int64 = 0
    private var sourceError: InputError?
    private var done = false
    /// Records larger than this (in bytes of content block) are skipped with an error.
    public let maxRecordBytes: Int
    /// The longest accepted header section, in bytes.
    public static let maxHeaderBytes = 1 << 20

    /// Opens a WARC file (compression detected from its first bytes).
    /// - Parameters:
    ///   - path: the file.
    ///   - maxRecordBytes: the largest content block read into memory.
    public init(path: String, maxRecordBytes: Int = 64 << 20) throws {
        self.path = path
        self.maxRecordBytes = maxRecordBytes
        let magic = try FileSource.peek(path: path, count: 4)
        switch Compression.fromMagic(magic) {
        case .gzip:
            let g = try GzipMemberSource(path: path, resyncPrefix: Array("WARC/".utf8))
            gzip = g
            source = g
        case .zstd:
            gzip = nil
            source = try ZstdSource(try FileSource(path: path), path: path)
        default:
            gzip = nil
            source = try FileSource(path: path)
        }
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Decompressed bytes consumed so far.
    public var offset: Int64 { streamOffset + Int64(head) }
    /// Stored (compressed) bytes consumed so far.
    public var storedOffset: Int64 { source.rawOffset }

    // MARK: - Buffer

    /// Reads more bytes; false at the end of the stream or when the source failed (the failure
    /// is kept in `sourceError`).
    private func fill() throws -> Bool {
        if eof || sourceError != nil { return false }
        makeRoomForRead(&buffer, head: &head, tail: &tail, streamOffset: &streamOffset)
        do {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[tail...]))
            if n == 0 {
                eof = true
                return false
            }
            tail += n
            return true
        } catch let e as InputError {
            sourceError = e
            return false
        }
    }

    /// Makes at least `count` bytes available from `head` (false when the stream ends first).
    private func ensure(_ count: Int) throws -> Bool {
        while tail - head < count {
            if !(try fill()) { return false }
        }
        return true
    }

    /// Shrinks the buffer back after a large record.
    private func shrinkIfLarge() {
        guard buffer.count > 1 << 22, tail - head < 1 << 17 else { return }
        let small = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        let live = tail - head
        if live > 0 { small.baseAddress!.copyMemory(from: buffer.baseAddress! + head, byteCount: live) }
        streamOffset += Int64(head)
        buffer.deallocate()
        buffer = small
        head = 0
        tail = live
    }

    // MARK: - Records

    /// The next record, or nil at the end of the file.
    /// - Parameter wantBlock: called with the parsed header; return false to skip the content
    ///   block without keeping it (it is still read past).
    /// - Throws: ``InputError`` for a truncated or corrupt record (the next call goes on after it).
    public func next(wantBlock: (WARCRecord) -> Bool = { _ in true }) throws -> WARCRecord? {
        if done { return nil }
        // After a source failure, what was buffered belongs to the damaged record.
        if sourceError != nil {
            sourceError = nil
            streamOffset += Int64(tail)
            head = 0
            tail = 0
        }
        shrinkIfLarge()
        // Blank lines between records.
        while true {
            if try head == tail && !fill() {
                if let e = sourceError { throw finishWithSourceError(e, recordAt: offset) }
                done = true
                return nil
            }
            let c = buffer[head]
            if c == 0x0D || c == 0x0A || c == 0x20 || c == 0x09 {
                head += 1
            } else {
                break
            }
        }
        let start = offset
        gzip?.dropMemberStarts(before: start)
        let fileOffset: Int64? = gzip.map { $0.memberOffset(startingAt: start) } ?? (source is FileSource ? start : nil)

        // The header section: up to the first empty line.
        var scanned = 0
        var headerEnd = -1  // index (from head) just past the empty line
        while headerEnd < 0 {
            let avail = tail - head
            var i = max(0, scanned - 3)
            while i < avail {
                if buffer[head + i] == 0x0A {
                    if i + 1 < avail && buffer[head + i + 1] == 0x0A {
                        headerEnd = i + 2
                        break
                    }
                    if i + 2 < avail && buffer[head + i + 1] == 0x0D && buffer[head + i + 2] == 0x0A {
                        headerEnd = i + 3
                        break
                    }
                }
                i += 1
            }
            if headerEnd >= 0 { break }
            scanned = avail
            if avail > Self.maxHeaderBytes {
                let e = error("WARC header section longer than \(Self.maxHeaderBytes) bytes", start, fileOffset)
                try resync()
                throw e
            }
            if !(try fill()) {
                if let se = sourceError { throw finishWithSourceError(se, recordAt: start, fileOffset: fileOffset) }
                if tail - head == 0 { done = true; return nil }
                let isWARC = startsWithWARC(UnsafeRawBufferPointer(rebasing: buffer[head..<tail]))
                let e = error(
                    isWARC
                        ? "truncated WARC record: the file ends inside its header"
                        : "not a WARC record: \(preview(head, tail - head)) (and no WARC header follows)",
                    start, fileOffset, record: Array(buffer[head..<min(tail, head + 4096)]))
                head = tail
                done = true
                throw e
            }
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: buffer[head..<(head + headerEnd)])
        guard startsWithWARC(headerBytes) else {
            let e = error(
                "not a WARC record: expected a 'WARC/' version line, found \(preview(head, min(headerEnd, 40)))", start, fileOffset,
                record: Array(headerBytes.prefix(4096)))
            head += 1
            try resync()
            throw e
        }
        var record = WARCRecord(
            version: "", headers: [], block: [], contentLength: 0, offset: start, fileOffset: fileOffset)
        var lines = splitLines(headerBytes)
        while lines.last?.isEmpty == true { lines.removeLast() }
        record.version = String(lines.first ?? "")
        for line in lines.dropFirst() {
            if let f = line.first, f == " " || f == "\t", !record.headers.isEmpty {
                record.headers[record.headers.count - 1].value += " " + String(line).trimmingASCIISpaces()
                continue
            }
            // A line without a colon is ignored, as warcio and fastwarc do; a damaged header
            // still fails on its Content-Length below.
            guard let colon = line.firstIndex(of: ":") else { continue }
            record.headers.append(
                (String(line[..<colon]).trimmingASCIISpaces(), String(line[line.index(after: colon)...]).trimmingASCIISpaces()))
        }
        guard let lengthText = record.header("Content-Length"), let length = Int(lengthText), length >= 0 else {
            let what = record.header("Content-Length").map { "invalid Content-Length '\($0)'" } ?? "no Content-Length"
            let e = error("WARC header has \(what)", start, fileOffset, record: Array(headerBytes.prefix(4096)))
            head += headerEnd
            try resync()
            throw e
        }
        record.contentLength = length
        head += headerEnd

        // The block.
        let keep = wantBlock(record)
        if keep && length > maxRecordBytes {
            try skip(length, recordAt: start, fileOffset: fileOffset)
            throw error(
                "WARC record of \(length) bytes is larger than max_record_bytes (\(maxRecordBytes)); skipped", start, fileOffset,
                record: Array(headerBytes.prefix(4096)))
        }
        if !keep {
            try skip(length, recordAt: start, fileOffset: fileOffset)
            return record
        }
        if !(try ensure(length)) {
            if let se = sourceError { throw finishWithSourceError(se, recordAt: start, fileOffset: fileOffset) }
            let have = tail - head
            done = true
            head = tail
            throw error(
                "truncated WARC record: Content-Length is \(length) bytes but the file ends after \(have)", start, fileOffset,
                record: Array(headerBytes.prefix(4096)))
        }
        if let cut = recordMemberStart(inBuffer: head, length) {
            let e = error(
                "WARC Content-Length of \(length) bytes runs past the record's gzip member into the next record "
                    + "(at byte \(streamOffset + Int64(cut)) of the decompressed stream)", start, fileOffset,
                record: Array(headerBytes.prefix(4096)))
            head = cut
            throw e
        }
        record.block = Array(buffer[head..<(head + length)])
        head += length
        return record
    }

    /// In a gzip-per-record file, a member inside buffer[from ..< from + count] that starts a
    /// record: a Content-Length running into the next record. Its buffer index, if any.
    private func recordMemberStart(inBuffer from: Int, _ count: Int) -> Int? {
        guard let gzip else { return nil }
        let lo = streamOffset + Int64(from)
        let hi = lo + Int64(count)
        for (d, _) in gzip.memberStarts where d > lo && d < hi {
            let i = Int(d - streamOffset)
            if i + 6 <= tail && startsWithWARC(UnsafeRawBufferPointer(rebasing: buffer[i..<(i + 6)])) { return i }
        }
        return nil
    }

    /// Reads past `count` bytes without keeping them.
    private func skip(_ count: Int, recordAt start: Int64, fileOffset: Int64?) throws {
        var left = count
        while left > 0 {
            if try head == tail && !fill() {
                if let se = sourceError { throw finishWithSourceError(se, recordAt: start, fileOffset: fileOffset) }
                done = true
                throw error(
                    "truncated WARC record: Content-Length is \(count) bytes but the file ends after \(count - left)", start,
                    fileOffset)
            }
            let n = min(left, tail - head)
            if let cut = recordMemberStart(inBuffer: head, n) {
                head = cut
                throw error(
                    "WARC Content-Length of \(count) bytes runs past the record's gzip member into the next record "
                        + "(at byte \(streamOffset + Int64(cut)) of the decompressed stream)", start, fileOffset)
            }
            head += n
            left -= n
        }
    }

    /// Moves to the next line that starts with `WARC/` and a digit.
    private func resync() throws {
        while true {
            var i = head
            while i + 6 <= tail {
                if (i == 0 && streamOffset == 0 || i > 0 && buffer[i - 1] == 0x0A) && buffer[i] == 0x57
                    && startsWithWARC(UnsafeRawBufferPointer(rebasing: buffer[i..<min(tail, i + 7)]))
                {
                    head = i
                    return
                }
                i += 1
            }
            head = max(head, tail - 6)
            if !(try fill()) {
                if sourceError != nil { return }  // reported by the next call
                head = tail
                return
            }
        }
    }

    private func startsWithWARC(_ b: UnsafeRawBufferPointer) -> Bool {
        b.count >= 6 && b[0] == 0x57 && b[1] == 0x41 && b[2] == 0x52 && b[3] == 0x43 && b[4] == 0x2F && b[5] >= 0x30 && b[5] <= 0x39
    }

    private func preview(_ from: Int, _ count: Int) -> String {
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[from..<min(tail, from + count)]), as: UTF8.self)
        return "'" + s.map { ($0.asciiValue.map { $0 >= 0x20 && $0 < 0x7F } ?? false) ? String($0) : "." }.joined() + "'"
    }

    private func error(_ message: String, _ start: Int64, _ fileOffset: Int64?, record: [UInt8]? = nil) -> InputError {
        let whereText: String
        if let fileOffset, fileOffset != start {
            whereText = " (record at byte \(start) of the decompressed stream, gzip member at byte \(fileOffset))"
        } else if fileOffset == nil {
            whereText = " (at byte \(start) of the decompressed stream)"
        } else {
            whereText = ""
        }
        return InputError(message + whereText, at: SourceLocation(file: path, byteOffset: fileOffset ?? start), record: record)
    }

    /// One error for a record cut by a compressed-stream failure; the reader then goes on after
    /// the damage when the source can (a corrupt gzip member), or ends (a truncated file).
    private func finishWithSourceError(_ e: InputError, recordAt start: Int64, fileOffset: Int64? = nil) -> InputError {
        let at = fileOffset ?? e.location.byteOffset ?? start
        return InputError(
            "WARC record at byte \(start) of the decompressed stream is damaged: \(e.message)",
            at: SourceLocation(file: path, byteOffset: at))
    }
}
