import Testing
import WinnowCore
import WinnowFilters

@Suite("length")
struct LengthFilterTests {
    let ctx = StageContext()

    @Test("word bounds, just above and just below", arguments: [
        ("one two", Verdict.drop(reason: "too_few_words")),
        ("one two three", .keep),
        ("one  two\tthree\nfour", .keep),
        ("one two three four five six", .drop(reason: "too_many_words")),
        ("", .drop(reason: "too_few_words")),
        ("   \n\t ", .drop(reason: "too_few_words")),
    ])
    func words(text: String, expected: Verdict) {
        #expect(LengthFilter(minWords: 3, maxWords: 5).verdict(for: Document(text), context: ctx) == expected)
    }

    @Test("characters are Unicode scalars, not bytes", arguments: [
        ("東京都", Verdict.keep), ("東京", .drop(reason: "too_short")), ("🙂🙂🙂", .keep), ("abcd", .drop(reason: "too_long")),
    ])
    func characters(text: String, expected: Verdict) {
        #expect(LengthFilter(minCharacters: 3, maxCharacters: 3).verdict(for: Document(text), context: ctx) == expected)
    }

    @Test("needs at least one bound")
    func needsBound() {
        #expect(throws: ConfigError.self) { _ = try LengthFilter.descriptor.build(nil) }
    }
}

@Suite("sample")
struct SampleFilterTests {
    @Test("keeps about the fraction, deterministically")
    func fraction() {
        let f = SampleFilter(fraction: 0.3, seed: 5)
        let ctx = StageContext(seed: 0)
        let docs = (0..<10_000).map { Document(id: "d\($0)", text: "text \($0)") }
        let kept = docs.filter { f.verdict(for: $0, context: ctx) == .keep }
        #expect(abs(Double(kept.count) / 10_000 - 0.3) < 0.02)
        let again = docs.filter { f.verdict(for: $0, context: StageContext(seed: 0, shard: 9)) == .keep }
        #expect(kept == again)  // does not depend on the shard
        let otherSeed = docs.filter { f.verdict(for: $0, context: StageContext(seed: 1)) == .keep }
        #expect(kept != otherSeed)
    }

    @Test("fraction 0 and 1")
    func extremes() {
        let d = Document(id: "x", text: "y")
        #expect(SampleFilter(fraction: 0).verdict(for: d, context: StageContext()) == .drop(reason: "sampled_out"))
        #expect(SampleFilter(fraction: 1).verdict(for: d, context: StageContext()) == .keep)
    }

    @Test("fraction is required and within 0–1")
    func config() {
        #expect(throws: ConfigError.self) { _ = try SampleFilter.descriptor.build(nil) }
        let bad = ConfigValue(.mapping([("fraction", ConfigValue(.scalar("2")))]))
        #expect(throws: ConfigError.self) { _ = try SampleFilter.descriptor.build(bad) }
    }
}
