import WinnowCore
import WinnowIO
import WinnowText

/// cc_net's line deduplication: every line whose normalised form was already seen earlier in
/// the corpus (input order) is removed; a document left with too few words is dropped.
///
/// Lines are split on `\n`; a line normalises as datatrove's `simplify_text` does (lowercase,
/// digits → 0, punctuation removed, accents stripped), and lines that normalise to nothing
/// (blank, punctuation only) are never removed. Observe hashes each line per shard; resolve
/// walks shards and documents in order with one set of seen hashes; decide rewrites the text.
public struct LineDeduplicator: CorpusStage, RegisteredStage {
    /// The stage name.
    public var name: String { "line_dedup" }
    /// Documents left with fewer words than this are dropped.
    public var minWords: Int
    /// A dedup index of a reference corpus: every line whose normalised hash it holds is removed
    /// (counted in metadata.index_lines_removed), as if the reference corpus came first; a
    /// document then left too short is dropped as `line_duplicate_of_index`.
    public var index: DedupIndex?

    /// Creates the stage.
    public init(minWords: Int = 1, index: DedupIndex? = nil) {
        self.minWords = minWords
        self.index = index
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "line_dedup", kind: .corpus,
        summary: "cc_net line dedup: removes every line whose normalised form appeared earlier in the corpus (input order); documents left with fewer than min_words words are dropped. Counts removed lines as lines_removed.",
        parameters: [
            ParameterSpec("min_words", "int", default: "1", "drop documents left with fewer words after their repeated lines are removed"),
            ParameterSpec("index", "path", default: nil, "a dedup index of a reference corpus (`winnow index build`): lines it holds are removed too (metadata.index_lines_removed); a document left too short after losing at least one such line is dropped as line_duplicate_of_index (metadata.duplicate_of_index names the index)"),
        ],
        dropReasons: ["line_dedup_too_short", "line_duplicate_of_index"],
        make: { p in
            LineDeduplicator(
                minWords: try p.int("min_words", default: 1, min: 0)!, index: try DedupIndex.forStage(p, stage: "line_dedup", kind: .line))
        })

    static func hashFile(_ shard: Int) -> String { "lines-\(shard).u64" }
    static func decisionFile(_ shard: Int) -> String { "removed-lines-\(shard).tsv" }

    /// The work-file word for a line the index holds (no line hash is below 2).
    static let inIndex: UInt64 = 1

    /// Line hashes of a text (0 for a line that normalises to nothing; never 1).
    static func lineHashes(_ text: String) -> [UInt64] {
        let normalizer = DatatroveNormalizer()
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let n = normalizer.normalizeUTF8(String(line))
            if n.isEmpty { return 0 }
            let h = n.withUnsafeBytes { StableHash.xxh64($0) }
            return h < 2 ? h + 2 : h
        }
    }

    final class Observer: CorpusObserver {
        let context: CorpusContext
        let index: DedupIndex?
        var words: [UInt64] = []  // per document: line count, then the hashes (0: blank; 1: in the index)
        var cursors = DedupIndex.Cursors(bands: 0)
        init(context: CorpusContext, index: DedupIndex?) {
            self.context = context
            self.index = index
        }

        func observe(_ document: Document, index position: Int) throws {
            var hashes = LineDeduplicator.lineHashes(document.text)
            if let index {
                for k in hashes.indices where hashes[k] > LineDeduplicator.inIndex {
                    if try index.containsLine(hashes[k], &cursors) { hashes[k] = LineDeduplicator.inIndex }
                }
            }
            words.append(UInt64(hashes.count))
            words.append(contentsOf: hashes)
        }

        func finish() throws {
            try writeWords(context.path(LineDeduplicator.hashFile(context.shard)), words)
        }
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        Observer(context: context, index: index)
    }

    /// Marks every repeated line, in input order.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        var seen = Set<UInt64>()
        for shard in 0..<context.shardCount {
            let words = try readWords(context.path(Self.hashFile(shard)))
            var out = ""
            var i = 0
            var doc = 0
            while i < words.count {
                let n = Int(words[i])
                var removed: [Int] = []
                var byIndex: [Int] = []
                for k in 0..<n {
                    let h = words[i + 1 + k]
                    if h == 0 { continue }
                    if h == Self.inIndex {
                        byIndex.append(k)
                    } else if !seen.insert(h).inserted {
                        removed.append(k)
                    }
                }
                if !removed.isEmpty || !byIndex.isEmpty {
                    // doc \t repeated lines \t lines the index holds
                    out += "\(doc)\t" + removed.map(String.init).joined(separator: ",") + "\t"
                        + byIndex.map(String.init).joined(separator: ",") + "\n"
                }
                i += n + 1
                doc += 1
            }
            try FileSystem.writeAll(context.path(Self.decisionFile(shard)), Array(out.utf8))
        }
    }

    final class Decider: CorpusDecider {
        let removed: [Int: (lines: Set<Int>, byIndex: Int)]
        let minWords: Int
        let indexPath: String
        init(removed: [Int: (lines: Set<Int>, byIndex: Int)], minWords: Int, indexPath: String) {
            self.removed = removed
            self.minWords = minWords
            self.indexPath = indexPath
        }

        func quickVerdict(index: Int) -> Verdict? { removed[index] == nil ? .keep : nil }

        func decide(_ document: inout Document, index: Int) throws -> Verdict {
            guard let (lines, byIndex) = removed[index] else { return .keep }
            let kept = document.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                .filter { !lines.contains($0.offset) }.map(\.element)
            document.text = kept.joined(separator: "\n")
            document.metadata["lines_removed"] = .int(Int64(lines.count))
            if byIndex > 0 { document.metadata["index_lines_removed"] = .int(Int64(byIndex)) }
            let words = document.text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).count
            if words >= minWords { return .keep }
            if byIndex > 0 {
                document.metadata["duplicate_of_index"] = .string(indexPath)
                return .drop(reason: "line_duplicate_of_index")
            }
            return .drop(reason: "line_dedup_too_short")
        }
    }

    /// Creates the per-shard decider.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        let text = String(decoding: try FileSystem.readAll(context.path(Self.decisionFile(context.shard))), as: UTF8.self)
        var map: [Int: (lines: Set<Int>, byIndex: Int)] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 3, let d = Int(f[0]) else { continue }
            let repeated = f[1].split(separator: ",").compactMap { Int($0) }
            let byIndex = f[2].split(separator: ",").compactMap { Int($0) }
            map[d] = (Set(repeated + byIndex), byIndex.count)
        }
        return Decider(removed: map, minWords: minWords, indexPath: index?.path ?? "")
    }
}
