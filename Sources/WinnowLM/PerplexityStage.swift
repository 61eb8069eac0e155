import WinnowCore
import WinnowIO

/// cc_net's perplexity buckets.
public enum PerplexityBucket: String, Sendable, CaseIterable {
    case head, middle, tail

    /// cc_net's rule: head below the first cutoff, middle below the second, else tail.
    public static func of(_ perplexity: Double, cutoffs: (head: Double, tail: Double)) -> PerplexityBucket {
        perplexity < cutoffs.head ? .head : perplexity < cutoffs.tail ? .middle : .tail
    }
}

/// Shared pieces of the two forms of the `perplexity` stage.
enum Perplexity {
    static func annotate(_ document: inout Document, model: NGramModel) -> Double {
        let s = model.score(document: document.text[...])
        let ppl = NGramModel.perplexity(log10Probability: s.log10Probability, tokens: s.tokens)
        document.scores["perplexity"] = ppl
        document.scores["lm_log10_prob"] = s.log10Probability
        return ppl
    }

    static func verdict(_ document: inout Document, perplexity: Double, cutoffs: (head: Double, tail: Double),
                        keep: Set<PerplexityBucket>) -> Verdict {
        let bucket = PerplexityBucket.of(perplexity, cutoffs: cutoffs)
        document.metadata["bucket"] = .string(bucket.rawValue)
        return keep.contains(bucket) ? .keep : .drop(reason: "perplexity_\(bucket.rawValue)")
    }

    /// numpy's default (linear) percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let pos = p / 100 * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - Double(lo))
    }
}

/// The `perplexity` stage with fixed cutoffs: scores each document and buckets it on its own.
public struct PerplexityAnnotator: DocumentStage {
    /// The stage name.
    public var name: String { "perplexity" }
    /// The model.
    public let model: NGramModel
    /// Head and tail cutoffs; nil only annotates.
    public var cutoffs: (head: Double, tail: Double)?
    /// Buckets kept.
    public var keep: Set<PerplexityBucket>

    /// Creates the stage.
    public init(model: NGramModel, cutoffs: (head: Double, tail: Double)?, keep: Set<PerplexityBucket> = Set(PerplexityBucket.allCases)) {
        self.model = model
        self.cutoffs = cutoffs
        self.keep = keep
    }

    /// Writes `scores.perplexity`, `scores.lm_log10_prob` and, with cutoffs, `metadata.bucket`.
    public func process(_ document: inout Document, context: StageContext) throws -> Verdict {
        let ppl = Perplexity.annotate(&document, model: model)
        context.measure("perplexity", ppl)
        guard let cutoffs else { return .keep }
        return Perplexity.verdict(&document, perplexity: ppl, cutoffs: cutoffs, keep: keep)
    }
}

/// The `perplexity` stage without cutoffs: computes the run's percentile cutoffs (cc_net: 30th
/// and 60th), then buckets every document.
///
/// Observe scores each document and saves its perplexity and log10 probability (two Float64 per
/// document) in the work folder; resolve reads them all, in shard order, and writes the cutoffs; decide annotates.
public struct PerplexityBucketer: CorpusStage {
    /// The stage name.
    public var name: String { "perplexity" }
    /// The model.
    public let model: NGramModel
    /// Percentiles (0–100) of the head and tail cutoffs.
    public var percentiles: (head: Double, tail: Double)
    /// Buckets kept.
    public var keep: Set<PerplexityBucket>

    /// Creates the stage.
    public init(model: NGramModel, percentiles: (head: Double, tail: Double) = (30, 60),
                keep: Set<PerplexityBucket> = Set(PerplexityBucket.allCases)) {
        self.model = model
        self.percentiles = percentiles
        self.keep = keep
    }

    static func scoreFile(_ shard: Int) -> String { "perplexity-\(shard).f64" }
    static let cutoffFile = "cutoffs.f64"

    final class Observer: CorpusObserver {
        let context: CorpusContext
        let model: NGramModel
        var values: [Double] = []
        init(context: CorpusContext, model: NGramModel) {
            self.context = context
            self.model = model
        }

        func observe(_ document: Document, index: Int) throws {
            var d = document
            values.append(Perplexity.annotate(&d, model: model))
            values.append(d.scores["lm_log10_prob"] ?? 0)
        }

        func finish() throws {
            try FileSystem.writeAll(context.path(PerplexityBucketer.scoreFile(context.shard)), values.withUnsafeBytes { Array($0) })
        }
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        Observer(context: context, model: model)
    }

