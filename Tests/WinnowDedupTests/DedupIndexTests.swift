import Foundation
import Testing
import WinnowCore
import WinnowIO
@testable import WinnowDedup

/// A seeded corpus split into an "old" half (indexed) and a "new" half with planted duplicates:
/// exact and near copies of old documents (cross-half), exact and near copies inside new, and
/// unique new documents.
struct SplitCorpus {
    enum Kind: String { case unique, crossExact, crossNear, newExactCopy, newNearCopy, newOriginal }

    var old: [String] = []
    var new: [(text: String, kind: Kind, of: Int?)] = []  // of: the new index it copies (within new)

    /// Deterministic pseudo-words and documents (SplitMix64).
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func word() -> String {
            let syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "gu", "fe", "ho", "ji", "qu"]
            return (0..<(2 + int(3))).map { _ in syllables[int(syllables.count)] }.joined()
        }
        /// Lines of 8–14 words, 90–140 words in all.
        mutating func document() -> String {
            var lines: [String] = []
            var words = 0
            let total = 90 + int(50)
            while words < total {
                let n = 8 + int(7)
                lines.append((0..<n).map { _ in word() }.joined(separator: " "))
                words += n
            }
            return lines.joined(separator: "\n")
        }
        /// One word replaced and two appended: Jaccard of 5-gram shingles about 0.9.
        mutating func nearCopy(_ text: String) -> String {
            var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            let k = 3 + int(words.count - 6)
            words[k] = words[k].hasSuffix("\n") ? "zyx\n" : "zyx" + words[k].drop(while: { $0 != "\n" })
            return words.joined(separator: " ") + " extra tail"
        }
    }

    init(seed: UInt64 = 21, old oldCount: Int = 160, crossExact: Int = 16, crossNear: Int = 16, newPairs: Int = 10, unique: Int = 100) {
        var g = Generator(state: seed)
        old = (0..<oldCount).map { _ in g.document() }
        var pool: [(String, Kind, Int?)] = []
        for i in 0..<crossExact {
            // Copies differing only in case and spacing: equal after normalisation.
            let o = old[(i * 7) % oldCount]
            pool.append((i % 2 == 0 ? o.uppercased() : o.replacingOccurrences(of: " ", with: "  "), .crossExact, nil))
        }
        for i in 0..<crossNear { pool.append((g.nearCopy(old[(i * 7 + 3) % oldCount]), .crossNear, nil)) }
        for _ in 0..<unique { pool.append((g.document(), .unique, nil)) }
        // Shuffle (seeded), then add within-new copies after their originals.
        for i in stride(from: pool.count - 1, to: 0, by: -1) { pool.swapAt(i, g.int(i + 1)) }
        new = pool.map { ($0.0, $0.1, $0.2) }
        for p in 0..<newPairs {
            let original = g.document()
            let at = g.int(new.count)
            new.insert((original, .newOriginal, nil), at: at)
            let copy = p % 2 == 0 ? original : g.nearCopy(original)
            new.insert((copy, p % 2 == 0 ? .newExactCopy : .newNearCopy, nil), at: at + 1 + g.int(new.count - at))
        }
    }

    /// New documents cut into `n` shards.
    func newShards(_ n: Int) -> [[String]] {
        let per = (new.count + n - 1) / n
        return (0..<n).map { s in new[min(new.count, s * per)..<min(new.count, (s + 1) * per)].map(\.text) }
    }

    /// Writes the old half as JSONL files (`parts` files) in `dir`.
    func writeOld(_ dir: String, parts: Int = 3) throws -> [String] {
        let per = (old.count + parts - 1) / parts
        return try (0..<parts).map { p in
            var out: [UInt8] = []
            for (i, text) in old[min(old.count, p * per)..<min(old.count, (p + 1) * per)].enumerated() {
                out += Array("{\"id\":\"old-\(p)-\(i)\",\"text\":".utf8)
                JSONLCodec.appendString(text, to: &out)
                out += Array("}\n".utf8)
            }
            let path = dir + "/old-\(p).jsonl"
            try FileSystem.writeAll(path, out)
            return path
        }
    }
}

