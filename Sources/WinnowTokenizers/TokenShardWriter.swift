#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO

/// The binary token formats trainers read.
public enum TokenShardFormat: String, Sendable, CaseIterable {
    /// Only `metadata.token_count`; no shards.
    case none
    /// Megatron-LM's indexed dataset: `<prefix>.bin` (tokens) and `<prefix>.idx` (`MMIDIDX`
    /// header, sequence lengths and byte offsets, document indices), read by megatron-core's
    /// `IndexedDataset(<prefix>)`.
    case megatron
    /// datatrove/nanotron's tokenized files: `<prefix>.ds` (tokens), `<prefix>.ds.index`
    /// (uint64 document ends, in tokens) and `<prefix>.ds.metadata`.
    case datatrove
    /// Both.
    case both
}

/// The width of a token id in a shard.
public enum TokenDType: String, Sendable, CaseIterable {
    /// 2 bytes: vocabularies up to 65,536 ids.
    case uint16
    /// 4 bytes (Megatron writes it as int32, its dtype code 4: ids below 2^31).
    case uint32

    /// Bytes per token.
    public var size: Int { self == .uint16 ? 2 : 4 }
    /// megatron-core's `DType` code: uint16 = 8, int32 = 4.
    var megatronCode: UInt8 { self == .uint16 ? 8 : 4 }
}

/// Writes documents' token ids, one document at a time in the order given, into Megatron and/or
/// datatrove files (each through an atomic writer: the final names appear only on ``finish()``).
final class TokenShardWriter {
    private let format: TokenShardFormat
    private let dtype: TokenDType
    private let prefix: String
    private let tokenizerName: String
    private var bin: AtomicFileWriter?
    private var ds: AtomicFileWriter?
    private var lengths: [Int32] = []
    private var ends: [UInt64] = []
    private var total: UInt64 = 0
    private var scratch: [UInt8] = []

    /// Opens the files `<prefix>.bin`/`.idx` and/or `<prefix>.ds`/`.ds.index`/`.ds.metadata`.
    init(prefix: String, format: TokenShardFormat, dtype: TokenDType, tokenizerName: String) throws {
        self.format = format
        self.dtype = dtype
        self.prefix = prefix
        self.tokenizerName = tokenizerName
        if format == .megatron || format == .both { bin = try AtomicFileWriter(path: prefix + ".bin") }
        if format == .datatrove || format == .both { ds = try AtomicFileWriter(path: prefix + ".ds") }
    }

    /// Appends one document's ids.
    /// - Throws: ``FileError`` when an id does not fit the dtype, or a write fails.
    func append(_ ids: UnsafeBufferPointer<UInt32>) throws {
        scratch.removeAll(keepingCapacity: true)
        scratch.reserveCapacity(ids.count * dtype.size)
        switch dtype {
        case .uint16:
            for id in ids {
                guard id <= 0xFFFF else { throw FileError(path: prefix, "token id \(id) does not fit uint16 (use dtype: uint32)") }
                scratch.append(UInt8(truncatingIfNeeded: id))
                scratch.append(UInt8(truncatingIfNeeded: id >> 8))
            }
        case .uint32:
            for id in ids {
                if bin != nil, id > UInt32(Int32.max) { throw FileError(path: prefix, "token id \(id) does not fit Megatron's int32") }
                withUnsafeBytes(of: id.littleEndian) { scratch.append(contentsOf: $0) }
            }
        }
        try scratch.withUnsafeBytes { raw in
            try bin?.write(raw)
            try ds?.write(raw)
        }
        guard ids.count <= Int(Int32.max) else { throw FileError(path: prefix, "a document of \(ids.count) tokens is too long for Megatron's int32 lengths") }
        lengths.append(Int32(ids.count))
        total += UInt64(ids.count)
        ends.append(total)
    }

    /// Writes the index files and renames everything to its final name.
    func finish() throws {
        if let bin {
            try bin.commit()
            let idx = try AtomicFileWriter(path: prefix + ".idx")
            var header: [UInt8] = Array("MMIDIDX".utf8) + [0, 0]
            func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
            u64(1)  // version
            header.append(dtype.megatronCode)
            u64(UInt64(lengths.count))  // sequences
            u64(UInt64(lengths.count + 1))  // document indices
            try header.withUnsafeBytes { try idx.write($0) }
            try lengths.map(\.littleEndian).withUnsafeBytes { try idx.write($0) }
            var pointers = [Int64]()
            pointers.reserveCapacity(lengths.count)
            var offset: Int64 = 0
            for n in lengths {
                pointers.append(offset.littleEndian)
                offset += Int64(n) * Int64(dtype.size)
            }
            try pointers.withUnsafeBytes { try idx.write($0) }
            let documents = (0 ... Int64(lengths.count)).map(\.littleEndian)
            try documents.withUnsafeBytes { try idx.write($0) }
            try idx.commit()
        }
        if let ds {
            try ds.commit()
            let index = try AtomicFileWriter(path: prefix + ".ds.index")
            try ends.map(\.littleEndian).withUnsafeBytes { try index.write($0) }
            try index.commit()
            let metadata = try AtomicFileWriter(path: prefix + ".ds.metadata")
            let text = "\(tokenizerName)|\(dtype.size)\n\(total)\n"
            try Array(text.utf8).withUnsafeBytes { try metadata.write($0) }
            try metadata.commit()
        }
    }
}

/// Reads back ranges of a per-shard `UInt32` token file (positional reads, no whole-file load).
final class TokenFileReader {
    private let fd: Int32
    private let path: String

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// `count` ids starting at id `start`.
    func read(start: Int, count: Int, into buffer: inout [UInt32]) throws {
        buffer = [UInt32](repeating: 0, count: count)
        let bytes = count * 4
        var done = 0
        try buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            while done < bytes {
                let n = pread(fd, base + done, bytes - done, off_t(start * 4 + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FileError(path: path, "truncated token file (rerun without --resume)") }
                done += n
            }
        }
    }
}
