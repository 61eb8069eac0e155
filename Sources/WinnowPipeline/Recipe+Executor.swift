import WinnowCore

/// A recipe's `executor:` block: where `winnow run` runs it unless `--executor` says otherwise.
///
/// ```yaml
/// executor: { type: slurm, partition: cpu, array_limit: 200, time: "02:00:00", cpus_per_task: 1,
///             mem: 4G, sbatch_args: ["--account=crawl"], max_attempts: 3 }
/// ```
/// Command-line options override each field.
public struct ExecutorSpec: Sendable, Hashable {
    /// `local`, `slurm` or `plan`.
    public var type: String
    /// Slurm partition.
    public var partition: String?
    /// At most this many array elements at once.
    public var arrayLimit: Int?
    /// Time limit per task (`HH:MM:SS`).
    public var time: String?
    /// CPUs per task.
    public var cpusPerTask: Int?
    /// Memory per task (`4G`).
    public var mem: String?
    /// More sbatch arguments.
    public var sbatchArgs: [String] = []
    /// Attempts per task.
    public var maxAttempts: Int?

    static let keys = ["type", "partition", "array_limit", "time", "cpus_per_task", "mem", "sbatch_args", "max_attempts"]

    /// Decodes the block; unknown keys and bad values are errors with their location.
    static func decode(_ v: ConfigValue) throws -> ExecutorSpec {
        let m = try Recipe.mapping(v, "executor", allowed: keys)
        guard let t = m["type"] else { throw ConfigError("executor needs 'type' (local, slurm or plan)", at: v.location) }
        let type = try Recipe.scalar(t, "executor.type")
        guard ["local", "slurm", "plan"].contains(type) else {
            throw ConfigError("executor.type must be local, slurm or plan, got '\(type)'", at: t.location)
        }
        var spec = ExecutorSpec(type: type)
        spec.partition = try m["partition"].map { try Recipe.scalar($0, "executor.partition") }
        spec.arrayLimit = try m["array_limit"].map { try Recipe.int($0, "executor.array_limit", 1...1_000_000) }
        spec.time = try m["time"].map { try Recipe.scalar($0, "executor.time") }
        spec.cpusPerTask = try m["cpus_per_task"].map { try Recipe.int($0, "executor.cpus_per_task", 1...4096) }
        spec.mem = try m["mem"].map { try Recipe.scalar($0, "executor.mem") }
        spec.sbatchArgs = try m["sbatch_args"].map { try Recipe.strings($0, "executor.sbatch_args") } ?? []
        spec.maxAttempts = try m["max_attempts"].map { try Recipe.int($0, "executor.max_attempts", 1...100) }
        return spec
    }
}
