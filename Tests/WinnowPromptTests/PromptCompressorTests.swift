import Foundation
import Synchronization
import Testing
@testable import WinnowPrompt

/// Every output character is an input character, in order (so no grapheme was split or made up).
func isCharacterSubsequence(_ output: String, of input: String) -> Bool {
    var it = input.makeIterator()
    outer: for ch in output where !ch.isWhitespace {
        while let c = it.next() { if c == ch { continue outer } }
        return false
    }
    return true
}

/// Every whitespace-separated output word is an input word, in order.
func isWordSubsequence(_ output: String, of input: String) -> Bool {
    var it = input.split(whereSeparator: \.isWhitespace).makeIterator()
    outer: for w in output.split(whereSeparator: \.isWhitespace) {
        while let x = it.next() { if x == w { continue outer } }
        return false
    }
    return true
}

let prose = [
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It is named after the engineer Gustave Eiffel, whose company designed and built the tower from 1887 to 1889.",
    "Bananas are elongated, edible fruit produced by several kinds of large herbaceous flowering plants. In some countries, bananas used for cooking may be called plantains.",
    "Mount Everest is Earth's highest mountain above sea level, located in the Mahalangur Himal sub-range of the Himalayas. Its elevation of 8,848.86 m was most recently established in 2020.",
    "The Great Wall of China is a series of fortifications that were built across the historical northern borders of ancient Chinese states. Several walls were built from as early as the 7th century BC.",
]

@Suite("Prompt compressor")
struct PromptCompressorTests {
    let compressor = TestSupport.bare

    @Test("ranks the relevant context first and keeps it")
    func ranksRelevantContext() throws {
        let r = try compressor.compress(CompressionRequest(context: prose, question: "When was the Eiffel Tower built?", rate: 0.4))
        #expect(r.contexts[0].rank == 0)
        #expect(r.contexts[0].label != "dropped")
        #expect(r.compressedPrompt.contains("Eiffel"))
        #expect(r.contexts.contains { $0.label == "dropped" })
        #expect(r.compressedTokens < r.originTokens)
    }

