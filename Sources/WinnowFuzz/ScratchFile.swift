import Foundation
import Synchronization

/// A temporary file holding one fuzz input, for the readers that take a path.
///
/// Names are unique per process and call (`winnow-fuzz-<pid>-<n><suffix>` in the temporary
/// folder), so parallel tests do not collide; the file is removed when the closure returns.
enum ScratchFile {
    private static let counter = Atomic<Int>(0)

    /// Writes `bytes` to a fresh file, calls `body` with its path, then removes the file.
    /// - Returns: `body`'s result, or nil when the file could not be written (not a finding).
    static func with<T>(_ bytes: UnsafeRawBufferPointer, suffix: String, _ body: (String) -> T) -> T? {
        let n = counter.add(1, ordering: .relaxed).newValue
        let folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let path = "\(folder)/winnow-fuzz-\(getpid())-\(n)\(suffix)"
        // O_EXCL: the file is ours to remove only if this call created it.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        var written = 0
        while written < bytes.count, let base = bytes.baseAddress {
            let w = write(fd, base + written, bytes.count - written)
            if w <= 0 {
                close(fd)
                unlink(path)
                return nil
            }
            written += w
        }
        close(fd)
        defer { unlink(path) }
        return body(path)
    }
}
