import Foundation
import Testing
import WinnowCore
import WinnowDedup
import WinnowIO
import WinnowText

@Suite("minhash_dedup")
struct MinHashDeduplicatorTests {
    init() {}
    func run(_ shards: [[String]], stage: MinHashDeduplicator = MinHashDeduplicator(), budget: Int = 1 << 30) throws
        -> [[(Verdict, [String: MetadataValue])]]
    {
        try runCorpusStage(stage, shards, budget: budget).map { $0.map { ($0.verdict, $0.document.metadata) } }
    }

    /// A deterministic English-like text of `n` words.
    func text(_ seed: UInt64, words n: Int) -> [String] {
        var state = seed
        // Letters only: the normaliser maps every digit run to "0".
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let vocab = (0..<2000).map { i in String([letters[i % 26], letters[(i / 26) % 26], letters[(i / 676) % 26]]) + "q" }
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return vocab[Int(state >> 33) % vocab.count]
        }
    }

    /// Exact Jaccard of 5-gram shingle sets, as the stage computes shingles.
    func jaccard(_ a: String, _ b: String) -> Double {
        let norm = DatatroveNormalizer()
        func set(_ s: String) -> Set<String> {
            let w = norm.normalize(s).split(separator: " ")
            return Set((0...(w.count - 5)).map { w[$0..<($0 + 5)].joined(separator: " ") })
        }
        let x = set(a)
        let y = set(b)
        return Double(x.intersection(y).count) / Double(x.union(y).count)
    }

    @Test("finds high-Jaccard pairs, leaves low-Jaccard ones, keeps the first of each cluster")
    func planted() throws {
        var docs: [String] = []
        var pairs: [(Int, Int, Double)] = []
        for k in 0..<40 {
            let base = text(UInt64(k) + 1, words: 300)
            docs.append(base.joined(separator: " "))
            // A copy with a few words changed (high Jaccard) or many (low).
            var edited = base
            let changes = k % 2 == 0 ? 3 : 120
            for c in 0..<changes { edited[(c * 37 + k) % edited.count] = "edit" + String(repeating: "z", count: c + 1) }
            docs.append(edited.joined(separator: " ").uppercased())  // case does not matter
            pairs.append((docs.count - 2, docs.count - 1, 0))
        }
        for i in pairs.indices { pairs[i].2 = jaccard(docs[pairs[i].0], docs[pairs[i].1]) }
        // Split over three shards to exercise cross-shard clustering.
        let shards = [Array(docs[0..<27]), Array(docs[27..<54]), Array(docs[54...])]
        let result = try run(shards).flatMap { $0 }
        for (a, b, j) in pairs {
            if j >= 0.85 {
                #expect(result[a].0 == .keep, "first of a pair with J=\(j) is kept")
                #expect(result[b].0 == .drop(reason: "minhash_duplicate"), "pair with J=\(j) was missed")
                #expect(result[b].1["duplicate_of"] == .string(idOf(a, shards)))
                #expect(result[a].1["cluster_size"] == 2)
            } else if j <= 0.3 {
                #expect(result[b].0 == .keep, "pair with J=\(j) was merged")
            }
        }
        #expect(pairs.contains { $0.2 >= 0.85 } && pairs.contains { $0.2 <= 0.3 })
    }

    func idOf(_ global: Int, _ shards: [[String]]) -> String {
        var g = global
        for (s, docs) in shards.enumerated() {
            if g < docs.count { return "s\(s)d\(g)" }
            g -= docs.count
        }
        return ""
    }

    @Test("the same corpus cut into many small shards (a wide k-way merge) gives the same clusters")
    func shardingInvariant() throws {
        var docs: [String] = []
        for k in 0..<30 {
            let base = text(UInt64(k) + 500, words: 120)
            var e = base
            e[k % 120] = "swapq"
            docs += [base.joined(separator: " "), e.joined(separator: " ")]
        }
        let one = try run([docs]).flatMap { $0 }
        let many = try run(stride(from: 0, to: docs.count, by: 3).map { Array(docs[$0..<min(docs.count, $0 + 3)]) }).flatMap { $0 }
        #expect(one.map { $0.0 } == many.map { $0.0 })
        #expect(one.filter { $0.0 != .keep }.count >= 25)
    }

    @Test("a memory budget below the signature size forces spilled sorted runs, with identical results")
    func externalSort() throws {
        var docs: [String] = []
        for k in 0..<40 {
            let base = text(UInt64(k) + 900, words: 150)
            var e = base
            e[k % 150] = "spillq"
            docs += [base.joined(separator: " "), e.joined(separator: " ")]
        }
        let shards = [Array(docs[0..<50]), Array(docs[50...])]
        let inMemory = try run(shards)
        // 14 bands × 16 bytes = 224 bytes per document: a 1,000-byte budget spills every ~4 documents.
        let spilled = try run(shards, budget: 1000)
        #expect(inMemory.flatMap { $0.map(\.0) } == spilled.flatMap { $0.map(\.0) })
        #expect(inMemory.flatMap { $0.map(\.1) } == spilled.flatMap { $0.map(\.1) })
        #expect(spilled.flatMap { $0 }.filter { $0.0 != .keep }.count >= 35)
    }

    @Test("clusters are transitive and keep their earliest document")
    func transitive() throws {
        let base = text(77, words: 200)
        var b = base
        b[10] = "xone"
        var c = b
        c[150] = "xtwo"
        let docs = [c, base, b].map { $0.joined(separator: " ") }
        let r = try run([[docs[0]], [docs[1], docs[2]]]).flatMap { $0 }
        #expect(r.map { $0.0 == .keep } == [true, false, false])
        #expect(r[1].1["duplicate_of"] == "s0d0" && r[2].1["duplicate_of"] == "s0d0")
        #expect(r[0].1["cluster_size"] == 3)
    }

    @Test("short and empty documents do not crash and are not merged with others")
    func short() throws {
        let r = try run([["", "...", "one two", "one two"]]).flatMap { $0 }
        #expect(r[0].0 == .keep && r[1].0 == .keep && r[2].0 == .keep)
        #expect(r[3].0 == .drop(reason: "minhash_duplicate"))  // identical short texts are one shingle
    }

    @Test("identical texts always collide")
    func signature() throws {
        let a = MinHashDeduplicator()
        let one = try run([[text(5, words: 50).joined(separator: " "), text(5, words: 50).joined(separator: " ")]], stage: a)
        #expect(one[0][1].0 == .drop(reason: "minhash_duplicate"))
    }
}


