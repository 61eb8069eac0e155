#if canImport(Glibc)
import Glibc
#endif
import CISAL
import CZlib
import CZstd
import WinnowCore

/// A stretch of a compressed file that failed its integrity check: a gzip member whose inflate
/// failed, whose CRC-32 or length did not match, or that the file ends inside; a zstd frame that
/// failed to decode, whose checksum did not match, or that the file ends inside; bytes after the
/// last member that are not one.
///
/// None of its decompressed bytes were passed on. Reading goes on at the next good unit
/// (`compressedEnd`), so one such error stands for every record the damaged unit held.
public struct DamagedDataError: UserFacingError, Hashable {
    /// The compressed file.
    public var file: String
    /// What was damaged: `gzip member` or `zstd frame`.
    public var unit: String
    /// Offset of the damaged unit's first byte in the compressed file.
    public var compressedStart: Int64
    /// Offset where reading went on (the next good unit, or the file's size).
    public var compressedEnd: Int64
    /// What the decoder said.
    public var reason: String
    /// Newlines in what could be decoded of the damaged unit before the damage was found (these
    /// bytes are not trusted and were not passed on).
    public var decodedNewlines: Int
    /// Lines dropped because of the damage, when read as lines (set by ``LineReader``): the
    /// newlines in what could be decoded of the damaged unit, plus the line cut at its edge. An
    /// estimate: damaged bytes can add or hide newlines, and a decoder that stops early hides
    /// the rest.
    public var lines: Int?
    /// Offset in the decompressed stream where the damaged unit's bytes were cut out.
    public var offset: Int64

    /// Creates the error.
    public init(
        file: String, unit: String, compressedStart: Int64, compressedEnd: Int64, reason: String, decodedNewlines: Int,
        offset: Int64, lines: Int? = nil
    ) {
        self.file = file
        self.unit = unit
        self.compressedStart = compressedStart
        self.compressedEnd = compressedEnd
        self.reason = reason
        self.decodedNewlines = decodedNewlines
        self.offset = offset
        self.lines = lines
    }

    /// `file: byte A: damaged gzip member (compressed bytes A..<B): reason; about N lines dropped`.
    public var description: String {
        var s = "\(file): byte \(compressedStart): damaged \(unit) (compressed bytes \(compressedStart)..<\(compressedEnd)): \(reason)"
        if let lines { s += lines == 0 ? "; no line dropped" : "; about \(lines) line\(lines == 1 ? "" : "s") dropped" }
        return s
    }
}

/// How a unit decoder ended a step.
enum UnitState: Equatable {
    case more
    case end
    case failed(String)
    /// The file ended inside the unit (its bytes so far decoded without error).
    case truncated
}

/// One kind of independently checked compressed unit: a gzip member or a zstd frame.
protocol UnitDecoder: AnyObject {
    /// `gzip member`, `zstd frame`.
    var unitName: String { get }
    /// Whether a unit can start at the first bytes of `bytes` (a place to resync after damage).
    func looksLikeUnitStart(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// Decodes the unit at the start of `input` whole into `output`, checked; nil when this
    /// decoder has no whole-unit path.
    func decodeWhole(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> WholeUnitResult?
    /// Gets ready for a new unit.
    func reset()
    /// Decodes some of `input` into `output`: bytes read, bytes written, and whether the unit
    /// ended (checked) or failed.
    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) -> (read: Int, written: Int, state: UnitState)
}

/// The outcome of a whole-unit decode.
enum WholeUnitResult {
    case ok(read: Int, written: Int)
    case outputTooSmall
    case failed
}

/// A gzip or zstd file read one unit (gzip member, zstd frame) at a time, each unit checked
/// (inflate without error and CRC-32 and length, or the zstd frame decoded and its checksum when
/// it has one) **before** any of its bytes are returned.
///
/// - A unit that decompresses to at most `unitLimit` bytes is decoded into a buffer (with
///   ISA-L for gzip files small enough to map), checked, then served from it.
/// - A larger unit is decoded once to check it, without keeping its output, then decoded again
///   as it is read. So memory stays within `unitLimit` whatever the unit's header or trailer
///   says, at the cost of a second pass over units that large.
/// - A damaged unit is reported once as a ``DamagedDataError`` naming its compressed byte range;
///   reading then goes on at the next offset where a unit starts and checks out. Zero padding
///   after the last unit is accepted; other trailing bytes are a damaged unit.
public final class VerifiedSource: ByteSource {
    /// The largest unit output kept in memory by default, in bytes.
    public static let defaultUnitLimit = 128 << 20
    /// Files up to this many bytes are mapped whole (so gzip members decode whole with ISA-L).
    static let maxMappedBytes: Int64 = 256 << 20

