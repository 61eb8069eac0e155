#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO

/// Two 64-bit words ordered by the first, then the second (a band key and a document, or the
/// two documents of an edge).
struct WordPair: HeapOrdered, Equatable {
    var first: UInt64
    var second: UInt64

    @inline(__always)
    static func precedes(_ a: WordPair, _ b: WordPair) -> Bool {
        a.first != b.first ? a.first < b.first : a.second < b.second
    }
}

/// Sorts a flat array of word pairs (first0, second0, first1, …) by (first, second), in place
/// (Swift's sort borrows at most half the array as scratch); with `distinct`, equal pairs are
/// kept once.
func sortPairsInPlace(_ words: inout [UInt64], distinct: Bool = false) {
    let pairs = words.count / 2
    if pairs == 0 { return }
    var kept = pairs
    words.withUnsafeMutableBufferPointer { flat in
        guard let base = flat.baseAddress else { return }
        base.withMemoryRebound(to: WordPair.self, capacity: pairs) { p in
            var buffer = UnsafeMutableBufferPointer(start: p, count: pairs)
            buffer.sort { WordPair.precedes($0, $1) }
            if distinct {
                var n = 1
                for i in 1..<pairs where buffer[i] != buffer[n - 1] {
                    buffer[n] = buffer[i]
                    n += 1
                }
                kept = n
            }
        }
    }
    if kept < pairs { words.removeLast((pairs - kept) * 2) }
}

/// A sorted stream of word pairs.
protocol PairSource: AnyObject {
    /// The next pair, nil at the end.
    func next() throws -> WordPair?
}

/// The pairs of a flat in-memory array, in order.
final class ArrayPairSource: PairSource {
    private let words: [UInt64]
    private var i = 0
    init(_ words: [UInt64]) { self.words = words }
    func next() throws -> WordPair? {
        guard i + 1 < words.count else { return nil }
        defer { i += 2 }
        return WordPair(first: words[i], second: words[i + 1])
    }
}

/// The pairs of a file of words.
final class FilePairSource: PairSource {
    private let stream: WordStream
    init(path: String, bufferWords: Int) throws { stream = try WordStream(path: path, bufferWords: bufferWords) }
    func next() throws -> WordPair? {
        guard let a = try stream.next(), let b = try stream.next() else { return nil }
        return WordPair(first: a, second: b)
    }
}

/// A k-way merge of sorted pair streams (a binary heap over the heads); with `distinct`, equal
/// pairs come out once.
final class MergedPairSource: PairSource {
    private struct Head: HeapOrdered {
        var pair: WordPair
        var input: Int
        @inline(__always) static func precedes(_ a: Head, _ b: Head) -> Bool {
            a.pair != b.pair ? WordPair.precedes(a.pair, b.pair) : a.input < b.input
        }
    }
    private let inputs: [any PairSource]
    private var heap: BinaryHeap<Head>
    private let distinct: Bool
    private var last: WordPair?

    init(_ inputs: [any PairSource], distinct: Bool) throws {
        self.inputs = inputs
        self.distinct = distinct
        heap = BinaryHeap(capacity: inputs.count)
        for (i, s) in inputs.enumerated() {
            if let p = try s.next() { heap.push(Head(pair: p, input: i)) }
        }
    }

    func next() throws -> WordPair? {
        while let h = heap.pop() {
            if let p = try inputs[h.input].next() { heap.push(Head(pair: p, input: h.input)) }
            if distinct && h.pair == last { continue }
            last = h.pair
            return h.pair
        }
        return nil
    }
}

/// Collects word pairs within a memory budget and gives them back sorted (and, with
/// `distinct`, each once): past `budget` bytes the collected pairs are sorted and spilled as a
/// run `<prefix>.run-N`, and the runs are merged at the end (an external sort).
///
/// Memory: at most `budget` bytes — half for the pairs, a quarter for the sort's scratch, and
/// the merge's read buffers (≥ 4 KiB per run).
final class PairSorter {
    private let prefix: String
    private let distinct: Bool
    private let limitWords: Int
    private let budget: Int
    private var words: [UInt64] = []
    private var runs: [String] = []

    init(prefix: String, budget: Int, distinct: Bool) {
        self.prefix = prefix
        self.distinct = distinct
        self.budget = budget
        limitWords = max(2, budget / 2 / 8) & ~1
    }

    /// Runs spilled so far (for tests).
    var runCount: Int { runs.count }

    func append(_ a: UInt64, _ b: UInt64) throws {
        words.append(a)
        words.append(b)
        if words.count >= limitWords { try spill() }
    }

    private func spill() throws {
        sortPairsInPlace(&words, distinct: distinct)
        let path = prefix + ".run-\(runs.count)"
        try writeWords(path, words)
        runs.append(path)
        words.removeAll(keepingCapacity: true)
    }

    /// The sorted pairs. The caller removes the run files with ``removeRuns()`` when done.
    func sorted() throws -> any PairSource {
        if runs.isEmpty {
            sortPairsInPlace(&words, distinct: distinct)
            let source = ArrayPairSource(words)
            words = []
            return source
        }
        if !words.isEmpty { try spill() }
        words = []
        let bufferWords = max(512, min(1 << 17, budget / 8 / max(1, runs.count) / 2))
        return try MergedPairSource(runs.map { try FilePairSource(path: $0, bufferWords: bufferWords) }, distinct: distinct)
    }

    /// Removes the spilled runs (files this sorter wrote, under its own prefix).
    func removeRuns() throws {
        for r in runs { try FileSystem.remove(r) }
        runs = []
    }
}

/// A file read at given offsets with pread(2).
final class RandomAccessFile {
    private let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// Reads exactly `buffer.count` bytes at `offset`.
    /// - Throws: ``FileError`` when the file is shorter.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return }
            let n = pread(fd, base + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, "read failed at byte \(offset + done): \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw FileError(path: path, "file ends before byte \(offset + buffer.count)") }
            done += n
        }
    }

    /// `count` 64-bit words at word offset `word`.
    func words(at word: Int, count: Int) throws -> [UInt64] {
        var out = [UInt64](repeating: 0, count: count)
        try out.withUnsafeMutableBytes { try read(into: $0, at: word * 8) }
        return out
    }

    /// `count` bytes at `offset`.
    func bytes(at offset: Int, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try out.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        return out
    }
}

/// Open files of several shards, at most `limit` at a time (the oldest closes first).
final class ShardFiles {
    private let name: (Int) -> String
    private let limit: Int
    private var open: [Int: RandomAccessFile] = [:]
    private var order: [Int] = []

    init(limit: Int = 64, name: @escaping (Int) -> String) {
        self.limit = limit
        self.name = name
    }

    func file(_ shard: Int) throws -> RandomAccessFile {
        if let f = open[shard] { return f }
        if order.count >= limit { open[order.removeFirst()] = nil }
        let f = try RandomAccessFile(path: name(shard))
        open[shard] = f
        order.append(shard)
        return f
    }
}
