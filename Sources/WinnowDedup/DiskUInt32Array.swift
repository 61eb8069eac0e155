#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO

/// A file of 32-bit words (little-endian) mapped into memory, whose resident part is bounded.
///
/// The file is mapped shared, so a page the process lets go of stays in the kernel's page cache
/// (or goes back to the file under memory pressure) and no write is lost. Every access can bring
/// at most one page in; after `residentLimit` bytes' worth of accesses the whole mapping is given
/// back with `madvise(MADV_DONTNEED)`. So the process's resident memory for the array stays
/// below `residentLimit + 4 KiB` whatever the file's size, and an array that fits in the limit
/// is never dropped (the common case: 4 bytes per document).
///
/// Created arrays are written to `<path>.tmp-<pid>` and renamed onto `path` by ``commit()``.
final class DiskUInt32Array {
    /// Words in the array.
    let count: Int
    private let path: String
    private let tempPath: String?
    private var fd: Int32
    private let base: UnsafeMutablePointer<UInt32>?
    private let bytes: Int
    /// Accesses allowed before the mapping is dropped (0: never).
    private let accessLimit: Int
    private var accesses = 0
    /// Times the mapping was given back (for tests).
    private(set) var drops = 0

    /// Creates a file of `count` words, each `initial(i)`, mapped for reading and writing.
    init(creating path: String, count: Int, residentLimit: Int, initial: (Int) -> UInt32) throws {
        self.path = path
        let temp = path + ".tmp-\(getpid())"
        tempPath = temp
        self.count = count
        bytes = count * 4
        fd = open(temp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileError(path: temp, "cannot create: \(String(cString: strerror(errno)))") }
        if ftruncate(fd, off_t(bytes)) != 0 {
            let message = String(cString: strerror(errno))
            close(fd)
            unlink(temp)
            throw FileError(path: temp, "cannot size to \(bytes) bytes: \(message)")
        }
        base = try Self.map(fd: fd, bytes: bytes, writable: true, path: temp)
        accessLimit = bytes <= residentLimit ? 0 : max(1, residentLimit / 4096)
        for i in 0..<count { self[i] = initial(i) }
    }

    /// Maps an existing file read-only.
    init(reading path: String, residentLimit: Int) throws {
        self.path = path
        tempPath = nil
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        if fstat(fd, &st) != 0 {
            close(fd)
            throw FileError(path: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        bytes = Int(st.st_size)
        count = bytes / 4
        base = try Self.map(fd: fd, bytes: bytes, writable: false, path: path)
        accessLimit = bytes <= residentLimit ? 0 : max(1, residentLimit / 4096)
    }

    private static func map(fd: Int32, bytes: Int, writable: Bool, path: String) throws -> UnsafeMutablePointer<UInt32>? {
        if bytes == 0 { return nil }
        let protection = writable ? PROT_READ | PROT_WRITE : PROT_READ
        guard let m = mmap(nil, bytes, protection, MAP_SHARED, fd, 0), m != MAP_FAILED else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw FileError(path: path, "cannot map \(bytes) bytes: \(message)")
        }
        return m.assumingMemoryBound(to: UInt32.self)
    }

    deinit {
        if let base { munmap(base, bytes) }
        if fd >= 0 { close(fd) }
        if let tempPath, fd >= 0 { unlink(tempPath) }
    }

    @inline(__always) private func account() {
        if accessLimit == 0 { return }
        accesses += 1
        if accesses >= accessLimit { drop() }
    }

    /// Gives the mapping's pages back to the kernel (their contents stay in the file).
    func drop() {
        accesses = 0
        guard let base else { return }
        _ = madvise(base, bytes, MADV_DONTNEED)
        drops += 1
    }

    /// The word at `i` (0 ≤ i < count).
    subscript(i: Int) -> UInt32 {
        get {
            account()
            return base.map { $0[i] } ?? 0
        }
        set {
            account()
            base?[i] = newValue
        }
    }

    /// Writes the mapping back and renames the file onto its final path (created arrays only).
    func commit() throws {
        guard let tempPath else { return }
        if let base, msync(base, bytes, MS_SYNC) != 0 {
            throw FileError(path: tempPath, "msync failed: \(String(cString: strerror(errno)))")
        }
        if rename(tempPath, path) != 0 {
            throw FileError(path: path, "rename failed: \(String(cString: strerror(errno)))")
        }
        close(fd)
        fd = -1
    }
}
