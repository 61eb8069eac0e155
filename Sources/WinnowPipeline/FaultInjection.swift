#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Crash points for the crash-safety tests: with `WINNOW_FAULT_KILL_AT_POINT=N` in the
/// environment the process kills itself with SIGKILL at the N-th point it passes (points: every
/// document written, every task recorded done, every resolve step, each step of finishing the
/// run). With `WINNOW_FAULT_COUNT_POINTS=1` the run logs how many points it passed, so a test
/// can pick kill points from a seeded generator. Costs one branch per point when unset.
enum FaultInjection {
    static let killAt: Int? = getenv("WINNOW_FAULT_KILL_AT_POINT").flatMap { Int(String(cString: $0)) }
    static let counting: Bool = getenv("WINNOW_FAULT_COUNT_POINTS") != nil
    static let passed = Atomic<Int>(0)

    /// Passes one crash point.
    @inline(__always)
    static func point() {
        guard killAt != nil || counting else { return }
        let n = passed.add(1, ordering: .relaxed).newValue
        if n == killAt { kill(getpid(), SIGKILL) }
    }

    /// The number of points passed so far.
    static var count: Int { passed.load(ordering: .relaxed) }
}
