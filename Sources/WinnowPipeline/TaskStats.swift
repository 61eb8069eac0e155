import Foundation
import WinnowCore

/// What one task counted: input read, and each stage's verdicts (by stage index).
public struct TaskStats: Sendable, Codable, Hashable {
    /// Reading (only phase-0 tasks read the recipe's input).
    public var read = ReadStats()
    /// Stage stats by the stage's index in the recipe (as a string key, for JSON).
    public var stages: [String: StageStats] = [:]
    /// Documents written to `data/` (final-phase tasks only).
    public var written = 0
    /// Uncompressed bytes written to `data/`.
    public var writtenBytes: Int64 = 0
    /// Sampled removed (per stage and reason) and kept documents, for the report.
    public var examples = ExampleSketch()
    /// The largest near-duplicate clusters by stage index, for the report.
    public var clusters: [String: ClusterSketch] = [:]
    /// Wall time of the task(s), in seconds (summed when merged).
    public var seconds: Double = 0

    /// Empty stats.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case read, stages, written, writtenBytes, examples, clusters, seconds
    }

    /// Decodes stats; the report's fields may be absent (manifests of older versions).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        read = try c.decode(ReadStats.self, forKey: .read)
        stages = try c.decode([String: StageStats].self, forKey: .stages)
        written = try c.decode(Int.self, forKey: .written)
        writtenBytes = try c.decode(Int64.self, forKey: .writtenBytes)
        examples = try c.decodeIfPresent(ExampleSketch.self, forKey: .examples) ?? ExampleSketch()
        clusters = try c.decodeIfPresent([String: ClusterSketch].self, forKey: .clusters) ?? [:]
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds) ?? 0
    }

    /// Adds another task's stats.
    public mutating func merge(_ other: TaskStats) {
        read.merge(other.read)
        for (k, v) in other.stages { stages[k, default: StageStats()].merge(v) }
        written += other.written
        writtenBytes += other.writtenBytes
        examples.merge(other.examples)
        for (k, v) in other.clusters { clusters[k, default: ClusterSketch()].merge(v) }
        seconds += other.seconds
    }

    /// JSON for the manifest.
    public func json() throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: try enc.encode(self), as: UTF8.self)
    }

    /// Decodes manifest JSON (empty stats for `{}` or garbage).
    public static func from(json: String) -> TaskStats {
        (try? JSONDecoder().decode(TaskStats.self, from: Data(json.utf8))) ?? TaskStats()
    }
}

/// The merged result of a run, as written to `stats.json`.
public struct RunSummary: Sendable {
    /// The recipe's name.
    public var name: String
    /// The run folder.
    public var outputPath: String
    /// Merged stats of every task.
    public var stats: TaskStats
    /// The stages in recipe order: (stats key, kind).
    public var stageOrder: [(key: String, index: Int, kind: String)]
    /// Number of input shards.
    public var shards: Int
    /// Wall time of this invocation, in seconds.
    public var seconds: Double
    /// Tasks run by this invocation, and tasks skipped as already done.
    public var tasksRun: Int
    /// Tasks found done in the manifest.
    public var tasksSkipped: Int
    /// Whether the run was complete before this invocation (it ran no task).
    public var alreadyComplete = false
    /// Input bytes (uncompressed) that this invocation's tasks read; ``stats`` covers the whole run.
    public var bytesReadNow: Int64 = 0

    /// Dropped documents by reason over all stages, sorted by reason.
    public var droppedByReason: [(String, Int)] {
        var all: [String: Int] = [:]
        for s in stats.stages.values { for (r, n) in s.dropped { all[r, default: 0] += n } }
        return all.sorted { $0.key < $1.key }
    }

    /// The `stats.json` text (sorted keys, stable layout).
    public func json() throws -> String {
        var stages: [[String: Any]] = []
        for (key, index, kind) in stageOrder {
            let s = stats.stages[String(index)] ?? StageStats()
            var entry: [String: Any] = [
                "stage": key, "kind": kind, "in": s.documentsIn, "kept": s.kept, "dropped": s.dropped,
                "seconds": (s.seconds * 1000).rounded() / 1000,
            ]
            if !s.counters.isEmpty { entry["counters"] = s.counters }
            if s.bytesIn != 0 {
                entry["bytes_in"] = s.bytesIn
                entry["bytes_kept"] = s.bytesKept
            }
            if !s.histograms.isEmpty { entry["histograms"] = s.histograms.mapValues(Self.histogramJSON) }
            stages.append(entry)
        }
        let obj: [String: Any] = [
            "name": name,
            "shards": shards,
            "documents_in": stats.read.documents,
            "bytes_in": stats.read.bytes,
            "errors": stats.read.errors,
            "documents_out": stats.written,
            "bytes_out": stats.writtenBytes,
            "dropped": Dictionary(uniqueKeysWithValues: droppedByReason),
            "stages": stages,
        ]
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func histogramJSON(_ h: ValueHistogram) -> [String: Any] {
        var o: [String: Any] = ["scale": h.scale.rawValue, "kept": h.kept, "removed": h.removed]
        if h.scale == .linear { o["step"] = h.step }
        return o
    }
}
