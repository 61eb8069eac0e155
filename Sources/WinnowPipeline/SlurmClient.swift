import Foundation
import WinnowCore

/// Slurm's client commands (`sbatch`, `squeue`, `scontrol`, `scancel`), run as child processes.
/// Every command needs `SLURM_CONF` or a configured `/etc/slurm`; the environment is passed on.
public struct SlurmClient: Sendable {
    /// One element (or a whole plain job) in `squeue`.
    public struct QueueEntry: Sendable, Hashable {
        /// The array job id (the job id for a plain job).
        public var jobID: String
        /// The array index, nil for a plain job.
        public var arrayIndex: Int?
        /// `PENDING`, `RUNNING`, `COMPLETING`, …
        public var state: String
        /// Why it is pending (`Dependency`, `DependencyNeverSatisfied`, `JobArrayTaskLimit`, …).
        public var reason: String
    }

    /// A client.
    public init() {}

    /// Whether `sbatch` is on the PATH.
    public static var isAvailable: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/sbatch")
        }
    }

    /// Runs a Slurm command; returns (status, stdout, stderr).
    static func command(_ name: String, _ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [name] + args
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do {
            try p.run()
        } catch {
            throw ClusterError("cannot run `\(name)`: \(error)")
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Runs a command that must succeed; returns its standard output.
    static func checked(_ name: String, _ args: [String]) throws -> String {
        let (status, out, err) = try command(name, args)
        guard status == 0 else {
            let why = err.trimmingCharacters(in: .whitespacesAndNewlines)
            throw ClusterError(
                "`\(([name] + args).joined(separator: " "))` failed (exit \(status)): \(why.isEmpty ? out : why)"
                    + (why.contains("configuration") ? " (is SLURM_CONF set?)" : ""))
        }
        return out
    }

    /// `MaxArraySize` from `scontrol show config` (1001 when it cannot be read).
    public func maxArraySize() -> Int {
        guard let text = try? Self.checked("scontrol", ["show", "config"]) else { return 1001 }
        for line in text.split(separator: "\n") where line.hasPrefix("MaxArraySize") {
            if let v = line.split(separator: "=").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) { return v }
        }
        return 1001
    }

    /// Submits a batch script; returns the job id (`sbatch --parsable`).
    public func submit(options: [String], script: String, arguments: [String]) throws -> String {
        let out = try Self.checked("sbatch", ["--parsable"] + options + [script] + arguments)
        // `--parsable` prints `jobid` or `jobid;cluster`.
        let id = out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else { throw ClusterError("sbatch printed no job id: '\(out)'") }
        return id
    }

    /// This user's queue, array elements one per line; nil when `squeue` cannot be asked.
    public func queue() -> [QueueEntry]? {
        guard let text = try? Self.checked("squeue", ["--me", "-h", "-r", "-o", "%F|%K|%T|%r"]) else { return nil }
        var entries: [QueueEntry] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4 else { continue }
            entries.append(QueueEntry(jobID: f[0], arrayIndex: Int(f[1]), state: f[2], reason: f[3]))
        }
        return entries
    }

    /// Cancels jobs (`scancel`); errors are ignored (a job may have ended meanwhile).
    public func cancel(_ jobs: [String]) {
        guard !jobs.isEmpty else { return }
        _ = try? Self.command("scancel", jobs)
    }
}
