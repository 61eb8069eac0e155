import ArgumentParser
import Foundation
import WinnowCore
import WinnowHTML
import WinnowIO

/// `winnow extract FILE...`: the main text of HTML files as JSONL.
struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract the main text of HTML files (.html, .htm, .html.gz) and print JSONL {file, title, text}.",
        discussion: """
            One line per file, in the order given: {"file": path, "title": page title or null, \
            "language": declared language or null, "text": main text}. Files are read as UTF-8 \
            (invalid bytes become U+FFFD); .gz and .zst files are decompressed.
            """)

    @Argument(help: "HTML files (plain, .gz or .zst).")
    var files: [String]

    @Option(help: "Lean towards precision (less boilerplate) or recall (more text): balanced, precision, recall.")
    var favor: String = "balanced"

    @Option(name: .customLong("repeat"), help: "Extract each file this many times (for timing; output is written once).")
    var repeats: Int = 1

    @Flag(help: "Print to stderr the pages, input bytes and seconds spent extracting (reading excluded).")
    var time = false

    @Option(help: "For benchmarks: run only up to a floor and print no text: read (nothing), tokenize (pre-cut + libxml2 with no handler), tree (the parse into Winnow's page index).")
    var floor: String?

    func validate() throws {
        guard HTMLExtractor.Favor(rawValue: favor) != nil else {
            throw ValidationError("--favor must be balanced, precision or recall")
        }
        guard repeats >= 1 else { throw ValidationError("--repeat must be ≥ 1") }
        if let floor, HTMLExtractor.Floor(rawValue: floor) == nil {
            throw ValidationError("--floor must be read, tokenize or tree")
        }
    }

    func run() throws {
        let extractor = HTMLExtractor(options: .init(favor: HTMLExtractor.Favor(rawValue: favor) ?? .balanced))
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        var seconds = 0.0
        var inputBytes = 0
        for path in files {
            let bytes = try Self.read(path)
            if let floor = floor.flatMap(HTMLExtractor.Floor.init(rawValue:)) {
                let start = DispatchTime.now().uptimeNanoseconds
                var nodes = 0
                for _ in 0..<repeats { nodes = extractor.run(bytes: bytes, upTo: floor) }
                seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                inputBytes += bytes.count * repeats
                out.append(contentsOf: #"{"file":"#.utf8)
                JSONLCodec.appendString(path, to: &out)
                out.append(contentsOf: #","nodes":\#(nodes)}"#.utf8)
                out.append(0x0A)
                continue
            }
            let start = DispatchTime.now().uptimeNanoseconds
            var page = extractor.extract(bytes: bytes)
            for _ in 1..<repeats { page = extractor.extract(bytes: bytes) }
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            inputBytes += bytes.count * repeats
            out.append(contentsOf: #"{"file":"#.utf8)
            JSONLCodec.appendString(path, to: &out)
            out.append(contentsOf: #","title":"#.utf8)
            if let t = page.title { JSONLCodec.appendString(t, to: &out) } else { out.append(contentsOf: "null".utf8) }
            out.append(contentsOf: #","language":"#.utf8)
            if let l = page.language { JSONLCodec.appendString(l, to: &out) } else { out.append(contentsOf: "null".utf8) }
            out.append(contentsOf: #","text":"#.utf8)
            JSONLCodec.appendString(page.text, to: &out)
            out.append(contentsOf: "}\n".utf8)
            if out.count >= 1 << 20 { flush(&out) }
        }
        flush(&out)
        if time {
            let line = #"{"pages":\#(files.count * repeats),"bytes":\#(inputBytes),"seconds":\#(seconds)}"# + "\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    private func flush(_ out: inout [UInt8]) {
        FileHandle.standardOutput.write(Data(out))
        out.removeAll(keepingCapacity: true)
    }

    /// The whole file, decompressed.
    static func read(_ path: String) throws -> [UInt8] {
        let source = try openByteSource(path: path)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return bytes
    }
}
