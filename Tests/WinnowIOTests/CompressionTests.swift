import Foundation
import Testing
import WinnowCore
import WinnowIO

@Suite("Compressed streams")
struct CompressionTests {
    func sample(_ n: Int) -> [UInt8] {
        var rng = SplitMix(state: 42)
        let words = ["alpha", "beta", "gamma", "δέλτα", "東京", "🙂", "\n"]
        var out: [UInt8] = []
        while out.count < n { out += Array(words[Int(rng.next() % UInt64(words.count))].utf8) + [0x20] }
        return out
    }

    @Test("round trip", arguments: Compression.allCases)
    func roundTrip(_ c: Compression) throws {
        let dir = try temporaryFolder()
        let data = sample(3_000_000)
        let path = dir + "/x" + (c == .gzip ? ".gz" : c == .zstd ? ".zst" : ".txt")
        try writeCompressed(path, data, c)
        #expect(try readDecompressed(path, chunk: 1000) == data)
        #expect(try readDecompressed(path, chunk: 1 << 20) == data)
    }

    @Test("gzip from both writers (ISA-L default, libdeflate levels) reads back through zlib too", arguments: [nil, 1, 6, 12])
    func gzipLevels(level: Int?) throws {
        let dir = try temporaryFolder()
        let data = sample(2_500_000)  // several 1 MiB members at explicit levels
        let path = dir + "/l.gz"
        let w = try CompressedWriter(path: path, compression: .gzip, level: level)
        try data.withUnsafeBytes { try w.write($0) }
        try w.commit()
        #expect(try readDecompressed(path) == data)  // libdeflate, whole file
        // zlib streaming, as any other gzip reader would.
        let z = try GzipSource(try FileSource(path: path), path: path)
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try buf.withUnsafeMutableBytes { try z.read(into: $0) }
            if n == 0 { break }
            out += buf[0..<n]
        }
        #expect(out == data)
    }

    @Test("an empty gzip output is still a valid gzip file")
    func emptyGzip() throws {
        let dir = try temporaryFolder()
        for level in [nil, 6] as [Int?] {
            let w = try CompressedWriter(path: dir + "/e.gz", compression: .gzip, level: level)
            try w.commit()
            #expect(try FileSystem.readAll(dir + "/e.gz").prefix(2) == [0x1f, 0x8b])
            #expect(try readDecompressed(dir + "/e.gz").isEmpty)
        }
    }

    @Test("compression is detected from magic bytes when the name says nothing")
    func magic() throws {
        let dir = try temporaryFolder()
        let data = sample(10_000)
        try writeCompressed(dir + "/a.gz", data, .gzip)
        try FileManager.default.moveItem(atPath: dir + "/a.gz", toPath: dir + "/a.jsonl")
        #expect(try readDecompressed(dir + "/a.jsonl") == data)
    }

    @Test("multi-member gzip reads every member")
    func multiMember() throws {
        let dir = try temporaryFolder()
        try writeCompressed(dir + "/a.gz", Array("first\n".utf8), .gzip)
        try writeCompressed(dir + "/b.gz", Array("second\n".utf8), .gzip)
        let joined = try FileSystem.readAll(dir + "/a.gz") + FileSystem.readAll(dir + "/b.gz")
        try FileSystem.writeAll(dir + "/ab.gz", joined)
        #expect(String(decoding: try readDecompressed(dir + "/ab.gz"), as: UTF8.self) == "first\nsecond\n")
    }

    @Test("a truncated stream is a DamagedDataError with the compressed byte range", arguments: [Compression.gzip, .zstd])
    func truncated(_ c: Compression) throws {
        let dir = try temporaryFolder()
        let path = dir + (c == .gzip ? "/t.gz" : "/t.zst")
        try writeCompressed(path, sample(500_000), c)
        let full = try FileSystem.readAll(path)
        try FileSystem.writeAll(path, Array(full.prefix(full.count / 2)))
        // The member or frame the file ends inside cannot be checked: its bytes up to the cut
        // come out, then the error.
        let error = #expect(throws: DamagedDataError.self) { _ = try readDecompressed(path) }
        #expect(error?.compressedStart == 0 && error?.compressedEnd == Int64(full.count / 2))
        #expect(error?.description.contains("truncated") == true)
        #expect(error?.description.hasPrefix(path) == true)
    }

    @Test("corrupt gzip data is a DamagedDataError")
    func corrupt() throws {
        let dir = try temporaryFolder()
        let path = dir + "/c.gz"
        try writeCompressed(path, sample(200_000), .gzip)
        var bytes = try FileSystem.readAll(path)
        for i in stride(from: 100, to: 2000, by: 7) { bytes[i] ^= 0x5A }
        try FileSystem.writeAll(path, bytes)
        #expect(throws: DamagedDataError.self) { _ = try readDecompressed(path) }
    }

    @Test("output is byte-identical across runs (gzip mtime is 0)")
    func deterministic() throws {
        let dir = try temporaryFolder()
        let data = sample(100_000)
        try writeCompressed(dir + "/1.gz", data, .gzip)
        try writeCompressed(dir + "/2.gz", data, .gzip)
        #expect(try FileSystem.readAll(dir + "/1.gz") == FileSystem.readAll(dir + "/2.gz"))
    }
}
