/// Anything a recipe can list under `stages:`.
public protocol Stage: Sendable {
    /// The registry name, e.g. `length` or `exact_dedup`.
    var name: String { get }
}

/// A stage that runs inside one shard, streaming, one document at a time.
///
/// Conform through one of the refinements: ``Filter`` (keep or drop), ``Annotator`` (write
/// scores or metadata) or ``Transformer`` (rewrite the text, possibly drop).
public protocol DocumentStage: Stage {
    /// Processes one document in place and returns whether to keep it.
    /// - Throws: ``InputError`` for input the stage cannot process.
    func process(_ document: inout Document, context: StageContext) throws -> Verdict
}

/// A filter decides keep or drop for one document; the pipeline does the rest
/// (stats, removed-document metadata, writing).
public protocol Filter: DocumentStage {
    /// The verdict for one document.
    func verdict(for document: Document, context: StageContext) throws -> Verdict
}

extension Filter {
    /// Calls ``verdict(for:context:)``.
    public func process(_ document: inout Document, context: StageContext) throws -> Verdict {
        try verdict(for: document, context: context)
    }
}

/// An annotator writes `scores` or `metadata` and never drops.
public protocol Annotator: DocumentStage {
    /// Adds annotations to one document.
    func annotate(_ document: inout Document, context: StageContext) throws
}

extension Annotator {
    /// Calls ``annotate(_:context:)`` and keeps the document.
    public func process(_ document: inout Document, context: StageContext) throws -> Verdict {
        try annotate(&document, context: context)
        return .keep
    }
}

/// A transformer rewrites a document's text (extraction, redaction, line rules) and may drop it.
public protocol Transformer: DocumentStage {
    /// Rewrites one document; returns `.drop` when nothing worth keeping is left.
    func transform(_ document: inout Document, context: StageContext) throws -> Verdict
}

extension Transformer {
    /// Calls ``transform(_:context:)``.
    public func process(_ document: inout Document, context: StageContext) throws -> Verdict {
        try transform(&document, context: context)
    }
}

/// A stage that needs the whole corpus: dedup, global top-k, percentile buckets, selection.
///
/// It runs in three steps. `observe` runs per shard and writes shard-local state into the
/// stage's work folder; `resolve` combines the states into a decision (once, or in several
/// steps each split into partitions that run in parallel); `decide` runs per shard and gives a
/// verdict per document. Documents are identified by their 0-based index within their shard,
/// which is stable for a given input, so decisions are deterministic for any worker count.
public protocol CorpusStage: Stage {
    /// The number of partitions of each resolve step, in order. Most stages need `[1]`.
    var resolveSteps: [Int] { get }
    /// Creates the per-shard observer.
    func makeObserver(context: CorpusContext) throws -> any CorpusObserver
    /// Runs one partition of one resolve step. All observers have finished when step 0 runs,
    /// and all partitions of step `s` have finished when step `s + 1` runs.
    func resolve(step: Int, partition: Int, context: CorpusContext) throws
    /// Creates the per-shard decider. All resolve steps have finished.
    func makeDecider(context: CorpusContext) throws -> any CorpusDecider
}

extension CorpusStage {
    /// One resolve step with one partition.
    public var resolveSteps: [Int] { [1] }
}

/// Sees every document of one shard, in order, and saves what the resolve step needs.
public protocol CorpusObserver: AnyObject {
    /// Observes the document at `index` (0-based within the shard, counting only documents
    /// that reached this stage).
    func observe(_ document: Document, index: Int) throws
    /// Called once after the last document; writes state into `context.workDirectory`.
    func finish() throws
}

/// Decides keep or drop for the documents of one shard after resolve.
public protocol CorpusDecider: AnyObject {
    /// The verdict for the document at `index` (same numbering as the observer saw); may
    /// annotate the document (e.g. `duplicate_of`, `cluster_size`).
    func decide(_ document: inout Document, index: Int) throws -> Verdict

    /// The verdict from the index alone, when the document would be kept *unchanged*; nil when
    /// the decider needs the document (to drop it, or to annotate it). Lets the pipeline copy
    /// kept records without parsing them. The default is nil.
    func quickVerdict(index: Int) -> Verdict?

    /// Adds what the report should show about the document just decided (a score, a cluster)
    /// to `measures`. The default adds nothing.
    func measure(_ document: Document, index: Int, into measures: inout PendingMeasures)
}

extension CorpusDecider {
    /// No shortcut: every document goes through ``decide(_:index:)``.
    public func quickVerdict(index: Int) -> Verdict? { nil }

    /// Adds nothing.
    public func measure(_ document: Document, index: Int, into measures: inout PendingMeasures) {}
}
