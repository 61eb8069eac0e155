#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO

/// One bit per position, for marks over a whole corpus (n/8 bytes).
struct PositionBits {
    private(set) var words: [UInt64]

    /// `count` cleared bits.
    init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) >> 6) }

    subscript(_ i: Int) -> Bool { (words[i >> 6] >> UInt64(i & 63)) & 1 != 0 }

    mutating func set(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }

    mutating func clear(_ i: Int) { words[i >> 6] &= ~(1 << UInt64(i & 63)) }
}

/// Finds, in a sequence of symbols, every position whose `length`-symbol window occurred at
/// some earlier position (the windows may overlap). That is exactly the set of positions whose
/// longest previous factor is at least `length`, so the union of the windows starting there is
/// the union of the longest-previous-factor spans of at least `length` (exact-substring dedup).
///
/// Windows that are equal sit next to each other in suffix order; in each run of equal windows
/// every position but the smallest is marked.
///
/// Memory (n symbols of w bytes, the symbols already mapped or in memory):
/// - whole (when ``wholeBytes(count:width:alphabet:)`` fits the budget): a 32-bit suffix array
///   (4n) + SA-IS's type bits (n/8, freed before the marks) + the marks (n/8) + SA-IS's
///   recursion (≤ n/16 type bits, 8 bytes per name): about 4.2n + w·n with the symbols;
/// - blocks (past the budget): the sequence is cut into blocks of `b` positions (each extended
///   by `length − 1` symbols so every window is whole in one block); each block's suffix array
///   (4.2b) is built in turn and its positions, in suffix order, written to a run file (4 bytes
///   per position); a k-way merge of the runs by window content then finds the equal windows
///   across blocks, with the marks (n/8) and one read buffer per run in memory. The same marks
///   as the whole build, for any block size.
enum RepeatFinder {
    /// The most runs a block build writes (the block grows past the budget beyond this).
    static let maxRuns = 256
    /// The smallest block, in positions.
    static let minBlock = 4096
    /// The largest read buffer of one run in the merge, in 32-bit words (64 KiB).
    static let maxBufferWords = 1 << 14

    /// The read buffer of each run in the merge, in words.
    static func bufferWords(blockSize: Int, runs: Int) -> Int {
        max(16, min(maxBufferWords, blockSize / (4 * max(1, runs))))
    }

    /// Bytes the whole build needs beside the symbols themselves.
    static func wholeBytes(count n: Int, alphabet: Int) -> Int {
        4 * n + n / 8 + n / 16 + 8 * alphabet + (1 << 16)
    }

    /// Whether the whole build fits `budget` bytes with `n` symbols of `width` bytes each.
    static func fitsWhole(count n: Int, width: Int, alphabet: Int, budget: Int) -> Bool {
        n < Int(Int32.max) && width * n + wholeBytes(count: n, alphabet: alphabet) <= budget
    }

    /// The block size (positions) for `n` symbols under `budget` bytes: what is left after the
    /// marks (n/8), the merge buffers and 2 MiB of write buffers, at 4.25 bytes per block
    /// position (suffix array, type bits, the recursion's type bits), but at least
    /// ``minBlock``, at most 2³⁰, and large enough for at most ``maxRuns`` blocks.
    static func blockSize(count n: Int, length: Int, alphabet: Int, budget: Int) -> Int {
        let free = budget - n / 8 - maxRuns * 4 * maxBufferWords - 8 * alphabet - (2 << 20)
        var b = free > 0 ? free * 4 / 17 : 0
        b = max(b, minBlock, 4 * length, (n + maxRuns - 1) / maxRuns)
        return min(b, 1 << 30)
    }

    /// The marks of `symbols` (see the type's summary), built whole or in blocks by `budget`;
    /// run files go to `workDirectory` and are removed.
    static func marks<T: FixedWidthInteger>(
        _ symbols: UnsafeBufferPointer<T>, alphabet: Int, length: Int, budget: Int, workDirectory: String
    ) throws -> PositionBits {
        let n = symbols.count
        if fitsWhole(count: n, width: MemoryLayout<T>.stride, alphabet: alphabet, budget: budget) {
            return whole(symbols, alphabet: alphabet, length: length)
        }
        return try blocks(
            symbols, alphabet: alphabet, length: length,
            blockSize: blockSize(count: n, length: length, alphabet: alphabet, budget: budget),
            workDirectory: workDirectory)
    }

    /// Whether the windows at `a` and `b` are equal (both must be whole).
    @inline(__always)
    static func equal<T: FixedWidthInteger>(_ t: UnsafePointer<T>, _ a: Int, _ b: Int, _ length: Int) -> Bool {
        memcmp(t + a, t + b, length * MemoryLayout<T>.stride) == 0
    }

    /// The order of the windows at `a` and `b`, symbol by symbol (< 0, 0, > 0), as suffix order has them.
    @inline(__always)
    static func compare<T: FixedWidthInteger>(_ t: UnsafePointer<T>, _ a: Int, _ b: Int, _ length: Int) -> Int {
        if T.self == UInt8.self { return Int(memcmp(t + a, t + b, length)) }
        for i in 0..<length where t[a + i] != t[b + i] { return t[a + i] < t[b + i] ? -1 : 1 }
        return 0
    }

    /// Collects runs of equal windows from positions given in window order.
    struct Grouper {
        var marks: PositionBits
        var previous = -1
        var first = -1
        var smallest = -1
        var size = 0

        init(count: Int) { marks = PositionBits(count: count) }

