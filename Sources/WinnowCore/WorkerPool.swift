#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Runs `count` jobs on a fixed pool of `workers` threads.
///
/// Jobs are taken in index order. After the first failure no new job starts; the error of the
/// lowest-numbered failed job is rethrown once every running job has returned.
///
/// Threads are plain pthreads (16 MiB stacks): WinnowCore does not import Foundation, whose
/// bundled ICU would clash with the system ICU that libxml2's headers bring into the modules
/// above (SWIFT-NOTES §4).
public enum WorkerPool {
    /// Runs `body(i)` for i in 0..<count.
    public static func run(count: Int, workers: Int, body: @escaping @Sendable (Int) throws -> Void) throws {
        if count == 0 { return }
        let n = max(1, min(workers, count))
        if n == 1 {
            for i in 0..<count { try body(i) }
            return
        }
        let shared = Shared(count: count, body: body)
        var threads: [pthread_t] = []
        for _ in 0..<n {
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setstacksize(&attributes, 16 << 20)
            var thread = pthread_t()
            let context = Unmanaged.passRetained(shared).toOpaque()
            let rc = pthread_create(&thread, &attributes, { raw in
                guard let raw else { return nil }
                Unmanaged<Shared>.fromOpaque(raw).takeRetainedValue().work()
                return nil
            }, context)
            pthread_attr_destroy(&attributes)
            if rc != 0 {
                Unmanaged<Shared>.fromOpaque(context).release()
                shared.work()  // could not start a thread: do the work here instead
            } else {
                threads.append(thread)
            }
        }
        for thread in threads { pthread_join(thread, nil) }
        if let f = shared.failure.withLock({ $0 }) { throw f.error }
    }

    /// The state the pool's threads share.
    private final class Shared: Sendable {
        let next = Atomic<Int>(0)
        let failure = Mutex<(index: Int, error: any Error)?>(nil)
        let count: Int
        let body: @Sendable (Int) throws -> Void

        init(count: Int, body: @escaping @Sendable (Int) throws -> Void) {
            self.count = count
            self.body = body
        }

        /// Takes jobs until none is left or one has failed.
        func work() {
            while true {
                if failure.withLock({ $0 != nil }) { return }
                let i = next.add(1, ordering: .relaxed).oldValue
                if i >= count { return }
                do {
                    try body(i)
                } catch {
                    failure.withLock { f in
                        if i < (f?.index ?? Int.max) { f = (i, error) }
                    }
                    return
                }
            }
        }
    }
}
