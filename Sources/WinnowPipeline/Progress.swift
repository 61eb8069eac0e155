#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Progress of a run: a bar on a TTY (documents/s, MB/s, ETA), plain log lines otherwise.
public final class ProgressReporter: Sendable {
    private let documents = Atomic<Int>(0)
    private let bytes = Atomic<Int>(0)
    private let stored = Atomic<Int>(0)
    private let state = Mutex<(label: String, totalBytes: Int, start: Double, lastDraw: Double, drawn: Bool)>(
        ("", 0, 0, 0, false))
    /// Whether to draw a bar (stderr is a terminal).
    public let interactive: Bool
    /// Whether to print anything.
    public let quiet: Bool

    /// Creates a reporter; draws a bar when stderr is a terminal.
    public init(quiet: Bool = false, interactive: Bool? = nil) {
        self.quiet = quiet
        self.interactive = interactive ?? (isatty(2) == 1)
    }

    /// Seconds on the monotonic clock.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Starts a new phase with the bytes it is expected to read.
    public func begin(_ label: String, totalBytes: Int) {
        documents.store(0, ordering: .relaxed)
        bytes.store(0, ordering: .relaxed)
        stored.store(0, ordering: .relaxed)
        state.withLock { $0 = (label, totalBytes, Self.now(), 0, false) }
    }

    /// Adds work done: documents, uncompressed bytes, and bytes as stored (what the phase's
    /// total counts; defaults to `bytes`).
    public func add(documents d: Int, bytes b: Int, stored s: Int? = nil) {
        documents.add(d, ordering: .relaxed)
        bytes.add(b, ordering: .relaxed)
        stored.add(s ?? b, ordering: .relaxed)
        guard interactive, !quiet else { return }
        let t = Self.now()
        let line: String? = state.withLock { s in
            guard t - s.lastDraw >= 0.25 else { return nil }
            s.lastDraw = t
            s.drawn = true
            return render(s.label, s.totalBytes, s.start, t)
        }
        if let line { FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8)) }
    }

    private func render(_ label: String, _ total: Int, _ start: Double, _ t: Double) -> String {
        let d = documents.load(ordering: .relaxed)
        let b = bytes.load(ordering: .relaxed)
        let dt = max(t - start, 1e-6)
        let frac = total > 0 ? min(1, Double(stored.load(ordering: .relaxed)) / Double(total)) : 0
        let width = 24
        let filled = Int(frac * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        var eta = "--:--"
        if frac > 0.01 {
            let remain = Int(dt / frac - dt)
            eta = String(format: "%d:%02d", remain / 60, remain % 60)
        }
        return String(
            format: "%@ %@ %3.0f%% %@ docs %@ docs/s %.1f MB/s ETA %@", label, bar, frac * 100, Self.short(d),
            Self.short(Int(Double(d) / dt)), Double(b) / dt / 1e6, eta)
    }

    /// Ends the current phase's bar.
    public func end() {
        let drawn = state.withLock { s -> Bool in
            let d = s.drawn
            s.drawn = false
            return d
        }
        if drawn && interactive && !quiet { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }

    /// Prints a log line (above the bar on a TTY).
    public func log(_ message: String) {
        guard !quiet else { return }
        let prefix = interactive ? "\r\u{1B}[2K" : ""
        FileHandle.standardError.write(Data((prefix + message + "\n").utf8))
    }

    /// 1234567 → "1.2M".
    public static func short(_ n: Int) -> String {
        if n >= 1_000_000 { return String(format: "%.1fM", Double(n) / 1e6) }
        if n >= 10_000 { return String(format: "%.1fk", Double(n) / 1e3) }
        return String(n)
    }
}
