#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WinnowCore
import WinnowIO

/// A failure of a run on a cluster executor (Slurm, or a task of a frozen plan): what failed and
/// where to look (the task's log, the command that failed).
public struct ClusterError: UserFacingError, Hashable {
    /// What went wrong, with the task key and log path when there is one.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// One kind of task of a frozen plan: the shard tasks of a phase, the partitions of a resolve
/// step, or the final merge. On Slurm each unit is one job array (`p0/shard` → `--array=0-(N-1)`).
public struct ClusterUnit: Codable, Sendable, Hashable {
    /// What the unit's tasks do.
    public enum Kind: String, Codable, Sendable {
        /// One task per input shard of a phase.
        case shard
        /// One task per partition of a corpus stage's resolve step.
        case resolve
        /// The last small task: imports the completion records into the manifest, writes `stats.json`.
        case merge
    }

    /// `p0/shard`, `p0/resolve1`, `merge`.
    public var name: String
    /// The kind.
    public var kind: Kind
    /// The phase (0-based; the last phase for `merge`).
    public var phase: Int
    /// The resolve step (resolve units only).
    public var step: Int?
    /// The number of tasks; never changes on resume.
    public var count: Int

    /// The task key of task `index`, as the manifest records it (`p0/shard/00003`, `p0/resolve0/2`, `merge`).
    public func key(_ index: Int) -> String {
        switch kind {
        case .shard: return Plan.shardTaskKey(phase: phase, shard: index)
        case .resolve: return Plan.resolveTaskKey(phase: phase, step: step ?? 0, partition: index)
        case .merge: return "merge"
        }
    }

    /// The unit's name for file names: `p0-shard`.
    public var tag: String { name.replacingOccurrences(of: "/", with: "-") }

    /// The file name stem of task `index`: `p0-shard-00003`.
    public func fileStem(_ index: Int) -> String { tag + "-" + Plan.pad(index) }

    /// The units of a plan, in the order they must run.
    public static func units(of plan: Plan) -> [ClusterUnit] {
        var units: [ClusterUnit] = []
        for phase in plan.phases {
            units.append(ClusterUnit(name: "p\(phase.index)/shard", kind: .shard, phase: phase.index, count: plan.shards.count))
            if let corpus = phase.observe?.stage as? any CorpusStage {
                for (step, parts) in corpus.resolveSteps.enumerated() {
                    units.append(
                        ClusterUnit(name: "p\(phase.index)/resolve\(step)", kind: .resolve, phase: phase.index, step: step, count: parts))
                }
            }
        }
        units.append(ClusterUnit(name: "merge", kind: .merge, phase: plan.phases.count - 1, count: 1))
        return units
    }
}

/// The plan of a cluster run, frozen in `cluster/plan.json` when the run is submitted: the
/// recipe (a copy in `cluster/recipe.yaml`), the input shards and the units. Every task reads
/// it instead of globbing the input again, so all nodes work on the same shards and the task
/// count never changes on resume.
public struct ClusterPlan: Codable, Sendable {
    /// Format version.
    public var version = 1
    /// The recipe's name.
    public var recipeName: String
    /// The recipe text's hash.
    public var recipeFingerprint: String
    /// The hash of the input shards (paths, ranges, sizes).
    public var inputFingerprint: String
    /// `--input` as given, when it replaced the recipe's input path.
    public var inputOverride: String?
    /// The absolute folder the run was submitted from: relative paths resolve against it.
    public var workingDirectory: String
    /// The absolute run folder.
    public var runFolder: String
    /// The input shards.
    public var shards: [InputShard]
    /// The units, in order.
    public var units: [ClusterUnit]

    /// `cluster/` inside a run folder.
    public static let folderName = "cluster"

    /// The frozen plan's path in a run folder.
    public static func path(in run: String) -> String { run + "/cluster/plan.json" }

    /// The frozen recipe's path in a run folder.
    public static func recipePath(in run: String) -> String { run + "/cluster/recipe.yaml" }

    /// Whether the run folder holds a frozen cluster plan.
    public static func exists(in run: String) -> Bool { FileSystem.isRegularFile(path(in: run)) }

    /// Reads the frozen plan of a run folder.
    /// - Throws: ``ClusterError`` when it is missing or unreadable.
    public static func load(from run: String) throws -> ClusterPlan {
        let p = path(in: run)
        guard FileSystem.isRegularFile(p) else {
            throw ClusterError(
                "'\(run)' holds no cluster plan (\(p) is missing): it was not started with --executor slurm or plan"
                    + " (a local run's progress: `winnow report \(run)`)")
        }
        do {
            return try JSONDecoder().decode(ClusterPlan.self, from: Data(try FileSystem.readAll(p)))
        } catch let e as DecodingError {
            throw ClusterError("\(p): not a Winnow cluster plan (\(e))")
        }
    }

    /// Writes the plan atomically.
    public func write() throws {
        try ClusterStore.writeJSON(self, to: Self.path(in: runFolder))
    }

