#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO
import WinnowText

/// What a dedup index can hold.
public enum DedupIndexKind: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Hashes of whole documents' normalised text, as `exact_dedup` computes them.
    case exact
    /// MinHash LSH band keys, as `minhash_dedup` computes them.
    case minhash
    /// Hashes of normalised lines, as `line_dedup` computes them.
    case line

    /// Orders kinds as ``allCases`` lists them.
    public static func < (a: DedupIndexKind, b: DedupIndexKind) -> Bool {
        allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
    }
}

/// The MinHash parameters that make band keys comparable: an index's must equal the stage's.
public struct MinHashIndexParameters: Sendable, Hashable, CustomStringConvertible {
    /// Words per shingle.
    public var ngram: Int
    /// LSH bands.
    public var bands: Int
    /// MinHash values per band.
    public var rows: Int
    /// Seed of the permutations.
    public var seed: UInt64

    /// Creates parameters (the defaults are `minhash_dedup`'s).
    public init(ngram: Int = 5, bands: Int = 14, rows: Int = 8, seed: UInt64 = 1) {
        self.ngram = ngram
        self.bands = bands
        self.rows = rows
        self.seed = seed
    }

    /// `ngram 5, bands 14, rows 8, seed 1`.
    public var description: String { "ngram \(ngram), bands \(bands), rows \(rows), seed \(seed)" }
}

/// A dedup index built from a reference corpus by ``DedupIndexBuilder`` (`winnow index build`):
/// sorted files of exact-text hashes, MinHash band keys (one file per band) and line hashes,
/// described by a versioned manifest (`index.json`) with each file's entry count and checksum.
///
/// `exact_dedup`, `minhash_dedup` and `line_dedup` take it as their `index` parameter and drop
/// what the reference corpus already holds. Lookups go to disk (``SortedWordFile``): memory is
/// 8 bytes per 512 entries of each file, plus 4 KiB per reading thread and file.
public final class DedupIndex: Sendable {
    /// The manifest's file name.
    public static let manifestName = "index.json"
    /// The marker file that says Winnow created the folder (``prepareFolder(_:overwrite:)``).
    public static let markerName = ".winnow-index"
    /// The manifest's `format` value.
    public static let formatName = "winnow-dedup-index"
    /// The format version this code writes and reads.
    public static let version = 1
    /// The names Winnow writes in an index folder, and the only ones it ever removes.
    public static let ownedNames = ["index.json", "exact.u64", "line.u64", "minhash", "tmp", "index.lock"]

    /// The folder as given.
    public let path: String
    /// The kinds it holds.
    public let kinds: [DedupIndexKind]
    /// Documents read to build it.
    public let documents: Int
    /// The input patterns it was built from, as given.
    public let inputs: [String]
    /// Whether exact hashes are of normalised text (`exact_dedup`'s `normalize`); nil without exact.
    public let exactNormalize: Bool?
    /// The MinHash parameters; nil without minhash.
    public let minhash: MinHashIndexParameters?
    /// Distinct exact hashes.
    public var exactCount: Int { exact?.count ?? 0 }
    /// Distinct line hashes.
    public var lineCount: Int { line?.count ?? 0 }
    /// Distinct band keys per band.
    public var bandCounts: [Int] { bands.map(\.count) }

    let exact: SortedWordFile?
    let line: SortedWordFile?
    let bands: [SortedWordFile]

    static func bandFile(_ band: Int) -> String {
        let s = String(band)
        return "minhash/band-" + String(repeating: "0", count: max(0, 3 - s.count)) + s + ".u64"
    }

    // MARK: - Opening

