import ArgumentParser
import Foundation
import WinnowCore
import WinnowIO
import WinnowPipeline

/// `winnow dedup`: the common dedup run without writing a recipe.
struct DedupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "Deduplicate files (exact, near-duplicate MinHash, or repeated lines) into a run folder.",
        discussion: """
            Equivalent to a recipe with one dedup stage, e.g.
              winnow dedup 'data/*.jsonl.gz' --method minhash --output out/dedup
            The run folder has the layout of `winnow run` (data/, removed/, stats.json, run.sqlite).
            """)

    @Argument(help: "Input files or glob patterns.")
    var inputs: [String]

    @Option(help: "exact, minhash or line.")
    var method = "minhash"

    @Option(help: "The run folder.")
    var output: String

    @Option(help: "Input format: jsonl, text, warc, html or mediawiki.")
    var format = "jsonl"

    @Option(help: "Output format: jsonl, jsonl.gz or jsonl.zst.")
    var outputFormat = "jsonl.gz"

    @Option(help: "Worker threads (default: the number of cores).")
    var workers: Int?

    @Flag(help: "Also write removed documents under removed/<reason>/.")
    var keepRemoved = false

    @Flag(help: "Delete the output folder first.")
    var overwrite = false

    @Flag(help: "Continue an interrupted run.")
    var resume = false

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    func validate() throws {
        guard ["exact", "minhash", "line"].contains(method) else {
            throw ValidationError("--method must be exact, minhash or line")
        }
        if resume && overwrite { throw ValidationError("--resume and --overwrite exclude each other") }
    }

    /// The recipe this command stands for (strings quoted as JSON, which YAML reads).
    func recipeText() throws -> String {
        func q(_ s: String) -> String {
            var out: [UInt8] = []
            JSONLCodec.appendString(s, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        let stage = ["exact": "exact_dedup", "minhash": "minhash_dedup", "line": "line_dedup"][method] ?? "minhash_dedup"
        return """
            name: dedup-\(method)
            input: { path: [\(inputs.map(q).joined(separator: ", "))], format: \(q(format)) }
            output: { path: \(q(output)), format: \(q(outputFormat)), keep_removed: \(keepRemoved) }
            stages:
              - \(stage): {}
            """
    }

    func run() throws {
        let recipe = try Recipe.decode(try recipeText(), file: "<winnow dedup>")
        var options = RunOptions(workers: workers ?? ProcessInfo.processInfo.activeProcessorCount)
        options.overwrite = overwrite
        options.resume = resume
        let summary = try PipelineRunner(recipe: recipe, options: options, progress: ProgressReporter(quiet: quiet)).run()
        if !quiet { print(RunCommand.render(summary), terminator: "") }
    }
}
