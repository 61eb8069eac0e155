import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline
import WinnowStore

/// The repository root (for models/ and the test-artifact folder).
private let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Debian's chromium, when installed.
private let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// A run of ≥ 8 different stages over a generated corpus, built once per test that asks.
struct ReportFixture {
    let dir: String
    let models: String
    var hasLanguageModel: Bool { FileManager.default.fileExists(atPath: models + "/lid.176.ftz") }

    /// Writes the corpus (4 JSONL files, with exact and near duplicates, short, repetitive,
    /// German and bad records), a trigram LM, a classifier and a DSIR target.
    init() throws {
        dir = try temporaryFolder("report")
        models = repoRoot + "/models"
        try FileSystem.writeAll(dir + "/sentinel.txt", Array("must survive".utf8))
        var rng: UInt64 = 42
        func next() -> Int {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: (rng >> 33) & 0x7fff_ffff)
        }
        let words = ("the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three").split(separator: " ").map(String.init)
        func sentence() -> String {
            var s: [String] = []
            for _ in 0..<(6 + next() % 10) { s.append(words[next() % words.count]) }
            s[0] = s[0].prefix(1).uppercased() + s[0].dropFirst()
            return s.joined(separator: " ") + "."
        }
        func paragraph(_ n: Int) -> String { (0..<n).map { _ in sentence() }.joined(separator: " ") }
        let german = "Der Hund läuft schnell über die grüne Wiese und die Kinder spielen fröhlich im Garten hinter dem alten Haus. Morgen fahren wir mit dem Zug in die Stadt, um unsere Großmutter zu besuchen und Kuchen zu essen."
        var shared: [String] = []
        for _ in 0..<12 { shared.append(paragraph(6)) }
        for f in 0..<4 {
            var out: [UInt8] = []
            for i in 0..<120 {
                let text: String
                switch next() % 20 {
                case 0: text = "too short"
                case 1: text = german + " " + german
                case 2, 3: text = shared[next() % shared.count]  // exact duplicates
                case 4: text = shared[next() % shared.count] + " " + sentence()  // near duplicates
                case 5: text = String(repeating: "Buy now and save big. ", count: 30)
                default: text = paragraph(3 + next() % 8)
                }
                JSONLCodec().encode(Document(id: "d\(f)-\(i)", text: text), into: &out)
            }
            if f == 2 { out += Array("{\"id\": \"broken\", \"text\": \n".utf8) }  // a bad record
            try FileSystem.writeAll(dir + "/in/part-\(f).jsonl", out)
        }
        // LM training text, classifier training data, DSIR target.
        try FileSystem.writeAll(dir + "/lm.txt", Array((0..<300).map { _ in sentence() }.joined(separator: "\n").utf8))
        var train = ""
        for _ in 0..<200 { train += "__label__good " + paragraph(2) + "\n" }
        for _ in 0..<200 { train += "__label__bad " + String(repeating: "buy now save big ", count: 3 + next() % 5) + "\n" }
        try FileSystem.writeAll(dir + "/clf.txt", Array(train.utf8))
        try FileSystem.writeAll(dir + "/target.txt", Array((0..<100).map { _ in paragraph(2) }.joined(separator: "\n").utf8))
        try check(runWinnow(["lm", "train", "--input", "lm.txt", "--order", "3", "--output", "lm.arpa", "--discount-fallback", "-q"], in: dir))
        try check(runWinnow(["classify", "train", "--input", "clf.txt", "--output", "clf.bin"], in: dir))
        let language = hasLanguageModel ? "  - language: { languages: [en], min_score: 0.3 }\n" : ""
        let recipe = """
            name: report-test
            input: { path: "in/*.jsonl", format: jsonl, shard_size: 16KB }
            output: { path: out, format: jsonl.gz, keep_removed: true }
            on_error: skip
            seed: 7
            stages:
              - length: { min_words: 5 }
            \(language)  - gopher_repetition: {}
              - gopher_quality: { min_doc_words: 20 }
              - fineweb_quality: {}
              - classifier: { model: \(dir)/clf.bin, keep: good, min_score: 0.3 }
              - pii: {}
              - exact_dedup: {}
              - minhash_dedup: {}
              - perplexity: { model: \(dir)/lm.arpa, keep: [head, middle] }
              - dsir: { target: [target.txt], fraction: 0.8, min_length: 5 }

            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(recipe.utf8))
    }

    func check(_ r: ProcessResult) throws {
        if r.status != 0 { Issue.record("winnow failed (\(r.status)): \(r.stderr)") }
    }

    /// Runs the recipe into `out` with extra arguments (workers, task).
    func run(_ out: String, _ extra: [String]) throws -> ProcessResult {
        try runWinnow(["run", "recipe.yaml", "--output", out, "-q"] + extra, in: dir, env: ["WINNOW_MODELS": models])
    }

    /// The report with its timing section cut out.
    static func withoutTimings(_ html: String) -> String {
        guard let a = html.range(of: "<!--timings-->"), let b = html.range(of: "<!--/timings-->") else { return html }
        return String(html[..<a.lowerBound]) + String(html[b.upperBound...])
    }
}

@Suite("winnow report", .serialized)
struct ReportTests {
    @Test("sketches merge to the same result in any order and split")
    func sketchesMerge() {
        var all = ExampleSketch()
        var parts = [ExampleSketch(), ExampleSketch(), ExampleSketch()]
        var clustersAll = ClusterSketch()
        var clusterParts = [ClusterSketch(), ClusterSketch()]
        var hAll = ValueHistogram(scale: .log)
        var hParts = [ValueHistogram(scale: .log), ValueHistogram(scale: .log)]
        for i in 0..<500 {
            let id = "doc-\(i)"
            let key = StableHash.xxh64(id)
            let e = ReportExample(key: key, id: id, source: "s", bytes: i, snippet: id)
            all.offer("r", e)
            parts[i % 3].offer("r", e)
            let size = 2 + (i % 17)
            let root = "root-\(i % 40)-\(size)"
            clustersAll.offer(cluster: root, size: size, key: StableHash.xxh64(root), member: e)
            clusterParts[(i / 7) % 2].offer(cluster: root, size: size, key: StableHash.xxh64(root), member: e)
            hAll.record(Double(i * 13), kept: i % 3 != 0)
            hParts[i % 2].record(Double(i * 13), kept: i % 3 != 0)
        }
        var merged = ExampleSketch()
        for p in parts.reversed() { merged.merge(p) }
        #expect(merged == all)
        #expect(all.groups["r"]?.count == ExampleSketch.limit)
        var mc = ClusterSketch()
        mc.merge(clusterParts[1])
        mc.merge(clusterParts[0])
        #expect(mc == clustersAll)
        #expect(clustersAll.clusters.count == ClusterSketch.limit)
        #expect(clustersAll.clusters.map(\.size) == clustersAll.clusters.map(\.size).sorted(by: >))
        var mh = hParts[1]
        mh.merge(hParts[0])
        #expect(mh == hAll)
        #expect(hAll.total == 500)
        // Log buckets: four per doubling.
        #expect(hAll.bucket(1) == 0 && hAll.bucket(2) == 4 && hAll.bucket(1024) == 40 && hAll.bucket(0.5) == -1)
    }

    @Test("1 worker, 2 workers and two --task processes give the same report apart from timings")
    func sameReportForAnySplit() throws {
        let f = try ReportFixture()
        try f.check(try f.run("out1", ["--workers", "1"]))
        try f.check(try f.run("out2", ["--workers", "2"]))
        // Two processes, one task each, at the same time.
        let t0 = try startWinnow(["run", "recipe.yaml", "--output", "out3", "-q", "--task", "0", "--tasks", "2"], in: f.dir, env: ["WINNOW_MODELS": f.models])
        let t1 = try startWinnow(["run", "recipe.yaml", "--output", "out3", "-q", "--task", "1", "--tasks", "2"], in: f.dir, env: ["WINNOW_MODELS": f.models])
        t0.waitUntilExit()
        t1.waitUntilExit()
        #expect(t0.terminationStatus == 0 && t1.terminationStatus == 0)
        var reports: [String] = []
        for out in ["out1", "out2", "out3"] {
            let r = try runWinnow(["report", out], in: f.dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.hasSuffix("/\(out)/report.html\n"))
            let html = String(decoding: try FileSystem.readAll(f.dir + "/" + out + "/report.html"), as: UTF8.self)
            #expect(html.hasPrefix(ReportHTML.signature))
            #expect(html.contains("<!--timings-->"))
            reports.append(ReportFixture.withoutTimings(html))
        }
        #expect(reports[0] == reports[1])
        #expect(reports[0] == reports[2])
        // Every stage recorded something; the report has examples and clusters.
        #expect(reports[0].contains("data-chart=\"clusters-"))
        #expect(reports[0].contains("data-group=\"kept\""))
        #expect(FileSystem.exists(f.dir + "/sentinel.txt"))
    }

    @Test("--output elsewhere: written atomically, replaces an earlier report, refuses another file")
    func outputRules() throws {
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/sentinel.txt", Array("keep me".utf8))
        _ = try writeCorpus(dir, files: 2, perFile: 50)
        let recipe = """
            name: small
            input: { path: "in/*.jsonl", format: jsonl }
            output: { path: out, format: jsonl }
            stages:
              - length: { min_words: 3 }
              - exact_dedup: {}

            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(recipe.utf8))
        #expect(try runWinnow(["run", "recipe.yaml", "-q"], in: dir).status == 0)
        let first = try runWinnow(["report", "out", "--output", "r.html"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "r.html\n")
        #expect(try runWinnow(["report", "out", "--output", "r.html"], in: dir).status == 0)  // its own kind: replaced
        let refused = try runWinnow(["report", "out", "--output", "sentinel.txt"], in: dir)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("sentinel.txt"))
        #expect(String(decoding: try FileSystem.readAll(dir + "/sentinel.txt"), as: UTF8.self) == "keep me")
        let notRun = try runWinnow(["report", "in"], in: dir)
        #expect(notRun.status == 1)
        #expect(notRun.stderr.contains("not a Winnow run folder"))
        #expect(!FileSystem.exists(dir + "/in/report.html"))
        let folder = try runWinnow(["report", "out", "--output", "in"], in: dir)
        #expect(folder.status == 1)
        #expect(FileSystem.isDirectory(dir + "/in"))
    }

    @Test("the live view's pages: an index of run folders, each run's report, reloading while in progress, 404 otherwise")
    func livePages() throws {
        let dir = try temporaryFolder()
        _ = try writeCorpus(dir, files: 2, perFile: 50)
        let recipe = """
            name: live
            input: { path: "in/*.jsonl", format: jsonl }
            output: { path: runs/a, format: jsonl }
            stages:
              - length: { min_words: 3 }

            """
        try FileSystem.writeAll(dir + "/recipe.yaml", Array(recipe.utf8))
        #expect(try runWinnow(["run", "recipe.yaml", "-q"], in: dir).status == 0)
        try FileSystem.writeAll(dir + "/runs/notes/readme.txt", Array("not a run".utf8))
        let pages = LiveReportPages(path: dir + "/runs", isCollection: true, refreshSeconds: 7)
        let index = pages.page("/")
        #expect(index.status == 200)
        #expect(index.html.contains("href=\"/run/a/\""))
        #expect(!index.html.contains("notes"))
        let done = pages.page("/run/a/")
        #expect(done.status == 200)
        #expect(done.html.hasPrefix(ReportHTML.signature) && done.html.contains("data-chart=\"funnel\""))
        #expect(!done.html.contains("http-equiv=\"refresh\""))
        for bad in ["/run/notes/", "/run/../", "/run/a/../../x", "/x", "/run/%2E%2E/"] {
            #expect(pages.page(bad).status == 404, "\(bad)")
        }
        // A run not yet complete: the page says so and reloads itself.
        try RunManifest(path: dir + "/runs/a/run.sqlite").setValue("complete", "0")
        let live = pages.page("/run/a/")
        #expect(live.html.contains("http-equiv=\"refresh\" content=\"7\""))
        #expect(live.html.contains("in progress"))
        let single = LiveReportPages(path: dir + "/runs/a", isCollection: false).page("/")
        #expect(single.status == 200 && single.html.contains("data-chart=\"funnel\""))
    }

    @Test(
        "the report in headless Chromium: no script errors, every chart, numbers equal stats.json, a screenshot",
        .enabled(if: chromium != nil, "needs Debian's chromium (apt-get install chromium; `make test` tries to install it): skipped"))
    func chromiumRender() throws {
        guard let chromium else { return }
        let f = try ReportFixture()
        try f.check(try f.run("out", ["--workers", "2"]))
        let r = try runWinnow(["report", "out"], in: f.dir)
        #expect(r.status == 0, "\(r.stderr)")
        let page = f.dir + "/out/report.html"
        let stats = try JSONSerialization.jsonObject(with: Data(try FileSystem.readAll(f.dir + "/out/stats.json"))) as? [String: Any] ?? [:]
        let stages = stats["stages"] as? [[String: Any]] ?? []
        #expect(Set(stages.compactMap { $0["stage"] as? String }).count >= 8)

        // The DOM after scripts ran.
        let profile = try temporaryFolder("chromium-profile")
        let dom = try runProcess(chromium, [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile, "--virtual-time-budget=2000",
            "--dump-dom", "file://" + page,
        ])
        #expect(dom.status == 0, "\(dom.stderr)")
        let html = dom.stdout
        #expect(html.contains("data-ready=\"1\""), "the page's last script did not run")
        #expect(!html.contains("data-errors="), "script errors: \(attribute("data-errors", in: html) ?? "")")

        // Every chart is in the DOM.
        var expected = ["funnel", "timings-stages", "timings-phases", "errors"]
        for (i, s) in stages.enumerated() {
            let dropped = s["dropped"] as? [String: Int] ?? [:]
            if !dropped.isEmpty { expected.append("reasons-\(i)") }
            for name in (s["histograms"] as? [String: Any] ?? [:]).keys { expected.append("hist-\(i)-\(name)") }
        }
        for name in ["bytes", "words", "perplexity", "classifier_good", "dsir_weight", "cluster_size"] + (f.hasLanguageModel ? ["language", "language_score"] : []) {
            #expect(expected.contains { $0.hasPrefix("hist-") && $0.hasSuffix("-" + name) }, "no histogram \(name) in stats.json")
        }
        let charts = Set(matches(of: "data-chart=\"([^\"]+)\"", in: html))
        for c in expected { #expect(charts.contains(c), "chart \(c) missing from the DOM") }
        #expect(attribute("data-charts", in: html).flatMap(Int.init) == charts.count)

        // Numbers: the cards and the funnel equal stats.json.
        for (id, key) in [("documents_in", "documents_in"), ("documents_out", "documents_out"), ("bytes_in", "bytes_in"), ("errors", "errors")] {
            #expect(attribute("data-value", in: html, after: "data-stat=\"\(id)\"") == "\(stats[key] as? Int ?? -1)", "card \(id)")
        }
        #expect((stats["errors"] as? Int ?? 0) >= 1)
        for s in stages {
            let name = s["stage"] as? String ?? ""
            #expect(attribute("data-in", in: html, after: "data-stage=\"\(name)\"") == "\(s["in"] as? Int ?? -1)", "funnel in of \(name)")
            #expect(attribute("data-kept", in: html, after: "data-stage=\"\(name)\"") == "\(s["kept"] as? Int ?? -1)", "funnel kept of \(name)")
        }
        // Drop-reason bars and histogram columns sum to stats.json's counts.
        for (i, s) in stages.enumerated() {
            let dropped = s["dropped"] as? [String: Int] ?? [:]
            if !dropped.isEmpty {
                let chart = section(of: "reasons-\(i)", in: html)
                for (reason, n) in dropped {
                    #expect(attribute("data-value", in: chart, after: "data-label=\"\(reason)\"") == "\(n)", "\(reason)")
                }
            }
            for (name, h) in s["histograms"] as? [String: [String: Any]] ?? [:] {
                let chart = section(of: "hist-\(i)-\(name)", in: html)
                let kept = matches(of: "data-kept=\"([0-9]+)\"", in: chart).compactMap(Int.init).reduce(0, +)
                let removed = matches(of: "data-removed=\"([0-9]+)\"", in: chart).compactMap(Int.init).reduce(0, +)
                #expect(kept == (h["kept"] as? [String: Int] ?? [:]).values.reduce(0, +), "kept total of \(name) at stage \(i)")
                #expect(removed == (h["removed"] as? [String: Int] ?? [:]).values.reduce(0, +), "removed total of \(name) at stage \(i)")
                if name == "bytes" { #expect(kept + removed == s["in"] as? Int, "bytes histogram of stage \(i) counts every document") }
            }
        }

        // A screenshot, kept as a test artifact.
        let artifacts = repoRoot + "/.build/test-artifacts"
        try FileSystem.createDirectory(artifacts)
        let shot = artifacts + "/report-screenshot.png"
        try? FileSystem.remove(shot)
        let s = try runProcess(chromium, [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile, "--hide-scrollbars",
            "--window-size=1280,2400", "--screenshot=" + shot, "file://" + page,
        ])
        #expect(s.status == 0, "\(s.stderr)")
        #expect(((try? FileSystem.readAll(shot)) ?? []).starts(with: [0x89, 0x50, 0x4E, 0x47]), "no PNG at \(shot)")
        print("report screenshot: \(shot)")
        #expect(FileSystem.exists(f.dir + "/sentinel.txt"))
    }

    // MARK: - Helpers

    func runProcess(_ exe: String, _ args: [String]) throws -> ProcessResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe()
        let errPath = NSTemporaryDirectory() + "winnow-chromium-stderr-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        p.standardOutput = out
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return ProcessResult(status: p.terminationStatus, signaled: false, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    func matches(of pattern: String, in s: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
        return re.matches(in: s, range: NSRange(s.startIndex..., in: s)).compactMap { m in
            Range(m.range(at: 1), in: s).map { String(s[$0]) }
        }
    }

    /// The value of the first `name="…"` attribute (after `marker` when given).
    func attribute(_ name: String, in s: String, after marker: String? = nil) -> String? {
        var rest = Substring(s)
        if let marker {
            guard let r = rest.range(of: marker) else { return nil }
            // The attribute must be inside the same tag.
            let tagEnd = rest[r.upperBound...].firstIndex(of: ">") ?? rest.endIndex
            rest = rest[r.upperBound..<tagEnd]
        }
        guard let a = rest.range(of: " \(name)=\"") else { return nil }
        let v = rest[a.upperBound...]
        return v.firstIndex(of: "\"").map { String(v[..<$0]) }
    }

    /// The `<svg>` element of one chart.
    func section(of chart: String, in html: String) -> String {
        guard let a = html.range(of: "data-chart=\"\(chart)\""), let b = html[a.upperBound...].range(of: "</svg>") else { return "" }
        return String(html[a.lowerBound..<b.upperBound])
    }
}

/// Starts `winnow` without waiting for it (standard error into `stderrPath`, else discarded).
func startWinnow(_ args: [String], in dir: String, env: [String: String] = [:], stderrPath: String? = nil) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: winnowBinary())
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    var e = ProcessInfo.processInfo.environment
    for (k, v) in env { e[k] = v }
    p.environment = e
    p.standardOutput = FileHandle.nullDevice
    if let stderrPath {
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
    } else {
        p.standardError = FileHandle.nullDevice
    }
    try p.run()
    return p
}
