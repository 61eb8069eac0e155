import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowTokenizers

/// The small byte-level BPE of the tokenizer tests (a real tokenizer.json, kept in the repository).
private let smallBPE: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0 ..< 2 { url.deleteLastPathComponent() }
    return url.path + "/WinnowTokenizersTests/Fixtures/bpe-small-tokenizer.json"
}()

@Suite("substring_dedup token mode", .serialized)
struct SubstringTokenModeTests {
    /// Two input files; the repeated sentence (16 words, 80 bytes) is shorter than 100 bytes.
    static let sentence = "the quiet harbour lamps burned low while seven old boats waited for the tide to turn"
    static let shortRepeat = "green apples fall"

    func write(_ dir: String) throws -> [String] {
        try FileSystem.createDirectory(dir + "/in")
        let texts = [
            ["Opening words. " + Self.sentence + " and more after it, then " + Self.shortRepeat + " here.", "A plain unrelated document with nothing shared."],
            ["Later text: " + Self.sentence + " — then a different ending, " + Self.shortRepeat + " again.", "Another unrelated one entirely."],
        ]
        for (f, docs) in texts.enumerated() {
            var out: [UInt8] = []
            for (i, t) in docs.enumerated() { JSONLCodec().encode(Document(id: "f\(f)-\(i)", text: t), into: &out) }
            try FileSystem.writeAll(dir + "/in/part-\(f).jsonl", out)
        }
        return texts.flatMap { $0 }
    }

    func run(_ dir: String, stage: String, memory: String = "1GiB", out: String) throws -> [Document] {
        let recipe = """
            name: sub
            input: { path: "in/*.jsonl" }
            output: { path: \(out), format: jsonl }
            memory: \(memory)
            stages:
              - substring_dedup: \(stage)
            """
        try FileSystem.writeAll(dir + "/r.yaml", Array(recipe.utf8))
        let r = try runWinnow(["run", "r.yaml", "--workers", "1", "--quiet"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return try readOutput(dir + "/" + out).sorted { $0.id < $1.id }
    }

    @Test("mode tokens cuts a repeat of ≥ min_tokens token ids (below min_bytes) from the later document only; a tiny memory budget gives the same bytes")
    func tokens() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileSystem.writeAll(dir + "/sentinel.txt", Array("keep me".utf8))
        let texts = try write(dir)
        let tokenizer = try HuggingFaceTokenizer(file: smallBPE)
        let sentenceTokens = tokenizer.encode(" " + Self.sentence).count
        let shortTokens = tokenizer.encode(" " + Self.shortRepeat).count
        // The threshold sits between the two repeats (this small BPE splits words finely).
        let minTokens = shortTokens + 3
        #expect(sentenceTokens >= minTokens + 10, "\(sentenceTokens) / \(shortTokens) tokens")
        let stage = "{ mode: tokens, tokenizer: \"hf:\(smallBPE)\", min_tokens: \(minTokens) }"
        let docs = try run(dir, stage: stage, out: "out-tokens")
        #expect(docs.count == 4)
        let first = try #require(docs.first { $0.id == "f0-0" })
        let later = try #require(docs.first { $0.id == "f1-0" })
        #expect(first.text == texts[0])
        #expect(!later.text.contains("harbour lamps burned low while seven old boats"), "\(later.text)")
        #expect(later.text.hasPrefix("Later text:") && later.text.contains("different ending"), "\(later.text)")
        #expect(later.text.contains(Self.shortRepeat), "a repeat below min_tokens was cut: \(later.text)")
        #expect((later.metadata["substring_bytes_removed"]?.intValue ?? 0) >= Int64(Self.sentence.utf8.count - 10))
        #expect(docs.first { $0.id == "f1-1" }?.text == texts[3])
        // Byte mode with its default 100 bytes leaves the 85-byte repeat alone.
        let bytes = try run(dir, stage: "{}", out: "out-bytes")
        #expect(bytes.map(\.text) == texts)
        // A 2 KiB budget: suffix arrays per block and their merge, the same output.
        let spilled = try run(dir, stage: stage, memory: "2KiB", out: "out-spilled")
        #expect(spilled.map(\.text) == docs.map(\.text))
        #expect(FileSystem.exists(dir + "/sentinel.txt"))
    }

    @Test("mode tokens with an unknown tokenizer is a configuration error naming the stage")
    func badTokenizer() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try write(dir)
        let recipe = """
            name: sub
            input: { path: "in/*.jsonl" }
            output: { path: out, format: jsonl }
            stages:
              - substring_dedup: { mode: tokens, tokenizer: "hf:\(dir)/missing.json" }
            """
        try FileSystem.writeAll(dir + "/r.yaml", Array(recipe.utf8))
        let r = try runWinnow(["run", "r.yaml", "--quiet"], in: dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains("substring_dedup") && r.stderr.contains("missing.json"), "\(r.stderr)")
    }
}
