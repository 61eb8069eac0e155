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
    /// A connection that sends no complete request part (request line and headers, a body
    /// chunk) for this long is closed: an idle keep-alive connection, or a client sending its
    /// headers a byte at a time. Requests being computed are not affected.
    public var idleTimeout: Duration
    /// A request's body must arrive within this time of its head; otherwise the server answers
    /// 408 and closes the connection.
    public var readTimeout: Duration
    /// The most bytes of request line and headers together; more gets 431.
    public var maxHeaderBytes: Int
    /// A request's model work must finish within this time of its admission; otherwise the
    /// server answers 504 and drops the request's queued work.
    public var requestTimeout: Duration

    /// Creates a configuration; the defaults listen on 127.0.0.1:8080, accept 8 MiB bodies and
    /// 16 KiB of headers, drop connections idle for 30 s or whose body takes over 30 s, and end
    /// requests whose model work takes over 120 s with a 504.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 8 << 20, maxEmbeddingInputs: Int = 2048,
        maxInlineExamples: Int = 4096,
        idleTimeout: Duration = .seconds(30), readTimeout: Duration = .seconds(30), maxHeaderBytes: Int = 16 << 10,
        requestTimeout: Duration = .seconds(120)
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxEmbeddingInputs = maxEmbeddingInputs
        self.maxInlineExamples = maxInlineExamples
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.requestTimeout = requestTimeout
    }
}
