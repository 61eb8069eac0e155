import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WinnowEmbed
@testable import WinnowServer

/// Issue 24 §3: the texts of concurrent `/v1/embeddings` requests share forward passes, fairly
/// (turns keep the compute pool's round robin), and each text's vector is the one it gets alone
/// within the tolerance docs/server.md states.
@Suite("winnow serve: cross-request embedding batching", .timeLimit(.minutes(2)), .enabled(if: ServerFixtures.hasModel, "\(ServerFixtures.skipMessage)"))
struct EmbeddingBatchingTests {
    /// The largest difference of one vector component from the text embedded alone that
    /// docs/server.md promises (vectors have unit length; the largest measured was 2.0e-7).
    static let tolerance: Float = 1e-5

    /// Requests of 1–3 texts of different lengths (SST-2-like sentences).
    /// The first request holds the longest text, so its turn can take every other text
    /// without padding beyond its own.
    static let requests: [[String]] = [
        ["Allows us to hope that Nolan is poised to embark a major career as a commercial yet inventive filmmaker."],
        ["It's a charming and often affecting journey.", "unflinchingly bleak and desperate"],
        ["The film is strictly routine.", "a gorgeous, witty, seductive movie", "ok"],
        ["Effective but too-tepid biopic"],
        ["A man is eating food."],
        ["This is a film well worth seeing, talking and singing heads and all.", "no"],
    ]

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// Starts `batched` for each request while the pool's only thread is held, and waits until
    /// every text is pending and every turn is queued, so the batches that follow are decided.
    static func queueAll(
        _ requests: [[String]], models: ServerModels, batcher: EmbeddingBatcher
    ) async throws -> (tasks: [Task<[[Float]], any Error>], tickets: [ComputePool.Ticket], turns: Int) {
        let tokenizer = models.embedder.tokenizer
        var tasks: [Task<[[Float]], any Error>] = []
        var tickets: [ComputePool.Ticket] = []
        var turns = 0
        var texts = 0
        for request in requests {
            let encoded = request.map { tokenizer.encode($0) }
            let ticket = try #require(models.compute.admit(cost: 1))
            tickets.append(ticket)
            turns += batcher.turns(lengths: encoded.map(\.count))
            texts += encoded.count
            tasks.append(Task { [compute = models.compute] in
                try await EmbeddingsEndpoint.batched(encoded, ticket: ticket, compute: compute, batcher: batcher)
            })
            // One request at a time, so the arrival order is the list's.
            while batcher.counts.pending < texts || models.compute.load.queuedJobs < turns { await Task.yield() }
        }
        return (tasks, tickets, turns)
    }

    @Test("texts of concurrent requests share one forward pass; each vector is its text's alone within the tolerance")
    func sharedPass() async throws {
        let models = try ComputeIsolationTests.models(threads: 1)
        let gate = Gate()
        let (blocker, holder) = await ComputeIsolationTests.holdAll(models, gate: gate, threads: 1)
        defer { gate.open() }
        let (tasks, tickets, turns) = try await Self.queueAll(Self.requests, models: models, batcher: models.batcher)
        #expect(turns == Self.requests.count)
        gate.open()
        await holder.value
        var results: [[[Float]]] = []
        for task in tasks { results.append(try await task.value) }
        // The first turn led with its own text and took every other request's: one pass.
        #expect(models.batcher.counts.passes == 1)
        #expect(models.batcher.counts.pending == 0)
        let metrics = String(decoding: models.metrics.render(), as: UTF8.self)
        #expect(metrics.contains("winnow_embedding_batch_texts_count 1"), "\(metrics)")
        #expect(metrics.contains("winnow_embedding_batch_texts_sum 10.0"), "\(metrics)")
        #expect(metrics.contains("winnow_embedding_batch_requests_sum 6.0"), "\(metrics)")
        var worst: Float = 0
        for (request, vectors) in zip(Self.requests, results) {
            #expect(vectors.count == request.count)
            for (text, vector) in zip(request, vectors) {
                let alone = models.embedder.embed([text])[0]
                #expect(vector.count == alone.count)
                worst = max(worst, Self.maxDifference(vector, alone))
            }
        }
        #expect(worst <= Self.tolerance, "largest component difference \(worst)")
        for ticket in tickets + [blocker] { models.compute.finish(ticket) }
        #expect(models.compute.load.work == 0)
        #expect(models.compute.load.queuedJobs == 0)
    }

