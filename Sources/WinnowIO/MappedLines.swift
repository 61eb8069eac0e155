#if canImport(Glibc)
import Glibc
#endif
import WinnowCore

/// The lines of a whole uncompressed file read through a read-only memory mapping: each line
/// is a view of the mapped pages, so nothing is copied out of the page cache (for a run's own
/// work files, read once right after they were written). Lines end at `\n`; a trailing `\r` is
/// not part of the line; the last line may lack its `\n`. No line-length bound: use
/// ``LineReader`` for input that is not the run's own.
public final class MappedLines {
    private let base: UnsafeRawPointer?
    private let size: Int
    private var head = 0
    private var number = 0

    /// Maps `path` (an empty file maps nothing and has no lines).
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw FileError(path: path, "cannot stat: \(String(cString: strerror(errno)))") }
        size = Int(st.st_size)
        if size == 0 {
            base = nil
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), p != MAP_FAILED else {
            throw FileError(path: path, "cannot map: \(String(cString: strerror(errno)))")
        }
        _ = madvise(p, size, MADV_SEQUENTIAL)
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// Offset of the next unread byte.
    public var offset: Int64 { Int64(head) }

    /// The next line (valid while this reader lives), or nil at the end.
    public func next() -> Line? {
        guard let base, head < size else { return nil }
        let start = head
        var stop: Int
        if let nl = memchr(base + start, 0x0A, size - start) {
            stop = base.distance(to: UnsafeRawPointer(nl))
            head = stop + 1
        } else {
            stop = size
            head = size
        }
        if stop > start && base.load(fromByteOffset: stop - 1, as: UInt8.self) == 0x0D { stop -= 1 }
        number += 1
        return Line(bytes: UnsafeRawBufferPointer(start: base + start, count: stop - start), number: number, offset: Int64(start))
    }
}
