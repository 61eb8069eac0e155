import WinnowCore
import WinnowIO

/// Removes benchmark test data from a corpus: a document that shares an n-gram of normalised
/// words (13 by default, as GPT-3 and datatrove's `NGramsDecontFilter`) with a benchmark item
/// is dropped (`mode: drop`) or has the matching spans cut out (`mode: cut`), with reason
/// `contaminated` and the benchmarks and item ids in its metadata.
///
/// Every hit of the hashed n-gram set is verified word for word against the item, so there
/// are no false positives from hashing. Observe finds the matches per shard; resolve writes
/// `decontamination.json` into the run folder (per benchmark: items found, documents, examples);
/// decide applies the mode.
public struct Decontaminator: CorpusStage, RegisteredStage {
    /// What happens to a contaminated document.
    public enum Mode: String, Sendable, CaseIterable {
        /// Drop the document.
        case drop
        /// Cut the matching spans out; drop the document if too little is left.
        case cut
    }

    /// The stage name.
    public var name: String { "decontaminate" }
    /// The benchmark n-grams.
    public let index: BenchmarkIndex
    /// Drop or cut.
    public var mode: Mode
    /// In cut mode, documents with fewer characters (Unicode scalars, not counting whitespace)
    /// left are dropped.
    public var minRemainingCharacters: Int
    /// Examples per benchmark in the report.
    public var examples: Int

    /// The report's file name in the run folder.
    public static let reportName = "decontamination.json"

    /// Creates the stage over a built index.
    public init(index: BenchmarkIndex, mode: Mode = .drop, minRemainingCharacters: Int = 200, examples: Int = 5) {
        self.index = index
        self.mode = mode
        self.minRemainingCharacters = minRemainingCharacters
        self.examples = examples
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "decontaminate", kind: .corpus,
        summary: "Removes benchmark test data: documents sharing an n-gram of normalised words with a benchmark item (every hash hit verified word for word) are dropped or have the matching spans cut; decontamination.json in the run folder reports items found per benchmark.",
        parameters: [
            ParameterSpec("benchmarks", "[mapping]", default: nil, "each {name, path, fields: [..], id_field, format: jsonl or text}; fields are dotted JSON paths (lists contribute each element), joined per item"),
            ParameterSpec("ngram", "int", default: "13", "n-gram length in words"),
            ParameterSpec("normalize", "string", default: "datatrove", "word normalisation: datatrove (lowercase, digits → 0, no diacritics), lowercase or none"),
            ParameterSpec("mode", "string", default: "drop", "drop: remove the document; cut: remove the matching spans"),
            ParameterSpec("min_remaining_chars", "int", default: "200", "cut mode: drop the document when fewer non-space characters are left"),
            ParameterSpec("examples", "int", default: "5", "example matches per benchmark in the report"),
        ],
        dropReasons: ["contaminated"],
        make: { p in
            guard let value = p.value("benchmarks"), case .sequence(let entries) = value.kind, !entries.isEmpty else {
                throw ConfigError(
                    "stage 'decontaminate' needs 'benchmarks': a list of {name, path, fields}", at: p.location(of: "benchmarks"))
            }
            let sources = try entries.map(Decontaminator.source(from:))
            let names = sources.map(\.name)
            if Set(names).count != names.count {
                throw ConfigError("stage 'decontaminate': benchmark names must differ", at: p.location(of: "benchmarks"))
            }
            let n = try p.int("ngram", default: 13, min: 1, max: 1000) ?? 13
            let norm = NGramNormalization(
                rawValue: try p.string("normalize", default: "datatrove", choices: NGramNormalization.allCases.map(\.rawValue)) ?? "")
                ?? .datatrove
            let mode = Mode(rawValue: try p.string("mode", default: "drop", choices: Mode.allCases.map(\.rawValue)) ?? "") ?? .drop
            let minRemaining = try p.int("min_remaining_chars", default: 200, min: 0) ?? 200
            let examples = try p.int("examples", default: 5, min: 0) ?? 5
            let index: BenchmarkIndex
            do {
                index = try BenchmarkIndex(sources: sources, n: n, normalization: norm)
            } catch let e as ConfigError {
                throw ConfigError(e.message, at: p.location(of: "benchmarks"))
            }
            return Decontaminator(index: index, mode: mode, minRemainingCharacters: minRemaining, examples: examples)
        })

