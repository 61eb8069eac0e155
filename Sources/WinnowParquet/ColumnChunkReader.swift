/// One value of a row, as a column chunk reader returns it.
enum CellValue {
    case null
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    /// An unsigned 64-bit integer above Int64's range, as decimal text.
    case number(String)
    /// A string value that is not valid UTF-8 (its bytes, kept for the error record).
    case invalidUTF8([UInt8])
}

/// The values of one decoded page (non-null values only).
enum PageValues {
    /// Byte arrays: value k is `buffer[spans[2k]..<spans[2k+1]]`.
    case bytes(buffer: [UInt8], spans: [Int])
    /// Indices into the chunk's byte-array dictionary.
    case dictionary([UInt32])
    case ints([Int64])
    case doubles([Double])
    case bools([Bool])

    var count: Int {
        switch self {
        case .bytes(_, let s): return s.count / 2
        case .dictionary(let d): return d.count
        case .ints(let v): return v.count
        case .doubles(let v): return v.count
        case .bools(let v): return v.count
        }
    }
}

/// Reads one column chunk page by page and hands out its values row by row (flat columns:
/// one level per row).
final class ColumnChunkReader {
    let file: ParquetFile
    let column: ParquetColumn
    let kind: ParquetValueKind
    let chunk: ColumnChunkInfo
    private(set) var pos: Int64
    let end: Int64
    /// Uncompressed page bytes decoded so far.
    private(set) var decodedBytes: Int64 = 0
    /// Offset of the page being read (for errors).
    private(set) var pageOffset: Int64
    private var dictionary: PageValues?
    private var dictionaryStrings: [CellValue?] = []
    private var values: PageValues = .ints([])
    private var defs: [UInt32] = []
    private var hasDefs = false
    private var pageRows = 0
    private var rowInPage = 0
    private var valueInPage = 0
    private var raw: [UInt8] = []
    private var body: [UInt8] = []

    init(file: ParquetFile, column: ParquetColumn, kind: ParquetValueKind, chunk: ColumnChunkInfo) {
        self.file = file
        self.column = column
        self.kind = kind
        self.chunk = chunk
        pos = chunk.start
        end = chunk.start + chunk.totalCompressedSize
        pageOffset = chunk.start
    }

    /// The next row's value.
    func next() throws -> CellValue {
        while rowInPage >= pageRows { try loadPage() }
        let row = rowInPage
        rowInPage += 1
        if hasDefs && defs[row] == 0 { return .null }
        let k = valueInPage
        valueInPage += 1
        guard k < values.count else { throw PageError("the page has fewer values than non-null levels") }
        switch values {
        case .bytes(let buffer, let spans):
            return Self.string(buffer, spans[2 * k], spans[2 * k + 1])
        case .dictionary(let idx):
            let i = Int(idx[k])
            if let s = dictionaryStrings[i] { return s }
            guard case .bytes(let buffer, let spans) = dictionary else { throw PageError("dictionary missing") }
            let s = Self.string(buffer, spans[2 * i], spans[2 * i + 1])
            dictionaryStrings[i] = s
            return s
        case .ints(let v):
            let x = v[k]
            switch kind {
            case .uint32: return .int(Int64(UInt32(truncatingIfNeeded: x)))
            case .uint64 where x < 0: return .number(String(UInt64(bitPattern: x)))
            default: return .int(x)
            }
        case .doubles(let v): return .double(v[k])
        case .bools(let v): return .bool(v[k])
        }
    }

    @inline(__always)
    private static func string(_ buffer: [UInt8], _ s: Int, _ e: Int) -> CellValue {
        buffer.withUnsafeBufferPointer { b in
            let slice = UnsafeBufferPointer(rebasing: b[s..<e])
            if let str = String(validating: slice, as: UTF8.self) { return .string(str) }
            return .invalidUTF8(Array(slice))
        }
    }

    // MARK: - Pages

