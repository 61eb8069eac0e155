import Foundation
import GRDB
import WinnowCore

/// A finished task as the manifest recorded it.
public struct TaskRecord: Sendable, Hashable {
    /// The task's key, e.g. `p0/shard/00003` or `p0/resolve0/0`.
    public var key: String
    /// `running` or `done`.
    public var status: String
    /// How many times the task was started.
    public var attempts: Int
    /// Output files (path relative to the run folder) and their checksums.
    public var outputs: [String: String]
    /// The task's stats as JSON.
    public var stats: String
}

/// The run's manifest in `run.sqlite`: the recipe's hash, and each task with its status,
/// attempts, output checksums and stats, so `--resume` skips what is done.
///
/// Safe to use from several threads and several processes (one task of N); writers wait for
/// SQLite's lock up to a timeout.
public final class RunManifest: Sendable {
    private let db: DatabaseQueue
    /// The database file.
    public let path: String

    /// Opens (creating if needed) the manifest at `path`.
    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(60)
        // WAL with synchronous=NORMAL: one fsync per checkpoint instead of several per task, and
        // still crash-safe (a task either is recorded done or is redone).
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
        }
        // N task processes may open a new manifest at the same moment: two that both switch it
        // to WAL can deadlock inside SQLite, which then answers SQLITE_BUSY at once instead of
        // waiting. The opening is retried (for about a minute), as any other lock wait is.
        var attempt = 0
        while true {
            do {
                db = try Self.open(path: path, configuration: config)
                break
            } catch let error as DatabaseError
                where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && attempt < 300
            {
                attempt += 1
                usleep(useconds_t(min(200_000, 10_000 * attempt)))
            } catch let error as DatabaseError {
                throw FileError(path: path, "SQLite error \(error.resultCode.rawValue): \(error.message ?? "")")
            }
        }
    }

    private static func open(path: String, configuration config: Configuration) throws -> DatabaseQueue {
        let db = try DatabaseQueue(path: path, configuration: config)
        try db.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS tasks (
                        key TEXT PRIMARY KEY,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        outputs TEXT NOT NULL DEFAULT '{}',
                        stats TEXT NOT NULL DEFAULT '{}',
                        started_at REAL,
                        finished_at REAL
                    );
                    """)
        }
        return db
    }

    /// Whether `path` is a Winnow manifest (an SQLite file with the run and tasks tables),
    /// checked read-only: a run folder of an older version is recognised by it.
    public static func isManifest(path: String) -> Bool {
        var config = Configuration()
        config.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: config) else { return false }
        let tables = (try? queue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('run', 'tasks')")
        }) ?? []
        return Set(tables) == ["run", "tasks"]
    }

    /// A run-level value (recipe hash, name, shard count…).
    public func value(_ key: String) throws -> String? {
        try read { try String.fetchOne($0, sql: "SELECT value FROM run WHERE key = ?", arguments: [key]) }
    }

    /// Sets a run-level value.
    public func setValue(_ key: String, _ value: String) throws {
        try write {
            try $0.execute(sql: "INSERT OR REPLACE INTO run (key, value) VALUES (?, ?)", arguments: [key, value])
        }
    }

    /// Every run-level value whose key starts with `prefix` (key → value), in one query.
    public func values(prefix: String) throws -> [String: String] {
        try read { db in
            var out: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM run WHERE substr(key, 1, ?) = ?", arguments: [prefix.count, prefix]) {
                out[row["key"]] = row["value"]
            }
            return out
        }
    }

    /// Removes a run-level value (nothing when it is absent).
    public func removeValue(_ key: String) throws {
        try write { try $0.execute(sql: "DELETE FROM run WHERE key = ?", arguments: [key]) }
    }

    /// Sets a run-level value unless one exists; returns the stored value.
    public func setValueIfAbsent(_ key: String, _ value: String) throws -> String {
        try write {
            try $0.execute(sql: "INSERT OR IGNORE INTO run (key, value) VALUES (?, ?)", arguments: [key, value])
            return try String.fetchOne($0, sql: "SELECT value FROM run WHERE key = ?", arguments: [key]) ?? value
        }
    }

    /// Records that a task starts (counting the attempt).
    public func begin(_ key: String) throws {
        try write {
            try $0.execute(
                sql: """
                    INSERT INTO tasks (key, status, attempts, started_at) VALUES (?, 'running', 1, ?)
                    ON CONFLICT(key) DO UPDATE SET status = 'running', attempts = attempts + 1, started_at = excluded.started_at
                    """, arguments: [key, Date().timeIntervalSince1970])
        }
    }

    /// Records that a task finished, with its outputs' checksums and its stats JSON.
    public func finish(_ key: String, outputs: [String: String], stats: String) throws {
        let outputsJSON = String(decoding: try JSONSerialization.data(withJSONObject: outputs, options: [.sortedKeys]), as: UTF8.self)
        try write {
            try $0.execute(
                sql: "UPDATE tasks SET status = 'done', outputs = ?, stats = ?, finished_at = ? WHERE key = ?",
                arguments: [outputsJSON, stats, Date().timeIntervalSince1970, key])
        }
    }

    /// Forgets a task (its outputs were found missing or changed).
    public func reset(_ key: String) throws {
        try write { try $0.execute(sql: "UPDATE tasks SET status = 'stale' WHERE key = ?", arguments: [key]) }
    }

    /// Every task record, by key.
    public func tasks() throws -> [String: TaskRecord] {
        try read { db in
            var out: [String: TaskRecord] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, status, attempts, outputs, stats FROM tasks") {
                let key: String = row["key"]
                let outputsText: String = row["outputs"]
                let outputs =
                    (try? JSONSerialization.jsonObject(with: Data(outputsText.utf8))) as? [String: String] ?? [:]
                out[key] = TaskRecord(
                    key: key, status: row["status"], attempts: row["attempts"], outputs: outputs, stats: row["stats"])
            }
            return out
        }
    }

    /// The record of one task, if any.
    public func task(_ key: String) throws -> TaskRecord? {
        try tasks()[key]
    }

    // MARK: - Errors

    /// Runs a write transaction; SQLite's errors (a full disk, a locked or corrupt file) become
    /// a ``FileError`` naming the manifest, so the command exits 1 with the path.
    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try db.write(body)
        } catch let error as DatabaseError {
            throw FileError(path: path, "SQLite error \(error.resultCode.rawValue): \(error.message ?? "") (while recording the run)")
        }
    }

    /// Runs a read; SQLite's errors become a ``FileError`` naming the manifest.
    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try db.read(body)
        } catch let error as DatabaseError {
            throw FileError(path: path, "SQLite error \(error.resultCode.rawValue): \(error.message ?? "") (while reading the run)")
        }
    }
}
