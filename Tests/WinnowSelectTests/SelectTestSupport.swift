import Foundation
import Testing
import WinnowCore
import WinnowIO

/// Runs a corpus stage as the pipeline does — observe every shard, every resolve step, then
/// decide — and returns each document after decide with its verdict, shard by shard.
func runSelection(_ stage: any CorpusStage, _ shards: [[Document]], seed: UInt64 = 0) throws
    -> [[(verdict: Verdict, document: Document)]]
{
    let dir = NSTemporaryDirectory() + "winnow-select-\(UUID().uuidString)"
    try FileSystem.createDirectory(dir)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func context(_ shard: Int, partition: Int = -1) -> CorpusContext {
        CorpusContext(workDirectory: dir, shard: shard, shardCount: shards.count, partition: partition, seed: seed)
    }
    for (s, docs) in shards.enumerated() {
        let observer = try stage.makeObserver(context: context(s))
        for (i, d) in docs.enumerated() { try observer.observe(d, index: i) }
        try observer.finish()
    }
    for (step, partitions) in stage.resolveSteps.enumerated() {
        for p in 0..<partitions { try stage.resolve(step: step, partition: p, context: context(-1, partition: p)) }
    }
    return try shards.enumerated().map { s, docs in
        let decider = try stage.makeDecider(context: context(s))
        return try docs.enumerated().map { i, original in
            var doc = original
            let verdict = try decider.decide(&doc, index: i)
            if decider.quickVerdict(index: i) == .keep {
                #expect(verdict == .keep && doc == original, "quickVerdict kept \(original.id) but decide changed it")
            }
            return (verdict, doc)
        }
    }
}

/// The ids of the kept documents, in order.
func keptIDs(_ result: [[(verdict: Verdict, document: Document)]]) -> [String] {
    result.flatMap { $0.filter { $0.verdict == .keep }.map(\.document.id) }
}

/// Splits documents into shards of the given sizes.
func shard(_ docs: [Document], sizes: [Int]) -> [[Document]] {
    var out: [[Document]] = []
    var start = 0
    for n in sizes {
        out.append(Array(docs[start..<(start + n)]))
        start += n
    }
    return out
}

/// A temporary file with the given text.
func temporaryFile(_ text: String, suffix: String) throws -> String {
    let path = NSTemporaryDirectory() + "winnow-select-\(UUID().uuidString)\(suffix)"
    try FileSystem.writeAll(path, Array(text.utf8))
    return path
}
