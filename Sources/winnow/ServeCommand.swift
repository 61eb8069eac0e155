import ArgumentParser
import Foundation
import TensorCore
import WinnowCore
import WinnowEmbed
import WinnowPrompt
import WinnowServer
import WinnowTokenizers

/// `winnow serve`: the HTTP API.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API: /v1/embeddings (OpenAI-compatible), /v1/examples, /v1/compress, /healthz.",
        discussion: """
            Loads the embedding model and the example pools once and shares them across requests; \
            model work runs on --workers threads beside the event loop. Binds 127.0.0.1:8080 by default. \
            Stops on SIGINT or SIGTERM after finishing the requests in flight.
              winnow serve --pool trec=trec-pool.jsonl --port 8080
              curl -s localhost:8080/v1/embeddings -d '{"model": "all-MiniLM-L6-v2", "input": "hello"}'
            See docs/server.md for every endpoint.
            """)

    @Option(help: "The interface to bind.")
    var host = "127.0.0.1"

    @Option(help: "The TCP port (0: any free port).")
    var port = 8080

    @Option(help: "The sentence-transformers model folder.")
    var model: String?

    @Option(name: .long, help: "An example pool for /v1/examples, as NAME=PATH.jsonl (repeatable).")
    var pool: [String] = []

    @Option(help: "Token counters with a file loaded at start (tiktoken:<path>, hf:<path>; repeatable).")
    var tokenizer: [String] = []

    @Option(help: "/v1/compress: the default token counter (gpt2, whitespace, wordpiece, tiktoken:<path>, hf:<path>).")
    var compressTokenizer = "gpt2"

    @Flag(help: "Do not load the prompt compressor (/v1/compress then answers 503).")
    var noCompress = false

    @Option(help: "The SQLite file caching pool embeddings (default ~/.cache/winnow/examples.sqlite).")
    var cache: String?

    @Flag(help: "Do not read or write the embedding cache.")
    var noCache = false

    @Option(help: "The largest request body, in bytes.")
    var maxBodyBytes = 8 << 20

    @Option(help: "The most texts one /v1/embeddings request may carry.")
    var maxInputs = 2048

    @Option(help: "Seconds a connection may stay idle (or trickle its headers) before it is closed.")
    var idleTimeout = 30.0

    @Option(help: "Seconds a request's body may take to arrive after its headers (then 408).")
    var readTimeout = 30.0

    @Option(help: "Threads doing model work (default: the number of cores).")
    var workers: Int?

    @Option(help: "Seconds a request's model work may take once admitted (then 504).")
    var requestTimeout = 120.0

    @Option(help: "The most work admitted at once, in tokens (about); more gets 429 with Retry-After.")
    var maxQueuedWork = ServerModels.defaultMaxQueuedWork

    func validate() throws {
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port must be in 0…65535") }
        guard (1 ... (1 << 30)).contains(maxBodyBytes) else { throw ValidationError("--max-body-bytes must be in 1…1073741824") }
        guard (1 ... 1_000_000).contains(maxInputs) else { throw ValidationError("--max-inputs must be in 1…1000000") }
        guard (1 ... (1 << 40)).contains(maxQueuedWork) else { throw ValidationError("--max-queued-work must be in 1…2^40") }
        for (name, value) in [("--idle-timeout", idleTimeout), ("--read-timeout", readTimeout), ("--request-timeout", requestTimeout)] where !(value > 0 && value <= 86_400) {
            throw ValidationError("\(name) must be in (0, 86400] seconds")
        }
        if let workers, !(1 ... 1024).contains(workers) { throw ValidationError("--workers must be in 1…1024") }
        for entry in pool where !entry.contains("=") { throw ValidationError("--pool takes NAME=PATH (got \(entry))") }
    }

    func run() throws {
        let folder = try ModelLocator.locate("all-MiniLM-L6-v2", explicit: model)
        let embedder = try Embedder(folder: ModelFolder(path: folder))
        let threads = workers ?? ProcessInfo.processInfo.activeProcessorCount
        if let warning = BLAS.kernelWarning { log("warning: \(warning)") }
        let store = noCache ? nil : try ExampleEmbeddingCache(path: cache ?? ExampleEmbeddingCache.defaultPath())
        let modelID = try ExampleIndex.modelID(folder: folder)
        var pools: [String: ExampleIndex] = [:]
        for entry in pool {
            let name = String(entry[..<entry.firstIndex(of: "=")!])
            let path = String(entry[entry.index(after: entry.firstIndex(of: "=")!)...])
            let (index, hit) = try ExampleIndex.build(
                pool: ExamplePool(path: path), embedder: embedder, modelID: modelID, cache: store, workers: threads)
            pools[name] = index
            log("pool \(name): \(index.pool.examples.count) examples from \(path) (\(hit ? "cached vectors" : "embedded"))")
        }
        var counters: [any TokenCounter] = [try WordPieceTokenCounter(tokenizer: embedder.tokenizer)]
        for spec in tokenizer { counters.append(try TokenCounters.named(spec)) }
        var compressor: PromptCompressor?
        if !noCompress {
            var settings = PromptCompressor.Configuration()
            settings.tokenizer = compressTokenizer
            settings.embedderPath = folder
            compressor = try PromptCompressor(configuration: settings, embedder: embedder)
            for warning in compressor?.loadWarnings ?? [] { log("warning: \(warning)") }
        }
        let models = ServerModels(
            embedder: embedder, modelName: URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent, pools: pools,
            compressor: compressor, counters: counters, computeThreads: threads, maxQueuedWork: maxQueuedWork)
        let configuration = ServerConfiguration(
            host: host, port: port, maxBodyBytes: maxBodyBytes, maxEmbeddingInputs: maxInputs,
            idleTimeout: .milliseconds(Int64(idleTimeout * 1000)), readTimeout: .milliseconds(Int64(readTimeout * 1000)),
            requestTimeout: .milliseconds(Int64(requestTimeout * 1000)))
        let app = WinnowServer.buildApplication(models: models, configuration: configuration) { [host] port in
            log("winnow serve: listening on http://\(host):\(port.map(String.init) ?? "?") [OpenBLAS \(BLAS.coreName)]")
        }
        // The command line's main is synchronous: run the server on the concurrency runtime and
        // wait here until it stops (SIGINT/SIGTERM shut it down gracefully).
        let outcome = Outcome()
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            do { try await app.runService() } catch { outcome.error = error }
            finished.signal()
        }
        finished.wait()
        if let error = outcome.error { throw error }
    }
}

/// The server task's result, read after it signals.
private final class Outcome: @unchecked Sendable {
    var error: (any Error)?
}

private func log(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
