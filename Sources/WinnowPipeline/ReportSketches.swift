import WinnowCore

/// One document shown in the report: a removed one (with its reason) or a kept one.
public struct ReportExample: Sendable, Codable, Hashable {
    /// The selection key (a stable hash): the smallest keys are kept.
    public var key: UInt64
    /// The document's id.
    public var id: String
    /// The input file (shard name) it came from.
    public var source: String
    /// The document's text length in UTF-8 bytes.
    public var bytes: Int
    /// The first ``ExampleSketch/snippetCharacters`` characters of its text.
    public var snippet: String
    /// A short note (e.g. `duplicate of <id>`), or empty.
    public var note: String

    /// An example.
    public init(key: UInt64, id: String, source: String, bytes: Int, snippet: String, note: String = "") {
        self.key = key
        self.id = id
        self.source = source
        self.bytes = bytes
        self.snippet = snippet
        self.note = note
    }
}

/// A bounded, mergeable, deterministic sample of documents per group (a stage's drop reason, or
/// the kept documents): each group keeps the ``limit`` documents with the smallest stable key.
///
/// The key depends only on the document (a hash of its id, or of its position in its output
/// shard), never on the task that saw it, so the sample is the same for any worker count or
/// task split.
public struct ExampleSketch: Sendable, Codable, Hashable {
    /// Documents kept per group.
    public static let limit = 5
    /// Characters of text kept per document.
    public static let snippetCharacters = 300

    /// Samples by group (`<stage index>:<reason>`, or `kept`), smallest key first.
    public var groups: [String: [ReportExample]] = [:]

    /// An empty sketch.
    public init() {}

    /// Whether a document with this key would enter `group` (cheap; call before building the
    /// example).
    public func wants(_ group: String, key: UInt64) -> Bool {
        guard let g = groups[group], g.count >= Self.limit, let last = g.last else { return true }
        return key < last.key
    }

    /// Offers a document to `group`.
    public mutating func offer(_ group: String, _ example: ReportExample) {
        var g = groups[group] ?? []
        if g.contains(where: { $0.key == example.key && $0.id == example.id }) { return }
        let at = g.firstIndex { (example.key, example.id) < ($0.key, $0.id) } ?? g.count
        if at >= Self.limit { return }
        g.insert(example, at: at)
        if g.count > Self.limit { g.removeLast() }
        groups[group] = g
    }

    /// Adds another task's samples.
    public mutating func merge(_ other: ExampleSketch) {
        for (group, list) in other.groups {
            for e in list { offer(group, e) }
        }
    }

    /// The first characters of a text.
    public static func snippet(_ text: String) -> String {
        if text.utf8.count <= snippetCharacters { return text }
        return String(text.prefix(snippetCharacters))
    }
}

/// The largest near-duplicate clusters of a dedup stage, each with a sample of its members:
/// bounded (``limit`` clusters × ``memberLimit`` members) and mergeable.
///
/// Clusters rank by size (largest first), then by a stable hash of the cluster id; members by
/// a stable hash of their id. A cluster's size is known to every task that sees one of its
/// members, so the merged top clusters and their smallest-hash members are exactly those of a
/// single task that saw every document.
public struct ClusterSketch: Sendable, Codable, Hashable {
    /// Clusters kept.
    public static let limit = 8
    /// Members kept per cluster.
    public static let memberLimit = 4

    /// One cluster.
    public struct Cluster: Sendable, Codable, Hashable {
        /// The cluster id (the kept document's id).
        public var id: String
        /// Its size in documents.
        public var size: Int
        /// The ranking hash of the id.
        public var key: UInt64
        /// Sampled members, smallest key first; `note` is `kept` or `removed`.
        public var members: [ReportExample]
    }

    /// Clusters, largest first.
    public var clusters: [Cluster] = []

    /// An empty sketch.
    public init() {}

    static func ranks(_ a: Cluster, before b: Cluster) -> Bool {
        (a.size, b.key, b.id) > (b.size, a.key, a.id)
    }

    /// Whether a member of a cluster of this size and key could be kept.
    public func wants(size: Int, key: UInt64, id: String) -> Bool {
        if clusters.contains(where: { $0.id == id }) { return true }
        guard clusters.count >= Self.limit, let worst = clusters.last else { return true }
        return Self.ranks(Cluster(id: id, size: size, key: key, members: []), before: worst)
    }

    /// Offers one member of cluster `id`.
    public mutating func offer(cluster id: String, size: Int, key: UInt64, member: ReportExample) {
        offer(Cluster(id: id, size: size, key: key, members: [member]))
    }

    mutating func offer(_ c: Cluster) {
        if let i = clusters.firstIndex(where: { $0.id == c.id }) {
            var members = clusters[i].members
            for m in c.members where !members.contains(where: { $0.id == m.id }) {
                let at = members.firstIndex { (m.key, m.id) < ($0.key, $0.id) } ?? members.count
                members.insert(m, at: at)
            }
            clusters[i].members = Array(members.prefix(Self.memberLimit))
            return
        }
        let at = clusters.firstIndex { Self.ranks(c, before: $0) } ?? clusters.count
        if at >= Self.limit { return }
        var n = c
        n.members = Array(c.members.sorted { ($0.key, $0.id) < ($1.key, $1.id) }.prefix(Self.memberLimit))
        clusters.insert(n, at: at)
        if clusters.count > Self.limit { clusters.removeLast() }
    }

    /// Adds another task's clusters.
    public mutating func merge(_ other: ClusterSketch) {
        for c in other.clusters { offer(c) }
    }
}
