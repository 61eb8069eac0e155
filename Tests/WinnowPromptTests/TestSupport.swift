import Foundation
@testable import WinnowPrompt

/// Paths and shared objects for the prompt tests.
enum TestSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The tokenizer tests' fixtures (the small byte-level BPE `tokenizer.json`).
    static let fixtures = packageRoot.appendingPathComponent("Tests/WinnowTokenizersTests/Fixtures")

    /// `models/<name>` when present.
    static func model(_ name: String) -> String? {
        let path = packageRoot.appendingPathComponent("models/" + name).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// `../shared/data/<relative>` when present.
    static func sharedData(_ relative: String) -> String? {
        let path = packageRoot.appendingPathComponent("../shared/data/" + relative).standardized.path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// A compressor without any model: whitespace counting, in-prompt statistics, no MiniLM.
    static let bare: PromptCompressor = {
        var c = PromptCompressor.Configuration()
        c.tokenizer = "whitespace"
        c.useEmbedder = false
        c.useWordModel = false
        // The configuration only names optional models, so this cannot fail.
        return (try? PromptCompressor(configuration: c)) ?? { preconditionFailure("bare compressor") }()
    }()

    /// Real English prose: SQuAD v1.1 dev paragraphs when ../shared is present.
    static func squadParagraphs() -> [String]? {
        guard let path = sharedData("qa/squad-dev/squad-v1.1-dev.json.gz") else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -dc '\(path)'"]
        let pipe = Pipe()
        p.standardOutput = pipe
        guard (try? p.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        struct Squad: Decodable {
            struct Article: Decodable { struct Paragraph: Decodable { var context: String }; var paragraphs: [Paragraph] }
            var data: [Article]
        }
        return (try? JSONDecoder().decode(Squad.self, from: data))?.data.flatMap { $0.paragraphs.map(\.context) }
    }
}
