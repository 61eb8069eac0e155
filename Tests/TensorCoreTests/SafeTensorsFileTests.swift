#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import TensorCore

/// Builds safetensors bytes: 8-byte little-endian header length, the JSON header, the data.
func safetensorsBytes(header: String, data: [UInt8]) -> [UInt8] {
    let json = Array(header.utf8)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
    return bytes + json + data
}

func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
}

/// Writes `bytes` to a fresh temporary file and returns its path.
func temporaryFile(_ bytes: [UInt8], name: String) -> String {
    let path = "/tmp/winnow-safetensors-\(getpid())-\(name).safetensors"
    let handle = fopen(path, "wb")
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
    fclose(handle)
    return path
}

@Suite("safetensors reader")
struct SafeTensorsFileTests {
    /// F32 [2,3], F16 [2], BF16 [2] and an I64 [1] buffer, with metadata.
    static func validFile() -> [UInt8] {
        let f32 = floatBytes([1, 2, 3, 4, 5, 6])  // 24 bytes
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0]  // 1.0, -2.0
        let bf16: [UInt8] = [0x80, 0x3F, 0x40, 0xC0]  // 1.0, -3.0
        let i64: [UInt8] = [7, 0, 0, 0, 0, 0, 0, 0]
        let header = """
            {"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},\
            "h":{"dtype":"F16","shape":[2],"data_offsets":[24,28]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[28,32]},\
            "ids":{"dtype":"I64","shape":[1],"data_offsets":[32,40]}}
            """
        return safetensorsBytes(header: header, data: f32 + f16 + bf16 + i64)
    }

    @Test("reads F32, F16 and BF16 as Float32")
    func readsTensors() throws {
        let path = temporaryFile(Self.validFile(), name: "valid")
        defer { unlink(path) }
        let file = try SafeTensorsFile(path: path)
        #expect(file.names == ["b", "h", "ids", "w"])
        #expect(file.metadata == ["format": "pt"])
        let w = try file.tensor("w")
        #expect(w.shape == [2, 3])
        #expect(w.scalars == [1, 2, 3, 4, 5, 6])
        #expect(try file.tensor("h").scalars == [1, -2])
        #expect(try file.tensor("b").scalars == [1, -3])
        #expect(throws: SafeTensorsError(path: path, tensor: "ids", kind: .unsupportedDType("I64"))) { try file.tensor("ids") }
        #expect(throws: SafeTensorsError(path: path, tensor: "nope", kind: .missingTensor)) { try file.tensor("nope") }
    }

    @Test("half-precision conversion covers subnormals, infinity and NaN")
    func halfConversion() {
        #expect(SafeTensorsFile.floatFromHalf(0x0001) == Float(5.960_464_5e-8))
        #expect(SafeTensorsFile.floatFromHalf(0x7BFF) == 65504)
        #expect(SafeTensorsFile.floatFromHalf(0x7C00) == .infinity)
        #expect(SafeTensorsFile.floatFromHalf(0x7E00).isNaN)
        #expect(SafeTensorsFile.floatFromHalf(0x8000).sign == .minus)
    }

    @Test("weight loader fails on missing, mis-shaped and unused tensors")
    func weightLoader() throws {
        let path = temporaryFile(Self.validFile(), name: "loader")
        defer { unlink(path) }
        let file = try SafeTensorsFile(path: path)
        var loader = WeightLoader(file: file)
        #expect(throws: SafeTensorsError(path: path, tensor: "w", kind: .shapeMismatch(expected: [3, 2], actual: [2, 3]))) {
            try loader.take("w", shape: [3, 2])
        }
        #expect(throws: SafeTensorsError(path: path, tensor: "x", kind: .missingTensor)) { try loader.take("x", shape: [1]) }
        _ = try loader.take("w", shape: [2, 3])
        _ = try loader.take("h", shape: [2])
        #expect(throws: SafeTensorsError(path: path, kind: .unusedTensors(["b", "ids"]))) { try loader.finish() }
        loader.ignore("ids")
        _ = try loader.take("b", shape: [2])
        try loader.finish()
    }

    static let corruptCases: [(String, [UInt8], SafeTensorsError.Kind)] = [
        ("short", [1, 2, 3], .tooSmall(bytes: 3)),
        ("header-too-long", [0xFF, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D], .headerTooLarge(declared: 255, available: 2)),
        ("not-json", safetensorsBytes(header: "{\"w\": {\"dtype\": ", data: []),
         .invalidHeader("unexpected end at byte 16 of the header")),
        ("not-object", safetensorsBytes(header: "[1,2]", data: []), .invalidHeader("the header is not a JSON object")),
        ("out-of-bounds", safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]),
         .offsetsOutOfBounds(begin: 0, end: 8, dataBytes: 4)),
        ("reversed", safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0]),
         .offsetsOutOfBounds(begin: 4, end: 0, dataBytes: 4)),
        ("size-mismatch", safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
         .sizeMismatch(expectedBytes: 12, actualBytes: 8)),
        ("negative-offset", safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, data: []),
         .invalidEntry("'data_offsets' must be two non-negative integers")),
        ("bad-dtype", safetensorsBytes(header: #"{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#, data: [0]),
         .unsupportedDType("Q4")),
    ]

    @Test("rejects corrupt headers and out-of-bounds offsets", arguments: corruptCases)
    func rejectsCorrupt(name: String, bytes: [UInt8], kind: SafeTensorsError.Kind) {
        let path = temporaryFile(bytes, name: name)
        defer { unlink(path) }
        #expect {
            _ = try SafeTensorsFile(path: path)
        } throws: { error in
            guard let error = error as? SafeTensorsError else { return false }
            return error.path == path && error.kind == kind && error.description.hasPrefix(path)
        }
    }

    @Test("rejects overlapping tensors and names both")
    func rejectsOverlap() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let path = temporaryFile(safetensorsBytes(header: header, data: Array(repeating: 0, count: 8)), name: "overlap")
        defer { unlink(path) }
        #expect(throws: SafeTensorsError(path: path, tensor: "b", kind: .overlapping(other: "a"))) { try SafeTensorsFile(path: path) }
    }

    @Test("a missing file names the path")
    func missingFile() {
        let path = "/tmp/winnow-no-such-file.safetensors"
        #expect {
            _ = try SafeTensorsFile(path: path)
        } throws: { error in
            (error as? SafeTensorsError)?.description.contains(path) == true
        }
    }
}
