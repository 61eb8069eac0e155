import Foundation
import Testing
import WinnowCore
import WinnowIO

@testable import WinnowParquet

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

/// The rows pyarrow read back from the fixtures' table (scripts/gen_parquet_fixtures.py), as
/// documents: `id`/`text` as such, every other column as metadata (null as `.null`).
func expectedDocuments() throws -> [Document] {
    let text = try String(contentsOfFile: fixtures + "/expected.jsonl", encoding: .utf8)
    let codec = JSONLCodec()
    return try text.split(separator: "\n").map { line in
        var l = String(line)
        return try l.withUTF8 { b in try codec.decode(UnsafeRawBufferPointer(b)) { "" } }
    }
}

func readAll(_ reader: DocumentReader) throws -> [Document] {
    var docs: [Document] = []
    while let d = try reader.next() { docs.append(d) }
    return docs
}

/// A fresh folder under the system's temporary folder, with a sentinel that must survive.
func scratchFolder(_ name: String = #function) throws -> String {
    let dir = NSTemporaryDirectory() + "winnow-parquet-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try Data("keep".utf8).write(to: URL(fileURLWithPath: dir + "/SENTINEL"))
    return dir
}

@Suite("Parquet reader: pyarrow-written fixtures")
struct ParquetFixtureTests {
    static let variants = [
        "default", "nodict", "v1", "v1_nodict_gzip", "v2", "v2_nodict_zstd", "zstd", "gzip", "none", "lz4", "row_groups",
        "small_pages", "small_pages_v2", "delta",
    ]

    @Test("every row and value of each pyarrow variant equals what pyarrow reads", arguments: variants)
    func readsVariant(_ name: String) throws {
        let expected = try expectedDocuments()
        let docs = try readAll(ParquetDocumentReader(path: fixtures + "/\(name).parquet"))
        #expect(docs.count == expected.count)
        for (a, b) in zip(docs, expected) {
            #expect(a.id == b.id)
            #expect(a.text == b.text, "\(name): \(a.id)")
            #expect(a.metadata == b.metadata, "\(name): \(a.id)")
        }
    }

    @Test("the fixtures cover data pages v1 and v2, dictionaries, the delta encodings and every codec")
    func fixturesCoverTheFormat() throws {
        var codecs: Set<Int> = []
        var pageTypes: Set<Int64> = []
        var encodings: Set<Int64> = []
        for name in Self.variants {
            let f = try ParquetFile(path: fixtures + "/\(name).parquet")
            for rg in f.rowGroups {
                for c in rg.chunks {
                    codecs.insert(c.codec)
                    // Walk the pages' headers.
                    var pos = c.start
                    var buf: [UInt8] = []
                    while pos < c.start + c.totalCompressedSize {
                        try f.read(offset: pos, count: Int(min(8192, f.size - pos)), into: &buf)
                        let (h, n) = try buf.withUnsafeBytes { b in
                            var d = ThriftDecoder(b)
                            return (try d.structure(), d.pos)
                        }
                        pageTypes.insert(h[1]!.int!)
                        if let e = h[5]?[2]?.int ?? h[8]?[4]?.int { encodings.insert(e) }
                        pos += Int64(n) + h[3]!.int!
                    }
                }
            }
        }
        #expect(codecs == [0, 1, 2, 6, 7])
        #expect(pageTypes == [0, 2, 3])
        #expect(encodings.isSuperset(of: [0, 5, 6, 7, 8, 9]))
    }

