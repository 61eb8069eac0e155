import WinnowCore
import WinnowIO
import WinnowParquet

/// What to do with a bad input record.
public enum ErrorPolicy: String, Sendable, Hashable, CaseIterable {
    /// Stop the run with the record's file and line (exit code 1).
    case fail
    /// Count the record in stats, write it to `errors.jsonl`, and go on.
    case skip
}

/// A recipe's `input:` section.
public struct InputSpec: Sendable, Hashable {
    /// Paths or glob patterns, in order.
    public var patterns: [String]
    /// The folder that default ids are relative to.
    public var root: String
    /// Reader options (format, keys, split, line limit).
    public var options: ReaderOptions
    /// Uncompressed files larger than this are cut into byte ranges of this size.
    public var shardBytes: Int64
    /// MediaWiki: whether page text is turned from wikitext into plain text (`wikitext: plain`,
    /// the default) or kept as stored (`wikitext: raw`).
    public var wikitextToPlain = true
    /// Where `patterns` came from, as error messages name it: `input.path`, or `--input` when
    /// the command line replaced it (``replacePath(with:origin:)``).
    public var pathOrigin = "input.path"
}

extension InputSpec {
    /// Replaces the recipe's `input.path` with one path given on the command line
    /// (`winnow run --input PATH`): a file, a glob, or a folder, which stands for every file
    /// under it (`folder/**/*`; names starting with `.` are skipped). Ids and shard names become
    /// relative to the new path's folder part, as they would be had the recipe said so, since a
    /// recipe's `root` was written for its own paths. The run checks the new path as it checks
    /// `input.path` (an output folder that holds or sits in an input is refused).
    public mutating func replacePath(with path: String, origin: String = "--input") {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        let pattern = FileSystem.isDirectory(p) ? (p == "/" ? "/**/*" : p + "/**/*") : p
        patterns = [pattern]
        root = Recipe.globRoot(pattern)
        pathOrigin = origin
    }
}

/// A recipe's `output:` section.
public struct OutputSpec: Sendable, Hashable {
    /// The run folder.
    public var path: String
    /// The data format.
    public var format: OutputFormat
    /// Whether removed documents are written under `removed/<reason>/`.
    public var keepRemoved: Bool
    /// gzip (1–9) or zstd (1–19) level; nil for the default.
    public var compressionLevel: Int?
    /// Parquet output: codec, row group size, level (`compression`, `row_group_size`,
    /// `compression_level`).
    public var parquet = ParquetWriterOptions()
}

/// One stage of a recipe, built.
public struct RecipeStage: Sendable {
    /// Position in the recipe (0-based).
    public var index: Int
    /// The registry name.
    public var name: String
    /// The stage.
    public var stage: any Stage
    /// Where it is written.
    public var location: SourceLocation?
    /// The key under which its stats appear: `name`, or `name#k` for a repeated name.
    public var statsKey: String
}

/// A pipeline recipe (pipelines/*.yaml) decoded through the stage registry.
public struct Recipe: Sendable {
    /// The recipe's name.
    public var name: String
    /// Where documents come from.
    public var input: InputSpec
    /// Where they go.
    public var output: OutputSpec
    /// Worker threads (nil: the number of cores).
    public var workers: Int?
    /// The run's seed.
    public var seed: UInt64
    /// The bad-record policy.
    public var onError: ErrorPolicy
    /// Memory budget for corpus stages, in bytes.
    public var memoryBudget: Int
    /// The stages in order.
    public var stages: [RecipeStage]
    /// A stable hash of the recipe text (stored in the manifest; `--resume` requires a match).
    public var fingerprint: String
    /// The recipe text as written (shown in the run's report).
    public var text: String = ""
    /// The `executor:` block, if any.
    public var executor: ExecutorSpec? = nil

