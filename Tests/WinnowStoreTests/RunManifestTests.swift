import Foundation
import Testing
import WinnowStore

@Suite("Run manifest")
struct RunManifestTests {
    @Test("records attempts, outputs and stats; survives reopening")
    func lifecycle() throws {
        let path = NSTemporaryDirectory() + "winnow-manifest-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let m = try RunManifest(path: path)
            #expect(try m.setValueIfAbsent("recipe", "abc") == "abc")
            #expect(try m.setValueIfAbsent("recipe", "other") == "abc")
            try m.begin("p0/shard/00000")
            try m.begin("p0/shard/00000")
            try m.finish("p0/shard/00000", outputs: ["data/part-00000.jsonl.gz": "0123"], stats: #"{"written":3}"#)
            try m.begin("p0/shard/00001")
        }
        let m = try RunManifest(path: path)
        let tasks = try m.tasks()
        #expect(tasks["p0/shard/00000"]?.status == "done")
        #expect(tasks["p0/shard/00000"]?.attempts == 2)
        #expect(tasks["p0/shard/00000"]?.outputs == ["data/part-00000.jsonl.gz": "0123"])
        #expect(tasks["p0/shard/00001"]?.status == "running")
        #expect(try m.value("recipe") == "abc")
    }

    @Test("eight connections opening one new manifest at the same moment all succeed (SQLITE_BUSY on the WAL switch is retried)")
    func concurrentOpen() throws {
        for round in 0..<20 {
            let path = NSTemporaryDirectory() + "winnow-manifest-open-\(round)-\(UUID().uuidString).sqlite"
            defer {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
            let errors = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { i in
                do {
                    let m = try RunManifest(path: path)
                    _ = try m.setValueIfAbsent("opened-by", String(i))
                    try m.setValue("opener-\(i)", "yes")
                } catch {
                    errors.withLock { $0.append("\(i): \(error)") }
                }
            }
            #expect(errors.withLock { $0 }.isEmpty, "round \(round): \(errors.withLock { $0 })")
            let m = try RunManifest(path: path)
            for i in 0..<8 { #expect(try m.value("opener-\(i)") == "yes") }
        }
    }

    @Test("an unwritable path is a FileError-like failure, not a crash")
    func badPath() {
        #expect(throws: (any Error).self) { _ = try RunManifest(path: "/nonexistent-dir/x/run.sqlite") }
    }
}

/// A value behind a lock, for the threads of one test.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
