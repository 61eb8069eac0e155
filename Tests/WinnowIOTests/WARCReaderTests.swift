import Foundation
import Testing
import WinnowCore
import WinnowIO

@Suite("WARC reader")
struct WARCReaderTests {
    // MARK: - Real samples

    /// Independent expectations from a plain scan of the decompressed bytes: every header line
    /// `WARC-Type: response`, and the `WARC-Target-URI` of the same header section.
    static func scanResponses(_ path: String) throws -> (records: Int, responseURLs: [String]) {
        let bytes = try readDecompressed(path, chunk: 1 << 16)
        // Header sections start at a "WARC/x.y" line and end at the first empty line. (Split
        // bytes, not a String: in Swift "\r\n" is one Character.)
        var records = 0
        var urls: [String] = []
        var inHeader = false
        var isResponse = false
        var uri: String?
        var previousBlank = true
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            let line = String(decoding: raw.last == 0x0D ? raw.dropLast() : raw, as: UTF8.self)
            if !inHeader {
                if previousBlank && line.hasPrefix("WARC/") && line.count <= 10 {
                    inHeader = true
                    isResponse = false
                    uri = nil
                    records += 1
                }
                previousBlank = line.isEmpty
                continue
            }
            if line.isEmpty {
                if isResponse { urls.append(uri ?? "") }
                inHeader = false
                previousBlank = true
                continue
            }
            if line == "WARC-Type: response" { isResponse = true }
            if line.hasPrefix("WARC-Target-URI: ") {
                var u = String(line.dropFirst("WARC-Target-URI: ".count))
                if u.hasPrefix("<") && u.hasSuffix(">") { u = String(u.dropFirst().dropLast()) }
                uri = u
            }
        }
        return (records, urls)
    }

    @Test(
        "every sample file reads without error; records and response URLs match a plain scan",
        .enabled(if: SharedData.hasWARC, "\(SharedData.skipWARC)"))
    func samplesMatchScan() throws {
        var totalResponses = 0
        for path in SharedData.warcFiles {
            let expected = try Self.scanResponses(path)
            let (records, errors) = try readRecords(path)
            #expect(errors.isEmpty, "\(path): \(errors)")
            #expect(records.count == expected.records, "\(path)")
            var o = ReaderOptions()
            o.format = .warc
            o.warcRecordTypes = ["response"]
            o.contentTypes = ["*"]
            let name = (path as NSString).lastPathComponent
            let r = try makeReader(for: InputPiece(path: path, name: name, size: try FileSource.size(path: path)), options: o)
            let (docs, docErrors) = try readDocuments(r)
            #expect(docErrors.isEmpty, "\(path): \(docErrors)")
            #expect(docs.compactMap { $0.metadata["url"]?.stringValue } == expected.responseURLs, "\(path)")
            #expect(docs.allSatisfy { $0.metadata["http_status"] != nil })
            totalResponses += docs.count
        }
        // The README counts 16 + 29 + 22 + 15 responses.
        #expect(totalResponses == 82)
    }

    @Test("records of a gzip-per-record sample carry their member offsets", .enabled(if: SharedData.hasWARC, "\(SharedData.skipWARC)"))
    func memberOffsets() throws {
        let path = SharedData.warcFiles[0]
        let members = gzipMemberOffsets(try FileSystem.readAll(path))
        let (records, _) = try readRecords(path)
        #expect(records.map { $0.fileOffset.map(Int.init) ?? -1 } == members)
    }

    @Test("plain, whole-file gzip and zstd copies of a sample give the same records", .enabled(if: SharedData.hasWARC, "\(SharedData.skipWARC)"))
    func compressions() throws {
        let path = SharedData.warcFiles[0]
        let plain = try readDecompressed(path, chunk: 1 << 16)
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/plain.warc", plain)
        try FileSystem.writeAll(dir + "/whole.warc.gz", gzipMember(plain))
        try writeCompressed(dir + "/z.warc.zst", plain, .zstd)
        let reference = try readRecords(path).records
        let starts = occurrences(of: Array("WARC/1.0\r\n".utf8), in: plain)
        for copy in ["plain.warc", "whole.warc.gz", "z.warc.zst"] {
            let (records, errors) = try readRecords(dir + "/" + copy)
            #expect(errors.isEmpty, "\(copy)")
            #expect(records.map { $0.header("WARC-Record-ID") } == reference.map { $0.header("WARC-Record-ID") }, "\(copy)")
            #expect(records.map(\.block) == reference.map(\.block), "\(copy)")
            #expect(records.map { Int($0.offset) } == starts, "\(copy)")
        }
        // Offsets in the file: the decompressed offset for plain files, unknown inside one member.
        #expect(try readRecords(dir + "/plain.warc").records.map { $0.fileOffset.map(Int.init) } == starts.map { $0 })
        #expect(try readRecords(dir + "/whole.warc.gz").records.dropFirst().allSatisfy { $0.fileOffset == nil })
    }

    @Test("ClueWeb09-ja: EUC-JP pages decode through the HTTP charset", .enabled(if: SharedData.hasWARC, "\(SharedData.skipWARC)"))
    func clueWebJapanese() throws {
        guard let path = SharedData.warcFiles.first(where: { $0.contains("clueweb09-ja") }) else { return }
        var o = ReaderOptions()
        o.format = .warc
        let r = try WARCReader(piece: InputPiece(path: path, name: "ja.warc.gz", size: try FileSource.size(path: path)), options: o)
        let (docs, errors) = try readDocuments(r)
        #expect(errors.isEmpty)
        #expect(docs.count == 29)
        for d in docs {
            #expect(d.metadata["charset"]?.stringValue == "euc-jp")
            #expect(d.metadata["charset_source"]?.stringValue == "header")
            #expect(!d.text.contains("\u{FFFD}"))
        }
        #expect(docs[0].text.contains("ヘッドポーター"))
        #expect(docs[0].metadata["url"]?.stringValue == "http://www.uraharajuku.st/shopdetail/001005000005/019/000/order/")
    }

    // MARK: - Damage

    @Test("a truncated gzip WARC yields every complete record, then one error at the cut member", .enabled(if: SharedData.hasWARC, "\(SharedData.skipWARC)"))
    func truncatedGzip() throws {
        let source = SharedData.warcFiles[0]
        let bytes = try FileSystem.readAll(source)
        let members = gzipMemberOffsets(bytes)
        #expect(members.count > 10)
        let k = members.count / 2
        let cut = members[k] + (members[k + 1] - members[k]) / 2
        let dir = try temporaryFolder()
        let path = dir + "/cut.warc.gz"
        try FileSystem.writeAll(path, Array(bytes[0..<cut]))
        let (records, errors) = try readRecords(path)
        #expect(records.count == k)
        #expect(errors.count == 1)
        #expect(errors.first?.location.byteOffset == Int64(members[k]))
        #expect(errors.first?.location.file == path)
        #expect(errors.first.map { "\($0)".contains("byte \(members[k])") } == true)
    }

    @Test("a truncated plain WARC: complete records, then one error at the cut record's offset")
    func truncatedPlain() throws {
        var file: [UInt8] = []
        var starts: [Int] = []
        for i in 0..<5 {
            starts.append(file.count)
            file += httpRecord(uri: "http://x/\(i)", id: "r\(i)", headers: ["Content-Type: text/html"], body: Array("<p>page \(i)</p>".utf8))
        }
        let dir = try temporaryFolder()
        let path = dir + "/cut.warc"
        try FileSystem.writeAll(path, Array(file[0..<(starts[3] + 150)]))
        let (records, errors) = try readRecords(path)
        #expect(records.count == 3)
        #expect(errors.count == 1)
        #expect(errors.first?.location.byteOffset == Int64(starts[3]))
        #expect(errors.first?.message.contains("truncated") == true)
    }

    @Test("corrupt headers are reported at their offset and reading goes on at the next record")
    func corruptHeaders() throws {
        let good = { (i: Int) in httpRecord(uri: "http://x/\(i)", id: "r\(i)", headers: ["Content-Type: text/html"], body: Array("<p>\(i)</p>".utf8)) }
        var file = good(0)
        let badLength = file.count
        file += Array("WARC/1.0\r\nWARC-Type: response\r\nContent-Length: abc\r\n\r\nHTTP/1.1 200 OK\r\n\r\nlost\r\n\r\n".utf8)
        file += good(1)
        let garbage = file.count
        file += Array("this is not a WARC record at all\r\n\r\n".utf8)
        file += good(2)
        let noLength = file.count
        file += Array("WARC/1.0\r\nWARC-Type: response\r\n\r\n".utf8)
        file += good(3)
        let dir = try temporaryFolder()
        let path = dir + "/bad.warc"
        try FileSystem.writeAll(path, file)
        let (records, errors) = try readRecords(path)
        #expect(records.compactMap { $0.header("WARC-Target-URI") } == ["http://x/0", "http://x/1", "http://x/2", "http://x/3"])
        #expect(errors.map(\.location.byteOffset) == [Int64(badLength), Int64(garbage), Int64(noLength)])
        #expect(errors[0].message.contains("Content-Length 'abc'"))
        #expect(errors[1].message.contains("not a WARC record"))
        #expect(errors[2].message.contains("no Content-Length"))
    }

    @Test("quirks: a header line without a colon is ignored, an empty response is no document, a response without HTTP is an error")
    func quirks() throws {
        var file = Array("WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:q1>\r\nWARC-Target-URI: http://q/1\r\nstray line\r\n".utf8)
        let body = Array("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>q1</p>".utf8)
        file += Array("Content-Type: application/http\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body + Array("\r\n\r\n".utf8)
        file += warcRecord(type: "response", uri: "http://q/empty", id: "empty", contentType: "application/http; msgtype=response", block: [])
        let notHTTPAt = file.count
        file += warcRecord(type: "response", uri: "http://q/bad", id: "bad", contentType: "application/http; msgtype=response", block: Array("<html>no status line</html>".utf8))
        file += httpRecord(uri: "http://q/2", id: "q2", headers: ["Content-Type: text/html"], body: Array("<p>q2</p>".utf8))
        let dir = try temporaryFolder()
        let path = dir + "/q.warc"
        try FileSystem.writeAll(path, file)
        var o = ReaderOptions()
        o.format = .warc
        let (docs, errors) = try readDocuments(try WARCReader(piece: InputPiece(path: path, name: "q.warc", size: 1), options: o))
        #expect(docs.map(\.text) == ["<p>q1</p>", "<p>q2</p>"])
        #expect(errors.count == 1)
        #expect(errors.first?.location.byteOffset == Int64(notHTTPAt))
        #expect(errors.first?.message.contains("no HTTP response") == true)
    }

    @Test("a corrupt gzip member is one error; the reader resumes at the next member")
    func corruptMember() throws {
        var file: [UInt8] = []
        var starts: [Int] = []
        for i in 0..<6 {
            starts.append(file.count)
            let body = Array(String(repeating: "<p>page \(i) text text text</p>\n", count: 40).utf8)
            file += gzipMember(httpRecord(uri: "http://x/\(i)", id: "r\(i)", headers: ["Content-Type: text/html"], body: body))
        }
        // Damage the deflate data in the middle of member 2.
        let mid = starts[2] + (starts[3] - starts[2]) / 2
        for j in mid..<(mid + 12) { file[j] ^= 0xA5 }
        let dir = try temporaryFolder()
        let path = dir + "/damaged.warc.gz"
        try FileSystem.writeAll(path, file)
        let (records, errors) = try readRecords(path)
        #expect(records.compactMap { $0.header("WARC-Target-URI") } == ["http://x/0", "http://x/1", "http://x/3", "http://x/4", "http://x/5"])
        #expect(errors.count == 1)
        #expect(errors.first?.location.byteOffset == Int64(starts[2]))
    }

    @Test("a Content-Length running into the next gzip member is one error; the next records are read", arguments: [true, false])
    func overlongContentLength(kept: Bool) throws {
        var file: [UInt8] = []
        var starts: [Int] = []
        for i in 0..<5 {
            starts.append(file.count)
            var record = httpRecord(uri: "http://x/\(i)", id: "r\(i)", headers: ["Content-Type: text/html"], body: Array("<p>page \(i)</p>".utf8))
            if i == 2 {
                let text = String(decoding: record, as: UTF8.self)
                let length = text.components(separatedBy: "Content-Length: ")[1].prefix(while: { $0.isNumber })
                record = Array(text.replacingOccurrences(of: "Content-Length: \(length)", with: "Content-Length: \(Int(length)! + 400)").utf8)
            }
            file += gzipMember(record)
        }
        let dir = try temporaryFolder()
        let path = dir + "/long.warc.gz"
        try FileSystem.writeAll(path, file)
        let r = try WARCRecordReader(path: path)
        var uris: [String] = []
        var errors: [InputError] = []
        while true {
            do {
                // kept: the block is read into memory; not kept: it is skipped while streaming.
                guard let rec = try r.next(wantBlock: { _ in kept }) else { break }
                uris.append(rec.header("WARC-Target-URI") ?? "")
            } catch let e as InputError {
                errors.append(e)
            }
        }
        #expect(uris == ["http://x/0", "http://x/1", "http://x/3", "http://x/4"])
        #expect(errors.count == 1)
        #expect(errors.first?.location.byteOffset == Int64(starts[2]))
        #expect(errors.first?.message.contains("runs past") == true)
    }

    @Test("a record over max_record_bytes is an error; the next record is read")
    func maxRecordBytes() throws {
        var file = httpRecord(uri: "http://x/big", id: "big", headers: ["Content-Type: text/html"], body: [UInt8](repeating: 0x61, count: 5000))
        file += httpRecord(uri: "http://x/small", id: "small", headers: ["Content-Type: text/html"], body: Array("<p>ok</p>".utf8))
        let dir = try temporaryFolder()
        let path = dir + "/big.warc"
        try FileSystem.writeAll(path, file)
        var o = ReaderOptions()
        o.format = .warc
        o.maxRecordBytes = 1000
        let r = try WARCReader(piece: InputPiece(path: path, name: "big.warc", size: Int64(file.count)), options: o)
        let (docs, errors) = try readDocuments(r)
        #expect(docs.map(\.id) == ["urn:uuid:small"])
        #expect(errors.count == 1)
        #expect(errors.first?.location.byteOffset == 0)
        #expect(errors.first?.message.contains("max_record_bytes") == true)
    }

    // MARK: - Selection and payloads

    func readWARC(_ file: [UInt8], _ configure: (inout ReaderOptions) -> Void = { _ in }) throws -> [Document] {
        let dir = try temporaryFolder()
        let path = dir + "/t.warc.gz"
        try FileSystem.writeAll(path, gzipMember(file))
        var o = ReaderOptions()
        o.format = .warc
        configure(&o)
        let (docs, errors) = try readDocuments(try WARCReader(piece: InputPiece(path: path, name: "t.warc.gz", size: 1), options: o))
        #expect(errors.isEmpty, "\(errors)")
        return docs
    }

    @Test("record types and content types select the documents; metadata is filled")
    func selection() throws {
        var file = warcRecord(type: "warcinfo", id: "info", contentType: "application/warc-fields", block: Array("software: test\r\n".utf8))
        file += warcRecord(type: "request", uri: "http://a/", id: "req", contentType: "application/http; msgtype=request", block: Array("GET / HTTP/1.1\r\n\r\n".utf8))
        file += httpRecord(uri: "http://a/", id: "html", headers: ["Content-Type: text/html; charset=utf-8"], body: Array("<p>héllo</p>".utf8), status: "404 Not Found")
        file += httpRecord(uri: "http://a/img", id: "png", headers: ["Content-Type: image/png"], body: [0x89, 0x50, 0x4E, 0x47])
        file += warcRecord(type: "metadata", uri: "http://a/", id: "meta", contentType: "application/warc-fields", block: Array("x: y\r\n".utf8))
        file += warcRecord(type: "conversion", uri: "http://a/", id: "wet", contentType: "text/plain", block: Array("plain text héllo".utf8))
        let docs = try readWARC(file)
        #expect(docs.map(\.id) == ["urn:uuid:html", "urn:uuid:wet"])
        #expect(docs[0].text == "<p>héllo</p>")
        #expect(docs[0].metadata["http_status"] == .int(404))
        #expect(docs[0].metadata["url"]?.stringValue == "http://a/")
        #expect(docs[0].metadata["warc_date"]?.stringValue == "2024-01-02T03:04:05Z")
        #expect(docs[0].metadata["content_type"]?.stringValue == "text/html")
        #expect(docs[1].text == "plain text héllo")
        #expect(docs[1].metadata["warc_type"]?.stringValue == "conversion")

        let onlyResponses = try readWARC(file) { $0.warcRecordTypes = ["response"]; $0.contentTypes = ["image/*"] }
        #expect(onlyResponses.map(\.id) == ["urn:uuid:png"])
    }

    @Test("chunked and gzip-encoded bodies are undone; a Content-Encoding over a plain body is ignored")
    func bodies() throws {
        let chunked = Array("5\r\n<p>ab\r\n6\r\ncdef</\r\n2\r\np>\r\n0\r\n\r\n".utf8)
        var file = httpRecord(uri: "http://c/", id: "chunked", headers: ["Content-Type: text/html", "Transfer-Encoding: chunked"], body: chunked)
        file += httpRecord(uri: "http://g/", id: "gz", headers: ["Content-Type: text/html", "Content-Encoding: gzip"], body: gzipMember(Array("<p>zipped</p>".utf8)))
        file += httpRecord(uri: "http://p/", id: "plain", headers: ["Content-Type: text/html", "Content-Encoding: gzip"], body: Array("<p>stored decoded</p>".utf8))
        let docs = try readWARC(file)
        #expect(docs.map(\.text) == ["<p>abcdef</p>", "<p>zipped</p>", "<p>stored decoded</p>"])
    }

    // MARK: - Charsets

    static let shiftJIS = hexBytes(
        "93fa967b8cea82cc8345834683758379815b835782c582b78142938c8b9e937382c98f5a82f182c582a282dc82b781428da193fa82cd82c682c482e097c782a293568b4382c582b782cb814296be93fa82e090b082ea82e982c582b582e582a48142")
    static let shiftJISText = "日本語のウェブページです。東京都に住んでいます。今日はとても良い天気ですね。明日も晴れるでしょう。"

    @Test("charsets: latin-1 header, meta charset, Shift_JIS by meta and by detection, invalid UTF-8 replaced")
    func charsets() throws {
        let latin1 = Array("<p>caf".utf8) + [0xE9] + Array(" cr".utf8) + [0xE8] + Array("me</p>".utf8)
        var file = httpRecord(uri: "http://l/", id: "latin1", headers: ["Content-Type: text/html; charset=ISO-8859-1"], body: latin1)
        let cp1251 = Array("<html><head><meta charset=\"windows-1251\"></head><body>".utf8) + hexBytes("cff0e8e2e5f22c20ece8f02120ddf2ee20f2e5f1f22e") + Array("</body></html>".utf8)
        file += httpRecord(uri: "http://m/", id: "meta", headers: ["Content-Type: text/html"], body: cp1251)
        let sjisMeta = Array("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\"></head><body>".utf8) + Self.shiftJIS
        file += httpRecord(uri: "http://s/", id: "sjis-meta", headers: ["Content-Type: text/html"], body: sjisMeta)
        var sjisBare = Array("<html><body><p>".utf8)
        for _ in 0..<4 { sjisBare += Self.shiftJIS }
        file += httpRecord(uri: "http://d/", id: "sjis-detect", headers: ["Content-Type: text/html"], body: sjisBare)
        file += httpRecord(uri: "http://u/", id: "bad-utf8", headers: ["Content-Type: text/html; charset=utf-8"], body: Array("<p>ok ".utf8) + [0xFF, 0xFE] + Array(" ok</p>".utf8))
        let docs = try readWARC(file)
        #expect(docs.count == 5)
        #expect(docs[0].text == "<p>café crème</p>")
        #expect(docs[0].metadata["charset"]?.stringValue == "windows-1252")
        #expect(docs[0].metadata["charset_source"]?.stringValue == "header")
        #expect(docs[1].text.contains("Привет, мир! Это тест."))
        #expect(docs[1].metadata["charset_source"]?.stringValue == "meta")
        #expect(docs[2].text.hasSuffix(Self.shiftJISText))
        #expect(docs[2].metadata["charset"]?.stringValue == "shift_jis")
        #expect(docs[3].text.contains(Self.shiftJISText))
        #expect(docs[3].metadata["charset_source"]?.stringValue == "detected")
        #expect(docs[4].text == "<p>ok \u{FFFD}\u{FFFD} ok</p>")
    }

    @Test("an XML declaration names the charset of an XHTML page without <meta>")
    func xmlDeclaration() {
        let page = Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<html><p>na".utf8) + [0xEF, 0x76, 0x65] + Array("</p></html>".utf8)
        let d = CharsetDecoder.decode(page, declared: nil)
        #expect(d.text.contains("naïve"))
        #expect(d.charset == "windows-1252")
        #expect(d.source == .meta)
    }

    @Test("charset sniffing helpers", arguments: [
        ("<meta charset=\"ISO-8859-1\">", "ISO-8859-1"),
        ("<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=EUC-JP'>", "EUC-JP"),
        ("<meta name=x content=y><meta charset=utf-8 />", "utf-8"),
        ("<!-- <meta charset=koi8-r> --><p>nothing</p>", ""),
    ])
    func metaSniffing(html: String, expected: String) {
        let found = Array(html.utf8).withUnsafeBytes { CharsetDecoder.metaCharset($0) } ?? ""
        #expect(found == expected)
    }
}
