import ArgumentParser
import Foundation
import WinnowCore
import WinnowIO
import WinnowPipeline

/// `winnow decontaminate`: remove benchmark test data from files without writing a recipe.
struct DecontaminateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decontaminate",
        abstract: "Remove documents (or spans) that share a 13-gram with benchmark test items, into a run folder.",
        discussion: """
            Equivalent to a recipe with one `decontaminate` stage, e.g.
              winnow decontaminate 'data/*.jsonl.gz' --output out/decont \\
                --benchmark gsm8k=../shared/data/qa/gsm8k/test.jsonl --fields gsm8k=question,answer \\
                --benchmark nq=../shared/data/qa/nq-open/nq-open-oracle.jsonl.gz --fields nq=question,ctxs.text
            A benchmark file is JSONL (fields chosen with --fields, default `text`) or plain text
            (one item a line). The run folder has the layout of `winnow run`, with
            decontamination.json: per benchmark, the items found, in how many documents, examples.
            """)

    @Argument(help: "Input files or glob patterns.")
    var inputs: [String]

    @Option(help: "The run folder.")
    var output: String

    @Option(name: .customLong("benchmark"), help: "A benchmark as NAME=PATH (repeat for several).")
    var benchmarks: [String] = []

    @Option(name: .customLong("fields"), help: "A JSONL benchmark's text fields as NAME=FIELD,FIELD (dotted paths; default text).")
    var fields: [String] = []

    @Option(name: .customLong("id-field"), help: "A JSONL benchmark's id field as NAME=FIELD (default: the line number).")
    var idFields: [String] = []

    @Option(help: "n-gram length in words.")
    var ngram = 13

    @Option(help: "drop (remove the document) or cut (remove the matching spans).")
    var mode = "drop"

    @Option(help: "cut mode: drop documents with fewer non-space characters left.")
    var minRemainingChars = 200

    @Option(help: "Input format: jsonl, text, warc, html or mediawiki.")
    var format = "jsonl"

    @Option(help: "Output format: jsonl, jsonl.gz or jsonl.zst.")
    var outputFormat = "jsonl.gz"

    @Option(help: "Worker threads (default: the number of cores).")
    var workers: Int?

    @Flag(help: "Also write removed documents under removed/contaminated/.")
    var keepRemoved = false

    @Flag(help: "Delete the output folder first.")
    var overwrite = false

    @Flag(help: "Continue an interrupted run.")
    var resume = false

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    /// `NAME=VALUE` pairs, checked.
    static func pairs(_ values: [String], option: String) throws -> [(String, String)] {
        try values.map { v in
            guard let eq = v.firstIndex(of: "="), eq != v.startIndex, v.index(after: eq) != v.endIndex else {
                throw ValidationError("--\(option) takes NAME=VALUE, got '\(v)'")
            }
            return (String(v[..<eq]), String(v[v.index(after: eq)...]))
        }
    }

    func validate() throws {
        guard !benchmarks.isEmpty else { throw ValidationError("give at least one --benchmark NAME=PATH") }
        guard ["drop", "cut"].contains(mode) else { throw ValidationError("--mode must be drop or cut") }
        guard ngram >= 1 else { throw ValidationError("--ngram must be ≥ 1") }
        if resume && overwrite { throw ValidationError("--resume and --overwrite exclude each other") }
        let names = try Self.pairs(benchmarks, option: "benchmark").map(\.0)
        for (name, _) in try Self.pairs(fields, option: "fields") + Self.pairs(idFields, option: "id-field") where !names.contains(name) {
            throw ValidationError("no --benchmark named '\(name)' (given: \(names.joined(separator: ", ")))")
        }
    }

    /// The recipe this command stands for (strings quoted as JSON, which YAML reads).
    func recipeText() throws -> String {
        func q(_ s: String) -> String {
            var out: [UInt8] = []
            JSONLCodec.appendString(s, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        let fieldMap = Dictionary(try Self.pairs(fields, option: "fields"), uniquingKeysWith: { _, b in b })
        let idMap = Dictionary(try Self.pairs(idFields, option: "id-field"), uniquingKeysWith: { _, b in b })
        var entries: [String] = []
        for (name, path) in try Self.pairs(benchmarks, option: "benchmark") {
            var e = "{name: \(q(name)), path: \(q(path))"
            if let f = fieldMap[name] {
                e += ", fields: [\(f.split(separator: ",").map { q(String($0)) }.joined(separator: ", "))]"
            }
            if let id = idMap[name] { e += ", id_field: \(q(id))" }
            entries.append(e + "}")
        }
        return """
            name: decontaminate
            input: { path: [\(inputs.map(q).joined(separator: ", "))], format: \(q(format)) }
            output: { path: \(q(output)), format: \(q(outputFormat)), keep_removed: \(keepRemoved) }
            stages:
              - decontaminate:
                  benchmarks: [\(entries.joined(separator: ", "))]
                  ngram: \(ngram)
                  mode: \(mode)
                  min_remaining_chars: \(minRemainingChars)
            """
    }

    func run() throws {
        let recipe = try Recipe.decode(try recipeText(), file: "<winnow decontaminate>")
        var options = RunOptions(workers: workers ?? ProcessInfo.processInfo.activeProcessorCount)
        options.overwrite = overwrite
        options.resume = resume
        let summary = try PipelineRunner(recipe: recipe, options: options, progress: ProgressReporter(quiet: quiet)).run()
        if !quiet {
            print(RunCommand.render(summary), terminator: "")
            let reportPath = output + "/decontamination.json"
            if let data = FileManager.default.contents(atPath: reportPath),
               let report = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let entries = report["benchmarks"] as? [[String: Any]]
            {
                for b in entries {
                    let name = b["name"] as? String ?? "?"
                    print("\(name): \(b["items_found"] as? Int ?? 0) of \(b["items"] as? Int ?? 0) items found in \(b["documents"] as? Int ?? 0) documents")
                }
                print("report: \(reportPath)")
            }
        }
    }
}
