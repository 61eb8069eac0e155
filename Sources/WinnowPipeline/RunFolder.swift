#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO
import WinnowStore

/// A refused or failed operation on a run folder: which path and why.
public struct RunFolderError: UserFacingError, Hashable {
    /// The output path as given.
    public var path: String
    /// Why it was refused.
    public var message: String
    /// What the message is about when not an output folder (e.g. `--output 'v.npy'`).
    public var subject: String?

    /// Creates an error; `subject` names what it is about when not an output folder.
    public init(path: String, _ message: String, subject: String? = nil) {
        self.path = path
        self.message = message
        self.subject = subject
    }

    /// `output folder 'PATH': message`.
    public var description: String { "\(subject ?? "output folder '\(path)'"): \(message)" }
}

/// A run's folder: the one type that creates, marks, locks, cleans or deletes anything of a run.
///
/// The safety model (docs/architecture.md §5):
/// - A run folder carries a marker file, `.winnow-run`, written when Winnow creates the folder
///   (or takes over an empty one). Folders of older versions are recognised by their manifest.
/// - An output path is checked, after resolving symlinks and `..`, before anything is written:
///   the empty path, `/`, the current directory or any of its ancestors, the home folder or any
///   of its ancestors, a path that is or contains an input file or could be matched by an input
///   pattern, a non-folder, and a non-empty folder that is not a run folder are all refused.
/// - Cleaning (`--overwrite`, `work/` after success, temporary files) removes only the names
///   Winnow writes (``ownedNames``), never following a symlink out of the folder: a user's
///   stray file survives.
/// - While a process works on the run it holds a lock on `run.lock` (`flock`, released by the
///   kernel when the process dies): exclusive for a whole run, shared for one task of N, so a
///   second `run`, `--resume` or `--overwrite` refuses at once, naming the holder.
public final class RunFolder: @unchecked Sendable {
    /// How the folder is opened.
    public enum Mode: Sendable, Hashable {
        /// A new run: the folder must be absent, empty, or a run folder without a manifest.
        case start
        /// Continue the run recorded in the folder's manifest.
        case resume
        /// Start over: clean the folder's owned names first (it must be a run folder or empty).
        case overwrite
        /// One task of N: a shared lock, so the N processes work together.
        case task
    }

    /// The marker file's name.
    public static let markerName = ".winnow-run"
    /// The lock file's name.
    public static let lockName = "run.lock"
    /// The names Winnow writes at the top of a run folder, and the only ones it ever removes.
    public static let ownedNames: [String] = [
        "data", "removed", "work", "work.removing", "logs", "cluster", "embeddings", "tokens", "decontamination.json", "stats.json",
        "errors.jsonl", "report.html",
        "run.sqlite", "run.sqlite-wal", "run.sqlite-shm", "run.sqlite-journal",
    ]

    /// The path as given (trailing slashes removed): used for messages and child paths.
    public let path: String
    /// The resolved absolute path that every removal works on.
    public let resolvedPath: String
    private var lockFD: Int32 = -1

    private init(path: String, resolvedPath: String) {
        self.path = path
        self.resolvedPath = resolvedPath
    }

    deinit { unlock() }

    // MARK: - Opening

    /// Checks `path`, creates and marks the folder, takes the lock and prepares it for `mode`.
    /// - Parameters:
    ///   - path: the output folder as the user gave it.
    ///   - inputs: the input files the run reads (any form; they are resolved here).
    ///   - patterns: the input path patterns, so an output that the patterns could match later is
    ///     refused too.
    ///   - mode: how the run uses the folder.
    ///   - sharedLock: take the lock shared even outside `.task` mode (the Slurm driver: its
    ///     tasks take it shared beside it; two drivers exclude each other by their own lock).
    /// - Throws: ``RunFolderError`` naming the path and the reason, before anything is written
    ///   when the path is refused.
    public static func open(
        _ path: String, inputs: [String], patterns: [String] = [], mode: Mode, sharedLock: Bool = false
    ) throws -> RunFolder {
        let trimmed = trimSlashes(path)
        let resolved = try checkOutputPath(trimmed, inputs: inputs, patterns: patterns)
        if FileSystem.exists(resolved) {
            guard FileSystem.isDirectory(resolved) else {
                throw RunFolderError(path: trimmed, "exists and is not a folder")
            }
            if try !isEmpty(resolved) && !isRunFolder(resolved) {
                throw RunFolderError(
                    path: trimmed,
                    "exists, is not empty and is not a Winnow run folder (it has no \(markerName) marker); Winnow never "
                        + "writes into or deletes a folder it did not create: choose a new output path")
            }
        }
        let folder = RunFolder(path: trimmed, resolvedPath: resolved)
        try FileSystem.createDirectory(resolved)
        try folder.writeMarker()
        try folder.lock(shared: mode == .task || sharedLock)
        let hasManifest = FileSystem.exists(resolved + "/run.sqlite")
        switch mode {
        case .start:
            if hasManifest {
                throw RunFolderError(
                    path: trimmed, "already holds a run: pass --resume to continue it or --overwrite to start over")
            }
        case .overwrite:
            try folder.clean()
        case .resume:
            try folder.removeTemporaryFiles()
            try FileSystem.remove(resolved + "/work.removing")
        case .task:
            break
        }
        return folder
    }

