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

/// Every file under a folder (relative path → bytes), for byte-for-byte comparison.
func snapshot(_ dir: String) throws -> [String: [UInt8]] {
    var out: [String: [UInt8]] = [:]
    func walk(_ rel: String) throws {
        let path = rel.isEmpty ? dir : dir + "/" + rel
        for name in try FileSystem.list(path) {
            let r = rel.isEmpty ? name : rel + "/" + name
            if FileSystem.isDirectory(dir + "/" + r) { try walk(r) } else { out[r] = try FileSystem.readAll(dir + "/" + r) }
        }
    }
    if FileSystem.isDirectory(dir) { try walk("") }
    return out
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
