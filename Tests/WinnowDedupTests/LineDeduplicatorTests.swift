import Foundation
import Testing
import WinnowCore
import WinnowDedup
import WinnowIO

@Suite("line_dedup")
struct LineDeduplicatorTests {
    func run(_ shards: [[String]], minWords: Int = 1) throws -> [[(Verdict, String)]] {
        let dir = NSTemporaryDirectory() + "winnow-lines-\(UUID().uuidString)"
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        let stage = LineDeduplicator(minWords: minWords)
        for (s, texts) in shards.enumerated() {
            let o = try stage.makeObserver(context: CorpusContext(workDirectory: dir, shard: s, shardCount: shards.count))
            for (i, t) in texts.enumerated() { try o.observe(Document(id: "\(s)-\(i)", text: t), index: i) }
            try o.finish()
        }
        try stage.resolve(step: 0, partition: 0, context: CorpusContext(workDirectory: dir, shard: -1, shardCount: shards.count))
        return try shards.enumerated().map { s, texts in
            let d = try stage.makeDecider(context: CorpusContext(workDirectory: dir, shard: s, shardCount: shards.count))
            return try texts.enumerated().map { i, t in
                var doc = Document(id: "\(s)-\(i)", text: t)
                let v = try d.decide(&doc, index: i)
                return (v, doc.text)
            }
        }
    }

    @Test("removes repeated lines after their first occurrence, across shards")
    func repeated() throws {
        let r = try run([
            ["Cookie policy: we use cookies.\nThe real article text one.\n\nShare on Twitter"],
            ["COOKIE POLICY — we use cookies!\nA different article.\n\nShare on twitter", "Only boilerplate\nShare on Twitter"],
        ])
        #expect(r[0][0].0 == .keep)
        #expect(r[0][0].1 == "Cookie policy: we use cookies.\nThe real article text one.\n\nShare on Twitter")
        #expect(r[1][0].1 == "A different article.\n")  // blank lines are never removed
        #expect(r[1][1].1 == "Only boilerplate")
    }

    @Test("documents left too short are dropped")
    func tooShort() throws {
        let r = try run([["same line here\nsame other line"], ["Same line here.\nsame other line"]], minWords: 1)
        #expect(r[1][0].0 == .drop(reason: "line_dedup_too_short"))
        #expect(r[0][0].0 == .keep)
    }
}
