import Foundation
import Hummingbird
import HummingbirdTesting
import WinnowCore
import WinnowEmbed
import WinnowFuzz
import WinnowPrompt
import WinnowServer
import WinnowTokenizers

/// The server's JSON request bodies, driven through the real router without a socket (as the
/// server tests do): each input is POSTed as the body of `/v1/embeddings`, `/v1/examples` and
/// `/v1/compress`.
///
/// Invariants: no request gets a 5xx (every body a client can send is either served or refused
/// with a 4xx), and every response body is a JSON object (a result or an OpenAI-style error).
/// Needs the all-MiniLM-L6-v2 folder: the server does not start without it.
public final class ServerFuzzer: Sendable {
    /// The target name (corpus folder `fuzz/corpus/server/`).
    public static let name = "server"
    /// The largest input worth trying, in bytes.
    public static let maxLength = 16 << 10
    /// The endpoints each input is sent to.
    public static let endpoints = ["/v1/embeddings", "/v1/examples", "/v1/compress"]

    private let models: ServerModels
    private let configuration: ServerConfiguration

    /// Loads the models the server needs, as `winnow serve` would: the embedder, a five-example
    /// pool named `tiny`, the prompt compressor (whitespace token counting, sharing the
    /// embedder) and the WordPiece token counter.
    /// - Parameter modelFolder: the all-MiniLM-L6-v2 folder.
    /// - Throws: when the model cannot be loaded.
    public init(modelFolder: String) throws {
        let embedder = try Embedder(folder: ModelFolder(path: modelFolder))
        let pool = ExamplePool(examples: [
            Example(input: "How far is the Moon from Earth ?", output: "NUM", label: "NUM"),
            Example(input: "Who wrote Hamlet ?", output: "HUM", label: "HUM"),
            Example(input: "What is the capital of France ?", output: "LOC", label: "LOC"),
            Example(input: "How many miles to the Sun ?", output: "NUM", label: "NUM"),
            Example(input: "Who painted the Mona Lisa ?", output: "HUM", label: "HUM"),
        ])
        let (index, _) = try ExampleIndex.build(pool: pool, embedder: embedder, modelID: "fuzz", cache: nil, workers: 1)
        var settings = PromptCompressor.Configuration()
        settings.tokenizer = "whitespace"
        settings.embedderPath = modelFolder + "/no-such-copy"  // share the embedder; never load a second one
        let compressor = try PromptCompressor(configuration: settings, embedder: embedder)
        models = ServerModels(
            embedder: embedder, modelName: "all-MiniLM-L6-v2", pools: ["tiny": index], compressor: compressor,
            counters: [try WordPieceTokenCounter(tokenizer: embedder.tokenizer)], computeThreads: 1)
        configuration = ServerConfiguration(host: "127.0.0.1", port: 0, maxBodyBytes: 1 << 20, maxEmbeddingInputs: 64, maxInlineExamples: 64)
    }

    /// Loads the models from the all-MiniLM-L6-v2 folder that ``ModelLocator`` finds
    /// (`$WINNOW_MODELS`, `./models`, `~/.cache/winnow/models`).
    /// - Throws: when there is no such folder or the model cannot be loaded.
    public convenience init() throws {
        try self.init(modelFolder: try ModelLocator.locate("all-MiniLM-L6-v2"))
    }

    /// Sends `body` to every endpoint.
    /// - Returns: a finding (a 5xx, or a response body that is not a JSON object), or nil.
    public func run(_ body: [UInt8]) async -> FuzzFinding? {
        let app = WinnowServer.buildApplication(models: models, configuration: configuration)
        do {
            return try await app.test(.router) { client in
                for endpoint in Self.endpoints {
                    let response = try await client.execute(
                        uri: endpoint, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: body))
                    let status = response.status.code
                    let payload = Data(response.body.readableBytesView)
                    if status >= 500 {
                        return FuzzFinding(Self.name, "POST \(endpoint) answered \(status): \(String(decoding: payload.prefix(300), as: UTF8.self))")
                    }
                    let object = try? JSONSerialization.jsonObject(with: payload)
                    if !(object is [String: Any]) {
                        return FuzzFinding(
                            Self.name, "POST \(endpoint) answered \(status) with a body that is not a JSON object: \(String(decoding: payload.prefix(300), as: UTF8.self))")
                    }
                }
                return nil
            }
        } catch {
            return FuzzFinding(Self.name, "the router test client failed: \(error)")
        }
    }

    /// ``run(_:)`` for a synchronous caller (libFuzzer's callback): waits for the requests on
    /// the calling thread, which must not be one of Swift's concurrency threads.
    public func runBlocking(_ bytes: UnsafeRawBufferPointer) -> FuzzFinding? {
        let body = Array(bytes)
        let done = DispatchSemaphore(value: 0)
        let box = FindingBox()
        Task.detached {
            box.set(await self.run(body))
            done.signal()
        }
        done.wait()
        return box.get()
    }
}

/// Hands a finding from the task to the waiting thread.
private final class FindingBox: @unchecked Sendable {
    private let lock = NSLock()
    private var finding: FuzzFinding?

    func set(_ value: FuzzFinding?) { lock.withLock { finding = value } }
    func get() -> FuzzFinding? { lock.withLock { finding } }
}
