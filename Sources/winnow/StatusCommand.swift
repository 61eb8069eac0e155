import ArgumentParser
import Foundation
import WinnowPipeline

/// `winnow status RUN_DIR`: what a run on a cluster is doing.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a cluster run's progress: tasks done/running/pending/failed per unit, throughput, ETA, failed tasks' logs.",
        discussion: """
            Reads the completion records in RUN_DIR/cluster/ and, where Slurm's `squeue` answers, \
            the queue. Exit status 0 (complete or running), 4 when the run ended failed.
            """)

    @Argument(help: "The run folder.")
    var runDir: String

    func run() throws {
        var dir = runDir
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        let queue = SlurmClient.isAvailable ? SlurmClient().queue() : nil
        let status = try ClusterStatus.read(run: dir, queue: queue)
        print(status.render(), terminator: "")
        if status.failed { throw ExitCode(4) }
    }
}
