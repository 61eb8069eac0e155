import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline
import WinnowStore

/// Crash safety (issue 15 §3): SIGKILL at seeded points and a full disk, each followed by
/// `--resume`, end with output byte-identical to an uninterrupted run.
@Suite("Crash safety", .serialized)
struct CrashSafetyTests {
    /// length → minhash_dedup → exact_dedup over 20 input files (20 shards, three phases).
    func setUp(_ dir: String) throws -> String {
        try writeCorpus(dir, files: 20, perFile: 60)
        let text = """
            name: crash
            input: { path: "in/*.jsonl", format: jsonl, shard_size: 4KB }
            output: { path: out, format: jsonl.gz, keep_removed: true }
            seed: 11
            stages:
              - length: { min_words: 2 }
              - minhash_dedup: { verify: 0.8 }
              - exact_dedup: {}

            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(text.utf8))
        return "recipe.yaml"
    }

    /// data/, removed/, errors.jsonl and stats.json without its times.
    func result(_ run: String) throws -> [String: [UInt8]] {
        var all = try snapshot(run + "/data").mapKeys { "data/" + $0 }
        for (k, v) in try snapshot(run + "/removed") { all["removed/" + k] = v }
        if FileSystem.exists(run + "/errors.jsonl") { all["errors.jsonl"] = try FileSystem.readAll(run + "/errors.jsonl") }
        let stats = try JSONSerialization.jsonObject(with: Data(try FileSystem.readAll(run + "/stats.json")))
        all["stats"] = Array(Self.withoutTimes(stats).utf8)
        return all
    }

    static func withoutTimes(_ value: Any) -> String {
        func strip(_ v: Any) -> Any {
            if let d = v as? [String: Any] {
                var out: [String: Any] = [:]
                for (k, x) in d where !k.contains("seconds") && k != "time" { out[k] = strip(x) }
                return out
            }
            if let a = v as? [Any] { return a.map(strip) }
            return v
        }
        let data = (try? JSONSerialization.data(withJSONObject: strip(value), options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("SIGKILL at seeded points, --resume after each: byte-identical to an uninterrupted run")
    func killAtSeededPoints() throws {
        let dir = try temporaryFolder()
        let r = try setUp(dir)
        let reference = try runWinnow(["run", r, "--output", "ref", "--workers", "2"], in: dir, env: ["WINNOW_FAULT_COUNT_POINTS": "1"])
        #expect(reference.status == 0, "\(reference.stderr)")
        let points = try #require(
            reference.stderr.split(separator: "\n").last { $0.contains("fault points passed:") }
                .flatMap { Int($0.split(separator: " ").last ?? "") })
        #expect(points > 1000)  // documents written in three phases, tasks, resolves, finishing
        var rng = SplitMix64(seed: 15)
        var kills = 0
        var attempt = 0
        while attempt < 6 {
            attempt += 1
            // Early points are dense (documents); the last few cover resolving and finishing.
            let at = attempt == 6 ? 1 + Int(rng.next() % 8) : 1 + Int(rng.next() % UInt64(max(1, points / 3)))
            var args = ["run", r, "-q", "--workers", attempt % 2 == 0 ? "2" : "1"]
            if FileSystem.exists(dir + "/out/run.sqlite") { args.append("--resume") }
            let killed = try runWinnow(args, in: dir, env: ["WINNOW_FAULT_KILL_AT_POINT": String(at)])
            if killed.signaled {
                #expect(killed.status == 9)
                kills += 1
            } else {
                #expect(killed.status == 0, "\(killed.stderr)")
                break
            }
        }
        #expect(kills >= 3)
        let resumed = try runWinnow(["run", r, "--resume", "-q"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        do {
            let (got, want) = (try result(dir + "/out"), try result(dir + "/ref"))
            #expect(got == want, "\(snapshotDifference(got, want))")
        }
        #expect(try snapshot(dir + "/out").keys.allSatisfy { !$0.contains(".tmp-") })
        #expect(!FileSystem.exists(dir + "/out/work") && !FileSystem.exists(dir + "/out/work.removing"))
    }

    @Test("a kill while work/ is being removed never leaves a partial work/ behind")
    func killDuringWorkRemoval() throws {
        let dir = try temporaryFolder()
        let r = try setUp(dir)
        let reference = try runWinnow(["run", r, "--output", "ref"], in: dir, env: ["WINNOW_FAULT_COUNT_POINTS": "1"])
        let points = try #require(
            reference.stderr.split(separator: "\n").last { $0.contains("fault points passed:") }
                .flatMap { Int($0.split(separator: " ").last ?? "") })
        // The last point is inside RunFolder.removeWork, after the rename.
        let killed = try runWinnow(["run", r, "-q", "--workers", "1"], in: dir, env: ["WINNOW_FAULT_KILL_AT_POINT": String(points)])
        #expect(killed.signaled)
        #expect(!FileSystem.exists(dir + "/out/work"))
        #expect(FileSystem.exists(dir + "/out/work.removing"))
        let resumed = try runWinnow(["run", r, "--resume", "-q"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(!FileSystem.exists(dir + "/out/work.removing"))
        do {
            let (got, want) = (try result(dir + "/out"), try result(dir + "/ref"))
            #expect(got == want, "\(snapshotDifference(got, want))")
        }
    }

    /// The sizes put the failure in the manifest (16k), in corpus-stage state (96k) and in the
    /// data files (256k).
    @Test("a full disk: exit 1 naming the path; --resume with space completes identically", arguments: ["16k", "96k", "256k"])
    func fullDisk(size: String) throws {
        let dir = try temporaryFolder()
        let r = try setUp(dir)
        #expect(try runWinnow(["run", r, "--output", "ref", "-q"], in: dir).status == 0)
        // A small tmpfs as the output folder (needs root and mount; skipped with a message otherwise).
        let mnt = dir + "/out"
        try FileSystem.createDirectory(mnt)
        let mounted = try shell(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", mnt])
        guard mounted == 0 else {
            try Test.cancel("cannot mount a tmpfs here (needs root and mount permission); the full-disk path is untested")
        }
        defer { _ = try? shell(["umount", "-l", mnt]) }
        let full = try runWinnow(["run", r, "-q", "--workers", "1"], in: dir)
        #expect(full.status == 1, "status \(full.status): \(full.stderr)")
        #expect(full.stderr.contains(mnt) || full.stderr.contains("out/"), "\(full.stderr)")
        #expect(
            ["no space left", "full", "i/o error"].contains { full.stderr.lowercased().contains($0) }, "\(full.stderr)")
        #expect(!full.stderr.contains("internal error"))
        // More room, then resume.
        #expect(try shell(["mount", "-o", "remount,size=64m", mnt]) == 0)
        let resumed = try runWinnow(["run", r, "--resume", "-q"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        do {
            let (got, want) = (try result(mnt), try result(dir + "/ref"))
            #expect(got == want, "\(snapshotDifference(got, want))")
        }
    }

    func shell(_ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}

/// A small seeded generator (SplitMix64) for reproducible kill points.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Dictionary {
    func mapKeys<K: Hashable>(_ f: (Key) -> K) -> [K: Value] {
        var out: [K: Value] = [:]
        for (k, v) in self { out[f(k)] = v }
        return out
    }
}
