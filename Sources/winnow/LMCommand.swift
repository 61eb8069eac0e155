import ArgumentParser
import Foundation
import WinnowCore
import WinnowIO
import WinnowLM
import WinnowPipeline
import WinnowText

/// `winnow lm`: train and query Kneser-Ney n-gram language models.
struct LMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Train (interpolated modified Kneser-Ney, as KenLM's lmplz) and score with n-gram language models.",
        subcommands: [LMTrainCommand.self, LMScoreCommand.self])
}

/// Input options shared by `lm train` and `lm score`.
struct LMInputOptions: ParsableArguments {
    @Option(name: .long, parsing: .upToNextOption, help: "Input files or glob patterns (.gz/.zst too).")
    var input: [String]

    @Option(help: "Input format: jsonl, text, warc, html or mediawiki (default: jsonl for *.jsonl*, else text).")
    var format: String?

    @Option(help: "For text input: one document per file, line or paragraph.")
    var split = "file"

    @Option(help: "JSONL field holding the text.")
    var textKey = "text"

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    func validate() throws {
        if let format, InputFormat(rawValue: format) == nil { throw ValidationError("--format must be one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))") }
        guard TextSplit(rawValue: split) != nil else { throw ValidationError("--split must be file, line or paragraph") }
    }

    /// The input files, expanded.
    func files() throws -> [String] {
        var files: [String] = []
        for pattern in input {
            let matched = try FileSystem.glob(pattern)
            if matched.isEmpty { throw FileError(path: pattern, "no input file matches") }
            files += matched
        }
        return files
    }

    /// Calls `body` with every document of every input file, reporting progress.
    func forEachDocument(progress: ProgressReporter, label: String, _ body: (Document) throws -> Void) throws {
        let files = try files()
        let total = try files.reduce(0) { $0 + Int(try FileSource.size(path: $1)) }
        progress.begin(label, totalBytes: total)
        for file in files {
            var options = ReaderOptions()
            options.format = format.flatMap(InputFormat.init(rawValue:)) ?? (file.contains(".jsonl") ? .jsonl : .text)
            options.split = TextSplit(rawValue: split) ?? .file
            options.textKey = textKey
            let reader = try makeReader(for: InputPiece(path: file, name: file, size: try FileSource.size(path: file)), options: options)
            var stored: Int64 = 0
            while let document = try reader.next() {
                try body(document)
                progress.add(documents: 1, bytes: document.text.utf8.count, stored: Int(reader.storedBytesRead - stored))
                stored = reader.storedBytesRead
            }
        }
        progress.end()
    }
}

