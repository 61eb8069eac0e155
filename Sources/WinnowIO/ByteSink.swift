#if canImport(Glibc)
import Glibc
#endif
import CDeflate
import CISAL
import CZlib
import CZstd
import WinnowCore

/// Writes a file atomically: bytes go to `<path>.tmp-<pid>` and are renamed onto `path` on
/// ``commit()``, so a crash never leaves a half file under the final name.
public final class AtomicFileWriter {
    /// The final path.
    public let path: String
    private let tempPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let bufferSize = 1 << 20
    private var flushedBytes: Int64 = 0
    /// Checksum of the bytes written (in ``bufferSize`` blocks, so it depends only on the bytes).
    public private(set) var checksum = StreamChecksum()

    /// Creates the temporary file (and parent folders).
    public init(path: String) throws {
        self.path = path
        tempPath = path + ".tmp-\(getpid())"
        try FileSystem.createDirectory(FileSystem.parent(of: path))
        fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileError(path: tempPath, "cannot create: \(String(cString: strerror(errno)))") }
        buffer.reserveCapacity(bufferSize)
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(tempPath)
        }
    }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while !rest.isEmpty {
            let room = bufferSize - buffer.count
            let take = min(room, rest.count)
            buffer.append(contentsOf: rest.prefix(take))
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
            if buffer.count == bufferSize { try flushBuffer() }
        }
    }

    /// Lets `body` append bytes straight to the write buffer (no copy through a caller's
    /// buffer); returns how many it appended.
    @discardableResult
    public func append(_ body: (inout [UInt8]) throws -> Void) throws -> Int {
        let before = buffer.count
        try body(&buffer)
        let n = buffer.count - before
        if buffer.count >= bufferSize { try flushBuffer() }
        return n
    }

    private func flushBuffer() throws {
        if buffer.isEmpty { return }
        try buffer.withUnsafeBytes { raw in
            checksum.update(raw)
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError(path: tempPath, "write failed: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
        flushedBytes += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Bytes handed to ``write(_:)`` so far (the file's length once flushed).
    public var bytesWritten: Int64 { flushedBytes + Int64(buffer.count) }

    /// Rewrites bytes already written, at `offset` from the start (for a header whose content is
    /// known only at the end, such as a .npy shape). The range must lie inside what was written.
    public func overwrite(at offset: Int64, _ bytes: [UInt8]) throws {
        precondition(offset >= 0 && offset + Int64(bytes.count) <= bytesWritten, "overwrite outside the written range")
        try flushBuffer()
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                guard let base = raw.baseAddress else { return }
                let n = pwrite(fd, base + done, raw.count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError(path: tempPath, "write failed: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
    }

    /// Flushes and renames the file onto its final name.
    ///
    /// There is no fsync: a process crash keeps the page cache, and after a machine crash the
    /// manifest's checksums catch a file whose bytes never reached the disk (`--resume`
    /// redoes its task). Syncing every shard would cost seconds per run for nothing.
    public func commit() throws {
        try flushBuffer()
        close(fd)
        fd = -1
        if rename(tempPath, path) != 0 {
            throw FileError(path: path, "rename failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// A compressing byte sink over an ``AtomicFileWriter``.
///
/// gzip output at the default level is one streaming gzip member from ISA-L's igzip (level 3,
/// about the size of zlib level 1–2 at several times its speed). An explicit level (1–12) uses
/// libdeflate instead, one gzip member per 1 MiB of input; every gzip reader (zlib, Python's
/// `gzip`, `zcat`) reads such a file as one stream. Headers carry mtime 0, so equal input gives
/// equal bytes. zstd output is one streaming frame.
public final class CompressedWriter {
    private let file: AtomicFileWriter
    private let compression: Compression
    private var deflater: OpaquePointer?
    private var isal: UnsafeMutablePointer<isal_zstream>?
    private var isalLevelBuffer: UnsafeMutableRawBufferPointer?
    private var wroteMember = false
    private var cctx: OpaquePointer?
    private var out: UnsafeMutableRawBufferPointer
    private var pending: [UInt8] = []
    private let chunk = 1 << 20
    /// Uncompressed bytes written.
    public private(set) var bytesIn: Int64 = 0

    /// The gzip level an explicit `compression_level` falls back to with libdeflate.
    public static let defaultGzipLevel = 6

    /// Opens `path` with the given compression and level (gzip: ISA-L level 2 without one, libdeflate 1–12 with one; zstd 1–19, default 3).
    public init(path: String, compression: Compression, level: Int? = nil) throws {
        file = try AtomicFileWriter(path: path)
        self.compression = compression
        out = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        pending.reserveCapacity(chunk)
        switch compression {
        case .none: break
        case .gzip:
            if let level {
                deflater = libdeflate_alloc_compressor(Int32(max(1, min(12, level))))
                if deflater == nil { throw FileError(path: path, "libdeflate_alloc_compressor failed") }
            } else {
                // The stream and its level buffer start zeroed. Left as malloc returns them,
                // igzip now and then compressed the same input to other (valid) bytes: 4 of 700
                // runs of one recipe, against 0 of 700 zeroed (docs/architecture.md §5; why is
                // not understood).
                let z = UnsafeMutablePointer<isal_zstream>.allocate(capacity: 1)
                UnsafeMutableRawPointer(z).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<isal_zstream>.size)
                isal_deflate_init(z)
                // Level 2: 1.7x level 3's speed for 2.8 % more bytes (decision 0001).
                let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(cisal_level2_buffer_size()), alignment: 64)
                buf.initializeMemory(as: UInt8.self, repeating: 0)
                z.pointee.level = 2
                z.pointee.level_buf = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
                z.pointee.level_buf_size = UInt32(buf.count)
                z.pointee.gzip_flag = UInt16(IGZIP_GZIP)
                isal = z
                isalLevelBuffer = buf
            }
        case .zstd:
            cctx = ZSTD_createCCtx()
            guard let cctx else { throw FileError(path: path, "ZSTD_createCCtx failed") }
            ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, Int32(level ?? 3))
        }
    }

    deinit {
        if let deflater { libdeflate_free_compressor(deflater) }
        isal?.deallocate()
        isalLevelBuffer?.deallocate()
        if let cctx { ZSTD_freeCCtx(cctx) }
        out.deallocate()
    }

    /// The final path.
    public var path: String { file.path }
    /// Checksum of the compressed bytes written so far (complete after ``commit()``).
    public var checksum: StreamChecksum { file.checksum }

    /// Appends uncompressed bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        bytesIn += Int64(bytes.count)
        if compression == .none {
            try file.write(bytes)
            return
        }
        var rest = bytes
        while !rest.isEmpty {
            let take = min(chunk - pending.count, rest.count)
            pending.append(contentsOf: rest.prefix(take))
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
            if pending.count == chunk { try compressPending(finish: false) }
        }
    }

    /// Whether ``append(_:)`` writes straight to the file (no compression).
    public var isPlain: Bool { compression == .none }

    /// Lets `body` append uncompressed bytes straight to the file's write buffer (plain files
    /// only: see ``isPlain``).
    public func append(_ body: (inout [UInt8]) throws -> Void) throws {
        precondition(compression == .none, "CompressedWriter.append is for plain files")
        bytesIn += Int64(try file.append(body))
    }

    /// Appends the UTF-8 bytes of a string.
    public func write(_ string: String) throws {
        var s = string
        try s.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    private func compressPending(finish: Bool) throws {
        try pending.withUnsafeMutableBytes { raw in
            switch compression {
            case .none: break
            case .gzip where isal != nil:
                let z = isal!
                z.pointee.next_in = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
                z.pointee.avail_in = UInt32(raw.count)
                z.pointee.end_of_stream = finish ? 1 : 0
                z.pointee.flush = UInt16(NO_FLUSH)
                while true {
                    z.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    z.pointee.avail_out = UInt32(out.count)
                    let rc = isal_deflate(z)
                    if rc != COMP_OK { throw FileError(path: file.path, "igzip compression failed (\(rc))") }
                    let produced = out.count - Int(z.pointee.avail_out)
                    if produced > 0 { try file.write(UnsafeRawBufferPointer(rebasing: out[0..<produced])) }
                    let done = finish
                        ? z.pointee.internal_state.state == ZSTATE_END
                        : (z.pointee.avail_in == 0 && z.pointee.avail_out > 0)
                    if done { break }
                }
            case .gzip:
                // One member per chunk; an empty file still gets one (empty) member.
                if raw.isEmpty && (wroteMember || !finish) { break }
                let bound = libdeflate_gzip_compress_bound(deflater, raw.count)
                if bound > out.count {
                    out.deallocate()
                    out = UnsafeMutableRawBufferPointer.allocate(byteCount: bound, alignment: 16)
                }
                let n = libdeflate_gzip_compress(deflater, raw.baseAddress, raw.count, out.baseAddress, out.count)
                if n == 0 { throw FileError(path: file.path, "libdeflate compression failed") }
                try file.write(UnsafeRawBufferPointer(rebasing: out[0..<n]))
                wroteMember = true
            case .zstd:
                var inb = ZSTD_inBuffer(src: UnsafeRawPointer(raw.baseAddress), size: raw.count, pos: 0)
                while true {
                    var outb = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    let rc = ZSTD_compressStream2(cctx, &outb, &inb, finish ? ZSTD_e_end : ZSTD_e_continue)
                    if ZSTD_isError(rc) != 0 {
                        throw FileError(path: file.path, "zstd: \(String(cString: ZSTD_getErrorName(rc)))")
                    }
                    if outb.pos > 0 { try file.write(UnsafeRawBufferPointer(rebasing: out[0..<outb.pos])) }
                    if finish ? rc == 0 : inb.pos == inb.size { break }
                }
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Finishes the compressed stream and renames the file onto its final name.
    public func commit() throws {
        if compression != .none { try compressPending(finish: true) }
        try file.commit()
    }
}
