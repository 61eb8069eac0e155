/// A value of the Thrift compact protocol, as Parquet's metadata uses it.
///
/// Parquet's footer (`FileMetaData`) and page headers are Thrift structs in the compact
/// protocol. They are small, so they are decoded into this tree first and then read field by
/// field (``ParquetMetadata``); the writer builds a tree and encodes it.
enum Thrift: Sendable, Hashable {
    case bool(Bool)
    case int(Int64)
    /// An i32 (or enum) field for the encoder (decoding gives ``int`` for every integer width).
    case i32(Int32)
    case double(Double)
    case binary([UInt8])
    case list([Thrift])
    case map([(Thrift, Thrift)])
    case structure([Int16: Thrift])

    static func == (a: Thrift, b: Thrift) -> Bool {
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.i32(let x), .i32(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.binary(let x), .binary(let y)): return x == y
        case (.list(let x), .list(let y)): return x == y
        case (.structure(let x), .structure(let y)): return x == y
        case (.map(let x), .map(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    func hash(into h: inout Hasher) {
        switch self {
        case .bool(let b): h.combine(b)
        case .int(let i): h.combine(i)
        case .i32(let i): h.combine(i)
        case .double(let d): h.combine(d)
        case .binary(let b): h.combine(b)
        case .list(let l): h.combine(l)
        case .map(let m): h.combine(m.count)
        case .structure(let s): h.combine(s)
        }
    }

    // MARK: - Field access

    /// The field `id` of a struct.
    subscript(_ id: Int16) -> Thrift? {
        if case .structure(let fields) = self { return fields[id] }
        return nil
    }

    var int: Int64? {
        if case .int(let i) = self { return i }
        if case .i32(let i) = self { return Int64(i) }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    var binary: [UInt8]? {
        if case .binary(let b) = self { return b }
        return nil
    }

    var string: String? {
        guard case .binary(let b) = self else { return nil }
        return String(validating: b, as: UTF8.self)
    }

    var list: [Thrift]? {
        if case .list(let l) = self { return l }
        return nil
    }
}

/// Why Thrift bytes could not be decoded.
struct ThriftError: Error {
    var message: String
    /// Whether the input ended inside the value (more bytes might complete it).
    var truncated: Bool
}

/// Decodes compact-protocol values from bytes.
struct ThriftDecoder {
    let bytes: UnsafeRawBufferPointer
    var pos = 0
    private var depth = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private mutating func byte() throws(ThriftError) -> UInt8 {
        guard pos < bytes.count else { throw ThriftError(message: "Thrift data ends early", truncated: true) }
        let b = bytes[pos]
        pos += 1
        return b
    }

    mutating func varint() throws(ThriftError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            if shift >= 64 { throw ThriftError(message: "Thrift varint longer than 10 bytes", truncated: false) }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func zigzag() throws(ThriftError) -> Int64 {
        let v = try varint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    /// Decodes one struct (fields up to STOP).
    mutating func structure() throws(ThriftError) -> Thrift {
        depth += 1
        defer { depth -= 1 }
        if depth > 64 { throw ThriftError(message: "Thrift structs nested too deeply", truncated: false) }
        var fields: [Int16: Thrift] = [:]
        var last: Int16 = 0
        while true {
            let header = try byte()
            if header == 0 { return .structure(fields) }
            let type = header & 0x0F
            let delta = header >> 4
            let id: Int16
            if delta == 0 {
                let z = try zigzag()
                guard let i = Int16(exactly: z) else { throw ThriftError(message: "Thrift field id \(z) out of range", truncated: false) }
                id = i
            } else {
                id = last &+ Int16(delta)
            }
            last = id
            fields[id] = try value(type: type)
        }
    }

    private mutating func value(type: UInt8) throws(ThriftError) -> Thrift {
        switch type {
        case 1: return .bool(true)
        case 2: return .bool(false)
        case 3: return .int(Int64(Int8(bitPattern: try byte())))
        case 4, 5, 6: return .int(try zigzag())
        case 7:
            guard bytes.count - pos >= 8 else { throw ThriftError(message: "Thrift data ends early", truncated: true) }
            let bits = bytes.loadUnaligned(fromByteOffset: pos, as: UInt64.self)
            pos += 8
            return .double(Double(bitPattern: UInt64(littleEndian: bits)))
        case 8:
            let n = try varint()
            guard n <= UInt64(bytes.count - pos) else {
                throw ThriftError(message: "Thrift binary of \(n) bytes runs past the data", truncated: true)
            }
            let start = pos
            pos += Int(n)
            return .binary(Array(bytes[start..<pos]))
        case 9, 10:
            let h = try byte()
            var count = UInt64(h >> 4)
            if count == 15 { count = try varint() }
            let elem = h & 0x0F
            // Every element takes at least one byte (except booleans in some writers: 1 byte too).
            guard count <= UInt64(bytes.count - pos) else {
                throw ThriftError(message: "Thrift list of \(count) elements runs past the data", truncated: true)
            }
            var items: [Thrift] = []
            items.reserveCapacity(Int(count))
            for _ in 0..<count {
                if elem == 1 || elem == 2 {
                    items.append(.bool(try byte() == 1))
                } else {
                    items.append(try value(type: elem))
                }
            }
            return .list(items)
        case 11:
            let count = try varint()
            if count == 0 { return .map([]) }
            guard count <= UInt64(bytes.count - pos) else {
                throw ThriftError(message: "Thrift map of \(count) entries runs past the data", truncated: true)
            }
            let kv = try byte()
            var items: [(Thrift, Thrift)] = []
            for _ in 0..<count {
                let k = try value(type: kv >> 4)
                let v = try value(type: kv & 0x0F)
                items.append((k, v))
            }
            return .map(items)
        case 12: return try structure()
        default: throw ThriftError(message: "unknown Thrift type \(type)", truncated: false)
        }
    }
}

/// Encodes compact-protocol structs.
struct ThriftEncoder {
    var out: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    mutating func zigzag(_ v: Int64) {
        varint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    /// Encodes a struct; its fields are written in increasing id order.
    mutating func structure(_ fields: [Int16: Thrift]) {
        var last: Int16 = 0
        for id in fields.keys.sorted() {
            guard let v = fields[id] else { continue }
            let type = Self.typeCode(v)
            let delta = id - last
            if delta > 0 && delta <= 15 {
                out.append(UInt8(delta) << 4 | type)
            } else {
                out.append(type)
                zigzag(Int64(id))
            }
            last = id
            body(v)
        }
        out.append(0)
    }

    private static func typeCode(_ v: Thrift) -> UInt8 {
        switch v {
        case .bool(let b): return b ? 1 : 2
        case .int: return 6
        case .i32: return 5
        case .double: return 7
        case .binary: return 8
        case .list: return 9
        case .map: return 11
        case .structure: return 12
        }
    }

    private mutating func body(_ v: Thrift) {
        switch v {
        case .bool: break  // in the field header
        case .int(let i): zigzag(i)
        case .i32(let i): zigzag(Int64(i))
        case .double(let d): withUnsafeBytes(of: d.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        case .binary(let b):
            varint(UInt64(b.count))
            out.append(contentsOf: b)
        case .list(let items):
            let elem: UInt8 = items.first.map { Self.typeCode($0) == 2 ? 1 : Self.typeCode($0) } ?? 12
            if items.count < 15 {
                out.append(UInt8(items.count) << 4 | elem)
            } else {
                out.append(0xF0 | elem)
                varint(UInt64(items.count))
            }
            for x in items {
                if case .bool(let b) = x { out.append(b ? 1 : 2) } else { body(x) }
            }
        case .map(let items):
            varint(UInt64(items.count))
            if let (k, x) = items.first { out.append(Self.typeCode(k) << 4 | Self.typeCode(x)) }
            for (k, x) in items {
                body(k)
                body(x)
            }
        case .structure(let fields): structure(fields)
        }
    }
}
