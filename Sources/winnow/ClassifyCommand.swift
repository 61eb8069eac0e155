import ArgumentParser
import Foundation
import WinnowCore
import WinnowFastText
import WinnowIO
import WinnowPipeline

/// `winnow classify`: train and apply fastText-compatible supervised text classifiers.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Train a fastText-compatible text classifier, or predict labels with one.",
        discussion: """
            The model is a fastText .bin file: the Python `fasttext` package and the `classifier` \
            stage load it too.
              winnow classify train --input train.txt --output model.bin --word-ngrams 2
              winnow classify predict --model model.bin --input docs.jsonl --k 2
            """,
        subcommands: [ClassifyTrainCommand.self, ClassifyPredictCommand.self])
}

/// `winnow classify train`.
struct ClassifyTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a supervised classifier as fastText's `supervised` does (one thread, deterministic).",
        discussion: """
            Input: a fastText-format text (one example per line, `__label__<label> … text`; every \
            non-blank line needs a label) or, for .jsonl/.json files, one JSON object per line with \
            --label-key (a string, number or array of them) and --text-key. Same input, options and \
            seed → byte-identical model.
            """)

    @Option(help: "Training file: fastText format (.txt or any other name) or JSONL (.jsonl).")
    var input: String

    @Option(help: "The .bin model to write.")
    var output: String

    @Flag(help: "Replace an existing --output file even if it is not a fastText model.")
    var overwrite = false

    @Option(help: "JSONL: the label field.")
    var labelKey = "label"

    @Option(help: "JSONL: the text field.")
    var textKey = "text"

    @Option(help: "Vector size.")
    var dim = 100

    @Option(help: "Passes over the data.")
    var epoch = 5

    @Option(help: "Initial learning rate (decays linearly to 0).")
    var lr = 0.1

    @Option(help: "Maximum word n-gram length.")
    var wordNgrams = 1

    @Option(help: "Hash buckets for word/character n-grams (unused with --word-ngrams 1 and --maxn 0).")
    var bucket = 2_000_000

    @Option(help: "Minimum occurrences of a word.")
    var minCount = 1

    @Option(help: "Minimum occurrences of a label.")
    var minCountLabel = 0

    @Option(help: "Minimum character n-gram length.")
    var minn = 0

    @Option(help: "Maximum character n-gram length (0: none).")
    var maxn = 0

    @Option(help: "Loss: softmax, ova (one-vs-all) or hs (hierarchical softmax).")
    var loss = "softmax"

    @Option(help: "Tokens between learning-rate updates.")
    var lrUpdateRate = 100

    @Option(help: "Random seed (initial vectors, label drawn for multi-label lines).")
    var seed = 0

    @Option(help: "fastText's -thread as it shapes the initial vectors (fastText leaves blocks beyond its thread count at 0; training itself is one thread).")
    var initThreads = 12

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    var options: FastTextTrainingOptions {
        var o = FastTextTrainingOptions()
        o.dim = dim
        o.epoch = epoch
        o.learningRate = lr
        o.wordNgrams = wordNgrams
        o.bucket = bucket
        o.minCount = minCount
        o.minCountLabel = minCountLabel
        o.minn = minn
        o.maxn = maxn
        o.loss = ["softmax": .softmax, "ova": .oneVsAll, "hs": .hierarchicalSoftmax][loss] ?? .negativeSampling
        o.lrUpdateRate = lrUpdateRate
        o.seed = seed
        o.initThreads = initThreads
        return o
    }

    func validate() throws {
        guard ["softmax", "ova", "hs"].contains(loss) else { throw ValidationError("--loss must be softmax, ova or hs") }
        do { try options.validate() } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        let progress = ProgressReporter(quiet: quiet)
        let started = ProgressReporter.now()
        try OutputFile.check(output, inputs: [input], kind: .fastText, overwrite: overwrite)
        guard let data = FileManager.default.contents(atPath: input) else { throw FileError(path: input, "cannot read") }
        let isJSONL = input.hasSuffix(".jsonl") || input.hasSuffix(".json")
        let text = isJSONL ? try Self.fastTextLines(jsonl: data, path: input, labelKey: labelKey, textKey: textKey) : [UInt8](data)
        var lastTenth = -1
        let result = try FastTextTrainer.train(text, path: input, options: options) { p in
            let tenth = Int(p.fraction * 10)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            let elapsed = ProgressReporter.now() - started
            progress.log(String(
                format: "train: %3.0f%%  %@ examples  lr %.6f  loss %.4f  %.1f s", p.fraction * 100,
                ProgressReporter.short(p.examples), p.learningRate, p.loss, elapsed))
        }
        try result.write(toFile: output)
        let size = try FileSource.size(path: output)
        progress.log(String(
            format: "train: %d lines, %d words, %d labels, %lld tokens; %.2f s; wrote %@ (%lld bytes)", result.lines, result.words,
            result.labels.count, result.tokens, ProgressReporter.now() - started, output, size))
    }

    /// Turns JSONL examples into fastText lines (`__label__<label> <text>`), one per JSON line,
    /// so that line numbers stay those of the JSONL file. Whitespace inside a label becomes `_`.
    static func fastTextLines(jsonl data: Data, path: String, labelKey: String, textKey: String) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + data.count / 8)
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            defer { out.append(UInt8(ascii: "\n")) }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let at = SourceLocation(file: path, line: lineNumber)
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw InputError("not a JSON object (or invalid UTF-8)", at: at, record: Array(line))
            }
            guard let text = object[textKey] as? String else {
                throw InputError("no string field \"\(textKey)\" (set --text-key)", at: at, record: Array(line))
            }
            let raw = object[labelKey].map { ($0 as? [Any]) ?? [$0] } ?? []
            let labels = raw.compactMap { value -> String? in
                switch value {
                case let s as String: s
                case let n as NSNumber: n.stringValue
                default: nil
                }
            }.filter { !$0.isEmpty }
            guard !labels.isEmpty, labels.count == raw.count else {
                throw InputError("no usable label in field \"\(labelKey)\" (a string, number or array of them; set --label-key)",
                                 at: at, record: Array(line))
            }
            for label in labels {
                let clean = String(label.map { $0.isWhitespace ? "_" : $0 })
                out.append(contentsOf: Array((clean.hasPrefix("__label__") ? clean : "__label__" + clean).utf8))
                out.append(UInt8(ascii: " "))
            }
            out.append(contentsOf: text.utf8.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 })
        }
        return out
    }
}

