#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO

/// DSIR (Xie et al. 2023, "Data Selection for Language Models via Importance Resampling") with
/// hashed n-gram features, as the `data-selection` package's `HashedNgramDSIR`: keeps the
/// documents whose n-gram distribution looks most like a target set's.
///
/// Both distributions are bucket counts of ``HashedNgramFeaturizer`` normalised to sum 1 — the
/// target's over the `target` files, the raw one over every document reaching the stage. A
/// document's log importance weight is `Σ_b count_b · (log(p_target[b] + 1e-8) − log(p_raw[b] + 1e-8))`.
/// Documents shorter than `min_length` tokens are never selected (the reference's
/// `min_example_length`). Of the rest, `count` are sampled without replacement in proportion
/// to the weights by Gumbel top-k (`noise: true`), or the top `count` by weight are kept
/// (`noise: false`). The Gumbel noise of a document comes from a stable hash of (seed, its
/// index in the run's input order), so the choice is the same for any worker count.
///
/// Observe counts each shard's buckets and stores each document's sparse features; resolve fits
/// both distributions, weighs every document and selects; decide writes `scores.dsir` on every
/// document and drops the ones not selected.
public struct DSIRSelector: CorpusStage, RegisteredStage {
    /// The stage name.
    public var name: String { "dsir" }
    /// Target text files (paths or glob patterns).
    public var target: [String]
    /// How target files are read.
    public var targetOptions: ReaderOptions
    /// How many documents to keep.
    public var size: SelectionSize
    /// Hash buckets.
    public var buckets: Int
    /// Longest n-gram.
    public var ngrams: Int
    /// Minimum example length (tokens) for a document to be selectable.
    public var minLength: Int
    /// Gumbel top-k sampling (true) or plain top-k by weight (false).
    public var noise: Bool
    /// The seed of the Gumbel noise; nil: the run's seed.
    public var seed: UInt64?
    /// Where the stage is in the recipe (for errors raised in resolve).
    public var location: SourceLocation?

    /// Creates the stage.
    public init(target: [String], targetOptions: ReaderOptions = Self.defaultTargetOptions, size: SelectionSize,
                buckets: Int = 10_000, ngrams: Int = 2, minLength: Int = 100, noise: Bool = true, seed: UInt64? = nil,
                location: SourceLocation? = nil) {
        self.target = target
        self.targetOptions = targetOptions
        self.size = size
        self.buckets = buckets
        self.ngrams = ngrams
        self.minLength = minLength
        self.noise = noise
        self.seed = seed
        self.location = location
    }

    /// Target text read one document per line; JSONL targets by their `text` field.
    public static var defaultTargetOptions: ReaderOptions {
        var o = ReaderOptions()
        o.format = .text
        o.split = .line
        return o
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "dsir", kind: .corpus,
        summary: "DSIR importance resampling toward a target text set (hashed unigram+bigram features, as data-selection's HashedNgramDSIR): keeps count (or fraction) documents sampled by Gumbel top-k on the log importance weight, or the top ones with noise: false; writes scores.dsir.",
        parameters: [
            ParameterSpec("target", "[string]", default: nil, "target text files or globs (JSONL by extension .jsonl/.json[.gz|.zst], otherwise text)"),
            ParameterSpec("target_split", "string", default: "line", "text targets: one document per line, paragraph or file"),
            ParameterSpec("target_text_key", "string", default: "text", "JSONL targets: the text field"),
        ] + SelectionSize.parameters + [
            ParameterSpec("buckets", "int", default: "10000", "hash buckets of the n-gram features"),
            ParameterSpec("ngrams", "int", default: "2", "longest n-gram (2: unigrams and bigrams)"),
            ParameterSpec("min_length", "int", default: "100", "documents with fewer tokens are never selected"),
            ParameterSpec("noise", "bool", default: "true", "Gumbel top-k sampling; false keeps the top documents by weight"),
            ParameterSpec("seed", "int", default: "run seed", "seed of the Gumbel noise"),
        ],
        dropReasons: ["dsir_not_selected", "dsir_too_short"],
        make: { p in
            guard let target = try p.strings("target"), !target.isEmpty else {
                throw ConfigError("stage 'dsir' needs 'target' (the target text files)", at: p.location)
            }
            var options = defaultTargetOptions
            options.split = TextSplit(rawValue: try p.string("target_split", default: "line", choices: ["line", "paragraph", "file"]) ?? "line") ?? .line
            options.textKey = try p.string("target_text_key", default: "text") ?? "text"
            for pattern in target where try FileSystem.glob(pattern).isEmpty {
                throw ConfigError("stage 'dsir': target '\(pattern)' matches no file", at: p.location(of: "target"))
            }
            return DSIRSelector(
                target: target, targetOptions: options, size: try SelectionSize.read(p),
                buckets: try p.int("buckets", default: 10_000, min: 1, max: 1 << 30) ?? 10_000,
                ngrams: try p.int("ngrams", default: 2, min: 1, max: 8) ?? 2,
                minLength: try p.int("min_length", default: 100, min: 0) ?? 100,
                noise: try p.bool("noise", default: true),
                seed: try p.int("seed", min: 0).map { UInt64($0) },
                location: p.location)
        })