    static func readDoubles(_ path: String) throws -> [Double] {
        let bytes = try FileSystem.readAll(path)
        guard bytes.count % 8 == 0 else { throw FileError(path: path, "size \(bytes.count) is not a multiple of 8") }
        return bytes.withUnsafeBytes { raw in (0..<(bytes.count / 8)).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) } }
    }

    /// Computes the cutoffs over every shard's perplexities.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        var all: [Double] = []
        for shard in 0..<context.shardCount {
            let v = try Self.readDoubles(context.path(Self.scoreFile(shard)))
            all += stride(from: 0, to: v.count, by: 2).map { v[$0] }
        }
        all.sort()
        let cutoffs = [Perplexity.percentile(all, percentiles.head), Perplexity.percentile(all, percentiles.tail)]
        try FileSystem.writeAll(context.path(Self.cutoffFile), cutoffs.withUnsafeBytes { Array($0) })
    }

    final class Decider: CorpusDecider {
        let values: [Double]
        let cutoffs: (head: Double, tail: Double)
        let keep: Set<PerplexityBucket>
        let model: NGramModel
        init(values: [Double], cutoffs: (head: Double, tail: Double), keep: Set<PerplexityBucket>, model: NGramModel) {
            self.values = values
            self.cutoffs = cutoffs
            self.keep = keep
            self.model = model
        }

        func decide(_ document: inout Document, index: Int) throws -> Verdict {
            // The observer's values (rescoring would give the same numbers).
            let ppl: Double
            if 2 * index + 1 < values.count {
                ppl = values[2 * index]
                document.scores["perplexity"] = ppl
                document.scores["lm_log10_prob"] = values[2 * index + 1]
            } else {
                ppl = Perplexity.annotate(&document, model: model)
            }
            return Perplexity.verdict(&document, perplexity: ppl, cutoffs: cutoffs, keep: keep)
        }

        func measure(_ document: Document, index: Int, into measures: inout PendingMeasures) {
            if let ppl = document.scores["perplexity"] { measures.add("perplexity", ppl) }
        }
    }

    /// Creates the per-shard decider.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        let c = try Self.readDoubles(context.path(Self.cutoffFile))
        guard c.count == 2 else { throw FileError(path: context.path(Self.cutoffFile), "expected 2 cutoffs") }
        return Decider(values: try Self.readDoubles(context.path(Self.scoreFile(context.shard))), cutoffs: (c[0], c[1]), keep: keep, model: model)
    }
}

extension PerplexityBucketer: RegisteredStage {
    /// The registry entry (one name, two forms: see the summary).
    public static let descriptor = StageDescriptor(
        name: "perplexity", kind: .corpus,
        summary: "Scores each document with a Kneser-Ney n-gram model as cc_net does (each line normalised, scored with <s> and </s>; perplexity = 10^(−Σlog10 p / (words + lines))) into scores.perplexity and scores.lm_log10_prob, and puts it in cc_net's bucket metadata.bucket (head below the first cutoff, middle below the second, else tail). With `cutoffs` it runs per document; without, it is a corpus stage that takes the cutoffs at `percentiles` of the run's perplexities. `keep` drops the other buckets.",
        parameters: [
            ParameterSpec("model", "path", default: nil, "ARPA (.arpa, .arpa.gz) or Winnow binary (.wlm) model; looked up as given, then in $WINNOW_MODELS, ./models, ~/.cache/winnow/models"),
            ParameterSpec("cutoffs", "[number, number]", default: nil, "fixed head and tail perplexity cutoffs (cc_net's per-language values); omit to compute them from the run"),
            ParameterSpec("percentiles", "[number, number]", default: "[30, 60]", "percentiles of the run's perplexities used as cutoffs when `cutoffs` is omitted"),
            ParameterSpec("keep", "[head|middle|tail]", default: "[head, middle, tail]", "buckets to keep; documents in the others are dropped"),
        ],
        dropReasons: ["perplexity_head", "perplexity_middle", "perplexity_tail"],
        make: { p in
            guard let given = try p.string("model") else {
                throw ConfigError("stage 'perplexity': 'model' is required (an .arpa or .wlm file)", at: p.location)
            }
            let model: NGramModel
            do {
                let path = FileSystem.exists(given) ? given : try ModelLocator.locate(given)
                model = try NGramModel.load(path: path)
            } catch let e as any UserFacingError {
                throw ConfigError("stage 'perplexity': \(e.description)", at: p.location(of: "model") ?? p.location)
            }
            func pair(_ key: String) throws -> (Double, Double)? {
                guard let items = try p.strings(key) else { return nil }
                let v = items.compactMap(Double.init)
                guard v.count == 2, v.count == items.count, v[0] <= v[1] else {
                    throw ConfigError("stage 'perplexity': '\(key)' must be two ascending numbers, got \(items)", at: p.location(of: key))
                }
                return (v[0], v[1])
            }
            var keep = Set<PerplexityBucket>()
            for k in try p.strings("keep", default: PerplexityBucket.allCases.map(\.rawValue)) ?? [] {
                guard let b = PerplexityBucket(rawValue: k) else {
                    throw ConfigError("stage 'perplexity': 'keep' holds '\(k)'; buckets are head, middle, tail", at: p.location(of: "keep"))
                }
                keep.insert(b)
            }
            let cutoffs = try pair("cutoffs")
            let percentiles = try pair("percentiles")
            if let cutoffs {
                if percentiles != nil {
                    throw ConfigError("stage 'perplexity': give 'cutoffs' or 'percentiles', not both", at: p.location(of: "percentiles"))
                }
                return PerplexityAnnotator(model: model, cutoffs: cutoffs, keep: keep)
            }
            if let percentiles, !(0...100).contains(percentiles.0) || !(0...100).contains(percentiles.1) {
                throw ConfigError("stage 'perplexity': 'percentiles' must lie in 0…100", at: p.location(of: "percentiles"))
            }
            return PerplexityBucketer(model: model, percentiles: percentiles ?? (30, 60), keep: keep)
        })
}
