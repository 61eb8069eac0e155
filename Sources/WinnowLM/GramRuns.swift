#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO

// Fixed-width records of n-grams on disk, for training with bounded memory: a record is `width`
// UInt32 words, the first n of them word ids in reading order, the rest a payload (counts and
// values as 64-bit halves, low word first). Runs are sorted files of records; a merge reads up
// to ``RecordMerger/fanIn`` runs at once.

/// How n-gram records are ordered.
enum GramOrder {
    /// By the ids in reading order: n-grams sharing a context (their first n−1 words) sit together.
    case context
    /// From the last id back: n-grams sharing their last n−1 words sit together, and those
    /// suffixes come in the suffix order of order n−1 (lmplz's suffix order).
    case suffix
}

/// −1, 0 or 1 as `a` sorts before, with or after `b` (n ids each) in `order`.
@inline(__always)
func compareGrams(_ a: UnsafePointer<UInt32>, _ b: UnsafePointer<UInt32>, _ n: Int, _ order: GramOrder) -> Int {
    if order == .context {
        var i = 0
        while i < n {
            if a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
            i += 1
        }
    } else {
        var i = n - 1
        while i >= 0 {
            if a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
            i -= 1
        }
    }
    return 0
}

/// Whether n ids at `a` equal n ids at `b`.
@inline(__always)
func sameGram(_ a: UnsafePointer<UInt32>, _ b: UnsafePointer<UInt32>, _ n: Int) -> Bool {
    var i = 0
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// Reads the 64-bit value at words `at`, `at + 1`.
@inline(__always) func get64(_ r: UnsafePointer<UInt32>, _ at: Int) -> UInt64 { UInt64(r[at]) | UInt64(r[at + 1]) << 32 }

/// Stores a 64-bit value at words `at`, `at + 1`.
@inline(__always) func put64(_ r: UnsafeMutablePointer<UInt32>, _ at: Int, _ v: UInt64) {
    r[at] = UInt32(truncatingIfNeeded: v)
    r[at + 1] = UInt32(truncatingIfNeeded: v >> 32)
}

/// A folder Winnow creates for spilled runs, carrying the marker file ``markerName``. Only a
/// folder that carries the marker is ever emptied or removed, and only files inside it.
final class SpillFolder {
    /// The marker file's name.
    static let markerName = ".winnow-lm-spill"
    /// The folder.
    let path: String
    private var serial = 0

    /// Creates `path` with the marker. A folder already there is taken over only when it carries
    /// the marker (one a stopped run left; its files are removed) or is empty.
    init(creating path: String) throws {
        guard !path.isEmpty, path != "/", path != ".", path != "~", path != ".." else {
            throw LMError("spill folder '\(path)' is not a folder Winnow can create and own")
        }
        self.path = path
        if FileSystem.exists(path) {
            guard FileSystem.isDirectory(path) else { throw FileError(path: path, "exists and is not a folder; cannot use it for spilled n-gram runs") }
            let names = try FileSystem.list(path)
            if names.contains(Self.markerName) {
                for name in names where name != Self.markerName { try FileSystem.remove(path + "/" + name) }
            } else if !names.isEmpty {
                throw FileError(
                    path: path,
                    "exists, is not empty and is not a Winnow spill folder (no \(Self.markerName) marker); Winnow never deletes what it did not create. Remove it or train elsewhere")
            }
        } else {
            try FileSystem.createDirectory(path)
        }
        try FileSystem.writeAll(path + "/" + Self.markerName, Array("winnow lm spill folder: sorted n-gram runs; removed when training ends\n".utf8))
    }

    /// A fresh file name in the folder.
    func file(_ stem: String) -> String {
        serial += 1
        return path + "/\(stem)-\(serial).run"
    }

    /// Whether the folder still carries its marker.
    var isMarked: Bool { FileSystem.exists(path + "/" + Self.markerName) }

    /// Removes one file of the folder (a path ``file(_:)`` returned).
    func remove(_ file: String) throws {
        guard isMarked, file.hasPrefix(path + "/"), !file.dropFirst(path.count + 1).contains("/"),
              !file.hasSuffix("/" + Self.markerName) else {
            throw LMError("refusing to delete '\(file)': not a run file inside the marked spill folder '\(path)'")
        }
        try FileSystem.remove(file)
    }

    /// Removes the folder: its files, then the marker, then the folder. Refuses (deleting
    /// nothing) when the marker is gone.
    func removeAll() throws {
        guard isMarked else { throw LMError("refusing to delete '\(path)': it does not carry the \(Self.markerName) marker") }
        for name in try FileSystem.list(path) where name != Self.markerName { try FileSystem.remove(path + "/" + name) }
        try FileSystem.remove(path + "/" + Self.markerName)
        if rmdir(path) != 0 { throw FileError(path: path, "cannot remove: \(String(cString: strerror(errno)))") }
    }
}

/// Writes records to a file.
final class RecordWriter {
    let path: String
    let width: Int
    private let file: AtomicFileWriter
    private var buffer: [UInt32] = []
    /// Records written.
    private(set) var count = 0

    init(path: String, width: Int) throws {
        self.path = path
        self.width = width
        file = try AtomicFileWriter(path: path)
        buffer.reserveCapacity(1 << 16)
    }

    func append(_ r: UnsafePointer<UInt32>) throws {
        buffer.append(contentsOf: UnsafeBufferPointer(start: r, count: width))
        count += 1
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { try file.write($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes the file.
    func finish() throws {
        try flush()
        try file.commit()
    }
}

/// Records held in memory (a sort buffer).
final class RecordBuffer {
    let width: Int
    let capacity: Int
    let words: UnsafeMutablePointer<UInt32>
    var count = 0

    init(width: Int, capacity: Int) {
        self.width = width
        self.capacity = capacity
        words = .allocate(capacity: width * capacity)
    }

    deinit { words.deallocate() }

    var isFull: Bool { count == capacity }

    func append(_ r: UnsafePointer<UInt32>) {
        (words + count * width).update(from: r, count: width)
        count += 1
    }

    func record(_ i: Int) -> UnsafePointer<UInt32> { UnsafePointer(words + i * width) }

    /// Record indices in `order` by the first `n` ids (ties in input order).
    func sortedIndices(n: Int, order: GramOrder) -> [UInt32] {
        var perm = (0..<UInt32(count)).map { $0 }
        let w = width
        let base = UnsafePointer(words)
        perm.sort { a, b in
            let c = compareGrams(base + Int(a) * w, base + Int(b) * w, n, order)
            return c != 0 ? c < 0 : a < b
        }
        return perm
    }
}

/// Reads records in order from a run file or from a sorted ``RecordBuffer``.
final class RecordReader {
    let width: Int
    private let source: FileSource?
    private let path: String
    private var bytes: UnsafeMutableRawPointer
    private let capacity: Int
    private var pos = 0
    private var end = 0
    private var done = false
    private let memory: RecordBuffer?
    private let perm: [UInt32]
    private var index = 0

    /// Reads the run file `path`.
    init(path: String, width: Int, bufferBytes: Int = 1 << 18) throws {
        self.width = width
        self.path = path
        source = try FileSource(path: path)
        capacity = max(bufferBytes / (width * 4), 4) * width * 4
        bytes = .allocate(byteCount: capacity, alignment: 8)
        memory = nil
        perm = []
    }

    /// Reads `buffer`'s records in the order of `perm`.
    init(buffer: RecordBuffer, perm: [UInt32]) {
        width = buffer.width
        path = "(memory)"
        source = nil
        capacity = 0
        bytes = .allocate(byteCount: 8, alignment: 8)
        memory = buffer
        self.perm = perm
    }

    deinit { bytes.deallocate() }

    /// The next record, valid until the next call; nil at the end.
    func next() throws -> UnsafePointer<UInt32>? {
        if let memory {
            guard index < perm.count else { return nil }
            index += 1
            return memory.record(Int(perm[index - 1]))
        }
        let size = width * 4
        if end - pos < size {
            if done {
                if end != pos { throw FileError(path: path, "run file ends inside a record (byte \(end - pos) of \(size))") }
                return nil
            }
            if pos > 0 {
                if end > pos { memmove(bytes, bytes + pos, end - pos) }
                end -= pos
                pos = 0
            }
            while end < size && !done, let source {
                let got = try source.read(into: UnsafeMutableRawBufferPointer(start: bytes + end, count: capacity - end))
                if got == 0 { done = true } else { end += got }
            }
            if end - pos < size {
                if end != pos { throw FileError(path: path, "run file ends inside a record (byte \(end - pos) of \(size))") }
                return nil
            }
        }
        let r = (bytes + pos).assumingMemoryBound(to: UInt32.self)
        pos += size
        return UnsafePointer(r)
    }
}

/// The head record of one input of a ``RecordMerger``.
struct MergeHead: HeapOrdered {
    var record: UnsafePointer<UInt32>
    var input: Int
    var n: Int
    var suffix: Bool

    static func precedes(_ a: MergeHead, _ b: MergeHead) -> Bool {
        let c = compareGrams(a.record, b.record, a.n, a.suffix ? .suffix : .context)
        return c != 0 ? c < 0 : a.input < b.input
    }
}

/// A k-way merge of sorted record inputs; equal keys come out one after another (by input).
final class RecordMerger {
    /// Runs merged at once; more are merged in passes through intermediate runs.
    static let fanIn = 64
    let width: Int
    let n: Int
    let order: GramOrder
    private var inputs: [RecordReader]
    private var heap = BinaryHeap<MergeHead>()
    private let current: UnsafeMutablePointer<UInt32>
    private var primed = false
    private let folder: SpillFolder?
    private let files: [String]

    private init(inputs: [RecordReader], n: Int, width: Int, order: GramOrder, folder: SpillFolder?, files: [String]) {
        self.inputs = inputs
        self.n = n
        self.width = width
        self.order = order
        self.folder = folder
        self.files = files
        current = .allocate(capacity: max(width, 1))
    }

    deinit { current.deallocate() }

    /// Merges the records of one in-memory buffer.
    static func memory(_ buffer: RecordBuffer, n: Int, order: GramOrder) -> RecordMerger {
        RecordMerger(
            inputs: [RecordReader(buffer: buffer, perm: buffer.sortedIndices(n: n, order: order))], n: n, width: buffer.width, order: order,
            folder: nil, files: [])
    }

    /// Merges sorted run files of `folder` (removed by ``close()``), in passes of at most
    /// ``fanIn`` runs.
    static func runs(_ runs: [String], n: Int, width: Int, order: GramOrder, folder: SpillFolder) throws -> RecordMerger {
        var runs = runs
        while runs.count > fanIn {
            var next: [String] = []
            var i = 0
            while i < runs.count {
                let group = Array(runs[i..<min(i + fanIn, runs.count)])
                let m = try RecordMerger(
                    inputs: group.map { try RecordReader(path: $0, width: width) }, n: n, width: width, order: order, folder: folder, files: group)
                let out = try RecordWriter(path: folder.file("merge"), width: width)
                while let r = try m.next() { try out.append(r) }
                try out.finish()
                try m.close()
                next.append(out.path)
                i += fanIn
            }
            runs = next
        }
        return RecordMerger(
            inputs: try runs.map { try RecordReader(path: $0, width: width) }, n: n, width: width, order: order, folder: folder, files: runs)
    }

    /// The next record, valid until the next call; nil at the end.
    func next() throws -> UnsafePointer<UInt32>? {
        if inputs.count == 1 { return try inputs[0].next() }
        if !primed {
            primed = true
            for (i, input) in inputs.enumerated() {
                if let r = try input.next() { heap.push(MergeHead(record: r, input: i, n: n, suffix: order == .suffix)) }
            }
        }
        guard let top = heap.pop() else { return nil }
        current.update(from: top.record, count: width)
        if let r = try inputs[top.input].next() { heap.push(MergeHead(record: r, input: top.input, n: n, suffix: order == .suffix)) }
        return UnsafePointer(current)
    }

    /// Removes the merged run files.
    func close() throws {
        inputs = []
        if let folder { for f in files { try folder.remove(f) } }
    }
}

/// Sorts records with a bounded buffer: a full buffer is sorted and written as a run.
final class RecordSorter {
    let width: Int
    let n: Int
    let order: GramOrder
    private let folder: SpillFolder
    private let stem: String
    private var buffer: RecordBuffer?
    private var runs: [String] = []

    /// A sorter holding at most about `budget` bytes (at least 16 records) in memory.
    init(width: Int, n: Int, order: GramOrder, budget: Int, folder: SpillFolder, stem: String) {
        self.width = width
        self.n = n
        self.order = order
        self.folder = folder
        self.stem = stem
        buffer = RecordBuffer(width: width, capacity: max(16, budget / (width * 4 + 4)))
    }

    func add(_ r: UnsafePointer<UInt32>) throws {
        guard let buffer else { return }
        if buffer.isFull { try spill(buffer) }
        buffer.append(r)
    }

    private func spill(_ buffer: RecordBuffer) throws {
        let out = try RecordWriter(path: folder.file(stem), width: width)
        for i in buffer.sortedIndices(n: n, order: order) { try out.append(buffer.record(Int(i))) }
        try out.finish()
        runs.append(out.path)
        buffer.count = 0
    }

    /// The records in order: the buffer when nothing was spilled, else a merge of the runs.
    func finish() throws -> RecordMerger {
        guard let buffer else { throw LMError("record sorter finished twice") }
        self.buffer = nil
        if runs.isEmpty { return RecordMerger.memory(buffer, n: n, order: order) }
        if buffer.count > 0 { try spill(buffer) }
        return try RecordMerger.runs(runs, n: n, width: width, order: order, folder: folder)
    }
}