    // MARK: - Observe

    static func countsFile(_ shard: Int) -> String { "raw-counts-\(shard).i64" }
    static func featuresFile(_ shard: Int) -> String { "features-\(shard).u32" }
    static func docsFile(_ shard: Int) -> String { "docs-\(shard).u32" }
    static func weightsFile(_ shard: Int) -> String { "weights-\(shard).f64" }
    static func marksFile(_ shard: Int) -> String { "marks-\(shard).u8" }

    /// Counts buckets and writes each document's sparse features: (bucket, count) pairs, and
    /// per document (number of pairs, example length).
    final class Observer: CorpusObserver {
        let context: CorpusContext
        let featurizer: HashedNgramFeaturizer
        var raw: [Int64]
        var docCounts: [Int32]
        var touched: [UInt32] = []
        var docs: [UInt32] = []
        var pairs: [UInt32] = []
        let features: AtomicFileWriter

        init(context: CorpusContext, buckets: Int, ngrams: Int) throws {
            self.context = context
            featurizer = HashedNgramFeaturizer(buckets: buckets, ngrams: ngrams)
            raw = [Int64](repeating: 0, count: buckets)
            docCounts = [Int32](repeating: 0, count: buckets)
            features = try AtomicFileWriter(path: context.path(DSIRSelector.featuresFile(context.shard)))
        }

        func observe(_ document: Document, index: Int) throws {
            var total = 0
            var touched = self.touched
            self.touched = []
            docCounts.withUnsafeMutableBufferPointer { counts in
                featurizer.forEachBucket(document.text) { b in
                    if counts[b] == 0 { touched.append(UInt32(b)) }
                    counts[b] += 1
                    total += 1
                }
                raw.withUnsafeMutableBufferPointer { raw in
                    for b in touched {
                        let c = counts[Int(b)]
                        raw[Int(b)] += Int64(c)
                        pairs.append(b)
                        pairs.append(UInt32(c))
                        counts[Int(b)] = 0
                    }
                }
            }
            docs.append(UInt32(touched.count))
            docs.append(UInt32(clamping: featurizer.exampleLength(features: total)))
            touched.removeAll(keepingCapacity: true)
            self.touched = touched
            if pairs.count >= 1 << 18 { try flush() }
        }

        private func flush() throws {
            try pairs.withUnsafeBytes { try features.write($0) }
            pairs.removeAll(keepingCapacity: true)
        }

        func finish() throws {
            try flush()
            try features.commit()
            try StateFile.write(raw, to: context.path(DSIRSelector.countsFile(context.shard)))
            try StateFile.write(docs, to: context.path(DSIRSelector.docsFile(context.shard)))
        }
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        try Observer(context: context, buckets: buckets, ngrams: ngrams)
    }

    // MARK: - Resolve

    /// The bucket counts of the target files.
    public func targetCounts() throws -> [Int64] {
        let featurizer = HashedNgramFeaturizer(buckets: buckets, ngrams: ngrams)
        var counts = [Int64](repeating: 0, count: buckets)
        for pattern in target {
            let files = try FileSystem.glob(pattern)
            if files.isEmpty { throw ConfigError("stage 'dsir': target '\(pattern)' matches no file", at: location) }
            for path in files {
                var options = targetOptions
                let lower = path.lowercased()
                let jsonl = [".jsonl", ".json", ".jsonl.gz", ".jsonl.zst", ".json.gz", ".json.zst"].contains { lower.hasSuffix($0) }
                options.format = jsonl ? .jsonl : .text
                let reader = try makeReader(
                    for: InputPiece(path: path, name: path, size: try FileSource.size(path: path)), options: options)
                while let doc = try reader.next() {
                    featurizer.forEachBucket(doc.text) { counts[$0] += 1 }
                }
            }
        }
        return counts
    }

