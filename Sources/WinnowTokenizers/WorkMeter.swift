import Synchronization

/// Counts the elementary steps of the tokenizers' inner loops (BPE lookups and heap
/// operations) done by the current task, so tests can check that the work grows as
/// O(n log n) with the input without timing anything.
///
/// ```swift
/// let meter = WorkMeter()
/// try WorkMeter.$current.withValue(meter) { _ = try compressor.compress(request) }
/// print(meter.steps)
/// ```
public final class WorkMeter: Sendable {
    private let counted = Atomic<Int>(0)

    /// The meter steps are added to; nil (the default): nothing is counted.
    @TaskLocal public static var current: WorkMeter?

    /// Steps counted so far.
    public var steps: Int { counted.load(ordering: .relaxed) }

    /// Creates a meter at zero.
    public init() {}

    /// Adds `n` steps to the current task's meter, if any.
    static func add(_ n: Int) {
        if let meter = current { meter.counted.add(n, ordering: .relaxed) }
    }
}
