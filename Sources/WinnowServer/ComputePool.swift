import Foundation

/// Model work (embedding, ranking, compression, example selection) runs here: a fixed set of
/// dedicated threads fed by one queue — never the threads that accept connections, parse
/// requests or run Swift tasks, so `/healthz` answers while every compute thread is busy.
///
/// Admission is measured in work units (about one token each): a request is admitted when the
/// queued work plus its own stays within ``limit``, and refused otherwise (the server answers
/// 429). A request is charged its cost but at most half the limit, so the largest legal request
/// still runs on an idle server and leaves room for small requests beside it.
/// Jobs are taken from the requests in turn (round robin), so the chunks of a large request
/// interleave with small requests instead of running ahead of them all.
final class ComputePool: Sendable {
    /// The most work units queued or running at once.
    let limit: Int
    /// The number of compute threads.
    let width: Int
    private let state: Shared
    private let onWait: @Sendable (Duration) -> Void

    /// Starts `width` compute threads (at least one).
    /// - Parameters:
    ///   - limit: the most work units admitted at once.
    ///   - onWait: told how long each job waited in the queue.
    init(width: Int, limit: Int = 1 << 18, onWait: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.width = max(1, width)
        self.limit = max(1, limit)
        self.onWait = onWait
        state = Shared(width: self.width)
        for n in 0 ..< self.width {
            let thread = Thread { [state] in state.serve() }
            thread.name = "winnow-compute-\(n)"
            thread.stackSize = 16 << 20
            thread.start()
        }
    }

    /// Stops the threads once the queue is empty (jobs already queued still run).
    func shutdown() { state.stop() }

    /// Admits a request costing `cost` work units (charged at most half the limit), or returns
    /// nil when the queue is full.
    func admit(cost: Int) -> Ticket? {
        state.admit(cost: min(max(1, cost), max(1, limit / 2)), limit: limit)
    }

    /// Work units admitted and not yet finished, and the number of queued (not running) jobs.
    var load: (work: Int, queuedJobs: Int) { state.load }

    /// Seconds until the queued work is likely done, from the recent rate (at least 1).
    var retryAfterSeconds: Int { state.retryAfter() }

    /// Runs `work` on a compute thread for `ticket`'s request and returns its result.
    ///
    /// When the calling task is cancelled (the request's deadline passed, the client left),
    /// a job still queued is dropped and this throws `CancellationError` at once; a job
    /// already running finishes on its thread and its result is discarded.
    /// - Parameter units: the work this job does, for the throughput estimate behind `Retry-After`.
    func run<T: Sendable>(_ ticket: Ticket, units: Int = 0, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await run(ticket, measured: { (try work(), units) })
    }

    /// Runs `work` on a compute thread for `ticket`'s request; `work` returns its result and
    /// the work units it did (for the throughput estimate behind `Retry-After`), for jobs whose
    /// work is known only once they run (a batching turn may find nothing left to do).
    /// Cancellation as for ``run(_:units:_:)``.
    func run<T: Sendable>(_ ticket: Ticket, measured work: @escaping @Sendable () throws -> (T, units: Int)) async throws -> T {
        let job = Job(owner: ticket.id)
        let box = ResultBox<T>()
        let queued = ContinuousClock.now
        let onWait = onWait
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                box.set(continuation)
                job.body = {
                    onWait(.now - queued)
                    do {
                        let (value, units) = try work()
                        box.resume(.success(value))
                        return units
                    } catch {
                        box.resume(.failure(error))
                        return 0
                    }
                }
                if Task.isCancelled {
                    box.resume(.failure(CancellationError()))
                } else {
                    state.enqueue(job)
                }
            }
        } onCancel: {
            state.cancel(job)
            box.resume(.failure(CancellationError()))
        }
    }

    /// Releases `ticket`'s admitted work (call once, when the request ends).
    func finish(_ ticket: Ticket) { state.finish(ticket) }

    /// One admitted request.
    struct Ticket: Sendable {
        let id: UInt64
        let cost: Int
        /// When the request was admitted (for the queue-wait metric).
        let admitted: ContinuousClock.Instant
    }
}

