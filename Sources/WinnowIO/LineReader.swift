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

    /// Creates a reader.
    /// - Parameters:
    ///   - source: the bytes; for a range starting at `start > 0` it must begin at `start - 1`.
    ///   - path: the file name for error messages.
    ///   - start: the range's start offset (0 for a whole stream).
    ///   - end: the range's end offset, or nil for the whole stream.
    ///   - maxLineBytes: longest accepted line; a longer one is an ``InputError``.
    public init(source: ByteSource, path: String, start: Int64 = 0, end: Int64? = nil, maxLineBytes: Int = 256 << 20) {
        self.source = source
        self.path = path
        self.end = end
        self.maxLineBytes = maxLineBytes
        self.pendingSkip = start > 0
        self.streamOffset = start > 0 ? start - 1 : 0
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Stream offset of the next unread byte.
    public var offset: Int64 { streamOffset + Int64(head) }

    /// How far the underlying source has read (compressed bytes for a decompressor).
    public var sourceOffset: Int64 { source.rawOffset }

    /// Refills the buffer, moving unread bytes to the front and growing when full.
    /// Returns false at the end of the stream.
    private func fill() throws -> Bool {
        if eof { return false }
        makeRoomForRead(&buffer, head: &head, tail: &tail, streamOffset: &streamOffset)
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
    ///   so the caller may continue), and any error of the source.
    public func next() throws -> Line? {
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
                return makeLine(upTo: nlIndex, consumed: nlIndex + 1)
            }
            let scanned = tail - head
            if scanned > maxLineBytes { return try skipHugeLine() }
            if !(try fill()) {
                if tail > head { return makeLine(upTo: tail, consumed: tail) }
                return nil
            }
            scanFrom = head + scanned
        }
    }

    private func makeLine(upTo lineEnd: Int, consumed: Int) -> Line {
        var stop = lineEnd
        if stop > head && buffer[stop - 1] == 0x0D { stop -= 1 }
        lineNumber += 1
        let line = Line(
            bytes: UnsafeRawBufferPointer(rebasing: buffer[head..<stop]), number: lineNumber,
            offset: streamOffset + Int64(head))
        head = consumed
        return line
    }

    private func skipHugeLine() throws -> Line? {
        lineNumber += 1
        let number = lineNumber
        let startOffset = streamOffset + Int64(head)
        let prefix = Array(UnsafeRawBufferPointer(rebasing: buffer[head..<min(tail, head + 4096)]))
        while true {
            if let nl = memchr(buffer.baseAddress! + head, 0x0A, tail - head) {
                head = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(nl)) + 1
                break
            }
            head = tail
            if !(try fill()) { break }
        }
        throw InputError(
            "line longer than the limit of \(maxLineBytes) bytes (max_line_bytes); first 4 KiB kept",
            at: SourceLocation(file: path, line: number, byteOffset: startOffset), record: prefix)
    }
}

/// Prepares a read buffer for appending: moves the unread bytes `[head, tail)` to the front
/// (adding the bytes dropped to `streamOffset`, the stream offset of `buffer[0]`) and doubles the
/// buffer when it is still full. Shared by the line and WARC record readers.
func makeRoomForRead(_ buffer: inout UnsafeMutableRawBufferPointer, head: inout Int, tail: inout Int, streamOffset: inout Int64) {
    if head > 0 {
        let live = tail - head
        if live > 0, let base = buffer.baseAddress { memmove(base, base + head, live) }
        streamOffset += Int64(head)
        tail = live
        head = 0
    }
    if tail == buffer.count {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
        bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
        buffer.deallocate()
        buffer = bigger
    }
}
