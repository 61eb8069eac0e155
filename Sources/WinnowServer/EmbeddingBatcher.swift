import Synchronization
import TensorCore
import WinnowEmbed

/// Cross-request batching for `/v1/embeddings`: the texts of concurrent requests share forward
/// passes, up to the embedder's batch limits, as dedicated embedding servers do.
///
/// A request submits its tokenized texts, then queues one *turn* per batch it would need on its
/// own (``Embedder/batches(lengths:batchSize:maxBatchTokens:)``) as ordinary jobs of the
/// ``ComputePool``, so turns keep the pool's round robin between requests and its admission.
/// A turn runs one forward pass:
/// - **lead**: the next batch of the turn's own request, exactly as the embedder would cut it
///   (its shortest pending texts); when the request has nothing pending (other turns took its
///   texts), the oldest request with pending texts leads instead, so the thread stays useful;
/// - **fill**: the room left under the batch limits goes to other requests' pending texts,
///   oldest request first: first texts no longer than the lead's longest (no extra padding),
///   then longer ones in order of length, up to twice the lead's longest, while at least half
///   the padded batch stays real tokens (so a turn of short texts never grows into a pass of
///   long ones: its request's latency stays about that of its own batch).
///
/// A request ends when all its vectors are back, whichever turns computed them; its turns still
/// queued then leave the queue. Its own turns always suffice: each takes at least the greedy
/// next batch of what it still has pending, and others' turns only take texts away.
///
/// Vectors do not depend on the padding (attention runs on each text's own tokens only, pooling
/// skips padding), but OpenBLAS's sgemm computes a row with another kernel when it falls in
/// the last, partial tile of the matrix, so a text's vector can differ in the last bits with the
/// batch it shares (docs/server.md states the tolerance; `EmbeddingBatchingTests` checks it).
/// A request alone on the server gets exactly the vectors `Embedder.embed` gives.
final class EmbeddingBatcher: Sendable {
    /// The embedder.
    let embedder: Embedder
    /// The most texts per forward pass.
    let batchSize: Int
    /// The most padded tokens (texts × longest) per forward pass.
    let maxBatchTokens: Int
    private let state = Mutex(State())
    private let onBatch: @Sendable (_ texts: Int, _ requests: Int) -> Void

    /// - Parameters:
    ///   - embedder: the model.
    ///   - batchSize: the most texts per forward pass.
    ///   - maxBatchTokens: the most padded tokens per forward pass (a pass always holds one text).
    ///   - onBatch: told the texts and the requests of each forward pass.
    init(
        embedder: Embedder, batchSize: Int = Embedder.defaultBatchSize, maxBatchTokens: Int = Embedder.defaultMaxBatchTokens,
        onBatch: @escaping @Sendable (_ texts: Int, _ requests: Int) -> Void = { _, _ in }
    ) {
        self.embedder = embedder
        self.batchSize = max(1, batchSize)
        self.maxBatchTokens = max(1, maxBatchTokens)
        self.onBatch = onBatch
    }

    /// Pending texts of one request, kept sorted by (length, index).
    struct Item {
        let result: BatchedResult
        let index: Int
        let ids: [Int32]
    }

    struct State {
        var pending: [UInt64: [Item]] = [:]
        /// Requests with pending texts, oldest first.
        var arrivals: [UInt64] = []
        /// Forward passes run so far.
        var passes = 0
    }

    /// The number of turns a request with these token counts queues: the batches it would
    /// need on its own.
    func turns(lengths: [Int]) -> Int {
        Embedder.batches(lengths: lengths, batchSize: batchSize, maxBatchTokens: maxBatchTokens).count
    }

    /// Adds a request's tokenized texts (`owner`: its ticket id) to the pending texts.
    /// - Returns: where its vectors arrive, in input order.
    func submit(owner: UInt64, encoded: [[Int32]]) -> BatchedResult {
        let result = BatchedResult(count: encoded.count)
        guard !encoded.isEmpty else { return result }
        let order = encoded.indices.sorted { (encoded[$0].count, $0) < (encoded[$1].count, $1) }
        let items = order.map { Item(result: result, index: $0, ids: encoded[$0]) }
        state.withLock { state in
            state.pending[owner, default: []].append(contentsOf: items)
            state.arrivals.append(owner)
        }
        return result
    }

    /// Drops what `owner` still has pending (its request ended: deadline, client gone).
    func withdraw(owner: UInt64) {
        state.withLock { state in
            state.pending[owner] = nil
            state.arrivals.removeAll { $0 == owner }
        }
    }

    /// Whether `owner` has texts no turn has taken yet.
    func hasPending(owner: UInt64) -> Bool { state.withLock { $0.pending[owner] != nil } }

    /// Texts pending over all requests, and forward passes run so far.
    var counts: (pending: Int, passes: Int) {
        state.withLock { state in (state.pending.values.reduce(0) { $0 + $1.count }, state.passes) }
    }

