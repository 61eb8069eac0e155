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

    /// Creates the stage.
    public init(minWords: Int = 1) {
        self.minWords = minWords
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "line_dedup", kind: .corpus,
        summary: "cc_net line dedup: removes every line whose normalised form appeared earlier in the corpus (input order); documents left with fewer than min_words words are dropped. Counts removed lines as lines_removed.",
        parameters: [
            ParameterSpec("min_words", "int", default: "1", "drop documents left with fewer words after their repeated lines are removed")
        ],
        dropReasons: ["line_dedup_too_short"],
        make: { p in LineDeduplicator(minWords: try p.int("min_words", default: 1, min: 0)!) })

    static func hashFile(_ shard: Int) -> String { "lines-\(shard).u64" }
    static func decisionFile(_ shard: Int) -> String { "removed-lines-\(shard).tsv" }

    /// Line hashes of a text (0 for a line that normalises to nothing).
    static func lineHashes(_ text: String) -> [UInt64] {
        let normalizer = DatatroveNormalizer()
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let n = normalizer.normalizeUTF8(String(line))
            if n.isEmpty { return 0 }
            let h = n.withUnsafeBytes { StableHash.xxh64($0) }
            return h == 0 ? 1 : h
        }
    }

    final class Observer: CorpusObserver {
        let context: CorpusContext
        var words: [UInt64] = []  // per document: line count, then the hashes
        init(context: CorpusContext) { self.context = context }

        func observe(_ document: Document, index: Int) throws {
            let hashes = LineDeduplicator.lineHashes(document.text)
            words.append(UInt64(hashes.count))
            words.append(contentsOf: hashes)
        }

        func finish() throws {
            try writeWords(context.path(LineDeduplicator.hashFile(context.shard)), words)
        }
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        Observer(context: context)
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
                for k in 0..<n {
                    let h = words[i + 1 + k]
                    if h == 0 { continue }
                    if !seen.insert(h).inserted { removed.append(k) }
                }
                if !removed.isEmpty { out += "\(doc)\t" + removed.map(String.init).joined(separator: ",") + "\n" }
                i += n + 1
                doc += 1
            }
            try FileSystem.writeAll(context.path(Self.decisionFile(shard)), Array(out.utf8))
        }
    }

    final class Decider: CorpusDecider {
        let removed: [Int: Set<Int>]
        let minWords: Int
        init(removed: [Int: Set<Int>], minWords: Int) {
            self.removed = removed
            self.minWords = minWords
        }

        func quickVerdict(index: Int) -> Verdict? { removed[index] == nil ? .keep : nil }

        func decide(_ document: inout Document, index: Int) throws -> Verdict {
            guard let lines = removed[index] else { return .keep }
            let kept = document.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                .filter { !lines.contains($0.offset) }.map(\.element)
            document.text = kept.joined(separator: "\n")
            document.metadata["lines_removed"] = .int(Int64(lines.count))
            let words = document.text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).count
            return words < minWords ? .drop(reason: "line_dedup_too_short") : .keep
        }
    }

    /// Creates the per-shard decider.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        let text = String(decoding: try FileSystem.readAll(context.path(Self.decisionFile(context.shard))), as: UTF8.self)
        var map: [Int: Set<Int>] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t")
            guard f.count == 2, let d = Int(f[0]) else { continue }
            map[d] = Set(f[1].split(separator: ",").compactMap { Int($0) })
        }
        return Decider(removed: map, minWords: minWords)
    }
}
