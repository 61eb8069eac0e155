import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline

/// The repository's root (this file is Tests/WinnowPipelineTests/…).
private let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// Every recipe in pipelines/, by file name.
private let recipeNames: [String] = {
    let names = (try? FileSystem.list(repositoryRoot + "/pipelines")) ?? []
    return names.filter { $0.hasSuffix(".yaml") }.sorted()
}()

/// Whether `make sample` has built corpora/sample/ (its marker file is written last).
private let hasSample = FileManager.default.fileExists(atPath: repositoryRoot + "/corpora/sample/.complete")

/// The committed input of each format that every recipe of that format is run over with
/// `--input` (so the recipes run in `make test` without corpora/sample/).
private let fixtureInputs: [InputFormat: String] = [
    .jsonl: "corpora/fixtures/mixed.jsonl",  // a file
    .text: "corpora/fixtures/text",  // a folder: every file under it
    .html: "corpora/fixtures/html",  // a folder with a subfolder
    .mediawiki: "corpora/fixtures/mediawiki/*.xml",  // a glob
    .warc: "corpora/fixtures/warc/pages.warc.gz",  // one WARC file
]

/// Links the files a recipe's stages name by paths relative to the repository (block lists in
/// `pipelines/lists/`, the benchmark under `corpora/sample/benchmarks/`) into the folder a test
/// runs it in: `pipelines/` itself, and the committed stand-in benchmark of
/// corpora/fixtures/benchmarks/ (so the recipes run without corpora/sample/).
private func linkRecipeFiles(into dir: String) throws {
    try FileManager.default.createSymbolicLink(atPath: dir + "/pipelines", withDestinationPath: repositoryRoot + "/pipelines")
    try FileManager.default.createDirectory(atPath: dir + "/corpora/sample", withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
        atPath: dir + "/corpora/sample/benchmarks", withDestinationPath: repositoryRoot + "/corpora/fixtures/benchmarks")
}

/// A recipe's `input.format` and the model files its stages need, read from its YAML without
/// building the stages (building `language` would load the model).
private func inputFormat(ofRecipe name: String) throws -> (format: InputFormat, models: [String]) {
    let path = repositoryRoot + "/pipelines/" + name
    let text = String(decoding: try FileSystem.readAll(path), as: UTF8.self)
    let root = try YAMLLoader.load(text, file: path)
    var format = InputFormat.jsonl
    if case .scalar(let s)? = root["input"]?["format"]?.kind, let f = InputFormat(rawValue: s) { format = f }
    var models: [String] = []
    if case .sequence(let stages)? = root["stages"]?.kind {
        for stage in stages where stage.mapping?.first?.key == "language" { models.append("lid.176.ftz") }
    }
    return (format, models)
}

/// The counts of a finished run's stats.json.
private func runCounts(_ runDir: String) throws -> (documentsIn: Int, documentsOut: Int, dropped: [String: Int]) {
    let data = Data(try FileSystem.readAll(runDir + "/stats.json"))
    let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return (obj["documents_in"] as? Int ?? -1, obj["documents_out"] as? Int ?? -1, obj["dropped"] as? [String: Int] ?? [:])
}

/// Issue 20 item 3: every recipe in pipelines/ runs — over small committed fixtures of its input
/// format in every `make test` (through `--input`), and as written over corpora/sample/ when
/// `make sample` has built it.
@Suite("The recipes in pipelines/", .serialized)
struct PipelineRecipesTests {
    @Test("pipelines/ holds the recipes, and every input format they use has a committed fixture")
    func everyFormatHasAFixture() throws {
        #expect(recipeNames.count >= 6, "\(recipeNames)")
        for name in recipeNames {
            let (format, _) = try inputFormat(ofRecipe: name)
            #expect(fixtureInputs[format] != nil, "\(name): no fixture for input format \(format.rawValue); add one to fixtureInputs")
        }
    }

    @Test("each recipe runs over the committed fixture of its format with --input", arguments: recipeNames)
    func runsOnFixture(name: String) throws {
        let (format, models) = try inputFormat(ofRecipe: name)
        let input = try #require(fixtureInputs[format], "no fixture for \(format.rawValue)")
        for model in models where !FileManager.default.fileExists(atPath: repositoryRoot + "/models/" + model) {
            print("skipped: \(name) needs models/\(model) (make deps-models)")
            return
        }
        let dir = try temporaryFolder("recipe-" + name)
        try FileSystem.writeAll(dir + "/sentinel.txt", Array("not Winnow's\n".utf8))
        try linkRecipeFiles(into: dir)
        let result = try runWinnow(
            ["run", repositoryRoot + "/pipelines/" + name, "--input", repositoryRoot + "/" + input, "--output", "out", "--workers", "2"],
            in: dir, env: ["WINNOW_MODELS": repositoryRoot + "/models"])
        #expect(result.status == 0, "\(name): \(result.stderr)")
        #expect(result.stderr.contains("phase 1: "), "\(result.stderr)")
        let counts = try runCounts(dir + "/out")
        #expect(counts.documentsIn > 0, "\(name): read nothing")
        #expect(counts.documentsOut > 0, "\(name): kept nothing of \(input)")
        #expect(counts.documentsOut + counts.dropped.values.reduce(0, +) == counts.documentsIn, "\(name): \(counts)")
        #expect(try readOutput(dir + "/out").count == counts.documentsOut)
        #expect(FileSystem.exists(dir + "/sentinel.txt"))
    }