    private let path: String
    private let fileSize: Int64
    private let decoder: UnitDecoder
    private let unitLimit: Int
    private var mapping: UnsafeMutableRawPointer?
    private var out = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var outLen = 0
    private var outPos = 0
    private let scratch: UnsafeMutableRawBufferPointer
    private let inputBuffer: UnsafeMutableRawBufferPointer
    /// The checked unit being decoded a second time as it is read (units over the limit).
    private var serving: UnitCursor?
    /// The cursor that read the last kept unit, reused when the next unit starts where it stopped.
    private var spare: UnitCursor?
    /// Damage to report once the bytes before it have been returned.
    private var pendingDamage: DamagedDataError?
    private var unitStart: Int64 = 0
    private var nextUnit: Int64 = 0
    private var finished = false
    private var lastUnitOutput = 0
    /// Decompressed bytes returned so far.
    private var produced: Int64 = 0

    /// The largest output buffer this source has held, in bytes (at most the unit limit).
    public private(set) var peakBufferBytes = 0

    /// Opens a compressed file.
    /// - Parameters:
    ///   - path: the file.
    ///   - compression: `.gzip` or `.zstd`.
    ///   - unitLimit: the largest unit output kept in memory, in bytes.
    /// - Throws: ``FileError`` when the file cannot be opened.
    public init(path: String, compression: Compression, unitLimit: Int = VerifiedSource.defaultUnitLimit) throws {
        let size = try FileSource.size(path: path)
        var mapping: UnsafeMutableRawPointer?
        if size > 0 && size <= Self.maxMappedBytes {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw FileError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            if let m = mmap(nil, Int(size), PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED {
                _ = madvise(m, Int(size), MADV_SEQUENTIAL)
                mapping = m
            }
        } else if size > 0 {
            _ = try FileSource(path: path)  // fail early when unreadable
        }
        do {
            switch compression {
            case .zstd: decoder = try ZstdUnitDecoder(path: path)
            default: decoder = try GzipUnitDecoder(path: path)
            }
        } catch {
            if let mapping { munmap(mapping, Int(size)) }
            throw error
        }
        self.path = path
        self.unitLimit = max(1 << 16, unitLimit)
        self.fileSize = size
        self.mapping = mapping
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        inputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
    }

    deinit {
        if let mapping { munmap(mapping, Int(fileSize)) }
        if out.baseAddress != nil { BufferPool.give(out) }
        scratch.deallocate()
        inputBuffer.deallocate()
    }

    /// Compressed bytes consumed so far (approximate inside a unit).
    public var rawOffset: Int64 {
        if finished { return fileSize }
        if let serving { return serving.position }
        if outLen > 0 { return unitStart + (nextUnit - unitStart) * Int64(outPos) / Int64(outLen) }
        return nextUnit
    }

    private var mapped: UnsafeRawBufferPointer? {
        mapping.map { UnsafeRawBufferPointer(start: $0, count: Int(fileSize)) }
    }

    /// Returns the next checked bytes.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if buffer.count == 0 { return 0 }
        while true {
            if outPos < outLen {
                let n = min(buffer.count, outLen - outPos)
                buffer.baseAddress!.copyMemory(from: out.baseAddress! + outPos, byteCount: n)
                outPos += n
                produced += Int64(n)
                return n
            }
            if let cursor = serving {
                let (n, state) = try pull(cursor, buffer)
                switch state {
                case .more: break
                case .end: serving = nil
                case .truncated:
                    serving = nil
                    pendingDamage = truncation(offset: produced + Int64(n))
                case .failed(let reason):
                    // The unit checked out a moment ago: the file changed while being read.
                    serving = nil
                    throw DamagedDataError(
                        file: path, unit: decoder.unitName, compressedStart: unitStart, compressedEnd: nextUnit,
                        reason: "\(reason) on the second pass (did the file change?)", decodedNewlines: 0, offset: produced)
                }
                if n > 0 {
                    produced += Int64(n)
                    return n
                }
                continue
            }
            if let damage = pendingDamage {
                pendingDamage = nil
                throw damage
            }
            if finished { return 0 }
            try loadNextUnit()
        }
    }

