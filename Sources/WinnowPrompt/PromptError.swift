import WinnowCore

/// A bad compression request, tokenizer file or option: what is wrong and where (a file and
/// line, a JSON key, a byte offset).
public struct PromptError: UserFacingError, Hashable {
    /// Where: a path (with `:line` when known), a request key, or `request`.
    public var location: String
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(_ location: String, _ message: String) {
        self.location = location
        self.message = message
    }

    /// `location: message`.
    public var description: String { "\(location): \(message)" }
}
