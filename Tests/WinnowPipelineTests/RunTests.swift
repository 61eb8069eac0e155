import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline
import WinnowStore

@Suite("Running recipes", .serialized)
struct RunTests {
    func recipe(_ dir: String, input: String = "in/*.jsonl", extra: String = "", output: String = "out",
                stages: String = "  - length: { min_words: 3 }\n  - exact_dedup: {}\n  - sample: { fraction: 0.7 }\n") throws -> String
    {
        let text = """
            name: test
            input: { path: "\(input)", format: jsonl, shard_size: 8KB }
            output: { path: \(output), format: jsonl.gz, keep_removed: true }
            seed: 3
            \(extra)
            stages:
            \(stages)
            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(text.utf8))
        return dir + "/recipe.yaml"
    }

    func runInProcess(_ dir: String, workers: Int, output: String) throws -> RunSummary {
        // Absolute paths: changing the process's directory would race with tests on other
        // threads that look models up relative to it.
        let r = try Recipe.load(path: try recipe(dir, input: dir + "/in/*.jsonl", output: dir + "/" + output))
        var o = RunOptions(workers: workers)
        o.overwrite = true
        return try PipelineRunner(recipe: r, options: o, progress: ProgressReporter(quiet: true)).run()
    }

    @Test("byte-identical data/ and removed/ for 1 and 2 workers")
    func deterministic() throws {
        let dir = try temporaryFolder()
        let total = try writeCorpus(dir, files: 3, perFile: 400)
        let one = try runInProcess(dir, workers: 1, output: "out1")
        let two = try runInProcess(dir, workers: 2, output: "out2")
        let a = try snapshot(dir + "/out1/data")
        let b = try snapshot(dir + "/out2/data")
        #expect(a.count > 3)  // several byte-range shards
        #expect(a == b)
        #expect(try snapshot(dir + "/out1/removed") == snapshot(dir + "/out2/removed"))
        #expect(one.stats.read.documents == total)
        #expect(one.stats == two.stats.withoutTimes(one.stats))
        #expect(!FileSystem.exists(dir + "/out1/work"))
        // Every input document is accounted for: kept + dropped.
        let dropped = one.droppedByReason.reduce(0) { $0 + $1.1 }
        #expect(one.stats.written + dropped == total)
        // Exact duplicates were removed: no two kept texts normalise equal.
        let kept = try readOutput(dir + "/out1")
        let keys = kept.map { $0.text.lowercased() }
        #expect(Set(keys).count == keys.count)
    }

    @Test("minhash_dedup: byte-identical output for 1 and 2 workers, clusters annotated")
    func minhashDeterministic() throws {
        let dir = try temporaryFolder()
        try writeCorpus(dir, files: 3, perFile: 300, gzip: true)
        let stages = "  - minhash_dedup: {}\n"
        for (workers, out) in [(1, "m1"), (2, "m2")] {
            _ = try recipe(dir, input: "in/*.jsonl.gz", output: out, stages: stages)
            let r = try runWinnow(["run", dir + "/recipe.yaml", "--workers", "\(workers)", "-q"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try snapshot(dir + "/m1/data") == snapshot(dir + "/m2/data"))
        #expect(try snapshot(dir + "/m1/removed") == snapshot(dir + "/m2/removed"))
        let kept = try readOutput(dir + "/m1")
        #expect(kept.contains { $0.metadata["cluster_size"] != nil })
        #expect(kept.count < 900)
    }

    @Test("minhash_dedup with a tiny memory budget (external sort) gives the same output")
    func minhashBudget() throws {
        let dir = try temporaryFolder()
        try writeCorpus(dir, files: 2, perFile: 400, gzip: true)
        let stages = "  - minhash_dedup: {}\n"
        _ = try recipe(dir, input: "in/*.jsonl.gz", output: "big", stages: stages)
        #expect(try runWinnow(["run", "recipe.yaml", "-q"], in: dir).status == 0)
        _ = try recipe(dir, input: "in/*.jsonl.gz", extra: "memory: 4KB", output: "small", stages: stages)
        #expect(try runWinnow(["run", "recipe.yaml", "-q"], in: dir).status == 0)
        #expect(try snapshot(dir + "/big/data") == snapshot(dir + "/small/data"))
        #expect(try snapshot(dir + "/big/removed") == snapshot(dir + "/small/removed"))
    }

    @Test("minhash_dedup with verify and a tiny memory budget (band runs, pair runs, dropped mappings) gives the bytes of an unbounded run, for 1 and 2 workers")
    func minhashVerifyBudget() throws {
        let dir = try temporaryFolder()
        // Near-duplicates at several edit levels (Jaccard on both sides of 0.8), over three files.
        var state: UInt64 = 5
        func word() -> String {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return "w" + String(state >> 52, radix: 26)
        }
        var docs: [String] = []
        for k in 0..<60 {
            var words = (0..<120).map { _ in word() }
            docs.append(words.joined(separator: " "))
            for c in 0..<(k % 4) {
                for e in 0..<(k % 3 == 0 ? 2 : 8) { words[(c * 31 + e * 13 + k) % 120] = "e\(c)q\(e)" }
                docs.append(words.joined(separator: " "))
            }
        }
        for f in 0..<3 {
            var out: [UInt8] = []
            for (i, t) in docs.enumerated() where i % 3 == f {
                JSONLCodec().encode(Document(id: "d\(i)", text: t), into: &out)
            }
            let w = try CompressedWriter(path: dir + "/in/part-\(f).jsonl.gz", compression: .gzip)
            try out.withUnsafeBytes { try w.write($0) }
            try w.commit()
        }
        let stages = "  - minhash_dedup: { verify: 0.8 }\n"
        for (memory, workers, out) in [("", 1, "big"), ("memory: 2KB", 1, "small1"), ("memory: 2KB", 2, "small2")] {
            _ = try recipe(dir, input: "in/*.jsonl.gz", extra: memory, output: out, stages: stages)
            let r = try runWinnow(["run", "recipe.yaml", "--workers", "\(workers)", "-q"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let removed = try snapshot(dir + "/big/removed")
        #expect(!removed.isEmpty)
        for out in ["small1", "small2"] {
            #expect(try snapshot(dir + "/big/data") == snapshot(dir + "/\(out)/data"))
            #expect(try snapshot(dir + "/\(out)/removed") == removed)
        }
    }

    @Test("a run killed with SIGKILL resumes to the same output and redoes no finished task")
    func killAndResume() throws {
        let dir = try temporaryFolder()
        try writeCorpus(dir, files: 3, perFile: 400)
        let r = try recipe(dir)
        let reference = try runWinnow(["run", r, "--workers", "2", "--output", "ref", "-q"], in: dir)
        #expect(reference.status == 0, "\(reference.stderr)")

        let killed = try runWinnow(["run", r, "--workers", "1", "-q"], in: dir, env: ["WINNOW_FAULT_KILL_AFTER_TASKS": "4"])
        #expect(killed.signaled && killed.status == 9, "status \(killed.status): \(killed.stderr)")
        let before = try RunManifest(path: dir + "/out/run.sqlite").tasks()
        let doneBefore = before.filter { $0.value.status == "done" }
        #expect(doneBefore.count == 4)

        // Without --resume the folder is refused.
        let refused = try runWinnow(["run", r, "-q"], in: dir)
        #expect(refused.status == 1 && refused.stderr.contains("--resume"))

        let resumed = try runWinnow(["run", r, "--workers", "2", "--resume"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("4 finished task(s) skipped"))
        let after = try RunManifest(path: dir + "/out/run.sqlite").tasks()
        for (key, record) in doneBefore {
            #expect(after[key]?.attempts == record.attempts, "task \(key) was redone")
        }
        #expect(after.values.allSatisfy { $0.status == "done" })
        #expect(try snapshot(dir + "/out/data") == snapshot(dir + "/ref/data"))
        #expect(try snapshot(dir + "/out/removed") == snapshot(dir + "/ref/removed"))
        // No temporary files are left behind.
        #expect(try snapshot(dir + "/out").keys.allSatisfy { !$0.contains(".tmp-") })
    }

    @Test("minhash_dedup killed mid-phase resumes to the same output", arguments: [2, 4])
    func minhashKillResume(killAfter: Int) throws {
        let dir = try temporaryFolder()
        try writeCorpus(dir, files: 3, perFile: 2500, gzip: true)  // > shard_size each: 3 shards
        let r = try recipe(dir, input: "in/*.jsonl.gz", stages: "  - length: { min_words: 2 }\n  - minhash_dedup: { verify: 0.8 }\n")
        #expect(try runWinnow(["run", r, "--output", "ref", "-q"], in: dir).status == 0)
        let killed = try runWinnow(["run", r, "-q", "--workers", "1"], in: dir, env: ["WINNOW_FAULT_KILL_AFTER_TASKS": "\(killAfter)"])
        #expect(killed.signaled)
        let resumed = try runWinnow(["run", r, "--resume", "-q"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try snapshot(dir + "/out/data") == snapshot(dir + "/ref/data"))
        #expect(try snapshot(dir + "/out/removed") == snapshot(dir + "/ref/removed"))
    }

    @Test("--resume on a finished run does nothing; with a lost data file it redoes what is needed")
    func resumeFinished() throws {
        let dir = try temporaryFolder()
        try writeCorpus(dir, files: 2, perFile: 300)
        let r = try recipe(dir)
        #expect(try runWinnow(["run", r, "-q"], in: dir).status == 0)
        let first = try snapshot(dir + "/out/data")
        let again = try runWinnow(["run", r, "--resume"], in: dir)
        #expect(again.status == 0)
        #expect(again.stderr.contains("nothing to do"))
        let lost = first.keys.sorted()[1]
        try FileSystem.remove(dir + "/out/data/" + lost)
        let redo = try runWinnow(["run", r, "--resume", "-q"], in: dir)
        #expect(redo.status == 0, "\(redo.stderr)")
        #expect(try snapshot(dir + "/out/data") == first)
    }

    @Test("--task I --tasks N processes together give the same output as one run")
    func taskMode() throws {
        let dir = try temporaryFolder()
        try writeCorpus(dir, files: 2, perFile: 300)
        let r = try recipe(dir)
        #expect(try runWinnow(["run", r, "--output", "ref", "-q"], in: dir).status == 0)
        // Start both tasks at once, as a scheduler would.
        let results = try runWinnowTogether((0..<2).map { ["run", r, "--task", "\($0)", "--tasks", "2", "--workers", "1", "-q"] }, in: dir)
        for (t, p) in results.enumerated() { #expect(p.status == 0 && !p.signaled, "task \(t): \(p.stderr)") }
        #expect(try snapshot(dir + "/out/data") == snapshot(dir + "/ref/data"))
    }

    @Test("--task I --tasks N: a task that fails makes the others stop waiting and name it; rerun, the run completes")
    func taskModeSiblingFails() throws {
        let dir = try temporaryFolder()
        try FileSystem.createDirectory(dir + "/in")
        // The two small files make one shard, task 0's, with a broken record; task 1 has no shard
        // of its own and waits for it.
        let good = (0..<40).map { #"{"id":"b\#($0)","text":"a clean document number \#($0 % 25) with words"}"# }
        try FileSystem.writeAll(dir + "/in/a.jsonl", Array((good.prefix(20) + [#"{"id":"x","text": broken"#]).joined(separator: "\n").utf8))
        try FileSystem.writeAll(dir + "/in/b.jsonl", Array(good.suffix(20).joined(separator: "\n").utf8))
        let text = """
            name: fails
            input: { path: "in/*.jsonl", format: jsonl }
            output: { path: out, format: jsonl }
            on_error: fail
            stages:
              - length: { min_words: 2 }
              - exact_dedup: {}

            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(text.utf8))
        try FileSystem.writeAll(dir + "/sentinel.txt", Array("keep me\n".utf8))
        let args = (0..<2).map { ["run", "recipe.yaml", "--task", "\($0)", "--tasks", "2", "--workers", "1"] }
        let results = try runWinnowTogether(args, in: dir)
        #expect(results.allSatisfy { !$0.signaled }, "\(results.map(\.stderr))")
        #expect(results[0].status != 0)
        #expect(results[0].stderr.contains("a.jsonl:21"), "\(results[0].stderr)")
        #expect(results[1].status != 0)
        #expect(results[1].stderr.contains("task 0 of 2 failed"), "\(results[1].stderr)")
        #expect(results[1].stderr.contains("a.jsonl:21"), "\(results[1].stderr)")
        // The broken record fixed, both tasks again: the run completes, failures forgotten.
        try FileSystem.writeAll(dir + "/in/a.jsonl", Array(good.prefix(20).joined(separator: "\n").utf8))
        try FileSystem.remove(dir + "/out")
        let again = try runWinnowTogether(args, in: dir)
        for (t, p) in again.enumerated() { #expect(p.status == 0 && !p.signaled, "task \(t): \(p.stderr)") }
        #expect(FileSystem.isRegularFile(dir + "/out/stats.json"))
        #expect(FileSystem.exists(dir + "/sentinel.txt"))
    }

