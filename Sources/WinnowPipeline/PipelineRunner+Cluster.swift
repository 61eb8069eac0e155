#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WinnowCore
import WinnowIO
import WinnowStore

/// Where a task records that it started and finished: the SQLite manifest (local runs) or the
/// per-task completion records of a cluster run.
protocol TaskLedger: Sendable {
    /// The task starts.
    func begin(_ key: String) throws
    /// The task finished: every output is committed; their checksums and the task's stats.
    func finish(_ key: String, outputs: [String: String], stats: String) throws
}

extension RunManifest: TaskLedger {}

/// A cluster task's ledger: `finish` writes the task's completion record (atomically). Nothing
/// here touches the SQLite manifest.
final class CompletionLedger: TaskLedger {
    let store: ClusterStore
    let unit: ClusterUnit
    let index: Int
    let attempt: Int
    let submission: Int
    let started: Double
    let job: String?

    init(store: ClusterStore, unit: ClusterUnit, index: Int, attempt: Int, submission: Int, job: String?) {
        self.store = store
        self.unit = unit
        self.index = index
        self.attempt = attempt
        self.submission = submission
        self.job = job
        started = Date().timeIntervalSince1970
    }

    func begin(_ key: String) throws {}

    func finish(_ key: String, outputs: [String: String], stats: String) throws {
        try store.writeDone(
            CompletionRecord(
                key: key, unit: unit.name, index: index, attempt: attempt, submission: submission, outputs: outputs, stats: stats,
                host: ClusterTask.hostName(), job: job, started: started, finished: Date().timeIntervalSince1970),
            unit: unit)
    }
}

/// One task of a frozen cluster plan, run by `winnow task RUN_DIR --unit U --index I` (a Slurm
/// array element, a Kubernetes Indexed Job pod, an AWS Batch array child).
public struct ClusterTask: Sendable {
    /// The run folder (absolute or relative to the current folder).
    public var run: String
    /// The unit's name (`p0/shard`, `p0/resolve0`, `merge`).
    public var unit: String
    /// The task's index in the unit.
    public var index: Int
    /// The attempt (1-based), for the records.
    public var attempt = 1
    /// The submission, for the records (0 when run by hand).
    public var submission = 0

    /// A task.
    public init(run: String, unit: String, index: Int) {
        self.run = run
        self.unit = unit
        self.index = index
    }

    /// The short host name.
    static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "?" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The Slurm job of this process (`123_4` for an array element), from the environment.
    static func slurmJob() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let a = env["SLURM_ARRAY_JOB_ID"], let t = env["SLURM_ARRAY_TASK_ID"] { return "\(a)_\(t)" }
        return env["SLURM_JOB_ID"]
    }

    /// Runs the task: skips it when its completion record exists with intact outputs, else
    /// writes a start record, runs it and writes its completion record (a failure record, and
    /// the error rethrown, when it fails).
    /// - Returns: false when it was already done.
    @discardableResult
    public func run(progress: ProgressReporter) throws -> Bool {
        let frozen = try ClusterPlan.load(from: run)
        let unit = try frozen.unit(named: self.unit)
        guard (0..<unit.count).contains(index) else {
            throw ClusterError("unit \(unit.name) has \(unit.count) task(s): index \(index) is out of range")
        }
        var recipe = try Recipe.load(path: ClusterPlan.recipePath(in: run))
        if let i = frozen.inputOverride { recipe.input.replacePath(with: i) }
        guard recipe.fingerprint == frozen.recipeFingerprint else {
            throw ClusterError("\(ClusterPlan.recipePath(in: run)) changed after the run was submitted")
        }
        var options = RunOptions(workers: 1)
        options.task = 0
        options.tasks = 1
        options.outputPath = run
        let runner = PipelineRunner(recipe: recipe, options: options, progress: progress)
        let folder = try RunFolder.open(
            run, inputs: frozen.shards.flatMap { $0.pieces.map(\.path) }, patterns: recipe.input.patterns, mode: .task)
        defer { folder.unlock() }
        let store = ClusterStore(run: run)
        let key = unit.key(index)
        if let done = store.done(unit, index), try store.outputsIntact(done) {
            progress.log("task \(key): already done (attempt \(done.attempt) of submission \(done.submission))")
            return false
        }
        let job = Self.slurmJob()
        let log = ClusterStore.logPath(unit, index)
        let host = Self.hostName()
        try store.writeRunning(
            AttemptRecord(
                key: key, attempt: attempt, submission: submission, host: host, job: job, log: log,
                time: Date().timeIntervalSince1970),
            unit: unit, index: index)
        progress.log("task \(key): attempt \(attempt) on \(host)" + (job.map { " (Slurm job \($0))" } ?? ""))
        do {
            try ClusterFaults.apply(key: key, attempt: attempt)
            let plan = Plan(recipe: recipe, shards: frozen.shards)
            let ledger = CompletionLedger(store: store, unit: unit, index: index, attempt: attempt, submission: submission, job: job)
            switch unit.kind {
            case .shard:
                try runner.runShardTask(phase: plan.phases[unit.phase], shard: frozen.shards[index], plan: plan, manifest: ledger)
            case .resolve:
                guard let observed = plan.phases[unit.phase].observe, let corpus = observed.stage as? any CorpusStage else {
                    throw ClusterError("unit \(unit.name): phase \(unit.phase + 1) has no corpus stage to resolve")
                }
                try runner.runResolveTask(
                    phase: unit.phase, observed: observed, corpus: corpus, step: unit.step ?? 0, partition: index,
                    partitions: unit.count, plan: plan, ledger: ledger)
            case .merge:
                try runner.mergeCluster(frozen: frozen, plan: plan, folder: folder, ledger: ledger)
            }
        } catch {
            try? store.writeFailed(
                AttemptRecord(
                    key: key, attempt: attempt, submission: submission, host: host, job: job, log: log,
                    time: Date().timeIntervalSince1970, message: String(describing: error)),
                unit: unit, index: index)
            throw error
        }
        progress.log("task \(key): done")
        return true
    }
}

