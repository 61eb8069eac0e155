import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline

/// The selection stages inside real runs (PipelineRunner, several shards and phases).
@Suite("Selection in runs", .serialized)
struct SelectRunTests {
    /// Three JSONL files of documents from three domains with varied river/sea vs shopping text.
    func writeInput(_ dir: String) throws {
        let near = ["the river flows past the old town", "ships sail into the harbour by the sea", "the town is old and quiet"]
        let far = ["buy cheap watches now", "best prices and free shipping", "click here for a discount code"]
        for f in 0..<3 {
            var out: [UInt8] = []
            for i in 0..<150 {
                let n = f * 150 + i
                var words: [String] = []
                for k in 0..<(2 + n % 7) { words.append(((n * 7 + k) % 5 < 2 ? near : far)[(n + k) % 3]) }
                let source = ["wiki", "web", "books"][n % 3]
                JSONLCodec().encode(
                    Document(id: "f\(f)-\(i)", text: words.joined(separator: ". "), metadata: ["source": .string(source)]),
                    into: &out)
            }
            try FileSystem.writeAll(dir + "/in/part-\(f).jsonl", out)
        }
        try FileSystem.writeAll(dir + "/target.txt", Array("The river flows into the sea near the old town.\nShips in the harbour.\n".utf8))
    }

    func run(_ dir: String, workers: Int, output: String, stages: String) throws -> RunSummary {
        let text = """
            name: select
            input: { path: "\(dir)/in/*.jsonl", format: jsonl, shard_size: 4KB }
            output: { path: \(dir)/\(output), format: jsonl, keep_removed: true }
            seed: 5
            stages:
            \(stages)
            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(text.utf8))
        let recipe = try Recipe.load(path: dir + "/recipe.yaml")
        var options = RunOptions(workers: workers)
        options.overwrite = true
        // Absolute paths: changing the process's directory would race with tests on other
        // threads that look models up relative to it.
        return try PipelineRunner(recipe: recipe, options: options, progress: ProgressReporter(quiet: true)).run()
    }

    func files(_ dir: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for sub in ["data"] + (try FileSystem.list(dir + "/removed")).map({ "removed/" + $0 }) {
            for name in try FileSystem.list(dir + "/" + sub) { out[sub + "/" + name] = try FileSystem.readAll(dir + "/" + sub + "/" + name) }
        }
        return out
    }

    @Test("dsir (Gumbel) → top_k → mix: byte-identical output for 1 and 2 workers, sizes as asked")
    func workersIndependent() throws {
        let dir = NSTemporaryDirectory() + "winnow-select-run-\(UUID().uuidString.prefix(8))"
        try FileSystem.createDirectory(dir + "/in")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeInput(dir)
        let stages = """
              - dsir: { target: "\(dir)/target.txt", count: 200, min_length: 3 }
              - top_k: { score: dsir, fraction: 0.5 }
              - mix: { key: source, weights: { wiki: 2, web: 1, books: 1 }, count: 40, on_short: redistribute }
            """
        let one = try run(dir, workers: 1, output: "out1", stages: stages)
        let two = try run(dir, workers: 2, output: "out2", stages: stages)
        #expect(one.shards > 3)
        let a = try files(dir + "/out1")
        #expect(!a.isEmpty)
        #expect(a == (try files(dir + "/out2")))
        var kept: [Document] = []
        for (name, bytes) in a where name.hasPrefix("data/") {
            let r = try JSONLReader(piece: InputPiece(path: dir + "/out1/" + name, name: name, size: Int64(bytes.count)), options: ReaderOptions())
            while let d = try r.next() { kept.append(d) }
        }
        #expect(kept.count == 40)
        #expect(kept.allSatisfy { $0.scores["dsir"] != nil })
        #expect(kept.filter { $0.metadata["source"]?.stringValue == "wiki" }.count == 20)
        _ = two
    }
}
