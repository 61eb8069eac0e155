import Foundation
import Hummingbird
import Prometheus

/// The server's Prometheus metrics, exposed at `GET /metrics` in the text exposition format
/// (docs/server.md lists them). One registry per server, so tests and several servers in one
/// process do not share counts.
public final class ServerMetrics: Sendable {
    /// The registry `GET /metrics` renders.
    public let registry = PrometheusCollectorRegistry()

    /// The routes requests are counted under; anything else is `other` (bounded label values).
    static let routes: Set<String> = ["/healthz", "/readyz", "/metrics", "/v1/embeddings", "/v1/examples", "/v1/compress"]

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    private let queueWork: Gauge
    private let queueJobs: Gauge
    private let queueWait: DurationHistogram
    private let batchTexts: ValueHistogram
    private let batchRequests: ValueHistogram

    /// Creates the metrics (all start at zero).
    public init() {
        queueWork = registry.makeGauge(descriptor: .init(
            namespace: "winnow", metricName: "compute_queue_work", unitName: "tokens",
            helpText: "Work admitted and not finished, in tokens (about)"))
        queueJobs = registry.makeGauge(descriptor: .init(
            namespace: "winnow", metricName: "compute_queue_jobs", unitName: "",
            helpText: "Compute jobs waiting for a thread"))
        queueWait = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "winnow", metricName: "compute_queue_wait", unitName: "seconds",
                helpText: "Time a compute job waited for a thread"),
            labels: [], buckets: Self.latencyBuckets)
        batchTexts = registry.makeValueHistogram(
            descriptor: .init(
                namespace: "winnow", metricName: "embedding_batch", unitName: "texts",
                helpText: "Texts per embedding forward pass"),
            labels: [], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256])
        batchRequests = registry.makeValueHistogram(
            descriptor: .init(
                namespace: "winnow", metricName: "embedding_batch", unitName: "requests",
                helpText: "Requests whose texts share one embedding forward pass"),
            labels: [], buckets: [1, 2, 4, 8, 16, 32, 64])
    }

    static func route(_ path: String) -> String { routes.contains(path) ? path : "other" }

    /// Counts a finished request and its latency.
    func request(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(namespace: "winnow", metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route, method and status"),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "winnow", metricName: "http_request_duration", unitName: "seconds", helpText: "Time to answer a request, by route"),
            labels: [("route", route)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// Counts tokens a route processed.
    func tokens(route: String, _ count: Int) {
        registry.makeCounter(
            descriptor: .init(namespace: "winnow", metricName: "tokens_processed", unitName: "total", helpText: "Tokens processed, by route"),
            labels: [("route", route)]
        ).increment(by: Int64(count))
    }

    /// Counts a request refused before it ran (`queue_full`, `deadline`).
    func rejected(reason: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "winnow", metricName: "requests_rejected", unitName: "total", helpText: "Requests refused for load (queue_full) or ended at their deadline (deadline)"),
            labels: [("reason", reason)]
        ).increment()
    }

    /// Records the compute queue's state.
    func queue(work: Int, jobs: Int) {
        queueWork.set(Int64(work))
        queueJobs.set(Int64(jobs))
    }

    /// Records how long an admitted request waited for its first compute job.
    func waited(_ duration: Duration) { queueWait.record(duration) }

    /// Records one embedding forward pass of `texts` texts from `requests` requests.
    func batch(texts: Int, requests: Int) {
        batchTexts.record(Double(texts))
        batchRequests.record(Double(requests))
    }

    /// The exposition text.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}

/// Counts every request (after the error middleware made its response), and sends the
/// request's id back as `X-Request-Id` (the same id Hummingbird puts in every log line of the
/// request, `hb.request.id`).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = ServerMetrics.route(request.uri.path)
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = context.id
            metrics.request(route: route, method: request.method.rawValue, status: Int(response.status.code), duration: .now - start)
            return response
        } catch {
            // Only errors the error middleware could not answer (it sits inside this one).
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(route: route, method: request.method.rawValue, status: Int(status), duration: .now - start)
            throw error
        }
    }
}

extension HTTPFields.Element.Name {
    /// `X-Request-Id`.
    static var requestID: Self { Self("X-Request-Id")! }
}
