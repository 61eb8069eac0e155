#if canImport(Glibc)
import Glibc
#endif
import WinnowCore

/// The Winnow binary language-model format, version 1 (`.wlm`). The same bytes are a model's
/// in-memory form: a trained or ARPA-loaded model builds them on the heap, a `.wlm` file is
/// memory-mapped as it is, and one query path reads both.
///
/// All integers and floats little-endian; every section starts at a multiple of 8 bytes.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 8 | magic `WINNOWLM` |
/// | 8 | 4 | format version (1) |
/// | 12 | 4 | order N |
/// | 16 | 8 | vocabulary size V (ids: 0 `<unk>`, 1 `<s>`, 2 `</s>`, then the rest) |
/// | 24 | 8 | vocabulary hash-table slots (a power of two) |
/// | 32 | 8 | bytes of word text |
/// | 40 | 8 | total file size in bytes |
/// | 48 | 16 | reserved (0) |
/// | 64 | 16·(N−1) | for n = 2…N: n-gram count (UInt64), hash-table slots (UInt64, a power of two) |
///
/// Then the sections: word start offsets (UInt64 × (V+1)); word bytes (UTF-8, no separators);
/// vocabulary table (slots × {UInt64 word key, UInt32 id, UInt32 0}); unigram log10 probabilities
/// (Float32 × V); unigram log10 backoffs (Float32 × V); for n = 2…N the n-gram table (slots ×
/// {UInt64 key, Float32 log10 p, Float32 log10 backoff}). Keys are ``NGramHash`` values, 0 marks an
/// empty slot, lookups probe linearly from `key & (slots − 1)`.
struct ModelLayout: Equatable {
    static let magic: [UInt8] = Array("WINNOWLM".utf8)
    static let version: UInt32 = 1
    static let headerSize = 64

    var order: Int
    var vocabSize: Int
    var vocabSlots: Int
    var wordBytes: Int
    var counts: [Int]   // index n−2 for order n
    var slots: [Int]

    var wordOffsetsAt: Int { Self.align(Self.headerSize + 16 * (order - 1)) }
    var wordBytesAt: Int { wordOffsetsAt + 8 * (vocabSize + 1) }
    var vocabTableAt: Int { Self.align(wordBytesAt + wordBytes) }
    var unigramProbAt: Int { vocabTableAt + 16 * vocabSlots }
    var unigramBackoffAt: Int { Self.align(unigramProbAt + 4 * vocabSize) }
    /// Byte offset of the order-n table (n ≥ 2).
    func tableAt(_ n: Int) -> Int {
        var at = Self.align(unigramBackoffAt + 4 * vocabSize)
        var k = 2
        while k < n {
            at += 16 * slots[k - 2]
            k += 1
        }
        return at
    }
    var totalSize: Int { tableAt(order + 1) }

    static func align(_ x: Int) -> Int { (x + 7) & ~7 }

    /// Hash-table slots for `count` entries: a power of two at least 1.5 × count (load ≤ 2/3).
    static func slots(for count: Int) -> Int {
        var s = 4
        while s < count + count / 2 + 1 { s <<= 1 }
        return s
    }

    /// Writes the header into `base`.
    func writeHeader(_ base: UnsafeMutableRawPointer) {
        for (i, b) in Self.magic.enumerated() { base.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
        base.storeBytes(of: Self.version.littleEndian, toByteOffset: 8, as: UInt32.self)
        base.storeBytes(of: UInt32(order).littleEndian, toByteOffset: 12, as: UInt32.self)
        base.storeBytes(of: UInt64(vocabSize).littleEndian, toByteOffset: 16, as: UInt64.self)
        base.storeBytes(of: UInt64(vocabSlots).littleEndian, toByteOffset: 24, as: UInt64.self)
        base.storeBytes(of: UInt64(wordBytes).littleEndian, toByteOffset: 32, as: UInt64.self)
        base.storeBytes(of: UInt64(totalSize).littleEndian, toByteOffset: 40, as: UInt64.self)
        for n in stride(from: 2, through: order, by: 1) {
            base.storeBytes(of: UInt64(counts[n - 2]).littleEndian, toByteOffset: 64 + 16 * (n - 2), as: UInt64.self)
            base.storeBytes(of: UInt64(slots[n - 2]).littleEndian, toByteOffset: 72 + 16 * (n - 2), as: UInt64.self)
        }
    }

    /// Reads and checks the header of `size` bytes at `base`.
    /// - Throws: ``FileError`` naming the path and what is wrong.
    static func read(_ base: UnsafeRawPointer, size: Int, path: String) throws -> ModelLayout {
        func fail(_ message: String) -> FileError { FileError(path: path, "not a valid Winnow LM file: \(message)") }
        guard size >= headerSize else { throw fail("\(size) bytes is shorter than the 64-byte header") }
        for (i, b) in magic.enumerated() where base.load(fromByteOffset: i, as: UInt8.self) != b {
            throw fail("bad magic at byte 0")
        }
        let version = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == Self.version else { throw fail("format version \(version) at byte 8 (this build reads \(Self.version))") }
        func u64(_ at: Int) -> Int { Int(truncatingIfNeeded: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))) }
        let order = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        guard (1...64).contains(order) else { throw fail("order \(order) at byte 12") }
        guard size >= headerSize + 16 * (order - 1) else { throw fail("truncated n-gram table directory") }
        var layout = ModelLayout(order: order, vocabSize: u64(16), vocabSlots: u64(24), wordBytes: u64(32), counts: [], slots: [])
        for n in stride(from: 2, through: order, by: 1) {
            layout.counts.append(u64(64 + 16 * (n - 2)))
            layout.slots.append(u64(72 + 16 * (n - 2)))
        }
        let pow2 = { (x: Int) in x > 0 && x & (x - 1) == 0 }
        guard layout.vocabSize >= 3, layout.vocabSize < 1 << 32, pow2(layout.vocabSlots), layout.vocabSlots > layout.vocabSize,
            layout.wordBytes >= 0, layout.wordBytes < 1 << 40
        else { throw fail("vocabulary header at byte 16 is inconsistent") }
        for (i, s) in layout.slots.enumerated() where !pow2(s) || s <= layout.counts[i] || s >= 1 << 40 {
            throw fail("order-\(i + 2) table header at byte \(64 + 16 * i) is inconsistent")
        }
        let declared = u64(40)
        guard declared == layout.totalSize, declared == size else {
            throw fail("size \(size) bytes, header says \(declared), layout needs \(layout.totalSize)")
        }
        return layout
    }
}

