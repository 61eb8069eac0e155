#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import WinnowCore
import WinnowIO
import WinnowStore

/// How `winnow run` executes a recipe.
public struct RunOptions: Sendable {
    /// Worker threads.
    public var workers: Int
    /// Single-task mode: this process runs task `task` of `tasks` (for an external scheduler).
    public var task: Int?
    /// The number of tasks in single-task mode.
    public var tasks: Int?
    /// Continue a run from its manifest, skipping finished tasks.
    public var resume = false
    /// Delete an existing run folder first.
    public var overwrite = false
    /// Keep `work/` after success.
    public var keepWork = false
    /// Override of the recipe's output folder.
    public var outputPath: String?
    /// Log a line per finished task.
    public var verbose = false

    /// Options with a worker count.
    public init(workers: Int) {
        self.workers = workers
    }

    /// Whether this process runs one task of several.
    public var isTaskMode: Bool { tasks != nil }
}

/// Runs a recipe: plans phases, runs tasks on a worker pool (or one task of N), records each in
/// the manifest, and writes `data/`, `removed/`, `stats.json` and `errors.jsonl`.
public final class PipelineRunner: Sendable {
    /// The recipe.
    public let recipe: Recipe
    /// The options.
    public let options: RunOptions
    /// Where progress goes.
    public let progress: ProgressReporter
    let out: String
    let tasksFinished = Atomic<Int>(0)
    /// Input bytes read by the tasks of this invocation.
    let inputBytesRead = Atomic<Int>(0)
    let killAfter: Int?

    /// Creates a runner.
    public init(recipe: Recipe, options: RunOptions, progress: ProgressReporter = ProgressReporter()) {
        self.recipe = recipe
        self.options = options
        self.progress = progress
        var o = options.outputPath ?? recipe.output.path
        while o.count > 1 && o.hasSuffix("/") { o.removeLast() }
        out = o
        // Fault injection for the crash-and-resume tests: SIGKILL this process in the middle of
        // the task that starts after N tasks have finished.
        killAfter = ProcessInfo.processInfo.environment["WINNOW_FAULT_KILL_AFTER_TASKS"].flatMap(Int.init)
    }

    // MARK: - Run

    /// Runs the recipe to completion (or this process's share of it in task mode).
    /// - Returns: the merged summary (in task mode, only task 0 returns the full summary after
    ///   every task is done; the others return their own counts).
    public func run() throws -> RunSummary {
        let started = ProgressReporter.now()
        let files = try inputFiles()
        let folder = try openFolder(inputs: files)
        defer { folder.unlock() }
        let shards = try planInputShards(files: files, input: recipe.input)
        let plan = Plan(recipe: recipe, shards: shards)
        let manifest = try RunManifest(path: out + "/run.sqlite")
        // Task mode: this task's failure is recorded in the manifest, so the others stop waiting
        // for its work and say why; a new start of the task clears it.
        let failureKey = options.task.map { Self.taskFailureKey($0) }
        if options.isTaskMode, let key = failureKey { try manifest.removeValue(key) }
        do {
            return try run(plan: plan, folder: folder, manifest: manifest, files: files, shards: shards, started: started)
        } catch {
            if options.isTaskMode, let key = failureKey { try? manifest.setValue(key, String(describing: error)) }
            throw error
        }
    }

    /// The manifest key under which task `task` of a task-mode run records its failure.
    static func taskFailureKey(_ task: Int) -> String { taskFailurePrefix + String(task) }
    static let taskFailurePrefix = "task_failed/"

    /// Seconds a task's failure record must stand before the tasks waiting for it give up
    /// (5; `WINNOW_TASK_FAILURE_GRACE` sets it, for tests on slow machines).
    static let failureGrace = ProcessInfo.processInfo.environment["WINNOW_TASK_FAILURE_GRACE"].flatMap(Double.init) ?? 5.0