/// `winnow classify predict`.
struct ClassifyPredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict the labels of documents with a fastText supervised model (.bin or .ftz).",
        discussion: """
            Prints one JSON line per document: {"id": …, "label": "spam", "probability": 0.93}, with \
            "predictions" (the k best labels, `__label__` removed) when --k is above 1. Newlines in a \
            text count as spaces. Probabilities are fastText's (as its Python `predict` returns them).
            """)

    @Option(help: "The model file.")
    var model: String

    @Option(name: .long, parsing: .upToNextOption, help: "Input files or glob patterns (JSONL, or text: one document per line).")
    var input: [String]

    @Option(help: "Input format: jsonl, or text (one document per line).")
    var format = "jsonl"

    @Option(help: "JSONL: the text field.")
    var textKey = "text"

    @Option(help: "How many labels to print per document.")
    var k = 1

    func validate() throws {
        guard ["jsonl", "text"].contains(format) else { throw ValidationError("--format must be jsonl or text") }
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
    }

    func run() throws {
        let classifier = try FastTextModel(contentsOf: try ModelLocator.locate(model, explicit: model))
        var options = ReaderOptions()
        options.format = format == "text" ? .text : .jsonl
        options.split = .line
        options.textKey = textKey
        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        try Self.forEachDocument(input, options: options) { doc in
            let predictions = classifier.predict(doc.text, k: k)
            out.append(contentsOf: Array(#"{"id":"#.utf8))
            JSONLCodec.appendString(doc.id, to: &out)
            if let best = predictions.first {
                out.append(contentsOf: Array(#","label":"#.utf8))
                JSONLCodec.appendString(LidCommand.code(best.label), to: &out)
                out.append(contentsOf: Array(",\"probability\":\(best.probability)".utf8))
            }
            if k > 1 {
                out.append(contentsOf: Array(#","predictions":["#.utf8))
                for (i, p) in predictions.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(contentsOf: Array(#"{"label":"#.utf8))
                    JSONLCodec.appendString(LidCommand.code(p.label), to: &out)
                    out.append(contentsOf: Array(",\"probability\":\(p.probability)}".utf8))
                }
                out.append(UInt8(ascii: "]"))
            }
            out.append(contentsOf: Array("}\n".utf8))
            if out.count >= 1 << 16 { LidCommand.flush(&out) }
        }
        LidCommand.flush(&out)
    }

    /// Calls `body` with every document of the files the glob patterns name, in order.
    /// - Throws: ``FileError`` for a pattern that names no file; the readers' errors.
    static func forEachDocument(_ patterns: [String], options: ReaderOptions, _ body: (Document) throws -> Void) throws {
        for pattern in patterns {
            let files = try FileSystem.glob(pattern)
            if files.isEmpty { throw FileError(path: pattern, "no such file") }
            for file in files {
                let reader = try makeReader(for: InputPiece(path: file, name: file, size: try FileSource.size(path: file)), options: options)
                while let doc = try reader.next() { try body(doc) }
            }
        }
    }
}
