internal import CICUShim
import WinnowCore

/// Normalises text for duplicate detection: lowercase, whitespace runs collapsed to one space,
/// leading and trailing whitespace removed.
///
/// One pass over UTF-8: ASCII in blocks of 32 bytes (AVX2) or 16 (SSE2), in C, whitespace runs
/// and all; then eight bytes at a time; each run of non-ASCII characters is lowercased by ICU's
/// full Unicode case mapping, straight on UTF-8.
public struct TextNormalizer: Sendable {
    /// Creates a normaliser.
    public init() {}

    /// The normalised bytes of `text`.
    public func normalize(_ text: String, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var t = text
        t.withUTF8 { u in
            if !collapse(u, lower: true, into: &out) {
                // A run grew past the room left (rare case expansions): lowercase all first.
                let lower = Self.lowercaseUTF8(u)
                _ = lower.withUnsafeBufferPointer { collapse($0, lower: false, into: &out) }
            }
        }
    }

    /// Full Unicode lowercasing of UTF-8 bytes (ICU, root locale).
    static func lowercaseUTF8(_ u: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var cap = u.count + 16
        while true {
            var err: Int32 = 0
            var out = [UInt8](repeating: 0, count: cap)
            let n = out.withUnsafeMutableBufferPointer {
                cicu_utf8_lower(u.baseAddress, Int32(u.count), $0.baseAddress, Int32(cap), &err)
            }
            if err != 0 { return Array(String(decoding: u, as: UTF8.self).lowercased().utf8) }
            if Int(n) <= cap {
                out.removeLast(cap - Int(n))
                return out
            }
            cap = Int(n)
        }
    }

    /// Copies `u` with whitespace runs collapsed to one space (none at the ends), ASCII
    /// uppercase lowercased and non-ASCII runs lowercased by ICU when `lower`. Eight bytes at a
    /// time wherever they are printable ASCII with no two spaces in a row (spaces inside the
    /// eight are fine: a space is written as it is read, and a run's later spaces are skipped).
    /// Returns false if the output outgrew its room.
    private func collapse(_ u: UnsafeBufferPointer<UInt8>, lower: Bool, into out: inout [UInt8]) -> Bool {
        let n = u.count
        guard let src = u.baseAddress else {
            out = []
            return true
        }
        let raw = UnsafeRawPointer(src)
        let capacity = 2 * n + 16
        var fits = true
        out = [UInt8](unsafeUninitializedCapacity: capacity) { buf, count in
            let dst = UnsafeMutableRawPointer(buf.baseAddress!)
            var w = 0
            var i = 0
            // The output is empty or ends with a space: whitespace read now writes nothing.
            var afterSpace = true
            while i < n {
                if i + 16 <= n {
                    // Whole ASCII blocks in C (32 bytes with AVX2, else 16), whitespace runs
                    // included; it stops at a non-ASCII byte, which the paths below handle.
                    var after: Int32 = afterSpace ? 1 : 0
                    var written = 0
                    let k = cicu_collapse_ascii(
                        src + i, min(n - i, capacity - w), buf.baseAddress! + w, lower ? 1 : 0, &after, &written)
                    if k > 0 {
                        i += k
                        w += written
                        afterSpace = after != 0
                        if i == n { break }
                    }
                }
                if i + 8 <= n {
                    // Fast path: eight printable ASCII bytes, no two spaces in a row and no space
                    // right after a written one, are copied as they are (lowercased). The space
                    // mask may flag a byte after a real space too; that only sends the eight
                    // bytes down the byte-at-a-time path.
                    var x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if SWAR.nonASCII(x) == 0 && SWAR.less(x, 0x20) == 0 {
                        let spaces = SWAR.equal(x, 0x20)
                        if spaces & (spaces << 8) == 0 && !(afterSpace && x & 0xFF == 0x20) {
                            if lower { x = SWAR.lowercaseASCII(x) }
                            dst.storeBytes(of: x, toByteOffset: w, as: UInt64.self)
                            w += 8
                            i += 8
                            afterSpace = x >> 56 == 0x20
                            continue
                        }
                    }
                }
                let c = src[i]
                if c <= 0x20 && (c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C) {
                    if !afterSpace {
                        buf[w] = 0x20
                        w += 1
                        afterSpace = true
                    }
                    i += 1
                    continue
                }
                afterSpace = false
                if c >= 0x80 && lower {
                    // A run of non-ASCII characters: ICU lowercases it in place in the output.
                    var j = i + 1
                    while j < n && src[j] >= 0x80 { j += 1 }
                    var err: Int32 = 0
                    let room = capacity - 8 - w
                    let m = Int(cicu_utf8_lower(src + i, Int32(j - i), buf.baseAddress! + w, Int32(room), &err))
                    if err != 0 || m > room {
                        fits = false
                        break
                    }
                    w += m
                    i = j
                    continue
                }
                buf[w] = lower && c >= 0x41 && c <= 0x5A ? c | 0x20 : c
                w += 1
                i += 1
            }
            if afterSpace && w > 0 { w -= 1 }  // a trailing space
            count = w
        }
        return fits
    }

    /// Chooses the C block code (tests): 0 portable, 1 SSE2, 2 AVX2, -1 the best the CPU has.
    static func setBlockISA(_ isa: Int32) { cicu_collapse_set_isa(isa) }

    /// A stable 64-bit hash of the normalised text.
    public func hash(_ text: String, scratch: inout [UInt8]) -> UInt64 {
        normalize(text, into: &scratch)
        return scratch.withUnsafeBytes { StableHash.xxh64($0) }
    }
}

/// Facts about the ICU library Winnow runs on.
public enum ICUInfo {
    /// The ICU version, e.g. `72.1`.
    public static var version: String {
        var buf = [CChar](repeating: 0, count: 32)
        cicu_version(&buf, 32)
        return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
