import Foundation
import WinnowCore
import WinnowIO

/// A fresh temporary folder for one test.
func temporaryFolder(_ name: String = #function) throws -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "winnow-io-\(safe)-\(UUID().uuidString.prefix(8))"
    try FileSystem.createDirectory(path)
    return path
}

/// Writes bytes through a compressing writer.
func writeCompressed(_ path: String, _ bytes: [UInt8], _ compression: Compression) throws {
    let w = try CompressedWriter(path: path, compression: compression)
    try bytes.withUnsafeBytes { try w.write($0) }
    try w.commit()
}

/// Reads a whole stream through `openByteSource`.
func readDecompressed(_ path: String, chunk: Int = 4096) throws -> [UInt8] {
    let src = try openByteSource(path: path)
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: chunk)
    while true {
        let n = try buf.withUnsafeMutableBytes { try src.read(into: $0) }
        if n == 0 { break }
        out += buf[0..<n]
    }
    return out
}

/// Every document of every shard, in order.
func readAll(_ shards: [InputShard], _ options: ReaderOptions) throws -> [Document] {
    var docs: [Document] = []
    for s in shards {
        let r = try makeReader(for: s, options: options)
        while let d = try r.next() { docs.append(d) }
    }
    return docs
}

/// Deterministic pseudo-random numbers for test data.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