    // MARK: - Units

    /// Decodes and checks the unit at `nextUnit`: into the buffer when it fits, else only
    /// checks it and sets up a second pass. Throws the damage when it does not check out.
    private func loadNextUnit() throws {
        let at = nextUnit
        outLen = 0
        outPos = 0
        if try at >= fileSize || isZeroPadding(from: at) {
            finished = true
            return
        }
        unitStart = at
        if let mapped, tryWholeDecode(mapped, at: at) {
            spare = nil
            return
        }

        // Stream: keep the output while it fits, else check the rest without keeping it (from
        // the start when the size trailer already says it will not fit).
        decoder.reset()
        let cursor = spare?.position == at ? spare! : UnitCursor(source: self, at: at)
        spare = nil
        var keeping = !(try trailerSaysTooLarge(at))
        var newlines = 0
        while true {
            if keeping && outLen == outCapacity {
                if outCapacity >= unitLimit {
                    keeping = false
                    newlines = countNewlines(UnsafeRawBufferPointer(rebasing: out[0..<outLen]))
                } else {
                    grow(to: min(unitLimit, max(1 << 20, outCapacity * 2)), keeping: outLen)
                }
            }
            let target = keeping ? UnsafeMutableRawBufferPointer(rebasing: out[outLen..<outCapacity]) : scratch
            let (n, state) = try pull(cursor, target)
            if keeping {
                outLen += n
            } else {
                newlines += countNewlines(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            }
            switch state {
            case .more:
                continue
            case .end:
                nextUnit = cursor.position
                if keeping {
                    lastUnitOutput = outLen
                    spare = cursor
                    return
                }
                // Checked; too large to keep: decode it again as it is read.
                outLen = 0
                decoder.reset()
                serving = UnitCursor(source: self, at: at)
                return
            case .truncated:
                // Cut short by the end of the file: what decoded without error is passed on
                // (as gzip -d, zcat and Python's gzip do; only the trailer's check is missing),
                // then the error, so the reader drops the line the cut runs through.
                nextUnit = fileSize
                if keeping {
                    pendingDamage = truncation(offset: produced + Int64(outLen))
                } else {
                    outLen = 0
                    decoder.reset()
                    serving = UnitCursor(source: self, at: at)
                }
                return
            case .failed(let reason):
                if keeping { newlines = countNewlines(UnsafeRawBufferPointer(rebasing: out[0..<outLen])) }
                outLen = 0
                let resume = try findNextUnit(after: at)
                nextUnit = resume
                throw DamagedDataError(
                    file: path, unit: decoder.unitName, compressedStart: at, compressedEnd: resume,
                    reason: "\(reason); none of it used", decodedNewlines: newlines, offset: produced)
            }
        }
    }

    /// The error for a unit the file ends inside, whose decoded bytes end at `offset`.
    private func truncation(offset: Int64) -> DamagedDataError {
        DamagedDataError(
            file: path, unit: decoder.unitName, compressedStart: unitStart, compressedEnd: fileSize,
            reason: "truncated: the file ends inside the \(decoder.unitName); its bytes up to the cut were used, unchecked",
            decodedNewlines: 0, offset: offset)
    }

    /// Whether the gzip size trailer at the file's end says a one-member file's output is over
    /// the limit (a hint: a lie costs only a second pass).
    private func trailerSaysTooLarge(_ at: Int64) throws -> Bool {
        guard at == 0, decoder is GzipUnitDecoder, fileSize >= 18 else { return false }
        let tail = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<4])
        guard try readAt(fileSize - 4, into: tail) == 4 else { return false }
        return Int(UInt32(littleEndian: tail.loadUnaligned(as: UInt32.self))) > unitLimit
    }

