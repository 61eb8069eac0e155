import Foundation

/// Where the server listens and what it accepts.
public struct ServerConfiguration: Sendable, Hashable {
    /// The interface to bind (default loopback only).
    public var host: String
    /// The TCP port (0 picks a free one).
    public var port: Int
    /// The largest request body accepted, in bytes; larger ones get 413.
    public var maxBodyBytes: Int
    /// The most texts one `/v1/embeddings` request may carry (OpenAI's limit is 2,048).
    public var maxEmbeddingInputs: Int
    /// The most inline examples one `/v1/examples` request may carry.
    public var maxInlineExamples: Int
    /// Threads doing model work (embedding, compression) beside the event loops.
    public var computeThreads: Int

    /// Creates a configuration; the defaults listen on 127.0.0.1:8080 and accept 8 MiB bodies.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 8 << 20, maxEmbeddingInputs: Int = 2048,
        maxInlineExamples: Int = 4096, computeThreads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxEmbeddingInputs = maxEmbeddingInputs
        self.maxInlineExamples = maxInlineExamples
        self.computeThreads = computeThreads
    }
}
