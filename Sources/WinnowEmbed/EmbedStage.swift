import WinnowCore
import WinnowIO

/// The `embed` stage: a sentence embedding of every document that reaches it, for later stages
/// (semantic dedup, diversity selection) and for the user.
///
/// Observe embeds each shard's documents in chunks and streams the rows to
/// `work/<stage>/shard-NNNNN.npy` with the ids beside them (`shard-NNNNN.ids`, one per line).
/// Resolve, with `save: true`, concatenates the shards in order into the run folder's
/// `embeddings/vectors.npy` (float32, one row per document, numpy-loadable) and
/// `embeddings/ids.txt`. Decide keeps every document unchanged.
///
/// The model is loaded once when the recipe is read and shared by every worker thread; each
/// task embeds on its own thread with OpenBLAS single-threaded, so rows are bit-identical for
/// any worker count.
public struct EmbedStage: CorpusStage, RegisteredStage {
    /// The stage name.
    public var name: String { "embed" }
    /// The embedder.
    public let embedder: Embedder
    /// The most texts per forward pass.
    public var batchSize: Int
    /// The most padded tokens per forward pass.
    public var maxBatchTokens: Int
    /// Whether to write `embeddings/` into the run folder.
    public var save: Bool
    /// Documents embedded at a time per task (bounds memory).
    static let chunk = 512

    /// Creates the stage.
    public init(embedder: Embedder, batchSize: Int = 64, maxBatchTokens: Int = 2048, save: Bool = true) {
        self.embedder = embedder
        self.batchSize = batchSize
        self.maxBatchTokens = maxBatchTokens
        self.save = save
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "embed", kind: .corpus,
        summary: "Embeds every document with a sentence-transformers model (all-MiniLM-L6-v2 by default) on TensorCore; vectors go to the stage's work folder for later stages and, with save, to embeddings/vectors.npy (float32; row i = the i-th document reaching the stage, in input order) and embeddings/ids.txt in the run folder. Keeps every document.",
        parameters: [
            ParameterSpec("model", "path", default: "all-MiniLM-L6-v2", "model folder; looked up as given, then in $WINNOW_MODELS, ./models, ~/.cache/winnow/models"),
            ParameterSpec("batch_size", "int", default: "64", "the most texts per forward pass"),
            ParameterSpec("max_batch_tokens", "int", default: "2048", "the most padded tokens per forward pass"),
            ParameterSpec("save", "bool", default: "true", "write embeddings/vectors.npy and embeddings/ids.txt into the run folder"),
        ],
        dropReasons: [],
        make: { p in
            let given = try p.string("model")
            let path: String
            do {
                if let given, given.contains("/") {
                    path = try ModelLocator.locate(given, explicit: given)
                } else {
                    path = try ModelLocator.locate(given ?? "all-MiniLM-L6-v2")
                }
            } catch let e as FileError {
                throw ConfigError("stage 'embed': \(e.description)", at: p.location(of: "model") ?? p.location)
            }
            let embedder: Embedder
            do {
                embedder = try Embedder(folder: ModelFolder(path: path))
            } catch {
                throw ConfigError("stage 'embed': \(error)", at: p.location(of: "model") ?? p.location)
            }
            return EmbedStage(
                embedder: embedder,
                batchSize: try p.int("batch_size", default: 64, min: 1) ?? 64,
                maxBatchTokens: try p.int("max_batch_tokens", default: 2048, min: 1) ?? 2048,
                save: try p.bool("save", default: true))
        })

    static func vectorFile(_ shard: Int) -> String { "shard-\(pad(shard)).npy" }
    static func idFile(_ shard: Int) -> String { "shard-\(pad(shard)).ids" }
    static func pad(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 5 - s.count)) + s
    }

    // MARK: - Observe

    final class Observer: CorpusObserver {
        let stage: EmbedStage
        let npy: NpyWriter
        let ids: AtomicFileWriter
        var texts: [String] = []
        var idBytes: [UInt8] = []

        init(stage: EmbedStage, context: CorpusContext) throws {
            self.stage = stage
            npy = try NpyWriter(path: context.path(EmbedStage.vectorFile(context.shard)), columns: stage.embedder.dimension)
            ids = try AtomicFileWriter(path: context.path(EmbedStage.idFile(context.shard)))
        }

        func observe(_ document: Document, index: Int) throws {
            texts.append(document.text)
            EmbedStage.appendID(document.id, to: &idBytes)
            if texts.count == EmbedStage.chunk { try flush() }
        }

        func flush() throws {
            guard !texts.isEmpty else { return }
            let matrix = try stage.embedder.embedMatrix(texts, workers: 1, batchSize: stage.batchSize, maxBatchTokens: stage.maxBatchTokens)
            try matrix.withUnsafeBufferPointer { try npy.append(rows: $0) }
            try idBytes.withUnsafeBytes { try ids.write($0) }
            texts.removeAll(keepingCapacity: true)
            idBytes.removeAll(keepingCapacity: true)
        }

        func finish() throws {
            try flush()
            try npy.finish()
            try ids.commit()
        }
    }

    /// The id and a newline; JSON-quoted when it holds a line break, so lines match rows.
    public static func appendID(_ id: String, to out: inout [UInt8]) {
        if id.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            JSONLCodec.appendString(id, to: &out)
        } else {
            out.append(contentsOf: id.utf8)
        }
        out.append(0x0A)
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        try Observer(stage: self, context: context)
    }

    // MARK: - Resolve

    /// With `save`, concatenates the shards' vectors and ids into the run folder's `embeddings/`.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        guard save, !context.runDirectory.isEmpty else { return }
        let folder = context.runDirectory + "/embeddings"
        let npy = try NpyWriter(path: folder + "/vectors.npy", columns: embedder.dimension)
        let ids = try AtomicFileWriter(path: folder + "/ids.txt")
        for shard in 0 ..< context.shardCount {
            let matrix = try NpyMatrix(path: context.path(Self.vectorFile(shard)))
            guard matrix.columns == embedder.dimension else {
                throw FileError(path: context.path(Self.vectorFile(shard)), "has \(matrix.columns) columns, the model \(embedder.dimension)")
            }
            try matrix.values.withUnsafeBufferPointer { try npy.append(rows: $0) }
            let idBytes = try FileSystem.readAll(context.path(Self.idFile(shard)))
            try idBytes.withUnsafeBytes { try ids.write($0) }
        }
        try npy.finish()
        try ids.commit()
    }

    // MARK: - Decide

    final class Decider: CorpusDecider {
        func quickVerdict(index: Int) -> Verdict? { .keep }
        func decide(_ document: inout Document, index: Int) throws -> Verdict { .keep }
    }

    /// Keeps every document.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider { Decider() }
}
