import Foundation

/// Paths for the tokenizer tests.
enum TestSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// `models/<name>` when present.
    static func model(_ name: String) -> String? {
        let path = packageRoot.appendingPathComponent("models/" + name).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// `../shared/<relative>` when present.
    static func shared(_ relative: String) -> String? {
        let path = packageRoot.appendingPathComponent("../shared/" + relative).standardized.path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}
