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

    @Test("an unwritable path is a FileError-like failure, not a crash")
    func badPath() {
        #expect(throws: (any Error).self) { _ = try RunManifest(path: "/nonexistent-dir/x/run.sqlite") }
    }
}