    @Test("a request alone gets exactly Embedder.embed's vectors (the same batches, the same bits)")
    func aloneIsExact() async throws {
        let models = try ComputeIsolationTests.models(threads: 2)
        let texts = Self.requests.flatMap { $0 } + (0 ..< 70).map { "sentence number \($0) with " + String(repeating: "more words ", count: $0 % 9) }
        let encoded = texts.map { models.embedder.tokenizer.encode($0) }
        let ticket = try #require(models.compute.admit(cost: 1))
        let vectors = try await EmbeddingsEndpoint.batched(encoded, ticket: ticket, compute: models.compute, batcher: models.batcher)
        models.compute.finish(ticket)
        #expect(vectors == models.embedder.embed(texts))
        #expect(models.batcher.counts.passes == Embedder.batches(lengths: encoded.map(\.count)).count)
    }

    @Test("turns keep the round robin: a small request queued behind a large one finishes before it")
    func fairTurns() async throws {
        let models = try ComputeIsolationTests.models(threads: 1)
        // Small limits, so the large request needs three passes of its own.
        let passes = Recorder()
        let batcher = EmbeddingBatcher(embedder: models.embedder, batchSize: 4, maxBatchTokens: 64) { texts, requests in
            passes.add("\(texts) texts of \(requests) requests")
        }
        let gate = Gate()
        let (blocker, holder) = await ComputeIsolationTests.holdAll(models, gate: gate, threads: 1)
        defer { gate.open() }
        let large = (0 ..< 12).map { "the large request's text number \($0) is long" }
        let small = ["a few more words here"]
        let (tasks, tickets, turns) = try await Self.queueAll([large, small], models: models, batcher: batcher)
        #expect(turns == 4)
        gate.open()
        await holder.value
        for task in tasks { _ = try await task.value }
        // The large request's first batch; the small request's turn: its text (7 tokens), filled
        // with three of the large request's (11 tokens: longer, but within twice its own, and
        // most of the batch stays real tokens); then the
        // large request's two remaining turns. The small request was done after the second pass.
        #expect(passes.names == ["4 texts of 1 requests", "4 texts of 2 requests", "4 texts of 1 requests", "1 texts of 1 requests"])
        let smallVector = try await tasks[1].value[0]
        #expect(Self.maxDifference(smallVector, models.embedder.embed(small)[0]) <= Self.tolerance)
        let largeVectors = try await tasks[0].value
        for (text, vector) in zip(large, largeVectors) {
            #expect(Self.maxDifference(vector, models.embedder.embed([text])[0]) <= Self.tolerance)
        }
        for ticket in tickets + [blocker] { models.compute.finish(ticket) }
    }

    @Test("a request cancelled while queued withdraws its texts and turns; the others still complete")
    func cancelled() async throws {
        let models = try ComputeIsolationTests.models(threads: 1)
        let gate = Gate()
        let (blocker, holder) = await ComputeIsolationTests.holdAll(models, gate: gate, threads: 1)
        defer { gate.open() }
        let (tasks, tickets, _) = try await Self.queueAll(Array(Self.requests.prefix(2)), models: models, batcher: models.batcher)
        tasks[0].cancel()
        await #expect(throws: CancellationError.self) { try await tasks[0].value }
        #expect(models.batcher.counts.pending == Self.requests[1].count)
        #expect(models.compute.load.queuedJobs == 1)
        gate.open()
        await holder.value
        let vectors = try await tasks[1].value
        #expect(vectors.count == Self.requests[1].count)
        #expect(models.batcher.counts.passes == 1)
        for ticket in tickets + [blocker] { models.compute.finish(ticket) }
    }

    @Test("concurrent HTTP requests each get their own texts' vectors")
    func concurrentHTTP() async throws {
        let models = try ComputeIsolationTests.models(threads: 2)
        let app = WinnowServer.buildApplication(models: models, configuration: ComputeIsolationTests.configuration())
        let requests = (0 ..< 4).flatMap { _ in Self.requests }
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: ([String], [[Float]]).self) { group in
                for texts in requests {
                    group.addTask {
                        let body = try JSONSerialization.data(withJSONObject: ["model": "all-MiniLM-L6-v2", "input": texts])
                        return try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(bytes: body)) { response in
                            #expect(response.status == .ok)
                            let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                            let data = json?["data"] as? [[String: Any]] ?? []
                            return (texts, data.map { ($0["embedding"] as? [Double] ?? []).map(Float.init) })
                        }
                    }
                }
                for try await (texts, vectors) in group {
                    #expect(vectors.count == texts.count)
                    for (text, vector) in zip(texts, vectors) {
                        // JSON carries the shortest decimal that reads back as the same float.
                        #expect(Self.maxDifference(vector, models.embedder.embed([text])[0]) <= Self.tolerance)
                    }
                }
            }
        }
        #expect(models.batcher.counts.pending == 0)
        #expect(models.compute.load.work == 0)
    }
}
