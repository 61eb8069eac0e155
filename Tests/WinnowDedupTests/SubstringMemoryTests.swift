import Foundation
import Testing
import WinnowCore
@testable import WinnowDedup
import WinnowIO

/// The memory design of `substring_dedup`: repeated windows found whole or in blocks, against
/// the longest-previous-factor oracle the stage used before; the spill path byte-identical.
@Suite("substring_dedup memory")
struct SubstringMemoryTests {
    /// A sequence with many repeats: random symbols, then copies of earlier stretches.
    func sequence(_ seed: UInt64, count: Int, alphabet: Int) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        var s: [UInt8] = []
        while s.count < count {
            if s.count > 40 && next() % 3 == 0 {
                let from = next() % (s.count - 20)
                let len = 5 + next() % 30
                for k in 0..<len where from + k < s.count { s.append(s[from + k]) }
            } else {
                s.append(UInt8(next() % alphabet))
            }
        }
        return Array(s.prefix(count))
    }

    /// Positions whose longest previous factor is at least `length` (the stage's old criterion).
    func oracle(_ s: [UInt8], length: Int) -> [Bool] {
        let sa = SuffixArray.build(bytes: s)
        let lpf = SuffixArray.longestPreviousFactor(sa: sa, lcp: SuffixArray.lcp(s, sa))
        return lpf.map { Int($0) >= length }
    }

    func bits(_ b: PositionBits, _ n: Int) -> [Bool] { (0..<n).map { b[$0] } }

    @Test("marks = positions with a previous factor ≥ the length, whole and in blocks of any size (bytes and 32-bit symbols)")
    func marksMatchLPF() throws {
        let dir = NSTemporaryDirectory() + "winnow-repeat-\(UUID().uuidString)"
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        for trial in 0..<12 {
            let s = sequence(UInt64(trial), count: 200 + 97 * trial, alphabet: [2, 4, 26, 256][trial % 4])
            for length in [3, 8, 20] {
                let expected = oracle(s, length: length)
                let whole = s.withUnsafeBufferPointer { RepeatFinder.whole($0, alphabet: 256, length: length) }
                #expect(bits(whole, s.count) == expected, "whole, trial \(trial), length \(length)")
                let wide = s.map { UInt32($0) * 3 + 1 }
                for block in [5, 64, 1000] {
                    let b = try s.withUnsafeBufferPointer {
                        try RepeatFinder.blocks($0, alphabet: 256, length: length, blockSize: block, workDirectory: dir)
                    }
                    #expect(bits(b, s.count) == expected, "blocks of \(block), trial \(trial), length \(length)")
                    // 32-bit symbols (token mode), with a large alphabet for the largest blocks.
                    let w = try wide.withUnsafeBufferPointer {
                        try RepeatFinder.blocks($0, alphabet: block == 1000 ? 70_000 : 800, length: length, blockSize: block, workDirectory: dir)
                    }
                    #expect(bits(w, s.count) == expected, "32-bit symbols, blocks of \(block), trial \(trial)")
                }
            }
        }
        #expect(try FileSystem.list(dir).isEmpty, "run files left behind")
    }

    @Test("SA-IS over 32-bit symbols with a large alphabet and a deep recursion agrees with brute force")
    func wideSuffixArray() {
        var state: UInt64 = 5
        for trial in 0..<40 {
            let n = 50 + trial * 13
            let symbols: [Int32] = (0..<n).map { i in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                // Periodic stretches force repeated LMS substrings (recursion); some large ids.
                return i % 17 < 9 ? Int32(i % 3) : Int32(state >> 44) % 70_000
            }
            let naive = (0..<n).sorted { symbols[$0...].lexicographicallyPrecedes(symbols[$1...]) }.map(Int32.init)
            #expect(SuffixArray.build(symbols, alphabet: 70_000) == naive, "trial \(trial)")
        }
    }

    /// The stage as it was before the block build: the longest-previous-factor array over the
    /// whole corpus with its separators, cuts moved to character boundaries.
    func oldStage(_ shards: [[String]], minBytes: Int) -> [[String]] {
        var symbols: [UInt8] = []
        var starts: [(Int, Int)] = []
        var d = 0
        for texts in shards {
            for t in texts {
                starts.append((symbols.count, t.utf8.count))
                symbols += Array(t.utf8)
                symbols += SubstringDeduplicator.separator(d)
                d += 1
            }
        }
        let sa = SuffixArray.build(bytes: symbols)
        let lpf = SuffixArray.longestPreviousFactor(sa: sa, lcp: SuffixArray.lcp(symbols, sa))
        var out: [String] = []
        for (start, length) in starts {
            let end = start + length
            var cuts: [(Int, Int)] = []
            var covered = start
            var runStart = -1
            for p in start..<end {
                if Int(lpf[p]) >= minBytes { covered = max(covered, min(end, p + Int(lpf[p]))) }
                let marked = p < covered
                if marked && runStart < 0 { runStart = p }
                if !marked && runStart >= 0 {
                    cuts.append((runStart, p))
                    runStart = -1
                }
            }
            if runStart >= 0 { cuts.append((runStart, end)) }
            func isContinuation(_ p: Int) -> Bool { p < end && symbols[p] & 0xC0 == 0x80 }
            let fixed = cuts.compactMap { (a, b) -> (Int, Int)? in
                var s = a
                var e = b
                while s < e && isContinuation(s) { s += 1 }
                while e > s && isContinuation(e) { e -= 1 }
                return s < e ? (s, e) : nil
            }
            var kept: [UInt8] = []
            var p = start
            for (a, b) in fixed {
                kept += symbols[p..<a]
                p = b
            }
            kept += symbols[p..<end]
            out.append(String(decoding: kept, as: UTF8.self))
        }
        var result: [[String]] = []
        var i = 0
        for texts in shards {
            result.append(Array(out[i..<(i + texts.count)]))
            i += texts.count
        }
        return result
    }

    /// Words from a small vocabulary (with multi-byte characters) and copied stretches across
    /// documents, so many spans repeat and some repeats end at document ends.
    func corpus(_ seed: UInt64) -> [[String]] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        let vocabulary = ["the", "river", "é", "東京", "🙂", "of", "stone", "a", "bridge", "Zürich", "light", "north", "x"]
        var docs: [String] = []
        for k in 0..<120 {
            var words: [String] = []
            let count = next() % 90
            while words.count < count {
                if !docs.isEmpty && next() % 6 == 0 {
                    let source = docs[next() % docs.count].split(separator: " ").map(String.init)
                    if source.count > 4 {
                        let from = next() % (source.count - 4)
                        words += source[from..<min(source.count, from + 10 + next() % 40)]
                    }
                } else {
                    words.append(vocabulary[next() % vocabulary.count] + (next() % 4 == 0 ? "\(next() % 1000)" : ""))
                }
            }
            docs.append(words.joined(separator: k % 5 == 0 ? "\n" : " "))
        }
        return [Array(docs[0..<50]), Array(docs[50..<51]), Array(docs[51...])]
    }

    @Test("a budget below the whole build spills to blocks: the same output, byte for byte, as in memory and as the old LPF stage")
    func spillIdentical() throws {
        for seed in [1, 2, 3] as [UInt64] {
            let shards = corpus(seed)
            let total = shards.joined().reduce(0) { $0 + $1.utf8.count + 8 }
            for minBytes in [8, 30, 100] {
                let stage = SubstringDeduplicator(minBytes: minBytes)
                let whole = try runCorpusStage(stage, shards, budget: 1 << 30)
                // 3,000 bytes: the whole build (≈ 5.3 bytes per byte) does not fit; blocks of 4,096.
                #expect(!RepeatFinder.fitsWhole(count: total, width: 1, alphabet: 256, budget: 3000))
                #expect(RepeatFinder.blockSize(count: total, length: minBytes, alphabet: 256, budget: 3000) * 4 < total)
                let spilled = try runCorpusStage(stage, shards, budget: 3000)
                let texts = whole.map { $0.map(\.document.text) }
                #expect(texts == spilled.map { $0.map(\.document.text) }, "seed \(seed), min_bytes \(minBytes)")
                #expect(whole.map { $0.map(\.verdict) } == spilled.map { $0.map(\.verdict) })
                #expect(texts == oldStage(shards, minBytes: minBytes), "differs from the LPF stage: seed \(seed), min_bytes \(minBytes)")
                let changed = zip(texts.joined(), shards.joined()).filter { $0 != $1 }.count
                #expect(changed >= 20, "too few documents cut (\(changed)) for the test to mean anything")
            }
        }
    }

    @Test("memory formula: the whole build is ≤ 6 bytes per input byte; blocks keep within the budget")
    func formula() {
        let n = 1 << 30
        let whole = n + RepeatFinder.wholeBytes(count: n, alphabet: 256)
        #expect(Double(whole) / Double(n) <= 5.25)
        #expect(RepeatFinder.fitsWhole(count: n, width: 1, alphabet: 256, budget: 6 * n))
        #expect(!RepeatFinder.fitsWhole(count: n, width: 1, alphabet: 256, budget: 5 * n))
        // 2³¹ symbols never fit a 32-bit suffix array whole, whatever the budget.
        #expect(!RepeatFinder.fitsWhole(count: 1 << 31, width: 1, alphabet: 256, budget: Int.max / 2))
        for budget in [256 << 20, 1 << 30, 3 << 30] {
            let b = RepeatFinder.blockSize(count: n, length: 100, alphabet: 256, budget: budget)
            let runs = (n + b - 1) / b
            #expect(runs <= RepeatFinder.maxRuns)
            // One block's suffix array and type bits (with the recursion's), 2 MiB of write
            // buffers, the marks and the run buffers of the merge.
            let block = b + 99
            let used = 4 * block + block / 8 + block / 16 + (2 << 20) + n / 8 + runs * 4 * RepeatFinder.bufferWords(blockSize: b, runs: runs)
            #expect(used <= budget, "budget \(budget): \(used)")
        }
    }
}
