import WinnowCore
import WinnowIO
import Yams

/// Reads YAML into ``ConfigValue`` trees that remember each value's file, line and column.
///
/// Hostile YAML is refused before it can exhaust memory: a document holds at most
/// ``maxValues`` values once its aliases are expanded (a "billion laughs" file expands a few
/// hundred bytes into billions of values), and every error names a line and column.
public enum YAMLLoader {
    /// The most values (scalars, lists and mappings, counting each alias use as a full copy of
    /// what it names) one document may hold.
    public static let maxValues = 100_000

    /// Parses YAML text; `file` names the source in error messages.
    /// - Throws: ``ConfigError`` with the line and column of a syntax error, a key given twice,
    ///   or a value that aliases expand beyond ``maxValues``.
    public static func load(_ text: String, file: String) throws -> ConfigValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(describe(error, text: text), at: location(of: error, text: text, file: file))
        }
        guard let node else { return ConfigValue(.null, at: SourceLocation(file: file, line: 1)) }
        var sizes = ExpandedSizes()
        if sizes.size(of: node) > maxValues {
            let culprit = sizes.smallestOver(maxValues, in: node)
            throw ConfigError(
                "YAML aliases expand this value to \(sizes.describe(culprit)) values; a recipe may hold at most "
                    + "\(maxValues) (anchors that alias each other level by level, as in a 'billion laughs' file)",
                at: culprit.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) } ?? SourceLocation(file: file))
        }
        var budget = maxValues
        return try convert(node, file: file, budget: &budget)
    }

    static func describe(_ error: YamlError, text: String) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            return "YAML syntax error: "
                + [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        case .reader(let problem, _, let value, _):
            return "YAML syntax error: \(problem)" + (value >= 0 ? " (code point 0x\(String(value, radix: 16)))" : "")
        case .duplicatedKeysInMapping(let duplicates, _):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return duplicates.count == 1 ? "key \(names) given twice in one mapping" : "keys \(names) given twice in one mapping"
        default:
            return "YAML syntax error: \(error)"
        }
    }

    static func location(of error: YamlError, text: String, file: String) -> SourceLocation {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        case .reader(_, let offset, _, _):
            // `offset` counts Characters from the start of the text.
            guard let offset else { return SourceLocation(file: file) }
            let index = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) ?? text.endIndex
            return position(utf8Offset: text.utf8.distance(from: text.utf8.startIndex, to: index), in: Array(text.utf8), file: file)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let first = (line: context.mark.line, column: context.mark.column)
            let mark = secondOccurrence(of: duplicates.first ?? "", after: first, in: text) ?? first
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        default:
            return SourceLocation(file: file)
        }
    }

    /// The line and column (1-based, the column in Unicode scalars as YAML marks count it) of a
    /// byte offset in UTF-8 text; the bytes before it must be valid UTF-8.
    public static func position(utf8Offset: Int, in bytes: [UInt8], file: String) -> SourceLocation {
        var line = 1
        var column = 1
        for b in bytes.prefix(utf8Offset) {
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    /// Where a key given twice is written the second time: Yams reports the first occurrence
    /// only. The search looks for the key at the first occurrence's indentation on later lines of
    /// the same block mapping, or later on the same line for a flow mapping; nil when not found.
    static func secondOccurrence(of key: String, after first: (line: Int, column: Int), in text: String) -> (line: Int, column: Int)? {
        guard !key.isEmpty else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let keyScalars = Array(key.unicodeScalars)
        let col = first.column - 1
        func keyAt(_ line: [Unicode.Scalar], _ c: Int) -> Bool {
            guard c >= 0, c + keyScalars.count <= line.count, Array(line[c..<(c + keyScalars.count)]) == keyScalars else {
                return false
            }
            var j = c + keyScalars.count
            while j < line.count && (line[j] == " " || line[j] == "\t") { j += 1 }
            return j < line.count && line[j] == ":"
        }
        // A flow mapping (the key follows '{' or ','): the duplicate follows on the same line.
        let firstLine = lines[first.line - 1]
        let before = firstLine.prefix(min(col, firstLine.count)).last(where: { $0 != " " })
        let inFlow = before == "{" || before == ","
        var c = col + keyScalars.count
        while inFlow && c < firstLine.count {
            if firstLine[c] == ",", let k = (c + 1..<firstLine.count).first(where: { firstLine[$0] != " " }), keyAt(firstLine, k) {
                return (first.line, k + 1)
            }
            c += 1
        }
        // A block mapping: later lines indented like the first key.
        for n in first.line..<lines.count {
            let line = lines[n]
            guard let indent = line.firstIndex(where: { $0 != " " }), line[indent] != "#", line[indent] != "\r" else { continue }
            if indent < col { return nil }  // the mapping ended
            if indent == col && keyAt(line, col) { return (n + 1, col + 1) }
        }
        return nil
    }

    static func convert(_ node: Node, file: String, budget: inout Int) throws -> ConfigValue {
        let loc = node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
        budget -= 1
        guard budget >= 0 else {
            throw ConfigError("YAML aliases expand the recipe beyond \(maxValues) values", at: loc)
        }
        switch node {
        case .scalar(let s):
            if s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string) {
                return ConfigValue(.null, at: loc)
            }
            return ConfigValue(.scalar(s.string), at: loc)
        case .sequence(let seq):
            var items: [ConfigValue] = []
            items.reserveCapacity(seq.count)
            for item in seq { items.append(try convert(item, file: file, budget: &budget)) }
            return ConfigValue(.sequence(items), at: loc)
        case .mapping(let map):
            var entries: [(key: String, value: ConfigValue)] = []
            for (k, v) in map {
                guard case .scalar(let ks) = k else {
                    throw ConfigError("mapping keys must be plain names", at: k.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) })
                }
                var value = try convert(v, file: file, budget: &budget)
                // Point at the key for values that have no position of their own (null).
                if value.location == nil, let m = k.mark { value.location = SourceLocation(file: file, line: m.line, column: m.column) }
                if case .null = value.kind, let m = k.mark { value.location = SourceLocation(file: file, line: m.line, column: m.column) }
                entries.append((ks.string, value))
            }
            return ConfigValue(.mapping(entries), at: loc)
        case .alias:
            throw ConfigError("YAML aliases are not supported in recipes", at: loc)
        }
    }
}

