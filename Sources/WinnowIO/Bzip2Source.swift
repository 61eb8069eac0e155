internal import CBzip2
import WinnowCore

/// Streaming bzip2 decompression (libbz2), including files of several concatenated streams
/// (Wikipedia's "multistream" dumps, pbzip2 output).
///
/// A stream that ends inside a compressed stream is reported as truncated, with the compressed
/// byte offset; corrupt data likewise.
public final class Bzip2Source: ByteSource {
    private let source: ByteSource
    private let path: String
    private var stream = bz_stream()
    private var input: UnsafeMutableRawBufferPointer
    private var inputEOF = false
    private var finished = false
    private var open = false
    private var inStream = false
    private var consumed: Int64 = 0
    private var pendingError: InputError?

    /// Wraps a compressed source.
    public init(_ source: ByteSource, path: String) throws {
        self.source = source
        self.path = path
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        try start()
    }

    deinit {
        if open { BZ2_bzDecompressEnd(&stream) }
        input.deallocate()
    }

    private func start() throws {
        // A new stream after the previous one ended: keep where input and output stand.
        let nextIn = stream.next_in
        let availIn = stream.avail_in
        let nextOut = stream.next_out
        let availOut = stream.avail_out
        stream = bz_stream()
        let rc = BZ2_bzDecompressInit(&stream, 0, 0)
        if rc != BZ_OK { throw FileError(path: path, "BZ2_bzDecompressInit failed (\(rc))") }
        stream.next_in = nextIn
        stream.avail_in = availIn
        stream.next_out = nextOut
        stream.avail_out = availOut
        open = true
    }

    /// Compressed bytes consumed so far.
    public var rawOffset: Int64 { consumed }

    /// Decompresses the next chunk. Bytes decoded before a truncation or corruption come
    /// first; the error with the next call.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let e = pendingError {
            pendingError = nil
            finished = true
            throw e
        }
        if finished || buffer.count == 0 { return 0 }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        let want = Int(stream.avail_out)
        var failure: InputError?
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEOF {
                let n = try source.read(into: input)
                if n == 0 {
                    inputEOF = true
                } else {
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: CChar.self)
                    stream.avail_in = UInt32(n)
                }
            }
            if stream.avail_in == 0 && inputEOF {
                if inStream {
                    failure = InputError(
                        "truncated bzip2 stream: input ends inside a compressed stream",
                        at: SourceLocation(file: path, byteOffset: consumed))
                }
                finished = true
                break
            }
            if !inStream && !open { try start() }
            let before = stream.avail_in
            let rc = BZ2_bzDecompress(&stream)
            consumed += Int64(before - stream.avail_in)
            inStream = true
            if rc == BZ_OK { continue }
            if rc == BZ_STREAM_END {
                // Another stream may follow.
                inStream = false
                BZ2_bzDecompressEnd(&stream)
                open = false
                continue
            }
            failure = InputError(
                "corrupt bzip2 data (libbz2 error \(rc))", at: SourceLocation(file: path, byteOffset: consumed))
            finished = true
            break
        }
        let produced = want - Int(stream.avail_out)
        if let failure {
            if produced > 0 {
                pendingError = failure
                return produced
            }
            throw failure
        }
        return produced
    }
}

/// Opens a file for reading, decompressing bzip2 (by the `.bz2` name or the `BZh` magic) as
/// well as everything ``openByteSource(path:compression:)`` handles.
public func openByteSourceWithBzip2(path: String) throws -> ByteSource {
    let magic = (try? FileSource.peek(path: path, count: 3)) ?? []
    if path.hasSuffix(".bz2") || magic == [0x42, 0x5A, 0x68] {
        return try Bzip2Source(try FileSource(path: path), path: path)
    }
    return try openByteSource(path: path)
}
