import Foundation
import Testing
import WinnowCore
@testable import WinnowSelect

/// A parameter value in a test recipe.
enum Param {
    case s(String)
    case list([String])
    case map([(String, String)])
}

/// A recipe-like parameter mapping at `r.yaml` (one entry per line from line 2).
func params(_ entries: [(String, Param)]) -> ConfigValue {
    func value(_ v: Param, _ line: Int) -> ConfigValue {
        let at = SourceLocation(file: "r.yaml", line: line, column: 5)
        switch v {
        case .s(let x): return ConfigValue(.scalar(x), at: at)
        case .list(let l): return ConfigValue(.sequence(l.map { ConfigValue(.scalar($0), at: at) }), at: at)
        case .map(let m): return ConfigValue(.mapping(m.map { ($0.0, ConfigValue(.scalar($0.1), at: at)) }), at: at)
        }
    }
    return ConfigValue(.mapping(entries.enumerated().map { ($0.element.0, value($0.element.1, $0.offset + 2)) }),
                       at: SourceLocation(file: "r.yaml", line: 1))
}

@Suite("DSIR")
struct DSIRTests {
    // Reference values: data_selection.hashed_ngram_dsir.hash_buckets (Python's hashlib).
    @Test("n-gram buckets are SHA-256 modulo the bucket count, as hash_buckets", arguments: [
        ("", 6549, 1, 2_018_687_061), ("a", 3499, 1, 2_951_628_987), ("hello", 7620, 2, 2_475_399_204),
        ("hello world", 1529, 5, 3_807_366_633), ("abc", 9965, 5, 4_060_091_821), ("the cat", 143, 4, 879_292_351),
        (String(repeating: "x", count: 100), 8136, 5, 2_931_643_096), ("naïve café", 3602, 0, 1_247_738_882),
    ])
    func buckets(text: String, b10000: Int, b7: Int, b2to32: Int) {
        var t = text
        t.withUTF8 { u in
            let raw = UnsafeRawBufferPointer(u)
            #expect(SHA256.bucket(raw, modulus: 10_000) == UInt64(b10000))
            #expect(SHA256.bucket(raw, modulus: 7) == UInt64(b7))
            #expect(SHA256.bucket(raw, modulus: 1 << 32) == UInt64(b2to32))
            // The cache gives the same answer on a miss and on a hit.
            let cache = NgramBucketCache()
            #expect(cache.bucket(raw, modulus: 10_000) == b10000)
            #expect(cache.bucket(raw, modulus: 10_000) == b10000)
        }
    }

