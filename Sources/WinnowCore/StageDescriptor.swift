/// What kind of stage a registry entry makes.
public enum StageKind: String, Sendable, Hashable, CaseIterable {
    case filter, annotator, transformer, corpus
}

/// A registry entry: everything `winnow stages` prints, and how to build the stage from a recipe.
public struct StageDescriptor: Sendable {
    /// The name used in recipes.
    public var name: String
    /// The kind of stage.
    public var kind: StageKind
    /// One or two sentences on what it does.
    public var summary: String
    /// Its parameters with defaults.
    public var parameters: [ParameterSpec]
    /// The drop reasons it can give.
    public var dropReasons: [String]
    /// Builds the stage from its recipe parameters (reading each through the accessors).
    public var make: @Sendable (StageParameters) throws -> any Stage

    /// Creates an entry.
    public init(name: String, kind: StageKind, summary: String, parameters: [ParameterSpec], dropReasons: [String],
                make: @escaping @Sendable (StageParameters) throws -> any Stage) {
        self.name = name
        self.kind = kind
        self.summary = summary
        self.parameters = parameters
        self.dropReasons = dropReasons
        self.make = make
    }

    /// Builds the stage and checks that every given key was read.
    public func build(_ value: ConfigValue?) throws -> any Stage {
        let params = try StageParameters(stage: name, value: value, specs: parameters)
        let stage = try make(params)
        try params.finish()
        return stage
    }
}

/// A type that provides its own registry entry.
public protocol RegisteredStage: Stage {
    /// The registry entry.
    static var descriptor: StageDescriptor { get }
}
