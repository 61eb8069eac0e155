import WinnowCore
import WinnowIO
import WinnowText

/// Removes documents whose normalised text equals an earlier document's, keeping the first
/// occurrence in input order (shard order, then position), for any worker count.
///
/// Observe hashes each document's normalised text (xxHash64) into a per-shard file; resolve
/// finds later copies in two steps of ``partitions`` tasks each; decide drops them and records
/// the id of the document they duplicate in `metadata.duplicate_of`.
///
/// Memory (B = the step's budget, `memory` / workers), whatever the corpus size:
/// - observe: hashes and ids stream to disk (1 MiB buffers); index hits, 8 B each.
/// - resolve step 0 (part p of the hashes, by hash mod ``partitions``): (hash, document) pairs
///   external-sorted within B/2 (``PairSorter``); in each run of equal hashes the first
///   document is the original, the others go as (copy, original) to a second sorter (B/2).
/// - resolve step 1 (the shards s ≡ p): a k-way merge of the parts' sorted copy lists, ids of
///   originals read back with pread.
/// - decide: the shard's copies (a map of index → original id).
/// Disk (work/): 8 B per document of hashes, ids + 8 B per document of offsets, 16 B per copy.
public struct ExactDeduplicator: CorpusStage, RegisteredStage {
    /// The stage name.
    public var name: String { "exact_dedup" }
    /// Whether to normalise (lowercase, collapse whitespace) before hashing.
    public var normalize: Bool
    /// A dedup index of a reference corpus: a document whose hash it holds is dropped as
    /// `exact_duplicate_of_index` (metadata.duplicate_of_index names the index). Lookups read
    /// the index from disk (8 bytes of memory per 512 indexed hashes, 4 KiB per shard).
    public var index: DedupIndex?

    /// Creates the stage.
    public init(normalize: Bool = true, index: DedupIndex? = nil) {
        self.normalize = normalize
        self.index = index
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "exact_dedup", kind: .corpus,
        summary: "Removes documents whose normalised text (lowercased, whitespace collapsed) equals an earlier document's; the first occurrence in input order is kept and removed copies carry metadata.duplicate_of.",
        parameters: [
            ParameterSpec("normalize", "bool", default: "true", "lowercase and collapse whitespace before hashing; false hashes the exact bytes"),
            ParameterSpec("index", "path", default: nil, "a dedup index of a reference corpus (`winnow index build`, same normalize): documents whose text it holds are dropped as exact_duplicate_of_index (metadata.duplicate_of_index names the index)"),
        ],
        dropReasons: ["exact_duplicate", "exact_duplicate_of_index"],
        make: { p in
            let normalize = try p.bool("normalize", default: true)
            let index = try DedupIndex.forStage(p, stage: "exact_dedup", kind: .exact)
            if let index, let built = index.exactNormalize, built != normalize {
                throw ConfigError(
                    "stage 'exact_dedup': dedup index '\(index.path)' was built with normalize: \(built), but the stage has normalize: \(normalize): rebuild the index\(normalize ? "" : " with --no-normalize") or set the stage's normalize to \(built)",
                    at: p.location(of: "index"))
            }
            return ExactDeduplicator(normalize: normalize, index: index)
        })

    // MARK: - Observe

    final class Observer: CorpusObserver {
        let context: CorpusContext
        let normalize: Bool
        let index: DedupIndex?
        let hashWriter: AtomicFileWriter
        let idWriter: AtomicFileWriter
        let idOffsetWriter: AtomicFileWriter
        var idBytes: UInt64 = 0
        var scratch: [UInt8] = []
        var cursors = DedupIndex.Cursors(bands: 0)
        var indexHits: [UInt64] = []

        init(context: CorpusContext, normalize: Bool, index: DedupIndex?) throws {
            self.context = context
            self.normalize = normalize
            self.index = index
            hashWriter = try AtomicFileWriter(path: context.path(ExactDeduplicator.hashFile(context.shard)))
            idWriter = try AtomicFileWriter(path: context.path(ExactDeduplicator.idFile(context.shard)))
            idOffsetWriter = try AtomicFileWriter(path: context.path(ExactDeduplicator.idOffsetFile(context.shard)))
        }

        func observe(_ document: Document, index position: Int) throws {
            let h = normalize
                ? TextNormalizer().hash(document.text, scratch: &scratch) : StableHash.xxh64(document.text)
            try writeWord(hashWriter, h)
            if let index, try index.containsExact(h, &cursors) { indexHits.append(UInt64(position)) }
            var id = document.id.utf8.map { $0 == 0x0A ? 0x20 : $0 }
            id.append(0x0A)
            try writeWord(idOffsetWriter, idBytes)
            try id.withUnsafeBytes { try idWriter.write($0) }
            idBytes += UInt64(id.count)
        }

        func finish() throws {
            try writeWord(idOffsetWriter, idBytes)
            try hashWriter.commit()
            try idWriter.commit()
            try idOffsetWriter.commit()
            if index != nil { try writeWords(context.path(ExactDeduplicator.indexHitFile(context.shard)), indexHits) }
        }
    }

