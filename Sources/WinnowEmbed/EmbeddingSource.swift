#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import TensorCore
import WinnowCore
import WinnowIO

/// Where a corpus stage that works on embeddings (`semantic_dedup`, `diversity`) gets one vector
/// per document reaching it.
///
/// - ``model(_:batchSize:maxBatchTokens:)``: the stage embeds the documents itself while it
///   observes them (the `embed` stage's observer, writing `shard-NNNNN.npy` into the stage's
///   own work folder), so vectors and documents are aligned by construction.
/// - ``file(vectors:ids:)``: a float32 `.npy` made beforehand (`winnow embed`, numpy). Without
///   `ids`, row *i* is the *i*-th document reaching the stage in input order (shard, then
///   position) and the counts must match; with `ids` (one id per line, as `winnow embed --ids`
///   and `embeddings/ids.txt` write them), rows are matched to documents by id, so documents
///   may have been filtered out after the vectors were made.
/// - ``runEmbeddings``: the run folder's `embeddings/vectors.npy` and `ids.txt`, written by an
///   earlier `embed` stage of the same recipe (with `save: true`), matched by id.
///
/// Every vector is scaled to unit length after loading (the stages compare by cosine).
public enum EmbeddingSource: Sendable {
    /// Embed while observing.
    case model(Embedder, batchSize: Int, maxBatchTokens: Int)
    /// A given `.npy`, aligned by order or, with `ids`, by id.
    case file(vectors: String, ids: String?)
    /// The run folder's `embeddings/` from an earlier `embed` stage.
    case runEmbeddings