    private func loadPage() throws {
        while true {
            guard pos < end else { throw PageError("the column chunk ends before the row group's last row") }
            pageOffset = pos
            // The header: read a little, more if the Thrift struct is cut.
            var want = Int(min(end - pos, 256))
            var header: Thrift
            var headerLength: Int
            while true {
                try file.read(offset: pos, count: want, into: &raw)
                do {
                    (header, headerLength) = try raw.withUnsafeBytes { b throws in
                        var d = ThriftDecoder(b)
                        let h = try d.structure()
                        return (h, d.pos)
                    }
                    break
                } catch let error as ThriftError {
                    if error.truncated && Int64(want) < end - pos {
                        want = Int(min(end - pos, Int64(want) * 4))
                        continue
                    }
                    throw PageError("damaged page header: \(error.message)")
                }
            }
            guard let type = header[1]?.int, let unc = header[2]?.int, let comp = header[3]?.int, unc >= 0, comp >= 0,
                unc <= Int64(Int32.max), comp <= end - pos - Int64(headerLength)
            else {
                throw PageError("damaged page header (sizes missing or past the end of the column chunk)")
            }
            let bodyOffset = pos + Int64(headerLength)
            pos = bodyOffset + comp
            switch type {
            case 2:
                guard let dh = header[7], let n = dh[1]?.int, n >= 0 else { throw PageError("dictionary page without its header") }
                try file.read(offset: bodyOffset, count: Int(comp), into: &raw)
                body.removeAll(keepingCapacity: true)
                try raw.withUnsafeBytes { b throws in
                    try PageCompression.decompress(b, codec: chunk.codec, expected: Int(unc), into: &body)
                }
                decodedBytes += unc
                let dict = try body.withUnsafeBytes { b throws in try decodePlain(b, count: Int(n), buffer: body) }
                dictionary = dict
                dictionaryStrings = [CellValue?](repeating: nil, count: dict.count)
            case 0:
                guard let dh = header[5], let n = dh[1]?.int, n >= 0, let enc = dh[2]?.int else {
                    throw PageError("data page without its header")
                }
                try checkValueCount(n, unc)
                try file.read(offset: bodyOffset, count: Int(comp), into: &raw)
                body.removeAll(keepingCapacity: true)
                try raw.withUnsafeBytes { b throws in
                    try PageCompression.decompress(b, codec: chunk.codec, expected: Int(unc), into: &body)
                }
                decodedBytes += unc
                let count = Int(n)
                var valuesStart = 0
                defs.removeAll(keepingCapacity: true)
                hasDefs = column.optional
                if column.optional {
                    let defEnc = dh[3]?.int ?? 3
                    guard defEnc == 3 else {
                        throw PageError("definition levels in \(ParquetEncoding.name(Int(defEnc))) (only RLE is read)")
                    }
                    guard body.count >= 4 else { throw PageError("data page too short for its definition levels") }
                    let len = Int(body[0]) | Int(body[1]) << 8 | Int(body[2]) << 16 | Int(body[3]) << 24
                    guard len <= body.count - 4 else { throw PageError("definition levels run past the end of the page") }
                    try body.withUnsafeBytes { b throws in
                        try ParquetEncoding.decodeHybrid(UnsafeRawBufferPointer(rebasing: b[4..<(4 + len)]), width: 1, count: count, into: &defs)
                    }
                    valuesStart = 4 + len
                }
                try setValues(count: count, encoding: Int(enc), from: valuesStart)
                return
            case 3:
                guard let dh = header[8], let n = dh[1]?.int, n >= 0, let enc = dh[4]?.int, let defLen = dh[5]?.int,
                    let repLen = dh[6]?.int, defLen >= 0, repLen >= 0, defLen + repLen <= comp, defLen + repLen <= unc
                else { throw PageError("data page v2 without a valid header") }
                guard repLen == 0 else { throw PageError("repetition levels in a flat column") }
                try checkValueCount(n, unc)
                let compressed = dh[7]?.boolValue ?? true
                try file.read(offset: bodyOffset, count: Int(comp), into: &raw)
                body.removeAll(keepingCapacity: true)
                let levels = Int(defLen + repLen)
                body.append(contentsOf: raw[0..<levels])
                try raw.withUnsafeBytes { b throws in
                    let rest = UnsafeRawBufferPointer(rebasing: b[levels...])
                    if compressed {
                        try PageCompression.decompress(rest, codec: chunk.codec, expected: Int(unc) - levels, into: &body)
                    } else {
                        try PageCompression.decompress(rest, codec: 0, expected: Int(unc) - levels, into: &body)
                    }
                }
                decodedBytes += unc
                let count = Int(n)
                defs.removeAll(keepingCapacity: true)
                hasDefs = column.optional
                if column.optional {
                    try body.withUnsafeBytes { b throws in
                        try ParquetEncoding.decodeHybrid(UnsafeRawBufferPointer(rebasing: b[0..<Int(defLen)]), width: 1, count: count, into: &defs)
                    }
                }
                try setValues(count: count, encoding: Int(enc), from: levels)
                return
            default:
                continue  // index pages and unknown pages are skipped
            }
        }
    }

