import Foundation
import Testing
import WinnowCore
@testable import WinnowIO

@Suite("NumPy .npy files")
struct NpyTests {
    @Test("rows streamed in are read back with the final shape; the header is 64-byte aligned")
    func roundTrip() throws {
        let dir = try temporaryFolder()
        let path = dir + "/m.npy"
        let w = try NpyWriter(path: path, columns: 3)
        #expect(!FileManager.default.fileExists(atPath: path), "the file appears only at finish")
        try w.append(row: [1, 2, 3])
        let more: [Float] = [4, 5, 6, -7.5, 0, .greatestFiniteMagnitude]
        try more.withUnsafeBufferPointer { try w.append(rows: $0) }
        try w.finish()
        let bytes = try FileSystem.readAll(path)
        #expect(bytes.count == 128 + 9 * 4)
        let header = String(decoding: bytes[10 ..< 128], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }"))
        #expect(header.hasSuffix("\n"))
        let m = try NpyMatrix(path: path)
        #expect(m.rows == 3 && m.columns == 3)
        #expect(m.values == [1, 2, 3] + more)
        #expect(m.row(2) == [-7.5, 0, .greatestFiniteMagnitude])
    }

    @Test("an empty matrix has shape (0, n)")
    func empty() throws {
        let dir = try temporaryFolder()
        let w = try NpyWriter(path: dir + "/e.npy", columns: 384)
        try w.finish()
        let m = try NpyMatrix(path: dir + "/e.npy")
        #expect(m.rows == 0 && m.columns == 384 && m.values.isEmpty)
    }

    @Test("bad files are rejected with the file and byte offset")
    func errors() throws {
        let dir = try temporaryFolder()
        let good = dir + "/g.npy"
        let w = try NpyWriter(path: good, columns: 2)
        try w.append(row: [1, 2])
        try w.append(row: [3, 4])
        try w.finish()
        let bytes = try FileSystem.readAll(good)

        try FileSystem.writeAll(dir + "/t.npy", Array(bytes.dropLast(3)))
        let truncated = #expect(throws: InputError.self) { try NpyMatrix(path: dir + "/t.npy") }
        #expect(truncated?.location.file == dir + "/t.npy")
        #expect(truncated?.location.byteOffset == Int64(bytes.count - 3))
        #expect(truncated?.message.contains("needs 16") == true)

        try FileSystem.writeAll(dir + "/m.npy", Array("PK\u{3}\u{4} not numpy".utf8))
        let magic = #expect(throws: InputError.self) { try NpyMatrix(path: dir + "/m.npy") }
        #expect(magic?.message.contains("bad magic") == true)

        var f8 = bytes
        let at = f8.firstRange(of: Array("<f4".utf8))!.lowerBound
        f8.replaceSubrange(at ..< at + 3, with: Array("<f8".utf8))
        try FileSystem.writeAll(dir + "/d.npy", f8)
        let dtype = #expect(throws: InputError.self) { try NpyMatrix(path: dir + "/d.npy") }
        #expect(dtype?.message.contains("float32") == true)
    }
}