    @Test(
        "each recipe runs as written over corpora/sample/ (make sample)", .enabled(if: hasSample, "skipped: corpora/sample/ is absent (run make sample)"),
        arguments: recipeNames)
    func runsOnSample(name: String) throws {
        // The recipe reads its own input.path (relative to the repository, where `make demo`
        // runs); only the output goes to a temporary folder.
        let dir = try temporaryFolder("sample-" + name)
        try FileSystem.writeAll(dir + "/sentinel.txt", Array("not Winnow's\n".utf8))
        let result = try runWinnow(["run", "pipelines/" + name, "--output", dir + "/out", "-q"], in: repositoryRoot)
        #expect(result.status == 0, "\(name): \(result.stderr)")
        let counts = try runCounts(dir + "/out")
        #expect(counts.documentsIn > 0 && counts.documentsOut > 0, "\(name): \(counts)")
        #expect(FileSystem.exists(dir + "/sentinel.txt"))
    }
}

/// `winnow run --input PATH`: a file, a folder or a glob replaces the recipe's input.path, and
/// goes through the same output-folder safety checks.
@Suite("winnow run --input")
struct InputOptionTests {
    typealias Sandbox = RunFolderSafetyTests.Sandbox

    /// A sandbox whose recipe reads a path that does not exist, with two more input files in
    /// `more/` (one in a subfolder).
    func sandbox(_ name: String = #function) throws -> Sandbox {
        let s = try Sandbox(name)
        try s.recipe(output: "out", input: "nowhere/*.jsonl")
        var a: [UInt8] = []
        var b: [UInt8] = []
        for i in 0..<7 { JSONLCodec().encode(Document(id: "a\(i)", text: "more words in file a number \(i)"), into: &a) }
        for i in 0..<5 { JSONLCodec().encode(Document(id: "b\(i)", text: "more words in file b number \(i)"), into: &b) }
        try FileSystem.writeAll(s.box + "/more/a.jsonl", a)
        try FileSystem.writeAll(s.box + "/more/sub/b.jsonl", b)
        return s
    }

    @Test("a file, a folder and a glob each replace input.path", arguments: [
        ("in/part-0.jsonl", 40), ("more", 12), ("more/", 12), ("more/**/*.jsonl", 12), ("more/*.jsonl", 7), ("@BOX/more/sub", 5),
    ])
    func replaces(input: String, documents: Int) throws {
        let s = try sandbox()
        let path = input.replacingOccurrences(of: "@BOX", with: s.box)
        let without = try s.run(["run", "r.yaml", "-q"])
        #expect(without.status == 1 && without.stderr.contains("input.path 'nowhere/*.jsonl' matches no files"), "\(without.stderr)")
        let r = try s.run(["run", "r.yaml", "--input", path, "-q"])
        #expect(r.status == 0, "--input \(input): \(r.stderr)")
        #expect(try readOutput(s.box + "/out").count == documents)
        s.expectSentinels()
    }

    @Test("ids under a folder given with --input are relative to that folder")
    func idsRelativeToFolder() throws {
        let s = try sandbox()
        let text = "name: t\ninput: {path: nowhere, format: text, root: elsewhere}\noutput: {path: out, format: jsonl}\nstages: []\n"
        try FileSystem.writeAll(s.box + "/t.yaml", Array(text.utf8))
        try FileSystem.writeAll(s.box + "/notes/sub/one.txt", Array("first note\n".utf8))
        try FileSystem.writeAll(s.box + "/notes/two.txt", Array("second note\n".utf8))
        let r = try s.run(["run", "t.yaml", "--input", "notes", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try readOutput(s.box + "/out").map(\.id).sorted() == ["sub/one.txt", "two.txt"])
    }

    @Test("--input goes through the output checks of input.path", arguments: [
        ("in", "in/out", "could match the run's own files"),  // a folder input: the output may not sit in it
        ("in/*.jsonl", "in", "contains the input file"),
        ("in/part-0.jsonl", "in/part-0.jsonl", "is the input file"),
        ("**/*.jsonl", "new-out", "could match the run's own files"),
    ])
    func refusedOutputs(input: String, output: String, reason: String) throws {
        let s = try sandbox()
        let before = try s.listing()
        let r = try s.run(["run", "r.yaml", "--input", input, "--output", output, "--overwrite"])
        #expect(r.status == 1, "--input \(input) --output \(output): \(r.stderr)")
        #expect(r.stderr.contains(reason), "--input \(input) --output \(output): \(r.stderr)")
        #expect(try s.listing() == before, "something was written or deleted")
        s.expectSentinels()
    }

    @Test("--input that matches nothing exits 1 naming --input; --resume with another --input is refused")
    func errors() throws {
        let s = try sandbox()
        let none = try s.run(["run", "r.yaml", "--input", "missing/*.jsonl"])
        #expect(none.status == 1)
        #expect(none.stderr.contains("--input 'missing/*.jsonl' matches no files"), "\(none.stderr)")
        #expect(try s.run(["run", "r.yaml", "--input", "more", "-q"]).status == 0)
        let other = try s.run(["run", "r.yaml", "--input", "in", "--resume", "-q"])
        #expect(other.status == 1)
        #expect(other.stderr.contains("input files changed"), "\(other.stderr)")
        let empty = try s.run(["run", "r.yaml", "--input", ""])
        #expect(empty.status == 1 && empty.stderr.contains("--input '' matches no files"), "\(empty.stderr)")
        s.expectSentinels()
    }
}
