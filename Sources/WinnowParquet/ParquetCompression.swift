internal import CDeflate
internal import CLZ4
internal import CSnappy
internal import CZstd

/// Page compression and decompression for the codecs Winnow reads and writes.
enum PageCompression {
    /// Decompresses `input` (a page body) into exactly `expected` bytes appended to `out`.
    static func decompress(
        _ input: UnsafeRawBufferPointer, codec: Int, expected: Int, into out: inout [UInt8]
    ) throws(PageError) {
        guard let c = ParquetCodec(rawValue: codec) else { throw PageError("unknown compression codec \(codec)") }
        if c == .uncompressed {
            guard input.count == expected else {
                throw PageError("uncompressed page holds \(input.count) bytes, its header says \(expected)")
            }
            out.append(contentsOf: input)
            return
        }
        // A damaged header must not make the reader allocate gigabytes: no codec here expands
        // data more than about 1:1000 in practice, and snappy states its length up front.
        guard expected <= max(1 << 20, input.count * 4096) else {
            throw PageError("the page header claims \(expected) bytes from \(input.count) compressed bytes")
        }
        if c == .snappy {
            var len = 0
            if snappy_uncompressed_length(input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count, &len) != SNAPPY_OK {
                throw PageError("snappy data is damaged (no valid length)")
            }
            if len != expected { throw PageError("snappy data decompresses to \(len) bytes, the page header says \(expected)") }
        }
        var failure: String?
        let decoded = [UInt8](unsafeUninitializedCapacity: expected) { buffer, initialized in
            initialized = expected
            let dst = UnsafeMutableRawBufferPointer(buffer)
            switch c {
            case .snappy:
                var n = dst.count
                let rc = snappy_uncompress(
                    input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count,
                    dst.baseAddress?.assumingMemoryBound(to: CChar.self), &n)
                if rc != SNAPPY_OK {
                    var len = 0
                    let ok = snappy_uncompressed_length(input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count, &len)
                    failure =
                        ok == SNAPPY_OK && len != expected
                        ? "snappy data decompresses to \(len) bytes, the page header says \(expected)"
                        : "snappy data is damaged"
                } else if n != expected {
                    failure = "snappy data decompresses to \(n) bytes, the page header says \(expected)"
                }
            case .zstd:
                let n = ZSTD_decompress(dst.baseAddress, dst.count, input.baseAddress, input.count)
                if ZSTD_isError(n) != 0 {
                    failure = "zstd: \(String(cString: ZSTD_getErrorName(n)))"
                } else if n != expected {
                    failure = "zstd data decompresses to \(n) bytes, the page header says \(expected)"
                }
            case .gzip:
                guard let d = libdeflate_alloc_decompressor() else {
                    failure = "libdeflate_alloc_decompressor failed"
                    return
                }
                defer { libdeflate_free_decompressor(d) }
                var n = 0
                var rc = libdeflate_gzip_decompress(d, input.baseAddress, input.count, dst.baseAddress, dst.count, &n)
                if rc == LIBDEFLATE_BAD_DATA {
                    rc = libdeflate_zlib_decompress(d, input.baseAddress, input.count, dst.baseAddress, dst.count, &n)
                }
                if rc != LIBDEFLATE_SUCCESS {
                    failure = rc == LIBDEFLATE_INSUFFICIENT_SPACE ? "gzip data decompresses to more than \(expected) bytes" : "gzip data is damaged"
                } else if n != expected {
                    failure = "gzip data decompresses to \(n) bytes, the page header says \(expected)"
                }
            case .lz4Raw:
                let n = LZ4_decompress_safe(
                    input.baseAddress?.assumingMemoryBound(to: CChar.self), dst.baseAddress?.assumingMemoryBound(to: CChar.self),
                    Int32(clamping: input.count), Int32(clamping: dst.count))
                if n < 0 {
                    failure = "LZ4 data is damaged"
                } else if Int(n) != expected {
                    failure = "LZ4 data decompresses to \(n) bytes, the page header says \(expected)"
                }
            case .lz4:
                failure = "codec LZ4 (the deprecated Hadoop framing) is not supported: rewrite the file with LZ4_RAW, ZSTD or SNAPPY"
            case .lzo, .brotli:
                failure = "codec \(c) is not supported (Winnow reads UNCOMPRESSED, SNAPPY, GZIP, ZSTD and LZ4_RAW)"
            case .uncompressed:
                break
            }
        }
        if let failure { throw PageError(failure) }
        if out.isEmpty { out = decoded } else { out.append(contentsOf: decoded) }
    }

    /// Compresses `input` with `codec` (UNCOMPRESSED, SNAPPY, GZIP or ZSTD).
    static func compress(_ input: [UInt8], codec: ParquetCodec, level: Int?) throws(PageError) -> [UInt8] {
        var failure: String?
        var out: [UInt8] = []
        input.withUnsafeBytes { src in
            switch codec {
            case .uncompressed:
                out = input
            case .snappy:
                var n = snappy_max_compressed_length(src.count)
                out = [UInt8](repeating: 0, count: n)
                let rc = out.withUnsafeMutableBytes { d in
                    snappy_compress(
                        src.baseAddress?.assumingMemoryBound(to: CChar.self), src.count, d.baseAddress?.assumingMemoryBound(to: CChar.self), &n)
                }
                if rc != SNAPPY_OK { failure = "snappy compression failed" }
                out.removeSubrange(n...)
            case .zstd:
                let bound = ZSTD_compressBound(src.count)
                out = [UInt8](repeating: 0, count: bound)
                let n = out.withUnsafeMutableBytes { d in
                    ZSTD_compress(d.baseAddress, d.count, src.baseAddress, src.count, Int32(level ?? 3))
                }
                if ZSTD_isError(n) != 0 {
                    failure = "zstd: \(String(cString: ZSTD_getErrorName(n)))"
                    return
                }
                out.removeSubrange(n...)
            case .gzip:
                guard let c = libdeflate_alloc_compressor(Int32(level ?? 6)) else {
                    failure = "libdeflate_alloc_compressor failed"
                    return
                }
                defer { libdeflate_free_compressor(c) }
                out = [UInt8](repeating: 0, count: libdeflate_gzip_compress_bound(c, src.count))
                let n = out.withUnsafeMutableBytes { d in libdeflate_gzip_compress(c, src.baseAddress, src.count, d.baseAddress, d.count) }
                if n == 0 { failure = "gzip compression failed" }
                out.removeSubrange(n...)
            default:
                failure = "codec \(codec) cannot be written"
            }
        }
        if let failure { throw PageError(failure) }
        return out
    }
}
