import Foundation
import Testing
@testable import WinnowTokenizers

/// Token ids equal Hugging Face `tokenizers`' on hard strings and real documents (reference ids
/// written by bench/gen_tokenizer_parity_fixtures.py; the full ≥ 2,000-document check is
/// bench/tokenizer_parity.py).
@Suite("Token ids equal Hugging Face tokenizers")
struct ParityTests {
    struct Row: Decodable {
        var text: String
        var ids: [Int32]
    }

    static func rows(_ name: String) throws -> [Row] {
        let data = try Data(contentsOf: TestSupport.fixtures.appendingPathComponent(name))
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(Row.self, from: Data($0)) }
    }

    /// Encodes every row twice (the second time through the piece cache) and records each mismatch.
    static func check(_ tokenizer: any Tokenizer, _ rows: [Row]) {
        for pass in 0 ..< 2 {
            for row in rows {
                let ids = tokenizer.encode(row.text)
                guard ids != row.ids else { continue }
                let at = (0 ..< min(ids.count, row.ids.count)).first { ids[$0] != row.ids[$0] } ?? min(ids.count, row.ids.count)
                Issue.record("pass \(pass): \(String(reflecting: String(row.text.prefix(60)))): first difference at \(at): got \(Array(ids[max(0, at - 2) ..< min(ids.count, at + 4)])), expected \(Array(row.ids[max(0, at - 2) ..< min(row.ids.count, at + 4)]))")
            }
            #expect(tokenizer.count(rows.last?.text ?? "") == rows.last?.ids.count)
        }
    }

    @Test("GPT-2 through the tiktoken file (needs models/gpt2.tiktoken)")
    func gpt2() throws {
        guard let path = TestSupport.model("gpt2.tiktoken") else { try Test.cancel("models/gpt2.tiktoken is absent (make deps-models)") }
        let rows = try Self.rows("parity-gpt2.jsonl")
        #expect(rows.count >= 37)
        // The tiktoken path reads `<|endoftext|>` in a text as ordinary text (tiktoken's
        // encode_ordinary); a tokenizer.json lists it as an added token, matched whole.
        let tiktoken = try TiktokenTokenizer(file: path)
        Self.check(tiktoken, rows.filter { !$0.text.contains("<|endoftext|>") })
        #expect(tiktoken.encode("<|endoftext|>") == [27, 91, 437, 1659, 5239, 91, 29])  // tiktoken encode_ordinary
        #expect(tiktoken.endOfTextID == 50_256 && tiktoken.tokenID("<|endoftext|>") == 50_256)
    }

    @Test("Mistral 7B v0.1's SentencePiece BPE tokenizer.json: byte fallback, Prepend/Replace normalizer, added tokens (needs models/mistral-7b-v0.1-tokenizer.json)")
    func mistral() throws {
        guard let path = TestSupport.model("mistral-7b-v0.1-tokenizer.json") else {
            try Test.cancel("models/mistral-7b-v0.1-tokenizer.json is absent (scripts/fetch-models.sh)")
        }
        let tokenizer = try HuggingFaceTokenizer(file: path)
        #expect(tokenizer.vocabularySize == 32_000)
        #expect(tokenizer.endOfTextID == 2)
        Self.check(tokenizer, try Self.rows("parity-mistral.jsonl"))
    }

    @Test("a SentencePiece-style Unigram: Viterbi, NFKC/Replace/Lowercase, Metaspace + Digits, byte fallback and fused <unk>",
          arguments: [("unigram-small-tokenizer.json", "parity-unigram.jsonl"), ("unigram-unk-tokenizer.json", "parity-unigram-unk.jsonl")])
    func unigram(file: String, reference: String) throws {
        let tokenizer = try HuggingFaceTokenizer(file: TestSupport.fixtures.appendingPathComponent(file).path)
        Self.check(tokenizer, try Self.rows(reference))
    }

    @Test("pieces that are canonically equivalent but differ in bytes keep their own ids after caching")
    func canonicalEquivalence() throws {
        // U+212B ANGSTROM SIGN and U+00C5 are canonically equivalent (equal as Swift Strings),
        // both letters (one GPT-2 pre-token), and different bytes: different ids.
        let tokenizer = try HuggingFaceTokenizer(file: TestSupport.fixtures.appendingPathComponent("bpe-small-tokenizer.json").path)
        let (a, b) = ("\u{212B}ngstr\u{F6}m", "\u{C5}ngstr\u{F6}m")
        #expect(a == b && Array(a.utf8) != Array(b.utf8))
        let sign = tokenizer.rescanEncode(a[...])  // uncached reference
        let letter = tokenizer.rescanEncode(b[...])
        #expect(sign != letter)
        #expect(tokenizer.encode(a) == sign)
        #expect(tokenizer.encode(b) == letter)  // the cache holds `a`'s ids under an equal String
    }
}