    /// Reads one `benchmarks` entry.
    static func source(from value: ConfigValue) throws -> BenchmarkSource {
        guard let m = value.mapping else {
            throw ConfigError("stage 'decontaminate': each benchmark is a mapping {name, path, fields}, not \(value.shapeName)", at: value.location)
        }
        let known = ["name", "path", "fields", "id_field", "format"]
        for (k, v) in m where !known.contains(k) {
            throw ConfigError("stage 'decontaminate': a benchmark has no key '\(k)' (known: \(known.joined(separator: ", ")))", at: v.location)
        }
        func scalar(_ key: String) throws -> String? {
            guard let v = value[key] else { return nil }
            guard case .scalar(let s) = v.kind else {
                throw ConfigError("stage 'decontaminate': benchmark '\(key)' must be a single value", at: v.location)
            }
            return s
        }
        guard let name = try scalar("name"), !name.isEmpty, let path = try scalar("path"), !path.isEmpty else {
            throw ConfigError("stage 'decontaminate': each benchmark needs 'name' and 'path'", at: value.location)
        }
        var fields = ["text"]
        if let f = value["fields"] {
            switch f.kind {
            case .scalar(let s): fields = [s]
            case .sequence(let items):
                fields = try items.map {
                    guard case .scalar(let s) = $0.kind else {
                        throw ConfigError("stage 'decontaminate': benchmark 'fields' must be a list of names", at: $0.location)
                    }
                    return s
                }
            default:
                throw ConfigError("stage 'decontaminate': benchmark 'fields' must be a list of names", at: f.location)
            }
        }
        var format: BenchmarkSource.Format?
        if let f = try scalar("format") {
            guard let parsed = BenchmarkSource.Format(rawValue: f) else {
                throw ConfigError("stage 'decontaminate': benchmark format must be jsonl or text, got '\(f)'", at: value["format"]?.location)
            }
            format = parsed
        }
        return BenchmarkSource(name: name, path: path, format: format, fields: fields, idField: try scalar("id_field"))
    }

    // MARK: - Observe

    /// What observe found in one document.
    struct Finding {
        var index: Int
        var spans: [(Int, Int)]  // UTF-8 byte ranges in the text, merged, in order
        var items: [Int]  // sorted, unique
    }

    static func matchFile(_ shard: Int) -> String { "matches-\(shard).tsv" }
    static func exampleFile(_ shard: Int) -> String { "examples-\(shard).tsv" }

    final class Observer: CorpusObserver {
        let stage: Decontaminator
        let context: CorpusContext
        var words = NGramWords()
        var out: [UInt8] = []
        var exampleLines: [UInt8] = []
        var examplesPerBenchmark: [Int]

        init(stage: Decontaminator, context: CorpusContext) {
            self.stage = stage
            self.context = context
            examplesPerBenchmark = Array(repeating: 0, count: stage.index.benchmarks.count)
        }

        func observe(_ document: Document, index: Int) throws {
            var text = document.text
            let n = stage.index.n
            text.withUTF8 { u in
                let matches = stage.index.matches(in: u, words: &words)
                if matches.isEmpty { return }
                // Merge the matched windows into word intervals, then byte spans.
                let windows = Set(matches.map(\.word)).sorted()
                var spans: [(Int, Int)] = []
                var a = windows[0], b = windows[0] + n
                for w in windows.dropFirst() {
                    if w <= b { b = max(b, w + n) } else {
                        spans.append((words.start[a], words.end[b - 1]))
                        a = w
                        b = w + n
                    }
                }
                spans.append((words.start[a], words.end[b - 1]))
                let items = Set(matches.map(\.item)).sorted()
                out.append(contentsOf: "\(index)\t".utf8)
                out.append(contentsOf: spans.map { "\($0.0)-\($0.1)" }.joined(separator: ",").utf8)
                out.append(0x09)
                out.append(contentsOf: items.map(String.init).joined(separator: ",").utf8)
                out.append(0x0A)
                // Examples: the first match of each benchmark not yet shown from this shard.
                var shown = Set<Int>()
                for m in matches {
                    let b = stage.index.items[m.item].benchmark
                    guard examplesPerBenchmark[b] < stage.examples, shown.insert(b).inserted else { continue }
                    examplesPerBenchmark[b] += 1
                    let s = words.start[m.word], e = words.end[m.word + n - 1]
                    let snippet = String(decoding: UnsafeBufferPointer(rebasing: u[s..<e]), as: UTF8.self)
                    let fields = [String(b), clean(document.id), String(m.item), clean(snippet)]
                    exampleLines.append(contentsOf: fields.joined(separator: "\t").utf8)
                    exampleLines.append(0x0A)
                }
            }
        }

        func clean(_ s: String) -> String {
            String(s.unicodeScalars.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : Character($0) })
        }

