#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO

/// Samples a corpus to domain proportions: documents are grouped by a metadata key (e.g.
/// `source`), and `count` documents in total are drawn, each domain getting its share of the
/// weights (largest-remainder rounding, so the shares add up to `count` exactly). With `tokens`
/// the shares are of a token budget (``tokenSample(budget:members:tokens:seed:)``).
///
/// Within a domain the sample is uniform without replacement, seeded: the documents with the
/// smallest stable hash of (seed, index in the run's input order), so the same for any worker
/// count. Documents of domains not in `weights` (or without the key) are dropped. A domain with
/// fewer documents than its share is an error naming the domains, unless `on_short` says to keep
/// all of it (`keep_all`, a smaller total) or to give the missing documents to the other
/// domains in proportion to their weights (`redistribute`).
public struct DomainMixer: CorpusStage, RegisteredStage {
    /// What to do when a domain has fewer documents than its share.
    public enum Shortfall: String, Sendable, CaseIterable {
        /// Stop with an error listing the short domains.
        case error
        /// Keep every document of the short domain; the total is smaller.
        case keepAll = "keep_all"
        /// Fill the total from the other domains, in proportion to their weights.
        case redistribute
    }

    /// The stage name.
    public var name: String { "mix" }
    /// The metadata key naming a document's domain.
    public var key: String
    /// Domain weights, in recipe order (normalised to sum 1).
    public var weights: [(domain: String, weight: Double)]
    /// How many documents to keep in total.
    public var size: SelectionSize
    /// Short domains.
    public var onShort: Shortfall
    /// Sampling seed; nil: the run's seed.
    public var seed: UInt64?
    /// Where the stage is in the recipe (for errors raised in resolve).
    public var location: SourceLocation?

    /// Creates the stage.
    public init(key: String = "source", weights: [(domain: String, weight: Double)], size: SelectionSize,
                onShort: Shortfall = .error, seed: UInt64? = nil, location: SourceLocation? = nil) {
        self.key = key
        self.weights = weights
        self.size = size
        self.onShort = onShort
        self.seed = seed
        self.location = location
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "mix", kind: .corpus,
        summary: "Samples count (or fraction) documents in total so that domains (a metadata key, e.g. source) follow the given weights; seeded uniform sampling within each domain, documents of unlisted domains dropped.",
        parameters: [
            ParameterSpec("key", "string", default: "source", "metadata key holding the domain"),
            ParameterSpec("weights", "{string: number}", default: nil, "domain → weight, e.g. {wiki: 0.5, web: 0.3, books: 0.2} (normalised)"),
        ] + SelectionSize.parametersWithTokens + [
            ParameterSpec("on_short", "string", default: "error", "a domain with fewer documents than its share: error, keep_all or redistribute"),
            ParameterSpec("seed", "int", default: "run seed", "sampling seed"),
        ],
        dropReasons: ["mix_not_sampled", "mix_unlisted_domain"],
        make: { p in
            guard let weights = try p.numberMapping("weights"), !weights.isEmpty else {
                throw ConfigError("stage 'mix' needs 'weights' (a mapping of domain to weight)", at: p.location)
            }
            for (d, w) in weights where w < 0 {
                throw ConfigError("stage 'mix': weight of '\(d)' must be ≥ 0, got \(w)", at: p.location(of: "weights"))
            }
            if weights.allSatisfy({ $0.value == 0 }) {
                throw ConfigError("stage 'mix': the weights are all zero", at: p.location(of: "weights"))
            }
            if weights.count > Int(UInt16.max) {
                throw ConfigError("stage 'mix': at most \(UInt16.max) domains", at: p.location(of: "weights"))
            }
            let onShort = try p.string("on_short", default: "error", choices: Shortfall.allCases.map(\.rawValue)) ?? "error"
            return DomainMixer(
                key: try p.string("key", default: "source") ?? "source", weights: weights.map { ($0.key, $0.value) },
                size: try SelectionSize.read(p, tokens: true), onShort: Shortfall(rawValue: onShort) ?? .error,
                seed: try p.int("seed", min: 0).map { UInt64($0) }, location: p.location)
        })