    /// Refuses output paths that could destroy what Winnow did not create; returns the resolved
    /// path. Writes nothing.
    /// - Throws: ``RunFolderError`` naming the path and the rule.
    public static func checkOutputPath(_ path: String, inputs: [String], patterns: [String] = []) throws -> String {
        let shown = path
        if path.isEmpty || path.allSatisfy({ $0 == " " || $0 == "\t" }) {
            throw RunFolderError(path: shown, "the output path is empty: set output.path in the recipe (or pass --output)")
        }
        guard let resolved = FileSystem.resolve(path) else {
            throw RunFolderError(path: shown, "cannot resolve the path (the current directory is unreadable)")
        }
        if resolved == "/" { throw RunFolderError(path: shown, "is the filesystem root") }
        if let cwd = FileSystem.currentDirectory() {
            if resolved == cwd { throw RunFolderError(path: shown, "is the current directory") }
            if FileSystem.isSame(cwd, orInside: resolved) {
                throw RunFolderError(path: shown, "contains the current directory '\(cwd)'")
            }
        }
        for home in homeFolders() {
            if resolved == home { throw RunFolderError(path: shown, "is the home folder") }
            if FileSystem.isSame(home, orInside: resolved) {
                throw RunFolderError(path: shown, "contains the home folder '\(home)'")
            }
        }
        let outputIdentity = FileSystem.identity(resolved)
        for input in inputs {
            guard let r = FileSystem.resolve(input) else { continue }
            if r == resolved { throw RunFolderError(path: shown, "is the input file '\(input)'") }
            if let a = outputIdentity, let b = FileSystem.identity(r), a == b {
                throw RunFolderError(path: shown, "is the input file '\(input)'")
            }
            if FileSystem.isSame(r, orInside: resolved) {
                throw RunFolderError(path: shown, "contains the input file '\(input)'")
            }
            if FileSystem.isSame(resolved, orInside: r) {
                throw RunFolderError(path: shown, "is inside the input '\(input)'")
            }
        }
        for pattern in patterns where couldMatchInside(pattern: pattern, output: resolved) {
            throw RunFolderError(
                path: shown,
                "lies where the input pattern '\(pattern)' could match the run's own files: choose an output outside it")
        }
        return resolved
    }

    /// Whether a file somewhere inside `output` could be matched by the glob `pattern`.
    static func couldMatchInside(pattern: String, output: String) -> Bool {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let firstWild = parts.firstIndex(where: { $0.contains(where: { "*?[".contains($0) }) }) else {
            return false  // a literal path: the input checks cover it
        }
        let baseText = (pattern.hasPrefix("/") ? "/" : "") + parts[..<firstWild].joined(separator: "/")
        guard let base = FileSystem.resolve(baseText.isEmpty ? "." : baseText),
            FileSystem.isSame(output, orInside: base), output != base
        else { return false }
        let rest = Array(parts[firstWild...])
        let below = output.dropFirst(base == "/" ? 1 : base.count + 1).split(separator: "/").map(String.init)
        // Match the output's own components against the pattern's; `**` matches any depth.
        func matches(_ i: Int, _ j: Int) -> Bool {
            if j == below.count { return i < rest.count }  // a file below the output can still match the rest
            if i == rest.count { return false }
            if rest[i] == "**" { return matches(i + 1, j) || matches(i, j + 1) }
            return fnmatch(rest[i], below[j], 0) == 0 && matches(i + 1, j + 1)
        }
        return matches(0, 0)
    }

    /// Whether `resolved` is a run folder: it has the marker, or a manifest of an older version.
    public static func isRunFolder(_ resolved: String) -> Bool {
        if FileSystem.isRegularFile(resolved + "/" + markerName) { return true }
        let manifest = resolved + "/run.sqlite"
        return FileSystem.isRegularFile(manifest) && RunManifest.isManifest(path: manifest)
    }

    /// The home folder from `$HOME` and from the password database, resolved.
    static func homeFolders() -> [String] {
        var homes: [String] = []
        if let h = getenv("HOME"), let r = FileSystem.resolve(String(cString: h)) { homes.append(r) }
        if let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir, let r = FileSystem.resolve(String(cString: dir)) {
            if !homes.contains(r) { homes.append(r) }
        }
        return homes
    }