    private func run(
        plan: Plan, folder: RunFolder, manifest: RunManifest, files: [String], shards: [InputShard], started: Double
    ) throws -> RunSummary {
        try checkManifest(manifest, shards: shards)
        progress.log("winnow: \(recipe.name): \(files.count) file(s), \(shards.count) shard(s); \(plan.summary)")
        let wasComplete = try manifest.value("complete") == "1"

        var ran = 0
        var skipped = 0
        if try !reconcileWithoutWork(plan: plan, manifest: manifest) {
            for phase in plan.phases {
                let (r, s) = try runPhase(phase, plan: plan, manifest: manifest)
                ran += r
                skipped += s
            }
        } else {
            skipped = try manifest.tasks().count
            progress.log("the run in '\(out)' is complete and its outputs are intact: nothing to do")
        }
        let isCoordinator = (options.task ?? 0) == 0
        if options.isTaskMode && isCoordinator {
            try waitFor(keys: allTaskKeys(plan), manifest: manifest, what: "all tasks")
        }
        var summary = try summarize(plan: plan, manifest: manifest)
        summary.seconds = ProgressReporter.now() - started
        summary.tasksRun = ran
        summary.tasksSkipped = skipped
        summary.alreadyComplete = wasComplete && ran == 0
        summary.bytesReadNow = Int64(inputBytesRead.load(ordering: .relaxed))
        if isCoordinator {
            try finalize(plan: plan, summary: summary, folder: folder)
        }
        return summary
    }

    /// When `work/` is gone (a finished run, or a user deleted it), tasks of earlier phases lost
    /// the state later phases need. Returns true when the final outputs are all intact (nothing
    /// to do); otherwise marks every earlier-phase task for redoing.
    func reconcileWithoutWork(plan: Plan, manifest: RunManifest) throws -> Bool {
        if FileSystem.isDirectory(out + "/work") { return false }
        let records = try manifest.tasks()
        if records.isEmpty { return false }
        let last = plan.phases.count - 1
        let finalKeys = Set(plan.shards.map { Plan.shardTaskKey(phase: last, shard: $0.index) })
        var intact = true
        for key in finalKeys {
            guard let r = records[key], r.status == "done", try outputsIntact(r) else {
                intact = false
                break
            }
        }
        if intact { return true }
        for key in records.keys where !finalKeys.contains(key) { try manifest.reset(key) }
        return false
    }

    func allTaskKeys(_ plan: Plan) -> [String] {
        var keys: [String] = []
        for phase in plan.phases {
            keys += plan.shards.map { Plan.shardTaskKey(phase: phase.index, shard: $0.index) }
            if let o = o(phase) {
                for (step, parts) in o.resolveSteps.enumerated() {
                    keys += (0..<parts).map { Plan.resolveTaskKey(phase: phase.index, step: step, partition: $0) }
                }
            }
        }
        return keys
    }

    func o(_ phase: Plan.Phase) -> (any CorpusStage)? {
        phase.observe?.stage as? any CorpusStage
    }

    // MARK: - Folder and manifest

    /// Checks, creates, marks and locks the run folder (``RunFolder`` holds the safety rules).
    func openFolder(inputs: [String]) throws -> RunFolder {
        let mode: RunFolder.Mode
        if options.isTaskMode {
            mode = .task
        } else if options.overwrite {
            mode = .overwrite
        } else if options.resume {
            mode = .resume
        } else {
            mode = .start
        }
        if mode != .task, let resolved = FileSystem.resolve(out) {
            // A run on Slurm: refuse while its jobs live, and a local resume of it.
            try SlurmJobs.refuseIfLive(run: resolved, shown: out)
            if mode == .resume && ClusterPlan.exists(in: resolved) {
                throw RunFolderError(path: out, "holds a run started with --executor slurm: resume it with --executor slurm")
            }
        }
        return try RunFolder.open(out, inputs: inputs, patterns: recipe.input.patterns, mode: mode)
    }

    func inputFiles() throws -> [String] {
        var files: [String] = []
        for pattern in recipe.input.patterns {
            let matched = try FileSystem.glob(pattern).filter { !FileSystem.isDirectory($0) }
            if matched.isEmpty {
                let origin = recipe.input.pathOrigin
                if FileSystem.isDirectory(pattern) {
                    throw ConfigError(
                        "\(origin) '\(pattern)' is a folder: write '\(pattern)/**/*' to read every file in it (or pass --input '\(pattern)')",
                        at: nil)
                }
                let hint = pattern.hasPrefix("corpora/sample/") ? " (corpora/sample/ is built by `make sample`)" : ""
                throw ConfigError("\(origin) '\(pattern)' matches no files" + hint, at: nil)
            }
            files += matched
        }
        var seen = Set<String>()
        return files.filter { seen.insert($0).inserted }
    }

    /// The hash of every shard's pieces (path, range, size): a changed input changes it.
    static func inputFingerprint(_ shards: [InputShard]) -> String {
        String(
            StableHash.xxh64(
                shards.map { $0.pieces.map { "\($0.path)|\($0.start)|\($0.end ?? -1)|\($0.size)" }.joined(separator: ",") }
                    .joined(separator: "\n")),
            radix: 16)
    }

