import Foundation
import Testing
import WinnowCore
import WinnowDedup
import WinnowIO

@Suite("exact_dedup")
struct ExactDeduplicatorTests {
    /// Runs observe → resolve → decide over shards of texts; returns verdicts per shard.
    func run(_ shards: [[String]], normalize: Bool = true) throws -> [[(Verdict, String?)]] {
        let dir = NSTemporaryDirectory() + "winnow-dedup-\(UUID().uuidString)"
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        let stage = ExactDeduplicator(normalize: normalize)
        for (s, texts) in shards.enumerated() {
            let o = try stage.makeObserver(context: CorpusContext(workDirectory: dir, shard: s, shardCount: shards.count))
            for (i, t) in texts.enumerated() { try o.observe(Document(id: "s\(s)d\(i)", text: t), index: i) }
            try o.finish()
        }
        try stage.resolve(step: 0, partition: 0, context: CorpusContext(workDirectory: dir, shard: -1, shardCount: shards.count))
        return try shards.enumerated().map { s, texts in
            let d = try stage.makeDecider(context: CorpusContext(workDirectory: dir, shard: s, shardCount: shards.count))
            return try texts.enumerated().map { i, t in
                var doc = Document(id: "s\(s)d\(i)", text: t)
                let v = try d.decide(&doc, index: i)
                return (v, doc.metadata["duplicate_of"]?.stringValue)
            }
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