    static let topKeys = ["name", "input", "output", "workers", "seed", "on_error", "memory", "executor", "stages"]
    static let inputKeys = [
        "path", "format", "text_key", "id_key", "split", "root", "shard_size", "max_line_bytes", "record_types", "content_types",
        "max_record_bytes", "namespaces", "skip_redirects", "wikitext", "columns",
    ]
    /// Input keys that only some formats read.
    static let formatKeys: [String: [InputFormat]] = [
        "text_key": [.jsonl, .parquet], "id_key": [.jsonl, .parquet], "columns": [.parquet], "split": [.text], "max_line_bytes": [.jsonl, .text],
        "record_types": [.warc], "content_types": [.warc], "max_record_bytes": [.warc, .html],
        "namespaces": [.mediawiki], "skip_redirects": [.mediawiki], "wikitext": [.mediawiki],
    ]
    static let outputKeys = ["path", "format", "keep_removed", "compression_level", "compression", "row_group_size"]

    /// The largest recipe file, in bytes (recipes are a few hundred bytes; anything near this is
    /// not a recipe).
    public static let maxBytes = 1 << 20

    /// Loads and decodes a recipe file.
    /// - Throws: ``ConfigError`` naming `file:line:column` (or the file alone when it cannot be
    ///   read or is larger than ``maxBytes``).
    public static func load(path: String, registry: StageRegistry = .standard) throws -> Recipe {
        let bytes: [UInt8]
        do {
            let size = try FileSource.size(path: path)
            guard size <= Int64(maxBytes) else {
                throw ConfigError(
                    "recipe is \(size) bytes, more than the \(maxBytes) a recipe may have (is this a data file?)",
                    at: SourceLocation(file: path))
            }
            bytes = try FileSystem.readAll(path)
        } catch let e as ConfigError {
            throw e
        } catch {
            throw ConfigError("cannot read recipe: \(error)", at: SourceLocation(file: path))
        }
        return try decode(bytes: bytes, file: path, registry: registry)
    }

    /// Decodes recipe bytes, which must be UTF-8 and at most ``maxBytes`` long.
    /// - Throws: ``ConfigError`` naming `file:line:column` of the first invalid UTF-8 byte, or
    ///   any error of ``decode(_:file:registry:)``.
    public static func decode(bytes: [UInt8], file: String, registry: StageRegistry = .standard) throws -> Recipe {
        guard bytes.count <= maxBytes else {
            throw ConfigError("recipe is \(bytes.count) bytes, more than the \(maxBytes) a recipe may have", at: SourceLocation(file: file))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let bad = bytes.withUnsafeBufferPointer { JSONScanner.firstInvalidUTF8($0) }
            var loc = YAMLLoader.position(utf8Offset: bad, in: bytes, file: file)
            loc.byteOffset = Int64(bad)
            let shown = bytes[bad...].prefix(4).prefix(while: { $0 >= 0x80 }).map { "\\x" + String($0, radix: 16) }.joined()
            throw ConfigError("recipe is not valid UTF-8: invalid bytes '\(shown)' at byte \(bad)", at: loc)
        }
        return try decode(text, file: file, registry: registry)
    }

