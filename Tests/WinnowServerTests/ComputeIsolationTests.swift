import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import WinnowServer

/// Names in the order jobs ran.
final class Recorder: Sendable {
    private let lock = Mutex<[String]>([])
    func add(_ name: String) { lock.withLock { $0.append(name) } }
    var names: [String] { lock.withLock { $0 } }
}

/// A gate compute jobs wait at, so a test holds compute threads busy on purpose. The jobs spin
/// (they stay runnable, as real model work does): a thread blocked in a wait would let
/// libdispatch's thread pool add threads, and hide a starved executor.
final class Gate: Sendable {
    private let released = Atomic<Bool>(false)
    private let entered = Atomic<Int>(0)

    /// Runs on a compute thread: says it started, then spins until ``open()``.
    func hold() {
        entered.add(1, ordering: .sequentiallyConsistent)
        while !released.load(ordering: .acquiring) { sched_yield() }
    }

    /// Waits until `count` jobs are holding.
    func waitHolding(_ count: Int) async {
        while entered.load(ordering: .sequentiallyConsistent) < count { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// Lets every held job go.
    func open() { released.store(true, ordering: .releasing) }
}

/// Issue 24 §1–2 and §5: model work runs on dedicated threads behind admission control, with a
/// deadline per request and Prometheus metrics.
@Suite("winnow serve: compute isolation, admission, deadlines, metrics", .timeLimit(.minutes(2)), .enabled(if: ServerFixtures.hasModel, "\(ServerFixtures.skipMessage)"))
struct ComputeIsolationTests {
    static func models(threads: Int, maxQueuedWork: Int = ServerModels.defaultMaxQueuedWork) throws -> ServerModels {
        let embedder = try ServerFixtures.embedder.get()
        return ServerModels(
            embedder: embedder, modelName: "all-MiniLM-L6-v2", computeThreads: threads, maxQueuedWork: maxQueuedWork)
    }

    static func configuration(requestTimeout: Duration = .seconds(120)) -> ServerConfiguration {
        ServerConfiguration(host: "127.0.0.1", port: 0, maxBodyBytes: 1 << 20, maxEmbeddingInputs: 64, requestTimeout: requestTimeout)
    }

    /// Holds every compute thread (more than the machine's cores, so Swift's cooperative
    /// threads would be starved too if the jobs ran there), in a task the test cancels at the end.
    static func holdAll(_ models: ServerModels, gate: Gate, threads: Int) async -> (ComputePool.Ticket, Task<Void, Never>) {
        let ticket = models.compute.admit(cost: 1)!
        let holders = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0 ..< threads {
                    group.addTask { _ = try? await models.compute.run(ticket) { gate.hold() } }
                }
            }
        }
        await gate.waitHolding(threads)
        return (ticket, holders)
    }

    static let embedBody = #"{"input": ["a short text"], "model": "all-MiniLM-L6-v2"}"#

