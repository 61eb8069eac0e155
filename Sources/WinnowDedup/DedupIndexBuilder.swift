#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import WinnowCore
import WinnowIO
import WinnowText

/// Builds a ``DedupIndex`` from a reference corpus in one pass (`winnow index build`).
///
/// Each input shard is read once on a worker thread; its exact hashes, line hashes and band keys
/// (the very functions `exact_dedup`, `line_dedup` and `minhash_dedup` use, so keys match)
/// collect in memory, and past the worker's share of the budget they are sorted, made distinct
/// and spilled as runs under `tmp/`. Then each file of the index (exact, line, one per band) is
/// the k-way merge of its runs, 64 at a time, keeping distinct words. The files hold the set of
/// distinct words in order, so their bytes do not depend on the worker count, the budget or
/// the shard cut.
///
/// Memory: per worker, at most `memoryBudget / workers` bytes of collected words (8 bytes per
/// exact hash, line hash and band key) plus one document; while merging, per worker 64 read
/// buffers of 64 KiB and a 1 MiB write buffer. Disk: about the size of the collected words
/// under `tmp/`, then the index (8 bytes per distinct entry).
public struct DedupIndexBuilder: Sendable {
    /// The kinds to build.
    public var kinds: Set<DedupIndexKind>
    /// Whether exact hashes are of normalised text (as `exact_dedup`'s `normalize`).
    public var exactNormalize: Bool
    /// The MinHash parameters (as `minhash_dedup`'s).
    public var minhash: MinHashIndexParameters
    /// Bytes of collected words held in memory over all workers before spilling.
    public var memoryBudget: Int
    /// Worker threads.
    public var workers: Int

    /// Creates a builder.
    public init(
        kinds: Set<DedupIndexKind> = Set(DedupIndexKind.allCases), exactNormalize: Bool = true,
        minhash: MinHashIndexParameters = MinHashIndexParameters(), memoryBudget: Int = 1 << 30, workers: Int = 1
    ) {
        self.kinds = kinds
        self.exactNormalize = exactNormalize
        self.minhash = minhash
        self.memoryBudget = memoryBudget
        self.workers = workers
    }

    /// Reads every shard and writes the index into `folder` (prepared by
    /// ``DedupIndex/prepareFolder(_:overwrite:)``), the manifest last.
    /// - Parameters:
    ///   - folder: the index folder.
    ///   - shardCount: the number of input shards.
    ///   - inputs: the input patterns as given (recorded in the manifest).
    ///   - open: opens the reader of shard `i`.
    /// - Returns: the index, opened and checked.
    /// - Throws: the readers' errors (``InputError`` naming file:line), ``FileError``.
    public func build(
        folder: String, shardCount: Int, inputs: [String], open: @escaping @Sendable (Int) throws -> any DocumentReader
    ) throws -> DedupIndex {
        precondition(!kinds.isEmpty && workers >= 1)
        // `tmp/` is removed below: only inside a folder prepareFolder made Winnow's (an empty
        // path would make it the system's /tmp).
        guard !folder.isEmpty, FileSystem.exists(folder + "/" + DedupIndex.markerName) else {
            throw ConfigError("index output '\(folder)' was not prepared as a Winnow index folder (no \(DedupIndex.markerName) marker)", at: nil)
        }
        let tmp = folder + "/tmp"
        try FileSystem.remove(tmp)
        try FileSystem.createDirectory(tmp)
        let outputs = outputNames()
        let state = Mutex(Collected(outputs: outputs.count, shards: shardCount))
        let perWorker = max(64, memoryBudget / workers)
        let builder = self
        try WorkerPool.run(count: shardCount, workers: workers) { shard in
            let collector = ShardCollector(builder: builder, outputs: outputs.count, tmp: tmp, shard: shard, budget: perWorker)
            let reader = try open(shard)
            var documents = 0
            while let doc = try reader.next() {
                try collector.add(doc)
                documents += 1
            }
            try collector.spill()
            let runs = collector.runFiles
            state.withLock { s in
                s.documents[shard] = documents
                s.runs[shard] = runs
            }
        }
        let collected = state.withLock { $0 }
        // Runs of each output in (shard, run) order: the merge result does not depend on it,
        // but a fixed order keeps the intermediate files reproducible too.
        let results = Mutex([(count: Int, checksum: String)?](repeating: nil, count: outputs.count))
        try FileSystem.createDirectory(folder + "/minhash")
        try WorkerPool.run(count: outputs.count, workers: workers) { o in
            let runs = collected.runs.flatMap { $0[o] }
            let r = try mergeUniqueWords(runs, into: folder + "/" + outputs[o], scratch: tmp + "/merge-\(o)")
            results.withLock { $0[o] = r }
        }
        let written = results.withLock { $0 }.map { $0 ?? (0, StreamChecksum().hex) }
        try writeManifest(folder: folder, outputs: outputs, written: written, documents: collected.documents.reduce(0, +), inputs: inputs)
        try FileSystem.remove(tmp)
        return try DedupIndex(path: folder)
    }

