import Foundation
import Testing
@testable import WinnowTokenizers

@Suite("Token counters and BPE parity")
struct TokenCounterTests {
    struct Row: Decodable {
        var text: String
        var gpt2: Int
        var hf_small: Int
    }

    static let rows: [Row] = {
        let data = (try? Data(contentsOf: TestSupport.fixtures.appendingPathComponent("bpe-counts.json"))) ?? Data()
        return (try? JSONDecoder().decode([Row].self, from: data)) ?? []
    }()

    @Test("whitespace counts runs of non-space characters", arguments: [
        ("", 0), ("one", 1), ("  two  words ", 2), ("tab\tand\nnewline", 3), ("東京都 に", 2), ("a\u{00A0}b", 2),
    ])
    func whitespace(text: String, expected: Int) {
        #expect(WhitespaceTokenCounter().count(text) == expected)
    }

    @Test("a Hugging Face byte-level BPE counts exactly as the tokenizers library")
    func huggingFaceParity() throws {
        #expect(TokenCounterTests.rows.count == 27)
        let counter = try HuggingFaceTokenizer(file: TestSupport.fixtures.appendingPathComponent("bpe-small-tokenizer.json").path)
        for row in TokenCounterTests.rows {
            #expect(counter.count(row.text) == row.hf_small, "\(row.text.debugDescription)")
        }
    }

    @Test("GPT-2 counts exactly as tiktoken (needs models/gpt2.tiktoken)")
    func tiktokenParity() throws {
        guard let path = TestSupport.model("gpt2.tiktoken") else {
            try Test.cancel("models/gpt2.tiktoken is absent (make deps-models)")
        }
        let counter = try TiktokenTokenizer(file: path)
        for row in TokenCounterTests.rows {
            #expect(counter.count(row.text) == row.gpt2, "\(row.text.debugDescription)")
        }
        // Repeated calls hit the piece cache and must agree.
        for row in TokenCounterTests.rows { #expect(counter.count(row.text) == row.gpt2) }
    }

    @Test("the hand-coded GPT-2 pre-tokeniser cuts as the same pattern run by Swift Regex")
    func gpt2PatternMatchesRegex() throws {
        let regex = try PreTokenizer.regex(#"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#)
        for row in TokenCounterTests.rows {
            var fast: [Substring] = []
            var slow: [Substring] = []
            PreTokenizer.gpt2.forEachPiece(of: row.text[...]) { fast.append($0) }
            regex.forEachPiece(of: row.text[...]) { slow.append($0) }
            #expect(fast == slow, "\(row.text.debugDescription)")
            #expect(fast.joined() == row.text)
        }
    }

    @Test("WordPiece counts match the reference ids of sentence-transformers (needs the model and ../shared)")
    func wordPieceParity() throws {
        guard let folder = TestSupport.model("all-MiniLM-L6-v2"),
            let reference = TestSupport.shared("reference/minilm-reference-small.jsonl")
        else {
            try Test.cancel(TestSupport.model("all-MiniLM-L6-v2") == nil
                ? "models/all-MiniLM-L6-v2 is absent (make deps-models)" : "../shared/reference/minilm-reference-small.jsonl is absent")
        }
        let counter = try TokenCounters.named("wordpiece:" + folder)
        struct Ref: Decodable { var text: String; var n_tokens_untruncated: Int }
        let lines = try String(contentsOfFile: reference, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 50)
        for line in lines {
            let ref = try JSONDecoder().decode(Ref.self, from: Data(line.utf8))
            #expect(counter.count(ref.text) == ref.n_tokens_untruncated - 2, "\(ref.text.prefix(60))")
        }
    }

    @Test("bad tokenizer files and names fail with the file and line")
    func badInputs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-tokenizers-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.tiktoken")
        try "IQ== 0\nnot-base64 x\n".write(to: bad, atomically: true, encoding: .utf8)
        #expect { try TiktokenTokenizer(file: bad.path) } throws: { ($0 as? TokenizerError)?.location == bad.path + ":2" }
        let partial = dir.appendingPathComponent("partial.tiktoken")
        try "IQ== 0\n".write(to: partial, atomically: true, encoding: .utf8)
        #expect { try TiktokenTokenizer(file: partial.path) } throws: { "\($0)".contains("byte 0 has no rank") }
        let json = dir.appendingPathComponent("tokenizer.json")
        try #"{"model": {"type": "WordLevel", "vocab": {}}}"#.write(to: json, atomically: true, encoding: .utf8)
        #expect { try HuggingFaceTokenizer(file: json.path) } throws: { "\($0)".contains("WordLevel is not supported") }
        try "{\n\"model\": {\"type\": \"BPE\",\n \"vocab\": {,}}}".write(to: json, atomically: true, encoding: .utf8)
        #expect { try HuggingFaceTokenizer(file: json.path) } throws: { ($0 as? TokenizerError)?.location == json.path + ":3" }
        try #"{"model": {"type": "BPE", "vocab": {"a": 0}}, "normalizer": {"type": "Precompiled"}}"#.write(to: json, atomically: true, encoding: .utf8)
        #expect { try HuggingFaceTokenizer(file: json.path) } throws: { "\($0)".contains("Precompiled is not supported") }
        #expect { try TokenCounters.named("sentencepiece") } throws: { "\($0)".contains("unknown token counter") }
        #expect { try TokenCounters.named("tiktoken:/nonexistent/x.tiktoken") } throws: { "\($0)".contains("cannot read") }
    }
}
