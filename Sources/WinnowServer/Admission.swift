import Foundation
import Hummingbird

extension ServerModels {
    /// Runs one request's model work under admission control and its deadline.
    ///
    /// The request is admitted with `cost` work units (about one token each) or refused with a
    /// JSON 429 and `Retry-After` when the compute queue is full; once admitted, `body` has until
    /// `deadline` to finish, after which its queued jobs are dropped and the request ends with a
    /// JSON 504 (a job already running completes on its thread; its result is discarded).
    func admitted<T: Sendable>(
        cost: Int, deadline: Duration, _ body: @escaping @Sendable (ComputePool.Ticket) async throws -> T
    ) async throws -> T {
        guard let ticket = compute.admit(cost: cost) else {
            metrics.rejected(reason: "queue_full")
            var error = APIError(
                .tooManyRequests, "the server is busy (\(compute.load.work) tokens of work queued); retry later",
                type: "rate_limit_error", code: "queue_full")
            error.headers[.retryAfter] = String(compute.retryAfterSeconds)
            throw error
        }
        observeQueue()
        defer {
            compute.finish(ticket)
            observeQueue()
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body(ticket) }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                metrics.rejected(reason: "deadline")
                throw APIError(
                    .gatewayTimeout, "the request did not finish within its deadline of \(Self.seconds(deadline)) (winnow serve --request-timeout)",
                    type: "server_error", code: "timeout")
            }
            return value
        }
    }

    /// Whether the server takes new work now: models loaded and the queue below its limit.
    var ready: Bool { compute.load.work < compute.limit }

    func observeQueue() {
        let load = compute.load
        metrics.queue(work: load.work, jobs: load.queuedJobs)
    }

    static func seconds(_ duration: Duration) -> String {
        let (s, atto) = duration.components
        return atto == 0 ? "\(s) s" : String(format: "%.3g s", Double(s) + Double(atto) / 1e18)
    }

    /// About one work unit per token: a quarter of the UTF-8 bytes, at least one per text.
    static func cost(bytes: Int, texts: Int = 1) -> Int {
        bytes / 4 + max(1, texts)
    }
}