@Test("building into a folder that was not prepared is refused and deletes nothing")
func buildRefusesUnpreparedFolder() throws {
    let box = try Sandbox()
    defer { box.finish() }
    try FileSystem.createDirectory(box.path + "/tmp")
    try FileSystem.writeAll(box.path + "/tmp/keep", Array("mine".utf8))
    let builder = DedupIndexBuilder(
        kinds: [.exact], exactNormalize: true, minhash: MinHashIndexParameters(), memoryBudget: 1 << 20, workers: 1)
    // Only the sandbox: an empty path is never handed to a deleting code path in a test (without
    // the guard it would name the system's /tmp).
    #expect(throws: ConfigError.self) {
        _ = try builder.build(folder: box.path, shardCount: 0, inputs: []) { _ in throw ConfigError("unused", at: nil) }
    }
    #expect(FileSystem.exists(box.path + "/tmp/keep"))
}

/// A fresh sandbox folder with a sentinel file that must survive the test.
final class Sandbox {
    let path: String
    var sentinel: String { path + "/SENTINEL-do-not-delete" }

    init(_ name: String = #function) throws {
        path = NSTemporaryDirectory() + "winnow-index-\(name.filter { $0.isLetter })-\(UUID().uuidString.prefix(8))"
        try FileSystem.createDirectory(path)
        try FileSystem.writeAll(sentinel, Array("keep".utf8))
    }

    /// Checks the sentinel survived, then removes the sandbox.
    func finish() {
        #expect(FileSystem.exists(sentinel), "the sentinel file was deleted")
        try? FileSystem.remove(path)
    }
}

/// Builds an index of JSONL files with the builder (shards: one per file).
func buildIndex(
    _ files: [String], into folder: String, kinds: Set<DedupIndexKind> = Set(DedupIndexKind.allCases),
    minhash: MinHashIndexParameters = MinHashIndexParameters(), normalize: Bool = true, workers: Int = 1, budget: Int = 1 << 30,
    overwrite: Bool = false
) throws -> DedupIndex {
    let shards = try planShards(files: files, root: FileSystem.parent(of: files[0]), options: ReaderOptions(), shardBytes: 1 << 30)
    let lock = try DedupIndex.prepareFolder(folder, overwrite: overwrite)
    defer { lock.release() }
    let builder = DedupIndexBuilder(kinds: kinds, exactNormalize: normalize, minhash: minhash, memoryBudget: budget, workers: workers)
    return try builder.build(folder: folder, shardCount: shards.count, inputs: files) { i in
        try makeReader(for: shards[i], options: ReaderOptions())
    }
}

/// Every file of an index folder (relative path → bytes), except the lock.
func indexFiles(_ folder: String) throws -> [String: [UInt8]] {
    var out: [String: [UInt8]] = [:]
    func walk(_ rel: String) throws {
        let full = rel.isEmpty ? folder : folder + "/" + rel
        for name in try FileSystem.list(full) {
            let r = rel.isEmpty ? name : rel + "/" + name
            if FileSystem.isDirectory(folder + "/" + r) { try walk(r) } else if name != "index.lock" { out[r] = try FileSystem.readAll(folder + "/" + r) }
        }
    }
    try walk("")
    return out
}

@Suite("Dedup against an index of a reference corpus")
struct DedupIndexTests {
    let corpus = SplitCorpus()

    func reasons(_ results: [[(verdict: Verdict, document: Document)]]) -> [Verdict] { results.flatMap { $0.map(\.verdict) } }

    @Test("exact_dedup with an index: every cross-half copy dropped as exact_duplicate_of_index, the rest as without it")
    func exactAgainstIndex() throws {
        let box = try Sandbox()
        defer { box.finish() }
        let index = try buildIndex(try corpus.writeOld(box.path), into: box.path + "/idx")
        let shards = corpus.newShards(3)
        let with = reasons(try runCorpusStage(ExactDeduplicator(index: index), shards))
        let without = reasons(try runCorpusStage(ExactDeduplicator(), shards))
        for (i, d) in corpus.new.enumerated() {
            switch d.kind {
            case .crossExact:
                #expect(with[i] == .drop(reason: "exact_duplicate_of_index"), "cross exact copy \(i) not found")
            case .newExactCopy:
                #expect(with[i] == .drop(reason: "exact_duplicate"))
                #expect(with[i] == without[i])
            default:
                #expect(with[i] == .keep, "\(d.kind) document \(i) dropped: \(with[i])")
                #expect(without[i] == .keep)
            }
        }
        // Metadata names the index.
        let docs = try runCorpusStage(ExactDeduplicator(index: index), shards).flatMap { $0 }
        let dropped = docs.filter { $0.verdict == .drop(reason: "exact_duplicate_of_index") }
        #expect(dropped.count == corpus.new.filter { $0.kind == .crossExact }.count)
        #expect(dropped.allSatisfy { $0.document.metadata["duplicate_of_index"] == .string(index.path) })
    }

