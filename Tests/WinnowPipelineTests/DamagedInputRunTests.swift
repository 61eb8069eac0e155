import CZlib
import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline

/// A gzip member (zlib) of `mebibytes` MiB of zero bytes; with `lie`, its trailer says 4 KiB.
private func zeroBomb(mebibytes: Int, lie: Bool) -> [UInt8] {
    var s = z_stream()
    _ = czlib_deflateInit2(&s, 9, 31)
    defer { deflateEnd(&s) }
    let zeros = [UInt8](repeating: 0, count: 1 << 20)
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    for k in 0..<mebibytes {
        zeros.withUnsafeBufferPointer { inp in
            s.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
            s.avail_in = uInt(inp.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { o in
                    s.next_out = o.baseAddress
                    s.avail_out = uInt(o.count)
                    _ = deflate(&s, k == mebibytes - 1 ? Z_FINISH : Z_NO_FLUSH)
                    return o.count - Int(s.avail_out)
                }
                out += chunk[0..<produced]
            } while s.avail_out == 0 || (k == mebibytes - 1 && s.avail_in > 0)
        }
    }
    if lie { out.replaceSubrange((out.count - 4)..., with: [0x00, 0x10, 0, 0]) }
    return out
}

/// Runs `/bin/sh -c script args…` in a folder.
private func runUnderShell(_ script: String, _ args: [String], in dir: String) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", script] + args
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ProcessResult(
        status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
        stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// Damaged compressed input through a whole run (issue 15, §2 items 1 and 3): in-process runs
/// with absolute paths in a temporary folder, and the bomb in a child process under an
/// address-space limit.
@Suite("Damaged compressed input in a run", .serialized)
struct DamagedInputRunTests {
    /// `n` records `<prefix>-<i>` of about `textBytes` bytes of text.
    func records(_ prefix: String, _ n: Int, textBytes: Int) -> [Document] {
        (0..<n).map { i in
            var t = "\(prefix) record \(i)"
            var k = i
            while t.utf8.count < textBytes {
                t += " w\(k % 97)"
                k = k &* 31 &+ 7
            }
            return Document(id: "\(prefix)-\(i)", text: t)
        }
    }

    /// Writes records with Winnow's gzip writer: one member (default level, like `gzip`) or one
    /// member per MiB (an explicit level).
    func writeGzip(_ path: String, _ docs: [Document], level: Int?) throws {
        var bytes: [UInt8] = []
        for d in docs { JSONLCodec().encode(d, into: &bytes) }
        let w = try CompressedWriter(path: path, compression: .gzip, level: level)
        try bytes.withUnsafeBytes { try w.write($0) }
        try w.commit()
    }

    func flipMiddle(_ path: String) throws {
        var b = try FileSystem.readAll(path)
        for i in (b.count / 2)..<(b.count / 2 + 64) { b[i] ^= 0xA5 }
        try FileSystem.writeAll(path, b)
    }

    func recipe(_ dir: String, onError: String, input: String = "in/*.jsonl.gz", extraInput: String = "") throws -> String {
        let text = """
            name: damaged
            input: { path: "\(dir)/\(input)", format: jsonl, shard_size: 1KB\(extraInput) }
            output: { path: "\(dir)/out", format: jsonl }
            on_error: \(onError)
            workers: 1
            stages:
              - length: { min_words: 1 }

            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(text.utf8))
        return dir + "/recipe.yaml"
    }

    func run(_ recipePath: String) throws -> RunSummary {
        try PipelineRunner(recipe: try Recipe.load(path: recipePath), options: RunOptions(workers: 1), progress: ProgressReporter(quiet: true)).run()
    }

    @Test("on_error: skip — no record of a damaged gzip member reaches data/; errors.jsonl names the file, its compressed byte range and the records dropped")
    func skipQuarantines() throws {
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/sentinel", Array("keep".utf8))
        let single = records("single", 5000, textBytes: 60)
        let multi = records("multi", 5000, textBytes: 1000)
        let good = records("good", 500, textBytes: 60)
        try writeGzip(dir + "/in/a-single.jsonl.gz", single, level: nil)
        try writeGzip(dir + "/in/b-multi.jsonl.gz", multi, level: 6)
        try writeGzip(dir + "/in/c-good.jsonl.gz", good, level: nil)
        try flipMiddle(dir + "/in/a-single.jsonl.gz")
        try flipMiddle(dir + "/in/b-multi.jsonl.gz")
        _ = try run(try recipe(dir, onError: "skip"))

        let originals = Dictionary(uniqueKeysWithValues: (single + multi + good).map { ($0.id, $0.text) })
        let out = try readOutput(dir + "/out")
        for d in out { #expect(originals[d.id] == d.text, "garbled record in data/: \(d.id)") }
        #expect(!out.contains { $0.id.hasPrefix("single-") })  // its one member failed its check
        #expect(out.filter { $0.id.hasPrefix("good-") }.count == 500)
        let fromMulti = out.filter { $0.id.hasPrefix("multi-") }
        #expect(fromMulti.first?.id == "multi-0" && fromMulti.last?.id == "multi-4999")
        #expect(fromMulti.count < 5000)

        let errors = try String(contentsOfFile: dir + "/out/errors.jsonl", encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        #expect(errors.count == 2, "\(errors)")
        let singleSize = try FileSource.size(path: dir + "/in/a-single.jsonl.gz")
        let e0 = errors.first { ($0["file"] as? String)?.hasSuffix("a-single.jsonl.gz") == true }
        #expect(e0?["compressed_start"] as? Int == 0)
        #expect((e0?["compressed_end"] as? Int).map(Int64.init) == singleSize)
        #expect((e0?["records"] as? Int ?? 0) > 0)
        let e1 = errors.first { ($0["file"] as? String)?.hasSuffix("b-multi.jsonl.gz") == true }
        #expect((e1?["compressed_start"] as? Int ?? 0) > 0)
        #expect((e1?["records"] as? Int ?? 0) > 0)  // an estimate: the member's lines are garbled
        #expect(FileManager.default.fileExists(atPath: dir + "/sentinel"))
    }

    @Test("on_error: fail — a damaged gzip member stops the run with its byte range, and that shard's data file is not committed")
    func failStops() throws {
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/sentinel", Array("keep".utf8))
        try writeGzip(dir + "/in/a-single.jsonl.gz", records("single", 5000, textBytes: 60), level: nil)
        try flipMiddle(dir + "/in/a-single.jsonl.gz")
        let size = try FileSource.size(path: dir + "/in/a-single.jsonl.gz")
        let error = #expect(throws: (any Error).self) { _ = try run(try recipe(dir, onError: "fail")) }
        let message = error.map { String(describing: $0) } ?? ""
        #expect(message.contains("a-single.jsonl.gz") && message.contains("compressed bytes 0..<\(size)"), "\(message)")
        let data = (try? FileSystem.list(dir + "/out/data")) ?? []
        #expect(!data.contains { $0.hasPrefix("part-00000") }, "\(data)")
        #expect(FileManager.default.fileExists(atPath: dir + "/sentinel"))
    }

    @Test("a 1 MiB .jsonl.gz that inflates to 1 GiB runs under a 1.2 GB address-space limit (honest and lying size trailer)", arguments: [false, true])
    func bombUnderAddressSpaceLimit(lie: Bool) throws {
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/sentinel", Array("keep".utf8))
        try FileSystem.createDirectory(dir + "/in")
        try FileSystem.writeAll(dir + "/in/bomb.jsonl.gz", zeroBomb(mebibytes: 1024, lie: lie))
        let r = try recipe(dir, onError: "skip")
        let result = try runUnderShell("ulimit -v 1200000 && exec \"$0\" run \"$1\"", [winnowBinary(), r], in: dir)
        #expect(!result.signaled, "killed by a signal: \(result.stderr.suffix(2000))")
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        let errors = (try? String(contentsOfFile: dir + "/out/errors.jsonl", encoding: .utf8)) ?? ""
        #expect(errors.contains(lie ? "incorrect length check" : "max_line_bytes"), "\(errors.prefix(500))")
        #expect(FileManager.default.fileExists(atPath: dir + "/sentinel"))
    }
}
