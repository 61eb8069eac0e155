#if canImport(Glibc)
import Glibc
#endif
import CZlib
import CZstd
import Synchronization
import WinnowCore

/// A forward-only stream of bytes: a file, a byte range of a file, or a decompressor over one.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at the end of the stream.
    /// - Throws: ``InputError`` for corrupt or truncated compressed data, ``FileError`` for I/O.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes consumed from the underlying file so far (compressed bytes for decompressors).
    var rawOffset: Int64 { get }
}

/// The compression of a file, detected from its name or its first bytes.
public enum Compression: String, Sendable, Hashable, CaseIterable {
    case none, gzip, zstd

    /// From a file name: `.gz` → gzip, `.zst`/`.zstd` → zstd, else none.
    public static func fromName(_ path: String) -> Compression {
        if path.hasSuffix(".gz") || path.hasSuffix(".gzip") { return .gzip }
        if path.hasSuffix(".zst") || path.hasSuffix(".zstd") { return .zstd }
        return .none
    }

    /// From magic bytes: 1f 8b → gzip, 28 b5 2f fd → zstd.
    public static func fromMagic(_ bytes: [UInt8]) -> Compression? {
        if bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b { return .gzip }
        if bytes.count >= 4, bytes[0] == 0x28, bytes[1] == 0xb5, bytes[2] == 0x2f, bytes[3] == 0xfd { return .zstd }
        return nil
    }
}

/// Opens a file for reading, decompressing by its name (or magic bytes when the name says nothing).
public func openByteSource(path: String, compression: Compression? = nil) throws -> ByteSource {
    let file = try FileSource(path: path)
    var kind = compression ?? Compression.fromName(path)
    if compression == nil, kind == .none, let magic = try? FileSource.peek(path: path, count: 4),
        let detected = Compression.fromMagic(magic)
    {
        kind = detected
    }
    switch kind {
    case .none: return file
    case .gzip, .zstd:
        // Unit by unit, each checked before its bytes are returned; ISA-L for gzip members
        // that fit in memory (several times faster than zlib), within a fixed memory bound.
        return try VerifiedSource(path: path, compression: kind)
    }
}

/// Reads a file (or a byte range of it) with read(2) / pread(2).
public final class FileSource: ByteSource {
    private let fd: Int32
    private let path: String
    private var offset: Int64
    private let end: Int64?

    /// Opens `path`, reading bytes [start, end) (end nil: to the end of the file).
    public init(path: String, start: Int64 = 0, end: Int64? = nil) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
        self.path = path
        self.offset = start
        self.end = end
        #if canImport(Glibc)
        _ = posix_fadvise(fd, off_t(start), 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
    }

    deinit { close(fd) }

    /// Bytes consumed so far (absolute offset in the file).
    public var rawOffset: Int64 { offset }

    /// Reads the next chunk.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var want = buffer.count
        if let end { want = Int(min(Int64(want), max(0, end - offset))) }
        if want == 0 { return 0 }
        while true {
            let n = pread(fd, buffer.baseAddress, want, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, "read failed at byte \(offset): \(String(cString: strerror(errno)))")
            }
            offset += Int64(n)
            return n
        }
    }

    /// The file's size in bytes.
    public static func size(path: String) throws -> Int64 {
        var st = stat()
        if stat(path, &st) != 0 { throw FileError(path: path, "cannot stat: \(String(cString: strerror(errno)))") }
        return Int64(st.st_size)
    }

    /// The first `count` bytes of a file (fewer if it is shorter).
    public static func peek(path: String, count: Int) throws -> [UInt8] {
        let f = try FileSource(path: path)
        var out = [UInt8](repeating: 0, count: count)
        let n = try out.withUnsafeMutableBytes { try f.read(into: $0) }
        return Array(out.prefix(n))
    }
}

/// Streaming gzip decompression (multi-member files, as written by `cat a.gz b.gz`).
///
/// A stream that ends inside a member is reported as truncated, with the compressed byte offset.
/// Bytes are returned as they are inflated, before the member's CRC-32 is checked; readers use
/// ``VerifiedSource`` (through ``openByteSource(path:compression:)``), which checks each member first.
public final class GzipSource: ByteSource {
    private let source: ByteSource
    private let path: String
    private var stream = z_stream()
    private var input: UnsafeMutableRawBufferPointer
    private var inputEOF = false
    private var finished = false
    private var inMember = false
    private var consumed: Int64 = 0
    private var pendingError: InputError?
    private var inPadding = false

