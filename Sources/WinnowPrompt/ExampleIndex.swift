import Foundation
import TensorCore
import WinnowCore
import WinnowEmbed

/// A pool of demonstrations ready for selection: its input embeddings (unit rows), a BM25 index
/// of its inputs, and the normalised inputs used to skip duplicates.
///
/// Immutable and `Sendable`: a server builds one per pool at start and shares it.
public struct ExampleIndex: Sendable {
    /// The pool.
    public let pool: ExamplePool
    /// The inputs' embeddings, `count × dimension`, each row scaled to unit length; nil when the
    /// index was built without an embedder (BM25 and random selection only).
    public let vectors: Tensor?
    /// BM25 over the inputs.
    let bm25: BM25Index
    /// Each input with surrounding whitespace trimmed, for exact-duplicate checks.
    let duplicateKeys: [String]
    /// The distinct labels, sorted (examples without a label count as one group).
    let labelGroups: [String?]

    /// Indexes a pool.
    /// - Parameters:
    ///   - pool: the demonstrations.
    ///   - vectors: their input embeddings, `pool.examples.count × dimension` row-major floats,
    ///     or nil for a lexical-only index.
    ///   - dimension: the vector length.
    public init(pool: ExamplePool, vectors: [Float]?, dimension: Int) {
        self.pool = pool
        if let vectors {
            precondition(vectors.count == pool.examples.count * dimension, "vectors do not match the pool")
            var matrix = Tensor(shape: [pool.examples.count, dimension], scalars: vectors)
            matrix.l2Normalize()
            self.vectors = matrix
        } else {
            self.vectors = nil
        }
        bm25 = BM25Index(documents: pool.examples.map(\.input))
        duplicateKeys = pool.examples.map { ExampleIndex.duplicateKey($0.input) }
        labelGroups = Set(pool.examples.map(\.label)).sorted { ($0.map { "1" + $0 } ?? "0") < ($1.map { "1" + $0 } ?? "0") }
    }

    /// Indexes a pool, embedding its inputs or taking their vectors from `cache`.
    /// - Parameters:
    ///   - pool: the demonstrations.
    ///   - embedder: the sentence embedder.
    ///   - modelID: identifies the embedder's weights in the cache (see ``modelID(folder:)``).
    ///   - cache: where vectors are kept between runs; nil to always embed.
    ///   - workers: embedding threads.
    /// - Returns: the index, and whether the vectors came from the cache.
    public static func build(
        pool: ExamplePool, embedder: Embedder, modelID: String, cache: ExampleEmbeddingCache?, workers: Int
    ) throws -> (index: ExampleIndex, cacheHit: Bool) {
        let rows = pool.examples.count
        let dimension = embedder.dimension
        if let cached = try cache?.vectors(poolHash: pool.contentHash, modelID: modelID, rows: rows, dimension: dimension) {
            return (ExampleIndex(pool: pool, vectors: cached, dimension: dimension), true)
        }
        let vectors = try embedder.embedMatrix(pool.examples.map(\.input), workers: max(1, workers))
        try cache?.store(
            poolHash: pool.contentHash, modelID: modelID, source: pool.source, rows: rows, dimension: dimension,
            vectors: vectors)
        return (ExampleIndex(pool: pool, vectors: vectors, dimension: dimension), false)
    }

    /// A cache key for a sentence-transformers folder: its name and an xxHash64 of its weights and
    /// configuration files, so replacing the model invalidates cached vectors.
    /// - Throws: ``FileError`` when the weights cannot be read.
    public static func modelID(folder: String) throws -> String {
        let base = URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
        var seed: UInt64 = 0
        for name in ["model.safetensors", "config.json", "1_Pooling/config.json", "modules.json", "tokenizer.json", "sentence_bert_config.json"] {
            let path = folder + "/" + name
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
                throw FileError(path: path, "cannot read the model file")
            }
            seed = data.withUnsafeBytes { StableHash.xxh64($0, seed: seed) }
        }
        return base + "@" + String(seed, radix: 16)
    }

    /// The key under which two inputs count as the same text: surrounding whitespace trimmed.
    static func duplicateKey(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
