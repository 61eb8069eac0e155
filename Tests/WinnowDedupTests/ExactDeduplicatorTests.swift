import Foundation
import Testing
import WinnowCore
import WinnowDedup
import WinnowIO

@Suite("exact_dedup")
struct ExactDeduplicatorTests {
    func run(_ shards: [[String]], normalize: Bool = true, budget: Int = 1 << 30) throws -> [[(Verdict, String?)]] {
        try runCorpusStage(ExactDeduplicator(normalize: normalize), shards, budget: budget).map { shard in
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

    @Test("tiny budgets (spilled (hash, document) and (copy, original) runs) give the verdicts and originals of an unbounded run",
          arguments: [16, 100, 1000])
    func spills(budget: Int) throws {
        // 11 shards (more than the 8 parts of each resolve step), texts repeated within and across shards.
        var shards: [[String]] = []
        for s in 0..<11 {
            var texts: [String] = []
            for i in 0..<23 {
                let n = (s * 23 + i) * 7 % 61
                texts.append(i % 4 == 0 ? "TEXT \(n)" : "text \(n)")
            }
            shards.append(texts)
        }
        let unbounded = try run(shards)
        let bounded = try run(shards, budget: budget)
        let verdicts: [Verdict] = unbounded.flatMap { $0.map(\.0) }
        let originals: [String?] = unbounded.flatMap { $0.map(\.1) }
        #expect(verdicts == bounded.flatMap { $0.map(\.0) })
        #expect(originals == bounded.flatMap { $0.map(\.1) })
        let dropped = verdicts.filter { $0 != .keep }.count
        #expect(dropped == 11 * 23 - 61)
    }
}