    @Test("minhash_dedup with an index: every cross-half exact and near copy dropped as near_duplicate_of_index")
    func minhashAgainstIndex() throws {
        let box = try Sandbox()
        defer { box.finish() }
        let index = try buildIndex(try corpus.writeOld(box.path), into: box.path + "/idx")
        for shardCount in [1, 3] {
            let shards = corpus.newShards(shardCount)
            // A tiny budget takes the observers' spill path too: same verdicts.
            for budget in [1 << 30, 256] {
                let with = reasons(try runCorpusStage(MinHashDeduplicator(index: index), shards, budget: budget))
                let without = reasons(try runCorpusStage(MinHashDeduplicator(), shards, budget: budget))
                for (i, d) in corpus.new.enumerated() {
                    switch d.kind {
                    case .crossExact, .crossNear:
                        #expect(with[i] == .drop(reason: "near_duplicate_of_index"), "cross \(d.kind) copy \(i) not found: \(with[i])")
                    case .newExactCopy, .newNearCopy:
                        #expect(with[i] == .drop(reason: "minhash_duplicate"), "within-new copy \(i): \(with[i])")
                        #expect(with[i] == without[i])
                    case .unique, .newOriginal:
                        #expect(with[i] == .keep, "\(d.kind) document \(i) dropped: \(with[i])")
                        #expect(without[i] == .keep)
                    }
                }
            }
        }
    }

    @Test("minhash_dedup with an index: a new document clustered with an index match joins the reference corpus")
    func minhashTransitive() throws {
        let box = try Sandbox()
        defer { box.finish() }
        // 2-word shingles, 64 bands of 1 row: X = {ab, bc}, Y = {bc, cd}, Z = {cd, de}. Y shares a
        // band with X and with Z (Jaccard 1/3: all but certain over 64 bands); Z and X share no
        // shingle, so never a band.
        let oldFile = box.path + "/old.jsonl"
        try FileSystem.writeAll(oldFile, Array("{\"id\":\"x\",\"text\":\"alpha beta gamma\"}\n".utf8))
        let params = MinHashIndexParameters(ngram: 2, bands: 64, rows: 1, seed: 1)
        let index = try buildIndex([oldFile], into: box.path + "/idx", kinds: [.minhash], minhash: params)
        let z = "gamma delta epsilon"
        let y = "beta gamma delta"
        let other = "one two three four five"
        let shards = [[z, other], [y]]
        let with = try runCorpusStage(MinHashDeduplicator(ngram: 2, bands: 64, rows: 1, index: index), shards)
        let without = try runCorpusStage(MinHashDeduplicator(ngram: 2, bands: 64, rows: 1), shards)
        // Without the index, Z comes first and is kept; with it, Z's cluster holds Y, which the
        // reference corpus holds, so Z goes too.
        #expect(without[0][0].verdict == .keep)
        #expect(without[1][0].verdict == .drop(reason: "minhash_duplicate"))
        #expect(with[0][0].verdict == .drop(reason: "near_duplicate_of_index"))
        #expect(with[0][1].verdict == .keep)
        #expect(with[1][0].verdict == .drop(reason: "near_duplicate_of_index"))
        #expect(with[0][0].document.metadata["duplicate_of_index"] == .string(index.path))
    }

