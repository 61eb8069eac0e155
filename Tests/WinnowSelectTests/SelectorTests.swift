import Foundation
import Testing
import WinnowCore
@testable import WinnowSelect

@Suite("top_k, threshold, mix")
struct SelectorTests {
    static func scored(_ values: [Double?], key: String = "q") -> [Document] {
        values.enumerated().map { i, v in
            Document(id: "d\(i)", text: "text \(i)", scores: v.map { [key: $0] } ?? [:])
        }
    }

    @Test("top_k keeps the highest scores; ties go to the earlier document in input order")
    func topKTies() throws {
        let docs = Self.scored([1, 5, 3, 5, 2, 5, 0])
        let stage = TopKSelector(score: "q", size: .count(2))
        #expect(keptIDs(try runSelection(stage, [docs])) == ["d1", "d3"])
        // Across shards the order is shard order, then position.
        #expect(keptIDs(try runSelection(stage, shard(docs, sizes: [2, 2, 3]))) == ["d1", "d3"])
        let lowest = TopKSelector(score: "q", size: .count(3), lowest: true)
        #expect(keptIDs(try runSelection(lowest, shard(docs, sizes: [4, 3]))) == ["d0", "d4", "d6"])
        let out = try runSelection(TopKSelector(score: "q", size: .fraction(0.5)), [docs])
        #expect(keptIDs(out) == ["d1", "d2", "d3", "d5"])  // 3.5 rounds to 4
        #expect(out[0][0].verdict == .drop(reason: "top_k_not_selected"))
    }

    @Test("top_k: a missing score is an error naming the document, or a drop")
    func topKMissing() throws {
        let docs = Self.scored([1, nil, 3])
        let error = #expect(throws: InputError.self) { _ = try runSelection(TopKSelector(score: "q", size: .count(1)), [docs]) }
        #expect(error?.description.contains("document d1") == true)
        #expect(error?.description.contains("no score 'q'") == true)
        let out = try runSelection(TopKSelector(score: "q", size: .count(5), missing: .drop), [docs])
        #expect(keptIDs(out) == ["d0", "d2"])
        #expect(out[0][1].verdict == .drop(reason: "score_missing"))
    }

    @Test("threshold keeps scores within [min, max], bounds inclusive", arguments: [
        (0.5, "score_below_min"), (1.0, nil), (2.0, nil), (3.0, nil), (3.5, "score_above_max"),
    ] as [(Double, String?)])
    func threshold(value: Double, reason: String?) throws {
        let f = ScoreThresholdFilter(score: "q", min: 1, max: 3)
        let v = try f.verdict(for: Document(id: "x", text: "", scores: ["q": value]), context: StageContext())
        #expect(v == (reason.map { .drop(reason: $0) } ?? .keep))
    }

