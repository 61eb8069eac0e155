import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore

/// The HTTP API: `POST /v1/embeddings` (OpenAI-compatible), `POST /v1/examples`,
/// `POST /v1/compress`, `GET /healthz`. Errors are OpenAI-style JSON (``APIError``).
///
/// ```swift
/// let app = WinnowServer.buildApplication(models: models, configuration: .init(port: 8080))
/// try await app.runService()   // until SIGINT/SIGTERM
/// ```
public enum WinnowServer {
    /// The router with every endpoint; tests drive it without a socket.
    public static func buildRouter(models: ServerModels, configuration: ServerConfiguration) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.get("/healthz") { _, _ in
            try JSONBody.response(Health(
                model: models.modelName, dimension: models.embedder.dimension, pools: models.pools.keys.sorted(),
                compressor: models.compressor != nil,
                warnings: models.compressor?.loadWarnings ?? []))
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
        for (path, allowed) in [("/healthz", HTTPRequest.Method.get), ("/v1/embeddings", .post), ("/v1/examples", .post), ("/v1/compress", .post)] {
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

/// `GET /healthz`.
struct Health: Encodable, Sendable {
    var status = "ok"
    var model: String
    var dimension: Int
    var pools: [String]
    var compressor: Bool
    var warnings: [String]
}
