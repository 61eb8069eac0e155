/// What a document stage can see and use while it runs on one task (one thread).
///
/// A context belongs to one (task, stage) pair and is used from one thread only.
public final class StageContext {
    /// The run's seed (recipe `seed`, default 0).
    public let seed: UInt64
    /// The 0-based index of the shard being processed.
    public let shard: Int
    /// Extra counters the stage reports; merged into `stats.json` under the stage.
    public private(set) var counters: [String: Double] = [:]
    private var locals: [String: AnyObject] = [:]
    private let task: TaskLocals

    /// Creates a context.
    /// - Parameter task: storage shared by all stages' contexts of one task (see ``shared(_:make:)``).
    public init(seed: UInt64 = 0, shard: Int = 0, task: TaskLocals = TaskLocals()) {
        self.seed = seed
        self.shard = shard
        self.task = task
    }

    /// A per-task object shared by every stage of the task (e.g. a cache of the current
    /// document's word tokens that several rule stages read), created on first use. Whoever
    /// reads it must check that it still describes the document: an earlier stage may have
    /// changed the text.
    public func shared<T: AnyObject>(_ key: String, make: () throws -> T) rethrows -> T {
        try task.object(key, make: make)
    }

    /// Adds `amount` to a named counter (e.g. `chars_removed`).
    public func count(_ counter: String, by amount: Double = 1) {
        counters[counter, default: 0] += amount
    }

    /// Values measured on the current document; the pipeline files them under the stage's
    /// verdict into ``StageStats/histograms`` after each document.
    public var measures = PendingMeasures()

    /// Records a value measured on the current document (a length, a score) for the run's
    /// report, as a histogram `name` of the given scale (keep one scale per name).
    public func measure(_ name: String, _ value: Double, scale: ValueHistogram.Scale = .log, step: Double = 0) {
        measures.add(name, value, scale: scale, step: step)
    }

    /// Records a label of the current document (a language) for the run's report.
    public func measure(_ name: String, label: String) {
        measures.add(name, label: label)
    }

    /// A per-task object (a tokenizer, a break iterator, a buffer), created on first use.
    ///
    /// Stages are shared across threads; use this for state that must not be.
    public func local<T: AnyObject>(_ key: String, make: () throws -> T) rethrows -> T {
        if let existing = locals[key] as? T { return existing }
        let made = try make()
        locals[key] = made
        return made
    }
}

/// What a corpus stage sees in each of its steps.
public struct CorpusContext: Sendable {
    /// This stage's own folder under the run's `work/` (exists; shared by all its steps).
    public var workDirectory: String
    /// The shard being observed or decided (for resolve steps: -1).
    public var shard: Int
    /// The number of shards in the run.
    public var shardCount: Int
    /// The resolve partition (for observe and decide: -1).
    public var partition: Int
    /// The run's seed.
    public var seed: UInt64
    /// The memory budget for this step in bytes (stages that sort spill to disk past it).
    public var memoryBudget: Int
    /// The run's output folder (for stages that leave a result beside `data/`, such as
    /// `embeddings/`); empty when the stage runs outside a run.
    public var runDirectory: String = ""

    /// Creates a context.
    public init(workDirectory: String, shard: Int, shardCount: Int, partition: Int = -1, seed: UInt64 = 0,
                memoryBudget: Int = 1 << 30) {
        self.workDirectory = workDirectory
        self.shard = shard
        self.shardCount = shardCount
        self.partition = partition
        self.seed = seed
        self.memoryBudget = memoryBudget
    }

    /// The path of a file in the stage's work folder.
    public func path(_ name: String) -> String { workDirectory + "/" + name }
}

/// Objects shared by the stage contexts of one task (one thread), keyed by name.
public final class TaskLocals {
    private var objects: [String: AnyObject] = [:]

    /// Creates empty storage.
    public init() {}

    func object<T: AnyObject>(_ key: String, make: () throws -> T) rethrows -> T {
        if let existing = objects[key] as? T { return existing }
        let made = try make()
        objects[key] = made
        return made
    }
}
