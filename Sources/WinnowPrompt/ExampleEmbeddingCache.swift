import Foundation
import GRDB
import WinnowCore

/// Pool embeddings kept in SQLite so a pool is embedded once per model, not once per run.
///
/// Rows are keyed by the pool's content hash and the model's id; vectors are stored as one
/// little-endian float32 blob (`rows × dimension`). Storing a pool drops older rows for the
/// same source and model, so editing a pool file invalidates its vectors (the new content has a
/// new hash) without growing the cache.
///
/// Safe to share between threads and processes (SQLite's lock, with a busy timeout).
public final class ExampleEmbeddingCache: Sendable {
    private let db: DatabaseQueue
    /// The database file.
    public let path: String

    /// Opens (creating the file and its folder if needed) the cache at `path`.
    /// - Throws: ``FileError`` naming the file when SQLite cannot open it.
    public init(path: String) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        var config = Configuration()
        config.busyMode = .timeout(30)
        do {
            db = try DatabaseQueue(path: path, configuration: config)
            try db.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS example_vectors (
                            pool_hash TEXT NOT NULL,
                            model_id TEXT NOT NULL,
                            source TEXT NOT NULL,
                            rows INTEGER NOT NULL,
                            dimension INTEGER NOT NULL,
                            vectors BLOB NOT NULL,
                            PRIMARY KEY (pool_hash, model_id)
                        )
                        """)
            }
        } catch let error as DatabaseError {
            throw FileError(path: path, "SQLite error \(error.resultCode.rawValue): \(error.message ?? "")")
        }
    }

    /// The default location: `$XDG_CACHE_HOME/winnow/examples.sqlite`, else
    /// `~/.cache/winnow/examples.sqlite`, else `.winnow-cache/examples.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let root = environment["XDG_CACHE_HOME"], !root.isEmpty { return root + "/winnow/examples.sqlite" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.cache/winnow/examples.sqlite" }
        return ".winnow-cache/examples.sqlite"
    }

    /// The cached vectors of a pool, or nil when none match its hash, model and shape.
    /// - Returns: `rows × dimension` floats, row-major.
    public func vectors(poolHash: UInt64, modelID: String, rows: Int, dimension: Int) throws -> [Float]? {
        let row = try wrap {
            try db.read { db in
                try Row.fetchOne(
                    db, sql: "SELECT rows, dimension, vectors FROM example_vectors WHERE pool_hash = ? AND model_id = ?",
                    arguments: [Self.hex(poolHash), modelID])
            }
        }
        guard let row, row["rows"] as Int == rows, row["dimension"] as Int == dimension else { return nil }
        let blob: Data = row["vectors"]
        guard blob.count == rows * dimension * MemoryLayout<UInt32>.size else { return nil }
        return blob.withUnsafeBytes { raw in
            (0 ..< rows * dimension).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// Stores a pool's vectors, replacing older entries for the same source and model.
    public func store(poolHash: UInt64, modelID: String, source: String, rows: Int, dimension: Int, vectors: [Float]) throws {
        precondition(vectors.count == rows * dimension, "vectors do not match rows × dimension")
        var blob = Data(capacity: vectors.count * 4)
        for value in vectors { withUnsafeBytes(of: value.bitPattern.littleEndian) { blob.append(contentsOf: $0) } }
        let key = Self.hex(poolHash)
        try wrap {
            try db.write { db in
                try db.execute(
                    sql: "DELETE FROM example_vectors WHERE source = ? AND model_id = ? AND pool_hash != ?",
                    arguments: [source, modelID, key])
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO example_vectors (pool_hash, model_id, source, rows, dimension, vectors)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """, arguments: [key, modelID, source, rows, dimension, blob])
            }
        }
    }

    /// How many pools are cached (for tests and diagnostics).
    public func entryCount() throws -> Int {
        try wrap { try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM example_vectors") ?? 0 } }
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw FileError(path: path, "SQLite error \(error.resultCode.rawValue): \(error.message ?? "")")
        }
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
