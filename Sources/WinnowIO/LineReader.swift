#if canImport(Glibc)
import Glibc
#endif
import WinnowCore

/// One line of input, valid until the reader's next call.
public struct Line {
    /// The line's bytes without the trailing `\n` (and `\r`).
    public var bytes: UnsafeRawBufferPointer
    /// 1-based line number counted from the start of the reader's range.
    public var number: Int
    /// Byte offset of the line's first byte in the (decompressed) stream.
    public var offset: Int64
}

/// Splits a byte stream into lines with memchr, keeping them as raw bytes.
///
/// For a byte range [start, end) of an uncompressed file, the reader skips a partial first line
/// and yields every line that *starts* before `end`, so ranges tile a file without overlap.
///
/// - A UTF-8 byte order mark (EF BB BF) at offset 0 of the stream is not part of line 1.
/// - A line is at most `maxLineBytes` bytes, not counting its `\n` (or `\r\n`); the buffer never
///   grows past that (plus the line end), whatever the input holds.
/// - When the source reports a damaged compressed unit (``DamagedDataError``), every line it
///   touches is dropped: the line cut by the damage (its bytes before it, and its rest after it,
///   through the next newline) and the lines decoded from the damaged unit (never passed on by
///   the source). The error is thrown once, with the count of dropped lines, and reading goes on.
public final class LineReader {
    private let source: ByteSource
    private let path: String
    private var buffer: UnsafeMutableRawBufferPointer
    private var head = 0  // first unread byte
    private var tail = 0  // end of valid bytes
    private var eof = false
    private var streamOffset: Int64  // stream offset of buffer[0]
    private let end: Int64?
    private var lineNumber = 0
    private let maxLineBytes: Int
    private var pendingSkip: Bool
    private let atStreamStart: Bool
    /// A second damage met while dropping the rest of a line cut by a first one.
    private var pendingDamage: DamagedDataError?

