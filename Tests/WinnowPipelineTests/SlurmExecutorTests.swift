import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline

/// The local one-node Slurm cluster (scripts/slurm-local.sh: munged, slurmctld, slurmd as
/// background processes). Started once per test process when it is not up yet.
enum LocalSlurm {
    /// `SLURM_CONF` for the client commands, or nil (with `reason`) when the daemons cannot start.
    static let conf: String? = start()
    nonisolated(unsafe) static var reason = ""

    static var environment: [String: String] { conf.map { ["SLURM_CONF": $0] } ?? [:] }

    static var isUp: Bool { conf != nil }

    static func start() -> String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let r = try? shell(["bash", root.path + "/scripts/slurm-local.sh", "start"])
        guard let r, r.status == 0, let last = r.stdout.split(separator: "\n").last, last.hasPrefix("export SLURM_CONF=") else {
            reason = "the local Slurm daemons could not start: " + (r?.stderr ?? "scripts/slurm-local.sh did not run")
            return nil
        }
        return String(last.dropFirst("export SLURM_CONF=".count))
    }

    /// Runs a command (PATH lookup), returning status and output.
    static func shell(_ args: [String], env: [String: String] = [:]) throws -> ProcessResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let r = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return ProcessResult(
            status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
            stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: r, as: UTF8.self))
    }

    /// Slurm's record of finished jobs (the jobcomp/filetxt file; plain `sacct` needs slurmdbd):
    /// one dictionary per finished job or array element.
    static func finishedJobs() throws -> [[String: String]] {
        let config = try shell(["scontrol", "show", "config"], env: environment).stdout
        guard let line = config.split(separator: "\n").first(where: { $0.hasPrefix("JobCompLoc") }),
            let path = line.split(separator: "=").last?.trimmingCharacters(in: .whitespaces)
        else { return [] }
        let text = String(decoding: try FileSystem.readAll(path), as: UTF8.self)
        return text.split(separator: "\n").map { l in
            var d: [String: String] = [:]
            for field in l.split(separator: " ") {
                let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2 { d[kv[0]] = kv[1] }
            }
            return d
        }
    }

    /// Waits (polling, no fixed sleep) until `condition` holds; fails the test after `limit` seconds.
    static func waitUntil(_ what: String, limit: Double = 600, _ condition: () throws -> Bool) throws {
        let start = Date()
        while try !condition() {
            if Date().timeIntervalSince(start) > limit { throw ClusterError("timed out waiting for \(what)") }
            usleep(200_000)
        }
    }
}

