import Foundation
import Testing
import WinnowCore
import WinnowIO

/// The all-MiniLM-L6-v2 folder beside the package (scripts/fetch-models.sh puts it there).
private let modelPath: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0 ..< 3 { url.deleteLastPathComponent() }
    return url.path + "/models/all-MiniLM-L6-v2"
}()
private let hasModel = FileManager.default.fileExists(atPath: modelPath + "/model.safetensors")

/// Short real-looking documents in two files, a few below the length filter.
private func writeDocs(_ dir: String) throws -> [String: String] {
    var texts: [String: String] = [:]
    try FileSystem.createDirectory(dir + "/in")
    for f in 0 ..< 2 {
        var out = ""
        for i in 0 ..< 12 {
            let id = "f\(f)-\(i)"
            let text = i % 5 == 4 ? "tiny" : "Document \(id) describes the weather in city number \(i * 7 + f), which was \(["sunny", "rainy", "cold"][i % 3]) today."
            texts[id] = text
            out += "{\"id\":\"\(id)\",\"text\":\"\(text)\"}\n"
        }
        try FileSystem.writeAll(dir + "/in/part-\(f).jsonl", Array(out.utf8))
    }
    return texts
}

@Suite("Embedding runs", .serialized, .enabled(if: hasModel, "needs \(modelPath) (run scripts/fetch-models.sh)"))
struct EmbedRunTests {
    @Test("the embed stage writes embeddings/ byte-identically for 1 and 2 workers, one row per document reaching it")
    func stageDeterministic() throws {
        let dir = try temporaryFolder()
        let texts = try writeDocs(dir)
        var outputs: [[UInt8]] = []
        for workers in [1, 2] {
            let recipe = """
                name: emb
                input: { path: "in/*.jsonl", shard_size: 1 }
                output: { path: out\(workers), format: jsonl }
                stages:
                  - length: { min_chars: 10 }
                  - embed: { model: "\(modelPath)" }
                """
            try FileSystem.writeAll(dir + "/r.yaml", Array(recipe.utf8))
            let r = try runWinnow(["run", "r.yaml", "--workers", "\(workers)", "--quiet"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try FileSystem.readAll(dir + "/out\(workers)/embeddings/vectors.npy"))
            let ids = String(decoding: try FileSystem.readAll(dir + "/out\(workers)/embeddings/ids.txt"), as: UTF8.self)
                .split(separator: "\n").map(String.init)
            #expect(ids == (0 ..< 2).flatMap { f in (0 ..< 12).filter { $0 % 5 != 4 }.map { "f\(f)-\($0)" } })
            let m = try NpyMatrix(path: dir + "/out\(workers)/embeddings/vectors.npy")
            #expect(m.rows == ids.count && m.columns == 384)
            // Unit vectors, and the two weather sentences about the same city index are close.
            for r in 0 ..< m.rows {
                let norm = m.row(r).reduce(0) { $0 + $1 * $1 }.squareRoot()
                #expect(abs(norm - 1) < 1e-4)
            }
            #expect(texts.count == 24)
        }
        #expect(outputs[0] == outputs[1])
    }

    @Test("winnow embed streams a numpy-loadable matrix and the ids; bad input names file:line and leaves no file")
    func command() throws {
        let dir = try temporaryFolder()
        _ = try writeDocs(dir)
        let r = try runWinnow(
            ["embed", "--input", "in/part-0.jsonl", "in/part-1.jsonl", "--output", "v.npy", "--ids", "ids.txt",
             "--model", modelPath, "--chunk", "5", "--workers", "2"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("embedded 24 documents"))
        let m = try NpyMatrix(path: dir + "/v.npy")
        #expect(m.rows == 24 && m.columns == 384)
        let ids = String(decoding: try FileSystem.readAll(dir + "/ids.txt"), as: UTF8.self).split(separator: "\n")
        #expect(ids.first == "f0-0" && ids.last == "f1-11" && ids.count == 24)

        // Chunking changes nothing but float rounding: same vectors in one chunk.
        let whole = try runWinnow(["embed", "--input", "in/*.jsonl", "--output", "w.npy", "--model", modelPath], in: dir)
        #expect(whole.status == 0, "\(whole.stderr)")
        let w = try NpyMatrix(path: dir + "/w.npy")
        for r in 0 ..< 24 {
            let dot = zip(m.row(r), w.row(r)).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(dot > 0.99999)
        }

        try FileSystem.writeAll(dir + "/bad.jsonl", Array("{\"id\":\"a\",\"text\":\"fine\"}\n{\"id\":\"b\",\"text\":\"broken\n".utf8))
        let bad = try runWinnow(["embed", "--input", "bad.jsonl", "--output", "b.npy", "--model", modelPath], in: dir)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("bad.jsonl:2"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/b.npy"))

        let missing = try runWinnow(["embed", "--input", "in/*.jsonl", "--output", "x.npy"], in: dir, env: ["WINNOW_MODELS": dir + "/none", "HOME": dir])
        if !FileManager.default.fileExists(atPath: dir + "/models") {
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("make deps-models"), "\(missing.stderr)")
        }
    }
}

/// OpenBLAS is opened by the first matrix call, not linked (TensorCore's `BLAS`).
@Suite("OpenBLAS loading")
struct OpenBLASLoadingTests {
    @Test("a run that multiplies no matrix never opens OpenBLAS: it succeeds with an unloadable library named")
    func notOpenedWithoutMatrices() throws {
        let dir = try temporaryFolder()
        _ = try writeDocs(dir)
        let recipe = """
            name: no-blas
            input: { path: "in/*.jsonl" }
            output: { path: out, format: jsonl }
            stages:
              - length: { min_chars: 10 }
              - exact_dedup: {}
            """
        try FileSystem.writeAll(dir + "/r.yaml", Array(recipe.utf8))
        let r = try runWinnow(["run", "r.yaml", "--quiet"], in: dir, env: ["WINNOW_OPENBLAS_LIBRARY": dir + "/no-such-libopenblas.so"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("OpenBLAS"))
        var lines = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: dir + "/out/data") {
            lines += String(decoding: try FileSystem.readAll(dir + "/out/data/" + name), as: UTF8.self).split(separator: "\n").count
        }
        #expect(lines == 20)
    }

    @Test("a command that needs OpenBLAS and cannot open it fails with the library's name and writes nothing",
          .enabled(if: hasModel, "needs \(modelPath) (run scripts/fetch-models.sh)"))
    func missingLibraryIsAnError() throws {
        let dir = try temporaryFolder()
        _ = try writeDocs(dir)
        for library in [dir + "/no-such-libopenblas.so", "libz.so.1"] {
            let r = try runWinnow(
                ["embed", "--input", "in/part-0.jsonl", "--output", "v.npy", "--model", modelPath], in: dir,
                env: ["WINNOW_OPENBLAS_LIBRARY": library])
            #expect(r.status == 1, "\(r.stderr)")
            #expect(!r.signaled)
            #expect(r.stderr.contains("OpenBLAS") && r.stderr.contains(library == "libz.so.1" ? "has no symbol cblas_sgemm" : "no-such-libopenblas.so"),
                    "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/v.npy"))
        }
    }
}
