import Foundation
import Testing
import WinnowEmbed
@testable import WinnowPrompt
import WinnowTokenizers

/// TREC question types from `../shared/data/classification` and all-MiniLM-L6-v2 from `models/`.
enum ExampleRealData {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0 ..< 3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let trecTrain = packageRoot + "/../shared/data/classification/TREC.train"
    static let trecTest = packageRoot + "/../shared/data/classification/TREC.test"
    static let model: String = {
        if let root = ProcessInfo.processInfo.environment["WINNOW_MODELS"], !root.isEmpty { return root + "/all-MiniLM-L6-v2" }
        return packageRoot + "/models/all-MiniLM-L6-v2"
    }()

    static var present: Bool {
        [trecTrain, trecTest, model + "/model.safetensors"].allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }
    /// Names only what is missing (the suite needs all of it).
    static var skipMessage: String {
        let missing = [trecTrain, trecTest, model + "/model.safetensors"].filter { !FileManager.default.fileExists(atPath: $0) }
        return missing.isEmpty ? "TREC data and model present" : "missing " + missing.joined(separator: ", ")
    }

    /// `COARSE:fine question` lines (Latin-1) as examples labelled with the coarse type.
    static func read(_ path: String, limit: Int) throws -> [Example] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let text = String(data: data, encoding: .isoLatin1) ?? ""
        return text.split(separator: "\n").prefix(limit).map { line in
            let space = line.firstIndex(of: " ") ?? line.endIndex
            let label = String(line[..<space].split(separator: ":")[0])
            let question = String(line[space...].dropFirst())
            return Example(input: question, output: label, label: label)
        }
    }

    static func majority(_ selection: ExampleSelection) -> String? {
        var counts: [String: Int] = [:]
        for example in selection.examples { counts[example.label ?? "", default: 0] += 1 }
        // Ties go to the label of the most similar demonstration among the tied (prompt order: last).
        let best = counts.values.max() ?? 0
        return selection.examples.reversed().first { counts[$0.label ?? ""] == best }?.label
    }
}

@Test("the TREC suite's skip message names exactly the files that are missing")
func trecSkipMessageNamesOnlyWhatIsMissing() {
    let needs = [("TREC.train", ExampleRealData.trecTrain), ("TREC.test", ExampleRealData.trecTest),
                 ("all-MiniLM-L6-v2", ExampleRealData.model + "/model.safetensors")]
    for (name, path) in needs {
        #expect(ExampleRealData.skipMessage.contains(name) == !FileManager.default.fileExists(atPath: path),
                "\(ExampleRealData.skipMessage)")
    }
}

@Suite("example selection on TREC", .serialized, .enabled(if: ExampleRealData.present, "\(ExampleRealData.skipMessage)"))
struct ExampleRealDataTests {
    @Test("kNN demonstrations' majority label beats random selection by ≥ 15 points on 150 test questions, within budget")
    func trecSubset() throws {
        let pool = ExamplePool(examples: try ExampleRealData.read(ExampleRealData.trecTrain, limit: 1200))
        let tests = try ExampleRealData.read(ExampleRealData.trecTest, limit: 150)
        let embedder = try Embedder(folder: ModelFolder(path: ExampleRealData.model))
        let (index, _) = try ExampleIndex.build(
            pool: pool, embedder: embedder, modelID: "test", cache: nil, workers: ProcessInfo.processInfo.activeProcessorCount)
        let counter = WhitespaceTokenCounter()
        var accuracy: [ExampleSelectionMethod: Double] = [:]
        for method in [ExampleSelectionMethod.knn, .random] {
            let options = ExampleSelectionOptions(k: 8, method: method, budget: 100)
            let selections = try index.select(queries: tests.map(\.input), embedder: embedder, options: options, counter: counter, workers: 2)
            var correct = 0
            for (test, selection) in zip(tests, selections) {
                #expect(selection.totalTokens <= 100)
                #expect((1 ... 8).contains(selection.examples.count))
                if ExampleRealData.majority(selection) == test.label { correct += 1 }
            }
            accuracy[method] = Double(correct) / Double(tests.count)
        }
        let knn = accuracy[.knn] ?? 0
        let random = accuracy[.random] ?? 0
        #expect(knn >= random + 0.15, "kNN \(knn) vs random \(random)")
    }
}
