import ArgumentParser
import Foundation
import WinnowCore
import WinnowEmbed
import WinnowPrompt
import WinnowTokenizers

/// `winnow examples`: choose in-context demonstrations for a query from a pool.
struct ExamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "examples",
        abstract: "Choose k in-context demonstrations for a query from a JSONL pool (kNN, MMR or BM25, under a token budget).",
        discussion: """
            The pool is JSONL, one {"input": …, "output": …, "label": …} per line (label optional). Its \
            inputs are embedded once with all-MiniLM-L6-v2 and the vectors cached in SQLite (--cache), \
            keyed by the pool's content hash and the model, so an edited pool is embedded again. \
            Demonstrations whose input equals the query are skipped; the chosen ones are printed least \
            relevant first (the most similar last, next to the query). Each costs the tokens of \
            "input\\noutput" by --tokenizer; together they never exceed --budget.
              winnow examples --pool pool.jsonl --query "How far is the Moon?" --k 8 --budget 1500 --json
              winnow examples --pool pool.jsonl --queries queries.jsonl --method mmr --lambda 0.5 > picks.jsonl
            --queries reads JSONL lines {"query": …, "id": …} and writes one JSON line per query (with its \
            id), loading the model once. The random method is the baseline the others are measured against.
            """)

    @Option(help: "The pool: JSONL with input, output and optional label.")
    var pool: String

    @Option(help: "The query text.")
    var query: String?

    @Option(help: "Many queries: JSONL with a `query` field (and an optional `id`); writes JSONL.")
    var queries: String?

    @Option(help: "How many demonstrations to choose.")
    var k = 8

    @Option(help: "knn, mmr, bm25 or random.")
    var method = "knn"

    @Option(help: "MMR: weight of relevance against diversity, 0…1.")
    var lambda = 0.5

    @Option(help: "The most tokens the demonstrations may take together.")
    var budget: Int?

    @Option(help: "Token counter: whitespace, wordpiece, gpt2, tiktoken:<path>, hf:<tokenizer.json>.")
    var tokenizer = "whitespace"

    @Flag(help: "Choose at most ceil(k / labels) demonstrations per label.")
    var balanceLabels = false

    @Option(help: "Seed of the random method.")
    var seed: UInt64 = 0

    @Flag(help: "Print JSON (the default for --queries).")
    var json = false

    @Option(help: "The sentence-transformers model folder.")
    var model: String?

    @Option(help: "The SQLite file caching pool embeddings (default ~/.cache/winnow/examples.sqlite).")
    var cache: String?

    @Flag(help: "Do not read or write the embedding cache.")
    var noCache = false

    @Option(help: "Embedding threads (default: the number of cores).")
    var workers: Int?

    func validate() throws {
        guard (query == nil) != (queries == nil) else { throw ValidationError("give exactly one of --query and --queries") }
        guard ExampleSelectionMethod(rawValue: method) != nil else { throw ValidationError("--method must be knn, mmr, bm25 or random") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if noCache && cache != nil { throw ValidationError("--cache and --no-cache exclude each other") }
    }

    func run() throws {
        let options = ExampleSelectionOptions(
            k: k, method: ExampleSelectionMethod(rawValue: method) ?? .knn, lambda: lambda, budget: budget,
            balanceLabels: balanceLabels, seed: seed)
        try options.validate()
        let counter = try TokenCounters.named(tokenizer)
        let examplePool = try ExamplePool(path: pool)
        let threads = workers ?? ProcessInfo.processInfo.activeProcessorCount
        var embedder: Embedder?
        let index: ExampleIndex
        if options.method.needsEmbeddings {
            let folder = try ModelLocator.locate("all-MiniLM-L6-v2", explicit: model)
            let loaded = try Embedder(folder: ModelFolder(path: folder))
            let store = noCache ? nil : try ExampleEmbeddingCache(path: cache ?? ExampleEmbeddingCache.defaultPath())
            index = try ExampleIndex.build(
                pool: examplePool, embedder: loaded, modelID: try ExampleIndex.modelID(folder: folder), cache: store,
                workers: threads
            ).index
            embedder = loaded
        } else {
            index = ExampleIndex(pool: examplePool, vectors: nil, dimension: 0)
        }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let queries {
            let lines = try QueryLine.read(path: queries)
            let selections = try index.select(
                queries: lines.map(\.query), embedder: embedder, options: options, counter: counter, workers: threads)
            var out = Data()
            for (line, selection) in zip(lines, selections) {
                out.append(try encoder.encode(BatchResult(id: line.id, query: line.query, selection: selection)))
                out.append(0x0A)
                if out.count >= 1 << 16 {
                    FileHandle.standardOutput.write(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
            FileHandle.standardOutput.write(out)
            return
        }
        let text = query ?? ""
        let selection = try index.select(queries: [text], embedder: embedder, options: options, counter: counter, workers: threads)[0]
        if json {
            encoder.outputFormatting.insert(.prettyPrinted)
            FileHandle.standardOutput.write(try encoder.encode(selection) + Data("\n".utf8))
        } else {
            print(Self.describe(selection))
        }
    }

    /// The human-readable listing: one block per demonstration, then the total.
    static func describe(_ selection: ExampleSelection) -> String {
        var lines: [String] = []
        for example in selection.examples {
            let label = example.label.map { " [\($0)]" } ?? ""
            lines.append(String(format: "#%d score %.4f, %d tokens%@", example.index, example.score, example.tokens, label))
            lines.append("  input:  " + example.input.replacingOccurrences(of: "\n", with: "\n          "))
            lines.append("  output: " + example.output.replacingOccurrences(of: "\n", with: "\n          "))
        }
        let budget = selection.budget.map { " of \($0)" } ?? ""
        lines.append(
            "\(selection.examples.count) demonstrations by \(selection.method.rawValue), "
                + "\(selection.totalTokens)\(budget) tokens (\(selection.tokenizer))")
        return lines.joined(separator: "\n")
    }
}

/// One line of a --queries file.
private struct QueryLine: Decodable {
    var query: String
    var id: String?

    enum CodingKeys: String, CodingKey { case query, id }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        query = try container.decode(String.self, forKey: .query)
        if let text = try? container.decodeIfPresent(String.self, forKey: .id) {
            id = text
        } else if let number = try? container.decodeIfPresent(Int.self, forKey: .id) {
            id = String(number)
        }
    }

    /// Reads a queries file; blank lines are skipped.
    /// - Throws: ``InputError`` naming `path:line` for a line without a string `query`.
    static func read(path: String) throws -> [QueryLine] {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path: path, "cannot read the queries") }
        var result: [QueryLine] = []
        for (n, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                result.append(try JSONDecoder().decode(QueryLine.self, from: Data(line)))
            } catch {
                throw InputError("expected a JSON object with a string \"query\"", at: SourceLocation(file: path, line: n + 1))
            }
        }
        return result
    }
}

/// One output line of a --queries run: the query's id and text, then the selection's fields.
private struct BatchResult: Encodable {
    var id: String?
    var query: String
    var selection: ExampleSelection

    enum CodingKeys: String, CodingKey { case id, query }

    func encode(to encoder: any Encoder) throws {
        try selection.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encode(query, forKey: .query)
    }
}