    /// The recipe parameters that choose the source, shared by the stages that use it.
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("vectors", "path", default: nil, "a float32 .npy with one row per document (row i = the i-th document reaching the stage, in input order, unless ids is given); `embed` means the run's embeddings/ from an earlier embed stage (matched by id); when absent the stage embeds with model"),
        ParameterSpec("ids", "path", default: nil, "with vectors: a file of one document id per line for the rows (as `winnow embed --ids` writes); rows are then matched to documents by id"),
        ParameterSpec("model", "path", default: "all-MiniLM-L6-v2", "the sentence-transformers model used when vectors is absent; looked up as given, then in $WINNOW_MODELS, ./models, ~/.cache/winnow/models"),
    ]

    /// Reads `vectors`, `ids` and `model` (loading the model only when no vectors are given).
    /// - Throws: ``ConfigError`` at the parameter's line for a missing model or an `ids` without
    ///   `vectors`.
    public static func parse(_ p: StageParameters) throws -> EmbeddingSource {
        let vectors = try p.string("vectors")
        let ids = try p.string("ids")
        let model = try p.string("model")
        if let vectors {
            if model != nil {
                throw ConfigError("stage '\(p.stage)': give either vectors or model, not both", at: p.location(of: "model"))
            }
            if vectors == "embed" {
                if ids != nil {
                    throw ConfigError("stage '\(p.stage)': vectors: embed reads the run's embeddings/ids.txt; remove ids", at: p.location(of: "ids"))
                }
                return .runEmbeddings
            }
            return .file(vectors: vectors, ids: ids)
        }
        if ids != nil {
            throw ConfigError("stage '\(p.stage)': ids needs vectors", at: p.location(of: "ids"))
        }
        let path: String
        do {
            if let model, model.contains("/") {
                path = try ModelLocator.locate(model, explicit: model)
            } else {
                path = try ModelLocator.locate(model ?? "all-MiniLM-L6-v2")
            }
        } catch let e as FileError {
            throw ConfigError("stage '\(p.stage)': \(e.description)", at: p.location(of: "model"))
        }
        do {
            return .model(try Embedder(folder: ModelFolder(path: path)), batchSize: 64, maxBatchTokens: 2048)
        } catch {
            throw ConfigError("stage '\(p.stage)': \(error)", at: p.location(of: "model"))
        }
    }

    // MARK: - Observe

    /// The per-shard observer: embeds (model) or records the ids (files) into the stage's work
    /// folder.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        switch self {
        case .model(let embedder, let batchSize, let maxBatchTokens):
            return try EmbedStage(embedder: embedder, batchSize: batchSize, maxBatchTokens: maxBatchTokens, save: false)
                .makeObserver(context: context)
        case .file, .runEmbeddings:
            return try IDObserver(context: context)
        }
    }

    /// Writes the ids of one shard's documents, one per line.
    final class IDObserver: CorpusObserver {
        let ids: AtomicFileWriter
        var bytes: [UInt8] = []

        init(context: CorpusContext) throws {
            ids = try AtomicFileWriter(path: context.path(EmbedStage.idFile(context.shard)))
        }

        func observe(_ document: Document, index: Int) throws {
            EmbedStage.appendID(document.id, to: &bytes)
            if bytes.count >= 1 << 20 { try flush() }
        }

        func flush() throws {
            try bytes.withUnsafeBytes { try ids.write($0) }
            bytes.removeAll(keepingCapacity: true)
        }

        func finish() throws {
            try flush()
            try ids.commit()
        }
    }

    // MARK: - Load

    /// Every document's unit-length vector, in input order, with the documents' ids and where
    /// each shard starts. Call from a resolve step, after every observer finished.
    ///
    /// Memory: the `n × d` floats, plus during loading one more copy of a given `.npy`'s body.
    /// - Throws: ``FileError`` / ``InputError`` naming the file for a missing or malformed
    ///   `.npy` or ids file, a row count that does not match the documents, an id missing from
    ///   the ids file or listed twice.
    public func load(context: CorpusContext) throws -> EmbeddingMatrix {
        let (ids, shardStarts) = try Self.encodedIDs(context: context)
        let n = ids.count
        var columns = 0
        var values: [Float]
        switch self {
        case .model(let embedder, _, _):
            columns = embedder.dimension
            values = []
            values.reserveCapacity(n * columns)
            for shard in 0 ..< context.shardCount {
                let path = context.path(EmbedStage.vectorFile(shard))
                let m = try Self.readNpy(path)
                guard m.columns == columns, m.rows == shardStarts[shard + 1] - shardStarts[shard] else {
                    throw FileError(path: path, "holds \(m.rows) × \(m.columns) floats for \(shardStarts[shard + 1] - shardStarts[shard]) documents of \(columns) dimensions")
                }
                values += m.values
            }
        case .file(let vectors, let idPath):
            (values, columns) = try Self.read(vectors: vectors, idPath: idPath, documentIDs: ids)
        case .runEmbeddings:
            guard !context.runDirectory.isEmpty else {
                throw FileError(path: context.workDirectory, "vectors: embed reads the run folder's embeddings/, but the stage runs outside a run")
            }
            let folder = context.runDirectory + "/embeddings"
            guard FileSystem.exists(folder + "/vectors.npy") else {
                throw FileError(path: folder + "/vectors.npy", "not found: vectors: embed needs an earlier `embed` stage with save: true in the same recipe")
            }
            (values, columns) = try Self.read(vectors: folder + "/vectors.npy", idPath: folder + "/ids.txt", documentIDs: ids)
        }
        guard columns > 0 || n == 0 else {
            throw FileError(path: context.workDirectory, "the vectors have no columns")
        }
        Tensor.l2NormalizeRows(&values, columns: columns)
        return EmbeddingMatrix(values: values, columns: columns, ids: ids.map(Self.decodeID), shardStarts: shardStarts)
    }

    /// The ids of the documents that reached the stage, in input order (decoded), and where
    /// each shard starts (`shardCount + 1` entries). Call after every observer finished.
    public static func documentIDs(context: CorpusContext) throws -> (ids: [String], shardStarts: [Int]) {
        let (ids, starts) = try encodedIDs(context: context)
        return (ids.map(decodeID), starts)
    }

    /// The ids as the observers wrote them (one line each).
    static func encodedIDs(context: CorpusContext) throws -> ([Substring], [Int]) {
        var ids: [Substring] = []
        var shardStarts: [Int] = []
        for shard in 0 ..< context.shardCount {
            shardStarts.append(ids.count)
            let text = String(decoding: try FileSystem.readAll(context.path(EmbedStage.idFile(shard))), as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last == "" { lines.removeLast() }
            ids += lines
        }
        shardStarts.append(ids.count)
        return (ids, shardStarts)
    }

    /// A `.npy`'s rows in document order: by position, or by id through an ids file.
    static func read(vectors: String, idPath: String?, documentIDs: [Substring]) throws -> ([Float], Int) {
        let m = try readNpy(vectors)
        guard let idPath else {
            guard m.rows == documentIDs.count else {
                throw FileError(path: vectors, "has \(m.rows) rows but \(documentIDs.count) documents reached the stage (row i must be the i-th document in input order; give ids to match rows by id)")
            }
            return (m.values, m.columns)
        }
        let text = String(decoding: try FileSystem.readAll(idPath), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard lines.count == m.rows else {
            throw FileError(path: idPath, "has \(lines.count) ids but \(vectors) has \(m.rows) rows")
        }
        var rowOf: [Substring: Int] = [:]
        rowOf.reserveCapacity(lines.count)
        for (i, id) in lines.enumerated() {
            if let first = rowOf.updateValue(i, forKey: id) {
                throw InputError("id '\(id)' is listed twice (first on line \(first + 1)); rows cannot be matched by id", at: SourceLocation(file: idPath, line: i + 1))
            }
        }
        let d = m.columns
        var values = [Float](repeating: 0, count: documentIDs.count * d)
        for (k, id) in documentIDs.enumerated() {
            guard let r = rowOf[id] else {
                throw FileError(path: idPath, "has no row for document '\(decodeID(id))' (document \(k + 1) reaching the stage)")
            }
            for j in 0 ..< d { values[k * d + j] = m.values[r * d + j] }
        }
        return (values, d)
    }

    /// Reads a float32 `.npy` matrix with its body going straight into the float array, so
    /// memory is the matrix itself (``NpyMatrix`` holds the file's bytes and the floats at once).
    /// Anything but a plain little-endian float32 C-order 1- or 2-D header is left to
    /// ``NpyMatrix``, which names the problem.
    /// - Throws: ``InputError`` / ``FileError`` naming the file for a malformed or truncated file.
    static func readNpy(_ path: String) throws -> (values: [Float], rows: Int, columns: Int) {
        let size = Int(try FileSource.size(path: path))
        let head = try FileSource.peek(path: path, count: min(size, 1 << 16))
        func fallback() throws -> (values: [Float], rows: Int, columns: Int) {
            let m = try NpyMatrix(path: path)
            return (m.values, m.rows, m.columns)
        }
        guard head.count >= 10, head[0] == 0x93, head[6] == 1 || head[6] == 2 || head[6] == 3 else { return try fallback() }
        let lengthBytes = head[6] == 1 ? 2 : 4
        var headerLength = 0
        for k in 0 ..< lengthBytes where 8 + k < head.count { headerLength |= Int(head[8 + k]) << (8 * k) }
        let body = 8 + lengthBytes + headerLength
        guard body <= head.count else { return try fallback() }
        let header = String(decoding: head[(8 + lengthBytes) ..< body], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
              let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else { return try fallback() }
        let dims = header[open.upperBound ..< close].split(separator: ",").map { $0.filter { $0 != " " } }.filter { !$0.isEmpty }
        let shape = dims.compactMap { Int($0) }
        guard shape.count == dims.count, shape.count == 1 || shape.count == 2 else { return try fallback() }
        let rows = shape.count == 2 ? shape[0] : 1
        let columns = shape[shape.count - 1]
        guard size - body == rows * columns * 4 else { return try fallback() }
        let source = try FileSource(path: path, start: Int64(body))
        let values = try [Float](unsafeUninitializedCapacity: rows * columns) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var filled = 0
            while filled < raw.count {
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                if n == 0 { break }
                filled += n
            }
            guard filled == raw.count else {
                throw InputError("truncated body", at: SourceLocation(file: path, byteOffset: Int64(body + filled)))
            }
            count = rows * columns
        }
        return (values, rows, columns)
    }

    /// An id as ``EmbedStage/appendID(_:to:)`` wrote it, decoded (JSON-quoted when it held a line break).
    static func decodeID(_ line: Substring) -> String {
        guard line.hasPrefix("\""), line.count >= 2, line.hasSuffix("\"") else { return String(line) }
        let record = Array("{\"text\":\"\",\"id\":".utf8) + Array(line.utf8) + [0x7D]
        let decoded = try? record.withUnsafeBytes { try JSONLCodec().decode($0, fallbackID: { "" }) }
        return decoded?.id ?? String(line)
    }
}

/// Unit-length vectors of the documents reaching a stage, in input order.
public struct EmbeddingMatrix: Sendable {
    /// `rows × columns` floats, row-major, each row of unit length (or zero).
    public var values: [Float]
    /// The dimension.
    public var columns: Int
    /// The documents' ids, in the same order.
    public var ids: [String]
    /// Where each shard's documents start, plus the total at the end (`shardCount + 1` entries).
    public var shardStarts: [Int]

    /// The number of documents.
    public var rows: Int { ids.count }
}

/// A file of raw float32 rows mapped read-only into memory, so the partitions of a resolve step
/// running on several threads share one copy of a large matrix (the page cache's).
///
/// Open it with ``shared(path:columns:)``: threads that map the same file at the same time get
/// one mapping, so the process's resident set counts the matrix once, not once per thread.
/// Immutable after creation (a read-only mapping), hence `Sendable`.
public final class MappedMatrix: @unchecked Sendable {
    private final class WeakEntry: @unchecked Sendable {
        weak var matrix: MappedMatrix?
        init(_ matrix: MappedMatrix) { self.matrix = matrix }
    }
    private static let mappings = Mutex<[String: WeakEntry]>([:])

    /// The live mapping of `path` if another thread holds one, else a new one.
    /// - Throws: as ``init(path:columns:)``.
    public static func shared(path: String, columns: Int) throws -> MappedMatrix {
        try mappings.withLock { table in
            if let live = table[path]?.matrix, live.columns == columns { return live }
            let made = try MappedMatrix(path: path, columns: columns)
            table = table.filter { $0.value.matrix != nil }
            table[path] = WeakEntry(made)
            return made
        }
    }

    private let base: UnsafeMutableRawPointer?
    private let length: Int
    /// The number of rows.
    public let rows: Int
    /// Floats per row.
    public let columns: Int

    /// Maps `path`, a headerless file of `rows × columns` little-endian float32 values.
    /// - Throws: ``FileError`` when the file is missing, cannot be mapped, or its size is not a
    ///   whole number of rows.
    public init(path: String, columns: Int) throws {
        precondition(columns > 0)
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError(path: path, "cannot stat") }
        length = Int(st.st_size)
        guard length % (columns * 4) == 0 else {
            throw FileError(path: path, "\(length) bytes are not whole rows of \(columns) float32 values")
        }
        self.columns = columns
        rows = length / (columns * 4)
        if length == 0 {
            base = nil
        } else {
            guard let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
                throw FileError(path: path, "cannot map: \(String(cString: strerror(errno)))")
            }
            base = p
        }
    }

    deinit {
        if let base { munmap(base, length) }
    }

    /// Lends a view of the matrix to `body`.
    public func withView<R>(_ body: (MatrixView) throws -> R) rethrows -> R {
        guard let base else {
            return try [Float]().withUnsafeBufferPointer { try body(MatrixView($0, rows: 0, columns: columns)) }
        }
        let floats = UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: rows * columns)
        return try body(MatrixView(floats, rows: rows, columns: columns))
    }

    /// Writes `values` as a headerless float32 file for ``init(path:columns:)``.
    public static func write(_ values: [Float], to path: String) throws {
        let w = try AtomicFileWriter(path: path)
        try values.withUnsafeBytes { try w.write($0) }
        try w.commit()
    }
}
