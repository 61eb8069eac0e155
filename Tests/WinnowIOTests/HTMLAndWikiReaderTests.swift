import Foundation
import Testing
import WinnowCore
import WinnowIO
import CBzip2

@Suite("HTML file reader")
struct HTMLFileReaderTests {
    @Test("one document per file, ids relative to the root, .gz read, charsets decoded")
    func folder() throws {
        let dir = try temporaryFolder()
        try FileSystem.createDirectory(dir + "/site/a")
        try FileSystem.createDirectory(dir + "/site/b/c")
        try FileSystem.writeAll(dir + "/site/a/index.html", Array("<html><body><p>héllo</p></body></html>".utf8))
        let latin = Array("<html><head><meta charset=\"iso-8859-1\"></head><body>gar".utf8) + [0xE7, 0x6F, 0x6E] + Array("</body></html>".utf8)
        try FileSystem.writeAll(dir + "/site/b/c/page.htm.gz", gzipMember(latin))
        var sjis = Array("<html><body><p>".utf8)
        for _ in 0..<4 { sjis += WARCReaderTests.shiftJIS }
        try FileSystem.writeAll(dir + "/site/b/ja.html", sjis)
        try FileSystem.writeAll(dir + "/site/b/notes.txt", Array("not html".utf8))

        var o = ReaderOptions()
        o.format = .html
        let files = try FileSystem.glob(dir + "/site/**/*.htm*")
        let shards = try planShards(files: files, root: dir + "/site", options: o, shardBytes: 1 << 20)
        let docs = try readAll(shards, o)
        #expect(docs.map(\.id) == ["a/index.html", "b/c/page.htm.gz", "b/ja.html"])
        #expect(docs[0].text == "<html><body><p>héllo</p></body></html>")
        #expect(docs[0].metadata["charset_source"]?.stringValue == "utf8")
        #expect(docs[1].text.contains("garçon"))
        #expect(docs[1].metadata["charset"]?.stringValue == "windows-1252")
        #expect(docs[1].metadata["charset_source"]?.stringValue == "meta")
        #expect(docs[2].text.contains(WARCReaderTests.shiftJISText))
        #expect(docs[2].metadata["charset"]?.stringValue == "shift_jis")
        #expect(docs[2].metadata["charset_source"]?.stringValue == "detected")
    }

    @Test("a truncated .html.gz is an error naming the file")
    func truncatedGzip() throws {
        let dir = try temporaryFolder()
        let gz = gzipMember(Array(String(repeating: "<p>some text here</p>\n", count: 400).utf8))
        try FileSystem.writeAll(dir + "/cut.html.gz", Array(gz[0..<(gz.count / 2)]))
        var o = ReaderOptions()
        o.format = .html
        let r = try makeReader(for: InputPiece(path: dir + "/cut.html.gz", name: "cut.html.gz", size: 1), options: o)
        let e = #expect(throws: DamagedDataError.self) { _ = try r.next() }
        #expect(e?.file == dir + "/cut.html.gz")
        #expect(e?.reason.contains("truncated") == true)
        #expect(try r.next() == nil)
    }
}

@Suite("MediaWiki reader")
struct MediaWikiReaderTests {
    static let dump = """
        <mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">
          <siteinfo><sitename>Wikipedia</sitename><dbname>testwiki</dbname>
            <base>https://test.wikipedia.org/wiki/Main_Page</base></siteinfo>
          <page><title>First page</title><ns>0</ns><id>10</id>
            <revision><id>100</id><timestamp>2016-01-01T00:00:00Z</timestamp>
              <contributor><username>X</username><id>5</id></contributor>
              <text xml:space="preserve">'''First''' &amp; [[link|best]] &lt;ref&gt;r&lt;/ref&gt;</text></revision></page>
          <page><title>Redirected</title><ns>0</ns><id>11</id><redirect title="First page" />
            <revision><id>101</id><text xml:space="preserve">#REDIRECT [[First page]]</text></revision></page>
          <page><title>Talk:First page</title><ns>1</ns><id>12</id>
            <revision><id>102</id><text xml:space="preserve">talk</text></revision></page>
          <page><title>Old redirect</title><ns>0</ns><id>13</id>
            <revision><id>103</id><text xml:space="preserve">#redirect [[First page]]</text></revision></page>
          <page><title>Second</title><ns>0</ns><id>14</id>
            <revision><id>104</id><text xml:space="preserve">old text</text></revision>
            <revision><id>105</id><text xml:space="preserve">new text</text></revision></page>
        </mediawiki>
        """

