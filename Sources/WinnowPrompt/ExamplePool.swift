import Foundation
import WinnowCore

/// One in-context demonstration: an input, the output a model should give for it, and an
/// optional class label (used for label balance and for majority-vote evaluation).
public struct Example: Sendable, Hashable, Codable {
    /// The demonstration's input (what a query is compared with).
    public var input: String
    /// The demonstration's output.
    public var output: String
    /// The class label, when the task has one.
    public var label: String?

    /// Creates an example.
    public init(input: String, output: String, label: String? = nil) {
        self.input = input
        self.output = output
        self.label = label
    }

    /// The text a demonstration occupies in a prompt, and whose tokens count against a budget:
    /// the input, a line break, the output.
    public var rendered: String { input + "\n" + output }
}

/// A pool of demonstrations read from JSONL (one `{"input": …, "output": …, "label": …}` object
/// per line; `label` optional, a string or a number) with a hash of its content, which keys the
/// pool's cached embeddings.
public struct ExamplePool: Sendable {
    /// The examples, in file order.
    public let examples: [Example]
    /// xxHash64 of the pool's bytes (the file, or the canonical JSON of inline examples).
    public let contentHash: UInt64
    /// Where the pool came from: the file path, or `<inline>`.
    public let source: String

    /// Wraps examples given directly (for example in an HTTP request).
    /// - Parameters:
    ///   - examples: the demonstrations.
    ///   - source: a description of their origin.
    public init(examples: [Example], source: String = "<inline>") {
        self.examples = examples
        self.source = source
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(examples)).map { [UInt8]($0) } ?? []
        contentHash = StableHash.xxh64(bytes)
    }

    /// Reads a JSONL pool file.
    /// - Parameter path: the file; blank lines are skipped.
    /// - Throws: ``FileError`` when the file cannot be read or holds no example; ``InputError``
    ///   naming `path:line` for a line that is not a JSON object with string `input` and `output`.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, "cannot read the example pool")
        }
        try self.init(jsonl: data, source: path)
    }

    /// Parses JSONL bytes (see ``init(path:)``); `source` names the origin in errors.
    public init(jsonl data: Data, source: String) throws {
        var examples: [Example] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            examples.append(try ExamplePool.parse(Data(line), at: SourceLocation(file: source, line: lineNumber)))
        }
        guard !examples.isEmpty else { throw FileError(path: source, "the example pool is empty") }
        self.examples = examples
        self.source = source
        contentHash = data.withUnsafeBytes { StableHash.xxh64($0) }
    }

    /// Decodes one pool line.
    static func parse(_ line: Data, at location: SourceLocation) throws -> Example {
        do {
            let decoded = try JSONDecoder().decode(PoolLine.self, from: line)
            return Example(input: decoded.input, output: decoded.output, label: decoded.label?.text)
        } catch let DecodingError.keyNotFound(key, _) {
            throw InputError("missing field \"\(key.stringValue)\"", at: location, record: [UInt8](line))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.first?.stringValue ?? "the line"
            let expected = field == "label" ? "a string or a number" : "a string"
            throw InputError(
                field == "the line" ? "expected a JSON object" : "field \"\(field)\" must be \(expected)",
                at: location, record: [UInt8](line))
        } catch {
            throw InputError("invalid JSON", at: location, record: [UInt8](line))
        }
    }
}

/// One pool line as JSON.
private struct PoolLine: Decodable {
    var input: String
    var output: String
    var label: LabelValue?
}

/// A label given as a JSON string or number (numbers keep their JSON spelling for integers).
struct LabelValue: Codable, Sendable, Hashable {
    var text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
        } else if let integer = try? container.decode(Int.self) {
            text = String(integer)
        } else {
            text = String(try container.decode(Double.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
