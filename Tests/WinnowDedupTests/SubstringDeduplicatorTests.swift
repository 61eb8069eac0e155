import Foundation
import Testing
import WinnowCore
import WinnowDedup
import WinnowIO

@Suite("substring_dedup")
struct SubstringDeduplicatorTests {
    func run(_ shards: [[String]], minBytes: Int = 100, budget: Int = 1 << 30) throws -> [[(Verdict, String)]] {
        try runCorpusStage(SubstringDeduplicator(minBytes: minBytes), shards, budget: budget).map { $0.map { ($0.verdict, $0.document.text) } }
    }

    /// Pseudo-random lowercase words: text that occurs nowhere else.
    func unique(_ seed: UInt64, bytes: Int) -> String {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var s = ""
        while s.utf8.count < bytes {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let c = Int(state >> 59)
            s += c < 4 ? " " : String(UnicodeScalar(UInt8(97 + Int(state >> 40) % 26)))
        }
        return String(s.utf8.prefix(bytes).map { Character(UnicodeScalar($0)) })
    }

    @Test("a repeated span is cut from the later document only; shorter repeats stay")
    func basic() throws {
        let long = unique(1, bytes: 150)
        let short = unique(2, bytes: 60)
        let r = try run([["first " + long + " end " + short], ["other text " + long + " tail " + short]]).flatMap { $0 }
        #expect(r[0].1.contains(long) && r[0].1.contains(short))
        #expect(!r[1].1.contains(long))
        #expect(r[1].1.contains(short))
        #expect(r[1].1.hasPrefix("other tex"))  // "t " before the span repeats too
    }

    @Test("never splits a character")
    func utf8() throws {
        let span = String(repeating: "é東🙂 ", count: 20)  // 180 bytes of multi-byte characters
        let r = try run([["a " + span], ["b " + span + "z"]]).flatMap { $0 }
        #expect(r[1].1.unicodeScalars.allSatisfy { $0 != "\u{FFFD}" })
        #expect(r[1].1.hasPrefix("b") && r[1].1.hasSuffix("z"))
    }

    static let wikitext = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data/text/wikitext-2-raw/wiki.test.raw").standardizedFileURL.path

    @Test("WikiText with planted spans: every span ≥ the threshold is removed, nothing planted below it; a 64 KiB budget (blocks + merge) gives the same bytes",
          .enabled(if: FileManager.default.fileExists(atPath: wikitext), "needs ../shared/data/text/wikitext-2-raw (absent: skipped)"))
    func plantedWikiText() throws {
        let raw = try String(contentsOfFile: Self.wikitext, encoding: .utf8)
        // Articles start at lines " = Title = " (one '=' each side).
        var articles: [String] = []
        var current = ""
        // The file has CRLF line ends ("\r\n" is one Character in Swift).
        for line in raw.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\r\n" || $0 == "\n" }) {
            let isTitle = line.hasPrefix(" = ") && !line.hasPrefix(" = = ") && line.hasSuffix(" = ")
            if isTitle && !current.isEmpty {
                articles.append(current)
                current = ""
            }
            current += line + "\n"
        }
        articles.append(current)
        #expect(articles.count >= 60)
        let lengths = [100, 101, 150, 300, 1000, 2500, 60, 80, 99, 40]
        var spans: [(text: String, first: Int, second: Int)] = []
        for (k, len) in lengths.enumerated() {
            let span = unique(UInt64(100 + k), bytes: len)
            let first = k
            let second = 30 + k
            // Different delimiters around the two copies, so the repeat is exactly the span.
            articles[first] += "[" + span + "]\n"
            articles[second] = "{" + span + "}\n" + articles[second]
            spans.append((span, first, second))
        }
        let shards = [Array(articles[0..<20]), Array(articles[20..<40]), Array(articles[40...])]
        let out = try run(shards).flatMap { $0.map(\.1) }
        // 1.3 MB of text under a 64 KiB budget: suffix arrays of 256 blocks and their merge.
        let spilled = try run(shards, budget: 64 << 10).flatMap { $0.map(\.1) }
        #expect(spilled == out, "the block build changed the output")
        for (span, first, second) in spans {
            #expect(out[first].contains(span), "first occurrence of a \(span.utf8.count)-byte span was cut")
            if span.utf8.count >= 100 {
                #expect(!out[second].contains(span), "a \(span.utf8.count)-byte repeat was not removed")
            } else {
                #expect(out[second].contains(span), "a \(span.utf8.count)-byte repeat below the threshold was cut")
            }
        }
    }
}
