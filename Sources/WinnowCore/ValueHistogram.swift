#if canImport(Glibc)
import Glibc
#endif

/// A bounded, mergeable histogram of one value a stage measured, split by the stage's verdict.
///
/// Buckets are fixed by the scale (never by the data), and counts are integers, so merging the
/// histograms of any split of the documents into tasks gives the same result as one task that
/// saw them all: the report of a run does not depend on the worker count or task split.
///
/// - `log`: bucket `k` holds values in [2^(k/4), 2^((k+1)/4)) (four buckets per doubling), with
///   values below 1 (and NaN) in bucket -1; at most 4 × 64 + 1 buckets.
/// - `linear`: bucket `k` holds values in [k × step, (k + 1) × step), clamped to ±4096 buckets.
/// - `category`: one bucket per label (a model's label set bounds them).
public struct ValueHistogram: Sendable, Hashable, Codable {
    /// How values map to buckets.
    public enum Scale: String, Sendable, Hashable, Codable {
        /// Four buckets per doubling, for lengths, counts and perplexities (values ≥ 0).
        case log
        /// Equal-width buckets of ``ValueHistogram/step``, for scores and weights.
        case linear
        /// One bucket per label.
        case category
    }

    /// The scale.
    public var scale: Scale
    /// The bucket width of a `linear` histogram (0 otherwise).
    public var step: Double
    /// Counts of kept documents by bucket key (a bucket index, or the label).
    public var kept: [String: Int] = [:]
    /// Counts of dropped documents by bucket key.
    public var removed: [String: Int] = [:]

    /// An empty histogram.
    public init(scale: Scale, step: Double = 0) {
        self.scale = scale
        self.step = scale == .linear ? step : 0
    }

    /// The bucket index of a numeric value.
    public func bucket(_ value: Double) -> Int {
        switch scale {
        case .log:
            guard value >= 1 else { return -1 }
            return min(256, Int((log2(value) * 4).rounded(.down)))
        case .linear:
            guard value.isFinite, step > 0 else { return 0 }
            return max(-4096, min(4096, Int((value / step).rounded(.down))))
        case .category:
            return 0
        }
    }

    /// The lower bound of a numeric bucket.
    public func lowerBound(_ bucket: Int) -> Double {
        switch scale {
        case .log: return bucket < 0 ? 0 : exp2(Double(bucket) / 4)
        case .linear: return Double(bucket) * step
        case .category: return 0
        }
    }

    /// Counts one document's value.
    public mutating func record(_ value: Double, kept isKept: Bool) {
        add(String(bucket(value)), kept: isKept)
    }

    /// Counts one document's label.
    public mutating func record(label: String, kept isKept: Bool) {
        add(label, kept: isKept)
    }

    mutating func add(_ key: String, kept isKept: Bool) {
        if isKept { kept[key, default: 0] += 1 } else { removed[key, default: 0] += 1 }
    }

    /// Adds another task's counts (the scales must agree; a differing one is ignored).
    public mutating func merge(_ other: ValueHistogram) {
        guard other.scale == scale, other.step == step else { return }
        for (k, v) in other.kept { kept[k, default: 0] += v }
        for (k, v) in other.removed { removed[k, default: 0] += v }
    }

    /// Total documents counted.
    public var total: Int { kept.values.reduce(0, +) + removed.values.reduce(0, +) }
}

/// Values one stage measured on the current document, waiting for its verdict.
public struct PendingMeasures: Sendable {
    var values: [(name: String, scale: ValueHistogram.Scale, step: Double, value: Double, label: String?)] = []

    /// No values.
    public init() {}

    /// The near-duplicate cluster the current document belongs to (its id: the kept
    /// document's id; its size in documents), set by dedup stages for the report's cluster view.
    public var cluster: (id: String, size: Int)?

    /// Whether nothing was measured.
    public var isEmpty: Bool { values.isEmpty && cluster == nil }

    /// Records a numeric value under `name` (keep one scale per name).
    public mutating func add(_ name: String, _ value: Double, scale: ValueHistogram.Scale = .log, step: Double = 0) {
        values.append((name, scale, step, value, nil))
    }

    /// Records a label under `name`.
    public mutating func add(_ name: String, label: String) {
        values.append((name, .category, 0, 0, label))
    }

    /// Files every pending value into `histograms` under the verdict, then empties itself.
    public mutating func flush(into histograms: inout [String: ValueHistogram], kept: Bool) {
        for v in values {
            var h = histograms[v.name] ?? ValueHistogram(scale: v.scale, step: v.step)
            if let label = v.label { h.record(label: label, kept: kept) } else { h.record(v.value, kept: kept) }
            histograms[v.name] = h
        }
        values.removeAll(keepingCapacity: true)
        cluster = nil
    }
}
