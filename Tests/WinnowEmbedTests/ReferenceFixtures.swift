import Foundation
import WinnowEmbed

/// Where the shared reference file and the model folder are, found from this file's path.
enum ReferenceFixtures {
    /// The package root (three levels above this file: Tests/WinnowEmbedTests/ReferenceFixtures.swift).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0 ..< 3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `../shared/reference/minilm-reference.jsonl` beside the package.
    static let referencePath = packageRoot + "/../shared/reference/minilm-reference.jsonl"

    /// The all-MiniLM-L6-v2 folder: `$WINNOW_MODELS/all-MiniLM-L6-v2`, else `models/all-MiniLM-L6-v2`.
    static let modelPath: String = {
        if let root = ProcessInfo.processInfo.environment["WINNOW_MODELS"], !root.isEmpty {
            return root + "/all-MiniLM-L6-v2"
        }
        return packageRoot + "/models/all-MiniLM-L6-v2"
    }()

    static var hasReference: Bool { FileManager.default.fileExists(atPath: referencePath) }

    static var hasModel: Bool {
        ["model.safetensors", "config.json", "tokenizer.json", "1_Pooling/config.json"].allSatisfy {
            FileManager.default.fileExists(atPath: modelPath + "/" + $0)
        }
    }

    /// One line of the reference file, produced by `tokenizers` and sentence-transformers.
    struct Line: Decodable {
        var text: String
        var inputIDs: [Int32]
        var embedding: [Float]
        enum CodingKeys: String, CodingKey {
            case text, embedding
            case inputIDs = "input_ids"
        }
    }

    static func lines() throws -> [Line] {
        let data = try Data(contentsOf: URL(fileURLWithPath: referencePath))
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(Line.self, from: Data($0)) }
    }

    /// Why a fixture-dependent test is skipped: names what is missing.
    static var skipMessage: String {
        var missing: [String] = []
        if !hasModel { missing.append("the model folder \(modelPath) (run scripts/fetch-models.sh)") }
        if !hasReference { missing.append("the reference file \(referencePath)") }
        return missing.isEmpty ? "fixtures present" : "missing " + missing.joined(separator: " and ")
    }

    /// Loaded once for all tests.
    static let embedder: Result<Embedder, EmbedError> = Result { () throws(EmbedError) in
        try Embedder(folder: ModelFolder(path: modelPath))
    }
}