    func read(_ path: String, _ configure: (inout ReaderOptions) -> Void = { _ in }) throws -> (docs: [Document], errors: [InputError]) {
        var o = ReaderOptions()
        o.format = .mediawiki
        configure(&o)
        return try readDocuments(try makeReader(for: InputPiece(path: path, name: "dump.xml", size: 1), options: o))
    }

    @Test("articles only: redirects and other namespaces skipped; last revision; metadata")
    func pages() throws {
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/dump.xml", Array(Self.dump.utf8))
        let (docs, errors) = try read(dir + "/dump.xml")
        #expect(errors.isEmpty)
        #expect(docs.map(\.id) == ["testwiki/10", "testwiki/14"])
        #expect(docs[0].text == "'''First''' & [[link|best]] <ref>r</ref>")
        #expect(docs[0].metadata["title"]?.stringValue == "First page")
        #expect(docs[0].metadata["url"]?.stringValue == "https://test.wikipedia.org/wiki/First_page")
        #expect(docs[0].metadata["revision_id"]?.stringValue == "100")
        #expect(docs[0].metadata["timestamp"]?.stringValue == "2016-01-01T00:00:00Z")
        #expect(docs[1].text == "new text")

        let all = try read(dir + "/dump.xml") { $0.namespaces = [0, 1]; $0.skipRedirects = false }
        #expect(all.docs.map(\.id) == ["testwiki/10", "testwiki/11", "testwiki/12", "testwiki/13", "testwiki/14"])
    }

    @Test("malformed XML: the pages before it, then one error with line and byte offset")
    func malformed() throws {
        let dir = try temporaryFolder()
        let broken = Self.dump.replacingOccurrences(of: "<page><title>Second</title>", with: "<page><title>Second</titel>")
        try FileSystem.writeAll(dir + "/dump.xml", Array(broken.utf8))
        let (docs, errors) = try read(dir + "/dump.xml")
        #expect(docs.map(\.id) == ["testwiki/10"])
        #expect(errors.count == 1)
        #expect(errors.first?.location.line != nil)
        #expect(errors.first?.location.byteOffset != nil)
        #expect(errors.first?.message.contains("malformed MediaWiki XML") == true)
    }

    /// Pages in a dump by a plain scan: `<page>` sections, minus those with `<redirect` or an
    /// `<ns>` other than 0.
    static func scanArticles(_ xml: [UInt8]) -> (pages: Int, articles: [String]) {
        let text = String(decoding: xml, as: UTF8.self)
        var pages = 0
        var titles: [String] = []
        for chunk in text.components(separatedBy: "<page>").dropFirst() {
            pages += 1
            let page = chunk.components(separatedBy: "</page>")[0]
            if page.contains("<redirect") || !page.contains("<ns>0</ns>") { continue }
            let title = page.components(separatedBy: "<title>")[1].components(separatedBy: "</title>")[0]
            titles.append(title.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&quot;", with: "\""))
        }
        return (pages, titles)
    }

    @Test("the gensim Wikipedia excerpt (.bz2): every article page, in order", .enabled(if: SharedData.hasWiki, "\(SharedData.skipWiki)"))
    func gensimExcerpt() throws {
        let src = try openByteSourceWithBzip2(path: SharedData.wikiDump)
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buf.withUnsafeMutableBytes { try src.read(into: $0) }
            if n == 0 { break }
            bytes += buf[0..<n]
        }
        let expected = Self.scanArticles(bytes)
        #expect(expected.pages == 206)
        let (docs, errors) = try read(SharedData.wikiDump)
        #expect(errors.isEmpty)
        #expect(docs.compactMap { $0.metadata["title"]?.stringValue } == expected.articles)
        #expect(docs.count > 100)
        #expect(docs.first?.metadata["title"]?.stringValue == "Anarchism")
        #expect(docs.allSatisfy { !$0.text.isEmpty && $0.metadata["ns"] == .int(0) })
    }

    @Test("a truncated .bz2 dump: the pages before the cut, then one error", .enabled(if: SharedData.hasWiki, "\(SharedData.skipWiki)"))
    func truncatedBzip2() throws {
        let bytes = try FileSystem.readAll(SharedData.wikiDump)
        let dir = try temporaryFolder()
        let path = dir + "/cut.xml.bz2"
        try FileSystem.writeAll(path, Array(bytes[0..<(bytes.count / 2)]))
        let (docs, errors) = try read(path)
        #expect(docs.count > 10)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("truncated bzip2") == true)
        #expect(errors.first?.location.file == path)
    }
}