    @Test("line_dedup with an index: lines of the reference corpus removed, fully old documents dropped")
    func lineAgainstIndex() throws {
        let box = try Sandbox()
        defer { box.finish() }
        let index = try buildIndex(try corpus.writeOld(box.path), into: box.path + "/idx")
        let shards = corpus.newShards(2)
        let with = try runCorpusStage(LineDeduplicator(index: index), shards).flatMap { $0 }
        let without = try runCorpusStage(LineDeduplicator(), shards).flatMap { $0 }
        for (i, d) in corpus.new.enumerated() {
            switch d.kind {
            case .crossExact:
                #expect(with[i].verdict == .drop(reason: "line_duplicate_of_index"), "cross exact copy \(i): \(with[i].verdict)")
                #expect(with[i].document.metadata["duplicate_of_index"] == .string(index.path))
            case .crossNear:
                // Only the changed lines survive.
                #expect(with[i].verdict == .keep)
                #expect((with[i].document.metadata["index_lines_removed"]?.intValue ?? 0) >= 5)
                #expect(with[i].document.text.split(separator: "\n").count <= 2)
            case .unique, .newOriginal, .newExactCopy, .newNearCopy:
                // Inside new: exactly as without the index.
                #expect(with[i].verdict == without[i].verdict, "\(d.kind) \(i)")
                #expect(with[i].document == without[i].document, "\(d.kind) \(i)")
                #expect(with[i].document.metadata["index_lines_removed"] == nil)
            }
        }
    }

    @Test("index build: the same bytes for 1 or 2 workers, a big budget or a tiny one (spills, multi-pass merge)")
    func buildDeterministic() throws {
        let box = try Sandbox()
        defer { box.finish() }
        let files = try corpus.writeOld(box.path, parts: 5)
        _ = try buildIndex(files, into: box.path + "/a", workers: 1)
        // 256 bytes per worker: a spill every document or two, more than 64 runs per file
        // (a multi-pass merge).
        let tiny = try buildIndex(files, into: box.path + "/b", workers: 2, budget: 512)
        let a = try indexFiles(box.path + "/a")
        let b = try indexFiles(box.path + "/b")
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.keys.contains("exact.u64") && a.keys.contains("line.u64") && a.keys.contains("minhash/band-013.u64"))
        for (name, bytes) in a { #expect(b[name] == bytes, "\(name) differs") }
        #expect(!FileSystem.exists(box.path + "/b/tmp"), "tmp/ was left behind")
        #expect(tiny.documents == corpus.old.count)
        #expect(tiny.exactCount == corpus.old.count)
        #expect(tiny.bandCounts.count == 14)
    }

    @Test("sorted word files: every member found, non-members not, across block edges")
    func lookups() throws {
        let box = try Sandbox()
        defer { box.finish() }
        var g = SplitCorpus.Generator(state: 9)
        var words = (0..<5000).map { _ in g.next() | 1 }  // odd words
        sortUnique(&words)
        let path = box.path + "/w.u64"
        let w = try AtomicFileWriter(path: path)
        try words.withUnsafeBytes { try w.write($0) }
        try w.commit()
        let file = try SortedWordFile(path: path, count: words.count, checksum: w.checksum.hex, what: "test")
        var cursor = SortedWordFile.Cursor()
        var missed = 0
        var wrong = 0
        for x in words {
            if try !file.contains(x, cursor: &cursor) { missed += 1 }
        }
        for x in words.prefix(2000) + [1, 2, UInt64.max - 1] {
            if try file.contains(x &- 1, cursor: &cursor) { wrong += 1 }
        }
        #expect(missed == 0)
        #expect(wrong == 0)
        #expect(file.count == words.count && words.count > 3 * SortedWordFile.blockWords)
    }