    @Test("--task I --tasks N: a failure record left by an earlier attempt does not stop a task that waits while the failed task starts again")
    func taskModeStaleFailure() throws {
        let dir = try temporaryFolder()
        try writeCorpus(dir, files: 2, perFile: 30)
        let text = """
            name: stale
            input: { path: "in/*.jsonl", format: jsonl }
            output: { path: out, format: jsonl }
            stages:
              - length: { min_words: 2 }
              - exact_dedup: {}

            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(text.utf8))
        // An earlier attempt of task 0 failed and left its record.
        _ = try runWinnow(["run", "recipe.yaml", "--task", "0", "--tasks", "2", "--workers", "1"], in: dir,
                          env: ["WINNOW_FAULT_KILL_AFTER_TASKS": "0"])
        let manifest = try RunManifest(path: dir + "/out/run.sqlite")
        try manifest.setValue("task_failed/0", "an earlier failure")
        // Task 1 starts first and sees the record; task 0 starts again while task 1 waits.
        let args = (0..<2).map { ["run", "recipe.yaml", "--task", "\($0)", "--tasks", "2", "--workers", "1"] }
        let env = ["WINNOW_TASK_FAILURE_GRACE": "60"]
        let results = try runWinnowTogether([args[1]], in: dir, env: env, startNext: { dir in
            (try? String(decoding: FileSystem.readAll(dir + "/process-0.err"), as: UTF8.self).contains("waiting for")) ?? false
        }, then: [args[0]])
        for (i, p) in results.enumerated() { #expect(p.status == 0 && !p.signaled, "process \(i): \(p.stderr)") }
        #expect(FileSystem.isRegularFile(dir + "/out/stats.json"))
        #expect(try manifest.value("task_failed/0") == nil)
    }

    // MARK: - Bad input

    func writeBad(_ dir: String) throws {
        let lines = [
            #"{"id":"a","text":"first good document here"}"#,
            #"{"id":"b","text": "broken json"#,
            #"{"id":"c","text":"third good document here"}"#,
        ]
        try FileSystem.writeAll(dir + "/in/bad-json.jsonl", Array(lines.joined(separator: "\n").utf8))
        try FileSystem.writeAll(
            dir + "/in/bad-utf8.jsonl",
            Array(#"{"id":"d","text":"fourth good document here"}"#.utf8) + [0x0A] + Array(#"{"id":"e","text":"bad "#.utf8) + [0xFF]
                + Array(#" bytes"}"#.utf8) + [0x0A] + Array(#"{"id":"f","text":"sixth good document here"}"#.utf8))
        // A gzip file cut short after a few complete records.
        var body: [UInt8] = []
        for i in 0..<5000 {
            JSONLCodec().encode(Document(id: "g\(i)", text: "gzip document number \(i) " + String(repeating: "x\(i % 13) ", count: 20)), into: &body)
        }
        let w = try CompressedWriter(path: dir + "/in/cut.jsonl.gz", compression: .gzip)
        try body.withUnsafeBytes { try w.write($0) }
        try w.commit()
        let gz = try FileSystem.readAll(dir + "/in/cut.jsonl.gz")
        try FileSystem.writeAll(dir + "/in/cut.jsonl.gz", Array(gz.prefix(gz.count * 2 / 3)))
    }

    @Test("bad input stops the run with file and line, exit code 1", arguments: [
        ("bad-json.jsonl", "bad-json.jsonl:2:"), ("bad-utf8.jsonl", "bad-utf8.jsonl:2:"), ("cut.jsonl.gz", "cut.jsonl.gz: byte "),
    ])
    func failPolicy(file: String, expected: String) throws {
        let dir = try temporaryFolder()
        try writeBad(dir)
        let r = try recipe(dir, input: "in/\(file)", stages: "  - length: { min_words: 1 }\n")
        let result = try runWinnow(["run", r, "-q"], in: dir)
        #expect(result.status == 1)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
    }

    @Test("with on_error: skip, bad records go to errors.jsonl and every good record comes out")
    func skipPolicy() throws {
        let dir = try temporaryFolder()
        try writeBad(dir)
        let r = try recipe(dir, input: "in/*", extra: "on_error: skip", stages: "  - length: { min_words: 1 }\n  - exact_dedup: {}\n")
        let result = try runWinnow(["run", r, "--workers", "2"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let ids = Set(try readOutput(dir + "/out").map(\.id))
        #expect(["a", "c", "d", "f"].allSatisfy { ids.contains($0) })
        #expect(!ids.contains("b") && !ids.contains("e"))
        let gz = ids.filter { $0.hasPrefix("g") }
        #expect(gz.count > 1000)  // every complete record before the cut
        #expect(gz == Set((0..<gz.count).map { "g\($0)" }))
        let errors = String(decoding: try FileSystem.readAll(dir + "/out/errors.jsonl"), as: UTF8.self)
            .split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(errors.count == 3)
        #expect(errors.contains { ($0["file"] as? String)?.hasSuffix("bad-json.jsonl") == true && $0["line"] as? Int == 2 && $0["record"] != nil })
        #expect(errors.contains { ($0["file"] as? String)?.hasSuffix("bad-utf8.jsonl") == true && $0["record_base64"] != nil })
        #expect(errors.contains { ($0["file"] as? String)?.hasSuffix("cut.jsonl.gz") == true && $0["offset"] != nil })
        let stats = try JSONSerialization.jsonObject(with: Data(try FileSystem.readAll(dir + "/out/stats.json"))) as! [String: Any]
        #expect(stats["errors"] as? Int == 3)
    }

    @Test("an unknown recipe key exits 1 naming the recipe line; a usage error exits 2")
    func exitCodes() throws {
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/r.yaml", Array("input: {path: x}\noutput: {path: o}\nstages:\n  - length: {min_wrds: 1}\n".utf8))
        let bad = try runWinnow(["run", "r.yaml"], in: dir)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("r.yaml:4:"), "\(bad.stderr)")
        let usage = try runWinnow(["run"], in: dir)
        #expect(usage.status == 2)
        let help = try runWinnow(["run", "--help"], in: dir)
        #expect(help.status == 0 && help.stdout.contains("--resume"))
        #expect(try runWinnow(["--help"], in: dir).status == 0)
        let missing = try runWinnow(["run", "nope.yaml"], in: dir)
        #expect(missing.status == 1)
        let noInput = try runWinnow(["run", "r2.yaml"], in: dir)
        #expect(noInput.status == 1)
    }

    @Test("winnow dedup runs each method and gives the recipe's output")
    func dedupCommand() throws {
        let dir = try temporaryFolder()
        try writeCorpus(dir, files: 2, perFile: 300, gzip: true)
        for method in ["exact", "minhash", "line"] {
            let r = try runWinnow(["dedup", "in/*.jsonl.gz", "--method", method, "--output", "d-\(method)", "-q"], in: dir)
            #expect(r.status == 0, "\(method): \(r.stderr)")
            #expect(FileSystem.exists(dir + "/d-\(method)/stats.json"))
        }
        _ = try recipe(dir, input: "in/*.jsonl.gz", output: "viarecipe", stages: "  - exact_dedup: {}\n")
        #expect(try runWinnow(["run", "recipe.yaml", "-q"], in: dir).status == 0)
        #expect(try readOutput(dir + "/d-exact") == readOutput(dir + "/viarecipe"))
        let bad = try runWinnow(["dedup", "in/*.jsonl.gz", "--method", "fuzzy", "--output", "x"], in: dir)
        #expect(bad.status == 2)
    }

    @Test("winnow stages lists every stage; inspect shows reasons and examples")
    func stagesAndInspect() throws {
        let dir = try temporaryFolder()
        let stages = try runWinnow(["stages"], in: dir)
        #expect(stages.status == 0)
        for name in ["length", "sample", "exact_dedup"] { #expect(stages.stdout.contains(name)) }
        try writeCorpus(dir, files: 2, perFile: 300)
        #expect(try runWinnow(["run", try recipe(dir), "-q"], in: dir).status == 0)
        let inspect = try runWinnow(["inspect", "out"], in: dir)
        #expect(inspect.status == 0)
        #expect(inspect.stdout.contains("exact_duplicate:"))
        #expect(inspect.stdout.contains("duplicate of"))
    }
}

extension TaskStats {
    /// These stats with stage times taken from another (times differ run to run).
    func withoutTimes(_ other: TaskStats) -> TaskStats {
        var s = self
        for k in s.stages.keys { s.stages[k]?.seconds = other.stages[k]?.seconds ?? 0 }
        s.seconds = other.seconds
        return s
    }
}

@Suite("Compressed input fast path", .serialized)
struct CompressedInputTests {
    @Test("gzip input (observe-only phase materialised, kept records copied) gives the same documents as plain input")
    func sameDocuments() throws {
        let dir = try temporaryFolder()
        try writeCorpus(dir, files: 3, perFile: 300, gzip: false)
        let plainDocs = try run(dir, input: "in/*.jsonl", output: "plain")
        try FileSystem.remove(dir + "/in")
        try writeCorpus(dir, files: 3, perFile: 300, gzip: true)
        let gzDocs = try run(dir, input: "in/*.jsonl.gz", output: "gz")
        #expect(plainDocs.count > 100)
        #expect(plainDocs == gzDocs)
        // Kept records copied without re-encoding are byte-identical to re-encoded ones.
        var a: [UInt8] = []
        var b: [UInt8] = []
        for d in plainDocs { JSONLCodec().encode(d, into: &a) }
        for d in gzDocs { JSONLCodec().encode(d, into: &b) }
        #expect(a == b)
        #expect(try snapshot(dir + "/gz/data").values.reduce(0) { $0 + $1.count } > 0)
    }

    func run(_ dir: String, input: String, output: String) throws -> [Document] {
        let text = """
            input: { path: "\(input)", format: jsonl }
            output: { path: \(output), format: jsonl.gz, keep_removed: true }
            stages:
              - exact_dedup: {}
            """
        try FileSystem.writeAll(dir + "/r.yaml", Array(text.utf8))
        let result = try runWinnow(["run", "r.yaml", "-q", "--workers", "2"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        return try readOutput(dir + "/" + output)
    }
}