@Suite("minhash_dedup verify")
struct MinHashVerifyTests {
    @Test("with verify, candidate pairs below the Jaccard threshold are not merged")
    func verify() throws {
        let t = MinHashDeduplicatorTests()
        // Pairs at graded Jaccard levels: 300 words with k words changed.
        var docs: [String] = []
        var js: [Double] = []
        for (n, k) in [0, 2, 6, 10, 14, 18, 24].enumerated() {
            let base = t.text(UInt64(n) + 100, words: 300)
            var e = base
            for c in 0..<k { e[(c * 41 + 7) % 300] = "chg" + String(repeating: "y", count: c + 1) }
            docs += [base.joined(separator: " "), e.joined(separator: " ")]
            js.append(t.jaccard(docs[docs.count - 2], docs[docs.count - 1]))
        }
        let plain = try t.run([docs]).flatMap { $0 }
        let verified = try t.run([docs], stage: MinHashDeduplicator(verify: 0.8)).flatMap { $0 }
        for (n, j) in js.enumerated() {
            let second = 2 * n + 1
            if j < 0.8 {
                #expect(verified[second].0 == .keep, "J=\(j) merged despite verify 0.8")
            } else if plain[second].0 != .keep {
                #expect(verified[second].0 == .drop(reason: "minhash_duplicate"), "J=\(j) lost by verify")
            }
        }
        #expect(js.contains { $0 < 0.8 } && js.contains { $0 >= 0.8 })
    }
}

@Suite("MinHash signature kernel")
struct MinHashKernelTests {
    @Test("the C kernel (AVX-512 where available) equals the Swift reference", arguments: [0, 1, 7, 112, 113])
    func kernel(permutations m: Int) {
        var state: UInt64 = 42
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state ^ (state >> 29)
        }
        let a = (0..<m).map { _ in next() % ((1 << 61) - 2) + 1 }
        let b = (0..<m).map { _ in next() % ((1 << 61) - 1) }
        for n in [0, 1, 2, 9, 300] {
            let h = (0..<n).map { _ in next() }
            #expect(MinHashDeduplicator.signatureForTesting(h, a: a, b: b) == MinHashDeduplicator.referenceSignatureForTesting(h, a: a, b: b))
        }
    }
}
