import Foundation
import Testing
import WinnowFuzz
import WinnowFuzzServer

/// The fuzz corpus and dictionaries, found from this file's path.
enum FuzzFiles {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let fuzzFolder = packageRoot + "/fuzz"

    /// Every file of `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`, sorted by name.
    static func inputs(_ target: String) -> [(name: String, bytes: [UInt8])] {
        var found: [(String, [UInt8])] = []
        for kind in ["corpus", "regressions"] {
            let folder = "\(fuzzFolder)/\(kind)/\(target)"
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            for name in names {
                if let data = FileManager.default.contents(atPath: folder + "/" + name) { found.append(("\(kind)/\(target)/\(name)", Array(data))) }
            }
        }
        return found
    }

    /// The tokens of `fuzz/dict/<target>.dict` (none when there is no dictionary).
    static func tokens(_ target: String) -> [[UInt8]] {
        guard let text = try? String(contentsOfFile: "\(fuzzFolder)/dict/\(target).dict", encoding: .utf8) else { return [] }
        return FuzzMutator.parseDictionary(text)
    }

    /// How many mutated inputs each target gets in the smoke pass.
    static let mutations = 1_000
}

/// Findings of issues already being fixed on other branches: reported as known issues (they
/// show in the output, do not fail the run, and stop showing once the fix is merged; then
/// delete the entry).
enum KnownFindings {
    static let list: [(issue: String, matches: @Sendable (FuzzFinding) -> Bool)] = []

    /// Records `finding` as an issue, or as a known issue when it matches the list.
    static func record(_ finding: FuzzFinding, input: String) {
        if let known = list.first(where: { $0.matches(finding) }) {
            withKnownIssue(Comment(rawValue: known.issue), isIntermittent: true) { Issue.record("\(input): \(finding)") }
        } else {
            Issue.record("\(input): \(finding)")
        }
    }
}

/// The smoke pass of the fuzz targets (`make test`): every seed-corpus and regression file, then
/// a fixed set of seeded mutations, through the same entry functions libFuzzer drives in
/// `make fuzz`. A crash fails the whole test run; a broken invariant is reported here.
@Suite("Fuzz targets: smoke pass over the seed corpus and seeded mutations")
struct FuzzSmokeTests {
    @Test("every target has a seed corpus and a dictionary that parses", arguments: FuzzTargets.all.map(\.name) + [ServerFuzzer.name])
    func corpusPresent(target: String) {
        #expect(FuzzFiles.inputs(target).count >= 5, "fuzz/corpus/\(target)/ needs seeds (python3 fuzz/seeds.py)")
        #expect(!FuzzFiles.tokens(target).isEmpty || target == "compressed", "fuzz/dict/\(target).dict")
    }

    @Test("seeds and seeded mutations run without a finding", arguments: FuzzTargets.all.map(\.name))
    func smoke(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let inputs = FuzzFiles.inputs(name)
        for (file, bytes) in inputs {
            if let finding = target.run(bytes) { KnownFindings.record(finding, input: file) }
        }
        let mutator = FuzzMutator(seeds: inputs.map(\.bytes), tokens: FuzzFiles.tokens(name), maxLength: target.maxLength)
        for i in 0..<FuzzFiles.mutations {
            let input = mutator.input(i, seed: 0x57_49_4E_4E_4F_57)
            if let finding = target.run(input) {
                KnownFindings.record(finding, input: "mutation \(i) (\(input.count) bytes, base64 \(Data(input).base64EncodedString().prefix(400)))")
            }
        }
    }

    @Test("the mutator is deterministic, bounded and parses libFuzzer dictionaries")
    func mutator() {
        let tokens = FuzzMutator.parseDictionary("# comment\n\"a\\\"b\"\nkw=\"\\x00\\xff\"\n\"bad\\q\"\n")
        #expect(tokens == [[0x61, 0x22, 0x62], [0x00, 0xFF]])
        let m = FuzzMutator(seeds: [Array("{\"text\":\"seed\"}".utf8)], tokens: tokens, maxLength: 40)
        let first = (0..<200).map { m.input($0, seed: 1) }
        #expect(first == (0..<200).map { m.input($0, seed: 1) })
        #expect(first.allSatisfy { $0.count <= 40 })
        #expect(Set(first).count > 150)
    }
}

/// The server target needs the MiniLM model (the server does not start without it).
enum ServerFuzzFixture {
    static let modelFolder: String = {
        if let root = ProcessInfo.processInfo.environment["WINNOW_MODELS"], !root.isEmpty { return root + "/all-MiniLM-L6-v2" }
        return FuzzFiles.packageRoot + "/models/all-MiniLM-L6-v2"
    }()
    static var hasModel: Bool { FileManager.default.fileExists(atPath: modelFolder + "/model.safetensors") }
}

@Suite("Fuzz target server: smoke pass", .enabled(if: ServerFuzzFixture.hasModel, "needs models/all-MiniLM-L6-v2 (scripts/fetch-models.sh)"))
struct ServerFuzzSmokeTests {
    @Test("seed bodies and seeded mutations never get a 5xx or a non-JSON answer")
    func smoke() async throws {
        let fuzzer = try ServerFuzzer(modelFolder: ServerFuzzFixture.modelFolder)
        let inputs = FuzzFiles.inputs(ServerFuzzer.name)
        for (file, bytes) in inputs {
            if let finding = await fuzzer.run(bytes) { KnownFindings.record(finding, input: file) }
        }
        let mutator = FuzzMutator(seeds: inputs.map(\.bytes), tokens: FuzzFiles.tokens(ServerFuzzer.name), maxLength: ServerFuzzer.maxLength)
        for i in 0..<(FuzzFiles.mutations / 2) {
            let input = mutator.input(i, seed: 0x57_49_4E_4E_4F_57)
            if let finding = await fuzzer.run(input) {
                KnownFindings.record(finding, input: "mutation \(i) (base64 \(Data(input).base64EncodedString().prefix(400)))")
            }
        }
    }
}
