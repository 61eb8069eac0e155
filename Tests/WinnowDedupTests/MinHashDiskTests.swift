import Foundation
import Testing
import WinnowCore
@testable import WinnowDedup
import WinnowIO

/// A fresh folder holding a sentinel file that every test checks survives.
func sandbox(_ name: String = #function) throws -> (dir: String, sentinel: String) {
    let dir = NSTemporaryDirectory() + "winnow-disk-\(name.filter { $0.isLetter })-\(UUID().uuidString.prefix(8))"
    try FileSystem.createDirectory(dir)
    let sentinel = dir + "/sentinel.txt"
    try FileSystem.writeAll(sentinel, Array("keep me".utf8))
    return (dir, sentinel)
}

@Suite("minhash_dedup on disk: every spill path with tiny budgets")
struct MinHashDiskTests {
    /// Clusters of edited copies spread over three shards, chained (each copy edits the one
    /// before), at Jaccard levels on both sides of 0.8, plus unrelated documents.
    func corpus() -> [[String]] {
        let t = MinHashDeduplicatorTests()
        var docs: [(Int, String)] = []
        for k in 0..<24 {
            var words = t.text(UInt64(k) + 3000, words: 160)
            docs.append((docs.count * 7919 % 1000, words.joined(separator: " ")))
            for c in 0..<(k % 5) {
                for e in 0..<(k % 3 == 0 ? 2 : 9) { words[(c * 53 + e * 17 + k) % 160] = "ed\(c)x\(e)q" }
                docs.append((docs.count * 7919 % 1000, words.joined(separator: " ")))
            }
        }
        for k in 0..<10 { docs.append((docs.count * 7919 % 1000, t.text(UInt64(k) + 7000, words: 90).joined(separator: " "))) }
        // A fixed shuffle, so that copies land before, after and in other shards than their source.
        let texts = docs.sorted { $0.0 < $1.0 }.map(\.1)
        let third = texts.count / 3
        return [Array(texts[..<third]), Array(texts[third..<(2 * third)]), Array(texts[(2 * third)...])]
    }

    func outcome(_ stage: MinHashDeduplicator, budget: Int) throws -> [[String]] {
        try runCorpusStage(stage, corpus(), budget: budget).map { shard in
            shard.map { r in
                "\(r.verdict) " + r.document.metadata.keys.sorted().map { "\($0)=\(r.document.metadata[$0]!)" }.joined(separator: ",")
            }
        }
    }

    @Test("verify on: budgets that spill the band entries, the candidate pairs and the parent array give the verdicts and metadata of a budget that holds everything",
          arguments: [64, 300, 5000])
    func verifyBudgets(budget: Int) throws {
        let stage = MinHashDeduplicator(verify: 0.8)
        let inMemory = try outcome(stage, budget: 1 << 30)
        let spilled = try outcome(stage, budget: budget)
        #expect(inMemory == spilled)
        let dropped = inMemory.flatMap { $0 }.filter { $0.hasPrefix("drop") }.count
        let plainDropped = try outcome(MinHashDeduplicator(), budget: 1 << 30).flatMap { $0 }.filter { $0.hasPrefix("drop") }.count
        #expect(dropped >= 10 && dropped < plainDropped, "verify rejects some candidates: \(dropped) vs \(plainDropped)")
    }

    @Test("verify off: a tiny budget (spilled band runs, dropped parent and size mappings) gives the same verdicts and metadata",
          arguments: [64, 5000])
    func plainBudgets(budget: Int) throws {
        let stage = MinHashDeduplicator()
        let inMemory = try outcome(stage, budget: 1 << 30)
        #expect(inMemory == (try outcome(stage, budget: budget)))
        #expect(inMemory.flatMap { $0 }.filter { $0.hasPrefix("drop") }.count >= 20)
    }

    @Test("PairSorter: a budget of a few pairs spills runs; the merge is sorted, distinct, complete and equals the in-memory sort")
    func pairSorter() throws {
        let (dir, sentinel) = try sandbox()
        defer { try? FileSystem.remove(dir) }
        var state: UInt64 = 11
        var pairs: [(UInt64, UInt64)] = []
        for _ in 0..<3001 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            pairs.append((state >> 58, (state >> 20) % 50))  // many repeats
        }
        func drain(_ budget: Int, distinct: Bool) throws -> (pairs: [WordPair], runs: Int) {
            let sorter = PairSorter(prefix: dir + "/p-\(budget)-\(distinct)", budget: budget, distinct: distinct)
            for (a, b) in pairs { try sorter.append(a, b) }
            let runs = sorter.runCount
            let source = try sorter.sorted()
            var out: [WordPair] = []
            while let p = try source.next() { out.append(p) }
            try sorter.removeRuns()
            return (out, runs)
        }
        for (distinct, budget) in [(true, 100), (false, 100), (true, 200), (false, 1000)] {
            let memory = try drain(1 << 20, distinct: distinct)
            let spilled = try drain(budget, distinct: distinct)
            #expect(memory.runs == 0 && spilled.runs > 10)
            #expect(memory.pairs == spilled.pairs)
            let expected = distinct
                ? Set(pairs.map { "\($0.0),\($0.1)" }).count : pairs.count
            #expect(spilled.pairs.count == expected)
            #expect(zip(spilled.pairs, spilled.pairs.dropFirst()).allSatisfy { distinct ? WordPair.precedes($0, $1) : !WordPair.precedes($1, $0) })
        }
        // Only the sorter's runs were removed.
        #expect(try FileSystem.list(dir) == ["sentinel.txt"])
        #expect(FileSystem.exists(sentinel))
    }

    @Test("DiskUInt32Array: past its resident limit the mapping is given back, and no write is lost")
    func diskArray() throws {
        let (dir, sentinel) = try sandbox()
        defer { try? FileSystem.remove(dir) }
        let count = 50_000  // 200 KB: 49 pages
        let a = try DiskUInt32Array(creating: dir + "/a.u32", count: count, residentLimit: 3 * 4096) { UInt32($0) }
        for i in stride(from: 0, to: count, by: 7) { a[i] = a[i] &* 3 &+ 1 }
        #expect(a.drops > 10)
        try a.commit()
        let b = try DiskUInt32Array(reading: dir + "/a.u32", residentLimit: 4096)
        #expect(b.count == count)
        #expect((0..<count).allSatisfy { b[$0] == ($0 % 7 == 0 ? UInt32($0) &* 3 &+ 1 : UInt32($0)) })
        #expect(b.drops > 10)
        // Within its limit an array is never dropped.
        let c = try DiskUInt32Array(creating: dir + "/c.u32", count: 100, residentLimit: 4096) { _ in 5 }
        for i in 0..<100 { c[i] = c[i] + 1 }
        #expect(c.drops == 0)
        #expect(FileSystem.exists(sentinel))
    }
}
