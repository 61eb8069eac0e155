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
        name: .customLong("task-from-env"),
        help: ArgumentHelp(
            "Single-task mode with the task index read from environment variable VAR (JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX).",
            valueName: "VAR"))
    var taskFromEnv: String?

    @Option(
        help: "local (threads on this machine), slurm (job arrays; docs/cluster.md) or plan (freeze the plan for another scheduler); default: the recipe's executor.type, else local.")
    var executor: String?

    @Option(help: "Slurm: the partition.")
    var partition: String?

    @Option(help: "Slurm: at most N elements of an array at once (--array=…%N).")
    var arrayLimit: Int?

    @Option(help: "Slurm: the time limit of each task (HH:MM:SS).")
    var time: String?

    @Option(help: "Slurm: CPUs per task.")
    var cpusPerTask: Int?

    @Option(help: "Slurm: memory per task (e.g. 4G).")
    var mem: String?

    @Option(name: .customLong("sbatch-arg"), help: "Slurm: one more sbatch argument (repeatable), e.g. --sbatch-arg=--account=x.")
    var sbatchArgs: [String] = []

    @Option(help: "Slurm: attempts per task before the run fails (default 3).")
    var maxAttempts: Int?

    @Flag(help: "Slurm: submit and return without following the run (see `winnow status`).")
    var noWait = false

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
        if task != nil && taskFromEnv != nil { throw ValidationError("--task and --task-from-env exclude each other") }
        if ((task ?? (taskFromEnv != nil ? 0 : nil)) == nil) != (tasks == nil) {
            throw ValidationError("--task (or --task-from-env) and --tasks go together")
        }
        if let executor, !["local", "slurm", "plan"].contains(executor) {
            throw ValidationError("--executor must be local, slurm or plan (not '\(executor)')")
        }
        if let executor, executor != "local" && tasks != nil {
            throw ValidationError("--executor \(executor) runs every task: drop --task/--tasks")
        }
        if let maxAttempts, maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        if let arrayLimit, arrayLimit < 1 { throw ValidationError("--array-limit must be at least 1") }
        if let task, let tasks, !(0..<tasks).contains(task) { throw ValidationError("--task must be in 0..<--tasks") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if resume && overwrite { throw ValidationError("--resume and --overwrite exclude each other") }
    }

    /// The task index from `--task`, or from the variable `--task-from-env` names.
    func taskIndex() throws -> Int? {
        guard let name = taskFromEnv else { return task }
        guard let text = ProcessInfo.processInfo.environment[name] else {
            throw ClusterError("--task-from-env \(name): the environment variable \(name) is not set")
        }
        guard let i = Int(text.trimmingCharacters(in: .whitespaces)), i >= 0, i < (tasks ?? Int.max) else {
            throw ClusterError("--task-from-env \(name): '\(text)' is not a task index in 0..<\(tasks ?? 0)")
        }
        return i
    }

    func run() throws {
        var recipe = try Recipe.load(path: self.recipe)
        if let input { recipe.input.replacePath(with: input) }
        let kind = executor ?? (tasks == nil ? recipe.executor?.type : nil) ?? "local"
        if kind != "local" {
            try runOnCluster(recipe, kind: kind)
            return
        }
        let task = try taskIndex()
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

    /// `--executor slurm` (or `plan`): freeze the plan in the run folder and submit it.
    func runOnCluster(_ recipe: Recipe, kind: String) throws {
        let spec = recipe.executor
        var options = RunOptions(workers: 1)
        options.resume = resume
        options.overwrite = overwrite
        options.outputPath = output
        var settings = SlurmSettings(winnowPath: Self.executablePath())
        // Options override the recipe's `executor:` block field by field.
        settings.partition = partition ?? spec?.partition
        settings.arrayLimit = arrayLimit ?? spec?.arrayLimit
        settings.time = time ?? spec?.time
        settings.cpusPerTask = cpusPerTask ?? spec?.cpusPerTask
        settings.mem = mem ?? spec?.mem
        settings.sbatchArgs = (spec?.sbatchArgs ?? []) + sbatchArgs
        settings.maxAttempts = maxAttempts ?? spec?.maxAttempts ?? 3
        settings.wait = !noWait
        settings.submit = kind == "slurm"
        let progress = ProgressReporter(quiet: quiet)
        let outcome = try SlurmExecutor(recipe: recipe, options: options, settings: settings, progress: progress).run()
        switch outcome {
        case .complete(let s), .alreadyComplete(let s):
            if !quiet { print(Self.render(s), terminator: "") }
        case .submitted(let status):
            if !quiet { print(status.render() + "follow it with: winnow status \(status.run)") }
        case .frozen(let plan):
            if !quiet { print("plan frozen in \(plan.runFolder)/cluster/plan.json: \(plan.units.count) unit(s); run each task with `winnow task \(plan.runFolder) --unit U --index I`") }
        }
    }

    /// The absolute path of this executable (the jobs run the same binary).
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
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