        func finish() throws {
            try FileSystem.writeAtomically(context.path(Decontaminator.matchFile(context.shard)), out)
            try FileSystem.writeAtomically(context.path(Decontaminator.exampleFile(context.shard)), exampleLines)
        }
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        Observer(stage: self, context: context)
    }

    static func readFindings(_ path: String) throws -> [Finding] {
        let text = String(decoding: try FileSystem.readAll(path), as: UTF8.self)
        var out: [Finding] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 3, let i = Int(f[0]) else {
                throw InputError("bad line in the decontamination work file", at: SourceLocation(file: path))
            }
            let spans = f[1].split(separator: ",").compactMap { s -> (Int, Int)? in
                let ab = s.split(separator: "-")
                guard ab.count == 2, let a = Int(ab[0]), let b = Int(ab[1]) else { return nil }
                return (a, b)
            }
            out.append(Finding(index: i, spans: spans, items: f[2].split(separator: ",").compactMap { Int($0) }))
        }
        return out
    }

    // MARK: - Resolve

    /// Sums the shards' findings into the report (`decontamination.json` in the run folder, or
    /// in the work folder outside a run).
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        let report = try DecontaminationReport.build(stage: self, context: context)
        let folder = context.runDirectory.isEmpty ? context.workDirectory : context.runDirectory
        try FileSystem.writeAtomically(folder + "/" + Self.reportName, Array(report.json().utf8))
    }

    // MARK: - Decide

    final class Decider: CorpusDecider {
        let stage: Decontaminator
        let findings: [Int: Finding]

        init(stage: Decontaminator, findings: [Int: Finding]) {
            self.stage = stage
            self.findings = findings
        }

        func quickVerdict(index: Int) -> Verdict? { findings[index] == nil ? .keep : nil }

        /// Files each contaminated document under its benchmarks (`benchmark` labels in stats.json
        /// and the report, split by kept (cut) and dropped).
        func measure(_ document: Document, index: Int, into measures: inout PendingMeasures) {
            guard let f = findings[index] else { return }
            for b in Set(f.items.map { stage.index.items[$0].benchmark }).sorted() {
                measures.add("benchmark", label: stage.index.benchmarks[b].source.name)
            }
        }

        func decide(_ document: inout Document, index: Int) throws -> Verdict {
            guard let f = findings[index] else { return .keep }
            let items = f.items.map { stage.index.items[$0] }
            let benchmarks = Set(items.map(\.benchmark)).sorted().map { stage.index.benchmarks[$0].source.name }
            let itemIDs = items.map { stage.index.benchmarks[$0.benchmark].source.name + ":" + $0.id }
            if stage.mode == .cut {
                var bytes = Array(document.text.utf8)
                guard f.spans.allSatisfy({ $0.0 >= 0 && $0.0 <= $0.1 && $0.1 <= bytes.count }) else {
                    throw InputError("decontaminate: document '\(document.id)' changed between observe and decide",
                                     at: SourceLocation(file: "document '\(document.id)'"))
                }
                var kept: [UInt8] = []
                kept.reserveCapacity(bytes.count)
                var at = 0
                for (a, b) in f.spans {
                    kept.append(contentsOf: bytes[at..<a])
                    at = b
                }
                kept.append(contentsOf: bytes[at...])
                bytes = []
                var remaining = 0
                for c in kept where c & 0xC0 != 0x80 && !(c == 0x20 || (c >= 0x09 && c <= 0x0D)) { remaining += 1 }
                if remaining >= stage.minRemainingCharacters {
                    document.text = String(decoding: kept, as: UTF8.self)
                    document.metadata["decontaminated_benchmarks"] = .array(benchmarks.map { .string($0) })
                    document.metadata["decontaminated_items"] = .array(itemIDs.map { .string($0) })
                    document.metadata["decontaminated_spans"] = .int(Int64(f.spans.count))
                    return .keep
                }
            }
            document.metadata["contaminated_benchmarks"] = .array(benchmarks.map { .string($0) })
            document.metadata["contaminated_items"] = .array(itemIDs.map { .string($0) })
            return .drop(reason: "contaminated")
        }
    }

    /// Creates the per-shard decider from observe's findings.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        let findings = try Self.readFindings(context.path(Self.matchFile(context.shard)))
        return Decider(stage: self, findings: Dictionary(findings.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a }))
    }
}

extension FileSystem {
    /// Writes a file through a temporary name and a rename.
    static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        let w = try AtomicFileWriter(path: path)
        try bytes.withUnsafeBytes { try w.write($0) }
        try w.commit()
    }
}
