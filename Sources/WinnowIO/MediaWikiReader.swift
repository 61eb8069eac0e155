internal import CLibXML2
import WinnowCore

/// Reads a MediaWiki XML export (`pages-articles.xml`, optionally `.bz2`, `.gz` or `.zst`) as
/// documents, one per `<page>`, streaming with libxml2's `xmlTextReader` (memory holds one page).
///
/// The text is the page's last revision's wikitext, as stored (the pipeline turns it into plain
/// text with `Wikitext`). Redirects and pages outside the selected namespaces (default: 0, the
/// articles) are skipped. The id is `<dbname>/<page id>` (`<file>/<page id>` when the dump has no
/// `<dbname>`); metadata: `title`, `page_id`, `ns`, `revision_id`, `timestamp`, `url` (from the
/// dump's `<base>` link) and `source`. A malformed document is an ``InputError`` with the line
/// and byte offset; the pages before it are kept and the file ends there. An empty file (no
/// bytes after decompression) is an ``InputError`` that says so.
public final class MediaWikiReader: DocumentReader {
    /// What the read callback needs (libxml2 calls it with an opaque pointer).
    final class Input {
        let source: ByteSource
        var error: Error?
        var bytes: Int64 = 0
        var xmlError: (message: String, line: Int, column: Int)?
        init(source: ByteSource) { self.source = source }
    }

    private let piece: InputPiece
    private let input: Input
    private let inputRef: Unmanaged<Input>
    private var reader: xmlTextReaderPtr?
    private let namespaces: Set<Int>
    private let skipRedirects: Bool
    private var done = false
    private var dbName: String?
    private var urlBase: String?

