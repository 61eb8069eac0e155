import Foundation
import Testing
import WinnowCore
import WinnowIO

@testable import WinnowParquet

/// Documents with every kind of metadata value, nulls, missing keys, scores and hard strings.
func sampleDocuments(_ n: Int = 500) -> [Document] {
    var docs: [Document] = []
    let words = ["naïve", "東京", "🙂", "a\"b", "back\\slash", "tab\tnew\nline", "", "plain"]
    for i in 0..<n {
        var meta: [String: MetadataValue] = [
            "url": .string("https://example.org/\(i % 37)"),
            "dump": .string(["CC-MAIN-2024-10", "CC-MAIN-2024-18"][i % 2]),
            "token_count": .int(Int64(i * 7919 % 100_003) - 50_000),
            "language_score": .double(Double(i % 1000) / 1000 + 0.000123),
            "flag": .bool(i % 3 == 0),
            "mixed_number": i % 2 == 0 ? .int(Int64(i)) : .double(Double(i) + 0.5),
            "tags": .array([.string("t\(i % 5)"), .int(Int64(i))]),
            "big": .number("123456789012345678901234567890"),
        ]
        if i % 4 == 0 { meta["sometimes"] = .string("x\(i)") }
        if i % 6 == 0 { meta["url"] = .null }
        var d = Document(
            id: "doc-\(i)", text: (0..<(i % 40)).map { words[($0 + i) % words.count] }.joined(separator: " ") + " \(i)",
            metadata: meta)
        if i % 5 == 0 { d.scores = ["perplexity": Double(i) * 1.5, "quality": 0.25] }
        docs.append(d)
    }
    return docs
}

/// What the Winnow reader gives back for `doc` written by the Winnow writer: a key some
/// documents of the file lack reads back as null, integers of a column mixed with fractions as
/// doubles.
func normalised(_ doc: Document, keys: Set<String>) -> Document {
    var d = doc
    for k in keys where d.metadata[k] == nil { d.metadata[k] = .null }
    if case .int(let i)? = d.metadata["mixed_number"] { d.metadata["mixed_number"] = .double(Double(i)) }
    return d
}

@Suite("Parquet writer")
struct ParquetWriterTests {
    @Test(
        "Winnow reads back what it wrote, exactly",
        arguments: [
            (ParquetCodec.snappy, 128 << 20, true), (.zstd, 4096, true), (.uncompressed, 1 << 20, false), (.gzip, 20_000, true),
        ])
    func roundTrip(codec: ParquetCodec, rowGroupBytes: Int, dictionary: Bool) throws {
        let dir = try scratchFolder()
        let path = dir + "/out.parquet"
        var o = ParquetWriterOptions()
        o.codec = codec
        o.rowGroupBytes = rowGroupBytes
        o.pageBytes = 2000
        o.dictionary = dictionary
        let w = try ParquetWriter(path: path, options: o)
        let docs = sampleDocuments()
        for d in docs { try w.write(d) }
        #expect(!FileManager.default.fileExists(atPath: path))  // atomic: nothing before commit
        try w.commit()
        let file = try ParquetFile(path: path)
        if rowGroupBytes < 100_000 { #expect(file.rowGroups.count > 1) }
        #expect(file.columns.map(\.name) == [
            "id", "text", "big", "dump", "flag", "language_score", "mixed_number", "sometimes", "tags", "token_count", "url", "scores",
        ])
        let back = try readAll(ParquetDocumentReader(path: path))
        let keys = Set(docs.flatMap(\.metadata.keys))
        #expect(back.count == docs.count)
        for (a, b) in zip(back, docs) { #expect(a == normalised(b, keys: keys)) }
        #expect(FileManager.default.fileExists(atPath: dir + "/SENTINEL"))
    }

    @Test("an empty file and a file whose column is all null are valid Parquet")
    func emptyAndNull() throws {
        let dir = try scratchFolder()
        let w = try ParquetWriter(path: dir + "/empty.parquet")
        try w.commit()
        #expect(try ParquetFile(path: dir + "/empty.parquet").rows == 0)
        let w2 = try ParquetWriter(path: dir + "/nulls.parquet")
        try w2.write(Document(id: "a", text: "x", metadata: ["n": .null]))
        try w2.commit()
        #expect(try readAll(ParquetDocumentReader(path: dir + "/nulls.parquet")) == [Document(id: "a", text: "x", metadata: ["n": .null])])
    }
}