    /// A page's value count must fit its column chunk and be plausible for its size (so a
    /// damaged header cannot make the reader allocate gigabytes).
    private func checkValueCount(_ n: Int64, _ unc: Int64) throws {
        guard n <= chunk.numValues, n <= max(unc * 64, 1 << 24) else {
            throw PageError("the page header claims \(n) values (\(unc) bytes; the column chunk has \(chunk.numValues))")
        }
    }

    private func setValues(count: Int, encoding: Int, from start: Int) throws {
        var nonNull = count
        if hasDefs {
            nonNull = 0
            for d in defs {
                if d > 1 { throw PageError("definition level \(d) above the column's maximum 1") }
                nonNull += Int(d)
            }
        }
        let page = body
        values = try page.withUnsafeBytes { whole throws in
            let b = UnsafeRawBufferPointer(rebasing: whole[start...])
            return try decodeValues(b, count: nonNull, encoding: encoding, buffer: page, base: start)
        }
        pageRows = count
        rowInPage = 0
        valueInPage = 0
    }

    private func decodeValues(
        _ b: UnsafeRawBufferPointer, count: Int, encoding: Int, buffer: [UInt8], base: Int
    ) throws -> PageValues {
        switch encoding {
        case ParquetEncoding.plain:
            return try decodePlain(b, count: count, buffer: buffer, base: base)
        case ParquetEncoding.plainDictionary, ParquetEncoding.rleDictionary:
            guard let dictionary else { throw PageError("dictionary-encoded page without a dictionary page") }
            if count == 0 { return .dictionary([]) }
            guard b.count >= 1 else { throw PageError("dictionary indices missing") }
            let width = Int(b[0])
            var idx: [UInt32] = []
            try ParquetEncoding.decodeHybrid(UnsafeRawBufferPointer(rebasing: b[1...]), width: width, count: count, into: &idx)
            let n = dictionary.count
            for i in idx where Int(i) >= n { throw PageError("dictionary index \(i) beyond the dictionary's \(n) entries") }
            switch dictionary {
            case .bytes: return .dictionary(idx)
            case .ints(let v): return .ints(idx.map { v[Int($0)] })
            case .doubles(let v): return .doubles(idx.map { v[Int($0)] })
            case .bools(let v): return .bools(idx.map { v[Int($0)] })
            case .dictionary: throw PageError("nested dictionary")
            }
        case ParquetEncoding.rle where chunk.type == .boolean:
            guard b.count >= 4 else { throw PageError("RLE Booleans without their length") }
            let len = Int(b[0]) | Int(b[1]) << 8 | Int(b[2]) << 16 | Int(b[3]) << 24
            guard len <= b.count - 4 else { throw PageError("RLE Booleans run past the end of the page") }
            var v: [UInt32] = []
            try ParquetEncoding.decodeHybrid(UnsafeRawBufferPointer(rebasing: b[4..<(4 + len)]), width: 1, count: count, into: &v)
            return .bools(v.map { $0 != 0 })
        case ParquetEncoding.deltaBinaryPacked where chunk.type == .int32 || chunk.type == .int64:
            var pos = 0
            var v: [Int64] = []
            try ParquetEncoding.decodeDeltaBinaryPacked(b, &pos, into: &v)
            guard v.count >= count else { throw PageError("DELTA_BINARY_PACKED holds \(v.count) values, the page \(count)") }
            if chunk.type == .int32 { return .ints(v.prefix(count).map { Int64(Int32(truncatingIfNeeded: $0)) }) }
            return .ints(Array(v.prefix(count)))
        case ParquetEncoding.deltaLengthByteArray where chunk.type == .byteArray:
            var pos = 0
            var lengths: [Int64] = []
            try ParquetEncoding.decodeDeltaBinaryPacked(b, &pos, into: &lengths)
            guard lengths.count >= count else { throw PageError("DELTA_LENGTH_BYTE_ARRAY holds \(lengths.count) lengths, the page \(count)") }
            var spans: [Int] = []
            spans.reserveCapacity(2 * count)
            var at = base + pos
            let limit = base + b.count
            for k in 0..<count {
                let l = lengths[k]
                guard l >= 0, l <= Int64(limit - at) else { throw PageError("DELTA_LENGTH_BYTE_ARRAY value runs past the end of the page") }
                spans.append(at)
                at += Int(l)
                spans.append(at)
            }
            return .bytes(buffer: buffer, spans: spans)
        case ParquetEncoding.deltaByteArray where chunk.type == .byteArray:
            var pos = 0
            var prefixes: [Int64] = []
            var suffixes: [Int64] = []
            try ParquetEncoding.decodeDeltaBinaryPacked(b, &pos, into: &prefixes)
            try ParquetEncoding.decodeDeltaBinaryPacked(b, &pos, into: &suffixes)
            guard prefixes.count >= count, suffixes.count >= count else { throw PageError("DELTA_BYTE_ARRAY lengths missing") }
            var out: [UInt8] = []
            var spans: [Int] = []
            spans.reserveCapacity(2 * count)
            var prevStart = 0
            var prevEnd = 0
            for k in 0..<count {
                let p = prefixes[k]
                let s = suffixes[k]
                guard p >= 0, p <= Int64(prevEnd - prevStart), s >= 0, s <= Int64(b.count - pos) else {
                    throw PageError("DELTA_BYTE_ARRAY value out of range")
                }
                let start = out.count
                guard out.count + Int(p) + Int(s) <= 1 << 30 else { throw PageError("DELTA_BYTE_ARRAY values exceed 1 GiB") }
                out.append(contentsOf: out[prevStart..<(prevStart + Int(p))])
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[pos..<(pos + Int(s))]))
                pos += Int(s)
                spans.append(start)
                spans.append(out.count)
                prevStart = start
                prevEnd = out.count
            }
            return .bytes(buffer: out, spans: spans)
        case ParquetEncoding.byteStreamSplit where chunk.type == .float || chunk.type == .double:
            let width = chunk.type == .float ? 4 : 8
            guard b.count >= count * width else { throw PageError("BYTE_STREAM_SPLIT values run past the end of the page") }
            var v: [Double] = []
            v.reserveCapacity(count)
            for i in 0..<count {
                var bits: UInt64 = 0
                for k in 0..<width { bits |= UInt64(b[k * count + i]) << UInt64(8 * k) }
                v.append(width == 4 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))) : Double(bitPattern: bits))
            }
            return .doubles(v)
        default:
            throw PageError("\(ParquetEncoding.name(encoding)) values of type \(chunk.type) are not supported")
        }
    }

    /// PLAIN values; `buffer`/`base` locate `b` for byte arrays (spans index `buffer`).
    private func decodePlain(_ b: UnsafeRawBufferPointer, count: Int, buffer: [UInt8], base: Int = 0) throws -> PageValues {
        func need(_ n: Int) throws {
            guard b.count >= n else { throw PageError("the page holds \(b.count) bytes of PLAIN values, \(count) values need \(n)") }
        }
        switch chunk.type {
        case .boolean:
            try need((count + 7) / 8)
            var v: [Bool] = []
            v.reserveCapacity(count)
            for i in 0..<count { v.append(b[i >> 3] >> UInt8(i & 7) & 1 == 1) }
            return .bools(v)
        case .int32:
            try need(count * 4)
            var v = [Int64](repeating: 0, count: count)
            for i in 0..<count { v[i] = Int64(Int32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
            return .ints(v)
        case .int64:
            try need(count * 8)
            var v = [Int64](repeating: 0, count: count)
            for i in 0..<count { v[i] = Int64(littleEndian: b.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
            return .ints(v)
        case .float:
            try need(count * 4)
            var v = [Double](repeating: 0, count: count)
            for i in 0..<count {
                v[i] = Double(Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
            }
            return .doubles(v)
        case .double:
            try need(count * 8)
            var v = [Double](repeating: 0, count: count)
            for i in 0..<count { v[i] = Double(bitPattern: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
            return .doubles(v)
        case .byteArray:
            try need(count * 4)
            var spans: [Int] = []
            spans.reserveCapacity(2 * count)
            var p = 0
            for _ in 0..<count {
                guard b.count - p >= 4 else { throw PageError("PLAIN byte array length runs past the end of the page") }
                let l = Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: p, as: UInt32.self)))
                p += 4
                guard l <= b.count - p else { throw PageError("PLAIN byte array of \(l) bytes runs past the end of the page") }
                spans.append(base + p)
                p += l
                spans.append(base + p)
            }
            return .bytes(buffer: buffer, spans: spans)
        case .int96, .fixedLenByteArray:
            throw PageError("type \(chunk.type) is not read")
        }
    }
}