    /// Opens an index folder and checks its manifest and every file's length, order and checksum.
    /// - Throws: ``ConfigError`` naming the file that is missing, of another format or version,
    ///   or damaged.
    public init(path: String) throws {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        self.path = p
        let manifestPath = p + "/" + Self.manifestName
        guard FileSystem.isDirectory(p) else {
            throw ConfigError("dedup index '\(p)' is not a folder (build one with `winnow index build`)", at: SourceLocation(file: p))
        }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readAll(manifestPath)
        } catch {
            throw ConfigError(
                "dedup index '\(p)' has no readable \(Self.manifestName) (\(error)): not an index, or its build did not finish",
                at: SourceLocation(file: manifestPath))
        }
        func bad(_ message: String) -> ConfigError {
            ConfigError("dedup index manifest '\(manifestPath)': \(message)", at: SourceLocation(file: manifestPath))
        }
        let parsed: Result<MetadataValue, JSONSyntaxError> = bytes.withUnsafeBytes { raw in
            var s = JSONScanner(raw)
            s.skipWhitespace()
            do throws(JSONSyntaxError) {
                return .success(try s.value())
            } catch {
                return .failure(error)
            }
        }
        let root: MetadataValue
        switch parsed {
        case .success(let v): root = v
        case .failure(let e): throw bad("\(e.message) at byte \(e.position)")
        }
        guard case .object(let top) = root else { throw bad("not a JSON object") }
        guard top["format"]?.stringValue == Self.formatName else { throw bad("format is not '\(Self.formatName)'") }
        guard let version = top["version"]?.intValue else { throw bad("no version") }
        guard version == Int64(Self.version) else {
            throw bad("format version \(version); this winnow reads version \(Self.version): rebuild the index")
        }
        func object(_ v: MetadataValue?) -> [String: MetadataValue]? {
            if case .object(let o) = v { return o }
            return nil
        }
        func int(_ o: [String: MetadataValue], _ key: String, _ what: String) throws -> Int {
            guard let v = o[key]?.intValue, v >= 0 else { throw bad("\(what) has no count '\(key)'") }
            return Int(v)
        }
        func file(_ o: [String: MetadataValue]?, _ name: String, _ what: String) throws -> SortedWordFile {
            guard let o, let sum = o["checksum"]?.stringValue else { throw bad("\(what) has no checksum") }
            return try SortedWordFile(path: p + "/" + name, count: try int(o, "count", what), checksum: sum, what: "dedup index '\(p)'")
        }
        var kinds: [DedupIndexKind] = []
        if case .array(let list) = top["kinds"] {
            for k in list {
                guard let s = k.stringValue, let kind = DedupIndexKind(rawValue: s) else { throw bad("unknown kind \(k)") }
                kinds.append(kind)
            }
        } else {
            throw bad("no kinds")
        }
        self.kinds = kinds
        documents = Int(top["documents"]?.intValue ?? 0)
        if case .array(let list) = top["inputs"] { inputs = list.compactMap(\.stringValue) } else { inputs = [] }
        if kinds.contains(.exact) {
            let o = object(top["exact"])
            guard case .bool(let normalize)? = o?["normalize"] else { throw bad("exact has no 'normalize'") }
            exactNormalize = normalize
            exact = try file(o, "exact.u64", "exact")
        } else {
            exactNormalize = nil
            exact = nil
        }
        if kinds.contains(.line) {
            line = try file(object(top["line"]), "line.u64", "line")
        } else {
            line = nil
        }
        if kinds.contains(.minhash) {
            guard let o = object(top["minhash"]) else { throw bad("no minhash section") }
            let params = MinHashIndexParameters(
                ngram: try int(o, "ngram", "minhash"), bands: try int(o, "bands", "minhash"), rows: try int(o, "rows", "minhash"),
                seed: UInt64(try int(o, "seed", "minhash")))
            guard params.ngram >= 1, params.bands >= 1, params.rows >= 1 else { throw bad("minhash parameters out of range") }
            guard case .array(let files)? = o["files"], files.count == params.bands else {
                throw bad("minhash lists no file per band (\(params.bands) bands)")
            }
            minhash = params
            bands = try files.enumerated().map { band, f in try file(object(f), Self.bandFile(band), "minhash band \(band)") }
        } else {
            minhash = nil
            bands = []
        }
    }

    /// Opens the index a stage's `index` parameter names, checking it holds `kind`; nil when the
    /// parameter is absent.
    /// - Throws: ``ConfigError`` at the parameter's recipe location.
    static func forStage(_ p: StageParameters, stage: String, kind: DedupIndexKind) throws -> DedupIndex? {
        guard let path = try p.string("index") else { return nil }
        let at = p.location(of: "index")
        guard !path.isEmpty else { throw ConfigError("stage '\(stage)': index must name an index folder", at: at) }
        let index: DedupIndex
        do {
            index = try DedupIndex(path: path)
        } catch let e as ConfigError {
            throw ConfigError("stage '\(stage)': \(e.message)", at: at)
        }
        guard index.kinds.contains(kind) else {
            throw ConfigError(
                "stage '\(stage)': dedup index '\(index.path)' holds no \(kind.rawValue) entries (it holds \(index.kinds.map(\.rawValue).joined(separator: ", "))); rebuild it with --kinds including \(kind.rawValue)",
                at: at)
        }
        return index
    }

    // MARK: - Lookups

    /// One reading thread's block buffers.
    struct Cursors {
        var exact = SortedWordFile.Cursor()
        var line = SortedWordFile.Cursor()
        var bands: [SortedWordFile.Cursor]
        init(bands: Int) { self.bands = Array(repeating: SortedWordFile.Cursor(), count: bands) }
    }

    /// Whether the index holds this exact-text hash.
    func containsExact(_ hash: UInt64, _ c: inout Cursors) throws -> Bool {
        guard let exact else { return false }
        return try exact.contains(hash, cursor: &c.exact)
    }

    /// Whether the index holds this line hash.
    func containsLine(_ hash: UInt64, _ c: inout Cursors) throws -> Bool {
        guard let line else { return false }
        return try line.contains(hash, cursor: &c.line)
    }

    /// Whether the index holds any of these band keys (one per band, in band order).
    func containsAnyBand(_ keys: [UInt64], _ c: inout Cursors) throws -> Bool {
        for (band, key) in keys.enumerated() where band < bands.count {
            if try bands[band].contains(key, cursor: &c.bands[band]) { return true }
        }
        return false
    }

    /// What `winnow index info` prints.
    public var summary: String {
        var lines = ["dedup index \(path) (format \(Self.formatName) v\(Self.version))"]
        lines.append("documents: \(documents)")
        if !inputs.isEmpty { lines.append("inputs: \(inputs.joined(separator: " "))") }
        lines.append("kinds: \(kinds.map(\.rawValue).joined(separator: ", "))")
        if let n = exactNormalize { lines.append("exact: \(exactCount) distinct hashes (normalize: \(n))") }
        if let m = minhash {
            let total = bandCounts.reduce(0, +)
            lines.append("minhash: \(m); \(total) distinct band keys (per band \(bandCounts.min() ?? 0)–\(bandCounts.max() ?? 0))")
        }
        if line != nil { lines.append("line: \(lineCount) distinct line hashes") }
        return lines.joined(separator: "\n") + "\n"
    }
}