    @Test("/healthz, /readyz and /metrics answer while every compute thread is held")
    func healthWhileBusy() async throws {
        let threads = ProcessInfo.processInfo.activeProcessorCount + 2
        let models = try Self.models(threads: threads)
        let gate = Gate()
        let (ticket, holders) = await Self.holdAll(models, gate: gate, threads: threads)
        defer { gate.open() }
        let app = WinnowServer.buildApplication(models: models, configuration: Self.configuration())
        try await app.test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["queued_work"] as? Int == 1)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        gate.open()
        await holders.value
        models.compute.finish(ticket)
        #expect(models.compute.load.work == 0)
    }

    @Test("a full queue answers 429 with Retry-After and a JSON error; /readyz says busy")
    func queueFull() async throws {
        let models = try Self.models(threads: 1, maxQueuedWork: 8)
        let gate = Gate()
        let held = models.compute.admit(cost: 8)!
        let held2 = models.compute.admit(cost: 8)!  // each is charged half the limit
        let holder = Task { _ = try? await models.compute.run(held) { gate.hold() } }
        await gate.waitHolding(1)
        let app = WinnowServer.buildApplication(models: models, configuration: Self.configuration())
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: Self.embedBody)) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
                #expect(ServerFixtures.error(response)["code"] as? String == "queue_full")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] != nil)
            }
        }
        gate.open()
        await holder.value
        models.compute.finish(held)
        models.compute.finish(held2)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: Self.embedBody)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("a request past its deadline gets a JSON 504 and its queued work is dropped")
    func deadline() async throws {
        let models = try Self.models(threads: 1)
        let gate = Gate()
        let (ticket, holders) = await Self.holdAll(models, gate: gate, threads: 1)
        defer { gate.open() }
        let app = WinnowServer.buildApplication(models: models, configuration: Self.configuration(requestTimeout: .milliseconds(300)))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: Self.embedBody)) { response in
                #expect(response.status == .gatewayTimeout)
                #expect(response.headers[.contentType] == "application/json")
                #expect(ServerFixtures.error(response)["code"] as? String == "timeout")
            }
        }
        // The timed-out request's job left the queue and its admitted work was released.
        #expect(models.compute.load.queuedJobs == 0)
        #expect(models.compute.load.work == 1)
        let metrics = String(decoding: models.metrics.render(), as: UTF8.self)
        #expect(metrics.contains(#"winnow_requests_rejected_total{reason="deadline"} 1"#))
        gate.open()
        await holders.value
        models.compute.finish(ticket)
    }

    @Test("a request larger than the limit is admitted but charged half of it, so small requests still get in")
    func largestLeavesRoom() {
        let pool = ComputePool(width: 1, limit: 1000)
        defer { pool.shutdown() }
        let largest = pool.admit(cost: 2048 * 256)
        #expect(largest?.cost == 500)
        let small = pool.admit(cost: 4)
        #expect(small != nil)
        // A second large one does not fit beside them.
        #expect(pool.admit(cost: 2048 * 256) == nil)
        for ticket in [largest, small].compactMap({ $0 }) { pool.finish(ticket) }
        #expect(pool.load.work == 0)
    }

    @Test("jobs are taken from the requests in turn, so a large request does not run ahead of a small one")
    func roundRobin() async throws {
        let pool = ComputePool(width: 1)
        defer { pool.shutdown() }
        let gate = Gate()
        let order = Recorder()
        let blocker = pool.admit(cost: 1)!
        let big = pool.admit(cost: 3)!
        let small = pool.admit(cost: 1)!
        let hold = Task { _ = try? await pool.run(blocker) { gate.hold() } }
        await gate.waitHolding(1)
        // The big request queues three chunks first, then the small one queues its one.
        var bigJobs: [Task<Void, any Error>] = []
        for n in 0 ..< 3 {
            bigJobs.append(Task { try await pool.run(big) { order.add("big\(n)") } })
            while pool.load.queuedJobs < n + 1 { await Task.yield() }
        }
        while pool.load.queuedJobs < 3 { await Task.yield() }
        let smallJob = Task { try await pool.run(small) { order.add("small") } }
        while pool.load.queuedJobs < 4 { await Task.yield() }
        gate.open()
        await hold.value
        for job in bigJobs { try await job.value }
        try await smallJob.value
        #expect(order.names == ["big0", "small", "big1", "big2"])
        for ticket in [blocker, big, small] { pool.finish(ticket) }
        #expect(pool.load.work == 0)
    }

    @Test("GET /metrics is Prometheus text with requests by route and status, latency, batches and tokens")
    func metrics() async throws {
        let models = try Self.models(threads: 2)
        let app = WinnowServer.buildApplication(models: models, configuration: Self.configuration())
        try await app.test(.router) { client in
            for _ in 0 ..< 2 {
                try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: Self.embedBody)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.requestID] != nil)
                }
            }
            try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: "{")) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/no/such/path", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                for line in [
                    #"winnow_http_requests_total{route="/v1/embeddings",method="POST",status="200"} 2"#,
                    #"winnow_http_requests_total{route="/v1/embeddings",method="POST",status="400"} 1"#,
                    #"winnow_http_requests_total{route="other",method="GET",status="404"} 1"#,
                    #"winnow_http_request_duration_seconds_count{route="/v1/embeddings"} 3"#,
                    "winnow_embedding_batch_texts_count 2",
                    #"winnow_tokens_processed_total{route="/v1/embeddings"} 10"#,
                    "winnow_compute_queue_work_tokens 0",
                    "# TYPE winnow_compute_queue_wait_seconds histogram",
                ] {
                    #expect(text.contains(line), "missing: \(line)\n\(text)")
                }
            }
        }
    }
}
