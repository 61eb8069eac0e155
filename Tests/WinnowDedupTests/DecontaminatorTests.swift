import Foundation
import Testing
import WinnowCore
import WinnowDedup
import WinnowIO

/// Runs `decontaminate` as the pipeline does (observe every shard, resolve with a run folder,
/// decide) and returns each document after decide, its verdict, and decontamination.json.
func runDecontaminator(_ stage: Decontaminator, _ shards: [[Document]]) throws
    -> (results: [[(verdict: Verdict, document: Document)]], report: [String: Any])
{
    let dir = NSTemporaryDirectory() + "winnow-decont-\(UUID().uuidString)"
    try FileSystem.createDirectory(dir + "/work")
    defer { try? FileSystem.remove(dir) }
    func context(_ shard: Int) -> CorpusContext {
        var c = CorpusContext(workDirectory: dir + "/work", shard: shard, shardCount: shards.count)
        c.runDirectory = dir
        return c
    }
    for (s, docs) in shards.enumerated() {
        let observer = try stage.makeObserver(context: context(s))
        for (i, d) in docs.enumerated() { try observer.observe(d, index: i) }
        try observer.finish()
    }
    try stage.resolve(step: 0, partition: 0, context: context(-1))
    let results = try shards.enumerated().map { s, docs in
        let decider = try stage.makeDecider(context: context(s))
        return try docs.enumerated().map { i, original in
            var doc = original
            let verdict = try decider.decide(&doc, index: i)
            if decider.quickVerdict(index: i) == .keep {
                #expect(verdict == .keep && doc == original, "quickVerdict kept \(original.id) but decide changed it")
            }
            return (verdict, doc)
        }
    }
    let json = try FileSystem.readAll(dir + "/" + Decontaminator.reportName)
    let report = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] ?? [:]
    return (results, report)
}

func benchmarkEntry(_ report: [String: Any], _ name: String) -> [String: Any] {
    (report["benchmarks"] as? [[String: Any]] ?? []).first { $0["name"] as? String == name } ?? [:]
}

@Suite("decontaminate")
struct DecontaminatorTests {
    static let question = "Janet's ducks lay 16 eggs per day and she eats three of them for breakfast every single morning."
    static let answer = "She sells the remainder at the farmers' market daily for $2 per fresh duck egg."
    static let passage = "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France, named after the engineer Gustave Eiffel."

    func makeBenchmarks() throws -> (dir: String, sources: [BenchmarkSource]) {
        let dir = NSTemporaryDirectory() + "winnow-bench-\(UUID().uuidString)"
        try FileSystem.createDirectory(dir)
        var jsonl: [UInt8] = []
        for (id, q, a) in [("q1", Self.question, Self.answer), ("q2", "How many?", "Four.")] {
            let obj: [String: Any] = ["id": id, "question": q, "answers": [a]]
            jsonl += Array(try JSONSerialization.data(withJSONObject: obj)) + [0x0A]
        }
        let gz = try CompressedWriter(path: dir + "/qa.jsonl.gz", compression: .gzip)
        try jsonl.withUnsafeBytes { try gz.write($0) }
        try gz.commit()
        try FileSystem.writeAll(dir + "/wiki.txt", Array("\n\(Self.passage)\n".utf8))
        return (dir, [
            BenchmarkSource(name: "qa", path: dir + "/qa.jsonl.gz", fields: ["question", "answers"], idField: "id"),
            BenchmarkSource(name: "wiki", path: dir + "/wiki.txt"),
        ])
    }

