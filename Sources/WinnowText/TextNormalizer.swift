internal import CICUShim
import WinnowCore

/// Normalises text for duplicate detection: lowercase, whitespace runs collapsed to one space,
/// leading and trailing whitespace removed.
///
/// ASCII text takes a byte-level fast path; other text goes through Unicode lowercasing.
public struct TextNormalizer: Sendable {
    /// Creates a normaliser.
    public init() {}

    /// The normalised bytes of `text`.
    public func normalize(_ text: String, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var t = text
        let ascii = t.withUTF8 { u -> Bool in
            for c in u where c >= 0x80 { return false }
            return true
        }
        if ascii {
            t.withUTF8 { collapse($0, lower: true, into: &out) }
        } else {
            var lower = text.lowercased()
            lower.withUTF8 { collapse($0, lower: false, into: &out) }
        }
    }

    private func collapse(_ u: UnsafeBufferPointer<UInt8>, lower: Bool, into out: inout [UInt8]) {
        out.reserveCapacity(u.count)
        var pendingSpace = false
        for c in u {
            if c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(0x20)
                pendingSpace = false
            }
            out.append(lower && c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
        }
    }

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