    func checkManifest(_ manifest: RunManifest, shards: [InputShard]) throws {
        let shardPrint = Self.inputFingerprint(shards)
        let storedRecipe = try manifest.setValueIfAbsent("recipe_fingerprint", recipe.fingerprint)
        if storedRecipe != recipe.fingerprint {
            throw ConfigError(
                "the run in '\(out)' was started with a different recipe; use --overwrite to start over", at: nil)
        }
        let storedShards = try manifest.setValueIfAbsent("input_fingerprint", shardPrint)
        if storedShards != shardPrint {
            throw ConfigError("the input files changed since the run in '\(out)' started; use --overwrite to start over", at: nil)
        }
        _ = try manifest.setValueIfAbsent("recipe_name", recipe.name)
        _ = try manifest.setValueIfAbsent("shards", String(shards.count))
        // For `winnow report` and the live view (they read the manifest, not the recipe).
        _ = try manifest.setValueIfAbsent("recipe_text", recipe.text)
        _ = try manifest.setValueIfAbsent("stage_order", ReportData.stageOrderText(recipe))
        try manifest.setValue("workers", String(options.isTaskMode ? 1 : options.workers))
    }

    // MARK: - Phases

    /// Runs one phase's shard tasks, then its resolve steps. Returns (tasks run, tasks skipped).
    func runPhase(_ phase: Plan.Phase, plan: Plan, manifest: RunManifest) throws -> (Int, Int) {
        let records = try manifest.tasks()
        var ran = 0
        var skipped = 0
        let mine: (Int) -> Bool = { i in
            guard let n = self.options.tasks else { return true }
            return i % n == (self.options.task ?? 0)
        }
        // Shard tasks.
        var todo: [InputShard] = []
        for shard in plan.shards where mine(shard.index) {
            let key = Plan.shardTaskKey(phase: phase.index, shard: shard.index)
            if let r = records[key], r.status == "done", try outputsIntact(r) {
                skipped += 1
            } else {
                todo.append(shard)
            }
        }
        // Progress counts bytes as stored: the input shards, or the work files of an earlier phase.
        let total = todo.reduce(0) { sum, shard in
            switch phase.source {
            case .input: return sum + Int(shard.size)
            case .phase(let j):
                return sum + Int((try? FileSource.size(path: out + "/" + plan.phaseOutput(phase: j, shard: shard.index))) ?? 0)
            }
        }
        progress.begin("phase \(phase.index + 1)/\(plan.phases.count)", totalBytes: total)
        let sortedTodo = todo.sorted { ($0.size, -$0.index) > ($1.size, -$1.index) }  // big shards first
        try WorkerPool.run(count: sortedTodo.count, workers: options.workers) { i in
            try self.runShardTask(phase: phase, shard: sortedTodo[i], plan: plan, manifest: manifest)
        }
        progress.end()
        ran += todo.count
        if !todo.isEmpty {
            progress.log("  phase \(phase.index + 1)/\(plan.phases.count): \(todo.count) shard task(s) done" + (skipped > 0 ? ", \(skipped) already done" : ""))
        }
        if options.isTaskMode {
            try waitFor(
                keys: plan.shards.map { Plan.shardTaskKey(phase: phase.index, shard: $0.index) }, manifest: manifest,
                what: "phase \(phase.index + 1) shards")
        }
        // Resolve steps.
        if let observed = phase.observe, let corpus = observed.stage as? any CorpusStage {
            for (step, partitions) in corpus.resolveSteps.enumerated() {
                let keys = (0..<partitions).map { Plan.resolveTaskKey(phase: phase.index, step: step, partition: $0) }
                let current = try manifest.tasks()
                var pending: [Int] = []
                for p in 0..<partitions where mine(p) {
                    if let r = current[keys[p]], r.status == "done" { skipped += 1 } else { pending.append(p) }
                }
                let pendingParts = pending
                try WorkerPool.run(count: pendingParts.count, workers: options.workers) { i in
                    try self.runResolveTask(
                        phase: phase.index, observed: observed, corpus: corpus, step: step, partition: pendingParts[i], partitions: partitions,
                        plan: plan, ledger: manifest)
                }
                ran += pending.count
                if options.isTaskMode {
                    try waitFor(keys: keys, manifest: manifest, what: "\(observed.statsKey) resolve step \(step + 1)")
                }
            }
        }
        return (ran, skipped)
    }