/// The Slurm executor against a real slurmctld + slurmd + munged on this machine (issue 16).
@Suite("Slurm executor", .serialized, .enabled(if: LocalSlurm.isUp, "needs the local Slurm daemons (scripts/slurm-local.sh start)"))
struct SlurmExecutorTests {
    /// length → minhash_dedup → exact_dedup over 8 input files (8 shards, three phases).
    func setUp(_ dir: String, name: String = "slurmtest") throws -> String {
        try writeCorpus(dir, files: 8, perFile: 40)
        let text = """
            name: \(name)
            input: { path: "in/*.jsonl", format: jsonl, shard_size: 4KB }
            output: { path: out, format: jsonl.gz, keep_removed: true }
            seed: 5
            stages:
              - length: { min_words: 2 }
              - minhash_dedup: { bands: 4, rows: 4, verify: 0.8 }
              - exact_dedup: {}

            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(text.utf8))
        try FileSystem.writeAll(dir + "/sentinel.txt", Array("keep me\n".utf8))
        return "recipe.yaml"
    }

    func result(_ run: String) throws -> [String: [UInt8]] {
        var all = try snapshot(run + "/data").mapKeys { "data/" + $0 }
        for (k, v) in try snapshot(run + "/removed") { all["removed/" + k] = v }
        let stats = try JSONSerialization.jsonObject(with: Data(try FileSystem.readAll(run + "/stats.json")))
        all["stats"] = Array(CrashSafetyTests.withoutTimes(stats).utf8)
        return all
    }

    /// Every task log of a cluster run (what each attempt did, on which Slurm job), for a failure.
    func taskLogs(_ run: String) -> String {
        let names = ((try? FileSystem.list(run + "/logs")) ?? []).sorted()
        return names.map { name in
            "== logs/\(name)\n" + String(decoding: (try? FileSystem.readAll(run + "/logs/" + name)) ?? [], as: UTF8.self)
        }.joined(separator: "\n")
    }

    func slurm(_ args: [String], in dir: String, env: [String: String] = [:]) throws -> ProcessResult {
        try runWinnow(args, in: dir, env: LocalSlurm.environment.merging(env) { $1 })
    }

    func jobs(_ run: String) throws -> SlurmJobs {
        SlurmJobs.load(from: run)
    }

    @Test("data/ and removed/ byte-identical to --workers 2; one array job per phase in Slurm's records; a failed attempt retried")
    func matchesLocalRun() throws {
        let dir = try temporaryFolder()
        let r = try setUp(dir)
        let local = try runWinnow(["run", r, "--output", "local", "--workers", "2"], in: dir)
        #expect(local.status == 0, "\(local.stderr)")
        // One resolve task fails its first attempt: it is retried in its allocation.
        let run = try slurm(
            ["run", r, "--output", "cl", "--executor", "slurm", "--array-limit", "2", "--max-attempts", "3"], in: dir,
            env: ["WINNOW_FAULT_FAIL_TASK": "p0/resolve0/1:1"])
        #expect(run.status == 0, "\(run.stderr)\n\(run.stdout)")
        do {
            let (got, want) = (try result(dir + "/cl"), try result(dir + "/local"))
            #expect(got == want, "\(snapshotDifference(got, want))\n\(taskLogs(dir + "/cl"))")
        }
        #expect(FileSystem.exists(dir + "/sentinel.txt"))
        #expect(!FileSystem.exists(dir + "/cl/work"))
        let plan = try ClusterPlan.load(from: dir + "/cl")
        #expect(plan.shards.count >= 8)
        // Every task left its completion record and its log.
        for unit in plan.units {
            for i in 0..<unit.count {
                #expect(FileSystem.isRegularFile(dir + "/cl/cluster/done/\(unit.fileStem(i)).json"), "\(unit.key(i))")
                #expect(FileSystem.isRegularFile(dir + "/cl/logs/\(unit.fileStem(i)).log"), "\(unit.key(i))")
            }
        }
        let resolve = try plan.unit(named: "p0/resolve0")
        #expect(ClusterStore(run: dir + "/cl").done(resolve, 1)?.attempt == 2)
        let log = String(decoding: try FileSystem.readAll(dir + "/cl/logs/p0-resolve0-00001.log"), as: UTF8.self)
        #expect(log.contains("attempt 1 failed (exit 1); retrying") && log.contains("attempt 2 of 3"), "\(log)")
        // Slurm's own record: each phase's shard tasks ran as the elements of one array job.
        let submitted = try jobs(dir + "/cl").submissions
        #expect(submitted.count == 1)
        let finished = try LocalSlurm.finishedJobs()
        for phase in 0..<3 {
            let ids = submitted[0].jobs.filter { $0.unit == "p\(phase)/shard" }.map(\.jobID)
            #expect(ids.count == 1, "phase \(phase): \(ids)")
            let elements = finished.filter { $0["ArrayJobId"] == ids.first && $0["JobState"] == "COMPLETED" }
            #expect(Set(elements.compactMap { $0["ArrayTaskId"].flatMap(Int.init) }) == Set(0..<plan.shards.count), "phase \(phase)")
            #expect(Set(elements.compactMap { $0["Name"] }) == ["winnow-slurmtest-p\(phase)-shard"])
        }
        // `winnow status` on the finished run.
        let status = try slurm(["status", "cl"], in: dir)
        #expect(status.status == 0)
        #expect(status.stdout.contains(": complete"), "\(status.stdout)")
        #expect(status.stdout.contains("p2/shard"))
    }

    @Test("a task that always fails: the run ends failed, nothing left pending, status names the task and its log")
    func alwaysFailingTask() throws {
        let dir = try temporaryFolder()
        let r = try setUp(dir, name: "slurmfail")
        let bad = "p1/shard/00002"
        let run = try slurm(
            ["run", r, "--output", "cl", "--executor", "slurm", "--max-attempts", "2"], in: dir,
            env: ["WINNOW_FAULT_FAIL_TASK": bad])
        #expect(run.status == 1)
        #expect(run.stderr.contains("failed on Slurm"), "\(run.stderr)")
        #expect(run.stderr.contains(bad))
        #expect(run.stderr.contains("logs/p1-shard-00002.log"))
        // No job of the run is left in the queue (none pending on a dead dependency).
        let ids = Set(try jobs(dir + "/cl").latestJobIDs)
        let queue = try LocalSlurm.shell(["squeue", "--me", "-h", "-r", "-o", "%F"], env: LocalSlurm.environment).stdout
        #expect(Set(queue.split(separator: "\n").map(String.init)).isDisjoint(with: ids))
        // Two attempts, both in the task's log.
        let log = String(decoding: try FileSystem.readAll(dir + "/cl/logs/p1-shard-00002.log"), as: UTF8.self)
        #expect(log.contains("attempt 1 of 2") && log.contains("attempt 2 of 2"), "\(log)")
        #expect(log.contains("injected failure"))
        let status = try slurm(["status", "cl"], in: dir)
        #expect(status.status == 4)
        #expect(status.stdout.contains("failed"))
        #expect(status.stdout.contains("\(bad) (attempt 2"), "\(status.stdout)")
        #expect(status.stdout.contains("cl/logs/p1-shard-00002.log"))
        #expect(status.stdout.contains("were not run because a task they depend on failed"))
        #expect(!FileSystem.exists(dir + "/cl/stats.json"))
        #expect(FileSystem.exists(dir + "/sentinel.txt"))
    }

    @Test("scancel of one element mid-run: the run fails; --resume redoes only the unfinished tasks, same output")
    func cancelAndResume() throws {
        let dir = try temporaryFolder()
        let r = try setUp(dir, name: "slurmcancel")
        let local = try runWinnow(["run", r, "--output", "local", "--workers", "2"], in: dir)
        #expect(local.status == 0, "\(local.stderr)")
        let held = "p0/shard/00005"
        let submit = try slurm(
            ["run", r, "--output", "cl", "--executor", "slurm", "--no-wait"], in: dir, env: ["WINNOW_FAULT_HOLD_TASK": held])
        #expect(submit.status == 0, "\(submit.stderr)")
        #expect(submit.stdout.contains("follow it with: winnow status"))
        let plan = try ClusterPlan.load(from: dir + "/cl")
        let p0 = try plan.unit(named: "p0/shard")
        // Running: the held element has started, the others of phase 1 finish.
        try LocalSlurm.waitUntil("the held task to start") {
            FileSystem.exists(dir + "/cl/cluster/running/p0-shard-00005.json")
                && (0..<p0.count).filter { FileSystem.exists(dir + "/cl/cluster/done/\(p0.fileStem($0)).json") }.count == p0.count - 1
        }
        let running = try slurm(["status", "cl"], in: dir)
        #expect(running.status == 0)
        #expect(running.stdout.contains(": running"), "\(running.stdout)")
        #expect(running.stdout.contains("ETA"), "\(running.stdout)")
        // A second run on the live folder is refused, naming the jobs.
        let second = try slurm(["run", r, "--output", "cl", "--resume"], in: dir)
        #expect(second.status == 1)
        #expect(second.stderr.contains("is in use by Slurm job"), "\(second.stderr)")
        let job = try #require(try jobs(dir + "/cl").submissions.last?.jobs.first { $0.unit == "p0/shard" })
        let cancel = try LocalSlurm.shell(["scancel", "\(job.jobID)_5"], env: LocalSlurm.environment)
        #expect(cancel.status == 0, "\(cancel.stderr)")
        try LocalSlurm.waitUntil("the run to end") {
            let s = try slurm(["status", "cl"], in: dir)
            return s.status == 4
        }
        let failed = try slurm(["status", "cl"], in: dir)
        #expect(failed.stdout.contains(held), "\(failed.stdout)")
        #expect(failed.stdout.contains("logs/p0-shard-00005.log"))
        let before = try FileSystem.list(dir + "/cl/cluster/done").sorted()
        let stamps = try before.map { try FileSystem.readAll(dir + "/cl/cluster/done/" + $0) }
        // Resume: only the unfinished tasks are submitted, and the output matches.
        let resumed = try slurm(["run", r, "--output", "cl", "--executor", "slurm", "--resume"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        do {
            let (got, want) = (try result(dir + "/cl"), try result(dir + "/local"))
            #expect(got == want, "\(snapshotDifference(got, want))\n\(taskLogs(dir + "/cl"))")
        }
        let second2 = try #require(try jobs(dir + "/cl").submissions.last)
        #expect(second2.number == 2)
        #expect(second2.jobs.first { $0.unit == "p0/shard" }?.indices == [5])
        #expect(try ClusterPlan.load(from: dir + "/cl").shards.count == plan.shards.count)
        // Records of tasks finished before the cancel are untouched.
        for (name, bytes) in zip(before, stamps) {
            #expect(try FileSystem.readAll(dir + "/cl/cluster/done/" + name) == bytes, "\(name)")
        }
        #expect(FileSystem.exists(dir + "/sentinel.txt"))
    }
}

/// `--task-from-env`: the task index from an environment variable (Kubernetes Indexed Jobs,
/// AWS Batch arrays), without Slurm.
@Suite("Task index from the environment", .serialized)
struct TaskFromEnvTests {
    @Test("winnow run --task-from-env VAR --tasks 2: two processes give the --workers 2 output")
    func runTaskFromEnv() throws {
        let dir = try temporaryFolder()
        try writeCorpus(dir, files: 4, perFile: 40)
        let text = """
            name: envtask
            input: { path: "in/*.jsonl", format: jsonl, shard_size: 4KB }
            output: { path: out, format: jsonl, keep_removed: true }
            stages:
              - length: { min_words: 2 }
              - exact_dedup: {}

            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(text.utf8))
        let local = try runWinnow(["run", "recipe.yaml", "--output", "local", "--workers", "2"], in: dir)
        #expect(local.status == 0, "\(local.stderr)")
        // Two processes at once (they wait for each other at each phase barrier).
        let procs = try (0..<2).map { i -> (Process, Pipe) in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: winnowBinary())
            p.arguments = ["run", "recipe.yaml", "--output", "env", "--task-from-env", "MY_INDEX", "--tasks", "2", "-q"]
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            var e = ProcessInfo.processInfo.environment
            e["MY_INDEX"] = String(i)
            p.environment = e
            let err = Pipe()
            p.standardError = err
            try p.run()
            return (p, err)
        }
        for (p, err) in procs {
            let e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(String(decoding: e, as: UTF8.self))")
        }
        #expect(try snapshot(dir + "/env/data") == snapshot(dir + "/local/data"))
        #expect(try snapshot(dir + "/env/removed") == snapshot(dir + "/local/removed"))
        // A missing or bad variable is a clear error.
        let missing = try runWinnow(["run", "recipe.yaml", "--output", "x", "--task-from-env", "NO_SUCH_VAR", "--tasks", "2"], in: dir)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("NO_SUCH_VAR"))
        let bad = try runWinnow(
            ["run", "recipe.yaml", "--output", "x", "--task-from-env", "MY_INDEX", "--tasks", "2"], in: dir, env: ["MY_INDEX": "7"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("'7' is not a task index in 0..<2"), "\(bad.stderr)")
    }

    @Test("winnow task --task-from-env over a frozen plan (recipe executor: plan): every unit in order gives the local output")
    func frozenPlanTasks() throws {
        let dir = try temporaryFolder()
        try writeCorpus(dir, files: 4, perFile: 40)
        let text = """
            name: frozen
            input: { path: "in/*.jsonl", format: jsonl, shard_size: 4KB }
            output: { path: out, format: jsonl, keep_removed: true }
            executor: { type: plan, max_attempts: 2 }
            stages:
              - length: { min_words: 2 }
              - exact_dedup: {}

            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(text.utf8))
        let local = try runWinnow(["run", "recipe.yaml", "--output", "local", "--executor", "local", "--workers", "2"], in: dir)
        #expect(local.status == 0, "\(local.stderr)")
        #expect(FileSystem.exists(dir + "/local/stats.json"))
        let freeze = try runWinnow(["run", "recipe.yaml", "--output", "k8s"], in: dir)
        #expect(freeze.status == 0, "\(freeze.stderr)")
        let plan = try ClusterPlan.load(from: dir + "/k8s")
        #expect(plan.units.map(\.name) == ["p0/shard", "p0/resolve0", "p0/resolve1", "p1/shard", "merge"])
        for unit in plan.units {
            for i in 0..<unit.count {
                let t = try runWinnow(
                    ["task", "k8s", "--unit", unit.name, "--task-from-env", "JOB_COMPLETION_INDEX", "-q"], in: dir,
                    env: ["JOB_COMPLETION_INDEX": String(i)])
                #expect(t.status == 0, "\(unit.name) \(i): \(t.stderr)")
            }
        }
        #expect(try snapshot(dir + "/k8s/data") == snapshot(dir + "/local/data"))
        #expect(try snapshot(dir + "/k8s/removed") == snapshot(dir + "/local/removed"))
        #expect(FileSystem.exists(dir + "/k8s/stats.json"))
        // A bad executor block is an error naming the recipe's line.
        try FileSystem.writeAll(
            dir + "/bad.yaml", Array(text.replacingOccurrences(of: "type: plan", with: "type: slrum").utf8))
        let bad = try runWinnow(["run", "bad.yaml", "--output", "b"], in: dir)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("bad.yaml:4:") && bad.stderr.contains("executor.type must be local, slurm or plan"), "\(bad.stderr)")
        // A task that is done is skipped when run again.
        let again = try runWinnow(["task", "k8s", "--unit", "p1/shard", "--index", "0"], in: dir)
        #expect(again.status == 0)
        #expect(again.stderr.contains("already done"), "\(again.stderr)")
    }
}
