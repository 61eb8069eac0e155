#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO

/// A file of sorted, distinct 64-bit words (little-endian) on disk, looked up without loading
/// it: every ``blockWords``-th word stays in memory as a fence; a lookup binary-searches the
/// fences, reads the one block that can hold the key with `pread`, and binary-searches it.
///
/// Memory: 8 bytes per ``blockWords`` words of the file (the fences, 1/512 of the file) plus
/// one block (4 KiB) per ``Cursor``. Opening reads the file once to take the fences and to check
/// its length, order and checksum.
final class SortedWordFile: Sendable {
    /// Words per block (4 KiB).
    static let blockWords = 512

    /// The file.
    let path: String
    /// Words in the file.
    let count: Int
    private let fd: Int32
    private let fences: [UInt64]

    /// A reader's block buffer: one per thread.
    struct Cursor {
        var words = [UInt64](repeating: 0, count: SortedWordFile.blockWords)
        var block = -1
        var filled = 0
        init() {}
    }

    /// Opens the file and checks it holds `count` words, sorted and distinct, with the
    /// checksum `checksum` (``StreamChecksum`` over 1 MiB blocks, as ``AtomicFileWriter`` writes).
    /// - Throws: ``ConfigError`` naming the file when it is missing, short, unsorted or damaged.
    init(path: String, count: Int, checksum: String, what: String) throws {
        self.path = path
        self.count = count
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw ConfigError("\(what): cannot open '\(path)': \(String(cString: strerror(errno)))", at: SourceLocation(file: path))
        }
        self.fd = fd
        var fences: [UInt64] = []
        fences.reserveCapacity(count / Self.blockWords + 1)
        var sum = StreamChecksum()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        var previous: UInt64?
        var disorder: Int?
        while true {
            var filled = 0
            let n: Int = buffer.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return -1 }
                while filled < raw.count {
                    let r = pread(fd, base + filled, raw.count - filled, off_t(total + filled))
                    if r < 0 {
                        if errno == EINTR { continue }
                        return -1
                    }
                    if r == 0 { break }
                    filled += r
                }
                return filled
            }
            if n < 0 {
                close(fd)
                throw ConfigError("\(what): cannot read '\(path)': \(String(cString: strerror(errno)))", at: SourceLocation(file: path))
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                sum.update(chunk)
                if n % 8 != 0 { return }
                for i in 0..<(n / 8) {
                    let w = chunk.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                    let position = total / 8 + i
                    if position % Self.blockWords == 0 { fences.append(w) }
                    if let p = previous, w <= p, disorder == nil { disorder = position }
                    previous = w
                }
            }
            total += n
            if n % 8 != 0 { break }
        }
        func fail(_ message: String) -> ConfigError {
            close(fd)
            return ConfigError("\(what): '\(path)' is damaged: \(message); rebuild the index with `winnow index build`",
                               at: SourceLocation(file: path))
        }
        if total != count * 8 { throw fail("\(total) bytes, the manifest says \(count) entries (\(count * 8) bytes)") }
        if sum.hex != checksum { throw fail("checksum \(sum.hex), the manifest says \(checksum)") }
        if let d = disorder { throw fail("entry \(d) is not greater than the one before it") }
        self.fences = fences
    }

    deinit { close(fd) }

    /// Whether `key` is in the file.
    /// - Throws: ``ConfigError`` naming the file when a read fails.
    func contains(_ key: UInt64, cursor: inout Cursor) throws -> Bool {
        if fences.isEmpty || key < fences[0] { return false }
        // The last fence ≤ key.
        var lo = 0
        var hi = fences.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if fences[mid] <= key { lo = mid } else { hi = mid - 1 }
        }
        if fences[lo] == key { return true }
        if cursor.block != lo {
            let first = lo * Self.blockWords
            let want = min(Self.blockWords, count - first)
            var done = 0
            try cursor.words.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return }
                while done < want * 8 {
                    let r = pread(fd, base + done, want * 8 - done, off_t(first * 8 + done))
                    if r < 0 && errno == EINTR { continue }
                    if r <= 0 {
                        throw ConfigError("cannot read '\(path)' at byte \(first * 8 + done): the index changed while in use",
                                          at: SourceLocation(file: path))
                    }
                    done += r
                }
            }
            cursor.block = lo
            cursor.filled = want
        }
        var a = 0
        var b = cursor.filled
        while a < b {
            let m = (a + b) / 2
            let w = cursor.words[m]
            if w == key { return true }
            if w < key { a = m + 1 } else { b = m }
        }
        return false
    }
}

// MARK: - Building sorted files

/// Sorts words in place and removes repeats.
func sortUnique(_ words: inout [UInt64]) {
    words.sort()
    var out = 0
    for i in 0..<words.count where out == 0 || words[i] != words[out - 1] {
        words[out] = words[i]
        out += 1
    }
    words.removeLast(words.count - out)
}

/// The head of one input of a k-way merge of word files.
struct WordHead: HeapOrdered {
    var word: UInt64
    var input: Int

    @inline(__always)
    static func precedes(_ a: WordHead, _ b: WordHead) -> Bool { a.word != b.word ? a.word < b.word : a.input < b.input }
}

/// Merges files of sorted distinct words into one file of sorted distinct words (the union),
/// at most `fanIn` inputs at a time (intermediate merges go to `scratch` + `.pass-N-M`), and
/// removes the inputs. Memory: `fanIn` × 64 KiB of read buffers and a 1 MiB write buffer.
/// - Returns: the words written and the output's checksum.
func mergeUniqueWords(_ inputs: [String], into output: String, scratch: String, fanIn: Int = 64) throws -> (count: Int, checksum: String) {
    var current = inputs
    var pass = 0
    while current.count > fanIn {
        var next: [String] = []
        var group = 0
        var i = 0
        while i < current.count {
            let slice = Array(current[i..<min(i + fanIn, current.count)])
            let path = scratch + ".pass-\(pass)-\(group)"
            _ = try mergeOnce(slice, into: path)
            for f in slice { try FileSystem.remove(f) }
            next.append(path)
            group += 1
            i += fanIn
        }
        current = next
        pass += 1
    }
    let result = try mergeOnce(current, into: output)
    for f in current { try FileSystem.remove(f) }
    return result
}

private func mergeOnce(_ inputs: [String], into output: String) throws -> (count: Int, checksum: String) {
    let streams = try inputs.map { try WordStream(path: $0, bufferWords: 1 << 13) }  // 64 KiB each
    var heap = BinaryHeap<WordHead>(capacity: streams.count)
    for (i, s) in streams.enumerated() {
        if let w = try s.next() { heap.push(WordHead(word: w, input: i)) }
    }
    let out = try AtomicFileWriter(path: output)
    var buffer: [UInt64] = []
    buffer.reserveCapacity(1 << 15)
    var last: UInt64?
    var count = 0
    while let h = heap.pop() {
        if let w = try streams[h.input].next() { heap.push(WordHead(word: w, input: h.input)) }
        if h.word == last { continue }
        last = h.word
        buffer.append(h.word)
        count += 1
        if buffer.count == 1 << 15 {
            try buffer.withUnsafeBytes { try out.write($0) }
            buffer.removeAll(keepingCapacity: true)
        }
    }
    try buffer.withUnsafeBytes { try out.write($0) }
    try out.commit()
    return (count, out.checksum.hex)
}
