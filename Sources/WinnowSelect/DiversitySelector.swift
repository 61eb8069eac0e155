import TensorCore
import WinnowCore
import WinnowEmbed
import WinnowIO

/// Picks a diverse subset of the documents by their embeddings and drops the rest.
///
/// - `method: k_center`: greedy farthest-first traversal (``kCenter(_:count:seed:)``) from a
///   seeded first document; the picks spread over the whole space, outliers included.
/// - `method: facility_location`: greedy maximisation of Σᵢ max_{s∈S} max(0, cos(i, s))
///   (``facilityLocation(graph:count:)``), which favours documents that represent many others.
///   The similarities come from a top-`neighbours` graph built by blocked `sgemm`
///   (``NearestNeighbours``): exact greedy when `neighbours: 0` (every pair; for small corpora),
///   the greedy of the sparsified function otherwise.
///
/// Steps: observe (vectors or ids per shard, see ``EmbeddingSource``) → resolve 0 (unit vectors
/// to `vectors.f32`) → resolve 1 (`facility_location`: the neighbour lists, rows split into
/// partitions) → resolve 2 (the greedy selection) → decide: kept documents carry
/// `diversity_rank` (0 = first pick), the others are dropped as `diversity_not_selected`.
/// Every step runs in a fixed order, so the selection is identical for any worker count.
public struct DiversitySelector: CorpusStage, RegisteredStage {
    /// The stage name.
    public var name: String { "diversity" }
    /// Where the vectors come from.
    public var source: EmbeddingSource
    /// The selection algorithm.
    public var method: Method
    /// How many documents to keep.
    public var size: Size
    /// Neighbours per document in the facility-location graph; 0 = all (exact).
    public var neighbours: Int
    /// The seed of k-center's first pick; nil takes the run's seed.
    public var seed: UInt64?

    /// The selection algorithm.
    public enum Method: String, Sendable, CaseIterable {
        /// Greedy farthest-first traversal.
        case kCenter = "k_center"
        /// Lazy greedy facility location.
        case facilityLocation = "facility_location"
    }

    /// How many documents to keep.
    public enum Size: Sendable, Hashable {
        /// A number of documents.
        case count(Int)
        /// A fraction of the documents reaching the stage (rounded to the nearest whole number).
        case fraction(Double)

        /// The number kept out of `n`.
        public func resolved(_ n: Int) -> Int {
            switch self {
            case .count(let c): return min(c, n)
            case .fraction(let f): return min(n, Int((f * Double(n)).rounded()))
            }
        }
    }

    /// Row partitions of the neighbour-graph step.
    static let partitions = 8

    /// Creates the stage.
    public init(source: EmbeddingSource, method: Method, size: Size, neighbours: Int = 32, seed: UInt64? = nil) {
        self.source = source
        self.method = method
        self.size = size
        self.neighbours = neighbours
        self.seed = seed
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "diversity", kind: .corpus,
        summary: "Keeps a diverse subset chosen on the documents' unit embeddings: k_center (greedy farthest-first from a seeded start) or facility_location (lazy greedy on Σᵢ max_{s∈S} max(0, cos(i, s)) over a top-m neighbour graph built by blocked sgemm; neighbours: 0 is exact). Vectors come from the stage's own MiniLM embedder, a given .npy, or an earlier embed stage. Kept documents carry metadata.diversity_rank (pick order). Same result for any worker count.",
        parameters: [
            ParameterSpec("method", "string", default: nil, "k_center | facility_location"),
            ParameterSpec("count", "int", default: nil, "documents to keep (give count or fraction)"),
            ParameterSpec("fraction", "number", default: nil, "fraction of the documents reaching the stage to keep, rounded to the nearest whole number"),
            ParameterSpec("neighbours", "int", default: "32", "facility_location: neighbours per document in the similarity graph (n·m·16 bytes); 0 = every pair (exact greedy, n²·16 bytes: small corpora only)"),
            ParameterSpec("seed", "int", default: "the run's seed", "k_center: seed of the first pick"),
        ] + EmbeddingSource.parameters,
        dropReasons: ["diversity_not_selected"],
        make: { p in
            guard let methodName = try p.string("method", choices: Method.allCases.map(\.rawValue)), let method = Method(rawValue: methodName) else {
                throw ConfigError("stage 'diversity': method is required (k_center or facility_location)", at: p.location)
            }
            let count = try p.int("count", min: 0)
            let fraction = try p.double("fraction", min: 0, max: 1)
            let size: Size
            switch (count, fraction) {
            case (let c?, nil): size = .count(c)
            case (nil, let f?): size = .fraction(f)
            case (.some, .some): throw ConfigError("stage 'diversity': give count or fraction, not both", at: p.location(of: "fraction"))
            case (nil, nil): throw ConfigError("stage 'diversity': give count or fraction", at: p.location)
            }
            let neighbours = try p.int("neighbours", default: 32, min: 0) ?? 32
            let seed = try p.int("seed", min: 0).map { UInt64($0) }
            return DiversitySelector(source: try EmbeddingSource.parse(p), method: method, size: size, neighbours: neighbours, seed: seed)
        })

    static let vectorFile = "vectors.f32"
    static let layoutFile = "layout.txt"
    static func graphFile(_ partition: Int) -> String { "neighbours-\(partition).bin" }
    static func selectionFile(_ shard: Int) -> String { "selected-\(shard).txt" }

