/// Describes one parameter of a stage: its name, type, default and meaning.
///
/// The registry prints these in `winnow stages` and docs/stages.md; ``StageParameters`` refuses
/// to read a key that is not declared, so the docs cannot drift from the code.
public struct ParameterSpec: Sendable, Hashable {
    /// The key as written in a recipe.
    public var name: String
    /// The type as shown to users: `int`, `number`, `string`, `bool`, `[string]`…
    public var type: String
    /// The default as shown to users; nil when the parameter is required.
    public var defaultValue: String?
    /// One line on what it does.
    public var summary: String

    /// Creates a parameter description.
    public init(_ name: String, _ type: String, default defaultValue: String?, _ summary: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
    }
}

/// The parameters given to one stage in a recipe, read through typed accessors.
///
/// Every accessor records the key as used; ``finish()`` then fails on any key the stage never
/// read (a typo in a recipe is an error with its file and line, not a silent default).
public final class StageParameters {
    /// The stage's name.
    public let stage: String
    /// Where the stage's entry is in the recipe.
    public let location: SourceLocation?
    private let entries: [(key: String, value: ConfigValue)]
    private let specs: [String: ParameterSpec]
    private var used: Set<String> = []

    /// Wraps a stage's configuration. `value` must be a mapping or null (no parameters).
    public init(stage: String, value: ConfigValue?, specs: [ParameterSpec]) throws {
        self.stage = stage
        self.location = value?.location
        self.specs = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        switch value?.kind {
        case nil, .null: entries = []
        case .mapping(let m): entries = m
        case .scalar(let s) where s.isEmpty: entries = []
        default:
            throw ConfigError("stage '\(stage)' takes a mapping of parameters, not \(value?.shapeName ?? "null")", at: value?.location)
        }
        var seen = Set<String>()
        for (key, v) in entries {
            if !seen.insert(key).inserted {
                throw ConfigError("stage '\(stage)': parameter '\(key)' given twice", at: v.location)
            }
            if self.specs[key] == nil {
                throw Self.unknownParameter(key, stage: stage, known: specs.map(\.name), at: v.location)
            }
        }
    }

    private func raw(_ key: String) -> ConfigValue? {
        precondition(specs[key] != nil, "stage \(stage) reads undeclared parameter \(key)")
        used.insert(key)
        return entries.first { $0.key == key }?.value
    }

    private func scalar(_ key: String) throws -> (String, SourceLocation?)? {
        guard let v = raw(key) else { return nil }
        switch v.kind {
        case .null: return nil
        case .scalar(let s): return (s, v.location)
        default:
            throw ConfigError("stage '\(stage)': '\(key)' must be a single value, not \(v.shapeName)", at: v.location)
        }
    }

    /// Whether the recipe gave this key.
    public func has(_ key: String) -> Bool { raw(key) != nil }

    /// A parameter's value as written (null when absent), for stages that read nested
    /// structure themselves (a list of mappings); the stage checks its shape.
    public func value(_ key: String) -> ConfigValue? { raw(key) }

    /// An integer parameter.
    public func int(_ key: String, default d: Int? = nil, min: Int? = nil, max: Int? = nil) throws -> Int? {
        guard let (s, loc) = try scalar(key) else { return d }
        guard let v = Int(s.replacingUnderscores()) else {
            throw ConfigError("stage '\(stage)': '\(key)' must be an integer, got '\(s)'", at: loc)
        }
        if let min, v < min { throw ConfigError("stage '\(stage)': '\(key)' must be ≥ \(min), got \(v)", at: loc) }
        if let max, v > max { throw ConfigError("stage '\(stage)': '\(key)' must be ≤ \(max), got \(v)", at: loc) }
        return v
    }

    /// A number parameter.
    public func double(_ key: String, default d: Double? = nil, min: Double? = nil, max: Double? = nil) throws -> Double? {
        guard let (s, loc) = try scalar(key) else { return d }
        guard let v = Double(s.replacingUnderscores()), v.isFinite else {
            throw ConfigError("stage '\(stage)': '\(key)' must be a number, got '\(s)'", at: loc)
        }
        if let min, v < min { throw ConfigError("stage '\(stage)': '\(key)' must be ≥ \(min), got \(s)", at: loc) }
        if let max, v > max { throw ConfigError("stage '\(stage)': '\(key)' must be ≤ \(max), got \(s)", at: loc) }
        return v
    }

    /// A Boolean parameter (`true`/`false`, `yes`/`no`, `on`/`off`).
    public func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let (s, loc) = try scalar(key) else { return d }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigError("stage '\(stage)': '\(key)' must be true or false, got '\(s)'", at: loc)
        }
    }

    /// A string parameter, optionally limited to a set of choices.
    public func string(_ key: String, default d: String? = nil, choices: [String]? = nil) throws -> String? {
        guard let (s, loc) = try scalar(key) else { return d }
        if let choices, !choices.contains(s) {
            throw ConfigError(
                "stage '\(stage)': '\(key)' must be one of \(choices.joined(separator: ", ")), got '\(s)'"
                    + NameSuggestion.hint(for: s, in: choices), at: loc)
        }
        return s
    }

    /// A list of strings (a single string is taken as a one-element list).
    public func strings(_ key: String, default d: [String]? = nil) throws -> [String]? {
        guard let v = raw(key) else { return d }
        switch v.kind {
        case .null: return d
        case .scalar(let s): return [s]
        case .sequence(let items):
            return try items.map { item in
                guard case .scalar(let s) = item.kind else {
                    throw ConfigError("stage '\(stage)': '\(key)' must be a list of strings", at: item.location)
                }
                return s
            }
        case .mapping:
            throw ConfigError("stage '\(stage)': '\(key)' must be a list, not a mapping", at: v.location)
        }
    }

    /// A mapping of names to numbers (e.g. `weights: {wiki: 0.5, web: 0.3}`), in recipe order.
    public func numberMapping(_ key: String) throws -> [(key: String, value: Double)]? {
        guard let v = raw(key) else { return nil }
        switch v.kind {
        case .null: return nil
        case .mapping(let entries):
            return try entries.map { entry in
                guard case .scalar(let s) = entry.value.kind, let x = Double(s.replacingUnderscores()), x.isFinite else {
                    throw ConfigError("stage '\(stage)': '\(key).\(entry.key)' must be a number", at: entry.value.location)
                }
                return (entry.key, x)
            }
        default:
            throw ConfigError("stage '\(stage)': '\(key)' must be a mapping of names to numbers, not \(v.shapeName)", at: v.location)
        }
    }

    /// The location of a key's value, for error messages raised by the stage itself.
    public func location(of key: String) -> SourceLocation? {
        entries.first { $0.key == key }?.value.location ?? location
    }

    /// Fails on keys the stage never read, naming the known ones.
    public func finish() throws {
        for (key, value) in entries where !used.contains(key) {
            throw Self.unknownParameter(key, stage: stage, known: Array(specs.keys), at: value.location)
        }
    }

    /// `stage 'S' has no parameter 'K'; did you mean 'N'? (known: …)`.
    static func unknownParameter(_ key: String, stage: String, known: [String], at location: SourceLocation?) -> ConfigError {
        let sorted = known.sorted()
        return ConfigError(
            "stage '\(stage)' has no parameter '\(key)'" + NameSuggestion.hint(for: key, in: sorted)
                + (sorted.isEmpty ? " (it takes none)" : " (known: \(sorted.joined(separator: ", ")))"),
            at: location)
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        contains("_") ? String(filter { $0 != "_" }) : self
    }
}
