import Foundation
import WinnowCore
import WinnowIO

/// The Slurm jobs of a cluster run, `cluster/jobs.json`: one entry per submission (the first
/// `winnow run --executor slurm`, then each `--resume`).
public struct SlurmJobs: Codable, Sendable {
    /// One `sbatch` call.
    public struct Job: Codable, Sendable, Hashable {
        /// The unit it runs.
        public var unit: String
        /// The job id (the array job id for an array).
        public var jobID: String
        /// Added to `SLURM_ARRAY_TASK_ID` to get the task index (arrays split at MaxArraySize).
        public var offset: Int
        /// The task indices it runs.
        public var indices: [Int]
        /// Whether it is a job array.
        public var isArray: Bool
    }

    /// One submission.
    public struct Submission: Codable, Sendable {
        /// 1, 2, …
        public var number: Int
        /// When (seconds since 1970).
        public var submitted: Double
        /// Its jobs, in submission order.
        public var jobs: [Job]
        /// Whether the driver stopped early (a failed `sbatch`): its jobs were cancelled.
        public var aborted = false
    }

    /// Every submission, oldest first.
    public var submissions: [Submission] = []

    /// `cluster/jobs.json` of a run folder.
    public static func path(in run: String) -> String { run + "/cluster/jobs.json" }

    /// Reads the file (empty when absent).
    public static func load(from run: String) -> SlurmJobs {
        ClusterStore.readJSON(path(in: run)) ?? SlurmJobs()
    }

    /// Writes the file atomically.
    public func write(to run: String) throws {
        try ClusterStore.writeJSON(self, to: Self.path(in: run))
    }

    /// The job ids of the latest submission.
    public var latestJobIDs: [String] { submissions.last?.jobs.map(\.jobID) ?? [] }

    /// Refuses to touch a run whose Slurm jobs are still queued or running (a second `winnow
    /// run`, `--resume` or `--overwrite`, local or on Slurm, would race them).
    /// - Throws: ``RunFolderError`` naming the jobs.
    public static func refuseIfLive(run: String, shown: String) throws {
        let jobs = load(from: run)
        let ids = Set(jobs.latestJobIDs)
        guard !ids.isEmpty, let queue = SlurmClient().queue() else { return }
        let live = Set(queue.filter { ids.contains($0.jobID) }.map(\.jobID))
        if !live.isEmpty {
            throw RunFolderError(
                path: shown,
                "is in use by Slurm job(s) \(live.sorted().joined(separator: ", ")) of this run: follow them with "
                    + "`winnow status \(shown)`, or stop them with `scancel \(live.sorted().joined(separator: " "))`")
        }
    }
}

/// What a cluster run is doing, from the completion records and (when it can be asked) `squeue`.
public struct ClusterStatus: Sendable {
    /// A task's state.
    public enum State: String, Sendable, Hashable {
        /// Its completion record exists.
        case done
        /// Its Slurm element runs it.
        case running
        /// Submitted, waiting in the queue.
        case pending
        /// It failed, or its job ended without a completion record (killed, cancelled, out of time).
        case failed
        /// Never started: a task it depends on failed, and Slurm cancelled it.
        case cancelled
    }

    /// One task that is not done.
    public struct Task: Sendable, Hashable {
        /// The task key.
        public var key: String
        /// Its state.
        public var state: State
        /// The last attempt, when one started.
        public var attempt: Int?
        /// Its log (relative to the run folder).
        public var log: String
        /// Why it failed, or why it waits.
        public var message: String?
        /// The Slurm job element (`123_4`).
        public var job: String?
    }

    /// Counts per unit.
    public struct UnitCounts: Sendable, Hashable {
        /// The unit's name.
        public var unit: String
        /// Its number of tasks.
        public var tasks: Int
        /// Counts by state.
        public var counts: [State: Int] = [:]
    }

    /// The run folder as given.
    public var run: String
    /// The recipe's name.
    public var recipeName: String
    /// Per unit, in order.
    public var units: [UnitCounts] = []
    /// Every task that is not done.
    public var open: [Task] = []
    /// Whether the merge task finished (the run is complete).
    public var complete = false
    /// Whether `squeue` answered.
    public var queueKnown = false
    /// Jobs of the latest submission still queued or running.
    public var liveJobs: [String] = []
    /// The latest submission (0 when none).
    public var submission = 0
    /// Input bytes read by finished phase-1 shard tasks, and the seconds from the first start to the last finish.
    public var bytesRead: Int64 = 0
    /// Seconds from the first task's start to the last finish.
    public var elapsed: Double = 0
    /// Tasks done.
    public var tasksDone = 0
    /// Mean seconds per finished task.
    public var meanTaskSeconds: Double = 0

    /// The run ended without completing: nothing of it is queued or running any more.
    public var failed: Bool { !complete && queueKnown && liveJobs.isEmpty && open.contains { $0.state == .failed || $0.state == .cancelled } }

