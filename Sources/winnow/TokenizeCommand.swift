import ArgumentParser
import Foundation
import WinnowCore
import WinnowIO
import WinnowTokenizers

/// `winnow tokenize --count-only`: the token totals of stage outputs, before choosing a mixture.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Count the tokens of stage outputs (a run folder's data/, JSONL shards, globs) in any tokenizer.",
        discussion: """
            Prints, for each INPUT, its files, documents and tokens, then the total; with --by KEY, \
            the totals per value of a metadata key (e.g. source). A run folder counts its data/ \
            shards. Token shards for training (Megatron .bin/.idx, datatrove .ds) are written by the \
            `tokenize` stage of a recipe (format: megatron | datatrove | both).
            Tokenizers: gpt2 (models/gpt2.tiktoken), tiktoken:<file>, hf:<tokenizer.json> (BPE, \
            SentencePiece BPE/Unigram, WordPiece), wordpiece[:<folder>].
            """)

    @Argument(help: "Run folders, JSONL files (.gz/.zst) or glob patterns; each is one output to count.")
    var inputs: [String]

    @Option(help: "The tokenizer.")
    var tokenizer = "gpt2"

    @Flag(help: "Print token totals only (required: shards are written by the tokenize stage).")
    var countOnly = false

    @Option(help: "Also total by this metadata key.")
    var by: String?

    @Option(help: "Files tokenized at once (default: the CPU count).")
    var workers: Int?

    @Option(help: "The JSONL text field.")
    var textKey = "text"

    func validate() throws {
        guard countOnly else {
            throw ValidationError("give --count-only; token shards are written by the `tokenize` stage of a recipe (format: megatron, datatrove or both)")
        }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
    }

    /// The files of one input: a run folder's `data/` shards, or a glob's matches.
    static func files(of input: String) throws -> [String] {
        if FileSystem.isDirectory(input) {
            let data = input.hasSuffix("/") ? input + "data" : input + "/data"
            guard FileSystem.isDirectory(data) else { throw FileError(path: input, "a folder but not a run folder (no data/)") }
            return try FileSystem.list(data).filter { $0.contains(".jsonl") && !$0.contains(".tmp-") }.map { data + "/" + $0 }
        }
        let files = try FileSystem.glob(input)
        if files.isEmpty { throw FileError(path: input, "no such file") }
        return files
    }

    struct Tally {
        var documents = 0
        var tokens = 0
        var byKey: [String: (documents: Int, tokens: Int)] = [:]
    }

    func run() throws {
        let counter = try TokenCounters.tokenizer(tokenizer)
        var readerOptions = ReaderOptions()
        readerOptions.textKey = textKey
        let options = readerOptions
        let groups = try inputs.map { try Self.files(of: $0) }
        let all = groups.flatMap { $0 }
        let box = ResultBox<Tally>(count: all.count)
        let width = workers ?? ProcessInfo.processInfo.activeProcessorCount
        let next = ManagedAtomicCounter()
        DispatchQueue.concurrentPerform(iterations: min(width, max(1, all.count))) { _ in
            while true {
                let k = next.increment()
                guard k < all.count else { return }
                let outcome = Result<Tally, any Error> {
                    var t = Tally()
                    let file = all[k]
                    let reader = try makeReader(
                        for: InputPiece(path: file, name: file, size: try FileSource.size(path: file)), options: options)
                    while let doc = try reader.next() {
                        let n = counter.count(doc.text[...])
                        t.documents += 1
                        t.tokens += n
                        if let by {
                            let key = doc.metadata[by]?.stringValue ?? "(none)"
                            t.byKey[key, default: (0, 0)].documents += 1
                            t.byKey[key, default: (0, 0)].tokens += n
                        }
                    }
                    return t
                }
                box.set(k, outcome)
            }
        }
        var total = Tally()
        var k = 0
        print("input\tfiles\tdocuments\ttokens")
        for (input, files) in zip(inputs, groups) {
            var t = Tally()
            for _ in files {
                let r = try box.get(k)?.get() ?? Tally()
                t.documents += r.documents
                t.tokens += r.tokens
                for (key, v) in r.byKey {
                    total.byKey[key, default: (0, 0)].documents += v.documents
                    total.byKey[key, default: (0, 0)].tokens += v.tokens
                }
                k += 1
            }
            print("\(input)\t\(files.count)\t\(t.documents)\t\(t.tokens)")
            total.documents += t.documents
            total.tokens += t.tokens
        }
        print("total\t\(all.count)\t\(total.documents)\t\(total.tokens)")
        if let by {
            print("\n\(by)\tdocuments\ttokens")
            for key in total.byKey.keys.sorted() {
                let v = total.byKey[key] ?? (0, 0)
                print("\(key)\t\(v.documents)\t\(v.tokens)")
            }
        }
    }
}

/// A counter shared by the worker threads.
final class ManagedAtomicCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    /// The next value, from 0.
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}

/// Per-file results filled in by the worker threads.
final class ResultBox<T>: @unchecked Sendable {
    private var results: [Result<T, any Error>?]
    private let lock = NSLock()

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ k: Int, _ r: Result<T, any Error>) {
        lock.lock()
        results[k] = r
        lock.unlock()
    }

    func get(_ k: Int) -> Result<T, any Error>? {
        lock.lock()
        defer { lock.unlock() }
        return results[k]
    }
}
