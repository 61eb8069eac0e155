import ArgumentParser
import Foundation
import WinnowCore
import WinnowFastText
import WinnowIO

/// `winnow lid`: language ID of each document with fastText lid.176, natively.
struct LidCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lid",
        abstract: "Print the language of each document (fastText lid.176, as datatrove's LanguageFilter scores it).",
        discussion: """
            Prints one JSON line per document: {"id": …, "language": "en", "language_score": 0.97}, \
            with "predictions" (the k best labels and scores) when --k is above 1. Newlines in a \
            text count as spaces, as in datatrove. The model is --model, else lid.176.ftz in \
            $WINNOW_MODELS, ./models or ~/.cache/winnow/models (scripts/fetch-models.sh fetches it).
            """)

    @Argument(help: "Input files or glob patterns (JSONL with a `text` field, or plain text; .gz/.zst too).")
    var inputs: [String]

    @Option(help: "Input format: jsonl, or text (one document per line).")
    var format = "jsonl"

    @Option(help: "The model file (default: lid.176.ftz found on the model search path).")
    var model: String?

    @Option(help: "How many labels to print per document.")
    var k = 1

    @Flag(help: "Print documents/s for the prediction alone to standard error.")
    var timing = false

    func validate() throws {
        guard ["jsonl", "text"].contains(format) else { throw ValidationError("--format must be jsonl or text") }
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
    }

    func run() throws {
        let path = try ModelLocator.locate("lid.176.ftz", explicit: model)
        let lid = try FastTextModel(contentsOf: path)
        var options = ReaderOptions()
        options.format = format == "text" ? .text : .jsonl
        options.split = .line

        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        var documents = 0
        var seconds = 0.0
        try ClassifyPredictCommand.forEachDocument(inputs, options: options) { doc in
            let start = DispatchTime.now().uptimeNanoseconds
            // Every label, best first, as datatrove asks fastText (k=-1).
            let predictions = lid.predict(doc.text, k: nil)
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            documents += 1
            Self.append(doc.id, predictions.prefix(k), k: k, to: &out)
            if out.count >= 1 << 16 { Self.flush(&out) }
        }
        Self.flush(&out)
        if timing {
            let rate = seconds > 0 ? Double(documents) / seconds : 0
            FileHandle.standardError.write(Data(
                "lid: \(documents) documents, prediction \(String(format: "%.3f", seconds)) s, \(String(format: "%.0f", rate)) documents/s\n".utf8))
        }
    }

    static func code(_ label: String) -> String {
        label.hasPrefix("__label__") ? String(label.dropFirst(9)) : label
    }

    static func append(_ id: String, _ predictions: ArraySlice<FastTextPrediction>, k: Int, to out: inout [UInt8]) {
        out.append(contentsOf: Array(#"{"id":"#.utf8))
        JSONLCodec.appendString(id, to: &out)
        if let best = predictions.first {
            out.append(contentsOf: Array(#","language":"#.utf8))
            JSONLCodec.appendString(code(best.label), to: &out)
            out.append(contentsOf: Array(",\"language_score\":\(best.probability)".utf8))
        }
        if k > 1 {
            out.append(contentsOf: Array(#","predictions":["#.utf8))
            for (i, p) in predictions.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: Array(#"{"label":"#.utf8))
                JSONLCodec.appendString(code(p.label), to: &out)
                out.append(contentsOf: Array(",\"score\":\(p.probability)}".utf8))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: Array("}\n".utf8))
    }

    static func flush(_ out: inout [UInt8]) {
        if out.isEmpty { return }
        FileHandle.standardOutput.write(Data(out))
        out.removeAll(keepingCapacity: true)
    }
}