    /// Reads the status of the run in `run`.
    /// - Parameter queue: `squeue`'s entries (nil: unknown, e.g. not on a Slurm node).
    public static func read(run: String, queue: [SlurmClient.QueueEntry]?) throws -> ClusterStatus {
        let frozen = try ClusterPlan.load(from: run)
        let store = ClusterStore(run: run)
        let jobs = SlurmJobs.load(from: run)
        let sub = jobs.submissions.last
        var status = ClusterStatus(run: run, recipeName: frozen.recipeName)
        status.submission = sub?.number ?? 0
        status.queueKnown = queue != nil
        // Queue entries of the latest submission, by (unit, index).
        var live: [String: SlurmClient.QueueEntry] = [:]
        var submitted: [String: Set<Int>] = [:]
        var jobOf: [String: String] = [:]
        for job in sub?.jobs ?? [] {
            submitted[job.unit, default: []].formUnion(job.indices)
            for i in job.indices { jobOf["\(job.unit)#\(i)"] = job.isArray ? "\(job.jobID)_\(i - job.offset)" : job.jobID }
        }
        for e in queue ?? [] {
            guard let job = sub?.jobs.first(where: { $0.jobID == e.jobID }) else { continue }
            status.liveJobs.append(e.jobID)
            let index = (e.arrayIndex ?? 0) + job.offset
            live["\(job.unit)#\(index)"] = e
        }
        status.liveJobs = Array(Set(status.liveJobs)).sorted()
        var first = Double.infinity
        var last = 0.0
        var busy = 0.0
        for unit in frozen.units {
            var counts = UnitCounts(unit: unit.name, tasks: unit.count)
            for i in 0..<unit.count {
                let key = unit.key(i)
                let log = ClusterStore.logPath(unit, i)
                if let d = store.done(unit, i) {
                    counts.counts[.done, default: 0] += 1
                    status.tasksDone += 1
                    first = min(first, d.started)
                    last = max(last, d.finished)
                    busy += d.finished - d.started
                    if unit.kind == .shard && unit.phase == 0 { status.bytesRead += TaskStats.from(json: d.stats).read.bytes }
                    if unit.kind == .merge { status.complete = true }
                    continue
                }
                let r = store.running(unit, i).flatMap { $0.submission == status.submission ? $0 : nil }
                let f = store.failed(unit, i).flatMap { $0.submission == status.submission ? $0 : nil }
                let lastFailure = f.flatMap { f in (r.map { f.attempt >= $0.attempt } ?? true) ? f : nil }
                var task = Task(key: key, state: .pending, attempt: r?.attempt, log: log, job: r?.job ?? jobOf["\(unit.name)#\(i)"])
                if let e = live["\(unit.name)#\(i)"] {
                    if ["RUNNING", "COMPLETING", "CONFIGURING"].contains(e.state) {
                        task.state = .running
                    } else {
                        task.state = .pending
                        task.message = e.reason == "None" ? e.state.lowercased() : e.reason
                    }
                } else if let lastFailure {
                    task.state = .failed
                    task.message = lastFailure.message
                } else if r != nil {
                    task.state = queue == nil ? .running : .failed
                    if queue != nil {
                        task.message = "its job ended without a completion record (killed, cancelled or out of time)"
                    }
                } else if queue != nil && submitted[unit.name]?.contains(i) == true {
                    task.state = .cancelled
                    task.message = "not run: a task it depends on failed (Slurm cancelled it)"
                } else {
                    task.message = submitted[unit.name]?.contains(i) == true ? nil : "not submitted"
                }
                counts.counts[task.state, default: 0] += 1
                status.open.append(task)
            }
            status.units.append(counts)
        }
        if status.tasksDone > 0 {
            status.elapsed = max(0, last - first)
            status.meanTaskSeconds = busy / Double(status.tasksDone)
        }
        return status
    }

    /// A short word for the whole run.
    public var summaryWord: String {
        if complete { return "complete" }
        if failed { return "failed" }
        if !queueKnown { return "unknown (squeue is not available here)" }
        return liveJobs.isEmpty ? "stopped" : "running"
    }

    /// The status as text: one line per unit, throughput and ETA, then each failed task with its log.
    public func render() -> String {
        var out = "run \(run) (recipe \(recipeName)): \(summaryWord)"
        if submission > 0 { out += "; submission \(submission)" }
        if !liveJobs.isEmpty { out += ", Slurm job(s) \(liveJobs.joined(separator: ", ")) queued or running" }
        out += "\n"
        let states: [State] = [.done, .running, .pending, .failed, .cancelled]
        let width = max(12, units.map(\.unit.count).max() ?? 0)
        out += "  " + "unit".padding(toLength: width, withPad: " ", startingAt: 0) + "  tasks"
        for s in states { out += "  " + s.rawValue }
        out += "\n"
        for u in units {
            out += "  " + u.unit.padding(toLength: width, withPad: " ", startingAt: 0) + pad(u.tasks, 7)
            for s in states { out += pad(u.counts[s] ?? 0, s.rawValue.count + 2) }
            out += "\n"
        }
        if tasksDone > 0 && elapsed > 0 {
            out += String(format: "  throughput: %.2f MB/s of input, %.1f tasks/min", Double(bytesRead) / 1e6 / elapsed, Double(tasksDone) * 60 / elapsed)
            let remaining = open.count
            let running = max(1, open.filter { $0.state == .running }.count)
            if !complete && !failed && remaining > 0 {
                out += String(format: "; ETA ~%.0f s", meanTaskSeconds * Double(remaining) / Double(running))
            }
            out += "\n"
        }
        let failedTasks = open.filter { $0.state == .failed }
        if !failedTasks.isEmpty {
            out += "failed tasks:\n"
            for t in failedTasks {
                out += "  \(t.key)" + (t.attempt.map { " (attempt \($0)" + (job(t)) + ")" } ?? "") + ": \(t.message ?? "failed")\n"
                out += "    log: \(run)/\(t.log)\n"
            }
        }
        let cancelled = open.filter { $0.state == .cancelled }.count
        if cancelled > 0 { out += "\(cancelled) task(s) were not run because a task they depend on failed\n" }
        if failed { out += "continue with: winnow run RECIPE --executor slurm --resume --output \(run)\n" }
        return out
    }

    private func job(_ t: Task) -> String { t.job.map { ", Slurm job \($0)" } ?? "" }

    private func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