extension PipelineRunner {
    /// The merge task of a cluster run: checks every task's completion record, imports them all
    /// into the SQLite manifest (this one process is its only writer), then finishes the run as
    /// a local run does (`errors.jsonl`, `stats.json`, `complete`, `work/` removed).
    func mergeCluster(frozen: ClusterPlan, plan: Plan, folder: RunFolder, ledger: any TaskLedger) throws {
        let store = ClusterStore(run: out)
        var records: [CompletionRecord] = []
        var missing: [String] = []
        for unit in frozen.units where unit.kind != .merge {
            for i in 0..<unit.count {
                if let r = store.done(unit, i) { records.append(r) } else { missing.append(unit.key(i)) }
            }
        }
        if !missing.isEmpty {
            throw ClusterError(
                "merge: \(missing.count) task(s) have no completion record (first: \(missing[0])); run `winnow status \(out)`")
        }
        // Every task finished: any temporary file left is a killed attempt's.
        try folder.removeTemporaryFiles()
        let manifest = try RunManifest(path: out + "/run.sqlite")
        for r in records {
            try manifest.begin(r.key)
            try manifest.finish(r.key, outputs: r.outputs, stats: r.stats)
        }
        var summary = try summarize(plan: plan, manifest: manifest)
        let first = records.map(\.started).min() ?? Date().timeIntervalSince1970
        summary.seconds = Date().timeIntervalSince1970 - first
        summary.tasksRun = records.count
        try finalize(plan: plan, summary: summary, folder: folder)
        try ledger.finish("merge", outputs: [:], stats: "{}")
    }

    /// The summary of a finished cluster run, read from its manifest (after the merge task).
    public func clusterSummary() throws -> RunSummary {
        let frozen = try ClusterPlan.load(from: out)
        let plan = Plan(recipe: recipe, shards: frozen.shards)
        let manifest = try RunManifest(path: out + "/run.sqlite")
        var summary = try summarize(plan: plan, manifest: manifest)
        if let s = try? FileSystem.readAll(out + "/stats.json"),
            let obj = try? JSONSerialization.jsonObject(with: Data(s)) as? [String: Any], let secs = obj["seconds"] as? Double
        {
            summary.seconds = secs
        }
        return summary
    }
}

/// Fault injection for the cluster tests, from the environment (which `sbatch` passes on):
/// `WINNOW_FAULT_FAIL_TASK=KEY[:N]` makes task KEY fail (its first N attempts, else every
/// attempt); `WINNOW_FAULT_HOLD_TASK=KEY` makes its first attempt wait until it is killed.
enum ClusterFaults {
    static func apply(key: String, attempt: Int) throws {
        let env = ProcessInfo.processInfo.environment
        if let spec = env["WINNOW_FAULT_FAIL_TASK"] {
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            let upTo = parts.count > 1 ? Int(parts[1]) ?? Int.max : Int.max
            if parts[0] == key && attempt <= upTo {
                throw ClusterError("task \(key): injected failure (WINNOW_FAULT_FAIL_TASK), attempt \(attempt)")
            }
        }
        if env["WINNOW_FAULT_HOLD_TASK"] == key && attempt == 1 {
            while true { sleep(1) }
        }
    }
}
