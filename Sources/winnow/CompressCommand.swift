import ArgumentParser
import Foundation
import Synchronization
import TensorCore
import WinnowCore
import WinnowPrompt

/// `winnow compress`: question-aware prompt compression.
struct CompressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compress",
        abstract: "Shrink a prompt to a token budget, keeping what answers the question.",
        discussion: """
            Plain text: the contexts are the text's paragraphs (blank-line separated; --split none \
            keeps it as one), read from FILE or stdin; the compressed prompt goes to stdout and a \
            summary to stderr.
              winnow compress notes.txt --question "When did …?" --rate 0.33
            JSON: a request on stdin, the result JSON on stdout (LLMLingua's fields plus per-context labels):
              echo '{"instruction": "…", "context": ["…", "…"], "question": "…", "rate": 0.33}' | winnow compress --json
            --jsonl reads one request per line and writes one result per line, in input order             (models loaded once; requests compressed on --workers threads, same output for any count).
            Protect spans with <keep>…</keep>; --force-token, --keep-numbers, URLs and ``` code \
            fences are kept byte for byte. Models (all-MiniLM-L6-v2, wordfreq-large-en.msgpack, \
            gpt2.tiktoken) are looked up in --models, $WINNOW_MODELS, ./models, \
            ~/.cache/winnow/models (`make deps-models`); without them the compressor still works, \
            with a warning.
            """)

    @Argument(help: "Plain-text input (default: stdin).")
    var file: String?

    @Flag(help: "Read one JSON request from stdin, write the result JSON.")
    var json = false

    @Flag(help: "Read JSON requests, one per line, from stdin; write one result per line.")
    var jsonl = false

    @Option(help: "Plain text: the question the kept text should answer.")
    var question = ""

    @Option(help: "Plain text: an instruction put first and kept whole.")
    var instruction = ""

    @Option(help: "Plain text: kept tokens / original tokens, in (0, 1].")
    var rate: Double?

    @Option(help: "Plain text: the most tokens of the result.")
    var targetTokens: Int?

    @Option(help: "Plain text: contexts are paragraphs (paragraph) or the whole text (none).")
    var split = "paragraph"

    @Option(help: "Plain text: a string kept byte for byte wherever it occurs (repeatable).")
    var forceToken: [String] = []

    @Flag(help: "Plain text: keep every word containing a digit.")
    var keepNumbers = false

    @Option(help: "Plain text: ranking: auto, bm25, lm, minilm or a +-joined combination.")
    var rankMethod: String?

    @Option(help: "Default token counter: gpt2, whitespace, wordpiece, tiktoken:<path>, hf:<path>.")
    var tokenizer = "gpt2"

    @Option(help: "A folder searched first for the models.")
    var models: String?

    @Flag(help: "Do not load MiniLM (rank with BM25 and the word model only).")
    var noMinilm = false

    @Flag(help: "Do not load the background word model (in-prompt statistics only).")
    var noWordModel = false

    @Option(help: "WordPiece tokens MiniLM reads per request in auto ranking.")
    var minilmBudget = 384

    @Flag(help: "Include timings_ms in the result JSON.")
    var timings = false

    @Option(help: "Compress the input this many times and print the median time per step (stderr).")
    var bench: Int?

    @Option(help: "--jsonl: requests compressed in parallel (default: the number of cores).")
    var workers: Int?

    func validate() throws {
        if json && jsonl { throw ValidationError("--json and --jsonl exclude each other") }
        if (json || jsonl) && file != nil { throw ValidationError("--json/--jsonl read stdin; give no FILE") }
        guard ["paragraph", "none"].contains(split) else { throw ValidationError("--split must be paragraph or none") }
        if let bench, bench < 1 { throw ValidationError("--bench must be at least 1") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if minilmBudget < 0 { throw ValidationError("--minilm-budget must be at least 0") }
    }

    func run() throws {
        var config = PromptCompressor.Configuration()
        config.modelsDirectory = models
        config.tokenizer = tokenizer
        config.useEmbedder = !noMinilm
        config.useWordModel = !noWordModel
        config.miniLMTokenBudget = minilmBudget
        let compressor = try PromptCompressor(configuration: config)
        for warning in compressor.loadWarnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        if !noMinilm, let warning = BLAS.kernelWarning { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]

        if jsonl {
            try runLines(compressor, encoder)
            return
        }
        let request: CompressionRequest
        if json {
            request = try CompressionRequest.decode(json: FileHandle.standardInput.readDataToEndOfFile())
        } else {
            request = try plainRequest()
        }
        if let bench {
            try runBench(compressor, request, times: bench)
            return
        }
        let result = try compressor.compress(request)
        if json {
            try write(result, encoder)
        } else {
            FileHandle.standardOutput.write(Data((result.compressedPrompt + "\n").utf8))
            let kept = result.contexts.filter { $0.label != "dropped" }.count
            FileHandle.standardError.write(Data(
                "compressed \(result.originTokens) → \(result.compressedTokens) tokens (\(result.ratio), \(result.rate)) [\(result.tokenizer)]; \(kept) of \(result.contexts.count) contexts kept\n".utf8))
            for w in result.warnings where !compressor.loadWarnings.contains(w) {
                FileHandle.standardError.write(Data("warning: \(w)\n".utf8))
            }
        }
    }

    /// `--jsonl`: blocks of requests compressed on `workers` threads, results written in input
    /// order; at a bad line, the results before it are written and its error (with the line
    /// number) is thrown, as a one-at-a-time loop would.
    private func runLines(_ compressor: PromptCompressor, _ encoder: JSONEncoder) throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        var lines: [(number: Int, bytes: Data)] = []
        var number = 0
        for line in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            lines.append((number, Data(line)))
        }
        let threads = workers ?? ProcessInfo.processInfo.activeProcessorCount
        let blockSize = 8 * threads
        for start in stride(from: 0, to: lines.count, by: blockSize) {
            let block = Array(lines[start ..< min(lines.count, start + blockSize)])
            let results = Mutex([Result<CompressionResult, any Error>?](repeating: nil, count: block.count))
            try WorkerPool.run(count: block.count, workers: threads) { i in
                let (number, bytes) = block[i]
                let result: Result<CompressionResult, any Error>
                do {
                    result = .success(try compressor.compress(try CompressionRequest.decode(json: bytes)))
                } catch let e as PromptError {
                    result = .failure(PromptError("stdin:\(number): \(e.location)", e.message))
                } catch {
                    result = .failure(error)
                }
                results.withLock { $0[i] = result }
            }
            for result in results.withLock({ $0 }) {
                guard let result else { continue }
                try write(try result.get(), encoder)
            }
        }
    }

    private func write(_ result: CompressionResult, _ encoder: JSONEncoder) throws {
        var r = result
        if !timings { r.timingsMS = nil }
        var data = try encoder.encode(r)
        data.append(UInt8(ascii: "\n"))
        FileHandle.standardOutput.write(data)
    }

    private func plainRequest() throws -> CompressionRequest {
        let data: Data
        if let file {
            guard let d = FileManager.default.contents(atPath: file) else { throw FileError(path: file, "cannot read") }
            data = d
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PromptError(file ?? "stdin", "not valid UTF-8")
        }
        var contexts: [String] = [text]
        if split == "paragraph" {
            contexts = text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .newlines) }.filter { !$0.isEmpty }
        }
        var request = CompressionRequest(instruction: instruction, context: contexts, question: question, rate: rate, targetTokens: targetTokens)
        if rate == nil && targetTokens == nil { request.rate = 0.5 }
        request.forceTokens = forceToken.isEmpty ? nil : forceToken
        request.keepNumbers = keepNumbers ? true : nil
        request.rankMethod = rankMethod
        return request
    }

    /// Compresses `times` times after one warm-up; prints the median of each step.
    private func runBench(_ compressor: PromptCompressor, _ request: CompressionRequest, times: Int) throws {
        var runs: [[String: Double]] = []
        var last: CompressionResult?
        _ = try compressor.compress(request)
        for _ in 0 ..< times {
            let r = try compressor.compress(request)
            runs.append(r.timingsMS ?? [:])
            last = r
        }
        func median(_ key: String) -> Double {
            let v = runs.map { $0[key] ?? 0 }.sorted()
            return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
        }
        let total = median("total")
        var line = String(format: "median of %d: total %.1f ms", times, total)
        for key in ["segment", "rank", "sentences", "words"] {
            line += String(format: "; %@ %.1f ms (%.0f%%)", key, median(key), total > 0 ? 100 * median(key) / total : 0)
        }
        if let last {
            line += " — \(last.originTokens) → \(last.compressedTokens) tokens (\(last.ratio)) [\(last.tokenizer)]"
        }
        line += " [OpenBLAS \(BLAS.coreName)]"
        print(line)
    }
}
