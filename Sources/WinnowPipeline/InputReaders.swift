import WinnowCore
import WinnowIO
import WinnowParquet
import WinnowText

/// Cuts the input files into shards: row groups for Parquet (WinnowParquet), WinnowIO's
/// ``planShards(files:root:options:shardBytes:)`` for the other formats.
func planInputShards(files: [String], input: InputSpec) throws -> [InputShard] {
    if input.options.format == .parquet {
        return try planParquetShards(files: files, root: input.root, shardBytes: input.shardBytes)
    }
    return try planShards(files: files, root: input.root, options: input.options, shardBytes: input.shardBytes)
}

/// Opens the reader for a shard of the recipe's input: WinnowIO's reader for the format (the
/// Parquet reader for Parquet), and for MediaWiki dumps (unless `wikitext: raw`) the wikitext
/// turned into plain text.
func makeInputReader(for shard: InputShard, input: InputSpec) throws -> DocumentReader {
    if input.options.format == .parquet {
        let o = input.options
        return ParquetShardReader(
            pieces: shard.pieces, mapping: ParquetColumnMapping(textKey: o.textKey, idKey: o.idKey, metadataColumns: o.columns))
    }
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
