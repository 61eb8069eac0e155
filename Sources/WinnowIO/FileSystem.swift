#if canImport(Glibc)
import Glibc
#endif
import WinnowCore

/// Small POSIX file helpers (no Foundation on the I/O hot path).
public enum FileSystem {
    /// Creates a folder and its parents (no error if it exists).
    public static func createDirectory(_ path: String) throws {
        if path.isEmpty || path == "/" || path == "." { return }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { return }
            throw FileError(path: path, "exists and is not a folder")
        }
        try createDirectory(parent(of: path))
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw FileError(path: path, "cannot create folder: \(String(cString: strerror(errno)))")
        }
    }

    /// The parent folder of a path (`.` for a bare name).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Whether a file or folder exists.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Whether a folder exists at `path`.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Removes a file or a folder tree (no error if absent).
    public static func remove(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) != 0 { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try remove(path + "/" + name) }
            if rmdir(path) != 0 { throw FileError(path: path, "cannot remove: \(String(cString: strerror(errno)))") }
        } else if unlink(path) != 0 {
            throw FileError(path: path, "cannot remove: \(String(cString: strerror(errno)))")
        }
    }

    /// The names in a folder, sorted by bytes (so listings are deterministic).
    public static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            throw FileError(path: path, "cannot list: \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Reads a whole file (as stored, without decompressing).
    public static func readAll(_ path: String) throws -> [UInt8] {
        let src = try FileSource(path: path)
        // One byte beyond the file's size: an unchanged file ends with a zero-byte read while the
        // buffer still has room, so it is never grown (growing held 2× the file for a moment).
        var size = Int(try FileSource.size(path: path)) + 1
        var out = [UInt8](repeating: 0, count: size)
        var filled = 0
        while true {
            if filled == size {
                // The file grew while we read it: keep reading.
                size = max(size * 2, 1 << 16)
                out += [UInt8](repeating: 0, count: size - out.count)
            }
            let n = try out.withUnsafeMutableBytes { try src.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled..<size])) }
            if n == 0 { break }
            filled += n
        }
        out.removeLast(out.count - filled)
        return out
    }

    /// Writes a whole (small) file atomically.
    public static func writeAll(_ path: String, _ bytes: [UInt8]) throws {
        let w = try AtomicFileWriter(path: path)
        try bytes.withUnsafeBytes { try w.write($0) }
        try w.commit()
    }

    /// Expands a glob pattern (`*`, `?`, `[…]`, and `**` for any depth), sorted by bytes.
    /// A pattern without wildcards is returned as is if it exists.
    public static func glob(_ pattern: String) throws -> [String] {
        if !pattern.contains(where: { "*?[".contains($0) }) {
            return exists(pattern) ? [pattern] : []
        }
        let absolute = pattern.hasPrefix("/")
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var results: [String] = []
        func walk(_ base: String, _ i: Int) throws {
            if i == parts.count {
                results.append(base)
                return
            }
            let part = parts[i]
            let join = { (name: String) -> String in base.isEmpty ? name : (base == "/" ? "/" + name : base + "/" + name) }
            if part == "**" {
                try walk(base, i + 1)
                let dir = base.isEmpty ? "." : base
                guard isDirectory(dir) else { return }
                for name in try list(dir) where !name.hasPrefix(".") && isDirectory(join(name)) {
                    try walk(join(name), i)
                }
                return
            }
            if !part.contains(where: { "*?[".contains($0) }) {
                let next = join(part)
                if exists(next) { try walk(next, i + 1) }
                return
            }
            let dir = base.isEmpty ? "." : base
            guard isDirectory(dir) else { return }
            for name in try list(dir) where fnmatch(part, name, 0) == 0 {
                if name.hasPrefix(".") && !part.hasPrefix(".") { continue }
                try walk(join(name), i + 1)
            }
        }
        try walk(absolute ? "/" : "", 0)
        var seen = Set<String>()
        return results.filter { seen.insert($0).inserted }.sorted {
            Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8))
        }
    }
}