    struct Collected: Sendable {
        var documents: [Int]
        var runs: [[[String]]]  // per shard, per output: run files
        init(outputs: Int, shards: Int) {
            documents = Array(repeating: 0, count: shards)
            runs = Array(repeating: Array(repeating: [], count: outputs), count: shards)
        }
    }

    /// The index's data files, in a fixed order: exact, line, then one per band.
    func outputNames() -> [String] {
        var names: [String] = []
        if kinds.contains(.exact) { names.append("exact.u64") }
        if kinds.contains(.line) { names.append("line.u64") }
        if kinds.contains(.minhash) { names += (0..<minhash.bands).map(DedupIndex.bandFile) }
        return names
    }

    /// Collects one shard's words and spills them as sorted runs.
    final class ShardCollector {
        let builder: DedupIndexBuilder
        let tmp: String
        let shard: Int
        let budget: Int
        var words: [[UInt64]]
        var held = 0
        var runFiles: [[String]]
        var scratch: [UInt8] = []
        let a: [UInt64]
        let b: [UInt64]
        let exactSlot: Int?
        let lineSlot: Int?
        let bandSlot: Int?

        init(builder: DedupIndexBuilder, outputs: Int, tmp: String, shard: Int, budget: Int) {
            self.builder = builder
            self.tmp = tmp
            self.shard = shard
            self.budget = budget
            words = Array(repeating: [], count: outputs)
            runFiles = Array(repeating: [], count: outputs)
            var next = 0
            exactSlot = builder.kinds.contains(.exact) ? next : nil
            if exactSlot != nil { next += 1 }
            lineSlot = builder.kinds.contains(.line) ? next : nil
            if lineSlot != nil { next += 1 }
            bandSlot = builder.kinds.contains(.minhash) ? next : nil
            let m = builder.minhash
            (a, b) = builder.kinds.contains(.minhash) ? MinHashDeduplicator.permutations(count: m.bands * m.rows, seed: m.seed) : ([], [])
        }

        func add(_ document: Document) throws {
            if let s = exactSlot {
                let h = builder.exactNormalize
                    ? TextNormalizer().hash(document.text, scratch: &scratch) : StableHash.xxh64(document.text)
                words[s].append(h)
                held += 8
            }
            if let s = lineSlot {
                for h in LineDeduplicator.lineHashes(document.text) where h != 0 {
                    words[s].append(h)
                    held += 8
                }
            }
            if let s = bandSlot {
                let m = builder.minhash
                if let keys = MinHashDeduplicator.bandKeys(document.text, ngram: m.ngram, bands: m.bands, rows: m.rows, a: a, b: b) {
                    for (band, key) in keys.enumerated() { words[s + band].append(key) }
                    held += 8 * keys.count
                }
            }
            if held > budget { try spill() }
        }

        /// Writes each output's collected words as one sorted run of distinct words.
        func spill() throws {
            for o in 0..<words.count where !words[o].isEmpty {
                sortUnique(&words[o])
                let path = tmp + "/run-\(o)-\(shard)-\(runFiles[o].count).u64"
                try writeWords(path, words[o])
                runFiles[o].append(path)
                words[o].removeAll(keepingCapacity: false)
            }
            held = 0
        }
    }

