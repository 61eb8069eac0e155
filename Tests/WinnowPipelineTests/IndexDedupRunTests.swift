import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline

/// `winnow index build` and dedup runs against the index (issue 21 item 2): real files in a
/// sandbox with a sentinel, the CLI for the index, the pipeline for the runs.
@Suite("Dedup against an index: winnow index build and recipe runs")
struct IndexDedupRunTests {
    /// Seeded pseudo-word documents of several lines.
    struct Words {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func document() -> String {
            let syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "gu", "fe", "ho", "ji", "qu"]
            return (0..<8).map { _ in
                (0..<12).map { _ in (0..<(2 + Int(next() % 3))).map { _ in syllables[Int(next() % 16)] }.joined() }.joined(separator: " ")
            }.joined(separator: "\n")
        }
    }

    func write(_ path: String, _ docs: [(String, String)]) throws {
        var out: [UInt8] = []
        for (id, text) in docs { JSONLCodec().encode(Document(id: id, text: text), into: &out) }
        try FileSystem.writeAll(path, out)
    }

    /// old/ (two files) and new/ (two files): new holds 12 exact copies of old documents (case
    /// changed), 12 near copies (one word changed), 6 copies of new documents, and 60 unique.
    func corpus(_ dir: String) throws -> (crossIDs: Set<String>, withinIDs: Set<String>, total: Int) {
        var g = Words(state: 77)
        let old = (0..<80).map { _ in g.document() }
        try FileSystem.createDirectory(dir + "/old")
        try FileSystem.createDirectory(dir + "/new")
        try write(dir + "/old/a.jsonl", old[0..<40].enumerated().map { ("old-\($0.offset)", $0.element) })
        try write(dir + "/old/b.jsonl", old[40...].enumerated().map { ("old-\($0.offset + 40)", $0.element) })
        var new: [(String, String)] = []
        var cross = Set<String>()
        var within = Set<String>()
        for i in 0..<12 {
            new.append(("cross-exact-\(i)", old[i * 6].uppercased()))
            cross.insert("cross-exact-\(i)")
            var words = old[i * 6 + 1].split(separator: " ").map(String.init)
            words[5] = "zyxw"
            new.append(("cross-near-\(i)", words.joined(separator: " ")))
            cross.insert("cross-near-\(i)")
        }
        var copies: [(String, String)] = []
        for i in 0..<60 {
            let text = g.document()
            new.append(("unique-\(i)", text))
            if i % 10 == 0 {
                copies.append(("copy-of-unique-\(i)", text))
                within.insert("copy-of-unique-\(i)")
            }
        }
        // Interleaved so both files hold cross copies and originals; the within-new copies
        // come last (in b), after their originals in input order.
        let a = new.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let b = new.enumerated().filter { $0.offset % 2 == 1 }.map(\.element) + copies
        new += copies
        try write(dir + "/new/a.jsonl", a)
        try write(dir + "/new/b.jsonl", b)
        return (cross, within, new.count)
    }

    func sandbox(_ name: String = #function) throws -> String {
        let dir = try temporaryFolder(name)
        try FileSystem.writeAll(dir + "/SENTINEL", Array("keep".utf8))
        return dir
    }

    func run(_ dir: String, stage: String, output: String, workers: Int) throws -> RunSummary {
        let text = """
            name: against-index
            input: { path: "\(dir)/new/*.jsonl", format: jsonl, shard_size: 4KB }
            output: { path: "\(dir)/\(output)", format: jsonl, keep_removed: true }
            stages:
              - \(stage)
            """
        try FileSystem.writeAll(dir + "/recipe-\(output).yaml", Array(text.utf8))
        var o = RunOptions(workers: workers)
        o.overwrite = true
        return try PipelineRunner(recipe: try Recipe.load(path: dir + "/recipe-\(output).yaml"), options: o, progress: ProgressReporter(quiet: true)).run()
    }

    func removed(_ runDir: String, _ reason: String) throws -> Set<String> {
        let folder = runDir + "/removed/" + reason
        guard FileSystem.isDirectory(folder) else { return [] }
        var ids = Set<String>()
        for name in try FileSystem.list(folder) {
            let r = try JSONLReader(piece: InputPiece(path: folder + "/" + name, name: name, size: 0), options: ReaderOptions())
            while let d = try r.next() { ids.insert(d.id) }
        }
        return ids
    }

    @Test("index build via the CLI: same bytes for 1 and 2 workers and a tiny memory budget; index info describes it")
    func buildCommand() throws {
        let dir = try sandbox()
        defer { try? FileSystem.remove(dir) }
        _ = try corpus(dir)
        let one = try runWinnow(["index", "build", "--input", "old/*.jsonl", "--output", "idx1", "--workers", "1", "-q"], in: dir)
        #expect(one.status == 0, "\(one.stderr)")
        let two = try runWinnow(["index", "build", "--input", "old/*.jsonl", "--output", "idx2", "--workers", "2", "--memory", "1K", "-q"], in: dir)
        #expect(two.status == 0, "\(two.stderr)")
        var a = try snapshot(dir + "/idx1")
        var b = try snapshot(dir + "/idx2")
        a["index.lock"] = nil
        b["index.lock"] = nil
        #expect(!a.isEmpty && a == b)
        let info = try runWinnow(["index", "info", "idx1"], in: dir)
        #expect(info.status == 0)
        #expect(info.stdout.contains("documents: 80"), "\(info.stdout)")
        #expect(info.stdout.contains("minhash: ngram 5, bands 14, rows 8, seed 1"), "\(info.stdout)")
        #expect(info.stdout.contains("exact: 80 distinct hashes"), "\(info.stdout)")
        // Building again into an index folder needs --overwrite; an input folder is refused.
        let again = try runWinnow(["index", "build", "--input", "old/*.jsonl", "--output", "idx1"], in: dir)
        #expect(again.status == 1 && again.stderr.contains("--overwrite"), "\(again.stderr)")
        let intoInput = try runWinnow(["index", "build", "--input", "old/*.jsonl", "--output", "old"], in: dir)
        #expect(intoInput.status == 1, "\(intoInput.stderr)")
        let dot = try runWinnow(["index", "build", "--input", "old/*.jsonl", "--output", "."], in: dir)
        #expect(dot.status == 1, "\(dot.stderr)")
        #expect(FileSystem.exists(dir + "/SENTINEL") && FileSystem.exists(dir + "/old/a.jsonl"))
    }

    @Test("a minhash_dedup run against the index: every cross duplicate dropped with the index reason, none inside new by mistake, same bytes for 1 and 2 workers")
    func minhashRun() throws {
        let dir = try sandbox()
        defer { try? FileSystem.remove(dir) }
        let (cross, within, total) = try corpus(dir)
        let built = try runWinnow(["index", "build", "--input", "old/*.jsonl", "--output", "idx", "-q"], in: dir)
        #expect(built.status == 0, "\(built.stderr)")
        let s1 = try run(dir, stage: "minhash_dedup: { index: \"\(dir)/idx\" }", output: "out1", workers: 1)
        _ = try run(dir, stage: "minhash_dedup: { index: \"\(dir)/idx\" }", output: "out2", workers: 2)
        #expect(try removed(dir + "/out1", "near_duplicate_of_index") == cross)
        #expect(try removed(dir + "/out1", "minhash_duplicate") == within)
        #expect(try readOutput(dir + "/out1").count == total - cross.count - within.count)
        #expect(Dictionary(uniqueKeysWithValues: s1.droppedByReason)["near_duplicate_of_index"] == cross.count)
        var a = try snapshot(dir + "/out1")
        var b = try snapshot(dir + "/out2")
        for k in Array(a.keys) where !(k.hasPrefix("data/") || k.hasPrefix("removed/")) { a[k] = nil }
        for k in Array(b.keys) where !(k.hasPrefix("data/") || k.hasPrefix("removed/")) { b[k] = nil }
        #expect(!a.isEmpty && a == b)
        #expect(FileSystem.exists(dir + "/SENTINEL"))
    }

    @Test("exact_dedup and line_dedup runs against the index")
    func exactAndLineRuns() throws {
        let dir = try sandbox()
        defer { try? FileSystem.remove(dir) }
        let (cross, within, _) = try corpus(dir)
        let built = try runWinnow(["index", "build", "--input", "old/*.jsonl", "--output", "idx", "--kinds", "exact,line", "-q"], in: dir)
        #expect(built.status == 0, "\(built.stderr)")
        _ = try run(dir, stage: "exact_dedup: { index: \"\(dir)/idx\" }", output: "exact", workers: 2)
        #expect(try removed(dir + "/exact", "exact_duplicate_of_index") == cross.filter { $0.hasPrefix("cross-exact") })
        #expect(try removed(dir + "/exact", "exact_duplicate") == within)
        _ = try run(dir, stage: "line_dedup: { index: \"\(dir)/idx\" }", output: "line", workers: 2)
        #expect(try removed(dir + "/line", "line_duplicate_of_index") == cross.filter { $0.hasPrefix("cross-exact") })
        #expect(try removed(dir + "/line", "line_dedup_too_short") == within)
        // A near copy keeps only its changed line.
        let near = try readOutput(dir + "/line").filter { $0.id.hasPrefix("cross-near") }
        #expect(near.count == 12)
        #expect(near.allSatisfy { !$0.text.contains("\n") && $0.metadata["index_lines_removed"] == .int(7) })
        // The index has no minhash entries: a minhash stage says so.
        #expect(throws: ConfigError.self) { _ = try run(dir, stage: "minhash_dedup: { index: \"\(dir)/idx\" }", output: "mh", workers: 1) }
    }

    @Test("recipe errors: MinHash parameters other than the index's name both; a missing or damaged index names the file")
    func recipeErrors() throws {
        let dir = try sandbox()
        defer { try? FileSystem.remove(dir) }
        _ = try corpus(dir)
        let built = try runWinnow(["index", "build", "--input", "old/*.jsonl", "--output", "idx", "-q"], in: dir)
        #expect(built.status == 0, "\(built.stderr)")
        func decode(_ stage: String) throws -> Recipe {
            try Recipe.decode(
                "name: r\ninput: { path: \"\(dir)/new/*.jsonl\" }\noutput: { path: \"\(dir)/o\" }\nstages:\n  - \(stage)\n", file: "r.yaml")
        }
        _ = try decode("minhash_dedup: { index: \"\(dir)/idx\" }")
        do {
            _ = try decode("minhash_dedup: { index: \"\(dir)/idx\", bands: 20, rows: 5 }")
            Issue.record("a parameter mismatch was accepted")
        } catch let e as ConfigError {
            #expect(e.message.contains("ngram 5, bands 14, rows 8, seed 1") && e.message.contains("ngram 5, bands 20, rows 5, seed 1"), "\(e.message)")
            #expect(e.location?.file == "r.yaml" && e.location?.line == 5, "\(String(describing: e.location))")
        }
        do {
            _ = try decode("exact_dedup: { index: \"\(dir)/idx\", normalize: false }")
            Issue.record("a normalize mismatch was accepted")
        } catch let e as ConfigError {
            #expect(e.message.contains("normalize: true") && e.message.contains("normalize: false"), "\(e.message)")
        }
        do {
            _ = try decode("line_dedup: { index: \"\(dir)/nope\" }")
            Issue.record("a missing index was accepted")
        } catch let e as ConfigError {
            #expect(e.message.contains("\(dir)/nope"), "\(e.message)")
        }
        var bytes = try FileSystem.readAll(dir + "/idx/line.u64")
        bytes[9] ^= 1
        try FileSystem.writeAll(dir + "/idx/line.u64", bytes)
        do {
            _ = try decode("line_dedup: { index: \"\(dir)/idx\" }")
            Issue.record("a damaged index was accepted")
        } catch let e as ConfigError {
            #expect(e.message.contains("\(dir)/idx/line.u64") && e.message.contains("damaged"), "\(e.message)")
        }
        #expect(FileSystem.exists(dir + "/SENTINEL"))
    }
}