    /// The fast path for mapped files: the unit decoded whole into a buffer of at most the
    /// unit limit. False when the decoder has no such path, the unit does not fit, or it fails
    /// (the streaming path then checks it again and names the failure).
    private func tryWholeDecode(_ mapped: UnsafeRawBufferPointer, at: Int64) -> Bool {
        let input = UnsafeRawBufferPointer(rebasing: mapped[Int(at)...])
        // The last gzip member's trailer holds its size mod 2^32 (the whole output for a
        // one-member file): a hint for the first allocation, never trusted past the limit.
        var hint = 0
        if at == 0, decoder is GzipUnitDecoder, fileSize >= 18 {
            hint = Int(UInt32(littleEndian: mapped.loadUnaligned(fromByteOffset: Int(fileSize) - 4, as: UInt32.self)))
            if hint > unitLimit { return false }  // too large to keep anyway: stream it
        }
        var capacity = min(unitLimit, max(1 << 20, lastUnitOutput + lastUnitOutput / 4 + 4096, hint + 64))
        while true {
            if outCapacity < capacity { grow(to: capacity, keeping: 0) }
            let window = UnsafeMutableRawBufferPointer(rebasing: out[0..<outCapacity])
            guard let result = decoder.decodeWhole(input, into: window) else { return false }
            switch result {
            case .ok(let read, let written):
                outLen = written
                outPos = 0
                nextUnit = at + Int64(read)
                lastUnitOutput = written
                return true
            case .outputTooSmall:
                if window.count >= unitLimit { return false }
                capacity = min(unitLimit, window.count * 2)
            case .failed:
                return false
            }
        }
    }

    /// The usable part of the output buffer.
    private var outCapacity: Int { min(out.count, unitLimit) }

