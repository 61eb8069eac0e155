import Testing
import WinnowCore
import WinnowIO

/// An unknown or bogus declared charset falls back to detection among ASCII-compatible
/// charsets: only a byte-order mark makes a page UTF-16.
@Suite("Charset: unknown labels and the ASCII-compatible fallback")
struct CharsetFallbackTests {
    /// A short Latin-1 page (the kind ICU's detector, unrestricted, took for UTF-16BE).
    static func latin1Page(meta: String) -> [UInt8] {
        Array("<html><head>\(meta)<title>Caf".utf8) + [0xE9] + Array("</title></head><body><p>Cr".utf8) + [0xE8]
            + Array("me br".utf8) + [0xFB] + Array("l".utf8) + [0xE9] + Array("e ".utf8) + [0xE0]
            + Array(" volont".utf8) + [0xE9] + Array(".</p></body></html>".utf8)
    }

    /// A page whose only text is "été": ICU's detector, unrestricted, ranks UTF-16BE first.
    static func tinyPage(meta: String) -> [UInt8] {
        Array("<html><head>\(meta)</head><body>".utf8) + [0xE9] + Array("t".utf8) + [0xE9] + Array("</body></html>".utf8)
    }

    @Test("a bogus <meta charset> on a short Latin-1 page decodes as Latin-1, not as CJK", arguments: [
        "<meta charset=\"x-bogus-9\">", "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=no-such-charset\">", "",
    ])
    func bogusMeta(meta: String) {
        let tiny = CharsetDecoder.decode(Self.tinyPage(meta: meta), declared: nil)
        #expect(tiny.text.hasSuffix("<body>été</body></html>"), "\(tiny.text) as \(tiny.charset)")
        #expect(tiny.charset == "windows-1252", "\(tiny.charset)")
        let d = CharsetDecoder.decode(Self.latin1Page(meta: meta), declared: nil)
        #expect(d.text.contains("Crème brûlée à volonté."), "\(d.text) as \(d.charset)")
        #expect(!d.charset.hasPrefix("utf-16") && !d.charset.hasPrefix("utf-32"), "\(d.charset)")
    }

    @Test("a bogus charset in the HTTP header is ignored the same way")
    func bogusHeader() {
        let d = CharsetDecoder.decode(Self.tinyPage(meta: ""), declared: "x-bogus-9")
        #expect(d.text.hasSuffix("<body>été</body></html>"), "\(d.text) as \(d.charset)")
    }

    @Test("a byte-order mark still makes a page UTF-16", arguments: [true, false])
    func bomUTF16(littleEndian: Bool) {
        let text = "<p>Crème brûlée 東京</p>"
        var bytes: [UInt8] = littleEndian ? [0xFF, 0xFE] : [0xFE, 0xFF]
        for u in text.utf16 {
            let pair = littleEndian ? [UInt8(u & 0xFF), UInt8(u >> 8)] : [UInt8(u >> 8), UInt8(u & 0xFF)]
            bytes += pair
        }
        let d = CharsetDecoder.decode(bytes, declared: "x-bogus-9")
        #expect(d.text == text)
        #expect(d.source == .bom)
    }

    @Test("through the WARC reader: the document's text and charset metadata")
    func throughWARC() throws {
        let file = httpRecord(
            uri: "http://bogus/", id: "bogus", headers: ["Content-Type: text/html"], body: Self.tinyPage(meta: "<meta charset=\"x-bogus-9\">"))
        let dir = try temporaryFolder()
        let path = dir + "/bogus.warc"
        try FileSystem.writeAll(path, file)
        var o = ReaderOptions()
        o.format = .warc
        let (docs, errors) = try readDocuments(try WARCReader(piece: InputPiece(path: path, name: "bogus.warc", size: 1), options: o))
        #expect(errors.isEmpty)
        #expect(docs.first?.text.contains("<body>été</body>") == true, "\(docs.first?.text ?? "")")
        #expect(docs.first?.metadata["charset"]?.stringValue == "windows-1252")
    }
}
