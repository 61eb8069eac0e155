import CZlib
import CZstd
import Foundation
import Testing
import WinnowCore
import WinnowIO

// Damaged and hostile input at the reading layer (issue 15, §2 items 1, 3, 6, 8, 11). The bug
// tests use only what the readers offered before the fix (documents, errors and their text), so
// they ran against the old code too; each failed there.

/// gzip as zlib (and `gzip`) writes it: one member.
func zlibGzip(_ data: [UInt8], level: Int32 = 6) -> [UInt8] {
    var s = z_stream()
    _ = czlib_deflateInit2(&s, level, 31)
    defer { deflateEnd(&s) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&s, uLong(data.count))) + 64)
    data.withUnsafeBufferPointer { inp in
        out.withUnsafeMutableBufferPointer { o in
            s.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
            s.avail_in = uInt(inp.count)
            s.next_out = o.baseAddress
            s.avail_out = uInt(o.count)
            _ = deflate(&s, Z_FINISH)
        }
    }
    out.removeLast(Int(s.avail_out))
    return out
}

/// A zstd frame, with or without a content checksum.
func zstdFrame(_ data: [UInt8], checksum: Bool) -> [UInt8] {
    let cctx = ZSTD_createCCtx()
    defer { ZSTD_freeCCtx(cctx) }
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3)
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum ? 1 : 0)
    var out = [UInt8](repeating: 0, count: ZSTD_compressBound(data.count))
    let n = out.withUnsafeMutableBytes { o in
        data.withUnsafeBytes { i in ZSTD_compress2(cctx, o.baseAddress, o.count, i.baseAddress, i.count) }
    }
    return Array(out.prefix(n))
}

/// A gzip member (written by zlib) that inflates to `mebibytes` MiB of zero bytes: the classic
/// decompression bomb (about 1,000:1). With `lie`, the trailer's size field says 4 KiB.
func zeroBomb(mebibytes: Int, lie: Bool) -> [UInt8] {
    var s = z_stream()
    _ = czlib_deflateInit2(&s, 9, 31)
    defer { deflateEnd(&s) }
    let zeros = [UInt8](repeating: 0, count: 1 << 20)
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    for k in 0..<mebibytes {
        zeros.withUnsafeBufferPointer { inp in
            s.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
            s.avail_in = uInt(inp.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { o in
                    s.next_out = o.baseAddress
                    s.avail_out = uInt(o.count)
                    _ = deflate(&s, k == mebibytes - 1 ? Z_FINISH : Z_NO_FLUSH)
                    return o.count - Int(s.avail_out)
                }
                out += chunk[0..<produced]
            } while s.avail_out == 0 || (k == mebibytes - 1 && s.avail_in > 0)
        }
    }
    if lie {
        let n = out.count
        out[n - 4] = 0x00
        out[n - 3] = 0x10
        out[n - 2] = 0
        out[n - 1] = 0
    }
    return out
}

/// JSONL records with distinct ids and texts.
func records(_ count: Int, textBytes: Int = 40, seed: UInt64 = 7) -> [(id: String, text: String)] {
    var rng = SplitMix(state: seed)
    let words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa"]
    return (0..<count).map { i in
        var t = "record \(i)"
        while t.utf8.count < textBytes { t += " " + words[Int(rng.next() % UInt64(words.count))] }
        return ("r\(i)", t)
    }
}

func jsonl(_ recs: [(id: String, text: String)]) -> [UInt8] {
    var out: [UInt8] = []
    for r in recs { JSONLCodec().encode(Document(id: r.id, text: r.text), into: &out) }
    return out
}

/// Reads every document of a file, going on after each error (as `on_error: skip` does).
func readAllSkipping(_ path: String, options: ReaderOptions = ReaderOptions()) throws -> (docs: [Document], errors: [String]) {
    let r = try makeReader(for: InputShard(index: 0, path: path, name: "x", size: 0), options: options)
    var docs: [Document] = []
    var errors: [String] = []
    var guardCount = 0
    while guardCount < 1_000_000 {
        guardCount += 1
        do {
            guard let d = try r.next() else { break }
            docs.append(d)
        } catch {
            errors.append(String(describing: error))
        }
    }
    return (docs, errors)
}

