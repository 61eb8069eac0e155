import Testing
import WinnowCore
@testable import WinnowIO

/// A gzip-per-record WARC passes no byte of a member before the member's CRC-32 and length
/// check out (issue 15 §2.3, for the WARC reader's own gzip source).
@Suite("WARC gzip members are checked before use")
struct WARCMemberCheckTests {
    func file(damage: (inout [UInt8]) -> Void) throws -> (path: String, starts: [Int]) {
        var bytes: [UInt8] = []
        var starts: [Int] = []
        for i in 0..<5 {
            starts.append(bytes.count)
            var member = gzipMember(
                httpRecord(uri: "http://x/\(i)", id: "r\(i)", headers: ["Content-Type: text/html"], body: Array("<p>page \(i)</p>".utf8)))
            if i == 2 { damage(&member) }
            bytes += member
        }
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/m.warc.gz", bytes)
        return (dir + "/m.warc.gz", starts)
    }

    func read(_ path: String) throws -> (uris: [String], errors: [InputError]) {
        let r = try WARCRecordReader(path: path)
        var uris: [String] = []
        var errors: [InputError] = []
        while true {
            do {
                guard let rec = try r.next(wantBlock: { _ in true }) else { break }
                uris.append(rec.header("WARC-Target-URI") ?? "")
            } catch let e as InputError {
                errors.append(e)
            }
        }
        return (uris, errors)
    }

    @Test("a member whose CRC-32 does not match: its record never comes out, the others do", arguments: [0, 4])
    func badChecksum(trailerByte: Int) throws {
        // Byte 0–3 of the trailer is the CRC-32, 4–7 the length: the deflate data is intact, so
        // inflate produces the record's bytes and only the check at the member's end fails.
        let (path, starts) = try file { m in m[m.count - 8 + trailerByte] ^= 0x5A }
        let (uris, errors) = try read(path)
        #expect(uris == ["http://x/0", "http://x/1", "http://x/3", "http://x/4"])
        #expect(errors.count == 1)
        #expect(errors.first?.location.byteOffset == Int64(starts[2]))
    }

    @Test("a member larger than the buffering limit is checked by a separate pass, then streamed")
    func largeMember() throws {
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: GzipMemberSource.memberLimit + 1000)
        var bytes = Array("first line\n".utf8) + big + Array("\nlast line\n".utf8)
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/big.gz", gzipMember(bytes))
        let source = try GzipMemberSource(path: dir + "/big.gz", resyncPrefix: [])
        var out: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = try source.read(into: chunk)
            if n == 0 { break }
            out += chunk[0..<n]
        }
        #expect(out == bytes)
        // The same member with a wrong CRC: nothing at all comes out, one error.
        var damaged = gzipMember(bytes)
        damaged[damaged.count - 8] ^= 0x01
        try FileSystem.writeAll(dir + "/bad.gz", damaged)
        let bad = try GzipMemberSource(path: dir + "/bad.gz", resyncPrefix: [])
        var got = 0
        var failed = false
        while true {
            do {
                let n = try bad.read(into: chunk)
                if n == 0 { break }
                got += n
            } catch is InputError {
                failed = true
            }
        }
        #expect(failed)
        #expect(got == 0)
        bytes.removeAll()
    }
}
