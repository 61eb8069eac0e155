import WinnowCore

/// A tokenizer file that cannot be read or is not supported, or a bad tokenizer name: what is
/// wrong and where (a path with `:line`, a JSON key such as `model.merges[12]`).
public struct TokenizerError: UserFacingError, Hashable {
    /// Where: a path (with `:line` when known), a JSON key, or `tokenizer`.
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