/// One slot of an n-gram table.
struct NGramEntry {
    var key: UInt64
    var prob: Float
    var backoff: Float
}

/// One slot of the vocabulary table.
struct VocabEntry {
    var key: UInt64
    var id: UInt32
    var pad: UInt32
}

/// The bytes of a model: owned heap memory or a read-only file mapping.
final class ModelStorage: @unchecked Sendable {
    let base: UnsafeRawPointer
    let size: Int
    private let mapped: Bool

    init(heap: UnsafeMutableRawPointer, size: Int) {
        base = UnsafeRawPointer(heap)
        self.size = size
        mapped = false
    }

    init(mapping: UnsafeRawPointer, size: Int) {
        base = mapping
        self.size = size
        mapped = true
    }

    /// Maps `path` read-only.
    static func map(path: String) throws -> ModelStorage {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError(path: path, "cannot stat: \(String(cString: strerror(errno)))") }
        let size = Int(st.st_size)
        guard size > 0 else { throw FileError(path: path, "empty file") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw FileError(path: path, "mmap failed: \(String(cString: strerror(errno)))")
        }
        return ModelStorage(mapping: UnsafeRawPointer(p), size: size)
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }
}

/// What a model is built from: words by id and, per order, (key, log10 p, log10 backoff).
struct ModelContents {
    /// Word bytes by id; ids 0, 1, 2 are `<unk>`, `<s>`, `</s>`.
    var words: [[UInt8]]
    var unigramProb: [Float]
    var unigramBackoff: [Float]
    /// Index n−2 holds the order-n entries.
    var ngrams: [[NGramEntry]]

    var order: Int { ngrams.count + 1 }

    /// Lays out and fills the binary image on the heap.
    func buildStorage() -> ModelStorage {
        let wordBytes = words.reduce(0) { $0 + $1.count }
        let layout = ModelLayout(
            order: order, vocabSize: words.count, vocabSlots: ModelLayout.slots(for: words.count), wordBytes: wordBytes,
            counts: ngrams.map(\.count), slots: ngrams.map { ModelLayout.slots(for: $0.count) })
        let size = layout.totalSize
        let base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        layout.writeHeader(base)
        // Words and the vocabulary table.
        var at = 0
        let vocab = (base + layout.vocabTableAt).bindMemory(to: VocabEntry.self, capacity: layout.vocabSlots)
        for (id, w) in words.enumerated() {
            base.storeBytes(of: UInt64(at).littleEndian, toByteOffset: layout.wordOffsetsAt + 8 * id, as: UInt64.self)
            w.withUnsafeBytes { b in
                if let p = b.baseAddress { (base + layout.wordBytesAt + at).copyMemory(from: p, byteCount: b.count) }
                var slot = Int(truncatingIfNeeded: NGramHash.word(b)) & (layout.vocabSlots - 1)
                while vocab[slot].key != 0 { slot = (slot + 1) & (layout.vocabSlots - 1) }
                vocab[slot] = VocabEntry(key: NGramHash.word(b), id: UInt32(id), pad: 0)
            }
            at += w.count
        }
        base.storeBytes(of: UInt64(at).littleEndian, toByteOffset: layout.wordOffsetsAt + 8 * words.count, as: UInt64.self)
        for id in 0..<words.count {
            base.storeBytes(of: unigramProb[id], toByteOffset: layout.unigramProbAt + 4 * id, as: Float.self)
            base.storeBytes(of: unigramBackoff[id], toByteOffset: layout.unigramBackoffAt + 4 * id, as: Float.self)
        }
        for n in stride(from: 2, through: order, by: 1) {
            let slots = layout.slots[n - 2]
            let table = (base + layout.tableAt(n)).bindMemory(to: NGramEntry.self, capacity: slots)
            for e in ngrams[n - 2] {
                var slot = Int(truncatingIfNeeded: e.key) & (slots - 1)
                while table[slot].key != 0 { slot = (slot + 1) & (slots - 1) }
                table[slot] = e
            }
        }
        return ModelStorage(heap: base, size: size)
    }
}
