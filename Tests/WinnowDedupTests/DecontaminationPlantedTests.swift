import Foundation
import Testing
import WinnowCore
import WinnowDedup

/// ../shared/data beside the package, found from this file's path.
private let sharedData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path + "/../shared/data"
private let gsm8k = sharedData + "/qa/gsm8k/test.jsonl"
private let nq = sharedData + "/qa/nq-open/nq-open-oracle.jsonl.gz"
private let wikitext = sharedData + "/text/wikitext-2-raw/wiki.test.raw"
private let gutenberg = ["pg3261.txt", "pg9198.txt"].map { sharedData + "/text/gutenberg-gitenberg/" + $0 }
private let haveData = ([gsm8k, nq, wikitext] + gutenberg).allSatisfy { FileManager.default.fileExists(atPath: $0) }

/// Benchmark items of GSM8K (test) and NQ-open planted into real documents (wikitext-2 articles
/// and Gutenberg chunks): verbatim, as a partial excerpt of 16 tokens (≥ 13 words), and
/// paraphrased (every 6th token replaced). Mirrors bench/decontamination_planted.py.
struct PlantedCorpus {
    enum Kind: String { case clean, verbatim, partial, paraphrase }
    struct Planted {
        var document: Document
        var kind: Kind
        var benchmark: String
        var item: String
        var prefix: String
        var suffix: String
    }

    var documents: [Planted] = []

    /// Item texts as the stage reads them: the fields joined with a newline.
    static func items(_ path: String, fields: [String]) throws -> [String] {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        if path.hasSuffix(".gz") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/gzip")
            p.arguments = ["-dc", path]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
        }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            return fields.flatMap { f -> [String] in
                let parts = f.split(separator: ".").map(String.init)
                if parts.count == 2, let list = obj[parts[0]] as? [[String: Any]] { return list.compactMap { $0[parts[1]] as? String } }
                return [obj[f] as? String].compactMap { $0 }
            }.joined(separator: "\n")
        }
    }

    /// The file's lines split at LF only (a CR stays), as Python's `str.split("\n")`.
    static func lines(_ path: String) throws -> [String] {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        return bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    static func cleanDocuments() throws -> [String] {
        var docs: [String] = []
        var current = ""
        for line in try Self.lines(wikitext) {
            if line.hasPrefix(" = ") && !line.hasPrefix(" = = ") {
                if current.unicodeScalars.count > 2000 { docs.append(current) }
                current = ""
            }
            current += line + "\n"
        }
        if current.unicodeScalars.count > 2000 { docs.append(current) }
        for path in gutenberg {
            let lines = try Self.lines(path)
            for start in stride(from: 0, to: lines.count, by: 400) {
                docs.append(lines[start..<min(lines.count, start + 400)].joined(separator: "\n"))
            }
        }
        return docs
    }

    init() throws {
        let clean = try Self.cleanDocuments()
        for (i, text) in clean.enumerated() {
            documents.append(Planted(document: Document(id: "clean-\(i)", text: text), kind: .clean, benchmark: "", item: "", prefix: text, suffix: ""))
        }
        let sets = [("gsm8k", try Self.items(gsm8k, fields: ["question", "answer"])),
                    ("nq_open", try Self.items(nq, fields: ["question", "ctxs.text"]))]
        var host = 0
        for (name, items) in sets {
            for (k, item) in items.enumerated() where k % 10 == 0 {
                let kind: Kind = [.verbatim, .partial, .paraphrase][(k / 10) % 3]
                let tokens = item.split(whereSeparator: { $0 == " " || $0 == "\n" }).filter { $0.contains(where: { $0.isLetter || $0.isNumber }) }
                var planted: String
                switch kind {
                case .verbatim: planted = item
                case .partial:
                    guard tokens.count >= 20 else { continue }
                    let start = (tokens.count - 16) / 2
                    planted = tokens[start..<start + 16].joined(separator: " ")
                case .paraphrase:
                    planted = tokens.enumerated().map { $0.offset % 6 == 5 ? "something" : String($0.element) }.joined(separator: " ")
                case .clean: continue
                }
                let text = clean[host % clean.count]
                host += 7
                let bytes = Array(text.utf8)
                // At a blank line near the middle (byte offsets at ASCII newlines are valid boundaries).
                var cut = bytes.count / 2
                while cut < bytes.count - 1 && !(bytes[cut] == 0x0A && bytes[cut + 1] == 0x0A) { cut += 1 }
                let prefix = String(decoding: bytes[..<cut], as: UTF8.self) + "\n\n"
                let suffix = "\n\n" + String(decoding: bytes[cut...], as: UTF8.self)
                documents.append(Planted(
                    document: Document(id: "\(name)-\(k)-\(kind.rawValue)", text: prefix + planted + suffix),
                    kind: kind, benchmark: name, item: "line \(k + 1)", prefix: prefix, suffix: suffix))
            }
        }
    }
}

