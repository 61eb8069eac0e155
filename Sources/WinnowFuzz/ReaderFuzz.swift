import WinnowCore
import WinnowHTML
import WinnowIO
import WinnowText

extension FuzzTargets {
    /// The WARC record reader and the WARC document reader (HTTP parsing, charset decoding).
    ///
    /// Invariants: both readers end (no endless error loop); every record the record reader
    /// returns has a block no longer than its Content-Length and `max_record_bytes`.
    public static let warc = FuzzTarget(
        name: "warc", summary: "WARCRecordReader and WARCReader (HTTP responses, charsets), plain or gzip",
        maxLength: 64 << 10
    ) { bytes in
        ScratchFile.with(bytes, suffix: ".warc") { path in
            if let finding = warcRecords(path: path) { return finding }
            var options = ReaderOptions()
            options.format = .warc
            options.maxRecordBytes = FuzzLimits.recordBytes
            options.warcRecordTypes = ["response", "conversion", "resource"]
            options.contentTypes = ["*"]
            return readAll(InputPiece(path: path, name: "fuzz.warc", size: Int64(bytes.count)), options: options, target: "warc")
        } ?? nil
    }

    static func warcRecords(path: String) -> FuzzFinding? {
        guard let records = try? WARCRecordReader(path: path, maxRecordBytes: FuzzLimits.recordBytes) else { return nil }
        var stuck = 0
        var count = 0
        while count < FuzzLimits.documents {
            let before = records.offset
            do {
                guard let record = try records.next() else { return nil }
                count += 1
                stuck = 0
                if record.block.count > FuzzLimits.recordBytes {
                    return FuzzFinding("warc", "record at byte \(record.offset) has a \(record.block.count)-byte block, over max_record_bytes")
                }
            } catch is InputError {
                stuck = records.offset == before ? stuck + 1 : 0
                if stuck >= FuzzLimits.stuckErrors {
                    return FuzzFinding("warc", "WARCRecordReader threw \(stuck) errors in a row at byte \(before) without moving on")
                }
            } catch {
                return nil
            }
        }
        return nil
    }

    /// Opens the reader for `piece` and reads it to the end.
    static func readAll(_ piece: InputPiece, options: ReaderOptions, target: String, each: (Document) -> Void = { _ in }) -> FuzzFinding? {
        let reader: DocumentReader
        do {
            reader = try makeReader(for: piece, options: options)
        } catch {
            return nil
        }
        switch drain(reader, target: target) {
        case .failure(let finding): return finding
        case .success(let result):
            result.documents.forEach(each)
            return nil
        }
    }

    /// The HTML main-text extractor (libxml2) and the HTML file reader (charset detection).
    ///
    /// Each input runs through the extractor as raw bytes with every `favor` setting, and as a
    /// file through ``HTMLFileReader`` then the extractor, as a recipe would.
    public static let html = FuzzTarget(
        name: "html", summary: "HTMLExtractor (every favor) on raw bytes, and HTMLFileReader + extractor",
        maxLength: 64 << 10
    ) { bytes in
        let data = Array(bytes)
        for favor in HTMLExtractor.Favor.allCases {
            _ = HTMLExtractor(options: .init(favor: favor)).extract(bytes: data)
        }
        return ScratchFile.with(bytes, suffix: ".html") { path in
            var options = ReaderOptions()
            options.format = .html
            options.maxRecordBytes = FuzzLimits.recordBytes
            return readAll(InputPiece(path: path, name: "fuzz.html", size: Int64(bytes.count)), options: options, target: "html") { doc in
                _ = HTMLExtractor.extract(html: doc.text)
            }
        } ?? nil
    }

    /// The MediaWiki XML reader (libxml2's text reader; bzip2, gzip or plain) and the wikitext
    /// to plain text conversion recipes apply to its pages.
    public static let mediawiki = FuzzTarget(
        name: "mediawiki", summary: "MediaWikiReader (plain, .bz2, .gz) and Wikitext.plainText on its pages",
        maxLength: 64 << 10
    ) { bytes in
        ScratchFile.with(bytes, suffix: ".xml") { path in
            var options = ReaderOptions()
            options.format = .mediawiki
            options.namespaces = [0, 1, 2, 4, 10, 14]
            options.skipRedirects = bytes.count % 2 == 0
            return readAll(InputPiece(path: path, name: "fuzz.xml", size: Int64(bytes.count)), options: options, target: "mediawiki") { doc in
                _ = Wikitext.plainText(doc.text)
            }
        } ?? nil
    }
}
