import Foundation
import Testing
import WinnowCore
import WinnowIO

/// A damaged record costs one error and nothing else: the reader resynchronises at the next
/// record header whatever the damage (a wrong Content-Length, garbage between records), in plain
/// and gzip-per-record files.
@Suite("WARC reader: resync after damage")
struct WARCResyncTests {
    /// One record: version, headers (Content-Length last, replaceable) and block.
    struct Rec {
        var headers: [(String, String)]
        var block: [UInt8]
        var uri: String { headers.first { $0.0 == "WARC-Target-URI" }?.1 ?? "" }

        func bytes(contentLength: String? = nil) -> [UInt8] {
            var h = "WARC/1.0\r\n"
            for (k, v) in headers where k.lowercased() != "content-length" { h += "\(k): \(v)\r\n" }
            h += "Content-Length: \(contentLength ?? String(block.count))\r\n\r\n"
            return Array(h.utf8) + block + Array("\r\n\r\n".utf8)
        }
    }

    /// 20 records: the first 20 response records of a Common Crawl sample when
    /// ../shared/data is there, else generated ones, each with a distinct URI.
    static func twentyRecords() throws -> [Rec] {
        var recs: [Rec] = []
        let sample = SharedData.warcSamples + "/resiliparse-CC-MAIN-2020-34-sample.warc.gz"
        if FileManager.default.fileExists(atPath: sample) {
            let (records, errors) = try readRecords(sample)
            precondition(errors.isEmpty)
            for r in records where r.type == "response" && recs.count < 20 {
                recs.append(Rec(headers: r.headers.map { ($0.name, $0.value) }, block: r.block))
            }
        }
        var i = recs.count
        while recs.count < 20 {
            let body = Array("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>generated page \(i)</p>\n".utf8)
            recs.append(Rec(headers: [("WARC-Type", "response"), ("WARC-Target-URI", "http://gen/\(i)"),
                                      ("WARC-Record-ID", "<urn:uuid:gen-\(i)>"), ("Content-Type", "application/http; msgtype=response")],
                            block: body))
            i += 1
        }
        return recs
    }

    enum Damage: String, CaseIterable, CustomStringConvertible {
        case hugeLength, lengthTooLarge, lengthTooSmall, garbageBefore
        var description: String { rawValue }
    }

    /// Writes the 20 records with record 10 (index 9) damaged; returns the path and the stored
    /// offset where the damage starts (the record's start or its gzip member's).
    static func write(_ recs: [Rec], damage: Damage, gzip: Bool, in dir: String) throws -> (String, Int) {
        var file: [UInt8] = []
        var damagedAt = 0
        for (i, r) in recs.enumerated() {
            var bytes = r.bytes()
            if i == 9 {
                damagedAt = file.count
                switch damage {
                case .hugeLength: bytes = r.bytes(contentLength: "99999999999")
                case .lengthTooLarge: bytes = r.bytes(contentLength: String(r.block.count + 300))
                case .lengthTooSmall: bytes = r.bytes(contentLength: String(max(0, r.block.count - 300)))
                case .garbageBefore:
                    // 3,000 bytes without a final newline, then the record.
                    var g: [UInt8] = []
                    var x: UInt32 = 12345
                    while g.count < 3000 {
                        x = x &* 1_103_515_245 &+ 12345
                        let c = UInt8(truncatingIfNeeded: x >> 16)
                        g.append(c == 0x0A || c == 0x0D ? 0x20 : c)
                    }
                    bytes = g + bytes
                }
            }
            file += gzip ? gzipMember(bytes) : bytes
        }
        let path = dir + "/damaged-\(damage).warc" + (gzip ? ".gz" : "")
        try FileSystem.writeAll(path, file)
        return (path, damagedAt)
    }

    @Test("every good record comes out, the damaged one is one error with file and offset",
          arguments: Damage.allCases, [false, true])
    func resync(damage: Damage, gzip: Bool) throws {
        let recs = try Self.twentyRecords()
        let dir = try temporaryFolder()
        let (path, damagedAt) = try Self.write(recs, damage: damage, gzip: gzip, in: dir)
        let (records, errors) = try readRecords(path)
        let expected = damage == .garbageBefore ? recs : recs.enumerated().filter { $0.offset != 9 }.map(\.element)
        #expect(records.map { $0.header("WARC-Target-URI") ?? "" } == expected.map(\.uri))
        // No record swallowed another's bytes: every block is exactly as written.
        #expect(records.map(\.block) == expected.map(\.block))
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.location.file == path)
        #expect(errors.first?.location.byteOffset == Int64(damagedAt), "\(errors)")
    }

    @Test("both ways of reading a block (kept in memory, skipped while streaming) resync the same", arguments: Damage.allCases)
    func resyncWhenSkipping(damage: Damage) throws {
        let recs = try Self.twentyRecords()
        let dir = try temporaryFolder()
        let (path, damagedAt) = try Self.write(recs, damage: damage, gzip: false, in: dir)
        let r = try WARCRecordReader(path: path)
        var uris: [String] = []
        var errors: [InputError] = []
        while true {
            do {
                guard let rec = try r.next(wantBlock: { _ in false }) else { break }
                uris.append(rec.header("WARC-Target-URI") ?? "")
            } catch let e as InputError {
                errors.append(e)
            }
        }
        let expected = damage == .garbageBefore ? recs : recs.enumerated().filter { $0.offset != 9 }.map(\.element)
        #expect(uris == expected.map(\.uri))
        #expect(errors.map(\.location.byteOffset) == [Int64(damagedAt)], "\(errors)")
    }

    @Test("a record whose content holds a WARC record (a WARC inside a WARC) is read whole", arguments: [true, false])
    func embeddedRecordIsContent(kept: Bool) throws {
        let inner = Rec(headers: [("WARC-Type", "resource"), ("WARC-Target-URI", "http://inner/")], block: Array("inner".utf8)).bytes()
        let outerBlock = Array("HTTP/1.1 200 OK\r\nContent-Type: application/warc\r\n\r\n".utf8) + inner + Array("trailer\n".utf8)
        let outer = Rec(headers: [("WARC-Type", "response"), ("WARC-Target-URI", "http://outer/")], block: outerBlock)
        let after = Rec(headers: [("WARC-Type", "response"), ("WARC-Target-URI", "http://after/")], block: Array("HTTP/1.1 200 OK\r\n\r\nx".utf8))
        let dir = try temporaryFolder()
        let path = dir + "/nested.warc"
        try FileSystem.writeAll(path, outer.bytes() + after.bytes())
        let r = try WARCRecordReader(path: path)
        var got: [WARCRecord] = []
        while let rec = try r.next(wantBlock: { _ in kept }) { got.append(rec) }
        #expect(got.map { $0.header("WARC-Target-URI") ?? "" } == ["http://outer/", "http://after/"])
        if kept { #expect(got.first?.block == outerBlock) }
    }
}
