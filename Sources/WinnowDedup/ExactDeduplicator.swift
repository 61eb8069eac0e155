import WinnowCore
import WinnowIO
import WinnowText

/// Removes documents whose normalised text equals an earlier document's, keeping the first
/// occurrence in input order (shard order, then position), for any worker count.
///
/// Observe hashes each document's normalised text (xxHash64) into a per-shard file; resolve
/// walks the shards in order and marks later copies; decide drops them and records the id of
/// the document they duplicate in `metadata.duplicate_of`.
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
        var hashes: [UInt64] = []
        var ids: [UInt8] = []
        var scratch: [UInt8] = []
        var cursors = DedupIndex.Cursors(bands: 0)
        var indexHits: [UInt64] = []

        init(context: CorpusContext, normalize: Bool, index: DedupIndex?) {
            self.context = context
            self.normalize = normalize
            self.index = index
        }

        func observe(_ document: Document, index position: Int) throws {
            let h = normalize
                ? TextNormalizer().hash(document.text, scratch: &scratch) : StableHash.xxh64(document.text)
            hashes.append(h)
            if let index, try index.containsExact(h, &cursors) { indexHits.append(UInt64(position)) }
            ids.append(contentsOf: document.id.utf8.map { $0 == 0x0A ? 0x20 : $0 })
            ids.append(0x0A)
        }

        func finish() throws {
            let h = try AtomicFileWriter(path: context.path(ExactDeduplicator.hashFile(context.shard)))
            try hashes.withUnsafeBytes { try h.write($0) }
            try h.commit()
            let i = try AtomicFileWriter(path: context.path(ExactDeduplicator.idFile(context.shard)))
            try ids.withUnsafeBytes { try i.write($0) }
            try i.commit()
            if index != nil { try writeWords(context.path(ExactDeduplicator.indexHitFile(context.shard)), indexHits) }
        }
    }

    static func hashFile(_ shard: Int) -> String { "hashes-\(shard).u64" }
    static func idFile(_ shard: Int) -> String { "ids-\(shard).txt" }
    static func decisionFile(_ shard: Int) -> String { "duplicates-\(shard).tsv" }
    static func indexHitFile(_ shard: Int) -> String { "index-hits-\(shard).u64" }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        Observer(context: context, normalize: normalize, index: index)
    }

    // MARK: - Resolve

    /// Finds every later copy of a text seen earlier in (shard, index) order.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        var files: [[UInt8]] = []
        var total = 0
        for shard in 0..<context.shardCount {
            let bytes = try FileSystem.readAll(context.path(Self.hashFile(shard)))
            total += bytes.count / 8
            files.append(bytes)
        }
        var first: [UInt64: UInt64] = [:]  // hash → shard << 32 | index
        first.reserveCapacity(total)
        var duplicates: [[(index: Int, original: UInt64)]] = Array(repeating: [], count: context.shardCount)
        for (shard, bytes) in files.enumerated() {
            bytes.withUnsafeBytes { raw in
                for i in 0..<(bytes.count / 8) {
                    let h = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                    let here = UInt64(shard) << 32 | UInt64(i)
                    if let original = first[h] {
                        duplicates[shard].append((i, original))
                    } else {
                        first[h] = here
                    }
                }
            }
        }
        files = []
        // Load only the id files of shards whose documents are referenced: their bytes and the
        // offset of each line.
        var needed = Set<Int>()
        for list in duplicates { for d in list { needed.insert(Int(d.original >> 32)) } }
        var ids: [Int: (bytes: [UInt8], starts: [Int])] = [:]
        for shard in needed.sorted() {
            let bytes = try FileSystem.readAll(context.path(Self.idFile(shard)))
            var starts = [0]
            bytes.withUnsafeBufferPointer { b in
                for k in 0..<b.count where b[k] == 0x0A { starts.append(k + 1) }
            }
            ids[shard] = (bytes, starts)
        }
        for shard in 0..<context.shardCount {
            var out: [UInt8] = []
            for d in duplicates[shard] {
                out.append(contentsOf: String(d.index).utf8)
                out.append(0x09)
                if let file = ids[Int(d.original >> 32)] {
                    let line = Int(d.original & 0xFFFF_FFFF)
                    if line + 1 < file.starts.count {
                        out.append(contentsOf: file.bytes[file.starts[line]..<(file.starts[line + 1] - 1)])
                    } else if line < file.starts.count {
                        out.append(contentsOf: file.bytes[file.starts[line]...])
                    }
                }
                out.append(0x0A)
            }
            try FileSystem.writeAll(context.path(Self.decisionFile(shard)), out)
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
