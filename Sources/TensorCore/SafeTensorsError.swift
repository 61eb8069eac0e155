/// A safetensors file or weight set that cannot be used, naming the file and, where one is
/// involved, the tensor.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or mapped (`errno` value).
        case cannotOpen(errno: Int32)
        /// The file is shorter than the 8-byte header length.
        case tooSmall(bytes: Int)
        /// The declared header length runs past the end of the file (or beyond the 100 MB limit).
        case headerTooLarge(declared: UInt64, available: Int)
        /// The JSON header is malformed; the message says where.
        case invalidHeader(String)
        /// A tensor entry lacks a field or has one of the wrong type.
        case invalidEntry(String)
        /// The dtype is not one this reader converts (F32, F16, BF16).
        case unsupportedDType(String)
        /// The entry's byte range is reversed or lies outside the data section.
        case offsetsOutOfBounds(begin: Int, end: Int, dataBytes: Int)
        /// The byte range's length does not match the shape and dtype.
        case sizeMismatch(expectedBytes: Int, actualBytes: Int)
        /// The entry's byte range overlaps another tensor's.
        case overlapping(other: String)
        /// A tensor the model needs is not in the file.
        case missingTensor
        /// A tensor has another shape than the model needs.
        case shapeMismatch(expected: [Int], actual: [Int])
        /// Tensors in the file that the model did not use.
        case unusedTensors([String])
    }

    /// The safetensors file.
    public var path: String
    /// The tensor concerned, when there is one.
    public var tensor: String?
    /// What went wrong.
    public var kind: Kind

    /// Creates an error for `path` (and `tensor`, when one is concerned).
    public init(path: String, tensor: String? = nil, kind: Kind) {
        self.path = path
        self.tensor = tensor
        self.kind = kind
    }

    /// A one-line message naming the file, the tensor and the problem.
    public var description: String {
        let place = tensor.map { "\(path): tensor '\($0)'" } ?? path
        switch kind {
        case .cannotOpen(let code): return "\(place): cannot open or map the file (errno \(code))"
        case .tooSmall(let bytes): return "\(place): file is \(bytes) bytes, too small for a safetensors header"
        case .headerTooLarge(let declared, let available):
            return "\(place): header declares \(declared) bytes but only \(available) follow"
        case .invalidHeader(let message): return "\(place): invalid JSON header: \(message)"
        case .invalidEntry(let message): return "\(place): invalid entry: \(message)"
        case .unsupportedDType(let dtype): return "\(place): unsupported dtype \(dtype) (F32, F16 and BF16 are read)"
        case .offsetsOutOfBounds(let begin, let end, let dataBytes):
            return "\(place): data_offsets [\(begin), \(end)] outside the \(dataBytes)-byte data section"
        case .sizeMismatch(let expected, let actual):
            return "\(place): shape and dtype need \(expected) bytes, data_offsets span \(actual)"
        case .overlapping(let other): return "\(place): bytes overlap tensor '\(other)'"
        case .missingTensor: return "\(place): missing from the file"
        case .shapeMismatch(let expected, let actual): return "\(place): shape \(actual), expected \(expected)"
        case .unusedTensors(let names):
            let shown = names.prefix(5).joined(separator: ", ")
            return "\(place): \(names.count) tensor(s) not used by the model: \(shown)\(names.count > 5 ? ", …" : "")"
        }
    }
}