    /// Creates a reader.
    /// - Parameters:
    ///   - source: the bytes; for a range starting at `start > 0` it must begin at `start - 1`.
    ///   - path: the file name for error messages.
    ///   - start: the range's start offset (0 for a whole stream).
    ///   - end: the range's end offset, or nil for the whole stream.
    ///   - maxLineBytes: longest accepted line in bytes, without its line end; a longer one is an
    ///     ``InputError``.
    public init(source: ByteSource, path: String, start: Int64 = 0, end: Int64? = nil, maxLineBytes: Int = 256 << 20) {
        self.source = source
        self.path = path
        self.end = end
        self.maxLineBytes = max(1, min(maxLineBytes, Int.max / 4))
        self.pendingSkip = start > 0
        self.atStreamStart = start <= 0
        self.streamOffset = start > 0 ? start - 1 : 0
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(1 << 20, self.maxLineBytes + 2), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Stream offset of the next unread byte.
    public var offset: Int64 { streamOffset + Int64(head) }

    /// How far the underlying source has read (compressed bytes for a decompressor).
    public var sourceOffset: Int64 { source.rawOffset }

    /// The size the line buffer has grown to, in bytes (bounded by `maxLineBytes` + 2).
    public var bufferCapacity: Int { buffer.count }

    /// Refills the buffer, moving unread bytes to the front and growing when full (never past
    /// the longest line plus its line end). Returns false at the end of the stream.
    private func fill() throws -> Bool {
        if eof { return false }
        makeRoomForRead(&buffer, head: &head, tail: &tail, streamOffset: &streamOffset, limit: maxLineBytes + 2)
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[tail...]))
        if n == 0 {
            eof = true
            return false
        }
        tail += n
        return true
    }

    /// The next line, or nil at the end of the stream (or of the range).
    /// - Throws: ``InputError`` for a line over `maxLineBytes` (the reader then skips past it,
    ///   so the caller may continue), ``DamagedDataError`` for damaged compressed input (the
    ///   reader drops what it touched and goes on), and any other error of the source.
    public func next() throws -> Line? {
        if let d = pendingDamage {
            pendingDamage = nil
            try dropDamage(d, cutLine: false)
        }
        do {
            return try nextLine()
        } catch let d as DamagedDataError {
            // The bytes since the last line end belong to a line the damage cuts.
            let cut = tail > head
            head = tail
            try dropDamage(d, cutLine: cut)
        }
    }

    /// Drops the rest of the line cut by a damaged unit and throws the damage with the count of
    /// lines dropped.
    private func dropDamage(_ damage: DamagedDataError, cutLine: Bool) throws -> Never {
        var d = damage
        var skipped = false
        do {
            skipped = try skipThroughNewline()
        } catch let next as DamagedDataError {
            pendingDamage = next
        }
        // Lines ended inside the damaged unit, plus the one that runs on past it (its rest was
        // just skipped), or the cut one when nothing of it ended inside.
        let lines = d.decodedNewlines + ((skipped || (cutLine && d.decodedNewlines == 0)) ? 1 : 0)
        d.lines = lines
        lineNumber += lines
        throw d
    }

    /// Skips bytes through the next newline; whether there were any.
    private func skipThroughNewline() throws -> Bool {
        var any = false
        while true {
            if tail > head { any = true }
            if let nl = memchr(buffer.baseAddress! + head, 0x0A, tail - head) {
                head = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(nl)) + 1
                return true
            }
            head = tail
            if !(try fill()) { return any }
        }
    }

    private func nextLine() throws -> Line? {
        if pendingSkip {
            pendingSkip = false
            // Skip through the first newline: the line it ends belongs to the previous range.
            while true {
                if let nl = memchr(buffer.baseAddress! + head, 0x0A, tail - head) {
                    head = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(nl)) + 1
                    break
                }
                head = tail
                if !(try fill()) { return nil }
            }
        }
        if let end, offset >= end { return nil }
        var scanFrom = head
        while true {
            if let nl = memchr(buffer.baseAddress! + scanFrom, 0x0A, tail - scanFrom) {
                let nlIndex = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(nl))
                return try makeLine(upTo: nlIndex, consumed: nlIndex + 1)
            }
            let scanned = tail - head
            // Even if the next byte were `\n` after a `\r`, this line is already too long.
            if scanned > maxLineBytes + 1 { return try skipHugeLine() }
            if !(try fill()) {
                if tail > head { return try makeLine(upTo: tail, consumed: tail) }
                return nil
            }
            scanFrom = head + scanned
        }
    }

    private func makeLine(upTo lineEnd: Int, consumed: Int) throws -> Line {
        var stop = lineEnd
        if stop > head && buffer[stop - 1] == 0x0D { stop -= 1 }
        var first = head
        if atStreamStart && streamOffset + Int64(head) == 0 && stop - head >= 3 && buffer[head] == 0xEF
            && buffer[head + 1] == 0xBB && buffer[head + 2] == 0xBF
        {
            first += 3  // UTF-8 byte order mark
        }
        lineNumber += 1
        if stop - first > maxLineBytes {
            let startOffset = streamOffset + Int64(first)
            let prefix = Array(UnsafeRawBufferPointer(rebasing: buffer[first..<min(stop, first + 4096)]))
            head = consumed
            throw tooLong(line: lineNumber, offset: startOffset, prefix: prefix)
        }
        let line = Line(
            bytes: UnsafeRawBufferPointer(rebasing: buffer[first..<stop]), number: lineNumber,
            offset: streamOffset + Int64(first))
        head = consumed
        return line
    }

    private func skipHugeLine() throws -> Line? {
        lineNumber += 1
        let number = lineNumber
        let startOffset = streamOffset + Int64(head)
        let prefix = Array(UnsafeRawBufferPointer(rebasing: buffer[head..<min(tail, head + 4096)]))
        _ = try skipThroughNewline()
        throw tooLong(line: number, offset: startOffset, prefix: prefix)
    }

    private func tooLong(line: Int, offset: Int64, prefix: [UInt8]) -> InputError {
        InputError(
            "line longer than the limit of \(maxLineBytes) bytes (max_line_bytes); first 4 KiB kept",
            at: SourceLocation(file: path, line: line, byteOffset: offset), record: prefix)
    }
}

/// Prepares a read buffer for appending: moves the unread bytes `[head, tail)` to the front
/// (adding the bytes dropped to `streamOffset`, the stream offset of `buffer[0]`) and doubles the
/// buffer when it is still full (to at most `limit` bytes, when given; a buffer already that
/// large stays full, so the caller must not ask for more). Shared by the line and WARC record
/// readers.
func makeRoomForRead(
    _ buffer: inout UnsafeMutableRawBufferPointer, head: inout Int, tail: inout Int, streamOffset: inout Int64,
    limit: Int? = nil
) {
    if head > 0 {
        let live = tail - head
        if live > 0, let base = buffer.baseAddress { memmove(base, base + head, live) }
        streamOffset += Int64(head)
        tail = live
        head = 0
    }
    if tail == buffer.count {
        let size = limit.map { max(buffer.count, min(buffer.count * 2, $0)) } ?? buffer.count * 2
        if size == buffer.count { return }
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
        buffer.deallocate()
        buffer = bigger
    }
}