/// `winnow lm train`.
struct LMTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an interpolated modified Kneser-Ney model (lmplz's estimates) on normalised text.",
        discussion: """
            Every line of every document is one sentence: it is normalised as cc_net does \
            (CCNetNormalizer: lowercase, accents stripped, digits → 0, Unicode punctuation → ASCII) \
            and split on ASCII whitespace; blank lines are skipped. --output ending in .arpa (or \
            .arpa.gz) writes ARPA, anything else the memory-mapped Winnow binary format (.wlm).
            """)

    @OptionGroup var inputOptions: LMInputOptions

    @Option(help: "The n-gram order.")
    var order = 3

    @Option(help: "Output model: *.arpa / *.arpa.gz (ARPA) or *.wlm (Winnow binary).")
    var output: String

    @Flag(help: "Replace an existing --output file even if it is not a model this command wrote.")
    var overwrite = false

    @Option(help: ArgumentHelp(
        "Approximate memory bound, e.g. 2G, 500M (default: unbounded). Past it, counts spill to sorted runs in <output>.winnow-spill/ (removed at the end) and the model is estimated on disk; the vocabulary (about 105 bytes a word) comes on top.",
        valueName: "size"))
    var memory: String?

    @Flag(help: "Use discounts 0.5, 1, 1.5 where count-of-counts give invalid ones (lmplz --discount_fallback).")
    var discountFallback = false

    @Option(name: .long, parsing: .upToNextOption,
            help: "lmplz's --prune: per order, drop n-grams with raw count ≤ the value (e.g. 0 0 1 drops singleton trigrams and above; first 0, non-decreasing, last value repeats).")
    var prune: [UInt64] = []

    @Flag(help: "Do not normalise: split the text as it is.")
    var raw = false

    @Option(help: "Threads normalising text (counting itself is one thread; the model does not depend on this).")
    var workers: Int?

    func validate() throws {
        guard (1...16).contains(order) else { throw ValidationError("--order must be 1…16") }
        if let memory, Self.parseBytes(memory) == nil { throw ValidationError("--memory: expected a size such as 2G or 500M, got '\(memory)'") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if !prune.isEmpty {
            guard prune[0] == 0 else { throw ValidationError("--prune: unigrams cannot be pruned (the first value must be 0)") }
            guard prune.count <= order else { throw ValidationError("--prune gives \(prune.count) values for an order-\(order) model") }
            guard zip(prune, prune.dropFirst()).allSatisfy({ $0 <= $1 }) else { throw ValidationError("--prune values must not decrease") }
        }
    }

    /// The lines of UTF-8 `text` normalised (unless `raw`) and joined with `\n`.
    static func normalizeLines(_ text: UnsafeBufferPointer<UInt8>, raw: Bool) -> [UInt8] {
        if raw { return Array(text) }
        let normalizer = CCNetNormalizer()
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        CCNetNormalizer.forEachLine(text) { line in
            out.append(contentsOf: normalizer.normalizeUTF8(bytes: line))
            out.append(0x0A)
        }
        return out
    }

    static func parseBytes(_ s: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var t = s.uppercased()
        if t.hasSuffix("B") { t.removeLast() }
        var mult = 1
        if let u = t.last, let m = units[u] {
            mult = m
            t.removeLast()
        }
        guard let v = Double(t), v > 0 else { return nil }
        return Int(v * Double(mult))
    }

    func run() throws {
        let progress = ProgressReporter(quiet: inputOptions.quiet)
        let started = ProgressReporter.now()
        let isARPA = output.hasSuffix(".arpa") || output.hasSuffix(".arpa.gz") || output.hasSuffix(".arpa.zst")
        try OutputFile.check(
            output, inputs: try inputOptions.files(), kind: output.hasSuffix(".arpa") ? .arpa : (isARPA ? .unrecognisable : .winnowLM),
            overwrite: overwrite)
        let limit = memory.flatMap(Self.parseBytes)
        var trainer = KneserNeyTrainer(
            order: order,
            options: .init(
                discountFallback: discountFallback ? [0.5, 1, 1.5] : nil, memoryLimit: limit, spillFolder: output + ".winnow-spill", prune: prune))
        // A failure after the first spill removes the spill folder (Winnow's: it carries a marker).
        var finished = false
        defer { if !finished { try? trainer.removeSpillFolder() } }
        let threads = workers ?? ProcessInfo.processInfo.activeProcessorCount
        var batch: [String] = []
        var batchBytes = 0
        // Documents are normalised in parallel in batches of about 8 MB, then counted in input
        // order, so the counts (and the model) are the same for any number of threads.
        func flush() throws {
            let texts = batch
            let normalized = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: texts.count)
            normalized.initialize(repeating: [])
            defer { normalized.deinitialize().deallocate() }
            let out = UncheckedBox(normalized)
            try WorkerPool.run(count: texts.count, workers: raw ? 1 : threads) { i in
                var text = texts[i]
                out.value[i] = text.withUTF8 { Self.normalizeLines($0, raw: raw) }
            }
            for doc in normalized {
                doc.withUnsafeBufferPointer { CCNetNormalizer.forEachLine($0) { trainer.add(line: $0) } }
                try trainer.spillIfNeeded()
            }
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        try inputOptions.forEachDocument(progress: progress, label: "count") { document in
            batch.append(document.text)
            batchBytes += document.text.utf8.count
            if batchBytes >= 8 << 20 { try flush() }
        }
        try flush()
        try trainer.spillRemaining()
        let counted = ProgressReporter.now()
        progress.log(String(format: "counted %d sentences, %d tokens in %.1f s (%d MiB of counts held, %d runs spilled)", trainer.sentences,
                            trainer.tokens, counted - started, trainer.memoryUsed >> 20, trainer.spilledRuns))
        if output.hasSuffix(".arpa") || output.hasSuffix(".arpa.gz") || output.hasSuffix(".arpa.zst") {
            try trainer.writeARPA(to: output)
        } else {
            try trainer.build().writeBinary(to: output)
        }
        finished = true
        progress.log(String(format: "estimated and wrote %@ in %.1f s (total %.1f s)", output, ProgressReporter.now() - counted,
                            ProgressReporter.now() - started))
    }
}

