import Foundation
import Testing
import WinnowCore
import WinnowDedup
import WinnowIO
@testable import WinnowPipeline

/// `url_filter` and `decontaminate` in a real run: removed/ folders with their metadata,
/// decontamination.json in the run folder, the same output for any worker count, and
/// `--overwrite` cleaning the report as an owned name.
@Suite("url_filter and decontaminate in a run")
struct LastMileRunTests {
    static let item = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May."

    func setUp(_ dir: String) throws -> String {
        try FileSystem.writeAll(dir + "/sentinel", Array("keep".utf8))
        try FileSystem.createDirectory(dir + "/in")
        try FileSystem.writeAll(dir + "/bench.jsonl", Array("{\"id\": \"gsm-1\", \"question\": \(json(Self.item))}\n".utf8))
        try FileSystem.writeAll(dir + "/domains.txt", Array("blocked.example\n".utf8))
        for shard in 0..<3 {
            var lines = ""
            for i in 0..<20 {
                let id = "s\(shard)-\(i)"
                var text = "Document \(id) talks about the weather in a town by the sea, and nothing else at all."
                if i % 7 == 3 { text += " Quoting: " + Self.item + " End." }
                let url = i % 5 == 4 ? "https://www.Blocked.Example/page/\(i)" : "https://ok.example/\(id)"
                lines += "{\"id\": \(json(id)), \"text\": \(json(text)), \"url\": \(json(url))}\n"
            }
            try FileSystem.writeAll(dir + "/in/part-\(shard).jsonl", Array(lines.utf8))
        }
        return """
            name: last-mile
            input: { path: \(json(dir + "/in/*.jsonl")), format: jsonl }
            output: { path: \(json(dir + "/out")), format: jsonl, keep_removed: true }
            stages:
              - url_filter: { blocked_domains: [\(json(dir + "/domains.txt"))] }
              - decontaminate:
                  benchmarks: [{ name: gsm8k, path: \(json(dir + "/bench.jsonl")), fields: [question], id_field: id }]
            """
    }

    func json(_ s: String) -> String {
        var out: [UInt8] = []
        JSONLCodec.appendString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func run(_ text: String, workers: Int, overwrite: Bool = false, output: String? = nil) throws {
        var recipe = try Recipe.decode(text, file: "<test>")
        if let output { recipe.output.path = output }
        var options = RunOptions(workers: workers)
        options.overwrite = overwrite
        _ = try PipelineRunner(recipe: recipe, options: options, progress: ProgressReporter(quiet: true)).run()
    }

    @Test("removed/url_blocked_domain and removed/contaminated carry their metadata; decontamination.json and stats.json count the benchmark")
    func run() throws {
        let dir = try temporaryFolder()
        defer { try? FileSystem.remove(dir) }
        let recipe = try setUp(dir)
        try run(recipe, workers: 2)
        let out = dir + "/out"
        let kept = try readOutput(out)
        // 60 documents: 12 with a blocked URL; of the other 48, the 9 quoting the item (i % 7 == 3, not i % 5 == 4).
        #expect(kept.count == 60 - 12 - 9)
        #expect(!kept.contains { $0.text.contains("Natalia") })
        let removed = try readFolder(out + "/removed/contaminated")
        #expect(removed.count == 9)
        #expect(removed.allSatisfy { $0.metadata["contaminated_items"] == .array([.string("gsm8k:gsm-1")]) })
        #expect(try readFolder(out + "/removed/url_blocked_domain").count == 12)
        let report = try JSONSerialization.jsonObject(with: Data(try FileSystem.readAll(out + "/decontamination.json"))) as? [String: Any]
        let bench = (report?["benchmarks"] as? [[String: Any]])?.first
        #expect(bench?["items_found"] as? Int == 1)
        #expect(bench?["documents"] as? Int == 9)
        // stats.json files the contaminated documents under their benchmark (the report's category chart).
        let stats = try JSONSerialization.jsonObject(with: Data(try FileSystem.readAll(out + "/stats.json"))) as? [String: Any]
        let stage = (stats?["stages"] as? [[String: Any]])?.first { $0["stage"] as? String == "decontaminate" }
        let histogram = (stage?["histograms"] as? [String: Any])?["benchmark"] as? [String: Any]
        #expect((histogram?["removed"] as? [String: Int]) == ["gsm8k": 9])

        // The same output with one worker.
        try run(recipe, workers: 1, output: dir + "/out1")
        #expect(try snapshot(out + "/data") == snapshot(dir + "/out1/data"))
        #expect(try FileSystem.readAll(out + "/decontamination.json") == FileSystem.readAll(dir + "/out1/decontamination.json"))

        // --overwrite cleans and rewrites the report; the sentinel survives.
        try FileSystem.writeAll(out + "/decontamination.json", Array("stale".utf8))
        try run(recipe, workers: 2, overwrite: true)
        #expect(try FileSystem.readAll(out + "/decontamination.json") == FileSystem.readAll(dir + "/out1/decontamination.json"))
        #expect(FileManager.default.fileExists(atPath: dir + "/sentinel"))
    }
}

/// Documents in every shard file of a folder.
private func readFolder(_ folder: String) throws -> [Document] {
    var docs: [Document] = []
    for name in try FileSystem.list(folder).sorted() {
        let r = try JSONLReader(piece: InputPiece(path: folder + "/" + name, name: name, size: 0), options: ReaderOptions())
        while let d = try r.next() { docs.append(d) }
    }
    return docs
}
