import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore

/// The HTTP API: `POST /v1/embeddings` (OpenAI-compatible), `POST /v1/examples`,
/// `POST /v1/compress`, `GET /healthz` (liveness), `GET /readyz` (readiness), `GET /metrics`
/// (Prometheus). Errors are OpenAI-style JSON (``APIError``).
///
/// ```swift
/// let app = WinnowServer.buildApplication(models: models, configuration: .init(port: 8080))
/// try await app.runService()   // until SIGINT/SIGTERM
/// ```
public enum WinnowServer {
    /// The router with every endpoint; tests drive it without a socket.
    public static func buildRouter(models: ServerModels, configuration: ServerConfiguration) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: models.metrics))
        router.add(middleware: ErrorMiddleware())
        router.get("/healthz") { _, _ in
            try JSONBody.response(Health(
                model: models.modelName, dimension: models.embedder.dimension, pools: models.pools.keys.sorted(),
                compressor: models.compressor != nil,
                warnings: models.compressor?.loadWarnings ?? []))
        }
        // Readiness: models are loaded once this router exists; not ready while the compute
        // queue is full (a load balancer then sends new work elsewhere).
        router.get("/readyz") { _, _ in
            let load = models.compute.load
            let body = Readiness(
                status: models.ready ? "ready" : "busy", queuedWork: load.work, queueLimit: models.compute.limit,
                queuedJobs: load.queuedJobs, computeThreads: models.compute.width)
            guard models.ready else {
                var response = try JSONBody.response(body, status: .serviceUnavailable)
                response.headers[.retryAfter] = String(models.compute.retryAfterSeconds)
                return response
            }
            return try JSONBody.response(body)
        }
        router.get("/metrics") { _, _ in
            models.observeQueue()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: models.metrics.render())))
        }
        router.post("/v1/embeddings") { request, _ in
            try await EmbeddingsEndpoint.handle(request, models: models, configuration: configuration)
        }
        router.post("/v1/examples") { request, _ in
            try await ExamplesEndpoint.handle(request, models: models, configuration: configuration)
        }
        router.post("/v1/compress") { request, _ in
            try await CompressEndpoint.handle(request, models: models, configuration: configuration)
        }
        // Another method on a known path: 405 with `Allow`, not 404.
        for (path, allowed) in [("/healthz", HTTPRequest.Method.get), ("/readyz", .get), ("/metrics", .get), ("/v1/embeddings", .post), ("/v1/examples", .post), ("/v1/compress", .post)] {
            for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] where method != allowed {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    var error = APIError(.methodNotAllowed, "\(path) answers \(allowed.rawValue) only", code: "method_not_allowed")
                    error.headers[.allow] = allowed.rawValue
                    throw error
                }
            }
        }
        return router
    }

    /// The application listening on `configuration.host:port`.
    /// - Parameter onServerRunning: called with the bound port once the server listens.
    public static func buildApplication(
        models: ServerModels, configuration: ServerConfiguration, onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let readTimeout = TimeAmount(configuration.readTimeout)
        let headerBytes = max(1024, configuration.maxHeaderBytes)
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [HTTPGuard(readTimeout: readTimeout)],
            idleTimeout: TimeAmount(configuration.idleTimeout),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: headerBytes, maxHeaderListSize: headerBytes, maxHeaderFieldCount: 100))
        return Application(
            router: buildRouter(models: models, configuration: configuration),
            server: HTTPServerBuilder { responder in ConnectionChannel(http1: HTTP1Channel(responder: responder, configuration: http1)) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "winnow"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) })
    }
}

/// `GET /readyz`.
struct Readiness: Encodable, Sendable {
    var status: String
    var queuedWork: Int
    var queueLimit: Int
    var queuedJobs: Int
    var computeThreads: Int

    enum CodingKeys: String, CodingKey {
        case status
        case queuedWork = "queued_work"
        case queueLimit = "queue_limit"
        case queuedJobs = "queued_jobs"
        case computeThreads = "compute_threads"
    }
}

/// `GET /healthz`.
struct Health: Encodable, Sendable {
    var status = "ok"
    var model: String
    var dimension: Int
    var pools: [String]
    var compressor: Bool
    var warnings: [String]
}
