import WinnowCore
import WinnowIO

/// One benchmark to decontaminate against: a named file of test items.
public struct BenchmarkSource: Sendable, Hashable {
    /// The file's format.
    public enum Format: String, Sendable, CaseIterable {
        /// One JSON object a line; `fields` name the item's text (dotted paths into objects;
        /// a list contributes each element).
        case jsonl
        /// Plain text: each non-blank line is one item.
        case text
    }

    /// The benchmark's name in the report and in removed documents' metadata.
    public var name: String
    /// The file (plain, `.gz` or `.zst`).
    public var path: String
    /// The format (by default from the name: `.jsonl`/`.json` → jsonl, else text).
    public var format: Format
    /// The JSON fields whose text makes an item (jsonl), joined with a newline in this order,
    /// so n-grams spanning a question and its answer count too.
    public var fields: [String]
    /// The JSON field holding the item's id; without it, the item's line number.
    public var idField: String?

    /// Creates a source.
    public init(name: String, path: String, format: Format? = nil, fields: [String] = ["text"], idField: String? = nil) {
        self.name = name
        self.path = path
        let bare = path.hasSuffix(".gz") ? String(path.dropLast(3)) : path.hasSuffix(".zst") ? String(path.dropLast(4)) : path
        self.format = format ?? (bare.hasSuffix(".jsonl") || bare.hasSuffix(".json") ? .jsonl : .text)
        self.fields = fields
        self.idField = idField
    }
}

/// The n-grams of every benchmark item, in a hashed set with exact verification: a document's
/// n-gram matches only when its normalised words equal an item's, word for word, so a hash
/// collision can never flag a document.
///
/// Memory (see ``memoryBytes``): a slot of 12 bytes (8-byte key, 4-byte chain head) in an
/// open-addressing table kept between 1/3 and 2/3 full (18–36 bytes per distinct n-gram), 8 bytes
/// per indexed n-gram position (position, next in chain), and per benchmark word its normalised
/// bytes plus 8 bytes (offset, item).
public final class BenchmarkIndex: Sendable {
    /// One test item.
    public struct Item: Sendable, Hashable {
        /// Index into ``benchmarks``.
        public var benchmark: Int
        /// The item's id (its id field, else `line N`).
        public var id: String
    }

    /// Per benchmark: its source and counts.
    public struct Benchmark: Sendable, Hashable {
        /// Where it came from.
        public var source: BenchmarkSource
        /// Items read.
        public var items: Int
        /// Items with fewer words than n: they can never match.
        public var itemsTooShort: Int
        /// n-gram positions indexed.
        public var ngrams: Int
    }

    /// The n-gram length in words.
    public let n: Int
    /// The word normalisation.
    public let normalization: NGramNormalization
    /// The benchmarks in the order given.
    public let benchmarks: [Benchmark]
    /// Every item of every benchmark.
    public let items: [Item]

    let tokenBytes: [UInt8]
    let tokenStart: [UInt32]
    let tokenItem: [UInt32]
    let keys: [UInt64]
    let heads: [UInt32]
    let occurrencePosition: [UInt32]
    let occurrenceNext: [UInt32]
    let mask: Int

    /// Reads the benchmarks and indexes their items' n-grams.
    /// - Throws: ``ConfigError`` for an unreadable file, ``InputError`` (file:line) for a bad record.
    public init(sources: [BenchmarkSource], n: Int = 13, normalization: NGramNormalization = .datatrove) throws {
        precondition(n >= 1)
        self.n = n
        self.normalization = normalization
        var benchmarks: [Benchmark] = []
        var items: [Item] = []
        var tokenBytes: [UInt8] = []
        var tokenStart: [UInt32] = [0]
        var tokenItem: [UInt32] = []
        var pending: [(key: UInt64, position: UInt32)] = []
        var words = NGramWords()
        let hasher = NGramHasher(n: n)
        for (b, source) in sources.enumerated() {
            var info = Benchmark(source: source, items: 0, itemsTooShort: 0, ngrams: 0)
            try Self.readItems(source) { id, text in
                info.items += 1
                words.removeAll()
                var t = text
                t.withUTF8 { words.scan($0, normalization: normalization) }
                if words.count < n {
                    info.itemsTooShort += 1
                    return
                }
                // Positions and offsets are 32-bit (4 GiB of benchmark words).
                guard tokenBytes.count + 3 * text.utf8.count < Int(UInt32.max), tokenItem.count + words.count < Int(UInt32.max) else {
                    throw ConfigError("benchmark '\(source.name)': the benchmarks exceed 4 GiB of words; split them over several stages", at: nil)
                }
                let item = UInt32(items.count)
                items.append(Item(benchmark: b, id: id))
                let base = UInt32(tokenItem.count)
                for w in 0..<words.count {
                    tokenBytes.append(contentsOf: words.word(w))
                    tokenStart.append(UInt32(tokenBytes.count))
                    tokenItem.append(item)
                }
                hasher.forEachWindow(words.hash) { i, key in pending.append((key, base + UInt32(i))) }
                info.ngrams += words.count - n + 1
            }
            benchmarks.append(info)
        }
        // Open addressing, linear probing, 1/3–2/3 full; chains of positions per key.
        var capacity = 16
        while capacity * 2 < pending.count * 3 { capacity *= 2 }
        var keys = [UInt64](repeating: 0, count: capacity)
        var heads = [UInt32](repeating: 0, count: capacity)
        var position = [UInt32](repeating: 0, count: pending.count)
        var next = [UInt32](repeating: 0, count: pending.count)
        let mask = capacity - 1
        for (o, p) in pending.enumerated() {
            var slot = Int(truncatingIfNeeded: p.key) & mask
            while keys[slot] != 0 && keys[slot] != p.key { slot = (slot + 1) & mask }
            keys[slot] = p.key
            position[o] = p.position
            next[o] = heads[slot]
            heads[slot] = UInt32(o + 1)
        }
        self.benchmarks = benchmarks
        self.items = items
        self.tokenBytes = tokenBytes
        self.tokenStart = tokenStart
        self.tokenItem = tokenItem
        self.keys = keys
        self.heads = heads
        self.occurrencePosition = position
        self.occurrenceNext = next
        self.mask = mask
    }