    static let unlisted = UInt16.max
    static func domainsFile(_ shard: Int) -> String { "domains-\(shard).u16" }
    static func marksFile(_ shard: Int) -> String { "marks-\(shard).u8" }

    // MARK: - Observe

    final class Observer: CorpusObserver {
        let context: CorpusContext
        let key: String
        let index: [String: UInt16]
        let countTokens: Bool
        var domains: [UInt16] = []
        var tokens: [UInt64] = []

        init(context: CorpusContext, key: String, index: [String: UInt16], countTokens: Bool) {
            self.context = context
            self.key = key
            self.index = index
            self.countTokens = countTokens
        }

        func observe(_ document: Document, index i: Int) throws {
            let name = document.metadata[key].map(DomainMixer.domainName) ?? nil
            let domain = name.flatMap { index[$0] } ?? DomainMixer.unlisted
            domains.append(domain)
            if countTokens { tokens.append(domain == DomainMixer.unlisted ? 0 : try TokenCounts.of(document, stage: "mix")) }
        }

        func finish() throws {
            try StateFile.write(domains, to: context.path(DomainMixer.domainsFile(context.shard)))
            if countTokens { try StateFile.write(tokens, to: context.path(TokenCounts.file(context.shard))) }
        }
    }

    /// The domain name of a metadata value (strings as they are, numbers and Booleans as text).
    static func domainName(_ value: MetadataValue) -> String? {
        if let s = value.stringValue { return s }
        if let i = value.intValue { return String(i) }
        if case .number(let text) = value { return text }
        if let d = value.doubleValue { return d.description }
        if case .bool(let b) = value { return b ? "true" : "false" }
        return nil
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        var index: [String: UInt16] = [:]
        for (i, w) in weights.enumerated() where index[w.domain] == nil { index[w.domain] = UInt16(i) }
        return Observer(context: context, key: key, index: index, countTokens: size.tokenBudget != nil)
    }

    // MARK: - Resolve

    /// The number of documents drawn from each domain, given how many each has.
    /// - Throws: ``ConfigError`` for a short domain when `onShort` is `.error`.
    public func quotas(total: Int, available: [Int]) throws -> [Int] {
        let sum = weights.reduce(0) { $0 + $1.weight }
        let shares = weights.map { $0.weight / sum }
        var quota = Self.apportion(total, shares: shares)
        let short = quota.indices.filter { quota[$0] > available[$0] }
        if short.isEmpty { return quota }
        switch onShort {
        case .error:
            let list = short.map { "'\(weights[$0].domain)' has \(available[$0]) documents, its share is \(quota[$0])" }
            throw ConfigError(
                "stage 'mix': " + list.joined(separator: "; ") + " (set on_short: keep_all or redistribute)", at: location)
        case .keepAll:
            for i in short { quota[i] = available[i] }
            return quota
        case .redistribute:
            // Cap the short domains, share what is left among the others; repeat until all fit.
            var capped = Set<Int>()
            while true {
                let over = quota.indices.filter { !capped.contains($0) && quota[$0] > available[$0] }
                if over.isEmpty { return quota }
                capped.formUnion(over)
                let fixed = capped.reduce(0) { $0 + available[$1] }
                let open = quota.indices.filter { !capped.contains($0) }
                let openSum = open.reduce(0.0) { $0 + shares[$1] }
                let rest = Self.apportion(max(0, total - fixed), shares: open.map { openSum > 0 ? shares[$0] / openSum : 0 })
                for i in capped { quota[i] = available[i] }
                for (j, i) in open.enumerated() { quota[i] = rest[j] }
                if open.isEmpty || openSum == 0 { return quota }
            }
        }
    }