    /// One turn of `owner`'s request, on a compute thread: takes a batch (its own next batch,
    /// filled with other requests' texts), runs one forward pass and hands every vector to its
    /// request.
    /// - Returns: the tokens embedded (0 when nothing was pending).
    func turn(owner: UInt64) -> Int {
        let batch = state.withLock { state in take(for: owner, from: &state) }
        guard !batch.isEmpty else { return 0 }
        let vectors = embedder.embed(encoded: batch.map(\.ids))
        // Counted before the vectors go out, so a request that has its answer sees its pass counted.
        onBatch(batch.count, Set(batch.map { ObjectIdentifier($0.result) }).count)
        for (row, item) in batch.enumerated() { item.result.deliver(index: item.index, vector: vectors.row(row)) }
        return batch.reduce(0) { $0 + $1.ids.count }
    }

    /// Takes the next batch out of the pending texts (see the type's documentation).
    private func take(for owner: UInt64, from state: inout State) -> [Item] {
        guard let lead = state.pending[owner] != nil ? owner : state.arrivals.first, let leadItems = state.pending[lead] else { return [] }
        let first = Embedder.batches(lengths: leadItems.map(\.ids.count), batchSize: batchSize, maxBatchTokens: maxBatchTokens).first ?? []
        // The lengths are sorted, so the embedder's first batch is a prefix.
        var batch = Array(leadItems[0 ..< first.count])
        remove(owner: lead, prefix: first.count, from: &state)
        var longest = batch.map(\.ids.count).max() ?? 0
        var real = batch.reduce(0) { $0 + $1.ids.count }
        // Fill without extra padding, oldest request first.
        for other in state.arrivals where batch.count < batchSize && (batch.count + 1) * longest <= maxBatchTokens {
            guard let items = state.pending[other] else { continue }
            var kept: [Item] = []
            for item in items {
                if item.ids.count <= longest, batch.count < batchSize, (batch.count + 1) * longest <= maxBatchTokens {
                    batch.append(item)
                    real += item.ids.count
                } else {
                    kept.append(item)
                }
            }
            set(owner: other, items: kept, in: &state)
        }
        // Then longer texts, shortest first, up to twice the lead's longest, while at least half
        // the padded batch is real tokens.
        let longestAllowed = 2 * longest
        if batch.count < batchSize {
            var longer: [(owner: UInt64, item: Item)] = []
            for other in state.arrivals {
                for item in state.pending[other] ?? [] where item.ids.count > longest { longer.append((other, item)) }
            }
            longer.sort { $0.item.ids.count < $1.item.ids.count }
            var taken: [UInt64: Set<Int>] = [:]
            for (other, item) in longer {
                let length = item.ids.count
                guard length <= longestAllowed, batch.count < batchSize, (batch.count + 1) * length <= maxBatchTokens,
                    2 * (real + length) >= (batch.count + 1) * length
                else { break }
                batch.append(item)
                real += length
                longest = length
                taken[other, default: []].insert(item.index)
            }
            for (other, indices) in taken {
                set(owner: other, items: (state.pending[other] ?? []).filter { !indices.contains($0.index) }, in: &state)
            }
        }
        if !batch.isEmpty { state.passes += 1 }
        return batch
    }

    private func remove(owner: UInt64, prefix: Int, from state: inout State) {
        set(owner: owner, items: Array((state.pending[owner] ?? []).dropFirst(prefix)), in: &state)
    }

    private func set(owner: UInt64, items: [Item], in state: inout State) {
        if items.isEmpty {
            guard state.pending[owner] != nil else { return }
            state.pending[owner] = nil
            state.arrivals.removeAll { $0 == owner }
        } else {
            state.pending[owner] = items
        }
    }
}

/// One request's vectors as the turns deliver them; ``wait()`` returns them all, in input order.
final class BatchedResult: @unchecked Sendable {  // all state under `lock`
    private let lock = Mutex(())
    private var rows: [[Float]]
    private var remaining: Int
    private var continuation: CheckedContinuation<[[Float]], any Error>?
    private var ended = false

    init(count: Int) {
        rows = Array(repeating: [], count: count)
        remaining = count
    }

    /// Stores the vector of text `index`; the last one wakes ``wait()``.
    func deliver(index: Int, vector: [Float]) {
        let resume: (CheckedContinuation<[[Float]], any Error>, [[Float]])? = lock.withLock { _ in
            guard !ended, rows[index].isEmpty else { return nil }
            rows[index] = vector
            remaining -= 1
            guard remaining == 0, let continuation else { return nil }
            self.continuation = nil
            ended = true
            return (continuation, rows)
        }
        if let (continuation, rows) = resume { continuation.resume(returning: rows) }
    }

    /// The vectors, once every text has one.
    /// - Throws: `CancellationError` when the calling task is cancelled first.
    func wait() async throws -> [[Float]] {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[[Float]], any Error>) in
                let now: Result<[[Float]], any Error>? = lock.withLock { _ in
                    if ended { return .failure(CancellationError()) }
                    if remaining == 0 {
                        ended = true
                        return .success(rows)
                    }
                    if Task.isCancelled {
                        ended = true
                        return .failure(CancellationError())
                    }
                    self.continuation = continuation
                    return nil
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            let waiting: CheckedContinuation<[[Float]], any Error>? = lock.withLock { _ in
                ended = true
                defer { continuation = nil }
                return continuation
            }
            waiting?.resume(throwing: CancellationError())
        }
    }
}
