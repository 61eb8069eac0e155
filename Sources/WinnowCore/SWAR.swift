/// Eight-bytes-at-a-time byte scanning ("SIMD within a register") for the text hot paths.
///
/// Each function looks at one little-endian 64-bit word. The masks have the high bit set in
/// the flagged bytes; the lowest flagged byte is always exact (higher ones may be false
/// positives after a true one), so callers take the first flagged byte and re-check it.
public enum SWAR {
    /// 0x0101…01.
    public static let ones: UInt64 = 0x0101_0101_0101_0101
    /// 0x8080…80.
    public static let highs: UInt64 = 0x8080_8080_8080_8080

    /// High bits of bytes equal to `byte`.
    @inlinable @inline(__always)
    public static func equal(_ x: UInt64, _ byte: UInt8) -> UInt64 {
        let v = x ^ (ones &* UInt64(byte))
        return (v &- ones) & ~v & highs
    }

    /// High bits of bytes below `n` (n ≤ 128).
    @inlinable @inline(__always)
    public static func less(_ x: UInt64, _ n: UInt8) -> UInt64 {
        (x &- ones &* UInt64(n)) & ~x & highs
    }

    /// High bits of bytes ≥ 0x80.
    @inlinable @inline(__always)
    public static func nonASCII(_ x: UInt64) -> UInt64 { x & highs }

    /// ASCII uppercase letters lowercased (all bytes must be ASCII).
    @inlinable @inline(__always)
    public static func lowercaseASCII(_ x: UInt64) -> UInt64 {
        let a = x &+ ones &* 0x3F  // high bit set where byte ≥ 0x41
        let z = x &+ ones &* 0x25  // high bit set where byte ≥ 0x5B
        return x | ((a & ~z & highs) >> 2)
    }

    /// The index of the first flagged byte of a nonzero mask.
    @inlinable @inline(__always)
    public static func firstIndex(_ mask: UInt64) -> Int { mask.trailingZeroBitCount >> 3 }
}