    // MARK: - Observe

    /// Creates the per-shard observer (embeds, or records ids).
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        try source.makeObserver(context: context)
    }

    // MARK: - Resolve

    /// Vectors, then the neighbour graph in partitions, then the selection.
    public var resolveSteps: [Int] { [1, Self.partitions, 1] }

    /// Runs one partition of a resolve step.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        BLAS.setThreadCount(1)  // the parallelism is the partitions'; the same BLAS path on every machine
        switch step {
        case 0:
            let matrix = try source.load(context: context)
            try MappedMatrix.write(matrix.values, to: context.path(Self.vectorFile))
            try FileSystem.writeAll(context.path(Self.layoutFile), Array("\(matrix.rows) \(matrix.columns)\n".utf8))
        case 1:
            guard method == .facilityLocation else { return }
            let (n, d) = try layout(context)
            let rows = n * partition / Self.partitions ..< n * (partition + 1) / Self.partitions
            let m = neighbours == 0 ? n : min(neighbours, n)
            let list: NeighbourList =
                d == 0 ? NeighbourList(k: m, rows: rows.count, indices: [], scores: [])
                : try MappedMatrix.shared(path: context.path(Self.vectorFile), columns: d).withView { view in
                    NearestNeighbours.search(view, rows: rows, in: view, k: m)
                }
            let out = try AtomicFileWriter(path: context.path(Self.graphFile(partition)))
            try list.indices.withUnsafeBytes { try out.write($0) }
            try list.scores.withUnsafeBytes { try out.write($0) }
            try out.commit()
        default:
            try select(context: context)
        }
    }

    func layout(_ context: CorpusContext) throws -> (Int, Int) {
        let f = String(decoding: try FileSystem.readAll(context.path(Self.layoutFile)), as: UTF8.self).split(separator: " ")
        guard f.count == 2, let n = Int(f[0]), let d = Int(f[1].dropLast()) else {
            throw FileError(path: context.path(Self.layoutFile), "corrupt (rerun without --resume)")
        }
        return (n, d)
    }

    /// Step 2: the greedy selection, written as per-shard lists of (index, rank).
    func select(context: CorpusContext) throws {
        let (n, d) = try layout(context)
        let count = size.resolved(n)
        var picks: [Int] = []
        if d > 0 && count > 0 {
            switch method {
            case .kCenter:
                picks = try MappedMatrix.shared(path: context.path(Self.vectorFile), columns: d).withView { view in
                    Self.kCenter(view, count: count, seed: seed ?? context.seed)
                }
            case .facilityLocation:
                picks = Self.facilityLocation(graph: try readGraph(n: n, context: context), count: count)
            }
        }
        let (_, starts) = try EmbeddingSource.documentIDs(context: context)
        var lines = [String](repeating: "", count: context.shardCount)
        for (rank, i) in picks.enumerated() {
            var shard = 0
            while starts[shard + 1] <= i { shard += 1 }
            lines[shard] += "\(i - starts[shard])\t\(rank)\n"
        }
        for s in 0 ..< context.shardCount {
            try FileSystem.writeAll(context.path(Self.selectionFile(s)), Array(lines[s].utf8))
        }
    }

    /// The partitions' neighbour lists joined into one graph over all rows.
    func readGraph(n: Int, context: CorpusContext) throws -> NeighbourList {
        let m = neighbours == 0 ? n : min(neighbours, n)
        var indices: [Int32] = []
        var scores: [Float] = []
        indices.reserveCapacity(n * m)
        scores.reserveCapacity(n * m)
        for p in 0 ..< Self.partitions {
            let path = context.path(Self.graphFile(p))
            let bytes = try FileSystem.readAll(path)
            let entries = bytes.count / 8
            guard bytes.count % 8 == 0, m == 0 || entries % m == 0 else { throw FileError(path: path, "corrupt (rerun without --resume)") }
            bytes.withUnsafeBytes { raw in
                for e in 0 ..< entries { indices.append(raw.loadUnaligned(fromByteOffset: e * 4, as: Int32.self)) }
                for e in 0 ..< entries { scores.append(raw.loadUnaligned(fromByteOffset: (entries + e) * 4, as: Float.self)) }
            }
        }
        guard indices.count == n * m else {
            throw FileError(path: context.path(Self.graphFile(0)), "the neighbour lists hold \(indices.count) entries, expected \(n * m) (rerun without --resume)")
        }
        return NeighbourList(k: m, rows: n, indices: indices, scores: scores)
    }

    // MARK: - Decide

    final class Decider: CorpusDecider {
        let ranks: [Int: Int]
        init(_ ranks: [Int: Int]) { self.ranks = ranks }

        func decide(_ document: inout Document, index: Int) throws -> Verdict {
            guard let rank = ranks[index] else { return .drop(reason: "diversity_not_selected") }
            document.metadata["diversity_rank"] = .int(Int64(rank))
            return .keep
        }
    }

    /// Creates the per-shard decider from the selection list.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        let path = context.path(Self.selectionFile(context.shard))
        var ranks: [Int: Int] = [:]
        for line in String(decoding: try FileSystem.readAll(path), as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: "\t")
            guard f.count == 2, let i = Int(f[0]), let r = Int(f[1]) else { throw FileError(path: path, "corrupt line '\(line)' (rerun without --resume)") }
            ranks[i] = r
        }
        return Decider(ranks)
    }
}
