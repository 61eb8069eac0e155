import ArgumentParser
import Foundation
import TensorCore
import WinnowCore
import WinnowEmbed
import WinnowPipeline

/// `winnow run RECIPE`.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a recipe (pipelines/*.yaml) over its input.")

    @Argument(help: "The recipe file.")
    var recipe: String

    @Option(help: "Worker threads (default: the recipe's `workers`, else the number of cores).")
    var workers: Int?

    @Option(help: "Single-task mode: run task I (0-based) of --tasks N, for an external scheduler.")
    var task: Int?

    @Option(help: "The number of tasks in single-task mode.")
    var tasks: Int?

    @Option(
        name: .customLong("input"),
        help: "Read PATH (a file, a folder: every file under it, or a quoted glob) instead of the recipe's input.path.")
    var input: String?

    @Option(name: .customLong("output"), help: "Override the recipe's output.path.")
    var output: String?

    @Flag(help: "Continue the run in the output folder, skipping finished tasks.")
    var resume = false

    @Flag(help: "Delete the output folder first.")
    var overwrite = false

    @Flag(help: "Keep work/ (phase outputs, corpus-stage state) after success.")
    var keepWork = false

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Log every finished task.")
    var verbose = false

    func validate() throws {
        if (task == nil) != (tasks == nil) { throw ValidationError("--task and --tasks go together") }
        if let task, let tasks, !(0..<tasks).contains(task) { throw ValidationError("--task must be in 0..<--tasks") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if resume && overwrite { throw ValidationError("--resume and --overwrite exclude each other") }
    }

    func run() throws {
        var recipe = try Recipe.load(path: self.recipe)
        if let input { recipe.input.replacePath(with: input) }
        var options = RunOptions(workers: workers ?? recipe.workers ?? ProcessInfo.processInfo.activeProcessorCount)
        options.task = task
        options.tasks = tasks
        options.resume = resume
        options.overwrite = overwrite
        options.keepWork = keepWork
        options.outputPath = output
        options.verbose = verbose
        let progress = ProgressReporter(quiet: quiet)
        if recipe.stages.contains(where: { $0.stage is EmbedStage }) {
            // The embedding model runs on OpenBLAS: say which kernel, and warn about a generic one.
            if let warning = BLAS.kernelWarning { progress.log("warning: \(warning)") }
            if verbose { progress.log("OpenBLAS kernel \(BLAS.coreName), 1 BLAS thread per task") }
        }
        let summary = try PipelineRunner(recipe: recipe, options: options, progress: progress).run()
        if !quiet && (task ?? 0) == 0 { print(Self.render(summary), terminator: "") }
    }

    /// The summary printed after a run. `outputFile` replaces the run folder's paths when the
    /// command wrote one file and removed its run folder (`winnow select --output x.jsonl`).
    static func render(_ s: RunSummary, outputFile: String? = nil) -> String {
        let st = s.stats
        var totals = "\(st.read.documents) documents in → \(st.written) out"
        if st.read.documents > 0 {
            totals += String(format: " (%.1f%% kept)", 100 * Double(st.written) / Double(st.read.documents))
        }
        var out: String
        if s.alreadyComplete {
            // Nothing ran: say so, and show the run's totals without a rate that this
            // invocation did not achieve.
            out = "\n\(s.name): the run in '\(s.outputPath)' was already complete; nothing to do"
            out += String(format: " (%.2f s)\n", s.seconds)
            out += "  totals: " + totals + String(format: ", %.1f MB read\n", Double(st.read.bytes) / 1e6)
        } else if s.tasksSkipped > 0 {
            // Resumed: the totals cover the whole run, the time and rate only this invocation.
            out = "\n\(s.name): " + totals + String(format: ", %.1f MB read in all\n", Double(st.read.bytes) / 1e6)
            out += "  resumed: \(s.tasksSkipped) finished task(s) skipped, \(s.tasksRun) run"
            out += String(format: "; this invocation read %.1f MB in %.2f s", Double(s.bytesReadNow) / 1e6, s.seconds)
            if s.seconds > 0 { out += String(format: " (%.1f MB/s)", Double(s.bytesReadNow) / 1e6 / s.seconds) }
            out += "\n"
        } else {
            out = "\n\(s.name): " + totals + String(format: ", %.1f MB read in %.2f s", Double(st.read.bytes) / 1e6, s.seconds)
            if s.seconds > 0 { out += String(format: " (%.1f MB/s)", Double(st.read.bytes) / 1e6 / s.seconds) }
            out += "\n"
        }
        if st.read.errors > 0 {
            out += "  bad records skipped: \(st.read.errors)" + (outputFile == nil ? " (see errors.jsonl)" : "") + "\n"
        }
        for (key, index, _) in s.stageOrder {
            let x = st.stages[String(index)] ?? StageStats()
            let drops = x.dropped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            out += "  \(key): \(x.documentsIn) in, \(x.kept) kept" + (drops.isEmpty ? "" : "; dropped \(drops)") + "\n"
        }
        if let outputFile {
            out += "  output: \(outputFile)\n"
        } else {
            out += "  output: \(s.outputPath)/data/  stats: \(s.outputPath)/stats.json  manifest: \(s.outputPath)/run.sqlite\n"
        }
        return out
    }
}