    static func trimSlashes(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    static func isEmpty(_ dir: String) throws -> Bool {
        try FileSystem.list(dir).isEmpty
    }

    // MARK: - Marker and lock

    private func writeMarker() throws {
        let marker = resolvedPath + "/" + Self.markerName
        if FileSystem.isRegularFile(marker) { return }
        // Not atomic on purpose: a temporary name would make the folder look non-empty and
        // unmarked to a task process starting at the same moment. The marker's presence is the
        // mark; its text only informs.
        let fd = Glibc.open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw RunFolderError(path: path, "cannot create \(Self.markerName): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let text = Array("Winnow run folder (format 1). Winnow deletes only the names it writes here.\n".utf8)
        _ = text.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    private func lock(shared: Bool) throws {
        let lockPath = resolvedPath + "/" + Self.lockName
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw RunFolderError(path: path, "cannot open \(Self.lockName): \(String(cString: strerror(errno)))") }
        if flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
            let holder = Self.describeHolder(fd: fd)
            close(fd)
            throw RunFolderError(
                path: path, "is in use by \(holder): wait for it to finish or stop it (a second process may not work on the same run)")
        }
        if !shared {
            let me = Array("pid \(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = me.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        lockFD = fd
    }

    private static func describeHolder(fd: Int32) -> String {
        // If a shared lock can be had, the holders are task processes (shared locks).
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            _ = flock(fd, LOCK_UN)
            return "other winnow processes running tasks of it (--task)"
        }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 64, 0) }
        if n > 0, let text = String(validating: buf[0..<n], as: UTF8.self),
            let pid = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).dropFirst().first
        {
            return "another winnow process (pid \(pid))"
        }
        return "another winnow process"
    }

    /// Releases the lock (also released when the process ends, however it ends).
    public func unlock() {
        if lockFD >= 0 {
            close(lockFD)
            lockFD = -1
        }
    }

    // MARK: - Cleaning

    /// Removes every owned name (for `--overwrite`): a stray user file survives.
    public func clean() throws {
        for name in Self.ownedNames { try FileSystem.remove(resolvedPath + "/" + name) }
        try removeTopLevelTemporaryFiles()
    }

    /// Removes `work/` (after a successful run). The folder is first renamed to
    /// `work.removing`, so a kill during the removal never leaves a partial `work/` that a
    /// resumed run would take for a whole one.
    public func removeWork() throws {
        let work = resolvedPath + "/work"
        let doomed = resolvedPath + "/work.removing"
        try FileSystem.remove(doomed)
        if FileSystem.exists(work) && rename(work, doomed) != 0 {
            throw RunFolderError(path: path, "cannot rename work/ for removal: \(String(cString: strerror(errno)))")
        }
        FaultInjection.point()
        try FileSystem.remove(doomed)
    }

    /// Removes `*.tmp-<pid>` files a killed run left inside the owned names.
    public func removeTemporaryFiles() throws {
        for name in Self.ownedNames where FileSystem.isDirectory(resolvedPath + "/" + name) {
            if FileSystem.isSymlink(resolvedPath + "/" + name) { continue }
            try removeTemporaryFiles(in: resolvedPath + "/" + name)
        }
        try removeTopLevelTemporaryFiles()
    }

    private func removeTemporaryFiles(in dir: String) throws {
        for name in try FileSystem.list(dir) {
            let p = dir + "/" + name
            if FileSystem.isSymlink(p) { continue }
            if FileSystem.isDirectory(p) {
                try removeTemporaryFiles(in: p)
            } else if Self.isTemporaryName(name) {
                try FileSystem.remove(p)
            }
        }
    }

    private func removeTopLevelTemporaryFiles() throws {
        for name in try FileSystem.list(resolvedPath) where Self.isTemporaryName(name) {
            // Only temporaries of the files Winnow writes at the top (stats.json.tmp-123 …).
            if Self.ownedNames.contains(where: { name.hasPrefix($0 + ".tmp-") }) {
                try FileSystem.remove(resolvedPath + "/" + name)
            }
        }
    }

    /// `NAME.tmp-<pid>` as ``AtomicFileWriter`` names its temporary files.
    static func isTemporaryName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        let tag = Array(".tmp-".utf8)
        guard bytes.count > tag.count else { return false }
        var i = bytes.count - 1
        while i >= 0 && bytes[i] >= 0x30 && bytes[i] <= 0x39 { i -= 1 }
        let digits = bytes.count - 1 - i
        guard digits > 0, i + 1 >= tag.count else { return false }
        return Array(bytes[(i + 1 - tag.count)...i]) == tag
    }

    /// Deletes the whole run folder: its owned names, then the marker and the lock file, then
    /// the folder itself if nothing else is left in it (a stray user file keeps it).
    /// - Returns: whether the folder itself was removed.
    @discardableResult
    public func delete() throws -> Bool {
        try clean()
        unlock()
        try FileSystem.remove(resolvedPath + "/" + Self.lockName)
        try FileSystem.remove(resolvedPath + "/" + Self.markerName)
        if try Self.isEmpty(resolvedPath) {
            if rmdir(resolvedPath) != 0 {
                throw RunFolderError(path: path, "cannot remove: \(String(cString: strerror(errno)))")
            }
            return true
        }
        return false
    }
}