    @Test("marked spans, force tokens and numbers survive byte for byte", arguments: [0.05, 0.2, 0.5])
    func protectedContent(rate: Double) throws {
        var context = prose
        context[1] += " <keep>Protected span: do NOT  change\tthis, 😀.</keep> trailing words here"
        context[3] = "Prefix words <llmlingua, compress=False>Second marker style</llmlingua> then more text follows."
        var request = CompressionRequest(context: context, question: "Which is the highest mountain?", rate: rate)
        request.forceTokens = ["Gustave Eiffel", "plantains"]
        request.keepNumbers = true
        let r = try compressor.compress(request)
        #expect(r.compressedPrompt.contains("Protected span: do NOT  change\tthis, 😀."))
        #expect(r.compressedPrompt.contains("Second marker style"))
        #expect(!r.compressedPrompt.contains("<keep>") && !r.compressedPrompt.contains("llmlingua"))
        #expect(r.compressedPrompt.contains("Gustave Eiffel,") || r.compressedPrompt.contains("Gustave Eiffel"))
        #expect(r.compressedPrompt.contains("plantains."))
        for number in ["1887", "1889", "8,848.86", "2020."] { #expect(r.compressedPrompt.contains(number), "\(number)") }
        #expect(r.contexts[1].label != "dropped")
    }

    @Test("URLs and code fences are kept whole")
    func urlsAndCode() throws {
        let code = "```swift\nlet x = [1, 2, 3].map { $0 * 2 }\nprint(x)\n```"
        let context = prose + ["See https://example.com/path?q=1&r=2 for details about the unrelated topic of gardening and soil.", "Example:\n" + code + "\nThat was code about arrays."]
        let r = try compressor.compress(CompressionRequest(context: context, question: "What is the elevation of Everest?", rate: 0.1))
        #expect(r.compressedPrompt.contains("https://example.com/path?q=1&r=2"))
        #expect(r.compressedPrompt.contains(code))
    }

    @Test("output words are an in-order subsequence of the input words")
    func subsequence() throws {
        let input = prose.joined(separator: "\n\n")
        for rate in [0.1, 0.3, 0.6, 0.9] {
            let r = try compressor.compress(CompressionRequest(context: prose, question: "Where is the Great Wall?", rate: rate))
            #expect(isWordSubsequence(r.compressedPrompt.replacingOccurrences(of: "Where is the Great Wall?", with: ""), of: input))
        }
    }

    @Test("CJK, emoji and ZWJ sequences are never split", arguments: [0.2, 0.5, 0.8])
    func graphemes(rate: Double) throws {
        let context = [
            "我们今天去北京大学看书。东京都に住んでいます。안녕하세요 세계!",
            "家族 👨‍👩‍👧‍👦 と 👍🏽 と 🇫🇷 の旗。Crème brûlée coûte 5€ à Zürich — naïve café.",
            "e\u{301}te\u{301} accents combinants; हिन्दी पाठ; ภาษาไทย ข้อความ",
        ]
        let r = try compressor.compress(CompressionRequest(context: context, question: "北京大学", rate: rate))
        let input = context.joined(separator: "\n\n") + "\n\n北京大学"
        #expect(isCharacterSubsequence(r.compressedPrompt, of: input))
        #expect(String(decoding: Array(r.compressedPrompt.utf8), as: UTF8.self) == r.compressedPrompt)
        for emoji in ["👨‍👩‍👧‍👦", "👍🏽", "🇫🇷"] where r.compressedPrompt.unicodeScalars.contains(emoji.unicodeScalars.first!) {
            #expect(r.compressedPrompt.contains(emoji))
        }
        #expect(r.compressedTokens <= r.originTokens)
    }

    @Test("a JSON context stays valid JSON", arguments: [0.1, 0.3, 0.7])
    func jsonContext(rate: Double) throws {
        let json = #"{"title": "Eiffel Tower", "body": "The tower was built from 1887 to 1889 by the company of Gustave Eiffel for the World's Fair.", "tags": ["paris", "iron \"lattice\" tower"], "height_m": 330, "nested": {"note": "It was the tallest man-made structure in the world until 1930."}}"#
        let r = try compressor.compress(CompressionRequest(context: [json] + prose, question: "Who built the Eiffel Tower?", rate: rate))
        let out = r.compressedContext.first { $0.hasPrefix("{") }
        if let out {
            #expect((try? JSONSerialization.jsonObject(with: Data(out.utf8))) != nil, "\(out)")
        }
        #expect(r.contexts[0].label != "dropped")
    }

    @Test("empty and one-word inputs do not fail")
    func tinyInputs() throws {
        for request in [
            CompressionRequest(context: []), CompressionRequest(context: [""]), CompressionRequest(context: ["word"]),
            CompressionRequest(context: ["word"], rate: 0.01), CompressionRequest(context: ["", "   ", "\n"], question: "q?"),
            CompressionRequest(instruction: "Only an instruction.", context: [], rate: 0.1), CompressionRequest(context: ["😀"], targetTokens: 0),
        ] {
            let r = try compressor.compress(request)
            #expect(r.contexts.count == request.context.count)
            #expect(r.compressedTokens <= max(r.originTokens, 1))
        }
    }

    @Test("bad requests fail with where and what")
    func badRequests() throws {
        func fails(_ json: String, _ fragment: String) {
            #expect(throws: PromptError.self) { try compressor.compress(try CompressionRequest.decode(json: Data(json.utf8))) }
            do {
                _ = try compressor.compress(try CompressionRequest.decode(json: Data(json.utf8)))
            } catch {
                #expect("\(error)".contains(fragment), "\(error)")
            }
        }
        fails(#"{"context": ["a"], "rate": 0}"#, "request.rate")
        fails(#"{"context": ["a"], "rate": 1.5}"#, "request.rate")
        fails(#"{"context": ["a"], "rate": 0.5, "target_tokens": 3}"#, "not both")
        fails(#"{"context": ["a"], "rat": 0.5}"#, "unknown key \"rat\"")
        fails(#"{"context": ["one <keep>two"], "rate": 0.5}"#, "request.context[0]: byte 4: keep marker is not closed")
        fails(#"{"context": ["ok", "one </keep> two"], "rate": 0.5}"#, "request.context[1]: byte 4")
        fails(#"{"context": ["a"], "rank_method": "tfidf"}"#, "unknown method")
        fails(#"{"context": ["a"], "reorder_context": "random"}"#, "reorder_context")
        fails(#"{"context": 5}"#, "request.context")
        fails(#"{"context": ["a"], "#, "invalid JSON")
        fails(#"{"context": ["a"], "tokenizer": "nope"}"#, "unknown token counter")
    }

    @Test("same request → identical result; threads sharing one compressor agree")
    func deterministicAndThreadSafe() throws {
        var request = CompressionRequest(context: prose + prose.map { $0.uppercased() }, question: "How tall is Mount Everest?", rate: 0.3)
        request.reorderContext = "ends"
        var first = try compressor.compress(request)
        first.timingsMS = nil
        let shared = request
        let compressor = self.compressor
        let results = Mutex<[CompressionResult?]>(Array(repeating: nil, count: 8))
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            var r = try? compressor.compress(shared)
            r?.timingsMS = nil
            results.withLock { $0[i] = r }
        }
        for r in results.withLock({ $0 }) { #expect(r == first) }
    }

    @Test("reordering puts the best contexts at the ends")
    func reorder() throws {
        var request = CompressionRequest(context: prose, question: "Eiffel Tower Paris engineer", rate: 1)
        request.reorderContext = "ends"
        let r = try compressor.compress(request)
        #expect(r.compressedContext.count == 4)
        #expect(r.compressedContext.first == prose[0])
        request.reorderContext = "rank"
        #expect(try compressor.compress(request).compressedContext.first == prose[0])
    }
}
