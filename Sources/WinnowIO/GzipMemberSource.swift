#if canImport(Glibc)
import Glibc
#endif
import CZlib
import WinnowCore

/// Streaming gzip decompression that knows where each member starts and can skip damage.
///
/// WARC files are usually compressed one record per gzip member, so a record's member offset is
/// its address in the file, and after a corrupt member the next member is a clean place to go on.
/// `memberStarts` maps decompressed offsets to the compressed offsets of the members starting
/// there. After a corruption error, the next `read` looks for the next member (gzip magic whose
/// first decompressed bytes start with `resyncPrefix`) and goes on from there.
final class GzipMemberSource: ByteSource {
    private let path: String
    private var file: FileSource
    private var stream = z_stream()
    private var input: UnsafeMutableRawBufferPointer
    private var inputEOF = false
    private var finished = false
    private var inMember = false
    /// Compressed offset of the next byte inflate will see.
    private var consumed: Int64 = 0
    /// Compressed offset of the current member.
    private(set) var memberStart: Int64 = 0
    /// Decompressed bytes produced so far.
    private(set) var produced: Int64 = 0
    /// (decompressed offset, compressed offset) of recent member starts, oldest first.
    private(set) var memberStarts: [(Int64, Int64)] = []
    private var needsResync = false
    private var pendingError: InputError?
    private let resyncPrefix: [UInt8]
    private let fileSize: Int64

    /// Opens `path` at compressed offset 0.
    init(path: String, resyncPrefix: [UInt8]) throws {
        self.path = path
        self.resyncPrefix = resyncPrefix
        file = try FileSource(path: path)
        fileSize = try FileSource.size(path: path)
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        let rc = czlib_inflateInit2(&stream, 15 + 16)
        if rc != Z_OK { throw FileError(path: path, "zlib inflateInit2 failed (\(rc))") }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    /// Compressed bytes consumed so far.
    var rawOffset: Int64 { consumed }

    /// Forgets member starts before a decompressed offset (they are no longer needed).
    func dropMemberStarts(before offset: Int64) {
        var k = 0
        while k < memberStarts.count - 1 && memberStarts[k + 1].0 <= offset { k += 1 }
        if k > 0 { memberStarts.removeFirst(k) }
    }

    /// The compressed offset of the member that starts exactly at decompressed `offset`.
    func memberOffset(startingAt offset: Int64) -> Int64? {
        memberStarts.last(where: { $0.0 == offset })?.1
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let e = pendingError {
            pendingError = nil
            throw e
        }
        if needsResync {
            needsResync = false
            try resync()
        }
        if finished || buffer.count == 0 { return 0 }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(buffer.count)
        var error: InputError?
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEOF {
                let n = try file.read(into: input)
                if n == 0 {
                    inputEOF = true
                } else {
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(n)
                }
            }
            if stream.avail_in == 0 && inputEOF {
                if inMember {
                    error = InputError(
                        "truncated gzip member (starts at compressed byte \(memberStart)): the file ends inside it",
                        at: SourceLocation(file: path, byteOffset: memberStart))
                }
                finished = true
                break
            }
            if !inMember {
                // Zero padding after the last member is allowed.
                if allZero() {
                    consumed += Int64(stream.avail_in)
                    stream.avail_in = 0
                    continue
                }
                memberStart = consumed
                let out = produced + Int64(buffer.count - Int(stream.avail_out))
                memberStarts.append((out, consumed))
                inMember = true
            }
            let before = stream.avail_in
            let rc = inflate(&stream, Z_NO_FLUSH)
            consumed += Int64(before - stream.avail_in)
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                inMember = false
                inflateReset(&stream)
            default:
                let msg = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                error = InputError(
                    "corrupt gzip member (starts at compressed byte \(memberStart)): \(msg)",
                    at: SourceLocation(file: path, byteOffset: memberStart))
                needsResync = true
            }
            if error != nil { break }
        }
        let n = buffer.count - Int(stream.avail_out)
        produced += Int64(n)
        if let error {
            // Bytes decoded before the damage come first; the error with the next call, so it
            // is met by whoever needs the bytes past it.
            if n > 0 {
                pendingError = error
                return n
            }
            throw error
        }
        return n
    }

    private func allZero() -> Bool {
        guard let p = stream.next_in else { return false }
        for i in 0..<Int(stream.avail_in) where p[i] != 0 { return false }
        return true
    }

    /// Finds the next member after the damaged one whose output starts with `resyncPrefix`.
    private func resync() throws {
        var candidate = memberStart + 1
        let window = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { window.deallocate() }
        while candidate + 10 <= fileSize {
            let scan = try FileSource(path: path, start: candidate)
            let n = try scan.read(into: window)
            if n < 3 { break }
            var found: Int64?
            var i = 0
            while i + 2 < n {
                if window[i] == 0x1F && window[i + 1] == 0x8B && window[i + 2] == 0x08 {
                    found = candidate + Int64(i)
                    break
                }
                i += 1
            }
            guard let at = found else {
                candidate += Int64(max(1, n - 2))
                continue
            }
            if try probe(at) {
                file = try FileSource(path: path, start: at)
                inflateReset(&stream)
                stream.avail_in = 0
                stream.next_in = nil
                inputEOF = false
                inMember = false
                consumed = at
                return
            }
            candidate = at + 1
        }
        finished = true
    }

    /// Whether a gzip member at `offset` decompresses to something starting with `resyncPrefix`.
    private func probe(_ offset: Int64) throws -> Bool {
        var zs = z_stream()
        guard czlib_inflateInit2(&zs, 15 + 16) == Z_OK else { return false }
        defer { inflateEnd(&zs) }
        let src = try FileSource(path: path, start: offset)
        var inBuf = [UInt8](repeating: 0, count: 4096)
        var outBuf = [UInt8](repeating: 0, count: max(16, resyncPrefix.count))
        var produced = 0
        var rounds = 0
        while produced < resyncPrefix.count && rounds < 64 {
            rounds += 1
            let n = try inBuf.withUnsafeMutableBytes { try src.read(into: $0) }
            if n == 0 { return false }
            let rc: Int32 = inBuf.withUnsafeMutableBufferPointer { ib in
                outBuf.withUnsafeMutableBufferPointer { ob in
                    zs.next_in = ib.baseAddress
                    zs.avail_in = uInt(n)
                    zs.next_out = ob.baseAddress! + produced
                    zs.avail_out = uInt(resyncPrefix.count - produced)
                    let rc = inflate(&zs, Z_NO_FLUSH)
                    produced = resyncPrefix.count - Int(zs.avail_out)
                    return rc
                }
            }
            if rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR { return false }
            if rc == Z_STREAM_END { break }
        }
        return produced >= resyncPrefix.count && Array(outBuf[0..<resyncPrefix.count]) == resyncPrefix
    }
}
