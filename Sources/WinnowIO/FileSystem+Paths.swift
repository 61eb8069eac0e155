#if canImport(Glibc)
import Glibc
#endif
import WinnowCore

// MARK: - Resolving paths

extension FileSystem {
    /// The absolute, symlink-free form of `path`, whether or not it exists.
    ///
    /// The longest existing prefix is resolved with `realpath(3)` (symlinks and `..` in it are
    /// followed as the kernel would); the components after it are appended lexically, with `.`
    /// dropped and `..` removing the previous component. A relative path is taken from the
    /// current directory.
    /// - Returns: the resolved path, or nil for the empty string or when the current directory
    ///   cannot be read.
    public static func resolve(_ path: String) -> String? {
        if path.isEmpty { return nil }
        var base: String
        if path.hasPrefix("/") {
            base = "/"
        } else {
            guard let cwd = currentDirectory() else { return nil }
            base = cwd
        }
        var components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        // Resolve the existing prefix one component at a time, so a symlink's target is honoured
        // before a following `..` is applied.
        var resolved = realPath(base) ?? base
        while !components.isEmpty {
            let c = components.removeFirst()
            if c == "." { continue }
            let next = c == ".." ? parent(of: resolved) : (resolved == "/" ? "/" + c : resolved + "/" + c)
            if c != "..", let r = realPath(next) {
                resolved = r
            } else if c == ".." {
                resolved = next == "." ? "/" : next
            } else {
                // `next` does not exist: the rest is lexical.
                resolved = next
                for rest in components {
                    if rest == "." { continue }
                    if rest == ".." {
                        resolved = parent(of: resolved)
                    } else {
                        resolved = resolved == "/" ? "/" + rest : resolved + "/" + rest
                    }
                }
                components = []
            }
        }
        return resolved
    }

    /// The process's current directory, resolved.
    public static func currentDirectory() -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return nil }
        let s = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return realPath(s) ?? s
    }

    /// `realpath(3)` of an existing path, nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// Whether `path` is `ancestor` or lies inside it (both resolved, absolute).
    public static func isSame(_ path: String, orInside ancestor: String) -> Bool {
        if path == ancestor || ancestor == "/" { return true }
        return path.hasPrefix(ancestor + "/")
    }

    /// Whether `path` is a symbolic link (not followed).
    public static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// Whether `path` is a regular file (following symlinks).
    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// The (device, inode) pair of a path, following symlinks; nil when it does not exist.
    public static func identity(_ path: String) -> (device: UInt64, inode: UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }
}