    /// Largest-remainder rounding of `total × shares` (ties to the earlier domain).
    static func apportion(_ total: Int, shares: [Double]) -> [Int] {
        let exact = shares.map { Double(total) * $0 }
        var out = exact.map { Int($0.rounded(.down)) }
        var left = total - out.reduce(0, +)
        let order = exact.indices.filter { shares[$0] > 0 }.sorted { a, b in
            let ra = exact[a] - exact[a].rounded(.down)
            let rb = exact[b] - exact[b].rounded(.down)
            return ra > rb || (ra == rb && a < b)
        }
        var k = 0
        while left > 0 && !order.isEmpty {
            out[order[k % order.count]] += 1
            left -= 1
            k += 1
        }
        return out
    }

    /// Draws each domain's quota and marks the kept documents.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        var domains: [UInt16] = []
        var sizes: [Int] = []
        for shard in 0..<context.shardCount {
            let d = try StateFile.read(context.path(Self.domainsFile(shard)), as: UInt16.self)
            sizes.append(d.count)
            domains += d
        }
        var members = [[Int]](repeating: [], count: weights.count)
        for (i, d) in domains.enumerated() where d != Self.unlisted { members[Int(d)].append(i) }
        let s = seed ?? context.seed
        var mask = [Bool](repeating: false, count: domains.count)
        let eligible = domains.map { $0 != Self.unlisted }
        if let budget = size.tokenBudget {
            var tokens: [UInt64] = []
            for shard in 0..<context.shardCount { tokens += try StateFile.read(context.path(TokenCounts.file(shard)), as: UInt64.self) }
            for i in try tokenSample(budget: budget, members: members, tokens: tokens, seed: s) { mask[i] = true }
            try SelectionMark.writeShards(mask: mask, eligible: eligible, sizes: sizes) { context.path(Self.marksFile($0)) }
            return
        }
        let quota = try quotas(total: size.resolve(total: domains.count), available: members.map(\.count))
        for (d, list) in members.enumerated() where quota[d] > 0 {
            let keyed = list.map { (Ranking.uniform(seed: s, index: $0, stream: 0x4D49_58), $0) }
            for (_, i) in keyed.sorted(by: { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }).prefix(quota[d]) {
                mask[i] = true
            }
        }
        try SelectionMark.writeShards(mask: mask, eligible: eligible, sizes: sizes) { context.path(Self.marksFile($0)) }
    }

    /// A token budget: each domain's share of `budget` (largest remainder), filled with its
    /// documents in seeded random order while they fit. Domains go in recipe order and what one
    /// leaves unfilled (less than its next document) is added to the next one's share, so the
    /// total falls short of the budget by less than one document of the last domain filled.
    /// - Throws: ``ConfigError`` when a domain has fewer tokens than its share and `onShort` is
    ///   `.error`; with `keep_all` such a domain keeps all it has, with `redistribute` its
    ///   shortfall goes to the next domains too.
    func tokenSample(budget: Int, members: [[Int]], tokens: [UInt64], seed s: UInt64) throws -> [Int] {
        let sum = weights.reduce(0) { $0 + $1.weight }
        let shares = Self.apportion(budget, shares: weights.map { $0.weight / sum })
        var taken: [Int] = []
        var carry: UInt64 = 0
        var short: [String] = []
        for (d, list) in members.enumerated() {
            let share = UInt64(shares[d]) + carry
            let keyed = list.map { (Ranking.uniform(seed: s, index: $0, stream: 0x4D49_58), $0) }
            let order = keyed.sorted(by: { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }).map(\.1)
            let (picked, total) = TokenCounts.prefix(order, tokens: tokens, budget: share)
            taken += picked
            let exhausted = picked.count == order.count
            if exhausted && total < share {
                short.append("'\(weights[d].domain)' has \(total) tokens, its share is \(share)")
                carry = onShort == .keepAll ? 0 : share - total
            } else {
                carry = share - total
            }
        }
        if !short.isEmpty && onShort == .error {
            throw ConfigError("stage 'mix': " + short.joined(separator: "; ") + " (set on_short: keep_all or redistribute)", at: location)
        }
        return taken
    }

    // MARK: - Decide

    /// Creates the per-shard decider.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        MarkDecider(
            marks: try StateFile.read(context.path(Self.marksFile(context.shard)), as: UInt8.self),
            notSelected: "mix_not_sampled", ineligible: "mix_unlisted_domain")
    }
}
