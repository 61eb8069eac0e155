import ArgumentParser
import Foundation
import WinnowCore
import WinnowIO
import WinnowPipeline

/// `winnow inspect RUN_DIR`.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a run's counts per drop reason and example removed documents.")

    @Argument(help: "The run folder.")
    var runDir: String

    @Option(help: "Only this drop reason.")
    var reason: String?

    @Option(help: "Find the document with this id (kept or removed).")
    var id: String?

    @Option(help: "Examples to show per reason.")
    var examples = 3

    func run() throws {
        let statsPath = runDir + "/stats.json"
        guard FileSystem.exists(statsPath) else {
            throw FileError(path: statsPath, "no stats.json: is this a finished Winnow run folder?")
        }
        let data = Data(try FileSystem.readAll(statsPath))
        guard let stats = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FileError(path: statsPath, "not a JSON object")
        }
        if let id {
            try find(id: id)
            return
        }
        print("run: \(stats["name"] ?? "?")")
        print("documents: \(stats["documents_in"] ?? 0) in → \(stats["documents_out"] ?? 0) out; bad records skipped: \(stats["errors"] ?? 0)")
        let dropped = (stats["dropped"] as? [String: Int]) ?? [:]
        if let reason, dropped[reason] == nil {
            // A filter that matches nothing is a mistake (often a misspelling): fail loudly.
            let known = dropped.keys.sorted()
            throw FileError(
                path: runDir,
                "no document of this run was dropped for reason '\(reason)'" + NameSuggestion.hint(for: reason, in: known)
                    + (known.isEmpty ? " (nothing was dropped)" : " (reasons in this run: \(known.joined(separator: ", ")))"))
        }
        if dropped.isEmpty { print("nothing dropped") }
        for (r, n) in dropped.sorted(by: { $0.key < $1.key }) where reason == nil || reason == r {
            print("\n\(r): \(n)")
            let dir = runDir + "/removed/" + r
            guard FileSystem.isDirectory(dir) else {
                print("  (no examples: run with output.keep_removed: true)")
                continue
            }
            var shown = 0
            outer: for name in try FileSystem.list(dir) {
                let path = dir + "/" + name
                let reader = try makeOutputReader(path: path, name: name)
                while shown < examples, let doc = try reader.next() {
                    shown += 1
                    print("  - id: \(doc.id)" + (doc.metadata["duplicate_of"]?.stringValue.map { " (duplicate of \($0))" } ?? ""))
                    print("    text: \(Self.preview(doc.text))")
                }
                if shown >= examples { break outer }
            }
        }
        if let errors = stats["errors"] as? Int, errors > 0 { print("\nbad records: see \(runDir)/errors.jsonl") }
    }

    func find(id: String) throws {
        for sub in ["data"] + ((try? FileSystem.list(runDir + "/removed")) ?? []).map({ "removed/" + $0 }) {
            let dir = runDir + "/" + sub
            guard FileSystem.isDirectory(dir) else { continue }
            for name in try FileSystem.list(dir) {
                let path = dir + "/" + name
                let reader = try makeOutputReader(path: path, name: name)
                while let doc = try reader.next() {
                    guard doc.id == id else { continue }
                    print("\(sub == "data" ? "kept" : "removed (\(sub.dropFirst(8)))") in \(path)")
                    var out: [UInt8] = []
                    JSONLCodec().encode(doc, into: &out)
                    print(String(decoding: out, as: UTF8.self), terminator: "")
                    return
                }
            }
        }
        throw FileError(path: runDir, "no document with id '\(id)' (searched data/ and removed/)")
    }

    static func preview(_ s: String) -> String {
        let flat = s.split(whereSeparator: { $0 == "\n" || $0 == "\t" }).joined(separator: " ")
        return flat.count > 160 ? String(flat.prefix(160)) + "…" : flat
    }
}
