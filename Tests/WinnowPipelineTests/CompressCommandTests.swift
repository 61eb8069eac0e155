import Foundation
import Testing

/// `winnow compress --jsonl` end to end (no models: whitespace counting, in-prompt statistics).
@Suite("winnow compress --jsonl")
struct CompressCommandTests {
    static let flags = ["compress", "--jsonl", "--tokenizer", "whitespace", "--no-minilm", "--no-word-model"]

    /// Twenty requests over a few topics, each with a question about one of them.
    static func requests() -> [String] {
        let topics = ["rivers", "mountains", "harbours", "forests", "deserts"]
        return (0 ..< 20).map { i in
            let contexts = topics.enumerated().map { k, t in
                "The \(t) of region \(i) are described here. Record \(i * 7 + k) notes that the \(t) changed in year \(1900 + i + k). Other remarks follow about weather and roads."
            }
            let request: [String: Any] = ["context": contexts, "question": "When did the \(topics[i % topics.count]) of region \(i) change?", "rate": 0.4]
            return String(decoding: try! JSONSerialization.data(withJSONObject: request, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    func run(_ lines: [String], workers: Int) throws -> ProcessResult {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/requests.jsonl"
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: input))
        return try runWinnow(Self.flags + ["--workers", String(workers)], in: dir, stdin: input)
    }

    @Test("results come in input order and are the same bytes for 1 and 2 workers")
    func workersIndependent() throws {
        let lines = Self.requests()
        let one = try run(lines, workers: 1)
        let two = try run(lines, workers: 2)
        #expect(one.status == 0 && two.status == 0, "\(one.stderr)\(two.stderr)")
        #expect(one.stdout == two.stdout)
        let results = one.stdout.split(separator: "\n")
        #expect(results.count == lines.count)
        // In order: result i keeps the record number only request i has.
        for (i, line) in results.enumerated() {
            #expect(line.contains("region \(i) ") || line.contains("region \(i).") || line.contains("Record \(i * 7)"), "result \(i) out of order")
        }
    }

    @Test("a bad line stops the batch with stdin:LINE; the results before it are written")
    func badLine() throws {
        var lines = Self.requests()
        lines.insert("", at: 3)                      // blank lines are skipped but counted
        lines[9] = #"{"context": ["a b c"], "rate": 7}"#
        let r = try run(lines, workers: 2)
        #expect(r.status != 0)
        #expect(r.stderr.contains("stdin:10"), "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 8)
    }
}