    /// Wraps a compressed source.
    public init(_ source: ByteSource, path: String, bufferSize: Int = 1 << 18) throws {
        self.source = source
        self.path = path
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        let rc = czlib_inflateInit2(&stream, 15 + 32)
        if rc != Z_OK { throw FileError(path: path, "zlib inflateInit2 failed (\(rc))") }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    /// Compressed bytes consumed so far.
    public var rawOffset: Int64 { consumed }

    /// Decompresses the next chunk. Bytes decoded before a truncation or corruption are
    /// returned first; the error comes with the next call.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let e = pendingError {
            pendingError = nil
            finished = true
            throw e
        }
        if finished || buffer.count == 0 { return 0 }
        do {
            return try inflateInto(buffer)
        } catch let e as InputError {
            let produced = buffer.count - Int(stream.avail_out)
            if produced > 0 {
                pendingError = e
                return produced
            }
            finished = true
            throw e
        }
    }

    private func inflateInto(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(buffer.count)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEOF {
                let n = try source.read(into: input)
                if n == 0 {
                    inputEOF = true
                } else {
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(n)
                }
            }
            if stream.avail_in == 0 && inputEOF {
                if inMember {
                    throw InputError(
                        "truncated gzip stream: input ends inside a compressed member",
                        at: SourceLocation(file: path, byteOffset: consumed))
                }
                finished = true
                break
            }
            if !inMember, let p = stream.next_in, p[0] == 0 || inPadding {
                // Zero padding after the last member (tape blocks) is accepted, as VerifiedSource
                // and `gzip -d` do; anything after it is not gzip data.
                inPadding = true
                var i = 0
                while i < Int(stream.avail_in) && p[i] == 0 { i += 1 }
                consumed += Int64(i)
                stream.next_in = p + i
                stream.avail_in -= uInt(i)
                if stream.avail_in > 0 {
                    throw InputError(
                        "bytes after the zero padding that ends the gzip data", at: SourceLocation(file: path, byteOffset: consumed))
                }
                continue
            }
            let before = stream.avail_in
            let rc = inflate(&stream, Z_NO_FLUSH)
            consumed += Int64(before - stream.avail_in)
            inMember = true
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                inMember = false
                inflateReset(&stream)
            default:
                let msg = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw InputError(
                    "corrupt gzip data: \(msg)", at: SourceLocation(file: path, byteOffset: consumed))
            }
        }
        return buffer.count - Int(stream.avail_out)
    }
}

/// Large reusable buffers, so that decompressing shard after shard does not fault in fresh
/// pages each time.
enum BufferPool {
    /// A buffer owned by whoever holds it (the pool hands each out to one holder at a time).
    struct Owned: @unchecked Sendable {
        var buffer: UnsafeMutableRawBufferPointer
    }

    private static let pool = Mutex<[Owned]>([])

    /// A buffer of at least `capacity` bytes (and at most `atMost`, when a pooled one is reused).
    static func take(_ capacity: Int, atMost: Int = Int.max) -> UnsafeMutableRawBufferPointer {
        let reused: Owned? = pool.withLock { buffers in
            guard let i = buffers.lastIndex(where: { $0.buffer.count >= capacity && $0.buffer.count <= atMost }) else { return nil }
            return buffers.remove(at: i)
        }
        return reused?.buffer ?? UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
    }

    /// Returns a buffer for reuse (the pool keeps a few of the largest).
    static func give(_ buffer: UnsafeMutableRawBufferPointer) {
        let owned = Owned(buffer: buffer)
        let dropped: Owned? = pool.withLock { buffers in
            buffers.append(owned)
            buffers.sort { $0.buffer.count > $1.buffer.count }
            return buffers.count > 4 ? buffers.removeLast() : nil
        }
        dropped?.buffer.deallocate()
    }
}

/// Streaming zstd decompression (multi-frame).
///
/// Bytes are returned as they are decoded, before the frame's checksum is checked; see
/// ``VerifiedSource`` for the checked reader.
public final class ZstdSource: ByteSource {
    private let source: ByteSource
    private let path: String
    private let dctx: OpaquePointer
    private var input: UnsafeMutableRawBufferPointer
    private var inBuf = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var inputEOF = false
    private var finished = false
    private var frameOpen = false
    private var consumed: Int64 = 0
    private var pendingError: InputError?
    private var inPadding = false

    /// Wraps a compressed source.
    public init(_ source: ByteSource, path: String) throws {
        self.source = source
        self.path = path
        guard let d = ZSTD_createDCtx() else { throw FileError(path: path, "ZSTD_createDCtx failed") }
        dctx = d
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_DStreamInSize(), alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(dctx)
        input.deallocate()
    }

    /// Compressed bytes consumed so far.
    public var rawOffset: Int64 { consumed }

    /// Decompresses the next chunk. Bytes decoded before a truncation or corruption are
    /// returned first; the error comes with the next call.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let e = pendingError {
            pendingError = nil
            finished = true
            throw e
        }
        if finished || buffer.count == 0 { return 0 }
        var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        do {
            return try decompressInto(&out)
        } catch let e as InputError {
            if out.pos > 0 {
                pendingError = e
                return out.pos
            }
            finished = true
            throw e
        }
    }

    private func decompressInto(_ out: inout ZSTD_outBuffer) throws -> Int {
        while out.pos < out.size {
            if inBuf.pos == inBuf.size && !inputEOF {
                let n = try source.read(into: input)
                if n == 0 {
                    inputEOF = true
                } else {
                    inBuf = ZSTD_inBuffer(src: UnsafeRawPointer(input.baseAddress), size: n, pos: 0)
                }
            }
            if inBuf.pos == inBuf.size && inputEOF {
                if frameOpen {
                    // Flush what the decoder still holds; if nothing comes out, the frame is cut.
                    let before = out.pos
                    let rc = ZSTD_decompressStream(dctx, &out, &inBuf)
                    if ZSTD_isError(rc) == 0 && out.pos > before { continue }
                    throw InputError(
                        "truncated zstd stream: input ends inside a frame",
                        at: SourceLocation(file: path, byteOffset: consumed))
                }
                finished = true
                break
            }
            let before = inBuf.pos
            let rc = ZSTD_decompressStream(dctx, &out, &inBuf)
            consumed += Int64(inBuf.pos - before)
            if ZSTD_isError(rc) != 0 {
                throw InputError(
                    "corrupt zstd data: \(String(cString: ZSTD_getErrorName(rc)))",
                    at: SourceLocation(file: path, byteOffset: consumed))
            }
            frameOpen = rc != 0
        }
        return out.pos
    }
}
