import ArgumentParser
import Foundation
import WinnowCore
import WinnowIO
import WinnowPipeline

/// `winnow convert`: files from one format to another (Parquet ⇄ JSONL), through the pipeline
/// runner with no stage, so the output is a run folder like `winnow run` writes (`data/part-NNNNN.*`,
/// `stats.json`, `errors.jsonl`), written atomically, in input order, the same for any worker count.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert documents between formats: Parquet, JSONL (.gz/.zst), or any input format to them.",
        discussion: """
            Examples:
              winnow convert fineweb/*.parquet --output fineweb-jsonl --format jsonl.zst
              winnow convert corpus.jsonl.gz --output corpus-pq --format parquet --compression zstd
            The output is a run folder: data/part-00000.<ext>, … (one file per input shard: a Parquet row group
            run or a JSONL byte range), stats.json and errors.jsonl. The input format is taken from the file names
            (.parquet; .jsonl, .json, .ndjson with or without .gz/.zst) unless --input-format says it.
            """)

    @Argument(help: "Input files, folders or glob patterns.")
    var inputs: [String]

    @Option(help: "The output run folder.")
    var output: String

    @Option(help: "Output format: parquet, jsonl, jsonl.gz or jsonl.zst.")
    var format: String

    @Option(help: "Input format: jsonl, parquet, text, warc, html or mediawiki (default: from the file names).")
    var inputFormat: String?

    @Option(help: "The text field (JSONL) or column (Parquet).")
    var textKey = "text"

    @Option(help: "The id field (JSONL) or column (Parquet).")
    var idKey = "id"

    @Option(help: "Parquet output: snappy, zstd, gzip or none.")
    var compression: String?

    @Option(help: "Parquet output: uncompressed bytes per row group (e.g. 128MB).")
    var rowGroupSize: String?

    @Option(help: "Compression level (gzip 1–12, zstd 1–19).")
    var level: Int?

    @Option(help: "Input shard size (JSONL byte ranges; Parquet row groups are packed up to it).")
    var shardSize = "64MB"

    @Option(help: "Bad records: fail (default) or skip (they go to errors.jsonl).")
    var onError = "fail"

    @Option(help: "Worker threads (default: the number of cores).")
    var workers: Int?

    @Flag(help: "Replace an existing run folder.")
    var overwrite = false

    @Flag(name: [.short, .long], help: "Print only errors.")
    var quiet = false

    static let formats = ["parquet", "jsonl", "jsonl.gz", "jsonl.zst"]

    func q(_ s: some StringProtocol) -> String {
        var out: [UInt8] = []
        JSONLCodec.appendString(String(s), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The input format: the option, else the one every input's name implies.
    func detectedInputFormat() throws -> String {
        if let inputFormat { return inputFormat }
        var found: Set<String> = []
        for i in inputs {
            var name = i.lowercased()
            for suffix in [".gz", ".zst"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
            if name.hasSuffix(".parquet") || name.hasSuffix(".pq") {
                found.insert("parquet")
            } else if name.hasSuffix(".jsonl") || name.hasSuffix(".json") || name.hasSuffix(".ndjson") {
                found.insert("jsonl")
            } else {
                throw ValidationError("cannot tell the format of '\(i)' from its name: pass --input-format")
            }
        }
        guard found.count == 1, let f = found.first else {
            throw ValidationError("the inputs mix formats (\(found.sorted().joined(separator: ", "))): convert them separately")
        }
        return f
    }

    /// The recipe this command stands for.
    func recipeText() throws -> String {
        guard Self.formats.contains(format) else {
            throw ValidationError("--format must be one of \(Self.formats.joined(separator: ", ")), got '\(format)'")
        }
        let inFormat = try detectedInputFormat()
        var inputParts = ["path: [\(inputs.map(q).joined(separator: ", "))]", "format: \(q(inFormat))", "shard_size: \(q(shardSize))"]
        if inFormat == "jsonl" || inFormat == "parquet" { inputParts += ["text_key: \(q(textKey))", "id_key: \(q(idKey))"] }
        var outputParts = ["path: \(q(output))", "format: \(q(format))"]
        if let compression { outputParts.append("compression: \(q(compression))") }
        if let rowGroupSize { outputParts.append("row_group_size: \(q(rowGroupSize))") }
        if let level { outputParts.append("compression_level: \(level)") }
        return """
            name: convert
            input: { \(inputParts.joined(separator: ", ")) }
            output: { \(outputParts.joined(separator: ", ")) }
            on_error: \(q(onError))
            stages: []
            """
    }

    func run() throws {
        let recipe = try Recipe.decode(try recipeText(), file: "<winnow convert>")
        var options = RunOptions(workers: workers ?? ProcessInfo.processInfo.activeProcessorCount)
        options.overwrite = overwrite
        let summary = try PipelineRunner(recipe: recipe, options: options, progress: ProgressReporter(quiet: quiet)).run()
        if !quiet { print(RunCommand.render(summary, outputFile: nil), terminator: "") }
    }
}
