/// One fuzz target: a function from arbitrary bytes to "fine" or a finding.
///
/// The same entry runs under libFuzzer (`fuzz/`, a sanitizer build) and in the test suite's smoke
/// pass (``FuzzMutator`` over the seed corpus, a normal debug build). A thrown error is the
/// expected answer to bad input and is not a finding; a finding is a broken invariant (a reader
/// that never ends, output that does not read back, two decoders that disagree, a 5xx for a
/// client's body). Crashes, traps and sanitizer reports end the process and are findings too.
public struct FuzzTarget: Sendable {
    /// The name used for the corpus folder (`fuzz/corpus/<name>/`) and the executable (`fuzz-<name>`).
    public let name: String
    /// What the target drives, in one line.
    public let summary: String
    /// The largest input worth trying, in bytes (libFuzzer's `-max_len`).
    public let maxLength: Int
    private let body: @Sendable (UnsafeRawBufferPointer) -> FuzzFinding?

    /// Creates a target.
    /// - Parameters:
    ///   - name: corpus folder and executable suffix.
    ///   - summary: what it drives.
    ///   - maxLength: the largest input worth trying, in bytes.
    ///   - body: runs one input; returns a finding or nil.
    public init(name: String, summary: String, maxLength: Int, body: @escaping @Sendable (UnsafeRawBufferPointer) -> FuzzFinding?) {
        self.name = name
        self.summary = summary
        self.maxLength = maxLength
        self.body = body
    }

    /// Runs one input.
    /// - Returns: a finding (a broken invariant), or nil when the input was handled correctly
    ///   (including by a clear error).
    public func run(_ bytes: UnsafeRawBufferPointer) -> FuzzFinding? {
        body(bytes)
    }

    /// Runs one input given as an array.
    public func run(_ bytes: [UInt8]) -> FuzzFinding? {
        bytes.withUnsafeBytes { body($0) }
    }
}

/// A broken invariant found by a fuzz target.
public struct FuzzFinding: Error, Sendable, Hashable, CustomStringConvertible {
    /// The target that found it.
    public var target: String
    /// What went wrong.
    public var message: String

    /// Creates a finding.
    public init(_ target: String, _ message: String) {
        self.target = target
        self.message = message
    }

    /// `<target>: <message>`.
    public var description: String { "\(target): \(message)" }
}
