import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline

/// ../shared/data beside the package, found from this file's path.
private let sharedData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path + "/../shared/data"
private let wikiDump = sharedData + "/text/gensim-test-data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
private let warcDir = sharedData + "/web/warc-samples"

@Suite("Web and wiki inputs in recipes")
struct WebInputTests {
    @Test("warc, html and mediawiki options decode")
    func decodes() throws {
        let warc = try Recipe.decode(
            """
            input: { path: "crawl/*.warc.gz", format: warc, record_types: [response, resource], content_types: [text/html, "text/*"], max_record_bytes: 8MB }
            output: { path: out }
            stages: []
            """, file: "w.yaml")
        #expect(warc.input.options.format == .warc)
        #expect(warc.input.options.warcRecordTypes == ["response", "resource"])
        #expect(warc.input.options.contentTypes == ["text/html", "text/*"])
        #expect(warc.input.options.maxRecordBytes == 8_000_000)
        let wiki = try Recipe.decode(
            """
            input: { path: "dumps/*.xml.bz2", format: mediawiki, namespaces: [0, 14], skip_redirects: false, wikitext: raw }
            output: { path: out }
            stages: []
            """, file: "m.yaml")
        #expect(wiki.input.options.namespaces == [0, 14])
        #expect(wiki.input.options.skipRedirects == false)
        #expect(wiki.input.wikitextToPlain == false)
        let html = try Recipe.decode("input: { path: \"site/**/*.html\", format: html }\noutput: { path: out }\nstages: []\n", file: "h.yaml")
        #expect(html.input.options.format == .html)
        #expect(html.input.root == "site")
    }

    @Test("an observe-only first phase over WARC, HTML or MediaWiki input writes what it parsed", arguments: ["warc", "html", "mediawiki"])
    func parsedInputIsMaterialised(format: String) throws {
        let r = try Recipe.decode(
            "input: { path: \"in/*\", format: \(format) }\noutput: { path: out }\nstages: [ { exact_dedup: {} } ]\n", file: "p.yaml")
        let shards = [InputShard(index: 0, path: "in/a", name: "a", size: 10)]
        let plan = Plan(recipe: r, shards: shards)
        #expect(plan.phases.count == 2)
        #expect(plan.phases[0].materializes)
        #expect(plan.phases[1].source == .phase(0))
        // Plain JSONL is read again instead.
        let jsonl = try Recipe.decode("input: { path: \"in/*\", format: jsonl }\noutput: { path: out }\nstages: [ { exact_dedup: {} } ]\n", file: "p.yaml")
        #expect(Plan(recipe: jsonl, shards: shards).phases[1].source == .input)
    }

    @Test("options of another format, and bad values, are errors with their line", arguments: [
        ("input: { path: x, format: jsonl, record_types: [response] }", "applies to format warc"),
        ("input: { path: x, format: warc, namespaces: [0] }", "applies to format mediawiki"),
        ("input: { path: x, format: warc, record_types: [request] }", "hold no document text"),
        ("input: { path: x, format: warc, record_types: [bogus] }", "unknown WARC record type"),
        ("input: { path: x, format: warc, content_types: [html] }", "not a media type"),
        ("input: { path: x, format: mediawiki, wikitext: html }", "plain or raw"),
        ("input: { path: x, format: mediawiki, namespaces: 0 }", "list of namespace numbers"),
    ])
    func badOptions(input: String, message: String) {
        let text = "name: t\n\(input)\noutput: { path: out }\nstages: []\n"
        let e = #expect(throws: ConfigError.self) { _ = try Recipe.decode(text, file: "bad.yaml") }
        #expect(e.map { "\($0)".contains(message) } == true, "\(String(describing: e))")
        #expect(e?.location?.line == 2)
    }

    @Test("a mediawiki recipe over the gensim excerpt writes plain-text articles", .enabled(if: FileManager.default.fileExists(atPath: wikiDump), "needs ../shared/data/text/gensim-test-data (absent: skipped)"))
    func wikiRun() throws {
        let dir = try temporaryFolder()
        try """
        name: wiki
        input: { path: "\(wikiDump)", format: mediawiki }
        output: { path: out, format: jsonl }
        stages: []
        """.write(toFile: dir + "/wiki.yaml", atomically: true, encoding: .utf8)
        let r = try runWinnow(["run", "wiki.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let docs = try readOutput(dir + "/out")
        #expect(docs.count > 100)
        for d in docs {
            for marker in ["[[", "{{", "<ref", "'''", "]]", "}}", "{|"] {
                #expect(!d.text.contains(marker), "\(d.id) still has \(marker)")
            }
            #expect(!d.text.hasPrefix("#REDIRECT"))
        }
        let anarchism = docs.first { $0.metadata["title"]?.stringValue == "Anarchism" }
        #expect(anarchism?.text.hasPrefix("Anarchism is a political philosophy") == true)
        #expect(anarchism?.metadata["url"]?.stringValue == "https://en.wikipedia.org/wiki/Anarchism")
    }

    @Test("a warc recipe with on_error: skip keeps every complete record and logs the damaged one", .enabled(if: FileManager.default.fileExists(atPath: warcDir), "needs ../shared/data/web/warc-samples (absent: skipped)"))
    func warcRunWithDamage() throws {
        let dir = try temporaryFolder()
        try FileSystem.createDirectory(dir + "/in")
        let source = warcDir + "/resiliparse-CC-MAIN-2020-34-sample.warc.gz"
        let bytes = try FileSystem.readAll(source)
        try FileSystem.writeAll(dir + "/in/a.warc.gz", bytes)
        try FileSystem.writeAll(dir + "/in/b.warc.gz", Array(bytes[0..<(bytes.count * 3 / 4)]))
        try """
        name: web
        input: { path: "in/*.warc.gz", format: warc }
        output: { path: out, format: jsonl }
        on_error: skip
        stages: []
        """.write(toFile: dir + "/web.yaml", atomically: true, encoding: .utf8)
        let r = try runWinnow(["run", "web.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let docs = try readOutput(dir + "/out")
        let full = docs.filter { $0.metadata["source"]?.stringValue == "a.warc.gz" }
        let cut = docs.filter { $0.metadata["source"]?.stringValue == "b.warc.gz" }
        #expect(full.count == 16)
        #expect(cut.count < full.count && cut.count > 0)
        #expect(cut.map(\.id) == Array(full.map(\.id).prefix(cut.count)))
        let errors = try String(contentsOfFile: dir + "/out/errors.jsonl", encoding: .utf8)
        #expect(errors.split(separator: "\n").count == 1)
        #expect(errors.contains("b.warc.gz"))

        // The default policy stops with the file and byte offset.
        try String(contentsOfFile: dir + "/web.yaml", encoding: .utf8).replacingOccurrences(of: "on_error: skip\n", with: "")
            .write(toFile: dir + "/strict.yaml", atomically: true, encoding: .utf8)
        let failed = try runWinnow(["run", "strict.yaml", "--overwrite"], in: dir)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("b.warc.gz: byte "))
    }
}