    static func hashFile(_ shard: Int) -> String { "hashes-\(shard).u64" }
    static func idFile(_ shard: Int) -> String { "ids-\(shard).txt" }
    static func idOffsetFile(_ shard: Int) -> String { "id-offsets-\(shard).u64" }
    static func copyFile(_ part: Int) -> String { "copies-\(part).u64" }
    static func decisionFile(_ shard: Int) -> String { "duplicates-\(shard).tsv" }
    static func indexHitFile(_ shard: Int) -> String { "index-hits-\(shard).u64" }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        try Observer(context: context, normalize: normalize, index: index)
    }

    // MARK: - Resolve

    /// Parts of each resolve step.
    public static let partitions = 8

    /// Step 0: copies per part of the hashes; step 1: decision lists per part of the shards.
    public var resolveSteps: [Int] { [Self.partitions, Self.partitions] }

    /// Runs one partition of a resolve step.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        if step == 0 { try findCopies(partition, context: context) } else { try writeDecisions(partition, context: context) }
    }

    /// The documents of this part's hashes that repeat an earlier text (shard << 32 | index),
    /// each with the first document of its text, sorted by the copy.
    func findCopies(_ part: Int, context: CorpusContext) throws {
        let byHash = PairSorter(prefix: context.path("hash-pairs-\(part)"), budget: context.memoryBudget / 2, distinct: false)
        for shard in 0..<context.shardCount {
            let hashes = try WordStream(path: context.path(Self.hashFile(shard)), bufferWords: 1 << 14)
            var i: UInt64 = 0
            while let h = try hashes.next() {
                if Int(h % UInt64(Self.partitions)) == part { try byHash.append(h, UInt64(shard) << 32 | i) }
                i += 1
            }
        }
        let byCopy = PairSorter(prefix: context.path("copy-pairs-\(part)"), budget: context.memoryBudget / 2, distinct: false)
        let sorted = try byHash.sorted()
        var hash: UInt64 = 0
        var original: UInt64?
        while let p = try sorted.next() {
            // Sorted by (hash, document): the first of each hash is the earliest in input order.
            if let o = original, p.first == hash {
                try byCopy.append(p.second, o)
            } else {
                hash = p.first
                original = p.second
            }
        }
        try byHash.removeRuns()
        let copies = try byCopy.sorted()
        let out = try AtomicFileWriter(path: context.path(Self.copyFile(part)))
        var buffer: [UInt64] = []
        buffer.reserveCapacity(1 << 12)
        while let p = try copies.next() {
            buffer.append(p.first)
            buffer.append(p.second)
            if buffer.count >= 1 << 12 {
                try buffer.withUnsafeBytes { try out.write($0) }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try buffer.withUnsafeBytes { try out.write($0) }
        try out.commit()
        try byCopy.removeRuns()
    }

    /// The decision lists (index \t original's id, by index) of the shards s ≡ part.
    func writeDecisions(_ part: Int, context: CorpusContext) throws {
        let shards = Array(stride(from: part, to: context.shardCount, by: Self.partitions))
        if shards.isEmpty { return }
        let merged = try MergedPairSource(
            (0..<Self.partitions).map { try FilePairSource(path: context.path(Self.copyFile($0)), bufferWords: 1 << 13) }, distinct: false)
        let idOffsets = ShardFiles { context.path(ExactDeduplicator.idOffsetFile($0)) }
        let idText = ShardFiles { context.path(ExactDeduplicator.idFile($0)) }
        func id(_ node: UInt64) throws -> String {
            let s = Int(node >> 32)
            let range = try idOffsets.file(s).words(at: Int(node & 0xFFFF_FFFF), count: 2)
            let bytes = try idText.file(s).bytes(at: Int(range[0]), count: max(0, Int(range[1]) - Int(range[0]) - 1))
            return String(decoding: bytes, as: UTF8.self)
        }
        var next = try merged.next()
        for shard in shards {
            let out = try AtomicFileWriter(path: context.path(Self.decisionFile(shard)))
            var text = ""
            while let p = next, Int(p.first >> 32) <= shard {
                if Int(p.first >> 32) == shard {
                    text += "\(p.first & 0xFFFF_FFFF)\t\(try id(p.second))\n"
                    if text.utf8.count >= 1 << 16 {
                        try Array(text.utf8).withUnsafeBytes { try out.write($0) }
                        text = ""
                    }
                }
                next = try merged.next()
            }
            try Array(text.utf8).withUnsafeBytes { try out.write($0) }
            try out.commit()
        }
    }

    // MARK: - Decide

    final class Decider: CorpusDecider {
        let duplicateOf: [Int: String]
        let inIndex: Set<Int>
        let indexPath: String
        init(duplicateOf: [Int: String], inIndex: Set<Int>, indexPath: String) {
            self.duplicateOf = duplicateOf
            self.inIndex = inIndex
            self.indexPath = indexPath
        }

        func quickVerdict(index: Int) -> Verdict? {
            duplicateOf[index] == nil && !inIndex.contains(index) ? .keep : nil
        }

        func decide(_ document: inout Document, index: Int) throws -> Verdict {
            // Every copy of a text the index holds is an index match: the reference corpus comes first.
            if inIndex.contains(index) {
                document.metadata["duplicate_of_index"] = .string(indexPath)
                return .drop(reason: "exact_duplicate_of_index")
            }
            guard let original = duplicateOf[index] else { return .keep }
            document.metadata["duplicate_of"] = .string(original)
            return .drop(reason: "exact_duplicate")
        }
    }

    /// Creates the per-shard decider from the resolve step's list.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        let text = String(decoding: try FileSystem.readAll(context.path(Self.decisionFile(context.shard))), as: UTF8.self)
        var map: [Int: String] = [:]
        for line in text.split(separator: "\n") {
            guard let tab = line.firstIndex(of: "\t"), let i = Int(line[..<tab]) else { continue }
            map[i] = String(line[line.index(after: tab)...])
        }
        var inIndex = Set<Int>()
        if index != nil {
            for i in try readWords(context.path(Self.indexHitFile(context.shard))) { inIndex.insert(Int(i)) }
        }
        return Decider(duplicateOf: map, inIndex: inIndex, indexPath: index?.path ?? "")
    }
}
