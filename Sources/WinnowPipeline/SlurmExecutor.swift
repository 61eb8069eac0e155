#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WinnowCore
import WinnowIO
import WinnowStore

/// How `winnow run --executor slurm` submits a run.
public struct SlurmSettings: Sendable {
    /// `--partition`.
    public var partition: String?
    /// At most this many elements of an array run at once (`--array=…%N`).
    public var arrayLimit: Int?
    /// `--time` (`HH:MM:SS`, or any form sbatch accepts).
    public var time: String?
    /// `--cpus-per-task`.
    public var cpusPerTask: Int?
    /// `--mem` (`4G`).
    public var mem: String?
    /// More `sbatch` arguments, passed as they are.
    public var sbatchArgs: [String] = []
    /// Attempts per task (a failing task is retried in its allocation; a SIGUSR1 requeues it).
    public var maxAttempts = 3
    /// Follow the run until it ends (false: submit and return).
    public var wait = true
    /// Submit at all (false: freeze the plan and list the units, for another scheduler).
    public var submit = true
    /// The `winnow` binary the jobs run (it must be at this path on every node).
    public var winnowPath: String
    /// Seconds between two looks at the queue while following.
    public var pollSeconds = 2.0

    /// Settings with the binary the jobs run.
    public init(winnowPath: String) {
        self.winnowPath = winnowPath
    }
}

/// The end of `winnow run --executor slurm`.
public enum SlurmOutcome: Sendable {
    /// The run finished; its summary.
    case complete(RunSummary)
    /// Nothing was left to do.
    case alreadyComplete(RunSummary)
    /// Submitted without following (`--no-wait`): the status right after submission.
    case submitted(ClusterStatus)
    /// The plan was frozen, nothing submitted (`--executor plan`).
    case frozen(ClusterPlan)
}

/// Runs a recipe on Slurm: freezes the plan in the run folder, submits one job array per unit
/// (the shard tasks of a phase, the partitions of a resolve step) chained with `afterok`
/// dependencies, then a small merge job, and follows the run (docs/architecture.md §4.2).
public final class SlurmExecutor: Sendable {
    let runner: PipelineRunner
    let settings: SlurmSettings
    let client = SlurmClient()
    var progress: ProgressReporter { runner.progress }

    /// An executor for a recipe. `options` carries `--resume`, `--overwrite` and `--output`.
    public init(recipe: Recipe, options: RunOptions, settings: SlurmSettings, progress: ProgressReporter = ProgressReporter()) {
        var o = options
        o.workers = 1
        runner = PipelineRunner(recipe: recipe, options: o, progress: progress)
        self.settings = settings
    }

    /// Submits (or resumes) the run and, unless `wait` is off, follows it to its end.
    /// - Throws: ``ClusterError`` when submission fails or the run ends failed (the message
    ///   names each failed task and its log); ``RunFolderError`` when the folder is refused.
    public func run() throws -> SlurmOutcome {
        let shown = runner.out
        guard let run = FileSystem.resolve(shown) else { throw RunFolderError(path: shown, "cannot resolve the path") }
        if settings.submit && !SlurmClient.isAvailable {
            throw ClusterError("--executor slurm: `sbatch` is not on the PATH (run on a Slurm login node, or see docs/cluster.md)")
        }
        try SlurmJobs.refuseIfLive(run: run, shown: shown)
        let recipe = runner.recipe
        let options = runner.options
        let files = try runner.inputFiles()
        let mode: RunFolder.Mode = options.overwrite ? .overwrite : options.resume ? .resume : .start
        let folder = try RunFolder.open(shown, inputs: files, patterns: recipe.input.patterns, mode: mode, sharedLock: true)
        defer { folder.unlock() }
        let driverLock = try lockDriver(run: run, shown: shown)
        defer { close(driverLock) }

        let fresh = try planShards(
            files: files, root: recipe.input.root, options: recipe.input.options, shardBytes: recipe.input.shardBytes)
        let frozen: ClusterPlan
        if ClusterPlan.exists(in: run) {
            frozen = try ClusterPlan.load(from: run)
            if frozen.recipeFingerprint != recipe.fingerprint {
                throw ClusterError("the run in '\(shown)' was started with a different recipe; use --overwrite to start over")
            }
            if frozen.inputFingerprint != PipelineRunner.inputFingerprint(fresh) {
                throw ClusterError("the input files changed since the run in '\(shown)' started; use --overwrite to start over")
            }
        } else {
            if options.resume && FileSystem.exists(run + "/run.sqlite") {
                throw ClusterError(
                    "the run in '\(shown)' was not started with --executor slurm: resume it the way it was started")
            }
            try runner.checkManifest(try RunManifest(path: run + "/run.sqlite"), shards: fresh)
            let plan = Plan(recipe: recipe, shards: fresh)
            frozen = ClusterPlan(
                recipeName: recipe.name, recipeFingerprint: recipe.fingerprint,
                inputFingerprint: PipelineRunner.inputFingerprint(fresh), inputOverride: recipe.input.pathOrigin == "--input" ? recipe.input.patterns.first : nil,
                workingDirectory: FileSystem.currentDirectory() ?? "/", runFolder: run, shards: fresh,
                units: ClusterUnit.units(of: plan))
            try FileSystem.writeAll(ClusterPlan.recipePath(in: run), Array(recipe.text.utf8))
            try frozen.write()
        }
        let plan = Plan(recipe: recipe, shards: frozen.shards)
        progress.log("winnow: \(recipe.name): \(frozen.shards.count) shard(s); \(plan.summary)")

        let todo = try unfinished(frozen: frozen, run: run)
        if todo.isEmpty {
            progress.log("the run in '\(shown)' is complete and its outputs are intact: nothing to do")
            var s = try runner.clusterSummary()
            s.alreadyComplete = true
            return .alreadyComplete(s)
        }
        if !settings.submit {
            for unit in frozen.units {
                progress.log("  unit \(unit.name): \(unit.count) task(s): winnow task \(shown) --unit \(unit.name) --index I")
            }
            return .frozen(frozen)
        }
        try submit(frozen: frozen, todo: todo, run: run)
        if !settings.wait {
            return .submitted(try ClusterStatus.read(run: run, queue: client.queue()))
        }
        return try follow(run: run, shown: shown)
    }

