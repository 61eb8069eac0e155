import ArgumentParser
import Foundation
import WinnowCore
import WinnowDedup
import WinnowIO
import WinnowParquet
import WinnowPipeline
import WinnowText

/// `winnow index`: dedup indexes of a reference corpus, for dedup against it.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build or describe a dedup index of a reference corpus (dedup new data against old).",
        discussion: """
            Build once from the old data, then give the folder to a dedup stage:
              winnow index build --input 'old/*.jsonl.gz' --output idx/old
              stages: [ { exact_dedup: { index: idx/old } }, { minhash_dedup: { index: idx/old } } ]
            Documents of the new data that the index holds are dropped as exact_duplicate_of_index,
            near_duplicate_of_index or (line_dedup) line_duplicate_of_index; dedup within the new
            data works as before.
            """,
        subcommands: [IndexBuildCommand.self, IndexInfoCommand.self])
}

/// `winnow index build`: one pass over a reference corpus into an index folder.
struct IndexBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a dedup index (exact hashes, MinHash band keys, line hashes) from a reference corpus.",
        discussion: """
            The index folder holds index.json (format, version, parameters, per file its entry
            count and checksum) and sorted files of 64-bit words: exact.u64, line.u64 and
            minhash/band-NNN.u64. Its bytes are the same for any --workers and --memory.
            Memory: at most --memory bytes of collected words (8 bytes per hash or band key)
            before they are spilled as sorted runs under tmp/, then 64 × 64 KiB per worker to merge.
            """)

    @Option(name: .customLong("input"), parsing: .upToNextOption, help: "Input files or glob patterns (repeatable).")
    var inputs: [String] = []

    @Option(help: "The index folder (created; an existing index is replaced only with --overwrite).")
    var output: String

    @Option(help: "Input format: jsonl, text, warc, html, mediawiki or parquet.")
    var format = "jsonl"

    @Option(help: "JSONL/Parquet: the text field.")
    var textKey = "text"

    @Option(help: "What to index: a comma-separated subset of exact, minhash, line.")
    var kinds = "exact,minhash,line"

    @Option(help: "MinHash: words per shingle (as minhash_dedup's ngram).")
    var ngram = 5

    @Option(help: "MinHash: LSH bands (as minhash_dedup's bands).")
    var bands = 14

    @Option(help: "MinHash: values per band (as minhash_dedup's rows).")
    var rows = 8

    @Option(help: "MinHash: seed of the permutations (as minhash_dedup's seed).")
    var seed = 1

    @Flag(inversion: .prefixedNo, help: "Exact: hash normalised text (as exact_dedup's normalize).")
    var normalize = true

    @Option(help: "Worker threads (default: the number of cores).")
    var workers: Int?

    @Option(help: "Bytes of collected hashes held in memory before spilling (K, M, G suffixes).")
    var memory = "1G"

    @Flag(help: "Replace an index the output folder already holds.")
    var overwrite = false

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    /// `512M` → 536870912.
    static func bytes(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var t = text.uppercased()
        if t.hasSuffix("B") { t.removeLast() }
        if let last = t.last, let unit = units[last] {
            return Int(t.dropLast()).map { $0 * unit }
        }
        return Int(t)
    }

    func parsedKinds() throws -> Set<DedupIndexKind> {
        var out = Set<DedupIndexKind>()
        for k in kinds.split(separator: ",") {
            let name = k.trimmingCharacters(in: .whitespaces)
            guard let kind = DedupIndexKind(rawValue: name) else {
                throw ValidationError("--kinds: unknown kind '\(name)' (known: exact, minhash, line)")
            }
            out.insert(kind)
        }
        if out.isEmpty { throw ValidationError("--kinds names no kind (exact, minhash, line)") }
        return out
    }

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give the reference corpus with --input FILE_OR_GLOB") }
        guard InputFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        _ = try parsedKinds()
        guard (1...64).contains(ngram) else { throw ValidationError("--ngram must be 1–64") }
        guard (1...255).contains(bands) else { throw ValidationError("--bands must be 1–255") }
        guard (1...64).contains(rows) else { throw ValidationError("--rows must be 1–64") }
        guard seed >= 0 else { throw ValidationError("--seed must be ≥ 0") }
        if let w = workers, w < 1 { throw ValidationError("--workers must be ≥ 1") }
        guard let m = Self.bytes(memory), m > 0 else { throw ValidationError("--memory must be a size such as 512M or 2G") }
    }

    func run() throws {
        // Input files, in order, each once.
        var files: [String] = []
        for pattern in inputs {
            let matched = try FileSystem.glob(pattern).filter { !FileSystem.isDirectory($0) }
            if matched.isEmpty { throw ConfigError("--input '\(pattern)' matches no files", at: nil) }
            files += matched
        }
        var seen = Set<String>()
        files = files.filter { seen.insert($0).inserted }
        let resolved = try RunFolder.checkOutputPath(output, inputs: files, patterns: inputs)
        let lock = try DedupIndex.prepareFolder(resolved, overwrite: overwrite)
        defer { lock.release() }

        var options = ReaderOptions()
        options.format = InputFormat(rawValue: format) ?? .jsonl
        options.textKey = textKey
        let root = FileSystem.parent(of: files[0])
        let shards: [InputShard] =
            options.format == .parquet
            ? try planParquetShards(files: files, root: root, shardBytes: 64 << 20)
            : try planShards(files: files, root: root, options: options, shardBytes: 64 << 20)
        let builder = DedupIndexBuilder(
            kinds: try parsedKinds(), exactNormalize: normalize,
            minhash: MinHashIndexParameters(ngram: ngram, bands: bands, rows: rows, seed: UInt64(seed)),
            memoryBudget: Self.bytes(memory) ?? (1 << 30), workers: workers ?? ProcessInfo.processInfo.activeProcessorCount)
        let readerOptions = options
        let textKey = self.textKey
        let start = Date()
        let index = try builder.build(folder: output, shardCount: shards.count, inputs: inputs) { i in
            let shard = shards[i]
            switch readerOptions.format {
            case .parquet:
                return ParquetShardReader(pieces: shard.pieces, mapping: ParquetColumnMapping(textKey: textKey, idKey: "id", metadataColumns: nil))
            case .mediawiki:
                return WikitextReader(try makeReader(for: shard, options: readerOptions))
            default:
                return try makeReader(for: shard, options: readerOptions)
            }
        }
        if !quiet {
            print(index.summary, terminator: "")
            print(String(format: "built in %.1f s (%d shards)", Date().timeIntervalSince(start), shards.count))
        }
    }
}

/// MediaWiki pages as plain text, as a recipe reads them (`wikitext: plain`).
final class WikitextReader: DocumentReader {
    private let base: any DocumentReader
    init(_ base: any DocumentReader) { self.base = base }
    var bytesRead: Int64 { base.bytesRead }
    var storedBytesRead: Int64 { base.storedBytesRead }
    func next() throws -> Document? {
        guard var doc = try base.next() else { return nil }
        doc.text = Wikitext.plainText(doc.text)
        return doc
    }
}

/// `winnow index info`: what an index holds.
struct IndexInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Print what a dedup index holds (and check its files' checksums).")

    @Argument(help: "The index folder.")
    var folder: String

    func run() throws {
        print(try DedupIndex(path: folder).summary, terminator: "")
    }
}