/// How many values each node of a composed YAML document stands for once aliases are expanded.
///
/// Yams resolves an alias to the node it names, so an aliased node appears many times in the
/// tree while being stored once; sizes are remembered per stored node (identified by its kind,
/// start mark and length, unique among the containers of a document whose keys are scalars), so
/// the count costs time in proportion to the text, not to the expansion.
struct ExpandedSizes {
    private struct Key: Hashable {
        var kind: UInt8
        var line: Int
        var column: Int
        var count: Int
    }
    private var memo: [Key: Int] = [:]

    private static func key(_ node: Node) -> Key? {
        guard let m = node.mark else { return nil }
        switch node {
        case .sequence(let s): return Key(kind: 1, line: m.line, column: m.column, count: s.count)
        case .mapping(let map): return Key(kind: 2, line: m.line, column: m.column, count: map.count)
        default: return nil
        }
    }

    /// The number of values `node` expands to (saturating at `Int.max / 2`).
    mutating func size(of node: Node) -> Int {
        let k = Self.key(node)
        if let k, let s = memo[k] { return s }
        var total = 1
        switch node {
        case .sequence(let seq):
            for item in seq { total = Self.add(total, size(of: item)) }
        case .mapping(let map):
            for (key, value) in map { total = Self.add(Self.add(total, size(of: key)), size(of: value)) }
        default:
            break
        }
        if let k { memo[k] = total }
        return total
    }

    private static func add(_ a: Int, _ b: Int) -> Int { min(Int.max / 2, a + b) }

    /// The deepest node whose size exceeds `limit`, following the first such child each time.
    mutating func smallestOver(_ limit: Int, in node: Node) -> Node {
        var current = node
        while true {
            var next: Node?
            switch current {
            case .sequence(let seq): next = seq.first(where: { size(of: $0) > limit })
            case .mapping(let map):
                for (key, value) in map {
                    if size(of: key) > limit { next = key; break }
                    if size(of: value) > limit { next = value; break }
                }
            default: break
            }
            guard let n = next else { return current }
            current = n
        }
    }

    /// A node's size for a message ("more than N" when it saturated).
    mutating func describe(_ node: Node) -> String {
        let s = size(of: node)
        return s >= Int.max / 2 ? "more than \(Int.max / 2)" : "\(s)"
    }
}
