import Hummingbird
import HummingbirdCore
import NIOCore

/// The live view of `winnow report --serve`: serves HTML pages that a closure renders on each
/// request (the report of a run, re-read from its manifest), so a browser shows a run's
/// progress while it runs. It knows nothing of runs: the caller maps a path to a page.
///
/// ```swift
/// let app = LiveReportServer.buildApplication(host: "127.0.0.1", port: 8090) { path in
///     LiveReportServer.Page(status: 200, html: render(path))
/// }
/// try await app.runService()
/// ```
public enum LiveReportServer {
    /// One answer: an HTTP status (200, 404 or 500) and the HTML.
    public struct Page: Sendable, Hashable {
        /// The HTTP status code.
        public var status: Int
        /// The page.
        public var html: String

        /// A page.
        public init(status: Int, html: String) {
            self.status = status
            self.html = html
        }
    }

    /// The router: every GET is answered by `page(path)`; tests drive it without a socket.
    public static func buildRouter(page: @escaping @Sendable (String) -> Page) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let p = page(request.uri.path)
            let status: HTTPResponse.Status = p.status == 200 ? .ok : p.status == 404 ? .notFound : .internalServerError
            return Response(
                status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: p.html)))
        }
        router.get("/", use: handler)
        router.get("/**", use: handler)
        return router
    }

    /// The application listening on `host:port` (port 0: any free port).
    /// - Parameter onServerRunning: called with the bound port once the server listens.
    public static func buildApplication(
        host: String, port: Int, page: @escaping @Sendable (String) -> Page,
        onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: buildRouter(page: page),
            configuration: .init(address: .hostname(host, port: port), serverName: "winnow"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) })
    }
}
