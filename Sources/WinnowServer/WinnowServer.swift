import Foundation
import Hummingbird

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
        return router
    }

    /// The application listening on `configuration.host:port`.
    /// - Parameter onServerRunning: called with the bound port once the server listens.
    public static func buildApplication(
        models: ServerModels, configuration: ServerConfiguration, onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: buildRouter(models: models, configuration: configuration),
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