    @Test("a shard is a run of row groups: planned shards read back every row once, in order")
    func shardsByRowGroup() throws {
        let path = fixtures + "/row_groups.parquet"
        let file = try ParquetFile(path: path)
        #expect(file.rowGroups.count == 9)
        let expected = try expectedDocuments()
        for shardBytes: Int64 in [1, 3000, 1 << 30] {
            let shards = try planParquetShards(files: [path], root: fixtures, shardBytes: shardBytes)
            if shardBytes == 1 { #expect(shards.count == 9) }
            if shardBytes == 1 << 30 { #expect(shards.count == 1) }
            var docs: [Document] = []
            for s in shards {
                docs += try readAll(ParquetShardReader(pieces: s.pieces, mapping: ParquetColumnMapping()))
            }
            #expect(docs.map(\.id) == expected.map(\.id), "shard size \(shardBytes)")
            #expect(docs.map(\.text) == expected.map(\.text))
        }
    }

    @Test("projection: only the named metadata columns are read; text_key and id_key choose the columns")
    func projectionAndKeys() throws {
        let docs = try readAll(
            ParquetDocumentReader(
                path: fixtures + "/default.parquet", mapping: ParquetColumnMapping(textKey: "id", idKey: "n_int32", metadataColumns: ["flag"])))
        let expected = try expectedDocuments()
        #expect(docs.count == expected.count)
        for (row, (d, e)) in zip(docs, expected).enumerated() {
            #expect(d.text == e.id)
            #expect(d.metadata == ["flag": e.metadata["flag"]!])
            // An integer id in decimal; a null id is <file>/<row>.
            let n = e.metadata["n_int32"]!
            #expect(d.id == (n == .null ? fixtures + "/default.parquet/\(row)" : String(n.intValue!)))
        }
    }
}

@Suite("Parquet reader: unsupported and damaged input")
struct ParquetDamageTests {
    func copyFixture(_ name: String, to dir: String) throws -> (String, [UInt8]) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/\(name).parquet")))
        return (dir + "/\(name).parquet", bytes)
    }

    func write(_ bytes: [UInt8], _ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func parquetError(_ body: () throws -> Void) -> ParquetError? {
        do {
            try body()
        } catch let e as ParquetError {
            return e
        } catch {
            Issue.record("expected a ParquetError, got \(error)")
        }
        return nil
    }

    @Test("a nested column is refused naming it, and read around with input.columns; a null text is a row error")
    func nestedColumn() throws {
        let path = fixtures + "/nested.parquet"
        let e = parquetError { _ = try ParquetDocumentReader(path: path) }
        #expect(e?.column == "tags")
        #expect(e?.description.contains("nested column") == true)
        let reader = try ParquetDocumentReader(path: path, mapping: ParquetColumnMapping(metadataColumns: ["n"]))
        #expect(try reader.next()?.metadata == ["n": .int(1)])
        #expect(try reader.next()?.id == path + "/1")  // no id column: <name>/<row>
        do {
            _ = try reader.next()
            Issue.record("a null text must be an error")
        } catch let e as InputError {
            #expect(e.message.contains("row group 0, column 'text', row 2"))
            #expect(e.message.contains("null"))
        }
        #expect(try reader.next() == nil)
    }

    @Test("a truncated file (footer cut off) is refused naming the file")
    func truncatedFooter() throws {
        let dir = try scratchFolder()
        let (path, bytes) = try copyFixture("default", to: dir)
        for cut in [bytes.count - 1, bytes.count - 100, 11] {
            try write(Array(bytes[0..<cut]), path)
            let e = parquetError { _ = try ParquetFile(path: path) }
            #expect(e?.file == path)
            #expect(e?.message.contains(cut == 11 ? "shorter than the 12 bytes" : "does not end with the magic") == true, "\(cut): \(e?.message ?? "")")
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/SENTINEL"))
    }

    @Test("a file with a bad magic, or a damaged footer length, is refused")
    func badMagic() throws {
        let dir = try scratchFolder()
        var (path, bytes) = try copyFixture("default", to: dir)
        var b = bytes
        b[0] = 0x50; b[1] = 0x4B  // PK: a zip file
        try write(b, path)
        #expect(parquetError { _ = try ParquetFile(path: path) }?.message.contains("does not start with the magic 'PAR1'") == true)
        b = bytes
        let n = bytes.count
        b[n - 8] = 0xFF; b[n - 7] = 0xFF; b[n - 6] = 0xFF; b[n - 5] = 0x7F
        try write(b, path)
        #expect(parquetError { _ = try ParquetFile(path: path) }?.message.contains("footer length") == true)
        // Damaged Thrift: zero the footer's bytes.
        b = bytes
        let len = Int(bytes[n - 8]) | Int(bytes[n - 7]) << 8 | Int(bytes[n - 6]) << 16
        for i in (n - 8 - len)..<(n - 8) { b[i] = 0xFF }
        try write(b, path)
        #expect(parquetError { _ = try ParquetFile(path: path) }?.message.contains("damaged footer") == true)
        bytes = []
    }

    /// Rewrites the footer of `bytes` through `edit`.
    func rewriteFooter(_ bytes: [UInt8], _ edit: (inout [Int16: Thrift]) -> Void) throws -> [UInt8] {
        let n = bytes.count
        let len = Int(bytes[n - 8]) | Int(bytes[n - 7]) << 8 | Int(bytes[n - 6]) << 16 | Int(bytes[n - 5]) << 24
        let footer = Array(bytes[(n - 8 - len)..<(n - 8)])
        guard case .structure(var meta) = try footer.withUnsafeBytes({ b in var d = ThriftDecoder(b); return try d.structure() }) else {
            throw PageError("no footer")
        }
        edit(&meta)
        var enc = ThriftEncoder()
        enc.structure(meta)
        let m = UInt32(enc.out.count)
        return Array(bytes[0..<(n - 8 - len)]) + enc.out + [UInt8(m & 0xFF), UInt8(m >> 8 & 0xFF), UInt8(m >> 16 & 0xFF), UInt8(m >> 24)]
            + Array("PAR1".utf8)
    }

    /// Sets field `field` of the metadata of column chunk `column` of row group `group`.
    func setChunkField(_ meta: inout [Int16: Thrift], group: Int, column: Int, field: Int16, _ value: Thrift) {
        guard case .list(var groups) = meta[4]!, case .structure(var g) = groups[group], case .list(var cols) = g[1]!,
            case .structure(var c) = cols[column], case .structure(var md) = c[3]!
        else { return }
        md[field] = value
        c[3] = .structure(md)
        cols[column] = .structure(c)
        g[1] = .list(cols)
        groups[group] = .structure(g)
        meta[4] = .list(groups)
    }

    @Test("column chunk offsets outside the file are refused naming the row group and column")
    func wrongOffsets() throws {
        let dir = try scratchFolder()
        let (path, bytes) = try copyFixture("row_groups", to: dir)
        try write(try rewriteFooter(bytes) { setChunkField(&$0, group: 3, column: 1, field: 9, .int(Int64(bytes.count) * 2)) }, path)
        let e = parquetError { _ = try ParquetFile(path: path) }
        #expect(e?.rowGroup == 3)
        #expect(e?.column == "#1")
        #expect(e?.message.contains("offsets out of range") == true)
        // A data page offset inside the file but at the wrong place: a damaged page header,
        // reported for that row group; the other row groups are read.
        let good = try ParquetFile(path: fixtures + "/row_groups.parquet")
        let chunk = good.rowGroups[3].chunks[1]
        try write(try rewriteFooter(bytes) { setChunkField(&$0, group: 3, column: 1, field: 11, .int(chunk.start + 3)) }, path)
        let reader = try ParquetDocumentReader(path: path)
        var docs: [Document] = []
        var damaged: [DamagedDataError] = []
        while true {
            do {
                guard let d = try reader.next() else { break }
                docs.append(d)
            } catch let e as DamagedDataError {
                damaged.append(e)
            }
        }
        #expect(damaged.count == 1)
        #expect(damaged.first?.unit.contains("row group 3 (column 'text'") == true)
        #expect(docs.count == 60 - 7)
    }

    @Test("a page that decompresses wrongly loses its row group only, reported as damaged data")
    func corruptedPage() throws {
        let dir = try scratchFolder()
        let (path, bytes) = try copyFixture("row_groups", to: dir)
        let good = try ParquetFile(path: fixtures + "/row_groups.parquet")
        let chunk = good.rowGroups[1].chunks[1]  // text, row group 1
        // The data page's body starts after its header: find the header's length.
        var buf: [UInt8] = []
        try good.read(offset: chunk.dataPageOffset, count: Int(min(8192, good.size - chunk.dataPageOffset)), into: &buf)
        let headerLength = try buf.withUnsafeBytes { b in
            var d = ThriftDecoder(b)
            _ = try d.structure()
            return d.pos
        }
        var b = bytes
        let at = Int(chunk.dataPageOffset) + headerLength
        for i in at..<(at + 5) { b[i] = 0xFF }  // snappy's length varint: far too long
        try write(b, path)
        let reader = try ParquetDocumentReader(path: path)
        var ids: [String] = []
        var damaged: [DamagedDataError] = []
        while true {
            do {
                guard let d = try reader.next() else { break }
                ids.append(d.id)
            } catch let e as DamagedDataError {
                damaged.append(e)
            }
        }
        #expect(damaged.count == 1)
        let e = try #require(damaged.first)
        #expect(e.file == path)
        #expect(e.unit.contains("row group 1 (column 'text'"))
        #expect(e.reason.contains("snappy"))
        #expect(e.reason.contains("rows 7..<14"))
        let expected = try expectedDocuments().map(\.id)
        #expect(ids == Array(expected[0..<7] + expected[14...]))
    }

    @Test("invalid UTF-8 in a string is an error naming row group, column and row; the next rows are read")
    func invalidUTF8() throws {
        let dir = try scratchFolder()
        let (path, bytes) = try copyFixture("none", to: dir)
        // The file is uncompressed and plain: patch the id "doc-0007" in place.
        let needle = Array("doc-0007".utf8)
        var b = bytes
        var hits = 0
        for i in 0..<(b.count - needle.count) where Array(b[i..<(i + needle.count)]) == needle {
            b[i + 4] = 0xFF
            hits += 1
        }
        #expect(hits >= 1)
        try write(b, path)
        let reader = try ParquetDocumentReader(path: path)
        var ids: [String] = []
        var errors: [InputError] = []
        while true {
            do {
                guard let d = try reader.next() else { break }
                ids.append(d.id)
            } catch let e as InputError {
                errors.append(e)
            }
        }
        #expect(errors.count == 1)
        #expect(errors.first?.message == "row group 0, column 'id', row 7: invalid UTF-8 in a string value")
        #expect(errors.first?.location.file == path)
        #expect(errors.first?.record == [0x64, 0x6F, 0x63, 0x2D, 0xFF, 0x30, 0x30, 0x37])
        #expect(ids.count == 59)
        #expect(!ids.contains("doc-0007"))
        #expect(ids.contains("doc-0008"))
    }
}
