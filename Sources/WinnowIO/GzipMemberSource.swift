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
    /// Checked bytes of the current member not yet returned.
    private var pending: [UInt8] = []
    private var pendingPos = 0
    /// Streaming the rest of a large member whose check passed.
    private var streamingRest = false
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

    /// Members whose output fits in this many bytes are decoded whole and checked (inflate,
    /// CRC-32, length) before any byte is returned; a larger member is checked by a separate
    /// pass over it first, then streamed.
    static let memberLimit = 64 << 20

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let e = pendingError {
            pendingError = nil
            throw e
        }
        if needsResync {
            needsResync = false
            try resync()
        }
        // The buffer is filled across member boundaries (the WARC reader finds a Content-Length
        // that runs into the next member by the member starts inside what it holds); an error
        // of a later member comes with the next call, after the checked bytes before it.
        var filled = 0
        while filled < buffer.count {
            if pendingPos < pending.count {
                let n = min(buffer.count - filled, pending.count - pendingPos)
                pending.withUnsafeBytes { buffer.baseAddress!.advanced(by: filled).copyMemory(from: $0.baseAddress! + pendingPos, byteCount: n) }
                pendingPos += n
                produced += Int64(n)
                filled += n
                continue
            }
            if streamingRest {
                // The rest of a large member that a separate pass has already checked.
                let (n, state) = try inflateStep(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                if state == .ended { streamingRest = false }
                if case .failed(let e) = state {
                    // Cannot happen after a clean check; never pass such bytes.
                    streamingRest = false
                    needsResync = true
                    return try deliver(filled, then: e)
                }
                produced += Int64(n)
                filled += n
                continue
            }
            if finished { break }
            do {
                try decodeNextMember()
            } catch let e as InputError {
                return try deliver(filled, then: e)
            }
        }
        return filled
    }

    /// Returns `count` bytes already in the caller's buffer and keeps `error` for the next
    /// call, or throws it now when there are none.
    private func deliver(_ count: Int, then error: InputError) throws -> Int {
        if count == 0 { throw error }
        pendingError = error
        return count
    }

    private enum StepState: Equatable {
        case running, ended, eof
        case failed(InputError)
    }

    /// Inflates into `out` until it is full, the member ends, the file ends or inflate fails.
    private func inflateStep(into out: UnsafeMutableRawBufferPointer) throws -> (Int, StepState) {
        stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(out.count)
        while stream.avail_out > 0 {
            try refill()
            if stream.avail_in == 0 && inputEOF {
                return (out.count - Int(stream.avail_out), .eof)
            }
            let before = stream.avail_in
            let rc = inflate(&stream, Z_NO_FLUSH)
            consumed += Int64(before - stream.avail_in)
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                inflateReset(&stream)
                return (out.count - Int(stream.avail_out), .ended)
            default:
                let msg = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                return (
                    out.count - Int(stream.avail_out),
                    .failed(InputError(
                        "corrupt gzip member (starts at compressed byte \(memberStart)): \(msg); none of its bytes were used",
                        at: SourceLocation(file: path, byteOffset: memberStart)))
                )
            }
        }
        return (out.count, .running)
    }

    /// Reads more compressed input when inflate has used what it had.
    private func refill() throws {
        guard stream.avail_in == 0 && !inputEOF else { return }
        let n = try file.read(into: input)
        if n == 0 {
            inputEOF = true
        } else {
            stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(n)
        }
    }

    /// Decodes the next member into `pending`, checked, or sets `finished`, or (for a member
    /// over the limit) checks it in a separate pass and switches to streaming it. A damaged or
    /// truncated member passes none of its bytes: one error, then reading resyncs after it.
    private func decodeNextMember() throws {
        pending.removeAll(keepingCapacity: pending.capacity <= Self.memberLimit)
        pendingPos = 0
        // Skip zero padding; stop at the end of the file.
        while true {
            try refill()
            if stream.avail_in == 0 && inputEOF {
                finished = true
                return
            }
            if allZero() {
                consumed += Int64(stream.avail_in)
                stream.avail_in = 0
                continue
            }
            break
        }
        memberStart = consumed
        memberStarts.append((produced, consumed))
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let (n, state) = try inflateStep(into: chunk)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            switch state {
            case .ended:
                return
            case .running:
                if pending.count >= Self.memberLimit {
                    if let e = try checkMember(from: memberStart) {
                        pending.removeAll()
                        needsResync = true
                        throw e
                    }
                    streamingRest = true
                    return
                }
            case .eof:
                pending.removeAll()
                finished = true
                throw InputError(
                    "truncated gzip member (starts at compressed byte \(memberStart)): the file ends inside it; none of its bytes were used",
                    at: SourceLocation(file: path, byteOffset: memberStart))
            case .failed(let e):
                pending.removeAll()
                needsResync = true
                throw e
            }
        }
    }

    /// A separate pass over the member at `offset`: nil when it inflates to its end with a
    /// matching CRC-32 and length, else the error.
    private func checkMember(from offset: Int64) throws -> InputError? {
        var zs = z_stream()
        guard czlib_inflateInit2(&zs, 15 + 16) == Z_OK else { return InputError("zlib inflateInit2 failed", at: SourceLocation(file: path, byteOffset: offset)) }
        defer { inflateEnd(&zs) }
        let src = try FileSource(path: path, start: offset)
        let inBuf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        let outBuf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer {
            inBuf.deallocate()
            outBuf.deallocate()
        }
        while true {
            let n = try src.read(into: inBuf)
            if n == 0 {
                return InputError(
                    "truncated gzip member (starts at compressed byte \(offset)): the file ends inside it; none of its bytes were used",
                    at: SourceLocation(file: path, byteOffset: offset))
            }
            zs.next_in = inBuf.baseAddress!.assumingMemoryBound(to: Bytef.self)
            zs.avail_in = uInt(n)
            while zs.avail_in > 0 {
                zs.next_out = outBuf.baseAddress!.assumingMemoryBound(to: Bytef.self)
                zs.avail_out = uInt(outBuf.count)
                let rc = inflate(&zs, Z_NO_FLUSH)
                if rc == Z_STREAM_END { return nil }
                if rc != Z_OK && rc != Z_BUF_ERROR {
                    let msg = zs.msg.map { String(cString: $0) } ?? "error \(rc)"
                    return InputError(
                        "corrupt gzip member (starts at compressed byte \(offset)): \(msg); none of its bytes were used",
                        at: SourceLocation(file: path, byteOffset: offset))
                }
                if rc == Z_BUF_ERROR && zs.avail_out > 0 { break }
            }
        }
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
