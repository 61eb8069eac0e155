import WinnowCore
import WinnowIO

/// A recipe cut into phases at its corpus stages.
///
/// Phase k reads its source, applies the previous corpus stage's `decide` (if any), runs its
/// document stages, and feeds its ending corpus stage's `observe` (if any). A phase that
/// changes the stream (a decide or document stages) materialises its output in `work/` (zstd
/// JSONL) unless it is the last. A phase that only observes passes its source on when that is
/// uncompressed JSONL or text input (re-reading it is cheap); over compressed input (or WARC,
/// HTML or MediaWiki input, which cost parsing) it writes the records it
/// parsed as uncompressed canonical JSONL, so the next phase neither decompresses nor parses
/// again the documents its decide step keeps untouched.
public struct Plan: Sendable {
    /// Where a phase reads from.
    public enum Source: Sendable, Hashable {
        /// The recipe's input shards.
        case input
        /// The materialised output of an earlier phase.
        case phase(Int)
    }

    /// One phase.
    public struct Phase: Sendable {
        /// 0-based index.
        public var index: Int
        /// What it reads.
        public var source: Source
        /// The corpus stage whose decide step opens the phase.
        public var decide: RecipeStage?
        /// Document stages, in order.
        public var documentStages: [RecipeStage]
        /// The corpus stage whose observe step closes the phase.
        public var observe: RecipeStage?
        /// Whether this is the last phase (it writes `data/`).
        public var isFinal: Bool
        /// Whether its output is written to `work/phase-k/`.
        public var materializes: Bool
        /// The format of that output: zstd JSONL, or plain JSONL for an observe-only phase.
        public var workFormat: OutputFormat = .jsonlZstd
    }

    /// The phases in order.
    public var phases: [Phase]
    /// The input shards.
    public var shards: [InputShard]

    /// Cuts a recipe into phases over the given shards.
    public init(recipe: Recipe, shards: [InputShard]) {
        self.shards = shards
        // WARC, HTML and MediaWiki input costs parsing and charset or wikitext conversion to
        // read again, so it is treated like compressed input (written out once as JSONL).
        let parsedFormats: [InputFormat] = [.warc, .html, .mediawiki, .parquet]
        let compressedInput =
            parsedFormats.contains(recipe.input.options.format)
            || shards.contains { $0.pieces.contains { Compression.fromName($0.path) != .none } }
        var phases: [Phase] = []
        var current = Phase(index: 0, source: .input, decide: nil, documentStages: [], observe: nil, isFinal: false, materializes: false)
        for s in recipe.stages {
            if s.stage is any CorpusStage {
                current.observe = s
                phases.append(current)
                let prev = current
                let observeOnly = prev.decide == nil && prev.documentStages.isEmpty
                let source: Source =
                    observeOnly && !(compressedInput && prev.source == .input) ? prev.source : .phase(prev.index)
                current = Phase(index: prev.index + 1, source: source, decide: s, documentStages: [], observe: nil, isFinal: false, materializes: false)
            } else {
                current.documentStages.append(s)
            }
        }
        phases.append(current)
        for i in phases.indices {
            phases[i].isFinal = i == phases.count - 1
            let observeOnly = phases[i].decide == nil && phases[i].documentStages.isEmpty
            phases[i].materializes = !phases[i].isFinal && (!observeOnly || (compressedInput && phases[i].source == .input))
            if observeOnly { phases[i].workFormat = .jsonl }
        }
        self.phases = phases
    }

    /// The manifest key of a shard task.
    public static func shardTaskKey(phase: Int, shard: Int) -> String {
        "p\(phase)/shard/" + pad(shard)
    }

    /// The manifest key of a resolve task.
    public static func resolveTaskKey(phase: Int, step: Int, partition: Int) -> String {
        "p\(phase)/resolve\(step)/\(partition)"
    }

    /// Zero-padded five-digit shard number.
    public static func pad(_ n: Int) -> String {
        let s = String(n)
        return s.count >= 5 ? s : String(repeating: "0", count: 5 - s.count) + s
    }

    /// The work folder of a corpus stage (relative to the run folder).
    public static func stageWorkFolder(_ stage: RecipeStage) -> String {
        "work/stage-\(stage.index)-\(stage.name)"
    }

    /// The materialised output of a phase for a shard (relative to the run folder).
    public func phaseOutput(phase: Int, shard: Int) -> String {
        "work/phase-\(phase)/part-\(Plan.pad(shard)).\(phases[phase].workFormat.fileExtension)"
    }

    /// A short description of the plan for logs. Phases are numbered from 1 there, as in the
    /// progress lines (`phase 1/2`); ``Phase/index``, task keys and work folders count from 0.
    public var summary: String {
        phases.map { p in
            var parts: [String] = []
            if let d = p.decide { parts.append("decide \(d.statsKey)") }
            parts += p.documentStages.map(\.statsKey)
            if let o = p.observe { parts.append("observe \(o.statsKey)") }
            return "phase \(p.index + 1): " + (parts.isEmpty ? "copy" : parts.joined(separator: " → "))
        }.joined(separator: "; ")
    }
}