    /// Runs one partition of a corpus stage's resolve step and records it in `ledger`.
    func runResolveTask(
        phase: Int, observed: RecipeStage, corpus: any CorpusStage, step: Int, partition p: Int, partitions: Int, plan: Plan,
        ledger: any TaskLedger
    ) throws {
        let key = Plan.resolveTaskKey(phase: phase, step: step, partition: p)
        try ledger.begin(key)
        let t0 = ProgressReporter.now()
        var ctx = CorpusContext(
            workDirectory: self.out + "/" + Plan.stageWorkFolder(observed), shard: -1,
            shardCount: plan.shards.count, partition: p, seed: self.recipe.seed,
            memoryBudget: self.recipe.memoryBudget / max(1, self.options.workers))
        ctx.runDirectory = self.out
        try FileSystem.createDirectory(ctx.workDirectory)
        FaultInjection.point()
        try corpus.resolve(step: step, partition: p, context: ctx)
        FaultInjection.point()
        var stats = TaskStats()
        var s = StageStats()
        s.seconds = ProgressReporter.now() - t0
        stats.stages[String(observed.index)] = s
        try ledger.finish(key, outputs: [:], stats: try stats.json())
        if self.options.verbose || partitions == 1 { self.progress.log("  resolved \(observed.statsKey) step \(step + 1) part \(p + 1)/\(partitions) in \(String(format: "%.2f", s.seconds)) s") }
    }

    /// Whether a finished task's outputs still exist with their recorded checksums.
    func outputsIntact(_ record: TaskRecord) throws -> Bool {
        for (rel, sum) in record.outputs {
            let path = out + "/" + rel
            guard FileSystem.exists(path) else { return false }
            if try Self.checksum(of: path) != sum { return false }
        }
        return true
    }

