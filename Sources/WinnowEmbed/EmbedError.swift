import TensorCore
import WinnowCore

/// An embedding model folder or input that cannot be used, naming the file and what is wrong.
public struct EmbedError: UserFacingError, Equatable {
    /// The file (or folder) concerned.
    public var path: String
    /// What is wrong with it.
    public var message: String

    /// Creates an error about `path`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// Wraps a safetensors problem (the safetensors message already names the file and tensor).
    public init(_ error: SafeTensorsError) {
        self.init(path: error.path, message: error.description)
    }

    /// `path: message`, or the safetensors message when it already starts with the path.
    public var description: String {
        message.hasPrefix(path) ? message : "\(path): \(message)"
    }
}
