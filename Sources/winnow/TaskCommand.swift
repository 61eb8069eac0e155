import ArgumentParser
import Foundation
import WinnowPipeline

/// `winnow task RUN_DIR --unit U --index I`: one task of a frozen cluster plan.
struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Run one task of a run frozen by `winnow run --executor slurm|plan` (a Slurm array element, a Kubernetes or AWS Batch index).",
        discussion: """
            The task writes its completion record (cluster/done/) when its outputs are committed; \
            it never writes the SQLite manifest (only the `merge` unit does). A task already done \
            with intact outputs is skipped. Exit status 0 when done, 1 when it failed.
            """)

    @Argument(help: "The run folder (on a filesystem every node sees).")
    var runDir: String

    @Option(help: "The unit: p<K>/shard, p<K>/resolve<S> or merge (see cluster/plan.json).")
    var unit: String

    @Option(help: "The task's index in the unit.")
    var index: Int?

    @Option(
        name: .customLong("task-from-env"),
        help: ArgumentHelp("Read the index from environment variable VAR (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX).", valueName: "VAR"))
    var taskFromEnv: String?

    @Option(help: "Added to the index from --task-from-env.")
    var taskOffset: Int = 0

    @Option(help: "The attempt number, for the records.")
    var attempt: Int = 1

    @Option(help: "The submission number, for the records (default: the latest).")
    var submission: Int?

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    func validate() throws {
        if (index == nil) == (taskFromEnv == nil) { throw ValidationError("give exactly one of --index and --task-from-env") }
    }

    func run() throws {
        var i = index ?? 0
        if let name = taskFromEnv {
            guard let text = ProcessInfo.processInfo.environment[name], let v = Int(text.trimmingCharacters(in: .whitespaces)), v >= 0
            else {
                throw ClusterError("--task-from-env \(name): the environment variable is not set to a task index")
            }
            i = v + taskOffset
        }
        var t = ClusterTask(run: runDir, unit: unit, index: i)
        t.attempt = attempt
        t.submission = submission ?? SlurmJobs.load(from: runDir).submissions.last?.number ?? 0
        try t.run(progress: ProgressReporter(quiet: quiet))
    }
}
