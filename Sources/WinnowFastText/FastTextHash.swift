/// fastText's string hash: 32-bit FNV-1a, except that each byte is sign-extended to 32 bits
/// before the XOR (`uint32_t(int8_t(c))`), as the released models were trained with signed
/// `char`. Bytes below 0x80 hash exactly as in FNV-1a; bytes from 0x80 differ.
public enum FastTextHash {
    /// The FNV offset basis.
    public static let offsetBasis: UInt32 = 2_166_136_261
    /// The FNV prime.
    public static let prime: UInt32 = 16_777_619

    /// Folds one byte into a running hash.
    @inlinable @inline(__always)
    public static func step(_ h: UInt32, _ byte: UInt8) -> UInt32 {
        (h ^ UInt32(bitPattern: Int32(Int8(bitPattern: byte)))) &* prime
    }

    /// The hash of a byte sequence.
    @inlinable
    public static func hash<C: Sequence>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var h = offsetBasis
        for b in bytes { h = step(h, b) }
        return h
    }

    /// The hash of a string's UTF-8 bytes.
    public static func hash(_ string: String) -> UInt32 {
        hash(string.utf8)
    }
}