    /// The checksum of a file as ``AtomicFileWriter`` computes it (1 MiB blocks).
    static func checksum(of path: String) throws -> String {
        let src = try FileSource(path: path)
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buf.deallocate() }
        var sum = StreamChecksum()
        while true {
            var filled = 0
            while filled < buf.count {
                let n = try src.read(into: UnsafeMutableRawBufferPointer(rebasing: buf[filled...]))
                if n == 0 { break }
                filled += n
            }
            if filled == 0 { break }
            sum.update(UnsafeRawBufferPointer(rebasing: buf[0..<filled]))
            if filled < buf.count { break }
        }
        return sum.hex
    }

    /// Task mode: waits until every key is done in the manifest; fails as soon as another task
    /// of the run records a failure (its work will not come), and says every minute what it
    /// still waits for.
    func waitFor(keys: [String], manifest: RunManifest, what: String) throws {
        var lastSaid = -1.0
        let start = ProgressReporter.now()
        // A failure record must stand for `failureGrace` seconds: a record left by an earlier
        // attempt disappears as soon as that task is started again (all N restarted together).
        var seenFailure: [Int: (message: String, since: Double)] = [:]
        while true {
            let records = try manifest.tasks()
            let missing = keys.filter { records[$0]?.status != "done" }
            if missing.isEmpty { return }
            if let n = options.tasks {
                let failures = try manifest.values(prefix: Self.taskFailurePrefix)  // one query per look
                for t in 0..<n where t != (options.task ?? 0) {
                    guard let message = failures[Self.taskFailureKey(t)] else {
                        seenFailure[t] = nil
                        continue
                    }
                    let now = ProgressReporter.now()
                    if let seen = seenFailure[t], seen.message == message {
                        if now - seen.since < Self.failureGrace { continue }
                    } else {
                        seenFailure[t] = (message, now)
                        continue
                    }
                    throw ClusterError(
                        "task \(t) of \(n) failed, so \(what) cannot finish (\(missing.count) task(s) left, first: \(missing[0])): "
                            + message + "; run that task again (the others resume where they are)")
                }
            }
            let waited = ProgressReporter.now() - start
            if lastSaid < 0 || waited - lastSaid >= 60 {
                progress.log(
                    "waiting for \(missing.count) other task(s) of \(what) (first: \(missing[0]))"
                        + (lastSaid < 0 ? "…" : ", \(Int(waited)) s so far"))
                lastSaid = waited
            }
            usleep(200_000)
        }
    }

    // MARK: - Shard task

    func runShardTask(phase: Plan.Phase, shard: InputShard, plan: Plan, manifest: any TaskLedger) throws {
        let key = Plan.shardTaskKey(phase: phase.index, shard: shard.index)
        try manifest.begin(key)
        let taskStarted = ProgressReporter.now()
        let killHere = killAfter.map { tasksFinished.load(ordering: .relaxed) >= $0 } ?? false

        // Source.
        let reader: DocumentReader
        let readsInput: Bool
        switch phase.source {
        case .input:
            reader = try makeInputReader(for: shard, input: recipe.input)
            readsInput = true
        case .phase(let j):
            let path = out + "/" + plan.phaseOutput(phase: j, shard: shard.index)
            let size = try FileSource.size(path: path)
            reader = try JSONLReader(piece: InputPiece(path: path, name: shard.name, size: size), options: ReaderOptions())
            readsInput = false
        }
        let recordErrors = readsInput && phase.index == 0

        // Stages.
        let decider = try phase.decide.map { s -> any CorpusDecider in
            let cs = s.stage as! any CorpusStage
            return try cs.makeDecider(context: corpusContext(s, shard: shard.index, plan: plan))
        }
        let observer = try phase.observe.map { s -> any CorpusObserver in
            let cs = s.stage as! any CorpusStage
            let ctx = corpusContext(s, shard: shard.index, plan: plan)
            try FileSystem.createDirectory(ctx.workDirectory)
            return try cs.makeObserver(context: ctx)
        }
        let docStages = phase.documentStages.map { ($0, $0.stage as! any DocumentStage) }
        let taskLocals = TaskLocals()
        let contexts = docStages.map { _ in StageContext(seed: recipe.seed, shard: shard.index, task: taskLocals) }
        var stageStats = [StageStats](repeating: StageStats(), count: docStages.count)
        var decideStats = StageStats()

        // Outputs.
        var outputs: [String: String] = [:]
        let writerRel: String?
        let writer: (any DocumentWriter)?
        if phase.isFinal {
            let rel = "data/part-\(Plan.pad(shard.index)).\(recipe.output.format.fileExtension)"
            writerRel = rel
            writer = try makeOutputWriter(path: out + "/" + rel, output: recipe.output)
        } else if phase.materializes {
            let rel = plan.phaseOutput(phase: phase.index, shard: shard.index)
            writerRel = rel
            writer = try JSONLWriter(
                path: out + "/" + rel, format: phase.workFormat, level: phase.workFormat == .jsonlZstd ? 1 : nil)
        } else {
            writerRel = nil
            writer = nil
        }
        var removedWriters: [String: (String, any DocumentWriter)] = [:]
        var stats = TaskStats()
        var measures = PendingMeasures()
        var lengths = [ValueHistogram](repeating: ValueHistogram(scale: .log), count: docStages.count)
        // The report's samples: removed documents by the hash of their id, kept ones by the
        // hash of their position in their output shard (both independent of the task split).
        func sample(_ doc: Document, group: String, key: UInt64) {
            guard stats.examples.wants(group, key: key) else { return }
            var note = ""
            if case .string(let d)? = doc.metadata["duplicate_of"] { note = "duplicate of \(d)" }
            stats.examples.offer(
                group,
                ReportExample(
                    key: key, id: doc.id, source: shard.name, bytes: doc.text.utf8.count,
                    snippet: ExampleSketch.snippet(doc.text), note: note))
        }
        func keptKey(_ position: Int) -> UInt64 { StableHash.xxh64("\(shard.index):\(position)") }
        // Files what a decider measured; clusters go to the stage's cluster sketch.
        func measured(_ doc: Document, stageIndex: Int, verdict v: Verdict, into histograms: inout [String: ValueHistogram]) {
            if let c = measures.cluster {
                let s = String(stageIndex)
                let ck = StableHash.xxh64(c.id)
                if stats.clusters[s, default: ClusterSketch()].wants(size: c.size, key: ck, id: c.id) {
                    stats.clusters[s, default: ClusterSketch()].offer(
                        cluster: c.id, size: c.size, key: ck,
                        member: ReportExample(
                            key: StableHash.xxh64(doc.id), id: doc.id, source: shard.name, bytes: doc.text.utf8.count,
                            snippet: ExampleSketch.snippet(doc.text), note: v == .keep ? "kept" : "removed"))
                }
            }
            measures.flush(into: &histograms, kept: v == .keep)
        }
        func removed(_ doc: Document, reason: String, stage: String, index stageIndex: Int) throws {
            sample(doc, group: "\(stageIndex):\(reason)", key: StableHash.xxh64(doc.id))
            guard recipe.output.keepRemoved else { return }
            var d = doc
            d.metadata["winnow_reason"] = .string(reason)
            d.metadata["winnow_stage"] = .string(stage)
            let w: any DocumentWriter
            if let existing = removedWriters[reason] {
                w = existing.1
            } else {
                let rel = "removed/\(reason)/part-\(Plan.pad(shard.index))-p\(phase.index).\(recipe.output.format.fileExtension)"
                w = try makeOutputWriter(path: out + "/" + rel, output: recipe.output)
                removedWriters[reason] = (rel, w)
            }
            try w.write(d)
        }
        var errorLines: [UInt8] = []

        // The loop.
        var index = 0
        var observed = 0
        var lastBytes: Int64 = 0
        var lastStored: Int64 = 0
        var batchDocs = 0
        // Fast path: the previous phase wrote canonical plain JSONL and this phase only decides.
        // A record the decider keeps untouched by its index alone is copied as it is (it is
        // already the canonical encoding), without parsing or re-encoding it.
        if case .phase(let j) = phase.source, plan.phases[j].workFormat == .jsonl, let decider, let decideStage = phase.decide,
            docStages.isEmpty, observer == nil, let writer
        {
            let path = out + "/" + plan.phaseOutput(phase: j, shard: shard.index)
            let lines = try MappedLines(path: path)  // the run's own file: no copy out of the page cache
            let codec = JSONLCodec()
            while let line = lines.next() {
                if line.bytes.isEmpty { continue }
                batchDocs += 1
                if batchDocs == 1024 {
                    progress.add(documents: batchDocs, bytes: Int(lines.offset - lastBytes))
                    lastBytes = lines.offset
                    batchDocs = 0
                }
                let i = index
                index += 1
                // Fault injection (tests): die at this task's second record whatever the first's
                // verdict, so a decide task that keeps nothing is killed mid-task too (the order of
                // tasks follows shard sizes, which any change of the gzip level moves).
                if killHere && i >= 1 { kill(getpid(), SIGKILL) }
                if decider.quickVerdict(index: i) == .keep {
                    decideStats.record(.keep)
                    let position = writer.documents
                    if phase.isFinal && stats.examples.wants("kept", key: keptKey(position)),
                        let doc = try? codec.decode(line.bytes, fallbackID: { "" })
                    {
                        sample(doc, group: "kept", key: keptKey(position))
                    }
                    try writer.writeRaw(line.bytes)
                    if killHere { kill(getpid(), SIGKILL) }  // fault injection (tests)
                    FaultInjection.point()
                    continue
                }
                var doc: Document
                do {
                    doc = try codec.decode(line.bytes) { "" }
                } catch {
                    throw InputError("corrupt work file (rerun without --resume)", at: SourceLocation(file: path, line: line.number))
                }
                let v = try decider.decide(&doc, index: i)
                decideStats.record(v)
                decider.measure(doc, index: i, into: &measures)
                measured(doc, stageIndex: decideStage.index, verdict: v, into: &decideStats.histograms)
                if case .drop(let reason) = v {
                    try removed(doc, reason: reason, stage: decideStage.statsKey, index: decideStage.index)
                } else {
                    if phase.isFinal { sample(doc, group: "kept", key: keptKey(writer.documents)) }
                    try writer.write(doc)
                }
                if killHere && writer.documents >= 1 { kill(getpid(), SIGKILL) }
                FaultInjection.point()
            }
            progress.add(documents: batchDocs, bytes: Int(lines.offset - lastBytes))
            batchDocs = 0
            lastBytes = reader.bytesRead
            lastStored = reader.storedBytesRead
        } else {
            docLoop: while true {
                let next: Document?
                do {
                    next = try reader.next()
                } catch let error where error is InputError || error is DamagedDataError {
                    // A bad record, or a damaged gzip member / zstd frame (none of its records
                    // came out of the reader; one error stands for all of them).
                    let damaged = error as? DamagedDataError
                    if damaged != nil && !readsInput { throw error }  // a damaged work file: the run must redo it
                    if !recordErrors { continue }  // seen and recorded by phase 0
                    if recipe.onError == .fail { throw error }
                    stats.read.errors += 1
                    if let damaged {
                        Self.appendDamageRecord(damaged, to: &errorLines)
                    } else if let e = error as? InputError {
                        Self.appendErrorRecord(e, to: &errorLines)
                    }
                    progress.log("skipped \(damaged == nil ? "bad record" : "damaged input"): \(error)")
                    continue
                }
                guard var doc = next else { break }
                if recordErrors { stats.read.documents += 1 }
                batchDocs += 1
                if batchDocs == 256 {
                    let b = reader.bytesRead
                    let st = reader.storedBytesRead
                    progress.add(documents: batchDocs, bytes: Int(b - lastBytes), stored: Int(st - lastStored))
                    lastBytes = b
                    lastStored = st
                    batchDocs = 0
                }
                if let decider, let decideStage = phase.decide {
                    // Fault injection (tests): as in the fast path, a decide task dies at its
                    // second record whether or not it has kept one.
                    if killHere && index >= 1 { kill(getpid(), SIGKILL) }
                    let v = try decider.decide(&doc, index: index)
                    decideStats.record(v)
                    decider.measure(doc, index: index, into: &measures)
                    measured(doc, stageIndex: decideStage.index, verdict: v, into: &decideStats.histograms)
                    index += 1
                    if case .drop(let reason) = v {
                        try removed(doc, reason: reason, stage: decideStage.statsKey, index: decideStage.index)
                        continue docLoop
                    }
                }
                for (k, (rs, stage)) in docStages.enumerated() {
                    let t0 = ProgressReporter.now()
                    let bytesIn = doc.text.utf8.count
                    let v = try stage.process(&doc, context: contexts[k])
                    stageStats[k].seconds += ProgressReporter.now() - t0
                    stageStats[k].record(v)
                    lengths[k].record(Double(bytesIn), kept: v == .keep)
                    stageStats[k].bytesIn += Int64(bytesIn)
                    if v == .keep { stageStats[k].bytesKept += Int64(doc.text.utf8.count) }
                    if !contexts[k].measures.isEmpty {
                        contexts[k].measures.flush(into: &stageStats[k].histograms, kept: v == .keep)
                    }
                    if case .drop(let reason) = v {
                        try removed(doc, reason: reason, stage: rs.statsKey, index: rs.index)
                        continue docLoop
                    }
                }
                if let observer {
                    try observer.observe(doc, index: observed)
                    observed += 1
                }
                if phase.isFinal, let writer { sample(doc, group: "kept", key: keptKey(writer.documents)) }
                try writer?.write(doc)
                if killHere && (writer?.documents ?? observed) >= 1 {
                    // Fault injection: die mid-task with temporary files open.
                    kill(getpid(), SIGKILL)
                }
                FaultInjection.point()
            }
        }
        progress.add(documents: batchDocs, bytes: Int(reader.bytesRead - lastBytes), stored: Int(reader.storedBytesRead - lastStored))
        if recordErrors { stats.read.bytes = reader.bytesRead }
        if readsInput { inputBytesRead.add(Int(reader.bytesRead), ordering: .relaxed) }

        try observer?.finish()
        if let writer, let writerRel {
            outputs[writerRel] = try writer.commit()
            if phase.isFinal {
                stats.written = writer.documents
                stats.writtenBytes = writer.bytesWritten
            }
        }
        for (_, (rel, w)) in removedWriters.sorted(by: { $0.key < $1.key }) {
            outputs[rel] = try w.commit()
        }
        if !errorLines.isEmpty {
            let rel = "work/errors/p\(phase.index)-\(Plan.pad(shard.index)).jsonl"
            try FileSystem.writeAll(out + "/" + rel, errorLines)
            outputs[rel] = try Self.checksum(of: out + "/" + rel)
        }
        for (k, (rs, _)) in docStages.enumerated() {
            stageStats[k].counters = contexts[k].counters
            if lengths[k].total > 0 { stageStats[k].histograms["bytes"] = lengths[k] }
            stats.stages[String(rs.index)] = stageStats[k]
        }
        if let d = phase.decide { stats.stages[String(d.index)] = decideStats }
        stats.seconds = ProgressReporter.now() - taskStarted
        FaultInjection.point()
        try manifest.finish(key, outputs: outputs, stats: try stats.json())
        FaultInjection.point()
        tasksFinished.add(1, ordering: .relaxed)
        if options.verbose {
            progress.log("  done \(key) (\(shard.name)): \(writer?.documents ?? observed) passed")
        }
    }

    /// One line of `errors.jsonl` for a damaged compressed unit: the file, the unit's compressed
    /// byte range, where its bytes were cut out of the decompressed stream, and how many lines
    /// (records) were dropped with it.
    static func appendDamageRecord(_ e: DamagedDataError, to out: inout [UInt8]) {
        var obj: [String: MetadataValue] = [
            "file": .string(e.file), "error": .string("damaged \(e.unit): \(e.reason)"), "unit": .string(e.unit),
            "compressed_start": .int(e.compressedStart), "compressed_end": .int(e.compressedEnd), "offset": .int(e.offset),
        ]
        if let lines = e.lines { obj["records"] = .int(Int64(lines)) }
        JSONLCodec.appendValue(.object(obj), to: &out)
        out.append(0x0A)
    }

    func corpusContext(_ s: RecipeStage, shard: Int, plan: Plan) -> CorpusContext {
        var context = CorpusContext(
            workDirectory: out + "/" + Plan.stageWorkFolder(s), shard: shard, shardCount: plan.shards.count,
            seed: recipe.seed, memoryBudget: recipe.memoryBudget / max(1, options.workers))
        context.runDirectory = out
        return context
    }

    /// One line of `errors.jsonl`: where, what, and the raw record (as text, or base64 when it
    /// is not valid UTF-8), so nothing is lost.
    static func appendErrorRecord(_ e: InputError, to out: inout [UInt8]) {
        let errorRecordBytes = 64 << 10
        var obj: [String: MetadataValue] = [
            "file": .string(e.location.file), "error": .string(e.message),
        ]
        if let l = e.location.line { obj["line"] = .int(Int64(l)) }
        if let c = e.location.column { obj["column"] = .int(Int64(c)) }
        if let o = e.location.byteOffset { obj["offset"] = .int(o) }
        if let whole = e.record {
            // The record itself stays in the input at the location above; errors.jsonl keeps
            // at most `errorRecordBytes` of it, so one huge bad line (a 200 MB run of NULs that
            // escapes to 1.2 GB of JSON) cannot exhaust memory.
            let r = whole.count > errorRecordBytes ? Array(whole[0..<Self.utf8Prefix(whole, errorRecordBytes)]) : whole
            if r.count < whole.count {
                obj["record_bytes"] = .int(Int64(whole.count))
                obj["record_truncated"] = .bool(true)
            }
            if let s = String(validating: r, as: UTF8.self) {
                obj["record"] = .string(s)
            } else {
                obj["record_base64"] = .string(Data(r).base64EncodedString())
            }
        }
        JSONLCodec.appendValue(.object(obj), to: &out)
        out.append(0x0A)
    }

    /// The longest prefix of `bytes` of at most `limit` bytes that does not cut a UTF-8
    /// sequence (the bytes need not be valid UTF-8 as a whole).
    static func utf8Prefix(_ bytes: [UInt8], _ limit: Int) -> Int {
        var end = min(limit, bytes.count)
        var back = 0
        while end > 0 && end < bytes.count && back < 3 && (bytes[end] & 0xC0) == 0x80 {
            end -= 1
            back += 1
        }
        return end
    }

    // MARK: - Finish

    func summarize(plan: Plan, manifest: RunManifest) throws -> RunSummary {
        var merged = TaskStats()
        for (_, r) in try manifest.tasks().sorted(by: { $0.key < $1.key }) where r.status == "done" {
            merged.merge(TaskStats.from(json: r.stats))
        }
        let order = recipe.stages.map { s -> (key: String, index: Int, kind: String) in
            (s.statsKey, s.index, s.stage is any CorpusStage ? "corpus" : "document")
        }
        return RunSummary(
            name: recipe.name, outputPath: out, stats: merged, stageOrder: order, shards: plan.shards.count, seconds: 0,
            tasksRun: 0, tasksSkipped: 0)
    }

    func finalize(plan: Plan, summary: RunSummary, folder: RunFolder) throws {
        // errors.jsonl: every task's bad records, in (phase, shard) order. Written while work/
        // is whole; work/ is removed only after everything else (RunFolder.removeWork).
        FaultInjection.point()
        let errDir = out + "/work/errors"
        if FileSystem.isDirectory(errDir) {
            var all: [UInt8] = []
            for name in try FileSystem.list(errDir) where name.hasSuffix(".jsonl") {
                all += try FileSystem.readAll(errDir + "/" + name)
            }
            if !all.isEmpty { try FileSystem.writeAll(out + "/errors.jsonl", all) }
        }
        FaultInjection.point()
        try FileSystem.writeAll(out + "/stats.json", Array(try summary.json().utf8))
        FaultInjection.point()
        try RunManifest(path: out + "/run.sqlite").setValue("complete", "1")
        FaultInjection.point()
        if !options.keepWork { try folder.removeWork() }
        if FaultInjection.counting { progress.log("fault points passed: \(FaultInjection.count)") }
    }
}