@Suite("decontaminate on planted contamination")
struct DecontaminationPlantedTests {
    func sources() -> [BenchmarkSource] {
        [BenchmarkSource(name: "gsm8k", path: gsm8k, fields: ["question", "answer"]),
         BenchmarkSource(name: "nq_open", path: nq, fields: ["question", "ctxs.text"])]
    }

    @Test("GSM8K and NQ-open in wikitext and Gutenberg: every verbatim and ≥ 13-word partial plant found, no clean document flagged, cuts leave the rest byte-identical",
          .enabled(if: haveData, "needs ../shared/data (qa/gsm8k, qa/nq-open, text/wikitext-2-raw, text/gutenberg-gitenberg); absent: skipped"))
    func planted() throws {
        let corpus = try PlantedCorpus()
        let index = try BenchmarkIndex(sources: sources())
        #expect(index.benchmarks.map(\.itemsTooShort) == [0, 0])
        let shards = stride(from: 0, to: corpus.documents.count, by: 50).map { Array(corpus.documents[$0..<min($0 + 50, corpus.documents.count)]) }
        for mode in [Decontaminator.Mode.drop, .cut] {
            let stage = Decontaminator(index: index, mode: mode, minRemainingCharacters: 100)
            let (results, report) = try runDecontaminator(stage, shards.map { $0.map(\.document) })
            var foundByKind: [PlantedCorpus.Kind: Int] = [:]
            var totalByKind: [PlantedCorpus.Kind: Int] = [:]
            var plantedDocuments: [String: Int] = [:]
            for (planted, result) in zip(shards.joined(), results.joined()) {
                totalByKind[planted.kind, default: 0] += 1
                let items = result.document.metadata[mode == .drop ? "contaminated_items" : "decontaminated_items"]
                    ?? result.document.metadata["contaminated_items"]
                let flagged = result.verdict != .keep || items != nil
                if flagged { foundByKind[planted.kind, default: 0] += 1 }
                if planted.kind == .clean {
                    #expect(!flagged, "clean document \(planted.document.id) flagged: \(String(describing: items))")
                    continue
                }
                if planted.kind != .paraphrase { plantedDocuments[planted.benchmark, default: 0] += 1 }
                guard planted.kind == .verbatim || planted.kind == .partial else { continue }
                #expect(flagged, "\(planted.document.id) not found")
                if case .array(let ids)? = items {
                    #expect(ids.contains(.string(planted.benchmark + ":" + planted.item)), "\(planted.document.id): \(ids)")
                }
                if mode == .cut, result.verdict == .keep {
                    // One contiguous cut: the result is the original's head and tail, byte for byte…
                    let before = Array(planted.document.text.utf8), after = Array(result.document.text.utf8)
                    var head = 0
                    while head < after.count && after[head] == before[head] { head += 1 }
                    var tail = 0
                    while tail < after.count - head && after[after.count - 1 - tail] == before[before.count - 1 - tail] { tail += 1 }
                    #expect(head + tail == after.count, "\(planted.document.id): more than one region changed")
                    // … and the cut region holds every planted letter and digit.
                    let p0 = planted.prefix.utf8.count, p1 = before.count - planted.suffix.utf8.count
                    let left = String(decoding: before[p0..<max(p0, min(p1, head))] + before[min(p1, max(p0, before.count - tail))..<p1], as: UTF8.self)
                    #expect(!left.contains(where: { $0.isLetter || $0.isNumber }), "\(planted.document.id): planted words left: \(left.prefix(200))")
                }
            }
            #expect(foundByKind[.verbatim] == totalByKind[.verbatim])
            #expect(foundByKind[.partial] == totalByKind[.partial])
            #expect(foundByKind[.clean, default: 0] == 0)
            // The report counts each benchmark's documents (paraphrases found count too).
            for name in ["gsm8k", "nq_open"] {
                let entry = benchmarkEntry(report, name)
                #expect((entry["documents"] as? Int ?? 0) >= plantedDocuments[name, default: 0])
                #expect((entry["items_found"] as? Int ?? 0) >= plantedDocuments[name, default: 0])
                #expect((entry["examples"] as? [Any])?.count == 5)
            }
        }
    }
}
