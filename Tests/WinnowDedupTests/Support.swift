import Foundation
import Testing
import WinnowCore
import WinnowIO

/// Runs a corpus stage as the pipeline does — observe every shard, every partition of every
/// resolve step, then decide — over shards of texts (ids `s<shard>d<index>`), and returns each
/// document after decide with its verdict. Checks the `quickVerdict` contract on the way: a
/// document it says is kept must come out of `decide` kept and unchanged.
func runCorpusStage(_ stage: any CorpusStage, _ shards: [[String]], budget: Int = 1 << 30) throws
    -> [[(verdict: Verdict, document: Document)]]
{
    let dir = NSTemporaryDirectory() + "winnow-corpus-stage-\(UUID().uuidString)"
    try FileSystem.createDirectory(dir)
    defer { try? FileSystem.remove(dir) }
    // The stage deletes its own temporary files (spilled runs): a file it did not write survives.
    let sentinel = dir + "/sentinel.txt"
    try FileSystem.writeAll(sentinel, Array("not the stage's".utf8))
    defer { #expect(FileSystem.exists(sentinel), "the stage deleted a file it did not write") }
    func context(_ shard: Int, partition: Int = -1) -> CorpusContext {
        CorpusContext(workDirectory: dir, shard: shard, shardCount: shards.count, partition: partition, memoryBudget: budget)
    }
    for (s, texts) in shards.enumerated() {
        let observer = try stage.makeObserver(context: context(s))
        for (i, t) in texts.enumerated() { try observer.observe(Document(id: "s\(s)d\(i)", text: t), index: i) }
        try observer.finish()
    }
    for (step, partitions) in stage.resolveSteps.enumerated() {
        for p in 0..<partitions { try stage.resolve(step: step, partition: p, context: context(-1, partition: p)) }
    }
    return try shards.enumerated().map { s, texts in
        let decider = try stage.makeDecider(context: context(s))
        return try texts.enumerated().map { i, t in
            let original = Document(id: "s\(s)d\(i)", text: t)
            var doc = original
            let verdict = try decider.decide(&doc, index: i)
            if decider.quickVerdict(index: i) == .keep {
                #expect(verdict == .keep && doc == original, "quickVerdict kept \(original.id) but decide changed it")
            }
            return (verdict, doc)
        }
    }
}