    @Test("threshold: missing scores error, drop or keep as configured")
    func thresholdMissing() throws {
        let doc = Document(id: "doc-9", text: "", scores: ["other": 1])
        let error = #expect(throws: InputError.self) {
            _ = try ScoreThresholdFilter(score: "q", min: 0).verdict(for: doc, context: StageContext())
        }
        #expect(error?.description.contains("doc-9") == true)
        #expect(try ScoreThresholdFilter(score: "q", min: 0, missing: .drop).verdict(for: doc, context: StageContext())
            == .drop(reason: "score_missing"))
        #expect(try ScoreThresholdFilter(score: "q", max: 0, missing: .keep).verdict(for: doc, context: StageContext()) == .keep)
    }

    static func domains(_ counts: [(String, Int)]) -> [Document] {
        var docs: [Document] = []
        for (d, n) in counts {
            for i in 0..<n { docs.append(Document(id: "\(d)\(i)", text: "", metadata: ["source": .string(d)])) }
        }
        // Interleave so domains are spread over shards.
        return docs.enumerated().sorted { ($0.offset * 7919) % docs.count < ($1.offset * 7919) % docs.count }.map(\.element)
    }

    func perDomain(_ ids: [String]) -> [String: Int] {
        var out: [String: Int] = [:]
        for id in ids { out[String(id.prefix { $0.isLetter }), default: 0] += 1 }
        return out
    }

    @Test("mix draws each domain's share exactly, deterministically for any shard layout")
    func mixProportions() throws {
        let docs = Self.domains([("wiki", 300), ("web", 500), ("books", 100), ("spam", 50)])
        let stage = DomainMixer(weights: [("wiki", 0.5), ("web", 0.3), ("books", 0.2)], size: .count(301))
        let one = try runSelection(stage, [docs], seed: 3)
        // 150.5, 90.3, 60.2 → 150 + 90 + 60 = 300, the remaining one goes to the largest remainder (wiki).
        #expect(perDomain(keptIDs(one)) == ["wiki": 151, "web": 90, "books": 60])
        let four = try runSelection(stage, shard(docs, sizes: [100, 300, 250, 300]), seed: 3)
        #expect(keptIDs(one) == keptIDs(four))
        #expect(keptIDs(try runSelection(stage, [docs], seed: 4)) != keptIDs(one))
        let spam = one[0].first { $0.document.id.hasPrefix("spam") }
        #expect(spam?.verdict == .drop(reason: "mix_unlisted_domain"))
    }

    @Test("mix: a short domain is an error, or kept whole, or its shortfall redistributed")
    func mixShortfall() throws {
        let docs = Self.domains([("wiki", 300), ("web", 500), ("books", 20)])
        let weights: [(domain: String, weight: Double)] = [("wiki", 0.5), ("web", 0.3), ("books", 0.2)]
        let error = #expect(throws: ConfigError.self) {
            _ = try runSelection(DomainMixer(weights: weights, size: .count(200)), [docs])
        }
        #expect(error?.message.contains("'books' has 20 documents, its share is 40") == true)
        let kept = try runSelection(DomainMixer(weights: weights, size: .count(200), onShort: .keepAll), [docs])
        #expect(perDomain(keptIDs(kept)) == ["wiki": 100, "web": 60, "books": 20])
        let re = try runSelection(DomainMixer(weights: weights, size: .count(200), onShort: .redistribute), [docs])
        // 180 left for wiki:web at 5:3 → 112.5 / 67.5 → 113 / 67 (tie to the earlier domain).
        #expect(perDomain(keptIDs(re)) == ["wiki": 113, "web": 67, "books": 20])
    }

    @Test("mix quotas use largest remainders and always add up")
    func apportion() {
        #expect(DomainMixer.apportion(10, shares: [1.0 / 3, 1.0 / 3, 1.0 / 3]) == [4, 3, 3])
        #expect(DomainMixer.apportion(7, shares: [0.5, 0, 0.5]) == [4, 0, 3])
        #expect(DomainMixer.apportion(5, shares: [0, 0]) == [0, 0])
    }

    static let badCases: [(String, [(String, Param)], String)] = [
        ("top_k", [("count", .s("3"))], "needs 'score'"),
        ("top_k", [("score", .s("q")), ("count", .s("3")), ("order", .s("up"))], "'order' must be one of highest, lowest"),
        ("top_k", [("score", .s("q"))], "needs 'count', 'fraction' or 'tokens'"),
        ("threshold", [("score", .s("q"))], "needs 'min', 'max' or both"),
        ("threshold", [("score", .s("q")), ("min", .s("5")), ("max", .s("1"))], "min (5.0) is above max (1.0)"),
        ("threshold", [("score", .s("q")), ("min", .s("x"))], "'min' must be a number"),
        ("mix", [("count", .s("3"))], "needs 'weights'"),
        ("mix", [("weights", .map([("a", "1"), ("b", "-1")])), ("count", .s("3"))], "weight of 'b' must be ≥ 0"),
        ("mix", [("weights", .map([("a", "0")])), ("count", .s("3"))], "the weights are all zero"),
        ("mix", [("weights", .map([("a", "x")])), ("count", .s("3"))], "'weights.a' must be a number"),
        ("mix", [("weights", .list(["a"])), ("count", .s("3"))], "must be a mapping of names to numbers"),
        ("mix", [("weights", .map([("a", "1")])), ("count", .s("3")), ("on_short", .s("ignore"))], "'on_short' must be one of"),
    ]

    @Test("bad parameters are clear errors", arguments: 0..<12)
    func badParameters(index: Int) {
        let (stage, entries, message) = Self.badCases[index]
        let descriptor = [TopKSelector.descriptor, ScoreThresholdFilter.descriptor, DomainMixer.descriptor].first { $0.name == stage }!
        let error = #expect(throws: ConfigError.self) { _ = try descriptor.build(params(entries)) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.description.hasPrefix("r.yaml:") == true)
    }
}
