import Foundation
import Testing
import WinnowCore
import WinnowDedup
import WinnowIO

@Suite("line_dedup")
struct LineDeduplicatorTests {
    func run(_ shards: [[String]], minWords: Int = 1) throws -> [[(Verdict, String)]] {
        try runCorpusStage(LineDeduplicator(minWords: minWords), shards).map { $0.map { ($0.verdict, $0.document.text) } }
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
