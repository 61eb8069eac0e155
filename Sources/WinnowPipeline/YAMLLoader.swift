import WinnowCore
import Yams

/// Reads YAML into ``ConfigValue`` trees that remember each value's file, line and column.
public enum YAMLLoader {
    /// Parses YAML text; `file` names the source in error messages.
    /// - Throws: ``ConfigError`` with the line and column of a syntax error.
    public static func load(_ text: String, file: String) throws -> ConfigValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError("YAML syntax error: \(describe(error))", at: location(of: error, file: file))
        }
        guard let node else { return ConfigValue(.null, at: SourceLocation(file: file, line: 1)) }
        return try convert(node, file: file)
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        default:
            return "\(error)"
        }
    }

    static func location(of error: YamlError, file: String) -> SourceLocation {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _):
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        default:
            return SourceLocation(file: file)
        }
    }

    static func convert(_ node: Node, file: String) throws -> ConfigValue {
        let loc = node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
        switch node {
        case .scalar(let s):
            if s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string) {
                return ConfigValue(.null, at: loc)
            }
            return ConfigValue(.scalar(s.string), at: loc)
        case .sequence(let seq):
            return ConfigValue(.sequence(try seq.map { try convert($0, file: file) }), at: loc)
        case .mapping(let map):
            var entries: [(key: String, value: ConfigValue)] = []
            for (k, v) in map {
                guard case .scalar(let ks) = k else {
                    throw ConfigError("mapping keys must be plain names", at: k.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) })
                }
                var value = try convert(v, file: file)
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
