import WinnowCore
import WinnowIO
import WinnowText

/// Opens the reader for a shard of the recipe's input: WinnowIO's reader for the format, and
/// for MediaWiki dumps (unless `wikitext: raw`) the wikitext turned into plain text.
func makeInputReader(for shard: InputShard, input: InputSpec) throws -> DocumentReader {
    let reader = try makeReader(for: shard, options: input.options)
    if input.options.format == .mediawiki && input.wikitextToPlain {
        return MappedReader(reader) { doc in
            doc.text = Wikitext.plainText(doc.text)
        }
    }
    return reader
}

/// A reader that rewrites each document of another reader.
final class MappedReader: DocumentReader {
    private let base: DocumentReader
    private let transform: (inout Document) -> Void

    init(_ base: DocumentReader, transform: @escaping (inout Document) -> Void) {
        self.base = base
        self.transform = transform
    }

    var bytesRead: Int64 { base.bytesRead }
    var storedBytesRead: Int64 { base.storedBytesRead }

    func next() throws -> Document? {
        guard var doc = try base.next() else { return nil }
        transform(&doc)
        return doc
    }
}
