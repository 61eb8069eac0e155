import Foundation
import WinnowCore
import WinnowIO
import WinnowStore

/// Everything `winnow report` shows about a run, read from its manifest (`run.sqlite`) and
/// `errors.jsonl`: works for a finished run and for one still running (the live view).
public struct ReportData: Sendable {
    /// One stage in recipe order.
    public struct StageInfo: Sendable, Hashable {
        /// The stats key (`gopher_quality`, `length#2`).
        public var key: String
        /// The index in the recipe.
        public var index: Int
        /// `document` or `corpus`.
        public var kind: String
    }

    /// Bad records from `errors.jsonl`.
    public struct ErrorSummary: Sendable {
        /// Records in the file.
        public var count = 0
        /// Records by message (the message up to its first detail), most frequent first.
        public var byMessage: [(message: String, count: Int)] = []
        /// The first few records: where and what.
        public var first: [(location: String, message: String)] = []

    }

    /// The recipe's name.
    public var name: String
    /// The recipe text.
    public var recipeText: String
    /// The stages in recipe order.
    public var stages: [StageInfo]
    /// Input shards.
    public var shards: Int
    /// Whether the run finished (the manifest says complete).
    public var complete: Bool
    /// Tasks recorded done, and tasks started but not done.
    public var tasksDone: Int
    /// Tasks running (or interrupted).
    public var tasksRunning: Int
    /// Worker threads of the last invocation (1 per process in task mode).
    public var workers: Int?
    /// Merged stats of every finished task.
    public var stats: TaskStats
    /// Summed task wall time by phase index, and the tasks counted.
    public var phaseSeconds: [Int: (seconds: Double, tasks: Int)]
    /// The bad-record summary.
    public var errors: ErrorSummary

    /// No run (for pages that only need the renderer's helpers).
    static let empty = ReportData(
        name: "", recipeText: "", stages: [], shards: 0, complete: true, tasksDone: 0, tasksRunning: 0, workers: nil,
        stats: TaskStats(), phaseSeconds: [:], errors: ErrorSummary())

    /// The `stage_order` manifest value: one `index<TAB>stats key<TAB>kind` line per stage.
    public static func stageOrderText(_ recipe: Recipe) -> String {
        recipe.stages.map { s in "\(s.index)\t\(s.statsKey)\t\(s.stage is any CorpusStage ? "corpus" : "document")" }
            .joined(separator: "\n")
    }

    /// Reads a run folder.
    /// - Throws: ``RunFolderError`` when `path` is not a run folder or has no manifest yet.
    public static func load(runDirectory path: String) throws -> ReportData {
        guard let resolved = FileSystem.resolve(path), FileSystem.isDirectory(resolved) else {
            throw RunFolderError(path: path, "is not a folder", subject: "run folder '\(path)'")
        }
        guard RunFolder.isRunFolder(resolved) else {
            throw RunFolderError(path: path, "is not a Winnow run folder (no \(RunFolder.markerName) or run.sqlite)", subject: "run folder '\(path)'")
        }
        let manifestPath = resolved + "/run.sqlite"
        guard RunManifest.isManifest(path: manifestPath) else {
            throw RunFolderError(path: path, "has no manifest yet (run.sqlite): the run has not started", subject: "run folder '\(path)'")
        }
        let manifest = try RunManifest(path: manifestPath)
        let records = try manifest.tasks()
        var merged = TaskStats()
        var phases: [Int: (seconds: Double, tasks: Int)] = [:]
        var done = 0
        var running = 0
        for (key, r) in records.sorted(by: { $0.key < $1.key }) {
            guard r.status == "done" else {
                running += 1
                continue
            }
            done += 1
            let t = TaskStats.from(json: r.stats)
            merged.merge(t)
            if let p = phaseIndex(key) {
                let seconds = t.seconds > 0 ? t.seconds : t.stages.values.reduce(0) { $0 + $1.seconds }
                phases[p, default: (0, 0)].seconds += seconds
                phases[p, default: (0, 0)].tasks += 1
            }
        }
        var stages: [StageInfo] = []
        for line in (try manifest.value("stage_order") ?? "").split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 3, let i = Int(f[0]) else { continue }
            stages.append(StageInfo(key: String(f[1]), index: i, kind: String(f[2])))
        }
        if stages.isEmpty {
            // A manifest of an older version: stages by index, names unknown.
            stages = merged.stages.keys.compactMap(Int.init).sorted().map { StageInfo(key: "stage \($0)", index: $0, kind: "") }
        }
        return ReportData(
            name: try manifest.value("recipe_name") ?? FileSystem.resolve(path).map { String($0.split(separator: "/").last ?? "") } ?? path,
            recipeText: try manifest.value("recipe_text") ?? "",
            stages: stages,
            shards: Int(try manifest.value("shards") ?? "") ?? 0,
            complete: try manifest.value("complete") == "1",
            tasksDone: done, tasksRunning: running,
            workers: Int(try manifest.value("workers") ?? ""),
            stats: merged, phaseSeconds: phases,
            errors: try readErrors(resolved + "/errors.jsonl"))
    }

    /// `p3/shard/00001` → 3.
    static func phaseIndex(_ key: String) -> Int? {
        guard key.hasPrefix("p"), let slash = key.firstIndex(of: "/") else { return nil }
        return Int(key[key.index(after: key.startIndex)..<slash])
    }

    /// Summarises `errors.jsonl` (absent: no errors), reading it as a stream.
    static func readErrors(_ path: String) throws -> ErrorSummary {
        var summary = ErrorSummary()
        guard FileSystem.isRegularFile(path) else { return summary }
        let lines = LineReader(source: try FileSource(path: path), path: path)
        var counts: [String: Int] = [:]
        while let line = try lines.next() {
            if line.bytes.isEmpty { continue }
            summary.count += 1
            let object = (try? JSONSerialization.jsonObject(with: Data(line.bytes))) as? [String: Any] ?? [:]
            let message = object["error"] as? String ?? "(unreadable record)"
            // Group by the message before its first detail (": …" or a quoted part).
            let head = String(message.prefix { $0 != ":" && $0 != "'" && $0 != "\"" }.prefix(120))
            counts[head, default: 0] += 1
            if summary.first.count < 5 {
                var location = object["file"] as? String ?? "?"
                if let l = object["line"] as? Int { location += ":\(l)" } else if let o = object["offset"] as? Int { location += " @\(o)" }
                summary.first.append((location, String(message.prefix(300))))
            }
        }
        summary.byMessage = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(20).map { (message: $0.key, count: $0.value) }
        return summary
    }
}
