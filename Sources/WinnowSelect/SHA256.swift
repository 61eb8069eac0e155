internal import CSHA256

/// SHA-256 for DSIR's n-gram buckets: the reference hashes every n-gram with `hashlib.sha256`
/// and takes the digest as a big-endian integer modulo the bucket count. The work is done by
/// the `CSHA256` C target (x86 SHA extensions when present, portable C otherwise).
enum SHA256 {
    /// The digest of `message` as eight big-endian 32-bit words.
    static func digest(_ message: UnsafeRawBufferPointer) -> [UInt32] {
        var out = [UInt32](repeating: 0, count: 8)
        out.withUnsafeMutableBufferPointer { o in
            csha256_digest(message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count, o.baseAddress)
        }
        return out
    }

    /// `digest(message)` as a big-endian 256-bit integer modulo `modulus` (Python's
    /// `int(hashlib.sha256(m).hexdigest(), 16) % modulus`); `modulus` is in 1...2^32.
    @inline(__always)
    static func bucket(_ message: UnsafeRawBufferPointer, modulus: UInt64) -> UInt64 {
        csha256_mod(message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count, modulus)
    }

    /// Whether the x86 SHA extensions are in use.
    static var usesSHAExtensions: Bool { csha256_uses_sha_extensions() != 0 }

    /// Forces the portable implementation (tests compare both).
    static func forcePortable(_ portable: Bool) { csha256_force_portable(portable ? 1 : 0) }
}