/// A value shared with worker threads that write disjoint parts of it.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// `winnow lm score`.
struct LMScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Print each document's log10 probability and perplexity under an n-gram model (JSONL).",
        discussion: """
            Scores as cc_net does: each line of a document is normalised (CCNetNormalizer), split on \
            ASCII whitespace and scored with <s> and </s>; tokens = words + 1 per line; perplexity = \
            10^(−Σ log10 p / tokens). Prints {"id", "log10_prob", "tokens", "perplexity"} per \
            document, or per line with --per-line (adding "line", 0-based). The model is an ARPA \
            file (plain or .gz) or a Winnow binary (.wlm), found on the model search path if relative.
            """)

    @OptionGroup var inputOptions: LMInputOptions

    @Option(help: "The model (ARPA or .wlm).")
    var model: String

    @Flag(help: "One output line per input line instead of per document.")
    var perLine = false

    @Flag(help: "Print the time spent scoring (normalisation + lookups, without reading and output) and tokens/s to standard error.")
    var timing = false

    func run() throws {
        let progress = ProgressReporter(quiet: inputOptions.quiet)
        let lm = try NGramModel.load(path: try ModelLocator.locate(model, explicit: FileManager.default.fileExists(atPath: model) ? model : nil))
        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        func emit(_ id: String, line: Int?, _ s: (log10Probability: Double, tokens: Int)) {
            out.append(contentsOf: Array(#"{"id":"#.utf8))
            JSONLCodec.appendString(id, to: &out)
            if let line { out.append(contentsOf: Array(",\"line\":\(line)".utf8)) }
            let ppl = NGramModel.perplexity(log10Probability: s.log10Probability, tokens: s.tokens)
            out.append(contentsOf: Array(",\"log10_prob\":\(s.log10Probability),\"tokens\":\(s.tokens),\"perplexity\":\(ppl)}\n".utf8))
            if out.count >= 1 << 16 {
                FileHandle.standardOutput.write(Data(out))
                out.removeAll(keepingCapacity: true)
            }
        }
        var seconds = 0.0
        var tokens = 0
        try inputOptions.forEachDocument(progress: progress, label: "score") { document in
            var text = document.text
            text.withUTF8 { bytes in
                if perLine {
                    var i = 0
                    CCNetNormalizer.forEachLine(bytes) { line in
                        let t = ProgressReporter.now()
                        let s = lm.score(documentUTF8: line)
                        seconds += ProgressReporter.now() - t
                        tokens += s.tokens
                        emit(document.id, line: i, s)
                        i += 1
                    }
                } else {
                    let t = ProgressReporter.now()
                    let s = lm.score(documentUTF8: bytes)
                    seconds += ProgressReporter.now() - t
                    tokens += s.tokens
                    emit(document.id, line: nil, s)
                }
            }
        }
        FileHandle.standardOutput.write(Data(out))
        if timing {
            FileHandle.standardError.write(Data(String(
                format: "lm score: %d tokens scored in %.3f s (%.0f tokens/s)\n", tokens, seconds, Double(tokens) / max(seconds, 1e-9)).utf8))
            try timeWordPath(lm)
        }
    }

    /// Times `log10Probabilities(_:bos:eos:)` (the per-word path prompt compression uses) over the
    /// input's normalised words in chunks of 10,000, best of 5 passes.
    func timeWordPath(_ lm: NGramModel) throws {
        var all: [Substring] = []
        let normalizer = CCNetNormalizer()
        try inputOptions.forEachDocument(progress: ProgressReporter(quiet: true), label: "words") { document in
            for line in document.text.split(separator: "\n") {
                CCNetNormalizer.splitWords(Substring(normalizer.normalize(line)), into: &all)
            }
        }
        let chunks = stride(from: 0, to: all.count - 9_999, by: 10_000).map { Array(all[$0..<($0 + 10_000)]) }
        guard !chunks.isEmpty else { return }
        var best = Double.infinity
        var checksum: Float = 0
        for _ in 0..<5 {
            let t = ProgressReporter.now()
            for c in chunks { checksum += lm.log10Probabilities(c, bos: true, eos: true).reduce(0, +) }
            best = min(best, (ProgressReporter.now() - t) / Double(chunks.count))
        }
        FileHandle.standardError.write(Data(String(
            format: "lm score: log10Probabilities over 10,000 words: %.2f ms (best of 5 passes over %d chunks; checksum %.1f)\n",
            best * 1000, chunks.count, checksum).utf8))
    }
}
