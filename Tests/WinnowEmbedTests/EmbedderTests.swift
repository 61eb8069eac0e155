import Foundation
import TensorCore
import Testing
@testable import WinnowEmbed

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
    }
    return dot / max((na * nb).squareRoot(), 1e-30)
}

@Suite("all-MiniLM-L6-v2 embeddings", .enabled(if: ReferenceFixtures.hasModel, "\(ReferenceFixtures.skipMessage)"))
struct EmbedderTests {
    @Test("loads the model and reports its shape")
    func loads() throws {
        let embedder = try ReferenceFixtures.embedder.get()
        #expect(embedder.dimension == 384)
        #expect(embedder.normalizes)
        #expect(embedder.model.configuration.layerCount == 6)
    }

    @Test("cosine ≥ 0.9999 with sentence-transformers for every reference line",
          .enabled(if: ReferenceFixtures.hasReference, "\(ReferenceFixtures.skipMessage)"))
    func referenceParity() throws {
        BLAS.setThreadCount(1)
        let embedder = try ReferenceFixtures.embedder.get()
        let lines = try ReferenceFixtures.lines()
        let vectors = embedder.embed(lines.map(\.text), batchSize: 16)
        #expect(vectors.count == lines.count)
        var worst = 1.0
        for (line, vector) in zip(lines, vectors) {
            let similarity = cosine(vector, line.embedding)
            worst = min(worst, similarity)
            if similarity < 0.9999 {
                Issue.record("cosine \(similarity) for \(String(reflecting: line.text.prefix(80)))")
            }
        }
        #expect(worst >= 0.9999, "worst cosine \(worst) over \(lines.count) lines")
    }

    @Test("batching and padding do not change a text's vector")
    func batchingInvariant() throws {
        let embedder = try ReferenceFixtures.embedder.get()
        let texts = ["A man is eating food.", "A much longer sentence that needs quite a few more tokens than the first one does.", "ok"]
        let together = embedder.embed(texts, batchSize: 3)
        for (index, text) in texts.enumerated() {
            let alone = embedder.embed([text])[0]
            #expect(cosine(alone, together[index]) > 0.999_999)
        }
        #expect(embedder.embed([]).isEmpty)
    }

    @Test("the parallel matrix API gives the same bits for 1 and 2 workers, in input order")
    func parallelDeterministic() throws {
        let embedder = try ReferenceFixtures.embedder.get()
        let texts = (0 ..< 40).map { i in
            "Sentence \(i) is about " + String(repeating: "topic \(i % 7) and more words ", count: i % 5 + 1)
        }
        let one = try embedder.embedMatrix(texts, workers: 1, batchSize: 8, maxBatchTokens: 256)
        let two = try embedder.embedMatrix(texts, workers: 2, batchSize: 8, maxBatchTokens: 256)
        #expect(one.count == texts.count * embedder.dimension)
        #expect(one == two)
        let rows = embedder.embed(texts, batchSize: 8, maxBatchTokens: 256)
        for (i, row) in rows.enumerated() {
            #expect(Array(one[i * embedder.dimension ..< (i + 1) * embedder.dimension]) == row)
        }
        #expect(try embedder.embedMatrix([], workers: 2).isEmpty)
    }
}

@Suite("Embedder loading errors")
struct EmbedderLoadingTests {
    @Test("a folder without the model fails with the file named")
    func missingModel() throws {
        let folder = try ModelFolder(path: "/tmp")
        #expect {
            _ = try BertModel(folder: folder)
        } throws: { error in
            (error as? EmbedError)?.description.contains("/tmp/config.json") == true
        }
    }

    @Test("a path that is not a folder is rejected")
    func notAFolder() {
        #expect(throws: EmbedError(path: "/nonexistent/model", message: "model folder not found")) {
            try ModelFolder(path: "/nonexistent/model")
        }
    }
}