/// The Python of the peers' virtualenv when it has pyarrow and datasets: `WINNOW_PYARROW_PYTHON`,
/// else bench/.venv/bin/python.
func pyarrowPython() -> String? {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let candidates = [ProcessInfo.processInfo.environment["WINNOW_PYARROW_PYTHON"], root + "/bench/.venv/bin/python"].compactMap { $0 }
    for python in candidates where FileManager.default.isExecutableFile(atPath: python) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", "import pyarrow, datasets"]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { continue }
        p.waitUntilExit()
        if p.terminationStatus == 0 { return python }
    }
    return nil
}

@Suite("Parquet writer: read back by pyarrow and datasets")
struct ParquetPeerReadBackTests {
    @Test("pyarrow and datasets read Winnow-written Parquet to the same values; statistics agree", arguments: [ParquetCodec.snappy, .zstd])
    func peerReadsBack(codec: ParquetCodec) throws {
        guard let python = pyarrowPython() else {
            try Test.cancel("no Python with pyarrow and datasets (bench/.venv/bin/python after bash bench/setup.sh, or WINNOW_PYARROW_PYTHON)")
        }
        let dir = try scratchFolder()
        let path = dir + "/out.parquet"
        var o = ParquetWriterOptions()
        o.codec = codec
        o.rowGroupBytes = 8000
        o.pageBytes = 1500
        let w = try ParquetWriter(path: path, options: o)
        let docs = sampleDocuments(300)
        for d in docs { try w.write(d) }
        try w.commit()
        let script = """
            import json, math, os, sys
            import pyarrow.parquet as pq
            path = sys.argv[1]
            f = pq.ParquetFile(path)
            rows = pq.read_table(path).to_pylist()
            # Statistics: per row group and column, min/max/null count equal the values'.
            start = 0
            for g in range(f.metadata.num_row_groups):
                rg = f.metadata.row_group(g)
                part = rows[start:start + rg.num_rows]
                start += rg.num_rows
                for c in range(rg.num_columns):
                    col = rg.column(c)
                    name = col.path_in_schema
                    vals = [r[name] for r in part]
                    st = col.statistics
                    assert st is not None and st.null_count == sum(v is None for v in vals), (g, name)
                    present = [v for v in vals if v is not None]
                    if st.has_min_max:
                        assert st.min == min(present) and st.max == max(present), (g, name, st.min, min(present))
            import datasets
            os.environ["HF_DATASETS_OFFLINE"] = "1"
            ds = datasets.load_dataset("parquet", data_files=path, split="train", cache_dir=sys.argv[2])
            assert ds.to_list() == rows, "datasets and pyarrow differ"
            for r in rows:
                print(json.dumps(r, ensure_ascii=False))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script, path, dir + "/hf-cache"]
        var env = ProcessInfo.processInfo.environment
        env["HF_HOME"] = dir + "/hf-home"
        env["HF_HUB_OFFLINE"] = "1"
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "the Python check failed (its stderr is above)")
        let codec2 = JSONLCodec()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == docs.count)
        for (line, doc) in zip(lines, docs) {
            var l = String(line)
            let row = try l.withUTF8 { b in try codec2.decode(UnsafeRawBufferPointer(b)) { "" } }
            #expect(row.id == doc.id)
            #expect(row.text == doc.text)
            // Plain columns come back as the values; JSON columns as their JSON text.
            for key in ["url", "dump", "token_count", "language_score", "flag", "sometimes"] {
                #expect(row.metadata[key] ?? .null == doc.metadata[key] ?? .null, "\(doc.id) \(key)")
            }
            var tags: [UInt8] = []
            JSONLCodec.appendValue(doc.metadata["tags"]!, to: &tags)
            #expect(row.metadata["tags"] == .string(String(decoding: tags, as: UTF8.self)))
            #expect(row.metadata["mixed_number"]?.doubleValue == doc.metadata["mixed_number"]?.doubleValue)
        }
    }
}
