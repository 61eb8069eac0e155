import Foundation
import WinnowFastText

/// Paths of the test fixtures and of the lid.176 model, found from this file's path.
enum Fixtures {
    /// The package root (three levels above Tests/WinnowFastTextTests/Fixtures.swift).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let folder = packageRoot + "/Tests/WinnowFastTextTests/Fixtures"

    static func path(_ name: String) -> String { folder + "/" + name }

    /// `$WINNOW_MODELS/lid.176.ftz`, else `models/lid.176.ftz`.
    static let lidPath: String = {
        if let root = ProcessInfo.processInfo.environment["WINNOW_MODELS"], !root.isEmpty {
            return root + "/lid.176.ftz"
        }
        return packageRoot + "/models/lid.176.ftz"
    }()

    static var hasLid: Bool { FileManager.default.fileExists(atPath: lidPath) }

    static var lidSkipMessage: String {
        "skipped: \(lidPath) is missing (run scripts/fetch-models.sh or make deps-models)"
    }

    /// lid.176, loaded once for all tests.
    static let lid: Result<FastTextModel, FastTextError> = Result { () throws(FastTextError) in
        try FastTextModel(contentsOf: lidPath)
    }

    /// The lines of a JSONL fixture as dictionaries.
    static func jsonLines(_ name: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(name)))
        return try data.split(separator: UInt8(ascii: "\n")).map {
            guard let object = try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] else {
                throw CocoaError(.coderReadCorrupt)
            }
            return object
        }
    }

    static func floats(_ value: Any?) -> [Float] {
        (value as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.floatValue }
    }

    static func strings(_ value: Any?) -> [String] {
        value as? [String] ?? []
    }
}
