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
    /// Distributions of what the stage measured (document length, scores…), kept vs dropped,
    /// by measure name; bounded and mergeable (``ValueHistogram``).
    public var histograms: [String: ValueHistogram] = [:]
    /// Text bytes (UTF-8) of the documents that reached a document stage, and of those it
    /// kept (after its changes); 0 for corpus stages.
    public var bytesIn: Int64 = 0
    /// Text bytes of the documents a document stage kept, after its changes.
    public var bytesKept: Int64 = 0

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
        bytesIn += other.bytesIn
        bytesKept += other.bytesKept
        for (k, v) in other.histograms {
            if histograms[k] == nil { histograms[k] = v } else { histograms[k]?.merge(v) }
        }
    }

    enum CodingKeys: String, CodingKey {
        case documentsIn = "in", kept, dropped, counters, seconds, histograms, bytesIn = "bytes_in", bytesKept = "bytes_kept"
    }

    /// Decodes stats; `histograms` may be absent (manifests of older versions).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        documentsIn = try c.decode(Int.self, forKey: .documentsIn)
        kept = try c.decode(Int.self, forKey: .kept)
        dropped = try c.decode([String: Int].self, forKey: .dropped)
        counters = try c.decode([String: Double].self, forKey: .counters)
        seconds = try c.decode(Double.self, forKey: .seconds)
        histograms = try c.decodeIfPresent([String: ValueHistogram].self, forKey: .histograms) ?? [:]
        bytesIn = try c.decodeIfPresent(Int64.self, forKey: .bytesIn) ?? 0
        bytesKept = try c.decodeIfPresent(Int64.self, forKey: .bytesKept) ?? 0
    }

    /// Encodes stats (`histograms` only when there are any).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(documentsIn, forKey: .documentsIn)
        try c.encode(kept, forKey: .kept)
        try c.encode(dropped, forKey: .dropped)
        try c.encode(counters, forKey: .counters)
        try c.encode(seconds, forKey: .seconds)
        if !histograms.isEmpty { try c.encode(histograms, forKey: .histograms) }
        if bytesIn != 0 { try c.encode(bytesIn, forKey: .bytesIn) }
        if bytesKept != 0 { try c.encode(bytesKept, forKey: .bytesKept) }
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
