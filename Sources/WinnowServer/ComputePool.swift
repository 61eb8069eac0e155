import Dispatch

/// Runs blocking model work (embedding, compression) on GCD threads, at most `width` jobs at
/// once, so neither the event loops nor Swift's cooperative pool are held by CPU-bound work.
final class ComputePool: Sendable {
    private let queue: DispatchQueue
    private let slots: DispatchSemaphore

    /// Creates a pool running at most `width` jobs concurrently.
    init(width: Int) {
        queue = DispatchQueue(label: "winnow.compute", attributes: .concurrent)
        slots = DispatchSemaphore(value: max(1, width))
    }

    /// Runs `work` on a compute thread and returns its result.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [slots] in
                slots.wait()
                defer { slots.signal() }
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
