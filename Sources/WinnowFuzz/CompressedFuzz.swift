import WinnowCore
import WinnowIO

/// A byte source over memory that hands out its bytes in uneven pieces (1 byte, a few bytes,
/// a few KiB, chosen from a seed), so that decompressors see their input split at every kind
/// of boundary.
final class ChunkedMemorySource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0
    private var state: UInt64

    init(_ bytes: [UInt8], seed: UInt64) {
        self.bytes = bytes
        state = seed | 1
    }

    var rawOffset: Int64 { Int64(position) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let sizes = [1, 2, 3, 7, 64, 511, 4096, 65536]
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let want = min(buffer.count, sizes[Int(state >> 61)], bytes.count - position)
        guard want > 0, let base = buffer.baseAddress else { return 0 }
        bytes.withUnsafeBytes { src in
            if let from = src.baseAddress { base.copyMemory(from: from + position, byteCount: want) }
        }
        position += want
        return want
    }
}

/// A hash of a byte stream that does not depend on how the stream was cut into reads:
/// bytes are regrouped into 64 KiB blocks before hashing.
struct BlockHasher: Equatable {
    private var pending: [UInt8] = []
    private var value: UInt64 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        pending.append(contentsOf: bytes)
        while pending.count >= 1 << 16 {
            value = pending.withUnsafeBytes { StableHash.xxh64(UnsafeRawBufferPointer(rebasing: $0[0..<(1 << 16)]), seed: value) }
            pending.removeFirst(1 << 16)
        }
    }

    /// The hash of everything fed so far.
    var digest: UInt64 { pending.withUnsafeBytes { StableHash.xxh64($0, seed: value) } }

    static func == (a: BlockHasher, b: BlockHasher) -> Bool { a.digest == b.digest }
}

/// The decoded bytes of a source (up to ``FuzzLimits/decodedBytes``) and how it ended.
struct DecodedStream: Equatable {
    var checksum = BlockHasher()
    var count: Int64 = 0
    var error: String?
    var capped = false
}

/// Reads `source` to its end (or the cap), with output buffers of changing sizes.
func decodeAll(_ source: ByteSource, seed: UInt64) -> DecodedStream {
    var result = DecodedStream()
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var state = seed | 1
    while true {
        if result.count >= FuzzLimits.decodedBytes {
            result.capped = true
            return result
        }
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let want = [1, 13, 4096, 65536][Int(state >> 62)]
        do {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            if n == 0 { return result }
            if n < 0 || n > want {
                result.error = "read returned \(n) for a buffer of \(want) bytes"
                return result
            }
            buffer.withUnsafeBytes { result.checksum.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            result.count += Int64(n)
        } catch {
            result.error = "\(error)"
            return result
        }
    }
}

extension FuzzTargets {
    /// The gzip, zstd and bzip2 byte sources.
    ///
    /// The input is a compressed file (the format comes from its magic bytes, as for real
    /// files). Invariant: the file path (``openByteSourceWithBzip2(path:)``: whole-file
    /// libdeflate or streaming zlib, zstd, bzip2) and the streaming decoder fed the same bytes in
    /// uneven pieces agree: both fail, or both succeed with the same bytes. One that accepts
    /// what the other rejects lets corrupt data through (or loses good data).
    public static let compressed = FuzzTarget(
        name: "compressed", summary: "gzip (libdeflate whole-file and zlib streaming), zstd and bzip2 byte sources",
        maxLength: 64 << 10
    ) { bytes in
        let data = Array(bytes)
        let seed = StableHash.xxh64(bytes)
        let kind: String
        if data.starts(with: [0x42, 0x5A, 0x68]) {
            kind = "bzip2"
        } else {
            switch Compression.fromMagic(Array(data.prefix(4))) {
            case .gzip?: kind = "gzip"
            case .zstd?: kind = "zstd"
            default: kind = "none"
            }
        }
        let viaFile: DecodedStream? = ScratchFile.with(bytes, suffix: ".bin") { path in
            do {
                return decodeAll(try openByteSourceWithBzip2(path: path), seed: seed)
            } catch {
                return DecodedStream(error: "\(error)")
            }
        }
        guard let viaFile, kind != "none" else { return nil }
        let memory = ChunkedMemorySource(data, seed: seed)
        let streamed: DecodedStream
        do {
            let source: ByteSource
            switch kind {
            case "gzip": source = try GzipSource(memory, path: "fuzz.gz", bufferSize: 1 + Int(seed % 97))
            case "zstd": source = try ZstdSource(memory, path: "fuzz.zst")
            default: source = try Bzip2Source(memory, path: "fuzz.bz2")
            }
            streamed = decodeAll(source, seed: seed >> 7)
        } catch {
            streamed = DecodedStream(error: "\(error)")
        }
        if viaFile.capped || streamed.capped { return nil }
        let fileOK = viaFile.error == nil
        let streamOK = streamed.error == nil
        if fileOK != streamOK {
            return FuzzFinding(
                "compressed",
                "\(kind): reading the file \(fileOK ? "succeeds" : "fails (\(viaFile.error ?? ""))") with \(viaFile.count) bytes, "
                    + "streaming in pieces \(streamOK ? "succeeds" : "fails (\(streamed.error ?? ""))") with \(streamed.count) bytes")
        }
        if fileOK && (viaFile.count != streamed.count || viaFile.checksum != streamed.checksum) {
            return FuzzFinding(
                "compressed", "\(kind): the file decodes to \(viaFile.count) bytes, the stream in pieces to \(streamed.count) different bytes")
        }
        return nil
    }
}
