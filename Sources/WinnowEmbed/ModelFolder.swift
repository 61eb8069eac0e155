import Foundation

/// A sentence-transformers model folder on disk (for example `models/all-MiniLM-L6-v2/`) and
/// the small JSON files that configure it.
public struct ModelFolder: Sendable {
    /// The folder path.
    public var path: String

    /// Wraps the folder at `path`.
    /// - Throws: ``EmbedError`` when the path is not a folder.
    public init(path: String) throws(EmbedError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EmbedError(path: path, message: "model folder not found")
        }
        self.path = path
    }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String {
        path.hasSuffix("/") ? path + name : path + "/" + name
    }

    /// Whether `name` exists inside the folder.
    public func contains(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: file(name))
    }

    /// Reads `name` as bytes.
    /// - Throws: ``EmbedError`` when it cannot be read.
    public func data(_ name: String) throws(EmbedError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: file(name)))
        } catch {
            throw EmbedError(path: file(name), message: "cannot read: \(error.localizedDescription)")
        }
    }

    /// Decodes `name` as JSON into `T`.
    /// - Throws: ``EmbedError`` naming the file and the decoding problem.
    public func decode<T: Decodable>(_ type: T.Type, from name: String) throws(EmbedError) -> T {
        let bytes = try data(name)
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch let DecodingError.keyNotFound(key, context) {
            throw EmbedError(path: file(name), message: "missing key '\(ModelFolder.keyPath(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw EmbedError(path: file(name), message: "wrong type at '\(ModelFolder.keyPath(context.codingPath))': \(context.debugDescription)")
        } catch {
            throw EmbedError(path: file(name), message: "invalid JSON: \(error)")
        }
    }

    private static func keyPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
