/// Takes a model's tensors out of a ``SafeTensorsFile`` by name and shape, and checks at the end
/// that every tensor in the file was used (or explicitly ignored).
///
/// ```swift
/// var loader = WeightLoader(file: file)
/// let w = try loader.take("encoder.layer.0.attention.self.query.weight", shape: [384, 384])
/// loader.ignore("embeddings.position_ids")
/// try loader.finish()
/// ```
public struct WeightLoader {
    /// The file tensors come from.
    public let file: SafeTensorsFile
    /// A prefix put before every name (for example `"bert."`), empty by default.
    public var prefix: String
    private var used: Set<String> = []

    /// Creates a loader over `file`, with names looked up under `prefix`.
    public init(file: SafeTensorsFile, prefix: String = "") {
        self.file = file
        self.prefix = prefix
    }

    /// Reads the tensor `prefix + name` and checks its shape.
    /// - Throws: ``SafeTensorsError`` when it is missing, mis-shaped or of an unsupported dtype.
    public mutating func take(_ name: String, shape: [Int]) throws(SafeTensorsError) -> Tensor {
        let fullName = prefix + name
        guard let entry = file.entries[fullName] else {
            throw SafeTensorsError(path: file.path, tensor: fullName, kind: .missingTensor)
        }
        guard entry.shape == shape else {
            throw SafeTensorsError(path: file.path, tensor: fullName, kind: .shapeMismatch(expected: shape, actual: entry.shape))
        }
        used.insert(fullName)
        return try file.tensor(fullName)
    }

    /// Marks `prefix + name` as deliberately unused, if the file has it.
    public mutating func ignore(_ name: String) {
        used.insert(prefix + name)
    }

    /// Checks that every tensor in the file was taken or ignored.
    /// - Throws: ``SafeTensorsError`` listing the unused tensors.
    public func finish() throws(SafeTensorsError) {
        let unused = file.names.filter { !used.contains($0) }
        guard unused.isEmpty else { throw SafeTensorsError(path: file.path, kind: .unusedTensors(unused)) }
    }
}
