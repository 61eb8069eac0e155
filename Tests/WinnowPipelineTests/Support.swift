import Foundation
import WinnowCore
import WinnowIO

/// A fresh temporary folder.
func temporaryFolder(_ name: String = #function) throws -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "winnow-pipe-\(safe)-\(UUID().uuidString.prefix(8))"
    try FileSystem.createDirectory(path)
    return path
}

/// The `winnow` executable built beside the tests.
func winnowBinary() -> String {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("winnow").path,
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("winnow").path,
        Bundle.main.bundleURL.appendingPathComponent("winnow").path,
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
}

struct ProcessResult {
    var status: Int32
    var signaled: Bool
    var stdout: String
    var stderr: String
}

/// Runs `winnow` with arguments in a folder (standard input read from the file `stdin`, if given).
func runWinnow(_ args: [String], in dir: String, env: [String: String] = [:], stdin: String? = nil) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: winnowBinary())
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    var e = ProcessInfo.processInfo.environment
    for (k, v) in env { e[k] = v }
    p.environment = e
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    if let stdin { p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdin)) }
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let r = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ProcessResult(
        status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
        stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: r, as: UTF8.self))
}

/// Writes a JSONL corpus with duplicates across files: `files` files of `perFile` documents.
@discardableResult
func writeCorpus(_ dir: String, files: Int = 3, perFile: Int = 400, gzip: Bool = false) throws -> Int {
    var total = 0
    for f in 0..<files {
        var out: [UInt8] = []
        for i in 0..<perFile {
            let n = (f * perFile + i) % 500  // repeats across files
            var text = "Document \(n) talks about topic \(n % 37) with words " + String(repeating: "lorem ipsum ", count: n % 9 + 1)
            if i % 5 == 0 { text = text.uppercased() }
            if i % 7 == 0 { text = "short" }
            JSONLCodec().encode(Document(id: "f\(f)-\(i)", text: text, metadata: ["n": .int(Int64(n))]), into: &out)
        }
        let path = dir + "/in/part-\(f).jsonl" + (gzip ? ".gz" : "")
        let w = try CompressedWriter(path: path, compression: gzip ? .gzip : .none)
        try out.withUnsafeBytes { try w.write($0) }
        try w.commit()
        total += perFile
    }
    return total
}

/// Runs several `winnow` processes at once (as a scheduler starts the tasks of a run), each
/// with its standard error in `<dir>/process-<i>.err`; when `then` is given, those start once
/// `startNext(dir)` holds. Any process still running after `limit` seconds is killed and
/// reported as signalled, so a task that waits forever fails the test instead of hanging it.
func runWinnowTogether(
    _ argumentLists: [[String]], in dir: String, env: [String: String] = [:], limit: Double = 300,
    startNext: ((String) -> Bool)? = nil, then later: [[String]] = []
) throws -> [ProcessResult] {
    var running: [(Process, String)] = []
    func start(_ args: [String]) throws {
        let errPath = dir + "/process-\(running.count).err"
        running.append((try startWinnow(args, in: dir, env: env, stderrPath: errPath), errPath))
    }
    let deadline = Date().addingTimeInterval(limit)
    for args in argumentLists { try start(args) }
    if !later.isEmpty {
        while !(startNext?(dir) ?? true) && Date() < deadline { usleep(50_000) }
        for args in later { try start(args) }
    }
    while running.contains(where: { $0.0.isRunning }) && Date() < deadline { usleep(100_000) }
    var killed = Set<Int>()
    for (i, (p, _)) in running.enumerated() where p.isRunning {
        kill(p.processIdentifier, SIGKILL)
        killed.insert(i)
    }
    return running.enumerated().map { i, pe in
        pe.0.waitUntilExit()
        let err = String(decoding: (try? FileSystem.readAll(pe.1)) ?? [], as: UTF8.self)
        return ProcessResult(
            status: pe.0.terminationStatus, signaled: killed.contains(i) || pe.0.terminationReason == .uncaughtSignal, stdout: "",
            stderr: killed.contains(i) ? "still running after \(Int(limit)) s: killed\n" + err : err)
    }
}

/// Every file under a folder (relative path → contents), for comparing the output of two runs.
///
/// A `.gz` file counts by its decompressed content, everything else by its bytes: on the CI VM
/// the default gzip writer (ISA-L igzip level 2) was seen, about once in 10,000–30,000 small files, to
/// pick different (equally valid) matches for the same input within one `winnow` process, so
/// its compressed bytes are no stable witness of what a run wrote (docs/architecture.md §5). A
/// gzip file that cannot be read keeps its raw bytes behind a marker, so it never equals a
/// good one.
func snapshot(_ dir: String) throws -> [String: [UInt8]] {
    var out: [String: [UInt8]] = [:]
    func walk(_ rel: String) throws {
        let path = rel.isEmpty ? dir : dir + "/" + rel
        for name in try FileSystem.list(path) {
            let r = rel.isEmpty ? name : rel + "/" + name
            if FileSystem.isDirectory(dir + "/" + r) {
                try walk(r)
            } else if r.hasSuffix(".gz") {
                out[r] = gzipContent(dir + "/" + r)
            } else {
                out[r] = try FileSystem.readAll(dir + "/" + r)
            }
        }
    }
    if FileSystem.isDirectory(dir) { try walk("") }
    return out
}

/// The decompressed content of a gzip file, or its raw bytes behind a marker when it cannot be
/// read whole.
func gzipContent(_ path: String) -> [UInt8] {
    do {
        let source = try openByteSource(path: path, compression: .gzip)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[..<n]
        }
    } catch {
        return Array("undecodable gzip (\(error)): ".utf8) + ((try? FileSystem.readAll(path)) ?? [])
    }
}

/// What differs between two snapshots: files only in one, and for each file that differs its
/// sizes and first differing line (400 bytes of each side), so a failed comparison says what
/// went wrong.
func snapshotDifference(_ a: [String: [UInt8]], _ b: [String: [UInt8]]) -> String {
    var lines: [String] = []
    for k in Set(a.keys).union(b.keys).sorted() {
        switch (a[k], b[k]) {
        case (nil, _): lines.append("only in the second: \(k)")
        case (_, nil): lines.append("only in the first: \(k)")
        case (let x?, let y?) where x != y:
            let newline = UInt8(ascii: "\n")
            let (xl, yl) = (x.split(separator: newline, omittingEmptySubsequences: false), y.split(separator: newline, omittingEmptySubsequences: false))
            let i = (0..<min(xl.count, yl.count)).first { xl[$0] != yl[$0] } ?? min(xl.count, yl.count)
            func line(_ ls: [ArraySlice<UInt8>]) -> String { i < ls.count ? String(decoding: ls[i].prefix(400), as: UTF8.self) : "(none)" }
            lines.append(
                "differs: \(k) (\(x.count) vs \(y.count) bytes, \(xl.count) vs \(yl.count) lines), first at line \(i + 1)\n  first:  \(line(xl))\n  second: \(line(yl))")
        default: break
        }
    }
    return lines.isEmpty ? "identical" : lines.joined(separator: "\n")
}

/// Documents in all data/ shards, in order.
func readOutput(_ runDir: String) throws -> [Document] {
    var docs: [Document] = []
    for name in try FileSystem.list(runDir + "/data") {
        let r = try JSONLReader(piece: InputPiece(path: runDir + "/data/" + name, name: name, size: 0), options: ReaderOptions())
        while let d = try r.next() { docs.append(d) }
    }
    return docs
}