    /// Replaces the output buffer with one of at least `size` bytes (at most the limit),
    /// keeping its first `keeping` bytes.
    private func grow(to size: Int, keeping: Int) {
        let bigger = BufferPool.take(size, atMost: unitLimit)
        if keeping > 0 { bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: out[0..<keeping])) }
        // The smaller buffer is not pooled: only the one a source ends with is worth reusing.
        if out.baseAddress != nil { out.deallocate() }
        out = bigger
        peakBufferBytes = max(peakBufferBytes, out.count)
    }

    /// Decodes from the cursor into `output` until it is full, the unit ends or fails.
    private func pull(_ cursor: UnitCursor, _ output: UnsafeMutableRawBufferPointer) throws -> (Int, UnitState) {
        var written = 0
        while written < output.count {
            if try cursor.available.isEmpty && !cursor.refill() {
                return (written, .truncated)
            }
            let (r, w, state) = decoder.step(
                cursor.available, UnsafeMutableRawBufferPointer(rebasing: output[written...]))
            cursor.consume(r)
            written += w
            if state != .more { return (written, state) }
            if r == 0 && w == 0 && !cursor.available.isEmpty {
                return (written, .failed("the decoder made no progress"))
            }
        }
        return (written, .more)
    }

    /// Whether every byte from `offset` to the end is zero (padding some writers add).
    private func isZeroPadding(from offset: Int64) throws -> Bool {
        let first = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<1])
        if try readAt(offset, into: first) == 1 && first[0] != 0 { return false }
        let cursor = UnitCursor(source: self, at: offset)
        while try cursor.refill() {
            for b in cursor.available where b != 0 { return false }
            cursor.consume(cursor.available.count)
        }
        return true
    }

    /// The first offset after `offset` where a unit starts and checks out (the file's size when
    /// none does).
    private func findNextUnit(after offset: Int64) throws -> Int64 {
        spare = nil
        var candidate = offset + 1
        let window = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { window.deallocate() }
        while candidate < fileSize {
            let n = try readAt(candidate, into: window)
            if n < 4 { break }
            var found: Int64?
            var i = 0
            while i + 4 <= n {
                if decoder.looksLikeUnitStart(UnsafeRawBufferPointer(rebasing: window[i..<(i + 4)])) {
                    found = candidate + Int64(i)
                    break
                }
                i += 1
            }
            if let at = found {
                if try checks(at) { return at }
                candidate = at + 1
            } else {
                candidate += Int64(n - 3)
            }
        }
        return fileSize
    }

    /// Whether the unit at `offset` decodes to its end and checks out (its output is dropped).
    private func checks(_ offset: Int64) throws -> Bool {
        decoder.reset()
        let cursor = UnitCursor(source: self, at: offset)
        while true {
            let (_, state) = try pull(cursor, scratch)
            switch state {
            case .more: continue
            case .end: return true
            case .failed, .truncated: return false
            }
        }
    }

    /// Reads compressed bytes at `offset` (from the mapping, or with pread).
    fileprivate func readAt(_ offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = Int(min(Int64(buffer.count), max(0, fileSize - offset)))
        if n == 0 { return 0 }
        if let mapping {
            buffer.baseAddress!.copyMemory(from: mapping + Int(offset), byteCount: n)
            return n
        }
        let f = try FileSource(path: path, start: offset, end: offset + Int64(n))
        var got = 0
        while got < n {
            let k = try f.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[got..<n]))
            if k == 0 { break }
            got += k
        }
        return got
    }

    fileprivate var mappedBytes: UnsafeRawBufferPointer? { mapped }
    fileprivate var streamInput: UnsafeMutableRawBufferPointer { inputBuffer }
    fileprivate var filePath: String { path }
    fileprivate var size: Int64 { fileSize }
}

/// Compressed input from an offset: slices of the mapping, or chunks read with pread.
final class UnitCursor {
    private unowned let source: VerifiedSource
    private var file: FileSource?
    /// Offset of the next byte not yet consumed.
    private(set) var position: Int64
    private var chunkEnd: Int64
    /// Bytes read but not consumed yet.
    private(set) var available = UnsafeRawBufferPointer(start: nil, count: 0)

    fileprivate init(source: VerifiedSource, at offset: Int64) {
        self.source = source
        position = offset
        chunkEnd = offset
    }

    /// Marks `count` available bytes as consumed.
    func consume(_ count: Int) {
        available = UnsafeRawBufferPointer(rebasing: available[count...])
        position += Int64(count)
    }

    /// Makes more bytes available; false at the end of the file.
    func refill() throws -> Bool {
        if !available.isEmpty { return true }
        if position >= source.size { return false }
        if let mapped = source.mappedBytes {
            let end = Int(min(source.size, position + (16 << 20)))
            available = UnsafeRawBufferPointer(rebasing: mapped[Int(position)..<end])
            return true
        }
        if file == nil { file = try FileSource(path: source.filePath, start: position) }
        let buffer = source.streamInput
        let n = try file!.read(into: buffer)
        if n == 0 { return false }
        available = UnsafeRawBufferPointer(start: buffer.baseAddress, count: n)
        return true
    }
}

/// Counts `\n` bytes.
func countNewlines(_ bytes: UnsafeRawBufferPointer) -> Int {
    guard var p = bytes.baseAddress else { return 0 }
    var left = bytes.count
    var count = 0
    while left > 0, let nl = memchr(p, 0x0A, left) {
        count += 1
        let step = p.distance(to: UnsafeRawPointer(nl)) + 1
        p += step
        left -= step
    }
    return count
}

// MARK: - Decoders

