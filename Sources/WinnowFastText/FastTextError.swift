import WinnowCore

/// A fastText model file that cannot be used: unreadable, truncated, corrupt or of a kind this
/// loader does not handle. It names the file and, for problems inside it, the byte offset.
public struct FastTextError: UserFacingError, Hashable {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The file could not be opened or read (`errno` value).
        case cannotRead(errno: Int32)
        /// The file ends before a field that must be there.
        case truncated
        /// The first four bytes are not fastText's magic number.
        case badMagic
        /// The format version is one this loader does not know.
        case unsupportedVersion
        /// A field holds a value that cannot be right (negative size, unknown enum, bad index).
        case corrupt
        /// A valid model of a kind this loader does not run (e.g. an unsupervised model).
        case unsupported
    }

    /// The file concerned (`<memory>` for bytes given directly).
    public var path: String
    /// The byte offset in the file where the problem was found, when it is inside the file.
    public var offset: Int?
    /// The kind of problem.
    public var kind: Kind
    /// What is wrong, in a sentence.
    public var message: String

    /// Creates an error.
    public init(path: String, offset: Int?, kind: Kind, message: String) {
        self.path = path
        self.offset = offset
        self.kind = kind
        self.message = message
    }

    /// `path: at byte N: message`.
    public var description: String {
        if let offset { return "\(path): at byte \(offset): \(message)" }
        return "\(path): \(message)"
    }
}