    // MARK: - Steps

    /// Only one driver per run: an exclusive lock on `cluster/driver.lock`, held while submitting
    /// and following (released by the kernel when the driver dies).
    func lockDriver(run: String, shown: String) throws -> Int32 {
        try FileSystem.createDirectory(run + "/cluster")
        let fd = open(run + "/cluster/driver.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if fd >= 0 { close(fd) }
            throw RunFolderError(path: shown, "is in use by another `winnow run --executor slurm` (submitting or following it)")
        }
        return fd
    }

    /// The tasks to (re)submit, by unit name: those without a completion record whose outputs
    /// are intact. Without `work/` (a finished run, or deleted), the earlier phases' state is
    /// gone, so unless every final output is intact every earlier unit runs again.
    func unfinished(frozen: ClusterPlan, run: String) throws -> [String: [Int]] {
        let store = ClusterStore(run: run)
        var todo: [String: [Int]] = [:]
        let last = frozen.units.filter { $0.kind == .shard }.map(\.phase).max() ?? 0
        var finalIntact = true
        for unit in frozen.units where unit.kind != .merge {
            for i in 0..<unit.count {
                if let r = store.done(unit, i), try store.outputsIntact(r) { continue }
                todo[unit.name, default: []].append(i)
                if unit.kind == .shard && unit.phase == last { finalIntact = false }
            }
        }
        if !FileSystem.isDirectory(run + "/work") && !finalIntact {
            for unit in frozen.units where unit.kind != .merge && !(unit.kind == .shard && unit.phase == last) {
                todo[unit.name] = Array(0..<unit.count)
            }
        }
        let merge = frozen.units.first { $0.kind == .merge }
        if let merge, !todo.isEmpty || store.done(merge, 0) == nil { todo[merge.name] = [0] }
        // A task about to run again must not look done meanwhile.
        for unit in frozen.units {
            for i in todo[unit.name] ?? [] { try FileSystem.remove(run + "/cluster/done/" + unit.fileStem(i) + ".json") }
        }
        return todo
    }