/// A queued job: `body` runs it, resumes its caller and returns the work units it did.
private final class Job: @unchecked Sendable {  // body is set before enqueue, then read under the pool's lock only
    let owner: UInt64
    var body: (@Sendable () -> Int)?

    init(owner: UInt64) { self.owner = owner }
}

/// A continuation resumed exactly once (by the job, or by cancellation, whichever is first).
private final class ResultBox<T: Sendable>: @unchecked Sendable {  // all state under `lock`
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var early: Result<T, any Error>?

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        lock.lock()
        if let early {
            lock.unlock()
            continuation.resume(with: early)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func resume(_ result: Result<T, any Error>) {
        lock.lock()
        guard let continuation else {
            if early == nil { early = result }
            lock.unlock()
            return
        }
        self.continuation = nil
        early = result
        lock.unlock()
        continuation.resume(with: result)
    }
}

/// The pool's queue and counters, under one condition lock.
private final class Shared: @unchecked Sendable {  // every field is read and written under `condition`
    private let condition = NSCondition()
    private let width: Int
    /// Queued jobs per request, and the requests with queued jobs in turn order.
    private var queues: [UInt64: [Job]] = [:]
    private var turn: [UInt64] = []
    private var queuedJobs = 0
    private var admitted = 0
    private var nextTicket: UInt64 = 1
    private var stopping = false
    /// Work units one thread finishes per second, smoothed.
    private var rate = 0.0

    init(width: Int) { self.width = width }

    func admit(cost: Int, limit: Int) -> ComputePool.Ticket? {
        condition.lock()
        defer { condition.unlock() }
        guard admitted + cost <= limit else { return nil }
        admitted += cost
        let id = nextTicket
        nextTicket &+= 1
        return ComputePool.Ticket(id: id, cost: cost, admitted: .now)
    }

    func finish(_ ticket: ComputePool.Ticket) {
        condition.lock()
        admitted -= ticket.cost
        condition.unlock()
    }

    var load: (work: Int, queuedJobs: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (admitted, queuedJobs)
    }

    func retryAfter() -> Int {
        condition.lock()
        defer { condition.unlock() }
        guard rate > 0 else { return 1 }
        return Int(min(60, max(1, (Double(admitted) / (rate * Double(width))).rounded(.up))))
    }

    func enqueue(_ job: Job) {
        condition.lock()
        if queues[job.owner] == nil { turn.append(job.owner) }
        queues[job.owner, default: []].append(job)
        queuedJobs += 1
        condition.signal()
        condition.unlock()
    }

    /// Drops `job` if it is still queued.
    func cancel(_ job: Job) {
        condition.lock()
        defer { condition.unlock() }
        guard var jobs = queues[job.owner], let at = jobs.firstIndex(where: { $0 === job }) else { return }
        jobs.remove(at: at)
        queuedJobs -= 1
        if jobs.isEmpty {
            queues[job.owner] = nil
            turn.removeAll { $0 == job.owner }
        } else {
            queues[job.owner] = jobs
        }
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// A compute thread's loop: take the next request's first job, run it, repeat.
    func serve() {
        while true {
            condition.lock()
            while turn.isEmpty && !stopping { condition.wait() }
            if turn.isEmpty {
                condition.unlock()
                return
            }
            let owner = turn.removeFirst()
            var jobs = queues[owner] ?? []
            let job = jobs.removeFirst()
            queuedJobs -= 1
            if jobs.isEmpty {
                queues[owner] = nil
            } else {
                queues[owner] = jobs
                turn.append(owner)
            }
            let body = job.body
            job.body = nil
            condition.unlock()

            let start = ContinuousClock.now
            let units = body?() ?? 0
            let seconds = Double((ContinuousClock.now - start) / .microseconds(1)) / 1e6
            if units > 0, seconds > 0 {
                condition.lock()
                let observed = Double(units) / seconds
                rate = rate == 0 ? observed : 0.8 * rate + 0.2 * observed
                condition.unlock()
            }
        }
    }
}
