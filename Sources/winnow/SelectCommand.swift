import ArgumentParser
import Foundation
import WinnowCore
import WinnowIO
import WinnowPipeline

/// `winnow select`: one selection stage (dsir, top-k, threshold, mix) without writing a recipe.
struct SelectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "select",
        abstract: "Select documents: DSIR toward a target, top-k or threshold on a score, or a domain mix.",
        discussion: """
            Equivalent to a recipe with one stage (dsir, top_k, threshold or mix), e.g.
              winnow select --method dsir --target wiki.txt --input raw.jsonl --count 1000 --output selected.jsonl
              winnow select --method top-k --score perplexity --order lowest --fraction 0.3 --input scored.jsonl --output best.jsonl
              winnow select --method threshold --score perplexity --max 500 --input scored.jsonl --output kept.jsonl
              winnow select --method mix --key source --weights wiki=0.5,web=0.3,books=0.2 --count 10000 --input pool.jsonl --output mix.jsonl
            An --output ending in .jsonl, .jsonl.gz or .jsonl.zst is one file of the kept documents in input order;
            any other --output is a run folder laid out as `winnow run` leaves it (data/, removed/, stats.json).
            """)

    @Option(help: "dsir, top-k, threshold or mix.")
    var method: String

    @Option(help: "Input files or glob patterns (repeatable).")
    var input: [String]

    @Option(help: "Output file (.jsonl, .jsonl.gz, .jsonl.zst) or run folder.")
    var output: String

    @Option(help: "Input format: jsonl, text, warc, html or mediawiki.")
    var format = "jsonl"

    @Option(help: "Documents to keep (dsir, top-k, mix).")
    var count: Int?

    @Option(help: "Fraction of the documents to keep, 0–1 (dsir, top-k, mix).")
    var fraction: Double?

    @Option(help: "dsir: target text files (repeatable; .jsonl by extension, otherwise one document per line).")
    var target: [String] = []

    @Option(help: "dsir: hash buckets.")
    var buckets = 10_000

    @Option(help: "dsir: longest n-gram.")
    var ngrams = 2

    @Option(help: "dsir: documents with fewer tokens are never selected.")
    var minLength = 100

    @Flag(help: "dsir: keep the top documents by importance weight instead of sampling (no Gumbel noise).")
    var noNoise = false

    @Option(help: "Seed of the sampling (dsir, mix).")
    var seed: UInt64 = 0

    @Option(help: "top-k, threshold: the scores key.")
    var score: String?

    @Option(help: "top-k: highest or lowest.")
    var order = "highest"

    @Option(help: "threshold: lowest kept value.")
    var min: Double?

    @Option(help: "threshold: highest kept value.")
    var max: Double?

    @Option(help: "top-k, threshold: documents without the score: error, drop (or keep, threshold).")
    var missing = "error"

    @Option(help: "mix: metadata key of the domain.")
    var key = "source"

    @Option(help: "mix: domain weights, e.g. wiki=0.5,web=0.3,books=0.2.")
    var weights: String?

    @Option(help: "mix: a domain with too few documents: error, keep_all or redistribute.")
    var onShort = "error"

    @Option(help: "Input shard size (e.g. 64MB): large uncompressed JSONL files are cut into shards of this size.")
    var shardSize = "64MiB"

    @Option(help: "Worker threads (default: the number of cores).")
    var workers: Int?

    @Flag(help: "Run folder output: also write removed documents under removed/<reason>/.")
    var keepRemoved = false

    @Flag(help: "Replace an existing output.")
    var overwrite = false

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    static let fileSuffixes = [".jsonl", ".jsonl.gz", ".jsonl.zst"]

    func validate() throws {
        guard ["dsir", "top-k", "threshold", "mix"].contains(method) else {
            throw ValidationError("--method must be dsir, top-k, threshold or mix")
        }
        if method != "threshold" && (count == nil) == (fraction == nil) {
            throw ValidationError("give --count or --fraction (one of them)")
        }
        if method == "dsir" && target.isEmpty { throw ValidationError("--method dsir needs --target") }
        if ["top-k", "threshold"].contains(method) && score == nil { throw ValidationError("--method \(method) needs --score") }
        if method == "threshold" && min == nil && max == nil { throw ValidationError("--method threshold needs --min and/or --max") }
        if method == "mix" && weights == nil { throw ValidationError("--method mix needs --weights") }
    }

    /// A string quoted as JSON, which YAML reads.
    func q(_ s: String) -> String {
        var out: [UInt8] = []
        JSONLCodec.appendString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The stage line of the recipe.
    func stageText() throws -> String {
        var p: [String] = []
        if let count { p.append("count: \(count)") }
        if let fraction { p.append("fraction: \(fraction)") }
        switch method {
        case "dsir":
            p += ["target: [\(target.map(q).joined(separator: ", "))]", "buckets: \(buckets)", "ngrams: \(ngrams)",
                  "min_length: \(minLength)", "noise: \(!noNoise)", "seed: \(seed)"]
            return "dsir: {\(p.joined(separator: ", "))}"
        case "top-k":
            p += ["score: \(q(score ?? ""))", "order: \(q(order))", "missing: \(q(missing))"]
            return "top_k: {\(p.joined(separator: ", "))}"
        case "threshold":
            p = ["score: \(q(score ?? ""))", "missing: \(q(missing))"]
            if let min { p.append("min: \(min)") }
            if let max { p.append("max: \(max)") }
            return "threshold: {\(p.joined(separator: ", "))}"
        default:
            var pairs: [String] = []
            for item in (weights ?? "").split(separator: ",") {
                let kv = item.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, let w = Double(kv[1].trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--weights: '\(item)' is not domain=weight")
                }
                pairs.append("\(q(kv[0].trimmingCharacters(in: .whitespaces))): \(w)")
            }
            p += ["key: \(q(key))", "weights: {\(pairs.joined(separator: ", "))}", "on_short: \(q(onShort))", "seed: \(seed)"]
            return "mix: {\(p.joined(separator: ", "))}"
        }
    }

    /// The recipe this command stands for, writing its run folder to `runFolder`.
    func recipeText(runFolder: String, outputFormat: String, keepRemoved: Bool) throws -> String {
        return """
            name: select-\(method)
            input: { path: [\(input.map(q).joined(separator: ", "))], format: \(q(format)), shard_size: \(q(shardSize)) }
            output: { path: \(q(runFolder)), format: \(q(outputFormat)), keep_removed: \(keepRemoved) }
            seed: \(seed)
            stages:
              - \(try stageText())
            """
    }

    func run() throws {
        let single = Self.fileSuffixes.first { output.hasSuffix($0) }
        let runFolder = single == nil ? output : output + ".winnow-run"
        if single != nil {
            var files: [String] = []
            for pattern in input { files += try FileSystem.glob(pattern) }
            try OutputFile.check(output, inputs: files, kind: .unrecognisable, overwrite: overwrite)
        }
        let outputFormat = single.map { String($0.dropFirst()) } ?? "jsonl.gz"
        let text = try recipeText(runFolder: runFolder, outputFormat: outputFormat, keepRemoved: single == nil && keepRemoved)
        let recipe = try Recipe.decode(text, file: "<winnow select>")
        var options = RunOptions(workers: workers ?? ProcessInfo.processInfo.activeProcessorCount)
        options.overwrite = overwrite || single != nil
        let summary = try PipelineRunner(recipe: recipe, options: options, progress: ProgressReporter(quiet: quiet)).run()
        if single != nil {
            // The parts are in input order and each is a complete stream (gzip members and zstd frames concatenate).
            let parts = try FileSystem.list(runFolder + "/data").filter { $0.hasPrefix("part-") }
            let w = try AtomicFileWriter(path: output)
            for part in parts {
                let bytes = try FileSystem.readAll(runFolder + "/data/" + part)
                try bytes.withUnsafeBytes { try w.write($0) }
            }
            try w.commit()
            // The temporary run folder goes through RunFolder like any other: only its own names.
            try RunFolder.open(runFolder, inputs: [], mode: .resume).delete()
        }
        // A single-file output's run folder is gone by now: name only the file.
        if !quiet { print(RunCommand.render(summary, outputFile: single == nil ? nil : output), terminator: "") }
    }
}