    /// Decodes recipe text.
    public static func decode(_ text: String, file: String, registry: StageRegistry = .standard) throws -> Recipe {
        guard text.utf8.count <= maxBytes else {
            throw ConfigError("recipe is \(text.utf8.count) bytes, more than the \(maxBytes) a recipe may have", at: SourceLocation(file: file))
        }
        let root = try YAMLLoader.load(text, file: file)
        let top = try mapping(root, "the recipe", allowed: topKeys)
        func req(_ key: String) throws -> ConfigValue {
            guard let v = top[key], v.kind != .null else {
                throw ConfigError("recipe needs '\(key)'", at: root.location ?? SourceLocation(file: file, line: 1))
            }
            return v
        }
        let name = try top["name"].map { try scalar($0, "name") } ?? baseName(file)

        // input
        let inputValue = try req("input")
        let input = try mapping(inputValue, "input", allowed: inputKeys)
        guard let pathValue = input["path"] else { throw ConfigError("input needs 'path'", at: inputValue.location) }
        let patterns = try strings(pathValue, "input.path")
        var options = ReaderOptions()
        if let f = input["format"] {
            let s = try scalar(f, "input.format")
            guard let format = InputFormat(rawValue: s) else {
                throw ConfigError(
                    "input.format must be one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s)'"
                        + NameSuggestion.hint(for: s, in: InputFormat.allCases.map(\.rawValue)),
                    at: f.location)
            }
            options.format = format
        }
        if let v = input["text_key"] { options.textKey = try scalar(v, "input.text_key") }
        if let v = input["id_key"] { options.idKey = try scalar(v, "input.id_key") }
        if let v = input["split"] {
            let s = try scalar(v, "input.split")
            guard let split = TextSplit(rawValue: s) else {
                throw ConfigError(
                    "input.split must be file, line or paragraph, got '\(s)'" + NameSuggestion.hint(for: s, in: TextSplit.allCases.map(\.rawValue)),
                    at: v.location)
            }
            options.split = split
        }
        if let v = input["max_line_bytes"] { options.maxLineBytes = Int(try bytesValue(v, "input.max_line_bytes")) }
        for (key, formats) in formatKeys.sorted(by: { $0.key < $1.key }) {
            if let v = input[key], !formats.contains(options.format) {
                throw ConfigError(
                    "input.\(key) applies to format \(formats.map(\.rawValue).joined(separator: " or ")), not \(options.format.rawValue)",
                    at: v.location)
            }
        }
        if let v = input["record_types"] {
            let types = try strings(v, "input.record_types").map { $0.lowercased() }
            let known = ["response", "conversion", "resource", "request", "metadata", "revisit", "warcinfo"]
            for t in types where !["response", "conversion", "resource"].contains(t) {
                throw ConfigError(
                    known.contains(t)
                        ? "input.record_types: '\(t)' records hold no document text (use response, conversion or resource)"
                        : "input.record_types: unknown WARC record type '\(t)' (use response, conversion or resource)",
                    at: v.location)
            }
            if types.isEmpty { throw ConfigError("input.record_types needs at least one type", at: v.location) }
            options.warcRecordTypes = types
        }
        if let v = input["content_types"] {
            let types = try strings(v, "input.content_types").map { $0.lowercased() }
            for t in types where t != "*" && !t.contains("/") {
                throw ConfigError("input.content_types: '\(t)' is not a media type such as text/html (or *)", at: v.location)
            }
            options.contentTypes = types
        }
        if let v = input["max_record_bytes"] {
            options.maxRecordBytes = Int(min(try bytesValue(v, "input.max_record_bytes"), Int64(Int32.max / 4)))
        }
        if let v = input["namespaces"] {
            guard case .sequence(let items) = v.kind else {
                throw ConfigError("input.namespaces must be a list of namespace numbers, e.g. [0]", at: v.location)
            }
            options.namespaces = try items.map { try int($0, "input.namespaces", -2...100_000) }
        }
        if let v = input["skip_redirects"] { options.skipRedirects = try bool(v, "input.skip_redirects") }
        if let v = input["columns"] { options.columns = try strings(v, "input.columns") }
        var wikitextToPlain = true
        if let v = input["wikitext"] {
            switch try scalar(v, "input.wikitext") {
            case "plain": wikitextToPlain = true
            case "raw": wikitextToPlain = false
            case let s: throw ConfigError("input.wikitext must be plain or raw, got '\(s)'", at: v.location)
            }
        }
        let shardBytes = try input["shard_size"].map { try bytesValue($0, "input.shard_size") } ?? (64 << 20)
        let inputRoot = try input["root"].map { try scalar($0, "input.root") } ?? globRoot(patterns.first ?? "")

        // output
        let outputValue = try req("output")
        let output = try mapping(outputValue, "output", allowed: outputKeys)
        guard let outPathValue = output["path"] else { throw ConfigError("output needs 'path'", at: outputValue.location) }
        var outSpec = OutputSpec(path: try scalar(outPathValue, "output.path"), format: .jsonlGzip, keepRemoved: false)
        if let f = output["format"] {
            let s = try scalar(f, "output.format")
            guard let format = OutputFormat(rawValue: s) else {
                throw ConfigError(
                    "output.format must be one of \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s)'"
                        + NameSuggestion.hint(for: s, in: OutputFormat.allCases.map(\.rawValue)),
                    at: f.location)
            }
            outSpec.format = format
        }
        if let v = output["keep_removed"] { outSpec.keepRemoved = try bool(v, "output.keep_removed") }
        for key in ["compression", "row_group_size"] where output[key] != nil && outSpec.format != .parquet {
            throw ConfigError("output.\(key) applies to format parquet, not \(outSpec.format.rawValue)", at: output[key]?.location)
        }
        if let v = output["compression"] {
            let names: [String: ParquetCodec] = ["snappy": .snappy, "zstd": .zstd, "gzip": .gzip, "none": .uncompressed]
            let s = try scalar(v, "output.compression")
            guard let codec = names[s] else {
                throw ConfigError(
                    "output.compression must be snappy, zstd, gzip or none, got '\(s)'" + NameSuggestion.hint(for: s, in: Array(names.keys)),
                    at: v.location)
            }
            outSpec.parquet.codec = codec
        }
        if let v = output["row_group_size"] {
            outSpec.parquet.rowGroupBytes = Int(max(1, try bytesValue(v, "output.row_group_size")))
        }
        if let v = output["compression_level"] {
            switch outSpec.format {
            case .parquet:
                switch outSpec.parquet.codec {
                case .zstd: outSpec.parquet.level = try int(v, "output.compression_level (zstd)", 1...19)
                case .gzip: outSpec.parquet.level = try int(v, "output.compression_level (gzip)", 1...12)
                default: throw ConfigError("output.compression_level needs compression zstd or gzip for parquet", at: v.location)
                }
            case .jsonlGzip: outSpec.compressionLevel = try int(v, "output.compression_level (gzip)", 1...12)
            case .jsonlZstd: outSpec.compressionLevel = try int(v, "output.compression_level (zstd)", 1...19)
            case .jsonl: throw ConfigError("output.compression_level needs a compressed format (jsonl.gz or jsonl.zst)", at: v.location)
            }
        }

        var workers: Int?
        if let v = top["workers"], v.kind != .null {
            let s = try scalar(v, "workers")
            if s != "auto" { workers = try int(v, "workers", 1...4096) }
        }
        let seed = try top["seed"].map { UInt64(try int($0, "seed", 0...Int.max)) } ?? 0
        var onError = ErrorPolicy.fail
        if let v = top["on_error"] {
            let s = try scalar(v, "on_error")
            guard let p = ErrorPolicy(rawValue: s) else {
                throw ConfigError(
                    "on_error must be fail or skip, got '\(s)'" + NameSuggestion.hint(for: s, in: ErrorPolicy.allCases.map(\.rawValue)),
                    at: v.location)
            }
            onError = p
        }
        let memory = try top["memory"].map { Int(try bytesValue($0, "memory")) } ?? (2 << 30)

        // stages
        var stages: [RecipeStage] = []
        var nameCounts: [String: Int] = [:]
        let stagesValue = try req("stages")
        guard case .sequence(let items) = stagesValue.kind else {
            throw ConfigError("'stages' must be a list, not \(stagesValue.shapeName)", at: stagesValue.location)
        }
        for item in items {
            let stageName: String
            let params: ConfigValue?
            switch item.kind {
            case .scalar(let s):
                stageName = s
                params = nil
            case .mapping(let m) where m.count == 1:
                stageName = m[0].key
                params = m[0].value
            default:
                throw ConfigError("each stage is written `- name: {parameters}`", at: item.location)
            }
            guard let descriptor = registry.descriptor(named: stageName) else {
                let names = registry.descriptors.map(\.name)
                throw ConfigError(
                    "unknown stage '\(stageName)'" + NameSuggestion.hint(for: stageName, in: names)
                        + " (known: \(names.joined(separator: ", ")))",
                    at: item.location)
            }
            let stage: any Stage
            do {
                stage = try descriptor.build(params.map { p in
                    var p = p
                    if p.location == nil { p.location = item.location }
                    return p
                })
            } catch var e as ConfigError {
                if e.location == nil { e.location = item.location }
                throw e
            }
            guard stage is any DocumentStage || stage is any CorpusStage else {
                throw ConfigError("stage '\(stageName)' is neither a document nor a corpus stage", at: item.location)
            }
            let k = nameCounts[stageName, default: 0] + 1
            nameCounts[stageName] = k
            stages.append(
                RecipeStage(
                    index: stages.count, name: stageName, stage: stage, location: item.location,
                    statsKey: k == 1 ? stageName : "\(stageName)#\(k)"))
        }
        let fingerprint = StableHash.xxh64(text)
        let executor = try top["executor"].map(ExecutorSpec.decode)
        return Recipe(
            name: name,
            input: InputSpec(
                patterns: patterns, root: inputRoot, options: options, shardBytes: shardBytes, wikitextToPlain: wikitextToPlain),
            output: outSpec, workers: workers, seed: seed, onError: onError, memoryBudget: memory, stages: stages,
            fingerprint: String(fingerprint, radix: 16), text: text, executor: executor)
    }

