/// Parquet's value and level encodings: RLE/bit-packed hybrid, DELTA_BINARY_PACKED and the
/// byte-array variants, decoding and (for the writer) encoding.
enum ParquetEncoding {
    /// Encoding ids (the `Encoding` enum of parquet.thrift).
    static let plain = 0
    static let plainDictionary = 2
    static let rle = 3
    static let bitPacked = 4
    static let deltaBinaryPacked = 5
    static let deltaLengthByteArray = 6
    static let deltaByteArray = 7
    static let rleDictionary = 8
    static let byteStreamSplit = 9

    static func name(_ e: Int) -> String {
        switch e {
        case 0: return "PLAIN"
        case 2: return "PLAIN_DICTIONARY"
        case 3: return "RLE"
        case 4: return "BIT_PACKED"
        case 5: return "DELTA_BINARY_PACKED"
        case 6: return "DELTA_LENGTH_BYTE_ARRAY"
        case 7: return "DELTA_BYTE_ARRAY"
        case 8: return "RLE_DICTIONARY"
        case 9: return "BYTE_STREAM_SPLIT"
        default: return "encoding \(e)"
        }
    }

    // MARK: - Varints

    static func varint(_ b: UnsafeRawBufferPointer, _ pos: inout Int) throws(PageError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < b.count else { throw PageError("varint runs past the end of the page") }
            let c = b[pos]
            pos += 1
            if shift >= 64 { throw PageError("varint longer than 10 bytes") }
            result |= UInt64(c & 0x7F) << shift
            if c & 0x80 == 0 { return result }
            shift += 7
        }
    }

    static func zigzag(_ b: UnsafeRawBufferPointer, _ pos: inout Int) throws(PageError) -> Int64 {
        let v = try varint(b, &pos)
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    // MARK: - Bit unpacking

    /// Unpacks `count` values of `width` bits (LSB first) starting at byte `pos`, calling
    /// `each` with every value. The bytes must hold `ceil(count * width / 8)`.
    @inline(__always)
    static func unpack(
        _ b: UnsafeRawBufferPointer, at pos: Int, width: Int, count: Int, _ each: (UInt64) -> Void
    ) {
        if width == 0 {
            for _ in 0..<count { each(0) }
            return
        }
        let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        let end = b.count
        for i in 0..<count {
            let bit = i * width
            let byte = pos + bit >> 3
            let shift = UInt64(bit & 7)
            if width <= 56 && byte + 8 <= end {
                let w = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
                each((w >> shift) & mask)
            } else {
                var v: UInt64 = 0
                var got = 0
                var p = byte
                var s = Int(shift)
                while got < width && p < end {
                    let take = min(8 - s, width - got)
                    v |= (UInt64(b[p] >> UInt8(s)) & ((1 << UInt64(take)) - 1)) << UInt64(got)
                    got += take
                    s = 0
                    p += 1
                }
                each(v)
            }
        }
    }

    // MARK: - RLE / bit-packed hybrid

    /// Decodes `count` values of the hybrid encoding (no length prefix) into `out` (appended).
    static func decodeHybrid(
        _ b: UnsafeRawBufferPointer, width: Int, count: Int, into out: inout [UInt32]
    ) throws(PageError) {
        guard width >= 0 && width <= 32 else { throw PageError("bit width \(width) out of range") }
        var pos = 0
        var left = count
        out.reserveCapacity(out.count + count)
        let byteWidth = (width + 7) / 8
        while left > 0 {
            let header = try varint(b, &pos)
            if header & 1 == 0 {
                let run = Int(min(header >> 1, UInt64(left)))
                guard pos + byteWidth <= b.count else { throw PageError("RLE run runs past the end of its data") }
                var v: UInt32 = 0
                for k in 0..<byteWidth { v |= UInt32(b[pos + k]) << UInt32(8 * k) }
                pos += byteWidth
                if run == 0 { continue }
                out.append(contentsOf: repeatElement(v, count: run))
                left -= run
            } else {
                let groups = Int(min(header >> 1, UInt64(b.count)))
                let n = min(groups * 8, left)
                let bytes = groups * width
                guard pos + (n * width + 7) / 8 <= b.count else { throw PageError("bit-packed run runs past the end of its data") }
                unpack(b, at: pos, width: width, count: n) { out.append(UInt32(truncatingIfNeeded: $0)) }
                pos += min(bytes, b.count - pos)
                left -= n
            }
        }
    }

    // MARK: - DELTA_BINARY_PACKED

    /// Decodes DELTA_BINARY_PACKED values from `b` starting at `pos` (advanced past them).
    static func decodeDeltaBinaryPacked(
        _ b: UnsafeRawBufferPointer, _ pos: inout Int, into out: inout [Int64]
    ) throws(PageError) {
        let blockSize = try varint(b, &pos)
        let miniblocks = try varint(b, &pos)
        let total = try varint(b, &pos)
        var last = try zigzag(b, &pos)
        guard blockSize > 0, blockSize % 128 == 0, miniblocks > 0, miniblocks <= blockSize, blockSize % miniblocks == 0,
            (blockSize / miniblocks) % 32 == 0
        else { throw PageError("DELTA_BINARY_PACKED header: block size \(blockSize), \(miniblocks) miniblocks") }
        guard total <= UInt64(b.count) * 64 + 1 else { throw PageError("DELTA_BINARY_PACKED claims \(total) values") }
        let perMini = Int(blockSize / miniblocks)
        let target = out.count + Int(total)
        out.reserveCapacity(target)
        if total == 0 { return }
        out.append(last)
        while out.count < target {
            let minDelta = try zigzag(b, &pos)
            let m = Int(miniblocks)
            guard pos + m <= b.count else { throw PageError("DELTA_BINARY_PACKED block runs past the end of the page") }
            let widthsAt = pos
            pos += m
            for k in 0..<m {
                if out.count >= target { break }
                let width = Int(b[widthsAt + k])
                guard width <= 64 else { throw PageError("DELTA_BINARY_PACKED bit width \(width)") }
                let bytes = perMini * width / 8
                let n = min(perMini, target - out.count)
                guard pos + (n * width + 7) / 8 <= b.count else {
                    throw PageError("DELTA_BINARY_PACKED miniblock runs past the end of the page")
                }
                unpack(b, at: pos, width: width, count: n) { d in
                    last = last &+ minDelta &+ Int64(bitPattern: d)
                    out.append(last)
                }
                pos += min(bytes, b.count - pos)
            }
        }
    }

    // MARK: - Encoders (writer)

    /// Encodes values with the hybrid encoding (RLE runs for repeats of 8 or more, bit-packed
    /// groups otherwise), without a length prefix.
    static func encodeHybrid(_ values: [UInt32], width: Int, into out: inout [UInt8]) {
        let byteWidth = (width + 7) / 8
        var i = 0
        let n = values.count
        var pending: [UInt32] = []  // values waiting for a bit-packed run (multiple of 8 when flushed mid-stream)
        func appendVarint(_ v: UInt64) {
            var v = v
            while v >= 0x80 {
                out.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            out.append(UInt8(v))
        }
        func flushPacked() {
            if pending.isEmpty { return }
            let groups = (pending.count + 7) / 8
            while pending.count < groups * 8 { pending.append(0) }
            appendVarint(UInt64(groups) << 1 | 1)
            var acc: UInt64 = 0
            var bits = 0
            for v in pending {
                acc |= UInt64(v) << UInt64(bits)
                bits += width
                while bits >= 8 {
                    out.append(UInt8(truncatingIfNeeded: acc))
                    acc >>= 8
                    bits -= 8
                }
            }
            if bits > 0 { out.append(UInt8(truncatingIfNeeded: acc)) }
            pending.removeAll(keepingCapacity: true)
        }
        while i < n {
            var j = i + 1
            while j < n && values[j] == values[i] { j += 1 }
            let run = j - i
            // A run is written as RLE when long enough and when the pending packed values end
            // on a group boundary (a bit-packed run can only be padded at the very end).
            if run >= 8 && pending.count % 8 == 0 {
                flushPacked()
                appendVarint(UInt64(run) << 1)
                for k in 0..<byteWidth { out.append(UInt8(truncatingIfNeeded: values[i] >> UInt32(8 * k))) }
                i = j
            } else if run >= 8 {
                // Fill the pending group to a multiple of 8 with values of this run, then loop.
                let fill = 8 - pending.count % 8
                for _ in 0..<fill { pending.append(values[i]) }
                i += fill
            } else {
                pending.append(values[i])
                i += 1
                if pending.count >= 504 && pending.count % 8 == 0 { flushPacked() }
            }
        }
        flushPacked()
    }

    /// Bits needed for values up to `maxValue`.
    static func bitWidth(_ maxValue: UInt64) -> Int {
        maxValue == 0 ? 0 : 64 - maxValue.leadingZeroBitCount
    }
}
