import Foundation
import Synchronization

/// Runs `count` jobs on a fixed pool of `workers` threads.
///
/// Jobs are taken in index order. After the first failure no new job starts; the error of the
/// lowest-numbered failed job is rethrown once every running job has returned.
public enum WorkerPool {
    /// Runs `body(i)` for i in 0..<count.
    public static func run(count: Int, workers: Int, body: @escaping @Sendable (Int) throws -> Void) throws {
        if count == 0 { return }
        let n = max(1, min(workers, count))
        if n == 1 {
            for i in 0..<count { try body(i) }
            return
        }
        let next = Atomic<Int>(0)
        let failure = Mutex<(index: Int, error: any Error)?>(nil)
        let group = DispatchGroup()
        for _ in 0..<n {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
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
            thread.stackSize = 16 << 20
            thread.start()
        }
        group.wait()
        if let f = failure.withLock({ $0 }) { throw f.error }
    }
}