    /// `0-7`, `1,3,5-6`: Slurm's array index list.
    static func arraySpec(_ indices: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let s = indices.sorted()
        while i < s.count {
            var j = i
            while j + 1 < s.count && s[j + 1] == s[j] + 1 { j += 1 }
            parts.append(j == i ? "\(s[i])" : "\(s[i])-\(s[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// Writes each unit's script and submits the chain: each unit's arrays depend (`afterok`)
    /// on every job of the unit before; `--kill-on-invalid-dep=yes` makes Slurm cancel the
    /// rest of the chain when a task fails for good, so nothing waits on a dead dependency.
    func submit(frozen: ClusterPlan, todo: [String: [Int]], run: String) throws {
        var jobs = SlurmJobs.load(from: run)
        var submission = SlurmJobs.Submission(number: (jobs.submissions.last?.number ?? 0) + 1, submitted: Date().timeIntervalSince1970, jobs: [])
        jobs.submissions.append(submission)
        let maxArray = max(1, client.maxArraySize() - 1)  // indices run 0...MaxArraySize-1
        var previous: [String] = []
        do {
            for unit in frozen.units {
                guard let indices = todo[unit.name], !indices.isEmpty else { continue }
                let script = SlurmScript(
                    winnow: settings.winnowPath, run: run, unit: unit, submission: submission.number, maxAttempts: settings.maxAttempts)
                let scriptPath = run + "/cluster/slurm/\(unit.tag).s\(submission.number).sh"
                try FileSystem.writeAll(scriptPath, Array(script.text.utf8))
                var common = [
                    "--job-name=winnow-\(frozen.recipeName)-\(unit.tag)", "--output=/dev/null", "--chdir=\(frozen.workingDirectory)",
                    "--kill-on-invalid-dep=yes", "--requeue", "--signal=B:USR1@60",
                ]
                if !previous.isEmpty { common.append("--dependency=afterok:" + previous.joined(separator: ":")) }
                if let p = settings.partition { common.append("--partition=\(p)") }
                if let t = settings.time { common.append("--time=\(t)") }
                if let c = settings.cpusPerTask { common.append("--cpus-per-task=\(c)") }
                if let m = settings.mem { common.append("--mem=\(m)") }
                common += settings.sbatchArgs
                var ids: [String] = []
                if unit.kind == .merge {
                    let id = try client.submit(options: common, script: scriptPath, arguments: ["0"])
                    submission.jobs.append(.init(unit: unit.name, jobID: id, offset: 0, indices: [0], isArray: false))
                    ids.append(id)
                } else {
                    // Arrays longer than MaxArraySize are split; each part's indices start at 0.
                    let groups = Dictionary(grouping: indices) { $0 / maxArray }
                    for (chunk, part) in groups.sorted(by: { $0.key < $1.key }) {
                        let offset = chunk * maxArray
                        var spec = Self.arraySpec(part.map { $0 - offset })
                        if let limit = settings.arrayLimit { spec += "%\(limit)" }
                        let id = try client.submit(options: common + ["--array=\(spec)"], script: scriptPath, arguments: [String(offset)])
                        submission.jobs.append(.init(unit: unit.name, jobID: id, offset: offset, indices: part.sorted(), isArray: true))
                        ids.append(id)
                        progress.log("  submitted \(unit.name): Slurm job \(id) --array=\(spec)")
                    }
                }
                if unit.kind == .merge { progress.log("  submitted merge: Slurm job \(ids[0])") }
                jobs.submissions[jobs.submissions.count - 1] = submission
                try jobs.write(to: run)
                previous = ids
            }
        } catch {
            client.cancel(submission.jobs.map(\.jobID))
            submission.aborted = true
            jobs.submissions[jobs.submissions.count - 1] = submission
            try? jobs.write(to: run)
            throw error
        }
    }

    /// Follows the run: a progress line whenever a count changes, until the merge task is done
    /// (success) or no job of this submission is left in the queue (failure).
    func follow(run: String, shown: String) throws -> SlurmOutcome {
        var lastLine = ""
        var emptyLooks = 0
        while true {
            let queue = client.queue()
            let status = try ClusterStatus.read(run: run, queue: queue)
            // Belt and braces for clusters that ignore --kill-on-invalid-dep.
            let dead = (queue ?? []).filter { $0.reason == "DependencyNeverSatisfied" && status.liveJobs.contains($0.jobID) }
            if !dead.isEmpty { client.cancel(Array(Set(dead.map(\.jobID))).sorted()) }
            let line = status.units.map { u in
                "\(u.unit) \(u.counts[.done] ?? 0)/\(u.tasks)" + ((u.counts[.running] ?? 0) > 0 ? " (\(u.counts[.running] ?? 0) running)" : "")
                    + ((u.counts[.failed] ?? 0) > 0 ? " (\(u.counts[.failed] ?? 0) failed)" : "")
            }.joined(separator: " · ")
            if line != lastLine {
                progress.log("slurm: " + line)
                lastLine = line
            }
            if status.complete {
                return .complete(try runner.clusterSummary())
            }
            if queue != nil && status.liveJobs.isEmpty {
                // Two looks in a row, so a job between sbatch and the queue is not missed.
                emptyLooks += 1
                if emptyLooks >= 2 {
                    let final = try ClusterStatus.read(run: run, queue: queue)
                    if final.complete { return .complete(try runner.clusterSummary()) }
                    throw ClusterError("the run in '\(shown)' failed on Slurm:\n" + final.render())
                }
            } else {
                emptyLooks = 0
            }
            usleep(UInt32(settings.pollSeconds * 1_000_000))
        }
    }
}