    /// Bytes held by the index (arrays' element bytes; excludes item ids' strings).
    public var memoryBytes: Int {
        tokenBytes.count + 4 * (tokenStart.count + tokenItem.count + heads.count + occurrencePosition.count + occurrenceNext.count)
            + 8 * keys.count
    }

    /// Indexed n-gram positions over all benchmarks.
    public var ngramCount: Int { occurrencePosition.count }

    // MARK: - Reading items

    /// Calls `body(id, text)` for each item of a source.
    static func readItems(_ source: BenchmarkSource, _ body: (String, String) throws -> Void) throws {
        let lines: LineReader
        do {
            lines = LineReader(source: try openByteSource(path: source.path), path: source.path)
        } catch {
            throw ConfigError("benchmark '\(source.name)': cannot read '\(source.path)': \(error)", at: nil)
        }
        while let line = try lines.next() {
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            switch source.format {
            case .text:
                try body("line \(line.number)", String(decoding: line.bytes, as: UTF8.self))
            case .jsonl:
                var scanner = JSONScanner(line.bytes)
                let value: MetadataValue
                do throws(JSONSyntaxError) {
                    scanner.skipWhitespace()
                    value = try scanner.value()
                } catch {
                    throw InputError("benchmark '\(source.name)': \(error.message) at column \(error.position + 1)",
                                     at: SourceLocation(file: source.path, line: line.number), record: Array(line.bytes))
                }
                guard case .object = value else {
                    throw InputError("benchmark '\(source.name)': a line must be a JSON object",
                                     at: SourceLocation(file: source.path, line: line.number), record: Array(line.bytes))
                }
                var parts: [String] = []
                for field in source.fields { Self.strings(value, path: field.split(separator: "."), into: &parts) }
                if parts.isEmpty {
                    throw InputError(
                        "benchmark '\(source.name)': none of the fields \(source.fields.joined(separator: ", ")) holds text",
                        at: SourceLocation(file: source.path, line: line.number), record: Array(line.bytes))
                }
                var id = "line \(line.number)"
                if let idField = source.idField {
                    var ids: [String] = []
                    Self.strings(value, path: idField.split(separator: "."), into: &ids, numbers: true)
                    guard let first = ids.first else {
                        throw InputError("benchmark '\(source.name)': no id field '\(idField)'",
                                         at: SourceLocation(file: source.path, line: line.number), record: Array(line.bytes))
                    }
                    id = first
                }
                try body(id, parts.joined(separator: "\n"))
            }
        }
    }

    /// The strings at a dotted path (lists contribute each element).
    static func strings(_ value: MetadataValue, path: [Substring], into out: inout [String], numbers: Bool = false) {
        switch value {
        case .array(let elements):
            for e in elements { strings(e, path: path, into: &out, numbers: numbers) }
        case .object(let o):
            guard let first = path.first, let child = o[String(first)] else { return }
            strings(child, path: Array(path.dropFirst()), into: &out, numbers: numbers)
        case .string(let s):
            if path.isEmpty { out.append(s) }
        case .int(let i):
            if path.isEmpty && numbers { out.append(String(i)) }
        case .number(let t):
            if path.isEmpty && numbers { out.append(t) }
        default:
            return
        }
    }

    // MARK: - Matching

    /// A verified match: the document's words `word ..< word + n` equal the item's n-gram.
    public struct Match: Sendable, Hashable {
        /// The first matching word (index in the document's words).
        public var word: Int
        /// The item (index into ``BenchmarkIndex/items``).
        public var item: Int
    }

    /// Every verified n-gram match in a text, and the byte ranges of its words.
    func matches(in u: UnsafeBufferPointer<UInt8>, words: inout NGramWords) -> [Match] {
        words.removeAll()
        words.scan(u, normalization: normalization)
        var found: [Match] = []
        let hasher = NGramHasher(n: n)
        hasher.forEachWindow(words.hash) { i, key in
            var slot = Int(truncatingIfNeeded: key) & mask
            while true {
                let k = keys[slot]
                if k == 0 { return }
                if k == key { break }
                slot = (slot + 1) & mask
            }
            var o = heads[slot]
            var lastItem = -1
            while o != 0 {
                let p = Int(occurrencePosition[Int(o - 1)])
                o = occurrenceNext[Int(o - 1)]
                let item = Int(tokenItem[p])
                if item == lastItem { continue }
                if verify(words, i, p) {
                    found.append(Match(word: i, item: item))
                    lastItem = item
                }
            }
        }
        return found
    }

    /// Whether the document's words `i..<i+n` equal the index's tokens `p..<p+n` byte for byte.
    @inline(__always) func verify(_ words: NGramWords, _ i: Int, _ p: Int) -> Bool {
        for k in 0..<n {
            let a = words.word(i + k)
            let s = Int(tokenStart[p + k]), e = Int(tokenStart[p + k + 1])
            if a.count != e - s { return false }
            var x = a.startIndex, y = s
            while y < e {
                if a[x] != tokenBytes[y] { return false }
                x += 1
                y += 1
            }
        }
        return true
    }
}
