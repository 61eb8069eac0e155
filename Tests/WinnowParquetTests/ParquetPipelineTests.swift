import Foundation
import Testing
import WinnowCore
import WinnowIO
@testable import WinnowParquet
import WinnowPipeline

/// Runs `recipe` (YAML) in a fresh sandbox with `workers` workers; returns the run folder.
func runRecipe(_ recipe: String, workers: Int) throws -> RunSummary {
    let r = try Recipe.decode(recipe, file: "<test>")
    var options = RunOptions(workers: workers)
    options.overwrite = true
    return try PipelineRunner(recipe: r, options: options, progress: ProgressReporter(quiet: true)).run()
}

func files(_ dir: String) -> [String: Data] {
    var out: [String: Data] = [:]
    for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
        out[name] = FileManager.default.contents(atPath: dir + "/" + name)
    }
    return out
}

@Suite("Parquet in a pipeline")
struct ParquetPipelineTests {
    @Test("Parquet in, Parquet out: a shard per row group, data/ byte-identical for 1 and 3 workers, every row and value kept")
    func parquetInAndOut() throws {
        let dir = try scratchFolder()
        var outputs: [[String: Data]] = []
        for workers in [1, 3] {
            let recipe = """
                name: pq
                input: { path: "\(fixtures)/row_groups.parquet", format: parquet, shard_size: 1 }
                output: { path: "\(dir)/out\(workers)", format: parquet, compression: zstd }
                stages: []
                """
            let summary = try runRecipe(recipe, workers: workers)
            #expect(summary.stats.read.documents == 60)
            outputs.append(files(dir + "/out\(workers)/data"))
        }
        #expect(outputs[0].count == 9)  // nine row groups, nine shards, nine files
        #expect(outputs[0] == outputs[1])
        // What was kept reads back with every column.
        let expected = try expectedDocuments()
        var back: [Document] = []
        for name in outputs[0].keys.sorted() {
            back += try readAll(ParquetDocumentReader(path: dir + "/out1/data/" + name))
        }
        #expect(back.map(\.id) == expected.map(\.id))
        #expect(back.map(\.metadata) == expected.map(\.metadata))
        #expect(FileManager.default.fileExists(atPath: dir + "/SENTINEL"))
    }

    @Test("on_error: skip — a damaged page's row group goes to errors.jsonl, the other row groups to data/; fail stops")
    func damagedPageSkipped() throws {
        let dir = try scratchFolder()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/row_groups.parquet")))
        let good = try ParquetFile(path: fixtures + "/row_groups.parquet")
        let chunk = good.rowGroups[2].chunks[1]
        // Overwrite the page header of row group 2's text chunk: a damaged page.
        for i in Int(chunk.dataPageOffset)..<(Int(chunk.dataPageOffset) + 6) { bytes[i] = 0xFF }
        let input = dir + "/in.parquet"
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        let recipe = """
            name: pq
            input: { path: "\(input)", format: parquet, shard_size: 1 }
            output: { path: "\(dir)/out", format: jsonl }
            on_error: skip
            stages: []
            """
        let summary = try runRecipe(recipe, workers: 2)
        #expect(summary.stats.read.documents == 53)
        let errors = try String(contentsOfFile: dir + "/out/errors.jsonl", encoding: .utf8)
        #expect(errors.contains("Parquet row group 2 (column 'text'"))
        #expect(errors.contains("rows 14..<21"))
        do {
            _ = try runRecipe(recipe.replacingOccurrences(of: "on_error: skip", with: "on_error: fail"), workers: 1)
            Issue.record("on_error: fail must stop the run")
        } catch let e as DamagedDataError {
            #expect(e.file == input)
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/SENTINEL"))
    }

    @Test("a truncated Parquet input stops the run at planning, naming the file")
    func truncatedInputStops() throws {
        let dir = try scratchFolder()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/default.parquet")))
        let input = dir + "/cut.parquet"
        try Data(bytes[0..<(bytes.count / 2)]).write(to: URL(fileURLWithPath: input))
        let recipe = """
            name: pq
            input: { path: "\(input)", format: parquet }
            output: { path: "\(dir)/out", format: parquet }
            on_error: skip
            stages: []
            """
        do {
            _ = try runRecipe(recipe, workers: 1)
            Issue.record("a truncated file must stop the run")
        } catch let e as ParquetError {
            #expect(e.file == input)
            #expect(e.message.contains("does not end with the magic"))
        }
    }

    @Test("output options: compression and row_group_size apply to parquet only; unknown codecs are named")
    func outputOptions() throws {
        let bad = [
            ("output: {path: o, format: jsonl, compression: zstd}", "output.compression applies to format parquet"),
            ("output: {path: o, format: parquet, compression: lzo}", "output.compression must be snappy, zstd, gzip or none"),
            ("output: {path: o, format: parquet, compression_level: 3}", "compression_level needs compression zstd or gzip"),
        ]
        for (output, message) in bad {
            do {
                _ = try Recipe.decode("input: {path: a, format: parquet}\n\(output)\nstages: []\n", file: "<test>")
                Issue.record("\(output) must be refused")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
        let r = try Recipe.decode(
            "input: {path: a, format: parquet, columns: [url]}\noutput: {path: o, format: parquet, compression: zstd, compression_level: 9, row_group_size: 1MB}\nstages: []\n",
            file: "<test>")
        #expect(r.output.parquet.codec == .zstd)
        #expect(r.output.parquet.level == 9)
        #expect(r.output.parquet.rowGroupBytes == 1_000_000)
        #expect(r.input.options.columns == ["url"])
    }
}
