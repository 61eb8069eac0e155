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
/// it goes on at the next record header (`WARC/1.x` and a header field line, even in the middle
/// of a damaged line), or the next undamaged gzip member. A `Content-Length` is trusted only
/// when the block it measures is followed by the record's end (CRLF CRLF, or white space up
/// to the next `WARC/` line or the end of the file); one that runs past the next record
/// header or the end of the file is one error, and reading goes on at that header. A truncated
/// file yields every complete record, then one error.
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
                head += 1
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

        // The block. (`headerBytes` points into the buffer, which reading may move: copy it.)
        let header = Array(headerBytes.prefix(4096))
        let keep = wantBlock(record)
        if !keep || length > maxRecordBytes {
            try skipBlock(length, recordAt: start, fileOffset: fileOffset, header: header)
            if !keep { return record }
            throw error(
                "WARC record of \(length) bytes is larger than max_record_bytes (\(maxRecordBytes)); skipped", start, fileOffset,
                record: header)
        }
        if !(try ensure(length)) {
            if let se = sourceError { throw finishWithSourceError(se, recordAt: start, fileOffset: fileOffset) }
            let have = tail - head
            // A record header inside what is there: the Content-Length is wrong, not the file cut.
            if let c = findRecordHeader(from: head, to: tail, final: true) {
                let e = error(
                    "WARC Content-Length of \(length) bytes runs past the end of the file (\(have) bytes follow the header); "
                        + "the next record starts at byte \(streamOffset + Int64(c))", start, fileOffset, record: header)
                head = c
                throw e
            }
            done = true
            head = tail
            throw error(
                "truncated WARC record: Content-Length is \(length) bytes but the file ends after \(have)", start, fileOffset,
                record: header)
        }
        if let cut = recordMemberStart(inBuffer: head, length) {
            let e = error(
                "WARC Content-Length of \(length) bytes runs past the record's gzip member into the next record "
                    + "(at byte \(streamOffset + Int64(cut)) of the decompressed stream)", start, fileOffset,
                record: header)
            head = cut
            throw e
        }
        if !(try endsRecord(atRelative: length)) {
            // The block does not end where the record does: find the next record header from
            // the block's start (a Content-Length too large swallows it; too small, it follows).
            let blockStart = head
            let e: InputError
            if let c = findRecordHeader(from: head, to: tail, final: eof) {
                e = error(
                    "WARC Content-Length of \(length) bytes does not end at the end of the record; "
                        + "the next record starts at byte \(streamOffset + Int64(c)) (\(c - blockStart) bytes after the header)",
                    start, fileOffset, record: header)
                head = c
            } else {
                e = error(
                    "WARC Content-Length of \(length) bytes does not end at the end of the record (no record header "
                        + "follows it)", start, fileOffset, record: header)
                head += length
                try resync()
            }
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

    // MARK: - Record boundaries

    /// Whether the record ends `rel` bytes after `head`: the block is followed by the record's
    /// end marker (CRLF CRLF, or LF LF), or by nothing but white space up to the end of the file
    /// or the next `WARC/` line. May read ahead (never past 64 KiB of white space).
    private func endsRecord(atRelative rel: Int) throws -> Bool {
        _ = try ensure(rel + 4)
        let avail = tail - head - rel
        let p = head + rel
        if avail >= 4 && buffer[p] == 0x0D && buffer[p + 1] == 0x0A && buffer[p + 2] == 0x0D && buffer[p + 3] == 0x0A { return true }
        if avail >= 2 && buffer[p] == 0x0A && buffer[p + 1] == 0x0A { return true }
        var i = rel
        while true {
            if i >= tail - head {
                if i - rel > 1 << 16 { return true }
                if !(try fill()) { return true }  // the end of the file (or damage, reported next)
                continue
            }
            let c = buffer[head + i]
            if c == 0x0D || c == 0x0A || c == 0x20 || c == 0x09 {
                i += 1
                continue
            }
            if !(try ensure(i + 6)) && sourceError != nil { return true }
            let n = min(6, tail - head - i)
            return startsWithWARC(UnsafeRawBufferPointer(rebasing: buffer[(head + i)..<(head + i + n)]))
        }
    }

    /// Whether a record header starts at buffer index `i`: `WARC/` and a version (`1.1`,
    /// `0.18`), a line end, then a header field line (`Name: …`). nil when the buffer ends before
    /// that can be told (and `final` is false).
    private func isRecordHeader(at i: Int, final: Bool) -> Bool? {
        var j = i
        func byte(_ k: Int) -> UInt8? { k < tail ? buffer[k] : nil }
        let more: Bool? = final ? false : nil
        for w in [UInt8](arrayLiteral: 0x57, 0x41, 0x52, 0x43, 0x2F) {
            guard let c = byte(j) else { return more }
            if c != w { return false }
            j += 1
        }
        var digits = 0
        var dots = 0
        while let c = byte(j), (c >= 0x30 && c <= 0x39) || c == 0x2E {
            if c == 0x2E {
                dots += 1
            } else {
                digits += 1
            }
            j += 1
            if j - i > 16 { return false }
        }
        guard let c = byte(j) else { return more }
        guard digits >= 2, dots == 1, buffer[i + 5] != 0x2E, buffer[j - 1] != 0x2E else { return false }
        if c == 0x0D { j += 1 }
        guard let lf = byte(j) else { return more }
        guard lf == 0x0A else { return false }
        j += 1
        // A field name (letters, digits, '-'), then ':'.
        let nameStart = j
        while let c = byte(j), c == 0x2D || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || (c >= 0x30 && c <= 0x39) {
            j += 1
            if j - nameStart > 100 { return false }
        }
        guard let colon = byte(j) else { return more }
        return colon == 0x3A && j > nameStart
    }

    /// The first record header (see ``isRecordHeader(at:final:)``) at the start of a line in
    /// buffer[from ..< to], if any.
    private func findRecordHeader(from: Int, to: Int, final: Bool) -> Int? {
        var i = from
        while i < to {
            guard let hit = memchr(buffer.baseAddress! + i, 0x57, to - i) else { return nil }
            i = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(hit))
            if i > 0 && buffer[i - 1] == 0x0A || i == 0 && streamOffset == 0, isRecordHeader(at: i, final: final) == true {
                return i
            }
            i += 1
        }
        return nil
    }

    /// Reads past a content block that is not kept, checking that the record ends where its
    /// Content-Length says. Returns when it does; otherwise throws the record's error, leaving
    /// the reader at the next record header.
    ///
    /// A record header found inside the block (at a line start after an empty line) may be the
    /// next record swallowed by a wrong Content-Length, or part of the content: when the rest of
    /// the block fits in `max_record_bytes` it is read to tell (the block must end at the
    /// record's end marker); when it does not, the header is taken as the next record.
    private func skipBlock(_ length: Int, recordAt start: Int64, fileOffset: Int64?, header: [UInt8]) throws {
        var left = length
        // The three bytes before `head` (the header's end marker at first), for line starts.
        var prev: (UInt8, UInt8, UInt8) = (0x0A, 0x0D, 0x0A)
        func before(_ i: Int, _ k: Int) -> UInt8 {
            let j = i - k
            if j >= head { return buffer[j] }
            switch head - j {
            case 1: return prev.2
            case 2: return prev.1
            default: return prev.0
            }
        }
        func advance(to newHead: Int) {
            if newHead > head { prev = (before(newHead, 3), before(newHead, 2), before(newHead, 1)) }
            left -= newHead - head
            head = newHead
        }
        while left > 0 {
            if try head == tail && !fill() {
                if let se = sourceError { throw finishWithSourceError(se, recordAt: start, fileOffset: fileOffset) }
                done = true
                throw error(
                    "truncated WARC record: Content-Length is \(length) bytes but the file ends after \(length - left)", start,
                    fileOffset, record: header)
            }
            let n = min(left, tail - head)
            if let cut = recordMemberStart(inBuffer: head, n) {
                head = cut
                throw error(
                    "WARC Content-Length of \(length) bytes runs past the record's gzip member into the next record "
                        + "(at byte \(streamOffset + Int64(cut)) of the decompressed stream)", start, fileOffset, record: header)
            }
            // A record header after an empty line in this chunk?
            let end = head + n
            var i = head
            var pending: Int?
            while i < end, let hit = memchr(buffer.baseAddress! + i, 0x57, end - i) {
                i = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(hit))
                if before(i, 1) == 0x0A && (before(i, 2) == 0x0A || before(i, 2) == 0x0D && before(i, 3) == 0x0A) {
                    let verdict = isRecordHeader(at: i, final: eof || sourceError != nil)
                    if verdict == true {
                        advance(to: i)
                        try checkSwallowed(blockLeft: left, length: length, start: start, fileOffset: fileOffset, header: header)
                        return
                    }
                    if verdict == nil {
                        pending = i
                        break
                    }
                }
                i += 1
            }
            if let p = pending {
                // The buffer ends inside what may be a header: read more, then look again.
                advance(to: p)
                if !(try fill()), let se = sourceError {
                    throw finishWithSourceError(se, recordAt: start, fileOffset: fileOffset)
                }
                continue
            }
            advance(to: end)
        }
        if !(try endsRecord(atRelative: 0)) {
            let e = error(
                "WARC Content-Length of \(length) bytes does not end at the end of the record", start, fileOffset, record: header)
            try resync()
            throw e
        }
    }

    /// A record header was found at `head` inside a skipped block with `blockLeft` bytes of the
    /// block from there: returns (past the block) when the block still ends at the record's end,
    /// so the header was content; else throws, the reader standing at that header.
    private func checkSwallowed(blockLeft: Int, length: Int, start: Int64, fileOffset: Int64?, header: [UInt8]) throws {
        let found = offset
        if blockLeft + 4 <= maxRecordBytes {
            let complete = try ensure(blockLeft)
            if complete, try endsRecord(atRelative: blockLeft) {
                head += blockLeft
                return
            }
            if !complete, let se = sourceError { throw finishWithSourceError(se, recordAt: start, fileOffset: fileOffset) }
            if !complete {
                throw error(
                    "WARC Content-Length of \(length) bytes runs past the end of the file; the next record starts at byte "
                        + "\(found)", start, fileOffset, record: header)
            }
        }
        throw error(
            "WARC Content-Length of \(length) bytes runs past the next record header (at byte \(found)); record skipped",
            start, fileOffset, record: header)
    }

    /// Moves to the next record header (see ``isRecordHeader(at:final:)``), anywhere in a line:
    /// damaged bytes before a record need not end with a line break.
    private func resync() throws {
        while true {
            var i = head
            var needMore = false
            while i < tail {
                guard let hit = memchr(buffer.baseAddress! + i, 0x57, tail - i) else {
                    i = tail
                    break
                }
                i = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(hit))
                switch isRecordHeader(at: i, final: eof) {
                case true?:
                    head = i
                    return
                case nil:
                    needMore = true
                case false?:
                    break
                }
                if needMore { break }
                i += 1
            }
            head = needMore ? i : tail
            if !(try fill()) {
                if sourceError != nil { return }  // reported by the next call
                if needMore { continue }  // now final: decide on what is there
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