    @Test("SHA-256 digests across block boundaries, SHA extensions and portable code alike")
    func digestLengths() {
        // hashlib.sha256(b"a" * n).hexdigest()[:8]
        let expected: [Int: UInt32] = [55: 0x9f4390f8, 56: 0xb35439a4, 63: 0x7d3e74a0, 64: 0xffe054fe, 119: 0x31eba51c]
        for (n, first) in expected {
            let bytes = [UInt8](repeating: 0x61, count: n)
            let d = bytes.withUnsafeBytes { SHA256.digest($0) }
            #expect(d[0] == first, "length \(n)")
        }
        // The two implementations agree on every length up to three blocks.
        let text = Array("The quick brown fox jumps over the lazy dog; Σίσυφος naïve café 0123456789 …".utf8)
        var message: [UInt8] = []
        while message.count < 200 { message += text }
        for n in 0...200 {
            let auto = message.withUnsafeBytes { SHA256.digest(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            SHA256.forcePortable(true)
            let portable = message.withUnsafeBytes { SHA256.digest(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            SHA256.forcePortable(false)
            #expect(auto == portable, "length \(n)")
        }
    }

    // Reference: nltk 3.10 WordPunctTokenizer().tokenize(text.lower()).
    @Test("tokens match NLTK's WordPunctTokenizer on Python-lowercased text", arguments: [
        ("Hello, World! It's 3.14 — naïve_CAFÉ…", ["hello", ",", "world", "!", "it", "'", "s", "3", ".", "14", "—", "naïve_café", "…"]),
        ("ΟΔΟΣ ΣΑΣ", ["οδος", "σας"]),
        ("Σίσυφος ΟΔΟΣ naïve café — 42 rivers", ["σίσυφος", "οδος", "naïve", "café", "—", "42", "rivers"]),
        ("İstanbul e\u{301}te x² ½ ٣٤", ["i\u{307}stanbul", "e\u{301}te", "x", "²", "½", "٣٤"]),
        ("tabs\tand\nnewlines\u{a0}nbsp\u{1c}x", ["tabs", "and", "newlines", "nbsp", "\u{1c}", "x"]),
        ("Buy cheap watches now!!! Best prices", ["buy", "cheap", "watches", "now", "!!!", "best", "prices"]),
        ("", []),
    ])
    func tokens(text: String, expected: [String]) {
        #expect(HashedNgramFeaturizer().tokenize(text) == expected)
    }

    @Test("bucket counts match get_ngram_counts (unigrams + bigrams, 10 buckets)")
    func counts() {
        let f = HashedNgramFeaturizer(buckets: 10, ngrams: 2)
        #expect(f.counts("The cat sat on the mat. The cat!") == [2, 0, 1, 3, 2, 1, 2, 3, 5, 0])
        #expect(f.exampleLength(features: 15) == 8)
        #expect(f.exampleLength(features: 0) == 0)
    }

    @Test("normalisation and the log ratio follow the reference's smoothing")
    func logRatio() {
        let r = DSIRSelector.logRatio(target: [2, 0, 2], raw: [1, 1, 2])
        #expect(abs(r[0] - (log(0.5 + 1e-8) - log(0.25 + 1e-8))) < 1e-15)
        #expect(abs(r[1] - (log(1e-8) - log(0.25 + 1e-8))) < 1e-12)
        #expect(r[2] == 0)
    }

    static let target = "The river flows into the sea near the old town.\nRivers and seas: the town's harbour is old!\n"
    static let raw = [
        "The old town sits by the river.", "Buy cheap watches now!!! Best prices, free shipping.",
        "Σίσυφος ΟΔΟΣ naïve café — 42 rivers", "the the the the",
    ]

    @Test("log importance weights equal data-selection's on a small corpus; top-k keeps the largest")
    func weights() throws {
        let path = try temporaryFile(Self.target, suffix: ".txt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let stage = DSIRSelector(target: [path], size: .count(2), minLength: 0, noise: false)
        let docs = Self.raw.enumerated().map { Document(id: "d\($0.offset)", text: $0.element) }
        let out = try runSelection(stage, shard(docs, sizes: [3, 1]))
        // np.dot(log_diff, get_ngram_counts(x)) from data_selection 1.0.x.
        let expected = [-84.31930317027299, -288.35857722808436, -172.5027934217878, -47.13903672415437]
        let got = out.flatMap { $0.map { $0.document.scores["dsir"] ?? .nan } }
        for (g, e) in zip(got, expected) { #expect(abs(g - e) <= 1e-12 * abs(e), "\(g) vs \(e)") }
        #expect(keptIDs(out) == ["d0", "d3"])
        #expect(out[0][1].verdict == .drop(reason: "dsir_not_selected"))
    }

    @Test("documents shorter than min_length are never selected; asking for more than remain is an error")
    func minLength() throws {
        let path = try temporaryFile(Self.target, suffix: ".txt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let docs = Self.raw.enumerated().map { Document(id: "d\($0.offset)", text: $0.element) }
        // Example lengths: 8, 11, 7, 4 tokens.
        let out = try runSelection(DSIRSelector(target: [path], size: .count(2), minLength: 8), [docs])
        #expect(keptIDs(out) == ["d0", "d1"])
        #expect(out[0][2].verdict == .drop(reason: "dsir_too_short"))
        #expect(out[0][2].document.scores["dsir"] != nil)
        let error = #expect(throws: ConfigError.self) {
            _ = try runSelection(DSIRSelector(target: [path], size: .count(3), minLength: 8), [docs])
        }
        #expect(error?.message.contains("only 2 of 4 have at least min_length = 8 tokens") == true)
    }

    /// 300 short documents mixing river/sea sentences (close to the target) and shopping spam.
    static func corpus() -> [Document] {
        let near = ["the river flows past the old town", "ships sail into the harbour by the sea", "the town is old and quiet"]
        let far = ["buy cheap watches now", "best prices and free shipping", "click here for a discount code"]
        return (0..<300).map { i in
            var words: [String] = []
            for k in 0..<(3 + i % 5) { words.append((i % 3 == 0 ? near : far)[(i + k) % 3]) }
            return Document(id: "doc\(i)", text: words.joined(separator: ". "))
        }
    }

    @Test("Gumbel top-k is deterministic and independent of the shard layout; the seed changes it")
    func gumbel() throws {
        let path = try temporaryFile(Self.target, suffix: ".txt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let docs = Self.corpus()
        // 50 of 300: the near documents come in five lengths of 20 identical texts each, so the
        // sample must choose among equal weights, which only the noise decides.
        let stage = DSIRSelector(target: [path], size: .fraction(1.0 / 6), minLength: 0, noise: true)
        let one = try runSelection(stage, [docs], seed: 7)
        let three = try runSelection(stage, shard(docs, sizes: [100, 57, 143]), seed: 7)
        let again = try runSelection(stage, [docs], seed: 7)
        #expect(keptIDs(one).count == 50)
        #expect(keptIDs(one) == keptIDs(three))
        #expect(keptIDs(one) == keptIDs(again))
        #expect(one.flatMap { $0.map(\.document.scores) } == three.flatMap { $0.map(\.document.scores) })
        let other = try runSelection(stage, [docs], seed: 8)
        #expect(keptIDs(other) != keptIDs(one))
        // The stage's own seed overrides the run's.
        var seeded = stage
        seeded.seed = 7
        #expect(keptIDs(try runSelection(seeded, [docs], seed: 99)) == keptIDs(one))
        // Sampling follows the weights: target-like documents (every third) dominate the sample.
        let near = keptIDs(one).filter { Int($0.dropFirst(3))! % 3 == 0 }.count
        #expect(near > 40)
    }

    @Test("JSONL targets are read by their text field")
    func jsonlTarget() throws {
        let lines = Self.target.split(separator: "\n").map { #"{"id": "t", "text": "\#($0)"}"# }
        let jsonl = try temporaryFile(lines.joined(separator: "\n") + "\n", suffix: ".jsonl")
        let text = try temporaryFile(Self.target, suffix: ".txt")
        defer {
            try? FileManager.default.removeItem(atPath: jsonl)
            try? FileManager.default.removeItem(atPath: text)
        }
        #expect(try DSIRSelector(target: [jsonl], size: .count(1)).targetCounts()
            == DSIRSelector(target: [text], size: .count(1)).targetCounts())
    }

    static let badCases: [([(String, Param)], String)] = [
        ([("count", .s("5"))], "needs 'target'"),
        ([("target", .list(["/nonexistent/t.txt"])), ("count", .s("5"))], "matches no file"),
        ([("target", .list(["TARGET"]))], "needs 'count' or 'fraction'"),
        ([("target", .list(["TARGET"])), ("count", .s("5")), ("fraction", .s("0.5"))], "either 'count' or 'fraction'"),
        ([("target", .list(["TARGET"])), ("count", .s("5")), ("buckets", .s("0"))], "'buckets' must be ≥ 1"),
        ([("target", .list(["TARGET"])), ("fraction", .s("1.5"))], "'fraction' must be ≤ 1"),
        ([("target", .list(["TARGET"])), ("count", .s("5")), ("noise", .s("maybe"))], "'noise' must be true or false"),
        ([("target", .list(["TARGET"])), ("count", .s("5")), ("bucket", .s("10"))], "has no parameter 'bucket'"),
    ]

    @Test("bad parameters are errors naming the recipe line", arguments: 0..<8)
    func badParameters(index: Int) throws {
        let (entries, message) = Self.badCases[index]
        let path = try temporaryFile(Self.target, suffix: ".txt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fixed = entries.map { e -> (String, Param) in
            if case .list(let l) = e.1 { return (e.0, .list(l.map { $0 == "TARGET" ? path : $0 })) }
            return e
        }
        let error = #expect(throws: ConfigError.self) { _ = try DSIRSelector.descriptor.build(params(fixed)) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.description.hasPrefix("r.yaml:") == true)
    }
}
