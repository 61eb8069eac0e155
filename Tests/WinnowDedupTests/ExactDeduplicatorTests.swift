import Foundation
import Testing
import WinnowCore
import WinnowDedup
import WinnowIO

@Suite("exact_dedup")
struct ExactDeduplicatorTests {
    func run(_ shards: [[String]], normalize: Bool = true) throws -> [[(Verdict, String?)]] {
        try runCorpusStage(ExactDeduplicator(normalize: normalize), shards).map { shard in
            shard.map { ($0.verdict, $0.document.metadata["duplicate_of"]?.stringValue) }
        }
    }

    @Test("keeps the first occurrence in shard order and names it")
    func firstOccurrence() throws {
        let r = try run([["a", "b", "A  "], ["b", "c"], ["c", "a", "new"]])
        let kept = r.map { $0.map { $0.0 == .keep } }
        #expect(kept == [[true, true, false], [false, true], [false, false, true]])
        #expect(r[0][2].1 == "s0d0")
        #expect(r[1][0].1 == "s0d1")
        #expect(r[2][0].1 == "s1d1")
        #expect(r[2][1].1 == "s0d0")
    }

    @Test("normalize: false compares exact text")
    func exact() throws {
        let r = try run([["a", "A", "a"]], normalize: false)
        #expect(r[0].map { $0.0 == .keep } == [true, true, false])
    }

    @Test("empty shards are fine")
    func empty() throws {
        let r = try run([[], ["x"], []])
        #expect(r[1][0].0 == .keep)
    }
}
