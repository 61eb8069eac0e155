import Foundation
import Testing
@testable import WinnowPrompt
@testable import WinnowTokenizers

/// Issue 24: one long word held a worker for minutes (5 KB 1.2 s, 10 KB 3.6 s, 20 KB 13.4 s):
/// BPE rescanned every pair of the word after each merge, O(n²). These tests count the work
/// (``WorkMeter``: BPE lookups and heap steps, sifts included), not the time.
enum LongWord {
    /// One word of `bytes` seeded lowercase letters (one GPT-2 pre-token).
    static func word(_ bytes: Int, seed: UInt64 = 24) -> String {
        var state = seed
        var scalars = String.UnicodeScalarView()
        for _ in 0 ..< bytes {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            scalars.append(Unicode.Scalar(UInt8(97 + (state >> 33) % 26)))
        }
        return String(scalars)
    }

    /// `[[[…]]]`: `bytes / 2` opening then as many closing brackets (one pre-token of punctuation).
    static func brackets(_ bytes: Int) -> String {
        String(repeating: "[", count: bytes / 2) + String(repeating: "]", count: bytes / 2)
    }

    /// The small byte-level BPE fixture of the tokenizer tests.
    static let smallBPE = TestSupport.fixtures.appendingPathComponent("bpe-small-tokenizer.json").path

    /// The counters to measure: the small BPE fixture always, GPT-2 when present.
    static var counters: [String] {
        var names = ["hf:" + smallBPE]
        if TestSupport.model("gpt2.tiktoken") != nil { names.append("gpt2") }
        return names
    }


    static let compressor: PromptCompressor? = {
        var c = PromptCompressor.Configuration()
        c.modelsDirectory = TestSupport.packageRoot.appendingPathComponent("models").path
        c.tokenizer = "whitespace"
        c.useEmbedder = false
        c.useWordModel = false
        return try? PromptCompressor(configuration: c)
    }()

    /// Work counted while compressing `context` (with a short paragraph beside it) to half.
    static func work(_ context: String, counter: String) throws -> Int {
        guard let compressor else { throw PromptError("test", "the compressor did not load") }
        var request = CompressionRequest(context: [context, prose[0]], question: "Who designed the tower?", rate: 0.5)
        request.tokenizer = counter
        let meter = WorkMeter()
        try WorkMeter.$current.withValue(meter) { _ = try compressor.compress(request) }
        return meter.steps
    }
}

@Suite("Long words cost work linear in their length")
struct LongWordWorkTests {
    @Test("a 10/20/40 KB word and 10/20/40 KB of brackets: work at most ×2.3 per doubling (was ×4)",
          arguments: ["word", "brackets"])
    func linearWork(kind: String) throws {
        for counter in LongWord.counters {
            var steps: [Int] = []
            for kb in [10, 20, 40] {
                let text = kind == "word" ? LongWord.word(kb * 1024) : LongWord.brackets(kb * 1024)
                steps.append(try LongWord.work(text, counter: counter))
            }
            let label = "\(kind) with \(counter.split(separator: "/").last ?? "") — steps at 10/20/40 KB: \(steps)"
            print("work counted: \(label)")
            #expect(steps[0] > 10 * 1024, "\(label): the meter saw no merging")
            // n log n doubles to 2.1–2.2× here; the old rescan quadrupled (16× from 10 to 40 KB).
            #expect(Double(steps[1]) / Double(steps[0]) <= 2.3, "\(label)")
            #expect(Double(steps[2]) / Double(steps[1]) <= 2.3, "\(label)")
            #expect(Double(steps[2]) / Double(steps[0]) <= 5.0, "\(label)")
        }
    }

    @Test("the heap merge gives the same ids as the plain rescan on hard strings", arguments: [
        "", "a", "aaaaaaaaaaaaaaaaaaaaaaa", "abababababababab", "[[[[[[[[[]]]]]]]]]", " hello world", "ééééé東京東京",
        "Supercalifragilisticexpialidocious", "!!!???...,,,", "\n\n\n  \t", "0123456789012345678901234567890",
    ])
    func sameCounts(text: String) throws {
        let hf = try HuggingFaceTokenizer(file: LongWord.smallBPE)
        let long = text + LongWord.word(300) + text
        #expect(hf.encode(text) == hf.rescanEncode(text[...]))
        #expect(hf.encode(long) == hf.rescanEncode(long[...]))
        if let path = TestSupport.model("gpt2.tiktoken") {
            let gpt2 = try TiktokenTokenizer(file: path)
            #expect(gpt2.encode(text) == gpt2.rescanEncode(text[...]))
            #expect(gpt2.encode(long) == gpt2.rescanEncode(long[...]))
        }
    }
}