    @Test("a damaged or missing index is an error naming the file")
    func corrupt() throws {
        let box = try Sandbox()
        defer { box.finish() }
        let folder = box.path + "/idx"
        _ = try buildIndex(try corpus.writeOld(box.path), into: folder)
        // One flipped byte in a band file.
        var band = try FileSystem.readAll(folder + "/minhash/band-003.u64")
        band[17] ^= 0x40
        try FileSystem.writeAll(folder + "/minhash/band-003.u64", band)
        #expect(throws: ConfigError.self) { _ = try DedupIndex(path: folder) }
        do {
            _ = try DedupIndex(path: folder)
        } catch let e as ConfigError {
            #expect(e.message.contains(folder + "/minhash/band-003.u64"), "\(e.message)")
            #expect(e.message.contains("damaged"), "\(e.message)")
        }
        // A truncated exact file.
        band[17] ^= 0x40
        try FileSystem.writeAll(folder + "/minhash/band-003.u64", band)
        _ = try DedupIndex(path: folder)
        let exact = try FileSystem.readAll(folder + "/exact.u64")
        try FileSystem.writeAll(folder + "/exact.u64", Array(exact.dropLast(8)))
        do {
            _ = try DedupIndex(path: folder)
            Issue.record("a truncated exact.u64 was accepted")
        } catch let e as ConfigError {
            #expect(e.message.contains(folder + "/exact.u64"), "\(e.message)")
        }
        // No manifest (a build that did not finish), or no folder at all.
        try FileSystem.remove(folder + "/index.json")
        do {
            _ = try DedupIndex(path: folder)
            Issue.record("an index without index.json was accepted")
        } catch let e as ConfigError {
            #expect(e.message.contains("index.json"), "\(e.message)")
        }
        do {
            _ = try DedupIndex(path: box.path + "/nothing-here")
            Issue.record("a missing index was accepted")
        } catch let e as ConfigError {
            #expect(e.message.contains(box.path + "/nothing-here"), "\(e.message)")
        }
    }

    @Test("minhash_dedup refuses an index built with other MinHash parameters, naming both")
    func parameterMismatch() throws {
        let box = try Sandbox()
        defer { box.finish() }
        let index = try buildIndex(
            try corpus.writeOld(box.path), into: box.path + "/idx", kinds: [.minhash], minhash: MinHashIndexParameters(ngram: 5, bands: 14, rows: 8, seed: 1))
        try MinHashDeduplicator().checkIndex(index)
        for stage in [MinHashDeduplicator(bands: 10), MinHashDeduplicator(ngram: 3), MinHashDeduplicator(rows: 4), MinHashDeduplicator(seed: 2)] {
            do {
                try stage.checkIndex(index)
                Issue.record("mismatched index accepted for \(stage.indexParameters)")
            } catch let e as ConfigError {
                #expect(e.message.contains("ngram 5, bands 14, rows 8, seed 1"), "\(e.message)")
                #expect(e.message.contains(stage.indexParameters.description), "\(e.message)")
            }
        }
    }

    @Test("the index folder: a folder Winnow did not create is refused, an index replaced only with overwrite, stray files survive")
    func folderOwnership() throws {
        let box = try Sandbox()
        defer { box.finish() }
        let files = try corpus.writeOld(box.path)
        // A non-empty folder without the marker: refused, untouched.
        let foreign = box.path + "/foreign"
        try FileSystem.createDirectory(foreign)
        try FileSystem.writeAll(foreign + "/exact.u64", Array("user data".utf8))
        #expect(throws: ConfigError.self) { _ = try buildIndex(files, into: foreign) }
        #expect(try FileSystem.readAll(foreign + "/exact.u64") == Array("user data".utf8))
        // An index: refused without overwrite; with it, replaced and a stray file survives.
        let folder = box.path + "/idx"
        _ = try buildIndex(files, into: folder)
        try FileSystem.writeAll(folder + "/notes.txt", Array("mine".utf8))
        #expect(throws: ConfigError.self) { _ = try buildIndex(files, into: folder) }
        let rebuilt = try buildIndex(Array(files.prefix(1)), into: folder, overwrite: true)
        #expect(rebuilt.documents < corpus.old.count)
        #expect(try FileSystem.readAll(folder + "/notes.txt") == Array("mine".utf8))
    }

    @Test("an index built without normalize holds raw-byte hashes, as exact_dedup normalize: false")
    func exactRawIndex() throws {
        let box = try Sandbox()
        defer { box.finish() }
        let index = try buildIndex(try corpus.writeOld(box.path), into: box.path + "/idx", kinds: [.exact], normalize: false)
        #expect(index.exactNormalize == false)
        // Raw hashes: case-changed copies are no longer matches, verbatim ones are.
        let shards = [corpus.old.prefix(3).map { $0 } + [corpus.old[4].uppercased()]]
        let out = reasons(try runCorpusStage(ExactDeduplicator(normalize: false, index: index), shards))
        #expect(out == [.drop(reason: "exact_duplicate_of_index"), .drop(reason: "exact_duplicate_of_index"), .drop(reason: "exact_duplicate_of_index"), .keep])
    }
}