    func writeManifest(folder: String, outputs: [String], written: [(count: Int, checksum: String)], documents: Int, inputs: [String]) throws {
        var byName: [String: (count: Int, checksum: String)] = [:]
        for (n, w) in zip(outputs, written) { byName[n] = w }
        func q(_ s: String) -> String {
            var out: [UInt8] = []
            JSONLCodec.appendString(s, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        func entry(_ name: String) -> String {
            let w = byName[name] ?? (0, StreamChecksum().hex)
            return "\"count\": \(w.count), \"checksum\": \(q(w.checksum))"
        }
        let kindList = DedupIndexKind.allCases.filter { kinds.contains($0) }
        var text = "{\n  \"format\": \(q(DedupIndex.formatName)),\n  \"version\": \(DedupIndex.version),\n"
        text += "  \"kinds\": [\(kindList.map { q($0.rawValue) }.joined(separator: ", "))],\n"
        text += "  \"documents\": \(documents),\n"
        text += "  \"inputs\": [\(inputs.map(q).joined(separator: ", "))]"
        if kinds.contains(.exact) {
            text += ",\n  \"exact\": {\"normalize\": \(exactNormalize), \(entry("exact.u64"))}"
        }
        if kinds.contains(.line) {
            text += ",\n  \"line\": {\(entry("line.u64"))}"
        }
        if kinds.contains(.minhash) {
            let m = minhash
            text += ",\n  \"minhash\": {\"ngram\": \(m.ngram), \"bands\": \(m.bands), \"rows\": \(m.rows), \"seed\": \(m.seed), \"files\": [\n"
            text += (0..<m.bands).map { "    {\(entry(DedupIndex.bandFile($0)))}" }.joined(separator: ",\n")
            text += "\n  ]}"
        }
        text += "\n}\n"
        try FileSystem.writeAtomically(folder + "/" + DedupIndex.manifestName, Array(text.utf8))
    }
}

// MARK: - The index folder

extension DedupIndex {
    /// Makes `path` ready for a new index: creates it with the marker file, or takes over an
    /// empty folder; a folder that carries the marker is cleaned (only ``ownedNames``, so a stray
    /// file survives) when `overwrite` is set and refused otherwise; any other non-empty folder
    /// or a non-folder is refused. The caller checks the path itself first (not `/`, `.`, the
    /// home folder, nor an input: `RunFolder.checkOutputPath`).
    /// - Returns: a lock held on `index.lock` until it is released or the process ends.
    /// - Throws: ``ConfigError`` naming the folder and why.
    public static func prepareFolder(_ path: String, overwrite: Bool) throws -> IndexFolderLock {
        guard !path.isEmpty else { throw ConfigError("index output: the path is empty", at: nil) }
        let at = SourceLocation(file: path)
        if FileSystem.exists(path) && !FileSystem.isDirectory(path) {
            throw ConfigError("index output '\(path)' is a file, not a folder", at: at)
        }
        if FileSystem.isDirectory(path) {
            let names = try FileSystem.list(path)
            if names.contains(markerName) {
                let lock = try IndexFolderLock(folder: path)
                let built = names.contains(manifestName)
                if built && !overwrite {
                    throw ConfigError("index output '\(path)' already holds an index; pass --overwrite to replace it", at: at)
                }
                for name in ownedNames where name != "index.lock" { try FileSystem.remove(path + "/" + name) }
                return lock
            }
            if !names.isEmpty {
                throw ConfigError(
                    "index output '\(path)' is a folder Winnow did not create (no \(markerName) marker) and is not empty; name a new or empty folder",
                    at: at)
            }
        } else {
            try FileSystem.createDirectory(path)
        }
        try FileSystem.writeAtomically(path + "/" + markerName, Array("winnow dedup index folder\n".utf8))
        return try IndexFolderLock(folder: path)
    }
}

/// An exclusive `flock` on an index folder's `index.lock`, so two builds into one folder
/// exclude each other; the kernel releases it when the process ends.
public final class IndexFolderLock: @unchecked Sendable {
    private var fd: Int32

    init(folder: String) throws {
        let path = folder + "/index.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw ConfigError("cannot open '\(path)': \(String(cString: strerror(errno)))", at: SourceLocation(file: path))
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            fd = -1
            throw ConfigError("index output '\(folder)' is being built by another process (index.lock is held)", at: SourceLocation(file: path))
        }
    }

    /// Releases the lock.
    public func release() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
