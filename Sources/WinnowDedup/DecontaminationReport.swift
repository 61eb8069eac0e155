import WinnowCore
import WinnowIO

/// What `decontaminate` found, per benchmark: `decontamination.json` in the run folder.
public struct DecontaminationReport: Sendable, Hashable {
    /// One example match.
    public struct Example: Sendable, Hashable {
        /// The document's id.
        public var document: String
        /// The item's id.
        public var item: String
        /// The document's matching words, as written (n words).
        public var text: String
    }

    /// One benchmark's counts.
    public struct Entry: Sendable, Hashable {
        /// The benchmark's name.
        public var name: String
        /// Its file.
        public var path: String
        /// Items read.
        public var items: Int
        /// Items too short to match (fewer words than n).
        public var itemsTooShort: Int
        /// Distinct items found in at least one document.
        public var itemsFound: Int
        /// Documents containing at least one of its items.
        public var documents: Int
        /// The first example matches (shard order).
        public var examples: [Example]
    }

    /// The n-gram length.
    public var ngram: Int
    /// The normalisation.
    public var normalization: String
    /// The mode (`drop` or `cut`).
    public var mode: String
    /// Documents with at least one match.
    public var documents: Int
    /// n-gram positions indexed.
    public var indexNGrams: Int
    /// Bytes held by the index.
    public var indexBytes: Int
    /// Per benchmark, in the recipe's order.
    public var benchmarks: [Entry]

    /// Sums every shard's work files.
    static func build(stage: Decontaminator, context: CorpusContext) throws -> DecontaminationReport {
        let index = stage.index
        var found = Array(repeating: Set<Int>(), count: index.benchmarks.count)
        var documents = Array(repeating: 0, count: index.benchmarks.count)
        var examples = Array(repeating: [Example](), count: index.benchmarks.count)
        var total = 0
        for shard in 0..<context.shardCount {
            for f in try Decontaminator.readFindings(context.path(Decontaminator.matchFile(shard))) {
                total += 1
                var seen = Set<Int>()
                for item in f.items {
                    let b = index.items[item].benchmark
                    found[b].insert(item)
                    if seen.insert(b).inserted { documents[b] += 1 }
                }
            }
            let text = String(decoding: try FileSystem.readAll(context.path(Decontaminator.exampleFile(shard))), as: UTF8.self)
            for line in text.split(separator: "\n") {
                let f = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
                guard f.count == 4, let b = Int(f[0]), let item = Int(f[2]), b < examples.count, item < index.items.count else { continue }
                if examples[b].count < stage.examples {
                    examples[b].append(Example(document: String(f[1]), item: index.items[item].id, text: String(f[3])))
                }
            }
        }
        return DecontaminationReport(
            ngram: index.n, normalization: index.normalization.rawValue, mode: stage.mode.rawValue, documents: total,
            indexNGrams: index.ngramCount, indexBytes: index.memoryBytes,
            benchmarks: index.benchmarks.enumerated().map { b, info in
                Entry(name: info.source.name, path: info.source.path, items: info.items, itemsTooShort: info.itemsTooShort,
                      itemsFound: found[b].count, documents: documents[b], examples: examples[b])
            })
    }

    /// The report as pretty JSON.
    public func json() -> String {
        func q(_ s: String) -> String {
            var out: [UInt8] = []
            JSONLCodec.appendString(s, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        var s = "{\n  \"ngram\": \(ngram),\n  \"normalize\": \(q(normalization)),\n  \"mode\": \(q(mode)),\n"
        s += "  \"documents_contaminated\": \(documents),\n"
        s += "  \"index\": {\"ngrams\": \(indexNGrams), \"bytes\": \(indexBytes)},\n"
        s += "  \"benchmarks\": ["
        for (i, b) in benchmarks.enumerated() {
            s += i == 0 ? "\n" : ",\n"
            s += "    {\"name\": \(q(b.name)), \"path\": \(q(b.path)), \"items\": \(b.items), \"items_too_short\": \(b.itemsTooShort), "
            s += "\"items_found\": \(b.itemsFound), \"documents\": \(b.documents),\n     \"examples\": ["
            s += b.examples.map { "{\"document\": \(q($0.document)), \"item\": \(q($0.item)), \"text\": \(q($0.text))}" }
                .joined(separator: ",\n       ")
            s += "]}"
        }
        s += "\n  ]\n}\n"
        return s
    }

    /// One line per benchmark, for the command line.
    public func summary() -> String {
        var s = ""
        for b in benchmarks {
            s += "\(b.name): \(b.itemsFound) of \(b.items) items found in \(b.documents) documents"
            if b.itemsTooShort > 0 { s += " (\(b.itemsTooShort) items shorter than \(ngram) words cannot match)" }
            s += "\n"
        }
        s += "documents contaminated: \(documents); index: \(indexNGrams) n-grams, \(indexBytes) bytes\n"
        return s
    }
}
