/// A configuration value as written in a recipe (YAML) or a request (JSON), with where it was.
public struct ConfigValue: Sendable, Hashable {
    /// The shape of a configuration value.
    public indirect enum Kind: Sendable, Hashable {
        /// A scalar in its source spelling (`50`, `0.8`, `true`, `en`); `null` for YAML null.
        case scalar(String)
        /// A YAML null / JSON null.
        case null
        /// A list.
        case sequence([ConfigValue])
        /// A mapping in source order.
        case mapping([(key: String, value: ConfigValue)])

        public static func == (a: Kind, b: Kind) -> Bool {
            switch (a, b) {
            case (.scalar(let x), .scalar(let y)): return x == y
            case (.null, .null): return true
            case (.sequence(let x), .sequence(let y)): return x == y
            case (.mapping(let x), .mapping(let y)):
                return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: return false
            }
        }

        public func hash(into h: inout Hasher) {
            switch self {
            case .scalar(let s): h.combine(0); h.combine(s)
            case .null: h.combine(1)
            case .sequence(let v): h.combine(2); h.combine(v)
            case .mapping(let m):
                h.combine(3)
                for (k, v) in m { h.combine(k); h.combine(v) }
            }
        }
    }

    /// The value.
    public var kind: Kind
    /// Where the value starts in its source, when known.
    public var location: SourceLocation?

    /// Creates a value.
    public init(_ kind: Kind, at location: SourceLocation? = nil) {
        self.kind = kind
        self.location = location
    }

    /// The entries of a mapping, or nil.
    public var mapping: [(key: String, value: ConfigValue)]? {
        if case .mapping(let m) = kind { return m }
        return nil
    }

    /// Looks up a key in a mapping.
    public subscript(key: String) -> ConfigValue? {
        mapping?.first { $0.key == key }?.value
    }

    /// A short name of the value's shape for error messages.
    public var shapeName: String {
        switch kind {
        case .scalar: return "a scalar"
        case .null: return "null"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// A bad recipe or request: unknown stage or key, wrong type, out-of-range value.
public struct ConfigError: UserFacingError, Hashable {
    /// Where the bad value is, when known.
    public var location: SourceLocation?
    /// What is wrong.
    public var message: String

    /// Creates a configuration error.
    public init(_ message: String, at location: SourceLocation?) {
        self.message = message
        self.location = location
    }

    /// `file:line:col: message`.
    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}