/// gzip members: ISA-L's inflate for whole members in memory (about 1.25× libdeflate here,
/// `bash bench/gzip_levels.sh`), zlib for streaming; both check the CRC-32 and length in the
/// member's trailer.
final class GzipUnitDecoder: UnitDecoder {
    private var stream = z_stream()
    private let whole: UnsafeMutablePointer<inflate_state>

    init(path: String) throws {
        let rc = czlib_inflateInit2(&stream, 15 + 16)
        if rc != Z_OK { throw FileError(path: path, "zlib inflateInit2 failed (\(rc))") }
        whole = .allocate(capacity: 1)
    }

    deinit {
        inflateEnd(&stream)
        whole.deallocate()
    }

    var unitName: String { "gzip member" }

    func looksLikeUnitStart(_ b: UnsafeRawBufferPointer) -> Bool {
        // Magic, deflate, no reserved flag bits.
        b.count >= 4 && b[0] == 0x1F && b[1] == 0x8B && b[2] == 0x08 && b[3] & 0xE0 == 0
    }

    func decodeWhole(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> WholeUnitResult? {
        guard let inBase = input.baseAddress, let outBase = output.baseAddress,
            input.count <= Int(UInt32.max), output.count <= Int(UInt32.max)
        else { return nil }
        // One member: ISA-L stops after its trailer (CRC-32 and size checked) and leaves the
        // bytes after it unread. Running out of input before the trailer is a damaged member;
        // running out of output, a buffer to grow.
        isal_inflate_init(whole)
        whole.pointee.crc_flag = UInt32(ISAL_GZIP)
        whole.pointee.next_in = UnsafeMutablePointer(mutating: inBase.assumingMemoryBound(to: UInt8.self))
        whole.pointee.avail_in = UInt32(input.count)
        whole.pointee.next_out = outBase.assumingMemoryBound(to: UInt8.self)
        whole.pointee.avail_out = UInt32(output.count)
        let rc = isal_inflate(whole)
        if rc != ISAL_DECOMP_OK { return .failed }
        if whole.pointee.block_state == ISAL_BLOCK_FINISH {
            return .ok(read: input.count - Int(whole.pointee.avail_in), written: Int(whole.pointee.total_out))
        }
        return whole.pointee.avail_out == 0 ? .outputTooSmall : .failed
    }

    func reset() { inflateReset(&stream) }

    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) -> (read: Int, written: Int, state: UnitState) {
        let inCount = min(input.count, Int(UInt32.max))
        let outCount = min(output.count, Int(UInt32.max))
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(inCount)
        stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(outCount)
        let rc = inflate(&stream, Z_NO_FLUSH)
        let read = inCount - Int(stream.avail_in)
        let written = outCount - Int(stream.avail_out)
        switch rc {
        case Z_OK, Z_BUF_ERROR: return (read, written, .more)
        case Z_STREAM_END: return (read, written, .end)
        default:
            let msg = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
            return (read, written, .failed(msg))
        }
    }
}

/// zstd frames (one streaming context; the frame's checksum, when it has one, is checked by
/// libzstd at the frame's end; the window is limited to libzstd's default, 128 MiB).
final class ZstdUnitDecoder: UnitDecoder {
    private let dctx: OpaquePointer

    init(path: String) throws {
        guard let d = ZSTD_createDCtx() else { throw FileError(path: path, "ZSTD_createDCtx failed") }
        dctx = d
    }

    deinit { ZSTD_freeDCtx(dctx) }

    var unitName: String { "zstd frame" }

    func looksLikeUnitStart(_ b: UnsafeRawBufferPointer) -> Bool {
        b.count >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD
    }

    func decodeWhole(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> WholeUnitResult? { nil }

    func reset() { _ = ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only) }

    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) -> (read: Int, written: Int, state: UnitState) {
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var outBuf = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let rc = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
        if ZSTD_isError(rc) != 0 {
            return (inBuf.pos, outBuf.pos, .failed(String(cString: ZSTD_getErrorName(rc))))
        }
        return (inBuf.pos, outBuf.pos, rc == 0 ? .end : .more)
    }
}
