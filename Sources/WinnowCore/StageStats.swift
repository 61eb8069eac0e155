/// Counts for one stage over one task; merges over tasks with ``merge(_:)``.
public struct StageStats: Sendable, Hashable, Codable {
    /// Documents that reached the stage.
    public var documentsIn: Int = 0
    /// Documents the stage kept.
    public var kept: Int = 0
    /// Dropped documents by reason.
    public var dropped: [String: Int] = [:]
    /// Stage-specific counters.
    public var counters: [String: Double] = [:]
    /// Wall time spent in the stage, in seconds (summed over tasks).
    public var seconds: Double = 0

    /// Empty stats.
    public init() {}

    /// Records one verdict.
    public mutating func record(_ verdict: Verdict) {
        documentsIn += 1
        switch verdict {
        case .keep: kept += 1
        case .drop(let reason): dropped[reason, default: 0] += 1
        }
    }

    /// Adds another task's stats to these.
    public mutating func merge(_ other: StageStats) {
        documentsIn += other.documentsIn
        kept += other.kept
        for (k, v) in other.dropped { dropped[k, default: 0] += v }
        for (k, v) in other.counters { counters[k, default: 0] += v }
        seconds += other.seconds
    }

    enum CodingKeys: String, CodingKey {
        case documentsIn = "in", kept, dropped, counters, seconds
    }
}

/// Counts for the reading side of one task.
public struct ReadStats: Sendable, Hashable, Codable {
    /// Documents read.
    public var documents: Int = 0
    /// Input bytes consumed (decompressed).
    public var bytes: Int64 = 0
    /// Bad records skipped under `on_error: skip`.
    public var errors: Int = 0

    /// Empty stats.
    public init() {}

    /// Adds another task's stats to these.
    public mutating func merge(_ other: ReadStats) {
        documents += other.documents
        bytes += other.bytes
        errors += other.errors
    }
}
