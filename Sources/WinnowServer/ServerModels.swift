import Synchronization
import TensorCore
import WinnowCore
import WinnowEmbed
import WinnowPrompt
import WinnowTokenizers

/// Everything the endpoints share, loaded once at start: the sentence embedder, the example
/// pools (embedded, or read from the cache), token counters as requests name them, and the pool
/// of compute threads.
public final class ServerModels: Sendable {
    /// The sentence embedder.
    public let embedder: Embedder
    /// The model's name as clients give it in `"model"` (the folder name, e.g. all-MiniLM-L6-v2).
    public let modelName: String
    /// Example pools by name.
    public let pools: [String: ExampleIndex]
    /// The prompt compressor behind `/v1/compress` (nil: that endpoint answers 503).
    public let compressor: PromptCompressor?
    /// Token counters built so far, by name (requests may name any counter without a path;
    /// counters with a path are only those given at start).
    private let counters: Mutex<[String: any TokenCounter]>
    let compute: ComputePool
    /// Packs the texts of concurrent `/v1/embeddings` requests into shared forward passes.
    let batcher: EmbeddingBatcher
    /// The server's Prometheus metrics (`GET /metrics`).
    public let metrics: ServerMetrics

    /// Sets up the shared models.
    /// - Parameters:
    ///   - embedder: the loaded embedder.
    ///   - modelName: the name clients use for it.
    ///   - pools: example pools by name.
    ///   - compressor: the prompt compressor, if `/v1/compress` is served.
    ///   - counters: token counters available beyond the built-in names (e.g. `hf:<path>` loaded at start).
    ///   - computeThreads: how many model jobs run at once (dedicated threads).
    ///   - maxQueuedWork: the most work admitted at once, in tokens (about); more gets 429.
    public init(
        embedder: Embedder, modelName: String, pools: [String: ExampleIndex] = [:], compressor: PromptCompressor? = nil, counters: [any TokenCounter] = [],
        computeThreads: Int, maxQueuedWork: Int = ServerModels.defaultMaxQueuedWork
    ) {
        self.embedder = embedder
        self.modelName = modelName
        self.pools = pools
        self.compressor = compressor
        self.counters = Mutex(Dictionary(counters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }))
        let metrics = ServerMetrics()
        self.metrics = metrics
        compute = ComputePool(width: computeThreads, limit: maxQueuedWork, onWait: { metrics.waited($0) })
        batcher = EmbeddingBatcher(embedder: embedder, onBatch: { metrics.batch(texts: $0, requests: $1) })
        BLAS.setThreadCount(1)  // parallelism comes from concurrent requests
    }

    /// The default admission limit: 2^18 tokens of work (about 1 MB of text; on 2 cores
    /// MiniLM embeds that in about a minute).
    public static let defaultMaxQueuedWork = 1 << 18

    deinit { compute.shutdown() }

    /// Whether `name` names the served embedding model (its folder name, optionally with the
    /// `sentence-transformers/` prefix of the Hugging Face hub).
    public func serves(model name: String) -> Bool {
        name == modelName || name == "sentence-transformers/" + modelName
    }

    /// The token counter named `spec`, built on first use and kept.
    /// - Throws: ``APIError`` (400) for a name with a path that was not loaded at start, or an
    ///   unknown name.
    func counter(named spec: String) throws -> any TokenCounter {
        if let known = counters.withLock({ $0[spec] }) { return known }
        guard !spec.contains(":") else {
            throw APIError.invalid("token counter \"\(spec)\" was not loaded at start (give it to `winnow serve --tokenizer`)", param: "tokenizer")
        }
        let made: any TokenCounter
        do {
            made = try TokenCounters.named(spec)
        } catch let error as any UserFacingError {
            throw APIError.invalid(error.description, param: "tokenizer")
        }
        return counters.withLock { all in
            if let raced = all[spec] { return raced }
            all[spec] = made
            return made
        }
    }
}