    /// Opens a piece (always a whole file).
    public init(piece: InputPiece, options: ReaderOptions) throws {
        _ = libxml2Initialized
        self.piece = piece
        namespaces = Set(options.namespaces)
        skipRedirects = options.skipRedirects
        input = Input(source: try openByteSourceWithBzip2(path: piece.path))
        inputRef = Unmanaged.passRetained(input)
        let read: xmlInputReadCallback = { ctx, buf, len in
            guard let ctx, let buf, len > 0 else { return ctx == nil ? -1 : 0 }
            let input = Unmanaged<MediaWikiReader.Input>.fromOpaque(ctx).takeUnretainedValue()
            do {
                let n = try input.source.read(into: UnsafeMutableRawBufferPointer(start: buf, count: Int(len)))
                input.bytes += Int64(n)
                return Int32(n)
            } catch {
                input.error = error
                return -1
            }
        }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_HUGE.rawValue)
        guard let r = xmlReaderForIO(read, nil, inputRef.toOpaque(), piece.path, nil, options) else {
            inputRef.release()
            throw FileError(path: piece.path, "libxml2 could not start reading")
        }
        reader = r
        let onError: xmlStructuredErrorFunc = { ctx, err in
            guard let ctx, let err else { return }
            let input = Unmanaged<MediaWikiReader.Input>.fromOpaque(ctx).takeUnretainedValue()
            if input.xmlError == nil {
                let msg = err.pointee.message.map { String(cString: $0) } ?? "XML error \(err.pointee.code)"
                input.xmlError = (msg.trimmingASCIISpaces(), Int(err.pointee.line), Int(err.pointee.int2))
            }
        }
        xmlTextReaderSetStructuredErrorHandler(r, onError, inputRef.toOpaque())
    }

    deinit {
        if let reader { xmlFreeTextReader(reader) }
        inputRef.release()
    }

    /// Decompressed bytes consumed so far.
    public var bytesRead: Int64 { input.bytes }
    /// Stored bytes consumed so far.
    public var storedBytesRead: Int64 { min(piece.size, input.source.rawOffset) }

    // MARK: - Pages

    private struct Page {
        var title = ""
        var id = ""
        var ns = 0
        var redirect = false
        var revisionID = ""
        var timestamp = ""
        var text = ""
    }

    /// The next article page.
    public func next() throws -> Document? {
        guard !done, let reader else { return nil }
        var page: Page?
        var pageDepth = -1
        var inRevision = false
        var inSiteinfo = false
        while true {
            let rc = xmlTextReaderRead(reader)
            if rc <= 0 && input.bytes == 0 && input.error == nil {
                // Say so, rather than libxml2's "Extra content at the end of the document".
                done = true
                throw InputError(
                    "the file is empty (0 bytes after decompression): a MediaWiki dump has at least its <mediawiki> element",
                    at: SourceLocation(file: piece.path, byteOffset: 0))
            }
            if rc == 0 {
                done = true
                if page != nil { throw failure("the file ends inside a <page>", reader) }
                return nil
            }
            if rc < 0 {
                done = true
                throw failure(nil, reader)
            }
            let type = xmlTextReaderNodeType(reader)
            let depth = Int(xmlTextReaderDepth(reader))
            let name = localName(reader)
            if type == 1 {  // element start
                switch name {
                case "siteinfo": inSiteinfo = true
                case "dbname" where inSiteinfo: dbName = readString(reader)
                case "base" where inSiteinfo:
                    let base = readString(reader)
                    if let slash = base.lastIndex(of: "/") { urlBase = String(base[...slash]) }
                case "page":
                    page = Page()
                    pageDepth = depth
                default:
                    if var p = page {
                        readPageField(name, depth: depth - pageDepth, inRevision: &inRevision, into: &p, reader)
                        page = p
                    }
                }
                if name == "revision" && xmlTextReaderIsEmptyElement(reader) == 1 { inRevision = false }
            } else if type == 15 {  // element end
                switch name {
                case "siteinfo": inSiteinfo = false
                case "revision": inRevision = false
                case "page":
                    guard let p = page else { continue }
                    page = nil
                    if !namespaces.contains(p.ns) { continue }
                    if skipRedirects && (p.redirect || Self.isRedirectText(p.text)) { continue }
                    return document(p)
                default: break
                }
            }
        }
    }

    /// Reads one element inside a `<page>` (`depth`: its depth below the page element).
    private func readPageField(_ name: String, depth: Int, inRevision: inout Bool, into p: inout Page, _ reader: xmlTextReaderPtr) {
        switch name {
        case "title" where depth == 1: p.title = readString(reader)
        case "ns" where depth == 1: p.ns = Int(readString(reader).trimmingASCIISpaces()) ?? 0
        case "id" where depth == 1: p.id = readString(reader).trimmingASCIISpaces()
        case "id" where inRevision && depth == 2: p.revisionID = readString(reader).trimmingASCIISpaces()
        case "redirect": p.redirect = true
        case "revision":
            inRevision = true
            p.text = ""
        case "timestamp" where inRevision: p.timestamp = readString(reader)
        case "text" where inRevision: p.text = readString(reader)
        default: break
        }
    }

    private func document(_ p: Page) -> Document {
        var metadata: [String: MetadataValue] = [
            "title": .string(p.title), "page_id": .string(p.id), "ns": .int(Int64(p.ns)), "source": .string(piece.name),
        ]
        if !p.revisionID.isEmpty { metadata["revision_id"] = .string(p.revisionID) }
        if !p.timestamp.isEmpty { metadata["timestamp"] = .string(p.timestamp) }
        if let urlBase {
            let slug = p.title.replacingSpaces()
            metadata["url"] = .string(urlBase + slug)
        }
        let id = "\(dbName ?? piece.name)/\(p.id.isEmpty ? p.title : p.id)"
        return Document(id: id, text: p.text, metadata: metadata)
    }

    /// Whether wikitext is a redirect (`#REDIRECT [[…]]`, any case), for dumps without `<redirect>`.
    static func isRedirectText(_ text: String) -> Bool {
        var u = Substring(text).utf8.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 })
        guard u.first == 0x23 else { return false }  // '#'
        u = u.dropFirst()
        return String(decoding: u.prefix(8), as: UTF8.self).lowercased() == "redirect"
    }

    private func localName(_ r: xmlTextReaderPtr) -> String {
        guard let p = xmlTextReaderConstLocalName(r) else { return "" }
        return String(cString: p)
    }

    private func readString(_ r: xmlTextReaderPtr) -> String {
        guard let p = xmlTextReaderReadString(r) else { return "" }
        defer { cxml_free(p) }
        return String(cString: p)
    }

    private func failure(_ what: String?, _ r: xmlTextReaderPtr) -> Error {
        if let e = input.error as? InputError { return e }
        if let e = input.error { return e }
        let offset = Int64(xmlTextReaderByteConsumed(r))
        if let x = input.xmlError {
            return InputError(
                "malformed MediaWiki XML: \(x.message)",
                at: SourceLocation(file: piece.path, line: x.line > 0 ? x.line : nil, column: x.column > 0 ? x.column : nil, byteOffset: offset))
        }
        return InputError(
            "malformed MediaWiki XML: \(what ?? "libxml2 stopped reading")", at: SourceLocation(file: piece.path, byteOffset: offset))
    }
}

/// libxml2 must be initialised once before threads use it (a Swift global is initialised once,
/// thread-safely, on first use).
private let libxml2Initialized: Void = xmlInitParser()

extension String {
    /// Spaces as underscores (MediaWiki page URLs).
    func replacingSpaces() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == " " ? "_" : $0 }))
    }
}