@Suite("bzip2 source")
struct Bzip2SourceTests {
    /// bzip2-compresses bytes as one stream (libbz2, block size 1).
    static func bzip2(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: bytes.count + bytes.count / 100 + 1024)
        var outLen = UInt32(out.count)
        var input = bytes
        let rc = input.withUnsafeMutableBufferPointer { ib in
            out.withUnsafeMutableBufferPointer { ob in
                ib.withMemoryRebound(to: CChar.self) { ic in
                    ob.withMemoryRebound(to: CChar.self) { oc in
                        BZ2_bzBuffToBuffCompress(oc.baseAddress, &outLen, ic.baseAddress, UInt32(ic.count), 1, 0, 0)
                    }
                }
            }
        }
        precondition(rc == BZ_OK)
        return Array(out[0..<Int(outLen)])
    }

    func readAllBytes(_ src: ByteSource) throws -> [UInt8] {
        var all: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 777)
        while true {
            let n = try buf.withUnsafeMutableBytes { try src.read(into: $0) }
            if n == 0 { return all }
            all += buf[0..<n]
        }
    }

    @Test("several concatenated streams (multistream dumps) read as one")
    func multistream() throws {
        let parts = (0..<3).map { i in Array(String(repeating: "stream \(i) line\n", count: 5000).utf8) }
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/m.bz2", parts.flatMap(Self.bzip2))
        #expect(try readAllBytes(openByteSourceWithBzip2(path: dir + "/m.bz2")) == parts.flatMap { $0 })
    }

    @Test("corrupt data is an error with the compressed byte offset")
    func corrupt() throws {
        var rng = SplitMix(state: 11)
        let text = (0..<20000).map { _ in "w\(rng.next() % 5000)" }.joined(separator: " ")
        var data = Self.bzip2(Array(text.utf8))
        #expect(data.count > 1000)
        let mid = data.count / 2
        for i in mid..<(mid + 20) { data[i] ^= 0x5A }
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/c.bz2", data)
        let e = #expect(throws: InputError.self) { _ = try readAllBytes(openByteSourceWithBzip2(path: dir + "/c.bz2")) }
        #expect(e?.message.contains("corrupt bzip2") == true)
        #expect(e?.location.byteOffset != nil)
    }

    @Test("a MediaWiki dump reads the same from .xml, .xml.gz and .xml.bz2")
    func wikiCompressions() throws {
        let xml = Array(MediaWikiReaderTests.dump.utf8)
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/d.xml", xml)
        try FileSystem.writeAll(dir + "/d.xml.gz", gzipMember(xml))
        try FileSystem.writeAll(dir + "/d.xml.bz2", Self.bzip2(xml))
        var o = ReaderOptions()
        o.format = .mediawiki
        var texts: [[String]] = []
        for name in ["d.xml", "d.xml.gz", "d.xml.bz2"] {
            let (docs, errors) = try readDocuments(try makeReader(for: InputPiece(path: dir + "/" + name, name: name, size: 1), options: o))
            #expect(errors.isEmpty)
            texts.append(docs.map(\.text))
        }
        #expect(texts[0] == ["'''First''' & [[link|best]] <ref>r</ref>", "new text"])
        #expect(texts[1] == texts[0] && texts[2] == texts[0])
    }
}