    // MARK: - Value helpers

    static func mapping(_ v: ConfigValue, _ what: String, allowed: [String]) throws -> ConfigValue {
        guard let m = v.mapping else { throw ConfigError("\(what) must be a mapping, not \(v.shapeName)", at: v.location) }
        var seen = Set<String>()
        for (k, value) in m {
            if !allowed.contains(k) {
                throw ConfigError(
                    "unknown key '\(k)' in \(what)" + NameSuggestion.hint(for: k, in: allowed) + " (known: \(allowed.joined(separator: ", ")))",
                    at: value.location)
            }
            if !seen.insert(k).inserted { throw ConfigError("key '\(k)' given twice in \(what)", at: value.location) }
        }
        return v
    }

    static func scalar(_ v: ConfigValue, _ what: String) throws -> String {
        guard case .scalar(let s) = v.kind else { throw ConfigError("\(what) must be a single value, not \(v.shapeName)", at: v.location) }
        return s
    }

    static func strings(_ v: ConfigValue, _ what: String) throws -> [String] {
        switch v.kind {
        case .scalar(let s): return [s]
        case .sequence(let items): return try items.map { try scalar($0, what) }
        default: throw ConfigError("\(what) must be a path or a list of paths", at: v.location)
        }
    }

    static func int(_ v: ConfigValue, _ what: String, _ range: ClosedRange<Int>) throws -> Int {
        let s = try scalar(v, what)
        guard let i = Int(s), range.contains(i) else {
            throw ConfigError("\(what) must be an integer in \(range.lowerBound)…\(range.upperBound), got '\(s)'", at: v.location)
        }
        return i
    }

