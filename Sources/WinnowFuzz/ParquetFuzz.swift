import Foundation
import WinnowCore
import WinnowIO
import WinnowParquet

extension FuzzTargets {
    /// The Parquet reader (footer, schema, pages, encodings, codecs) and, for what it reads, the
    /// Parquet writer.
    ///
    /// Invariants: opening either succeeds or throws (a ``ParquetError``); reading every row
    /// group ends (a damaged page loses its row group and reading goes on); the documents read,
    /// written again by ``ParquetWriter`` and read back, are the same documents.
    public static let parquet = FuzzTarget(
        name: "parquet", summary: "ParquetFile + ParquetDocumentReader (every column), then ParquetWriter round trip",
        maxLength: 64 << 10
    ) { bytes in
        ScratchFile.with(bytes, suffix: ".parquet") { path -> FuzzFinding? in
            guard let file = try? ParquetFile(path: path) else { return nil }
            let readable = file.columns.filter { $0.kind != nil }.map(\.name)
            guard readable.contains("text"), let reader = try? ParquetDocumentReader(
                file: file, name: "fuzz.parquet", mapping: ParquetColumnMapping(metadataColumns: readable))
            else { return nil }
            var docs: [Document] = []
            var errors = 0
            while docs.count < FuzzLimits.documents && errors < FuzzLimits.stuckErrors {
                do {
                    guard let d = try reader.next() else { break }
                    docs.append(d)
                } catch is InputError {
                    errors += 1
                } catch is DamagedDataError {
                    errors += 1
                } catch {
                    return FuzzFinding("parquet", "unexpected error type \(type(of: error)): \(error)")
                }
            }
            if errors >= FuzzLimits.stuckErrors { return nil }  // many bad rows: bounded, not a finding
            return ScratchFile.with(UnsafeRawBufferPointer(start: nil, count: 0), suffix: ".out.parquet") { out -> FuzzFinding? in
                do {
                    let w = try ParquetWriter(path: out + ".w.parquet")
                    for d in docs { try w.write(d) }
                    try w.commit()
                    defer { _ = unlink(out + ".w.parquet") }
                    let back = try ParquetDocumentReader(path: out + ".w.parquet")
                    var i = 0
                    while let d = try back.next() {
                        guard i < docs.count, d.id == docs[i].id, d.text == docs[i].text else {
                            return FuzzFinding("parquet", "document \(i) differs after a write and read back")
                        }
                        i += 1
                    }
                    if i != docs.count { return FuzzFinding("parquet", "\(docs.count) documents written, \(i) read back") }
                } catch {
                    return FuzzFinding("parquet", "writing back what was read failed: \(error)")
                }
                return nil
            } ?? nil
        } ?? nil
    }
}