/// Flips `count` bytes from `at` (XOR 0xA5).
func flip(_ bytes: inout [UInt8], at: Int, count: Int = 64) {
    for i in at..<(at + count) { bytes[i] ^= 0xA5 }
}

@Suite("Damaged and hostile input")
struct DamagedInputTests {
    // MARK: - Item 3: corrupt gzip members and zstd frames

    /// Every document is one of the originals, unchanged.
    func expectIntact(_ docs: [Document], _ originals: [(id: String, text: String)]) {
        let byID = Dictionary(uniqueKeysWithValues: originals.map { ($0.id, $0.text) })
        for d in docs {
            #expect(byID[d.id] == d.text, "garbled or unknown record passed as good: \(d.id)")
        }
        #expect(Set(docs.map(\.id)).count == docs.count)
    }

    @Test("64 bytes flipped in a one-member .jsonl.gz (as gzip writes it): no record of the member passes; one error names the byte range")
    func corruptSingleMember() throws {
        let dir = try temporaryFolder()
        let recs = records(5000)
        var gz = zlibGzip(jsonl(recs))
        flip(&gz, at: gz.count / 2)
        let path = dir + "/c.jsonl.gz"
        try FileSystem.writeAll(path, gz)
        let (docs, errors) = try readAllSkipping(path)
        expectIntact(docs, recs)
        #expect(docs.isEmpty)  // the only member failed its check
        #expect(errors.count == 1)
        #expect(errors.first?.contains("compressed bytes 0..<\(gz.count)") == true, "\(errors)")
        #expect(errors.first?.contains("gzip member") == true)
    }

