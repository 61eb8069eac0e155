import WinnowCore

/// Reads a WARC file as documents: one per `response` (HTTP body), `conversion` (WET text) or
/// `resource` record whose type and payload media type the options select.
///
/// The text is the payload decoded to UTF-8 (``CharsetDecoder``: HTTP/record charset, then
/// `<meta>`, then ICU's detector). Metadata: `url` (`WARC-Target-URI`), `warc_date`,
/// `warc_record_id`, `warc_type`, `content_type` (payload media type), `http_status`,
/// `charset`, `charset_source`, `source` (file name) and `offset` (the record's byte offset in
/// the file: its gzip member for gzip-per-record files). The id is the record id
/// (`<urn:uuid:…>` without the brackets), or `<file>@<offset>` when it has none.
public final class WARCReader: DocumentReader {
    private let piece: InputPiece
    private let records: WARCRecordReader
    private let types: Set<String>
    private let contentTypes: [String]?
    private let maxBodyBytes: Int

    /// Opens a piece (always a whole file).
    public init(piece: InputPiece, options: ReaderOptions) throws {
        self.piece = piece
        records = try WARCRecordReader(path: piece.path, maxRecordBytes: options.maxRecordBytes)
        types = Set(options.warcRecordTypes.map { $0.lowercased() })
        contentTypes = options.contentTypes?.map { $0.lowercased() }
        maxBodyBytes = options.maxRecordBytes
    }

    /// Decompressed bytes consumed so far.
    public var bytesRead: Int64 { records.offset }
    /// Stored bytes consumed so far.
    public var storedBytesRead: Int64 { min(piece.size, records.storedOffset) }

    /// The default accepted media types for a record type.
    static func defaultContentTypes(for type: String) -> [String] {
        type == "conversion" ? ["text/plain"] : ["text/html", "application/xhtml+xml"]
    }

    private func accepts(_ mime: String, recordType: String) -> Bool {
        let list = contentTypes ?? Self.defaultContentTypes(for: recordType)
        return list.contains(where: { $0 == "*" || $0 == mime || ($0.hasSuffix("/*") && mime.hasPrefix($0.dropLast())) })
    }

    /// The next selected record as a document.
    public func next() throws -> Document? {
        while true {
            guard
                let record = try records.next(wantBlock: { [types] r in
                    types.contains(r.type)
                })
            else { return nil }
            let type = record.type
            guard types.contains(type) else { continue }
            if let doc = try document(from: record, type: type) { return doc }
        }
    }

    private func document(from record: WARCRecord, type: String) throws -> Document? {
        var metadata: [String: MetadataValue] = [
            "warc_type": .string(type),
            "source": .string(piece.name),
            "offset": .int(record.fileOffset ?? record.offset),
        ]
        if let url = record.header("WARC-Target-URI") { metadata["url"] = .string(Self.stripBrackets(url)) }
        if let date = record.header("WARC-Date") { metadata["warc_date"] = .string(date) }
        let recordID = record.header("WARC-Record-ID").map(Self.stripBrackets)
        if let recordID { metadata["warc_record_id"] = .string(recordID) }
        let warcType = CharsetDecoder.parseContentType(record.header("Content-Type") ?? "")

        let body: [UInt8]
        let mime: String
        let declared: String?
        if type == "response" && record.block.isEmpty { return nil }  // no payload at all (a failed fetch)
        if type == "response" && (warcType.mime.hasPrefix("application/http") || record.block.starts(with: Array("HTTP/".utf8))) {
            guard let http = HTTPResponse.parse(record.block, maxBodyBytes: maxBodyBytes) else {
                throw InputError(
                    "WARC response record holds no HTTP response (no 'HTTP/' status line)",
                    at: SourceLocation(file: piece.path, byteOffset: record.fileOffset ?? record.offset),
                    record: Array(record.block.prefix(4096)))
            }
            if let status = http.status { metadata["http_status"] = .int(Int64(status)) }
            var ct = CharsetDecoder.parseContentType(http.header("Content-Type") ?? "")
            if ct.mime.isEmpty {
                // No Content-Type: the identified payload type, else sniff markup.
                if let identified = record.header("WARC-Identified-Payload-Type"), !identified.isEmpty {
                    ct.mime = CharsetDecoder.parseContentType(identified).mime
                } else if Self.looksLikeHTML(http.body) {
                    ct.mime = "text/html"
                }
            }
            body = http.body
            mime = ct.mime
            declared = ct.charset
        } else {
            body = record.block
            mime = warcType.mime
            declared = warcType.charset ?? (type == "conversion" ? "utf-8" : nil)
        }
        guard accepts(mime, recordType: type) else { return nil }
        metadata["content_type"] = .string(mime)
        let isHTML = mime.contains("html") || mime.contains("xml")
        let decoded = CharsetDecoder.decode(body, declared: declared, sniffMeta: isHTML)
        metadata["charset"] = .string(decoded.charset)
        metadata["charset_source"] = .string(decoded.source.rawValue)
        let id = recordID ?? "\(piece.name)@\(record.fileOffset ?? record.offset)"
        return Document(id: id, text: decoded.text, metadata: metadata)
    }

    static func stripBrackets(_ s: String) -> String {
        if s.hasPrefix("<") && s.hasSuffix(">") && s.count >= 2 { return String(s.dropFirst().dropLast()) }
        return s
    }

    static func looksLikeHTML(_ b: [UInt8]) -> Bool {
        var i = 0
        if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
        while i < b.count && (b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09) { i += 1 }
        return i < b.count && b[i] == 0x3C
    }
}