    static func bool(_ v: ConfigValue, _ what: String) throws -> Bool {
        switch try scalar(v, what).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigError("\(what) must be true or false", at: v.location)
        }
    }

    /// Parses sizes such as `64MB`, `1GiB`, `500k` or a plain byte count.
    static func bytesValue(_ v: ConfigValue, _ what: String) throws -> Int64 {
        let s = try scalar(v, what).trimmingSpaces().lowercased()
        let units: [(String, Int64)] = [
            ("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10), ("gb", 1_000_000_000), ("mb", 1_000_000), ("kb", 1000),
            ("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("b", 1),
        ]
        for (suffix, mult) in units where s.hasSuffix(suffix) {
            if let n = Double(s.dropLast(suffix.count).trimmingSpaces()), n > 0 { return Int64(n * Double(mult)) }
        }
        if let n = Int64(s), n > 0 { return n }
        throw ConfigError("\(what) must be a size such as 64MB or 1GiB, got '\(s)'", at: v.location)
    }

    static func baseName(_ path: String) -> String {
        var name = path.split(separator: "/").last.map(String.init) ?? path
        for ext in [".yaml", ".yml"] where name.hasSuffix(ext) { name.removeLast(ext.count) }
        return name
    }

    /// The folder part of a pattern before its first wildcard.
    static func globRoot(_ pattern: String) -> String {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
        var root: [Substring] = []
        for p in parts.dropLast() {
            if p.contains(where: { "*?[".contains($0) }) { break }
            root.append(p)
        }
        let r = root.joined(separator: "/")
        return r.isEmpty ? (pattern.hasPrefix("/") ? "/" : ".") : r
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