    @Test("a damaged member of a multi-member .jsonl.gz (Winnow's writer at an explicit level): only its records are dropped, later members still come out")
    func corruptMultiMember() throws {
        let dir = try temporaryFolder()
        let recs = records(5000, textBytes: 1000)  // ~5 MB: five 1 MiB members
        let path = dir + "/m.jsonl.gz"
        let w = try CompressedWriter(path: path, compression: .gzip, level: 6)
        try jsonl(recs).withUnsafeBytes { try w.write($0) }
        try w.commit()
        var gz = try FileSystem.readAll(path)
        flip(&gz, at: gz.count / 2)
        try FileSystem.writeAll(path, gz)
        let (docs, errors) = try readAllSkipping(path)
        expectIntact(docs, recs)
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.contains("damaged gzip member") == true)
        #expect(docs.first?.id == "r0")
        #expect(docs.last?.id == "r4999")  // resynced at the next member
        let missing = recs.count - docs.count
        #expect(missing > 0 && missing < 2000)
        // The dropped records are one contiguous run, and the error estimates their count (the
        // damaged member's lines can only be counted in its garbled output).
        let kept = Set(docs.map(\.id))
        let gap = recs.indices.filter { !kept.contains(recs[$0].id) }
        #expect(gap.last! - gap.first! + 1 == gap.count)
        #expect(errors.first?.contains("lines dropped") == true, "\(errors) missing \(missing)")
    }

    @Test("the same damage read as text lines and paragraphs drops only what it touches")
    func corruptMultiMemberText() throws {
        let dir = try temporaryFolder()
        var lines: [String] = []
        for i in 0..<6000 { lines.append("line \(i) " + String(repeating: "words ", count: 100 + i % 50)) }
        let path = dir + "/t.txt.gz"
        let w = try CompressedWriter(path: path, compression: .gzip, level: 6)
        try Array(lines.joined(separator: "\n").utf8).withUnsafeBytes { try w.write($0) }
        try w.commit()
        var gz = try FileSystem.readAll(path)
        flip(&gz, at: gz.count / 2)
        try FileSystem.writeAll(path, gz)
        var o = ReaderOptions()
        o.format = .text
        o.split = .line
        let (docs, errors) = try readAllSkipping(path, options: o)
        let all = Set(lines)
        #expect(docs.allSatisfy { all.contains($0.text) })
        #expect(errors.count == 1)
        #expect(docs.last?.text == lines.last)
        o.split = .file
        let (whole, wholeErrors) = try readAllSkipping(path, options: o)
        #expect(whole.isEmpty)  // the file is one document, and it is damaged
        #expect(wholeErrors.count == 1)
    }

    @Test("a truncated .gz: the bytes before the cut are used (only the trailer's check is missing), the cut line is dropped, one error", arguments: [false, true])
    func truncatedGzip(multiMember: Bool) throws {
        let dir = try temporaryFolder()
        let recs = records(3000, textBytes: 1000)
        let path = dir + "/t.jsonl.gz"
        if multiMember {
            let w = try CompressedWriter(path: path, compression: .gzip, level: 6)
            try jsonl(recs).withUnsafeBytes { try w.write($0) }
            try w.commit()
        } else {
            try FileSystem.writeAll(path, zlibGzip(jsonl(recs)))
        }
        let full = try FileSystem.readAll(path)
        try FileSystem.writeAll(path, Array(full.prefix(full.count * 3 / 4)))
        let (docs, errors) = try readAllSkipping(path)
        expectIntact(docs, recs)
        #expect(errors.count == 1)
        #expect(errors.first?.contains("truncated: the file ends inside") == true, "\(errors)")
        #expect(errors.first?.contains("about 1 line dropped") == true, "\(errors)")
        #expect(docs.count > 2000 && docs.count < 2400)
        #expect(docs.map(\.id) == recs.prefix(docs.count).map(\.id))
    }

    @Test("bytes after the last gzip member: every record comes out, then one error for the garbage; zero padding is fine")
    func trailingGarbage() throws {
        let dir = try temporaryFolder()
        let recs = records(500)
        let gz = zlibGzip(jsonl(recs))
        var rng = SplitMix(state: 11)
        let garbage = (0..<3000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try FileSystem.writeAll(dir + "/g.jsonl.gz", gz + garbage)
        let (docs, errors) = try readAllSkipping(dir + "/g.jsonl.gz")
        #expect(docs.map(\.id) == recs.map(\.id))
        #expect(errors.count == 1)
        #expect(errors.first?.contains("compressed bytes \(gz.count)..<\(gz.count + 3000)") == true, "\(errors)")
        try FileSystem.writeAll(dir + "/z.jsonl.gz", gz + [UInt8](repeating: 0, count: 512))
        let (zdocs, zerrors) = try readAllSkipping(dir + "/z.jsonl.gz")
        #expect(zdocs.count == 500 && zerrors.isEmpty)
    }

    @Test("a damaged zstd frame is dropped whole and the next frame comes out", arguments: [true, false])
    func corruptZstdFrame(checksum: Bool) throws {
        let dir = try temporaryFolder()
        let recs = records(3000, textBytes: 200)
        let parts = [Array(recs[0..<1000]), Array(recs[1000..<2000]), Array(recs[2000...])]
        let frames = parts.map { zstdFrame(jsonl($0), checksum: checksum) }
        var bytes = frames[0] + frames[1] + frames[2]
        // Damage the middle frame: its block data with a checksum, its first block's header
        // without one (the only damage a frame without a checksum is sure to show).
        let at = frames[0].count + (checksum ? frames[1].count / 2 : 6)
        flip(&bytes, at: at, count: checksum ? 64 : 3)
        let path = dir + "/f.jsonl.zst"
        try FileSystem.writeAll(path, bytes)
        let (docs, errors) = try readAllSkipping(path)
        expectIntact(docs, recs)
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.contains("zstd frame") == true)
        #expect(errors.first?.contains("compressed bytes \(frames[0].count)..<\(frames[0].count + frames[1].count)") == true, "\(errors)")
        #expect(docs.first?.id == "r0" && docs.last?.id == "r2999")
        #expect(!docs.contains { $0.id == "r1500" })
    }

    @Test("a truncated .zst: the records before the cut, then one error")
    func truncatedZstd() throws {
        let dir = try temporaryFolder()
        let recs = records(2000, textBytes: 400)  // several 128 KiB blocks per frame
        let a = zstdFrame(jsonl(Array(recs[0..<1000])), checksum: true)
        let b = zstdFrame(jsonl(Array(recs[1000...])), checksum: true)
        try FileSystem.writeAll(dir + "/t.jsonl.zst", a + b.prefix(b.count / 2))
        let (docs, errors) = try readAllSkipping(dir + "/t.jsonl.zst")
        expectIntact(docs, recs)
        #expect(docs.count > 1000 && docs.count < 1600)
        #expect(docs.map(\.id) == recs.prefix(docs.count).map(\.id))
        #expect(errors.count == 1 && errors.first?.contains("truncated: the file ends inside the zstd frame") == true, "\(errors)")
    }

    // MARK: - Item 1: decompression bombs

    @Test("a gzip bomb (zeros, honest or lying trailer) reads within the unit limit and the line limit", arguments: [false, true])
    func gzipBomb(lie: Bool) throws {
        let dir = try temporaryFolder()
        let path = dir + "/bomb.jsonl.gz"
        try FileSystem.writeAll(path, zeroBomb(mebibytes: 384, lie: lie))
        let limit = 16 << 20
        let source = try VerifiedSource(path: path, compression: .gzip, unitLimit: limit)
        let lines = LineReader(source: source, path: path, maxLineBytes: 1 << 20)
        var errors: [String] = []
        var count = 0
        while true {
            do {
                guard try lines.next() != nil else { break }
                count += 1
            } catch {
                errors.append(String(describing: error))
            }
        }
        #expect(count == 0)
        #expect(errors.count == 1)
        if lie {
            #expect(errors.first?.contains("incorrect length check") == true, "\(errors)")
        } else {
            #expect(errors.first?.contains("max_line_bytes") == true, "\(errors)")
        }
        #expect(source.peakBufferBytes <= limit)
        #expect(lines.bufferCapacity <= (1 << 20) + 2)
    }

    @Test("a member larger than the unit limit is checked, then streamed: same bytes, bounded buffer")
    func largeMemberStreams() throws {
        let dir = try temporaryFolder()
        let recs = records(40_000, textBytes: 100)
        let data = jsonl(recs)
        let path = dir + "/big.jsonl.gz"
        try FileSystem.writeAll(path, zlibGzip(data, level: 1))
        let limit = 1 << 20
        let source = try VerifiedSource(path: path, compression: .gzip, unitLimit: limit)
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 70_000)
        while true {
            let n = try buf.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            out += buf[0..<n]
        }
        #expect(out == data)
        #expect(source.peakBufferBytes <= limit)
    }

    // MARK: - Item 6: byte order marks

    @Test("a UTF-8 byte order mark at the start of a JSONL or text file is dropped", arguments: [false, true])
    func byteOrderMark(gzip: Bool) throws {
        let dir = try temporaryFolder()
        let body = [0xEF, 0xBB, 0xBF] + Array("{\"id\":\"a\",\"text\":\"first\"}\n{\"id\":\"b\",\"text\":\"second\"}\n".utf8)
        let path = dir + "/bom.jsonl" + (gzip ? ".gz" : "")
        try FileSystem.writeAll(path, gzip ? zlibGzip(body) : body)
        let (docs, errors) = try readAllSkipping(path)
        #expect(errors.isEmpty, "\(errors)")
        #expect(docs.map(\.text) == ["first", "second"])
        let text = [0xEF, 0xBB, 0xBF] + Array("héllo\nworld\n".utf8)
        try FileSystem.writeAll(dir + "/bom.txt", text)
        var o = ReaderOptions()
        o.format = .text
        o.split = .line
        #expect(try readAllSkipping(dir + "/bom.txt", options: o).docs.map(\.text) == ["héllo", "world"])
        o.split = .file
        #expect(try readAllSkipping(dir + "/bom.txt", options: o).docs.map(\.text) == ["héllo\nworld"])
        // Only at the start of the file: elsewhere the bytes are text.
        try FileSystem.writeAll(dir + "/mid.txt", Array("a\n".utf8) + [0xEF, 0xBB, 0xBF] + Array("b\n".utf8))
        o.split = .line
        #expect(try readAllSkipping(dir + "/mid.txt", options: o).docs.map(\.text) == ["a", "\u{FEFF}b"])
    }

    // MARK: - Item 8: max_line_bytes is exact

    @Test("max_line_bytes: a line of exactly the limit is read, one byte more is refused (LF and CRLF, plain and gzip)", arguments: [false, true])
    func exactLineLimit(gzip: Bool) throws {
        let dir = try temporaryFolder()
        let limit = 1 << 20
        func line(_ total: Int) -> [UInt8] {
            let prefix = Array("{\"text\":\"".utf8)
            let suffix = Array("\"}".utf8)
            return prefix + [UInt8](repeating: 0x78, count: total - prefix.count - suffix.count) + suffix
        }
        var o = ReaderOptions()
        o.maxLineBytes = limit
        for (size, ending, accepted) in [
            (limit, "\n", true), (limit + 1, "\n", false), (limit, "\r\n", true), (limit + 1, "\r\n", false),
            (2_000_025, "\n", false),
        ] as [(Int, String, Bool)] {
            let body = Array("{\"text\":\"a\"}\n".utf8) + line(size) + Array(ending.utf8) + Array("{\"text\":\"b\"}\n".utf8)
            let path = dir + "/l-\(size)-\(ending.utf8.count).jsonl" + (gzip ? ".gz" : "")
            try FileSystem.writeAll(path, gzip ? zlibGzip(body) : body)
            let (docs, errors) = try readAllSkipping(path, options: o)
            #expect(docs.count == (accepted ? 3 : 2), "size \(size) ending \(ending.debugDescription)")
            #expect(errors.count == (accepted ? 0 : 1), "size \(size): \(errors)")
            if !accepted { #expect(errors.first?.contains("max_line_bytes") == true) }
        }
    }

    @Test("a final line without a line end obeys the limit too")
    func exactLimitLastLine() throws {
        let dir = try temporaryFolder()
        var o = ReaderOptions()
        o.format = .text
        o.split = .line
        o.maxLineBytes = 1000
        try FileSystem.writeAll(dir + "/a.txt", Array("short\n".utf8) + [UInt8](repeating: 0x61, count: 1000))
        try FileSystem.writeAll(dir + "/b.txt", Array("short\n".utf8) + [UInt8](repeating: 0x61, count: 1001))
        #expect(try readAllSkipping(dir + "/a.txt", options: o).docs.count == 2)
        let b = try readAllSkipping(dir + "/b.txt", options: o)
        #expect(b.docs.count == 1 && b.errors.count == 1)
    }

    // MARK: - Item 11: empty files

    @Test("an empty file: zero documents for JSONL and text, a clear 'empty' error for a MediaWiki dump, whatever the compression")
    func emptyFiles() throws {
        let dir = try temporaryFolder()
        let emptyGzipMember = zlibGzip([])
        let emptyZstdFrame = zstdFrame([], checksum: true)
        let variants: [(String, [UInt8])] = [
            ("", []), (".gz", []), (".gz", emptyGzipMember), (".zst", []), (".zst", emptyZstdFrame), (".bz2", []),
            (".bz2", [0x42, 0x5A, 0x68, 0x39, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, 0, 0, 0, 0]),  // bzip2 < /dev/null
        ]
        for (k, (ext, bytes)) in variants.enumerated() {
            var o = ReaderOptions()
            if ext != ".bz2" {
                try FileSystem.writeAll(dir + "/e\(k).jsonl\(ext)", bytes)
                let j = try readAllSkipping(dir + "/e\(k).jsonl\(ext)", options: o)
                #expect(j.docs.isEmpty && j.errors.isEmpty, "jsonl\(ext): \(j.errors)")
                o.format = .text
                for split in TextSplit.allCases {
                    o.split = split
                    try FileSystem.writeAll(dir + "/e\(k).txt\(ext)", bytes)
                    let t = try readAllSkipping(dir + "/e\(k).txt\(ext)", options: o)
                    #expect(t.docs.isEmpty && t.errors.isEmpty, "txt\(ext) \(split): \(t.docs.count) docs \(t.errors)")
                }
            }
            o.format = .mediawiki
            let wiki = dir + "/e\(k).xml\(ext)"
            try FileSystem.writeAll(wiki, bytes)
            let w = try readAllSkipping(wiki, options: o)
            #expect(w.docs.isEmpty)
            #expect(w.errors.count == 1 && w.errors.first?.contains("the file is empty") == true, "xml\(ext): \(w.errors)")
        }
    }
}