    /// The unit named `name`.
    /// - Throws: ``ClusterError`` naming the units that exist.
    public func unit(named name: String) throws -> ClusterUnit {
        guard let u = units.first(where: { $0.name == name }) else {
            throw ClusterError("the plan has no unit '\(name)'; its units are: " + units.map(\.name).joined(separator: ", "))
        }
        return u
    }
}

/// A task's completion record, `cluster/done/<unit>-<NNNNN>.json`: written atomically (temporary
/// name, then rename) after every output file is committed, with the outputs' checksums and the
/// task's stats. Tasks on many nodes write only their own record; only the merge task (one
/// process) writes the SQLite manifest.
public struct CompletionRecord: Codable, Sendable, Hashable {
    /// The task key (`p0/shard/00003`).
    public var key: String
    /// The unit's name.
    public var unit: String
    /// The task's index in its unit.
    public var index: Int
    /// The attempt that finished it (1-based, counted per submission).
    public var attempt: Int
    /// The submission (1 for the first `winnow run`, +1 for each `--resume`).
    public var submission: Int
    /// Output files (relative to the run folder) and their checksums.
    public var outputs: [String: String]
    /// The task's stats as JSON (``TaskStats``).
    public var stats: String
    /// The host it ran on.
    public var host: String
    /// The Slurm job (`123_4`), when it ran under Slurm.
    public var job: String?
    /// Start and end (seconds since 1970).
    public var started: Double
    /// End.
    public var finished: Double
}

/// A task's start (`cluster/running/…`) or failure (`cluster/failed/…`) record.
public struct AttemptRecord: Codable, Sendable, Hashable {
    /// The task key.
    public var key: String
    /// The attempt (1-based, per submission).
    public var attempt: Int
    /// The submission.
    public var submission: Int
    /// The host.
    public var host: String
    /// The Slurm job (`123_4`), when under Slurm.
    public var job: String?
    /// The task's log (relative to the run folder).
    public var log: String
    /// When it started or failed (seconds since 1970).
    public var time: Double
    /// The error, for a failure record.
    public var message: String?
}

/// Reads and writes the per-task records under `cluster/` (one file per task, atomic renames,
/// so many nodes can write at once on a shared filesystem without a shared database).
public struct ClusterStore: Sendable {
    /// The run folder.
    public var run: String

    /// A store over a run folder.
    public init(run: String) { self.run = run }

    /// The log of task `index` of a unit, relative to the run folder.
    public static func logPath(_ unit: ClusterUnit, _ index: Int) -> String { "logs/" + unit.fileStem(index) + ".log" }

    func path(_ kind: String, _ unit: ClusterUnit, _ index: Int) -> String {
        run + "/cluster/\(kind)/" + unit.fileStem(index) + ".json"
    }

    /// The completion record of a task, if any.
    public func done(_ unit: ClusterUnit, _ index: Int) -> CompletionRecord? {
        Self.readJSON(path("done", unit, index))
    }

    /// The latest start record of a task, if any.
    public func running(_ unit: ClusterUnit, _ index: Int) -> AttemptRecord? {
        Self.readJSON(path("running", unit, index))
    }

    /// The latest failure record of a task, if any.
    public func failed(_ unit: ClusterUnit, _ index: Int) -> AttemptRecord? {
        Self.readJSON(path("failed", unit, index))
    }

    /// Writes a completion record (atomically).
    public func writeDone(_ r: CompletionRecord, unit: ClusterUnit) throws {
        try Self.writeJSON(r, to: path("done", unit, r.index))
    }

    /// Writes a start record.
    public func writeRunning(_ r: AttemptRecord, unit: ClusterUnit, index: Int) throws {
        try Self.writeJSON(r, to: path("running", unit, index))
    }

    /// Writes a failure record.
    public func writeFailed(_ r: AttemptRecord, unit: ClusterUnit, index: Int) throws {
        try Self.writeJSON(r, to: path("failed", unit, index))
    }

    /// Whether a completion record's outputs still exist with their checksums.
    public func outputsIntact(_ r: CompletionRecord) throws -> Bool {
        for (rel, sum) in r.outputs {
            let p = run + "/" + rel
            guard FileSystem.exists(p) else { return false }
            if try PipelineRunner.checksum(of: p) != sum { return false }
        }
        return true
    }

    /// Encodes `value` (sorted keys) to `path` atomically (a temporary name, then a rename).
    static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw ClusterError("cannot encode \(path): \(error)")
        }
        if let slash = path.lastIndex(of: "/") { try FileSystem.createDirectory(String(path[..<slash])) }
        // AtomicFileWriter: a temporary `<name>.tmp-<pid>`, then a rename.
        try FileSystem.writeAll(path, Array(data) + [0x0A])
    }

    static func readJSON<T: Decodable>(_ path: String) -> T? {
        guard FileSystem.isRegularFile(path), let bytes = try? FileSystem.readAll(path) else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(bytes))
    }
}
