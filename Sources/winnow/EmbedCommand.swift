import ArgumentParser
import Foundation
import TensorCore
import WinnowCore
import WinnowEmbed
import WinnowIO
import WinnowPipeline

/// `winnow embed`: sentence embeddings of documents into a float32 `.npy` matrix.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed documents with all-MiniLM-L6-v2 into a float32 .npy matrix (one row per document).",
        discussion: """
            Reads JSONL (.gz/.zst) or text, embeds in chunks and streams the rows to the .npy file, so \
            memory stays bounded whatever the input size. Row i is the i-th document read; --ids writes \
            the ids in the same order, one per line (an id containing a line break is written as a JSON \
            string). Same input → byte-identical output, for any --workers.
              winnow embed --input docs.jsonl --output vectors.npy --ids ids.txt
              python3 -c "import numpy; print(numpy.load('vectors.npy').shape)"
            The model is looked up as --model, $WINNOW_MODELS/all-MiniLM-L6-v2, ./models/all-MiniLM-L6-v2, \
            ~/.cache/winnow/models/all-MiniLM-L6-v2 (`make deps-models` fetches it).
            """)

    @Option(name: .long, parsing: .upToNextOption, help: "Input files or glob patterns.")
    var input: [String]

    @Option(help: "The .npy file to write.")
    var output: String

    @Option(help: "Also write the documents' ids, one per line, in row order.")
    var ids: String?

    @Flag(help: "Replace existing --output/--ids files even if they are not files this command wrote.")
    var overwrite = false

    @Option(help: "Input format: jsonl or text.")
    var format = "jsonl"

    @Option(help: "Text input: one document per file, line or paragraph.")
    var split = "file"

    @Option(help: "JSONL: the text field.")
    var textKey = "text"

    @Option(help: "JSONL: the id field.")
    var idKey = "id"

    @Option(help: "The sentence-transformers model folder.")
    var model: String?

    @Option(help: "Worker threads (default: the number of cores).")
    var workers: Int?

    @Option(help: "Documents embedded per chunk (bounds memory).")
    var chunk = 4096

    @Option(help: "The most texts per forward pass.")
    var batchSize = 64

    @Option(help: "The most padded tokens per forward pass.")
    var maxBatchTokens = 2048

    @Flag(name: .shortAndLong, help: "Print the OpenBLAS kernel and per-chunk timings.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    func validate() throws {
        guard InputFormat(rawValue: format) != nil else { throw ValidationError("--format must be jsonl or text") }
        guard TextSplit(rawValue: split) != nil else { throw ValidationError("--split must be file, line or paragraph") }
        guard chunk > 0, batchSize > 0, maxBatchTokens > 0 else { throw ValidationError("--chunk, --batch-size and --max-batch-tokens must be positive") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if verbose && quiet { throw ValidationError("--verbose and --quiet exclude each other") }
    }

    func run() throws {
        let progress = ProgressReporter(quiet: quiet)
        let started = ProgressReporter.now()
        let embedder = try Embedder(folder: ModelFolder(path: ModelLocator.locate("all-MiniLM-L6-v2", explicit: model)))
        let threads = workers ?? ProcessInfo.processInfo.activeProcessorCount
        if let warning = BLAS.kernelWarning { progress.log("warning: \(warning)") }
        if verbose { progress.log("OpenBLAS kernel \(BLAS.coreName); \(threads) workers, 1 BLAS thread each") }

        var options = ReaderOptions()
        options.format = InputFormat(rawValue: format) ?? .jsonl
        options.split = TextSplit(rawValue: split) ?? .file
        options.textKey = textKey
        options.idKey = idKey
        var files: [String] = []
        for pattern in input {
            let matched = try FileSystem.glob(pattern)
            if matched.isEmpty { throw FileError(path: pattern, "no input file matches") }
            files += matched
        }
        let totalBytes = try files.reduce(0) { $0 + Int(try FileSource.size(path: $1)) }
        try OutputFile.check(output, inputs: files, kind: .npy, overwrite: overwrite)
        if let ids {
            try OutputFile.check(ids, inputs: files + [output], kind: .unrecognisable, overwrite: overwrite, option: "--ids")
        }

        let npy = try NpyWriter(path: output, columns: embedder.dimension)
        let idFile = try ids.map { try AtomicFileWriter(path: $0) }
        var texts: [String] = []
        var idBytes: [UInt8] = []
        var chunkBytes = 0
        progress.begin("embed", totalBytes: totalBytes)
        func flush() throws {
            guard !texts.isEmpty else { return }
            let t0 = ProgressReporter.now()
            let matrix = try embedder.embedMatrix(texts, workers: threads, batchSize: batchSize, maxBatchTokens: maxBatchTokens)
            try matrix.withUnsafeBufferPointer { try npy.append(rows: $0) }
            try idBytes.withUnsafeBytes { try idFile?.write($0) }
            if verbose {
                let dt = ProgressReporter.now() - t0
                progress.log(String(format: "  chunk of %d in %.2f s (%.0f docs/s)", texts.count, dt, Double(texts.count) / dt))
            }
            progress.add(documents: texts.count, bytes: chunkBytes, stored: 0)
            texts.removeAll(keepingCapacity: true)
            idBytes.removeAll(keepingCapacity: true)
            chunkBytes = 0
        }
        for file in files {
            let size = try FileSource.size(path: file)
            let reader = try makeReader(for: InputPiece(path: file, name: file, size: size), options: options)
            var lastStored: Int64 = 0
            while let document = try reader.next() {
                texts.append(document.text)
                chunkBytes += document.text.utf8.count
                if ids != nil { EmbedStage.appendID(document.id, to: &idBytes) }
                if texts.count == chunk {
                    try flush()
                    progress.add(documents: 0, bytes: 0, stored: Int(reader.storedBytesRead - lastStored))
                    lastStored = reader.storedBytesRead
                }
            }
        }
        try flush()
        try npy.finish()
        try idFile?.commit()
        progress.end()
        if !quiet {
            let dt = ProgressReporter.now() - started
            progress.log(String(
                format: "embedded %d documents → %@ (%d × %d float32) in %.1f s, %.0f docs/s [OpenBLAS %@]",
                npy.rows, output, npy.rows, embedder.dimension, dt, Double(npy.rows) / max(dt, 1e-9), BLAS.coreName))
        }
    }
}
