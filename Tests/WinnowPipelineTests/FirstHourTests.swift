import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline

/// What a new user meets in the first hour (issue 20, items 4–8): messages that name what
/// exists, loud failures, one numbering of phases, honest resume summaries, "did you mean".
/// Each test runs the built `winnow` in a fresh temporary folder holding a sentinel file.
@Suite("First hour with the command line", .serialized)
struct FirstHourTests {
    /// A temporary folder with `sentinel.txt`, a small corpus in `in/` and `recipe.yaml`
    /// (length → exact_dedup, output `out`, keep_removed).
    func sandbox(_ name: String = #function) throws -> String {
        let dir = try temporaryFolder(name)
        try FileSystem.writeAll(dir + "/sentinel.txt", Array("not Winnow's\n".utf8))
        try writeCorpus(dir, files: 2, perFile: 300)  // 600 documents, 100 texts repeated across files
        let text = """
            name: first-hour
            input: { path: "in/*.jsonl", format: jsonl, shard_size: 8KB }
            output: { path: out, format: jsonl.gz, keep_removed: true }
            stages:
              - length: { min_words: 3 }
              - exact_dedup: {}

            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(text.utf8))
        return dir
    }

    func expectSentinel(_ dir: String) {
        #expect(FileSystem.exists(dir + "/sentinel.txt"), "the sentinel file next to the run is gone")
    }

    // MARK: - Item 4: select prints only what exists

    @Test("select --output FILE.jsonl names only paths that exist afterwards")
    func selectPrintsExistingPaths() throws {
        let dir = try sandbox()
        var scored: [UInt8] = []
        for i in 0..<50 {
            JSONLCodec().encode(Document(id: "s\(i)", text: "scored document \(i)", scores: ["q": Double(i % 17)]), into: &scored)
        }
        try FileSystem.writeAll(dir + "/scored.jsonl", scored)
        let r = try runWinnow(
            ["select", "--method", "top-k", "--score", "q", "--count", "10", "--input", "scored.jsonl", "--output", "selected.jsonl"],
            in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileSystem.exists(dir + "/selected.jsonl"))
        #expect(!FileSystem.exists(dir + "/selected.jsonl.winnow-run"))
        #expect(!r.stdout.contains("winnow-run"), "\(r.stdout)")
        // Every path the summary prints after "output:" / "stats:" / "manifest:" exists.
        var named: [String] = []
        for line in r.stdout.split(separator: "\n") where line.contains("output:") {
            let words = line.split(separator: " ").map(String.init)
            for (i, w) in words.enumerated() where ["output:", "stats:", "manifest:"].contains(w) && i + 1 < words.count {
                named.append(words[i + 1])
            }
        }
        #expect(named == ["selected.jsonl"], "\(r.stdout)")
        for path in named { #expect(FileSystem.exists(dir + "/" + path), "printed '\(path)', which does not exist") }
        expectSentinel(dir)
    }

    // MARK: - Item 5: inspect fails loudly

    @Test("inspect --reason with an unknown reason exits 1, lists the run's reasons and suggests the nearest")
    func inspectUnknownReason() throws {
        let dir = try sandbox()
        #expect(try runWinnow(["run", "recipe.yaml", "-q"], in: dir).status == 0)
        let typo = try runWinnow(["inspect", "out", "--reason", "exact_dup"], in: dir)
        #expect(typo.status == 1, "\(typo.stdout)")
        #expect(typo.stderr.contains("'exact_dup'"), "\(typo.stderr)")
        #expect(typo.stderr.contains("did you mean 'exact_duplicate'?"), "\(typo.stderr)")
        #expect(typo.stderr.contains("reasons in this run: exact_duplicate, too_few_words"), "\(typo.stderr)")
        let far = try runWinnow(["inspect", "out", "--reason", "zzz"], in: dir)
        #expect(far.status == 1)
        #expect(!far.stderr.contains("did you mean"), "\(far.stderr)")
        #expect(far.stderr.contains("reasons in this run: exact_duplicate, too_few_words"), "\(far.stderr)")
        // A reason of the run still works.
        let good = try runWinnow(["inspect", "out", "--reason", "exact_duplicate"], in: dir)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("exact_duplicate:") && !good.stdout.contains("too_few_words:"))
        expectSentinel(dir)
    }

    @Test("inspect --id with an id the run does not hold exits 1; a present id exits 0")
    func inspectUnknownID() throws {
        let dir = try sandbox()
        #expect(try runWinnow(["run", "recipe.yaml", "-q"], in: dir).status == 0)
        let missing = try runWinnow(["inspect", "out", "--id", "fx-99"], in: dir)
        #expect(missing.status == 1, "\(missing.stdout)")
        #expect(missing.stderr.contains("no document with id 'fx-99'"), "\(missing.stderr)")
        let kept = try readOutput(dir + "/out")[0].id
        let found = try runWinnow(["inspect", "out", "--id", kept], in: dir)
        #expect(found.status == 0, "\(found.stderr)")
        #expect(found.stdout.hasPrefix("kept in "), "\(found.stdout)")
        expectSentinel(dir)
    }

    // MARK: - Item 6: phases are 1-based wherever they are printed

    @Test("the plan line and the progress lines number phases the same way, from 1")
    func phaseNumbers() throws {
        let dir = try sandbox()
        let r = try runWinnow(["run", "recipe.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("phase 1: length → observe exact_dedup; phase 2: decide exact_dedup"), "\(r.stderr)")
        #expect(r.stderr.contains("phase 2/2:"), "\(r.stderr)")
        // No phase number outside 1…2 anywhere in the log.
        let words = r.stderr.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        for (i, w) in words.enumerated() where w == "phase" && i + 1 < words.count {
            let n = Int(words[i + 1].prefix(while: \.isNumber))
            #expect(n.map { (1...2).contains($0) } ?? true, "phase numbered '\(words[i + 1])' in: \(r.stderr)")
        }
        expectSentinel(dir)
    }

    @Test("Plan.summary counts phases from 1; indexes, task keys and work folders from 0")
    func planSummary() throws {
        let recipe = try Recipe.decode(
            "input: {path: a}\noutput: {path: o}\nstages:\n  - length: {min_words: 1}\n  - exact_dedup: {}\n  - minhash_dedup: {}\n",
            file: "r.yaml")
        let plan = Plan(recipe: recipe, shards: [])
        #expect(plan.summary == "phase 1: length → observe exact_dedup; phase 2: decide exact_dedup → observe minhash_dedup; phase 3: decide minhash_dedup")
        #expect(plan.phases.map(\.index) == [0, 1, 2])
        #expect(Plan.shardTaskKey(phase: 0, shard: 0) == "p0/shard/00000")
    }

    // MARK: - Item 7: --resume reports what this invocation did

    @Test("--resume on a finished run says it was complete and reports no rate it did not achieve")
    func resumeFinishedSummary() throws {
        let dir = try sandbox()
        let first = try runWinnow(["run", "recipe.yaml"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("MB/s"))  // a real run reports its rate
        let again = try runWinnow(["run", "recipe.yaml", "--resume"], in: dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("first-hour: the run in 'out' was already complete; nothing to do"), "\(again.stdout)")
        #expect(!again.stdout.contains("MB/s"), "\(again.stdout)")
        #expect(again.stdout.contains("totals: 600 documents in →"), "\(again.stdout)")
        // With --keep-work the manifest path (work/ present) is taken: the same report.
        #expect(try runWinnow(["run", "recipe.yaml", "--overwrite", "--keep-work", "-q"], in: dir).status == 0)
        let kept = try runWinnow(["run", "recipe.yaml", "--resume"], in: dir)
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(kept.stdout.contains("was already complete"), "\(kept.stdout)")
        expectSentinel(dir)
    }

    @Test("--resume after a kill reports the tasks and bytes of this invocation, and the totals of the run")
    func resumeInterruptedSummary() throws {
        let dir = try sandbox()
        let killed = try runWinnow(["run", "recipe.yaml", "--workers", "1", "-q"], in: dir, env: ["WINNOW_FAULT_KILL_AFTER_TASKS": "2"])
        #expect(killed.signaled, "status \(killed.status): \(killed.stderr)")
        let resumed = try runWinnow(["run", "recipe.yaml", "--resume", "--workers", "1"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("first-hour: 600 documents in →"), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("2 finished task(s) skipped"), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("; this invocation read "), "\(resumed.stdout)")
        #expect(!resumed.stdout.contains("already complete"), "\(resumed.stdout)")
        expectSentinel(dir)
    }

    // MARK: - Item 8: did you mean

    @Test("an unknown subcommand exits 2 naming it, with the nearest command and the list", arguments: [
        (["rnu", "recipe.yaml"], "unknown command 'rnu'; did you mean 'run'?"),
        (["inspcet", "out"], "unknown command 'inspcet'; did you mean 'inspect'?"),
        (["stage"], "unknown command 'stage'; did you mean 'stages'?"),
        (["recipe.yaml"], "unknown command 'recipe.yaml'; did you mean 'winnow run recipe.yaml'?"),
        (["frobnicate"], "unknown command 'frobnicate'\ncommands: run, stages, inspect,"),
    ])
    func unknownSubcommand(args: [String], expected: String) throws {
        let dir = try sandbox()
        let r = try runWinnow(args, in: dir)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("error: " + expected), "\(r.stderr)")
        #expect(!r.stderr.contains("unexpected argument"), "\(r.stderr)")
        expectSentinel(dir)
    }

    @Test("recipe errors suggest the nearest known key, stage or value", arguments: [
        ("input: {path: a}\noutput: {path: o}\nstages: []\nworkerz: 2\n", "r.yaml:4:10: unknown key 'workerz' in the recipe; did you mean 'workers'? (known: name, input,"),
        ("input: {path: a, formt: jsonl}\noutput: {path: o}\nstages: []\n", "unknown key 'formt' in input; did you mean 'format'? (known: path, format,"),
        ("input: {path: a}\noutput: {path: o, keep_remove: true}\nstages: []\n", "unknown key 'keep_remove' in output; did you mean 'keep_removed'?"),
        ("input: {path: a}\noutput: {path: o}\nstages:\n  - lenght: {min_words: 2}\n", "r.yaml:4:5: unknown stage 'lenght'; did you mean 'length'? (known: "),
        ("input: {path: a}\noutput: {path: o}\nstages:\n  - length:\n      min_word: 2\n", "r.yaml:5:17: stage 'length' has no parameter 'min_word'; did you mean 'min_words'? (known: "),
        ("input: {path: a, format: jsnl}\noutput: {path: o}\nstages: []\n", "input.format must be one of jsonl, text, warc, html, mediawiki, parquet, got 'jsnl'; did you mean 'jsonl'?"),
        ("input: {path: a}\noutput: {path: o}\non_error: skipp\nstages: []\n", "on_error must be fail or skip, got 'skipp'; did you mean 'skip'?"),
        ("input: {path: a}\noutput: {path: o}\nstages:\n  - top_k: {score: s, count: 3, order: lowset}\n", "got 'lowset'; did you mean 'lowest'?"),
        ("input: {path: a}\noutput: {path: o}\nstages:\n  - lnegth_filter: {}\n", "unknown stage 'lnegth_filter' (known: "),  // too far: no guess
    ])
    func recipeSuggestions(text: String, expected: String) {
        let error = #expect(throws: ConfigError.self) { _ = try Recipe.decode(text, file: "r.yaml") }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error")")
    }

    @Test("a misspelled stage parameter in a recipe suggests the real one, with file:line")
    func recipeParameterSuggestion() throws {
        let dir = try sandbox()
        try FileSystem.writeAll(
            dir + "/typo.yaml", Array("input: {path: \"in/*.jsonl\"}\noutput: {path: out}\nstages:\n  - length: {min_word: 3}\n".utf8))
        let r = try runWinnow(["run", "typo.yaml"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("error: typo.yaml:4:"), "\(r.stderr)")
        #expect(r.stderr.contains("stage 'length' has no parameter 'min_word'; did you mean 'min_words'? (known: "), "\(r.stderr)")
        #expect(!FileSystem.exists(dir + "/out"))
        expectSentinel(dir)
    }
}