    @Test("verbatim, partial ≥ n words, case and punctuation variants are found; shorter overlaps and clean text are not")
    func drop() throws {
        let (dir, sources) = try makeBenchmarks()
        defer { try? FileSystem.remove(dir) }
        let index = try BenchmarkIndex(sources: sources)
        #expect(index.benchmarks.map(\.items) == [2, 1])
        #expect(index.benchmarks.map(\.itemsTooShort) == [1, 0])
        let q = Self.question.split(separator: " ")
        let docs = [
            "Intro text. " + Self.question + " " + Self.answer + " Outro.",  // verbatim, spanning both fields
            "Before: " + q[3..<16].joined(separator: " ") + " after.",  // exactly 13 words
            "Before: " + q[3..<15].joined(separator: " ") + " after.",  // 12 words: not a match
            Self.passage.uppercased().replacingOccurrences(of: ",", with: " ;"),  // case and punctuation differ
            "THE eiffel tower is a wrought iron lattice structure on the Champ de Mars in Paris.",  // paraphrase
            "A clean document about something else entirely, with no benchmark text in it at all today.",
        ].enumerated().map { Document(id: "d\($0.offset)", text: $0.element) }
        let stage = Decontaminator(index: index, mode: .drop)
        let (results, report) = try runDecontaminator(stage, [Array(docs[0..<3]), Array(docs[3...])])
        let verdicts = results.flatMap { $0.map(\.verdict) }
        #expect(verdicts == [.drop(reason: "contaminated"), .drop(reason: "contaminated"), .keep,
                             .drop(reason: "contaminated"), .keep, .keep])
        let first = results[0][0].document
        #expect(first.metadata["contaminated_benchmarks"] == .array([.string("qa")]))
        #expect(first.metadata["contaminated_items"] == .array([.string("qa:q1")]))
        #expect(results[1][0].document.metadata["contaminated_items"] == .array([.string("wiki:line 2")]))
        #expect(report["documents_contaminated"] as? Int == 3)
        #expect(benchmarkEntry(report, "qa")["items_found"] as? Int == 1)
        #expect(benchmarkEntry(report, "qa")["documents"] as? Int == 2)
        #expect(benchmarkEntry(report, "wiki")["documents"] as? Int == 1)
        #expect((benchmarkEntry(report, "qa")["examples"] as? [[String: Any]])?.first?["document"] as? String == "d0")
    }

    @Test("cut mode removes exactly the matching words; the rest stays byte-identical")
    func cut() throws {
        let (dir, sources) = try makeBenchmarks()
        defer { try? FileSystem.remove(dir) }
        let stage = Decontaminator(index: try BenchmarkIndex(sources: sources), mode: .cut, minRemainingCharacters: 20)
        let prefix = "Ünïcödé prefix stays — exactly as written,\n\n"
        let suffix = "\n\nand the suffix too: «unchanged» 🙂."
        let docs = [
            Document(id: "a", text: prefix + "(" + Self.passage + ")" + suffix),
            Document(id: "b", text: "tiny " + Self.passage),
        ]
        let (results, _) = try runDecontaminator(stage, [docs])
        #expect(results[0][0].verdict == .keep)
        #expect(results[0][0].document.text == prefix + "(.)" + suffix)
        #expect(results[0][0].document.metadata["decontaminated_items"] == .array([.string("wiki:line 2")]))
        #expect(results[0][1].verdict == .drop(reason: "contaminated"))  // 4 characters left < 20
    }

    @Test("a recipe entry builds the stage; bad entries name what is wrong")
    func recipe() throws {
        let (dir, _) = try makeBenchmarks()
        defer { try? FileSystem.remove(dir) }
        func entry(_ pairs: [(String, ConfigValue)]) -> ConfigValue {
            ConfigValue(.mapping([("benchmarks", ConfigValue(.sequence([ConfigValue(.mapping(pairs))]))), ("ngram", ConfigValue(.scalar("8")))]))
        }
        let good = entry([("name", ConfigValue(.scalar("qa"))), ("path", ConfigValue(.scalar(dir + "/qa.jsonl.gz"))),
                          ("fields", ConfigValue(.sequence([ConfigValue(.scalar("question"))])))])
        let stage = try Decontaminator.descriptor.build(good) as? Decontaminator
        #expect(stage?.index.n == 8)
        #expect(stage?.index.items.map(\.id) == ["line 1"])
        #expect(throws: ConfigError.self) { _ = try Decontaminator.descriptor.build(entry([("name", ConfigValue(.scalar("qa")))])) }
        #expect(throws: ConfigError.self) {
            _ = try Decontaminator.descriptor.build(entry([("name", ConfigValue(.scalar("qa"))), ("path", ConfigValue(.scalar(dir + "/absent.jsonl")))]))
        }
        try FileSystem.writeAll(dir + "/bad.jsonl", Array("{\"question\": \"ok\"}\n{\"question\": \n".utf8))
        let error = #expect(throws: InputError.self) {
            _ = try BenchmarkIndex(sources: [BenchmarkSource(name: "bad", path: dir + "/bad.jsonl", fields: ["question"])])
        }
        #expect(error?.location.line == 2)
    }
}