    /// `log(p_target + 1e-8) − log(p_raw + 1e-8)` per bucket, as the reference computes it.
    public static func logRatio(target: [Int64], raw: [Int64]) -> [Double] {
        let t = normalized(target)
        let r = normalized(raw)
        return (0..<t.count).map { log(t[$0] + 1e-8) - log(r[$0] + 1e-8) }
    }

    /// Counts divided by their sum (all zero when the sum is zero, where numpy would give NaN).
    static func normalized(_ counts: [Int64]) -> [Double] {
        let sum = Double(counts.reduce(0, +))
        return counts.map { sum > 0 ? Double($0) / sum : 0 }
    }

    /// Fits both distributions, weighs every document and selects.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        var raw = [Int64](repeating: 0, count: buckets)
        for shard in 0..<context.shardCount {
            let c = try StateFile.read(context.path(Self.countsFile(shard)), as: Int64.self)
            guard c.count == buckets else {
                throw InputError("corrupt work file; rerun without --resume", at: SourceLocation(file: context.path(Self.countsFile(shard))))
            }
            for b in 0..<buckets { raw[b] += c[b] }
        }
        let logRatio = Self.logRatio(target: try targetCounts(), raw: raw)

        var weights: [Double] = []
        var eligible: [Bool] = []
        var shardSizes: [Int] = []
        for shard in 0..<context.shardCount {
            let docs = try StateFile.read(context.path(Self.docsFile(shard)), as: UInt32.self)
            let pairs = try StateFile.read(context.path(Self.featuresFile(shard)), as: UInt32.self)
            shardSizes.append(docs.count / 2)
            var p = 0
            for d in 0..<(docs.count / 2) {
                var w = 0.0
                for _ in 0..<Int(docs[2 * d]) {
                    guard p + 1 < pairs.count, Int(pairs[p]) < buckets else {
                        throw InputError("corrupt work file; rerun without --resume", at: SourceLocation(file: context.path(Self.featuresFile(shard))))
                    }
                    w += logRatio[Int(pairs[p])] * Double(pairs[p + 1])
                    p += 2
                }
                weights.append(w)
                eligible.append(Int(docs[2 * d + 1]) >= minLength)
            }
        }

        let k = size.resolve(total: weights.count)
        let available = eligible.reduce(0) { $0 + ($1 ? 1 : 0) }
        if k > available {
            throw ConfigError(
                "stage 'dsir': asked to keep \(k) documents, but only \(available) of \(weights.count) have at least min_length = \(minLength) tokens",
                at: location)
        }
        let s = seed ?? context.seed
        let keys = noise ? weights.indices.map { weights[$0] + Ranking.gumbel(seed: s, index: $0) } : weights
        let mask = Ranking.topMask(keys: keys, eligible: eligible, k: k)
        var start = 0
        for (shard, n) in shardSizes.enumerated() {
            try StateFile.write(Array(weights[start..<(start + n)]), to: context.path(Self.weightsFile(shard)))
            start += n
        }
        try SelectionMark.writeShards(mask: mask, eligible: eligible, sizes: shardSizes) { context.path(Self.marksFile($0)) }
    }

    // MARK: - Decide

    /// Writes `scores.dsir` and keeps or drops by the stored mark.
    final class Decider: CorpusDecider {
        let weights: [Double]
        let marks: MarkDecider
        init(weights: [Double], marks: [UInt8]) {
            self.weights = weights
            self.marks = MarkDecider(marks: marks, notSelected: "dsir_not_selected", ineligible: "dsir_too_short")
        }

        func decide(_ document: inout Document, index: Int) throws -> Verdict {
            guard index < weights.count else {
                throw InputError("stage 'dsir': document \(index) of this shard was not observed (rerun without --resume)",
                                 at: SourceLocation(file: "document \(document.id)"))
            }
            document.scores["dsir"] = weights[index]
            return marks.verdict(index)
        }

        func measure(_ document: Document, index: Int, into measures: inout PendingMeasures) {
            if index < weights.count { measures.add("dsir_weight", weights[index], scale: .linear, step: 1) }
        }
    }

    /// Creates the per-shard decider.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        Decider(weights: try StateFile.read(context.path(Self.weightsFile(context.shard)), as: Double.self),
                marks: try StateFile.read(context.path(Self.marksFile(context.shard)), as: UInt8.self))
    }
}