        @inline(__always)
        mutating func add(_ p: Int, sameAsPrevious: Bool) {
            if sameAsPrevious {
                if size == 1 { marks.set(first) }
                marks.set(p)
                size += 1
                smallest = min(smallest, p)
            } else {
                close()
                first = p
                smallest = p
                size = 1
            }
            previous = p
        }

        mutating func close() {
            if size > 1 { marks.clear(smallest) }
            size = 0
        }
    }

    /// The whole build: one suffix array over all symbols.
    static func whole<T: FixedWidthInteger>(_ symbols: UnsafeBufferPointer<T>, alphabet: Int, length: Int) -> PositionBits {
        let n = symbols.count
        guard n >= length, let t = symbols.baseAddress else { return PositionBits(count: n) }
        let sa = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
        defer { sa.deallocate() }
        SuffixArray.build(symbols, alphabet: alphabet, into: sa)
        var g = Grouper(count: n)
        for i in 0..<n {
            let p = Int(sa[i])
            // Shorter suffixes sort before every window they prefix, never inside a run.
            if p + length > n { continue }
            g.add(p, sameAsPrevious: g.previous >= 0 && equal(t, g.previous, p, length))
        }
        g.close()
        return g.marks
    }

    /// The block build (see the type's summary).
    static func blocks<T: FixedWidthInteger>(
        _ symbols: UnsafeBufferPointer<T>, alphabet: Int, length: Int, blockSize: Int, workDirectory: String
    ) throws -> PositionBits {
        let n = symbols.count
        guard n >= length, let t = symbols.baseAddress else { return PositionBits(count: n) }
        let lastStart = n - length  // the last position whose window is whole
        var runs: [(path: String, start: Int)] = []
        defer { for r in runs { try? FileSystem.remove(r.path) } }
        let capacity = min(n, blockSize + length - 1)
        let sa = UnsafeMutableBufferPointer<Int32>.allocate(capacity: capacity)
        var start = 0
        var out = [UInt32]()
        out.reserveCapacity(1 << 14)
        do {
            defer { sa.deallocate() }
            while start <= lastStart {
                let owned = min(start + blockSize, lastStart + 1) - start
                let end = min(n, start + owned + length - 1)
                let block = UnsafeBufferPointer(start: t + start, count: end - start)
                let blockSA = UnsafeMutableBufferPointer(rebasing: sa[0..<(end - start)])
                SuffixArray.build(block, alphabet: alphabet, into: blockSA)
                let path = workDirectory + "/sa-run-\(runs.count).u32"
                runs.append((path, start))
                let w = try AtomicFileWriter(path: path)
                for i in 0..<blockSA.count {
                    let off = blockSA[i]
                    if Int(off) < owned { out.append(UInt32(off)) }
                    if out.count == out.capacity {
                        try out.withUnsafeBytes { try w.write($0) }
                        out.removeAll(keepingCapacity: true)
                    }
                }
                try out.withUnsafeBytes { try w.write($0) }
                out.removeAll(keepingCapacity: true)
                try w.commit()
                start += owned
            }
        }

        // Merge the runs by window content.
        let words = bufferWords(blockSize: blockSize, runs: runs.count)
        let streams = try runs.map { try U32Stream(path: $0.path, bufferWords: words) }
        var heads = [Int](repeating: -1, count: runs.count)
        for (r, s) in streams.enumerated() {
            if let v = try s.next() { heads[r] = runs[r].start + Int(v) }
        }
        func less(_ a: Int, _ b: Int) -> Bool {
            let c = compare(t, heads[a], heads[b], length)
            return c < 0 || (c == 0 && heads[a] < heads[b])
        }
        var heap = (0..<runs.count).filter { heads[$0] >= 0 }
        func siftDown(_ from: Int) {
            var i = from
            while true {
                let l = 2 * i + 1
                if l >= heap.count { return }
                var c = l
                if l + 1 < heap.count && less(heap[l + 1], heap[l]) { c = l + 1 }
                if !less(heap[c], heap[i]) { return }
                heap.swapAt(i, c)
                i = c
            }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        var g = Grouper(count: n)
        while let r = heap.first {
            let p = heads[r]
            g.add(p, sameAsPrevious: g.previous >= 0 && equal(t, g.previous, p, length))
            if let v = try streams[r].next() {
                heads[r] = runs[r].start + Int(v)
            } else {
                heap.swapAt(0, heap.count - 1)
                heap.removeLast()
            }
            siftDown(0)
        }
        g.close()
        return g.marks
    }
}

/// Reads a file of 32-bit words in buffered chunks.
final class U32Stream {
    private let source: FileSource
    private var buffer: [UInt32]
    private var count = 0
    private var position = 0

    init(path: String, bufferWords: Int) throws {
        source = try FileSource(path: path)
        buffer = [UInt32](repeating: 0, count: bufferWords)
    }

    func next() throws -> UInt32? {
        if position == count {
            var filled = 0
            try buffer.withUnsafeMutableBytes { raw in
                while filled < raw.count {
                    let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                    if n == 0 { break }
                    filled += n
                }
            }
            count = filled / 4
            position = 0
            if count == 0 { return nil }
        }
        defer { position += 1 }
        return buffer[position]
    }
}

/// A read-only memory map of a whole file (the page cache holds its bytes; the kernel may drop
/// them under memory pressure and read them again).
final class MappedFile {
    let base: UnsafeRawPointer?
    let size: Int

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError(path: path, "cannot stat: \(String(cString: strerror(errno)))") }
        size = Int(st.st_size)
        if size == 0 {
            base = nil
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw FileError(path: path, "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    /// The file as `count` values of `T` (nil base when empty).
    func buffer<T>(of: T.Type) -> UnsafeBufferPointer<T> {
        guard let base else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: size / MemoryLayout<T>.stride)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }
}
