import Foundation
import Testing
@testable import WinnowPrompt

@Suite("Rate adherence")
struct RateAdherenceTests {
    /// Prompts of about `tokens` whitespace words from consecutive SQuAD paragraphs.
    static func prompt(_ paragraphs: [String], tokens: Int, offset: Int) -> [String] {
        var out: [String] = []
        var n = 0
        var i = offset
        while n < tokens {
            let p = paragraphs[i % paragraphs.count]
            out.append(p)
            n += p.split(separator: " ").count
            i += 1
        }
        return out
    }

    @Test("achieved / requested within ±10 % from 200 to 50,000 tokens (needs ../shared)", arguments: [200, 1_000, 5_000, 20_000, 50_000])
    func adherence(size: Int) throws {
        guard let paragraphs = TestSupport.squadParagraphs() else {
            try Test.cancel("../shared/data/qa/squad-dev is absent")
        }
        var counters: [(PromptCompressor, String)] = [(TestSupport.bare, "whitespace")]
        if TestSupport.model("gpt2.tiktoken") != nil {
            var c = PromptCompressor.Configuration()
            c.modelsDirectory = TestSupport.packageRoot.appendingPathComponent("models").path
            c.useEmbedder = false
            counters.append((try PromptCompressor(configuration: c), "gpt2 + wordfreq"))
        }
        let context = RateAdherenceTests.prompt(paragraphs, tokens: size, offset: size % 97)
        for (compressor, label) in counters {
            for rate in [0.5, 0.33, 0.2, 0.1] {
                let r = try compressor.compress(CompressionRequest(context: context, question: "What was the name of the first building?", rate: rate))
                let ratio = r.achievedRate / rate
                #expect(abs(ratio - 1) <= 0.1, "\(label) size \(size) rate \(rate): achieved \(r.achievedRate) (\(r.compressedTokens)/\(r.originTokens))")
            }
            let t = max(10, size / 7)
            let r = try compressor.compress(CompressionRequest(context: context, question: "Who?", targetTokens: t))
            #expect(abs(Double(r.compressedTokens) / Double(t) - 1) <= 0.1, "\(label) size \(size) target \(t): \(r.compressedTokens)")
        }
    }
}
