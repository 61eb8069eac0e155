/// xxHash64: a stable 64-bit hash of bytes, identical on every machine and run.
///
/// Never use Swift's `hashValue` for anything persisted or compared across processes: it is
/// seeded per process.
public enum StableHash {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        var a = acc &+ input &* p2
        a = (a << 31) | (a >> 33)
        return a &* p1
    }

    @inline(__always) private static func merge(_ acc: UInt64, _ val: UInt64) -> UInt64 {
        let v = round(0, val)
        return (acc ^ v) &* p1 &+ p4
    }

    /// xxHash64 of a byte buffer.
    public static func xxh64(_ buffer: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let n = buffer.count
        guard let base = buffer.baseAddress else { return finalize(seed &+ p5, base: nil, rest: 0, total: 0) }
        var p = 0
        var h: UInt64
        if n >= 32 {
            var v1 = seed &+ p1 &+ p2
            var v2 = seed &+ p2
            var v3 = seed
            var v4 = seed &- p1
            while p + 32 <= n {
                v1 = round(v1, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: p, as: UInt64.self)))
                v2 = round(v2, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: p + 8, as: UInt64.self)))
                v3 = round(v3, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: p + 16, as: UInt64.self)))
                v4 = round(v4, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: p + 24, as: UInt64.self)))
                p += 32
            }
            h = ((v1 << 1) | (v1 >> 63)) &+ ((v2 << 7) | (v2 >> 57)) &+ ((v3 << 12) | (v3 >> 52))
                &+ ((v4 << 18) | (v4 >> 46))
            h = merge(h, v1)
            h = merge(h, v2)
            h = merge(h, v3)
            h = merge(h, v4)
        } else {
            h = seed &+ p5
        }
        h = h &+ UInt64(n)
        return finalize(h, base: base + p, rest: n - p, total: n)
    }

    @inline(__always) private static func finalize(_ hIn: UInt64, base: UnsafeRawPointer?, rest: Int, total: Int) -> UInt64 {
        var h = hIn
        if base == nil { h = h &+ UInt64(total) }
        var p = 0
        if let base {
            while p + 8 <= rest {
                let k = round(0, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: p, as: UInt64.self)))
                h ^= k
                h = ((h << 27) | (h >> 37)) &* p1 &+ p4
                p += 8
            }
            if p + 4 <= rest {
                h ^= UInt64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: p, as: UInt32.self))) &* p1
                h = ((h << 23) | (h >> 41)) &* p2 &+ p3
                p += 4
            }
            while p < rest {
                h ^= UInt64(base.load(fromByteOffset: p, as: UInt8.self)) &* p5
                h = ((h << 11) | (h >> 53)) &* p1
                p += 1
            }
        }
        h ^= h >> 33
        h = h &* p2
        h ^= h >> 29
        h = h &* p3
        h ^= h >> 32
        return h
    }

    /// xxHash64 of a byte array.
    public static func xxh64(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { xxh64($0, seed: seed) }
    }

    /// xxHash64 of a string's UTF-8 bytes.
    public static func xxh64(_ string: String, seed: UInt64 = 0) -> UInt64 {
        var s = string
        return s.withUTF8 { xxh64(UnsafeRawBufferPointer($0), seed: seed) }
    }
}

/// An incremental xxHash64-based checksum of a byte stream (for output files in the manifest).
///
/// Hashes each chunk and folds the chunk hashes, so it is stable for a given chunking; writers
/// feed fixed-size blocks, so equal files give equal checksums.
public struct StreamChecksum: Sendable, Hashable {
    /// The running value.
    public private(set) var value: UInt64 = 0x5757_4e4e_4f57_0001
    /// Bytes fed so far.
    public private(set) var count: Int64 = 0

    /// A fresh checksum.
    public init() {}

    /// Feeds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        value = StableHash.xxh64(bytes, seed: value)
        count += Int64(bytes.count)
    }

    /// The checksum as 16 hex digits.
    public var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
