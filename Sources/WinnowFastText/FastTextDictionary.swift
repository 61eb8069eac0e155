/// A fastText dictionary: the words and labels of a model, their lookup table, the pruned
/// n-gram index of quantised models, and each word's precomputed subword rows.
///
/// Words are kept as one contiguous byte buffer with offsets; lookups hash the token's bytes with
/// ``FastTextHash`` and compare bytes, so tokenising a document allocates no strings.
final class FastTextDictionary: Sendable {
    /// Entry types as stored in the file (`entry_type`, one signed byte).
    static let wordType: UInt8 = 0
    static let labelType: UInt8 = 1
    /// The end-of-sentence token a newline becomes.
    static let eos: [UInt8] = Array("</s>".utf8)
    /// The prefix that makes an unknown token a label (fastText's default `-label`).
    static let labelPrefix: [UInt8] = Array("__label__".utf8)

    /// Words then labels (`size_ = nwords_ + nlabels_`).
    let size: Int
    let nwords: Int
    let nlabels: Int
    let ntokens: Int64
    /// Entry `i` is `wordBytes[wordStart[i]..<wordStart[i + 1]]`.
    let wordBytes: [UInt8]
    let wordStart: [Int]
    let counts: [Int64]
    let types: [UInt8]
    /// Open-addressing table of entry ids (-1 empty), indexed by hash & mask.
    private let table: [Int32]
    private let tableMask: Int
    /// `pruneidx_size_` from the file: -1 when n-grams are not pruned, else the number of kept
    /// n-gram buckets (0: the model keeps none).
    let pruneSize: Int
    /// Pruned bucket → row offset (after the words), when `pruneSize > 0`.
    let pruneIndex: IntMap
    /// Args that tokenisation needs.
    let minn: Int
    let maxn: Int
    let bucket: Int
    let wordNgrams: Int
    /// Subword rows of word `i`: `subwords[subwordStart[i]..<subwordStart[i + 1]]` (starts with `i`).
    let subwordStart: [Int]
    let subwords: [Int32]

    /// Reads the dictionary (`Dictionary::load`) at the reader's offset.
    init(reading r: inout ByteReader, arguments a: FastTextArguments) throws(FastTextError) {
        let sizeAt = r.offset
        let size = Int(try r.int32("dictionary size"))
        let nwords = Int(try r.int32("dictionary word count"))
        let nlabels = Int(try r.int32("dictionary label count"))
        ntokens = try r.int64("dictionary token count")
        let pruneAt = r.offset
        let pruneSize64 = try r.int64("dictionary pruned n-gram count")
        guard size >= 0, nwords >= 0, nlabels >= 0, size == nwords + nlabels else {
            throw r.error(.corrupt, "dictionary sizes are inconsistent: size \(size), words \(nwords), labels \(nlabels)", at: sizeAt)
        }
        guard pruneSize64 >= -1, pruneSize64 <= Int64(Int32.max) else {
            throw r.error(.corrupt, "pruned n-gram count \(pruneSize64) is out of range", at: pruneAt)
        }
        // Each entry takes at least 10 bytes (NUL, count, type): refuse absurd sizes before allocating.
        guard size <= r.remaining / 10 else {
            throw r.error(.truncated, "file is truncated: the dictionary declares \(size) entries but only \(r.remaining) bytes remain", at: sizeAt)
        }
        self.size = size
        self.nwords = nwords
        self.nlabels = nlabels
        self.pruneSize = Int(pruneSize64)

        var wordBytes: [UInt8] = []
        var wordStart: [Int] = [0]
        var counts: [Int64] = []
        var types: [UInt8] = []
        wordStart.reserveCapacity(size + 1)
        counts.reserveCapacity(size)
        types.reserveCapacity(size)
        for i in 0..<size {
            let range = try r.cString("dictionary entry \(i)")
            wordBytes.append(contentsOf: r.bytes[range])
            wordStart.append(wordBytes.count)
            counts.append(try r.int64("count of dictionary entry \(i)"))
            let typeAt = r.offset
            let type = try r.uint8("type of dictionary entry \(i)")
            let expected = i < nwords ? Self.wordType : Self.labelType
            guard type == expected else {
                throw r.error(
                    .corrupt,
                    "dictionary entry \(i) has type \(type); entries 0..<\(nwords) must be words (0) and the rest labels (1)",
                    at: typeAt)
            }
            types.append(type)
        }
        self.wordBytes = wordBytes
        self.wordStart = wordStart
        self.counts = counts
        self.types = types

        let ngramRows = pruneSize64 >= 0 ? Int(pruneSize64) : a.bucket
        var pruneIndex = IntMap(capacity: max(0, Int(pruneSize64)))
        if pruneSize64 > 0 {
            guard Int(pruneSize64) <= r.remaining / 8 else {
                throw r.error(.truncated, "file is truncated: the pruned n-gram index declares \(pruneSize64) pairs but only \(r.remaining) bytes remain")
            }
            for i in 0..<Int(pruneSize64) {
                let at = r.offset
                let bucketId = try r.int32("pruned n-gram pair \(i)")
                let row = try r.int32("pruned n-gram pair \(i)")
                guard bucketId >= 0, bucketId < a.bucket || a.bucket == 0, row >= 0, Int(row) < ngramRows else {
                    throw r.error(.corrupt, "pruned n-gram pair \(i) (\(bucketId) → \(row)) is out of range (bucket \(a.bucket), \(ngramRows) kept)", at: at)
                }
                pruneIndex.set(bucketId, row)  // a repeated key keeps the last value, as fastText's map does
            }
        }
        self.pruneIndex = pruneIndex
        self.minn = a.minn
        self.maxn = a.maxn
        self.bucket = a.bucket
        self.wordNgrams = a.wordNgrams

        // Lookup table: power of two at least twice the entry count.
        var capacity = 16
        while capacity < 2 * size { capacity <<= 1 }
        var table = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        wordBytes.withUnsafeBufferPointer { wb in
            for i in 0..<size {
                let word = UnsafeBufferPointer(rebasing: wb[wordStart[i]..<wordStart[i + 1]])
                var slot = Int(FastTextHash.hash(word)) & mask
                while table[slot] != -1 {
                    let other = Int(table[slot])
                    // A repeated word: the later entry wins, as in Dictionary::load.
                    if Self.equal(UnsafeBufferPointer(rebasing: wb[wordStart[other]..<wordStart[other + 1]]), word) { break }
                    slot = (slot + 1) & mask
                }
                table[slot] = Int32(i)
            }
        }
        self.table = table
        self.tableMask = mask

        // Subwords of every word (Dictionary::initNgrams); labels are never looked up as words.
        var subwordStart: [Int] = [0]
        var subwords: [Int32] = []
        subwordStart.reserveCapacity(nwords + 1)
        var scratch: [UInt8] = []
        for i in 0..<nwords {
            subwords.append(Int32(i))
            let word = wordBytes[wordStart[i]..<wordStart[i + 1]]
            if !word.elementsEqual(Self.eos) {
                scratch.removeAll(keepingCapacity: true)
                scratch.append(UInt8(ascii: "<"))
                scratch.append(contentsOf: word)
                scratch.append(UInt8(ascii: ">"))
                Self.computeSubwords(scratch, into: &subwords, minn: a.minn, maxn: a.maxn, bucket: a.bucket,
                                     nwords: nwords, pruneSize: pruneSize, pruneIndex: pruneIndex)
            }
            subwordStart.append(subwords.count)
        }
        self.subwordStart = subwordStart
        self.subwords = subwords
    }

    /// The largest input row any token can reach, plus one: words then n-gram buckets.
    var inputRowsNeeded: Int {
        pruneSize >= 0 ? nwords + pruneSize : nwords + bucket
    }

    @inline(__always)
    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }

    /// The entry id of `token` (whose hash is `h`), or -1.
    @inline(__always)
    func find(_ token: UnsafeBufferPointer<UInt8>, hash h: UInt32) -> Int {
        table.withUnsafeBufferPointer { t in
            wordBytes.withUnsafeBufferPointer { wb in
                var slot = Int(h) & tableMask
                while true {
                    let id = Int(t[slot])
                    if id < 0 { return -1 }
                    let s = wordStart[id], e = wordStart[id + 1]
                    if e - s == token.count && Self.equal(UnsafeBufferPointer(rebasing: wb[s..<e]), token) { return id }
                    slot = (slot + 1) & tableMask
                }
            }
        }
    }

    /// The entry's text.
    func word(_ id: Int) -> String {
        String(decoding: wordBytes[wordStart[id]..<wordStart[id + 1]], as: UTF8.self)
    }

    /// Appends the input row of n-gram bucket `id` (Dictionary::pushHash).
    @inline(__always)
    static func pushHash(_ id: Int32, into rows: inout [Int32], nwords: Int, pruneSize: Int, pruneIndex: IntMap) {
        if pruneSize == 0 || id < 0 { return }
        var row = id
        if pruneSize > 0 {
            guard let mapped = pruneIndex.get(id) else { return }
            row = mapped
        }
        rows.append(Int32(nwords) + row)
    }

    /// Appends the character n-gram rows of `word` (already wrapped in `<` and `>`),
    /// exactly as Dictionary::computeSubwords: n-grams of `minn...maxn` UTF-8 characters, except
    /// one-character n-grams at either end (the bare `<` or `>`).
    static func computeSubwords(_ word: [UInt8], into rows: inout [Int32], minn: Int, maxn: Int, bucket: Int,
                                nwords: Int, pruneSize: Int, pruneIndex: IntMap) {
        guard bucket > 0 else { return }
        let b = UInt32(truncatingIfNeeded: bucket)
        word.withUnsafeBufferPointer { w in
            let count = w.count
            for i in 0..<count {
                if w[i] & 0xC0 == 0x80 { continue }
                var h = FastTextHash.offsetBasis
                var j = i
                var n = 1
                while j < count && n <= maxn {
                    h = FastTextHash.step(h, w[j])
                    j += 1
                    while j < count && w[j] & 0xC0 == 0x80 {
                        h = FastTextHash.step(h, w[j])
                        j += 1
                    }
                    if n >= minn && !(n == 1 && (i == 0 || j == count)) {
                        pushHash(Int32(bitPattern: h % b), into: &rows, nwords: nwords, pruneSize: pruneSize, pruneIndex: pruneIndex)
                    }
                    n += 1
                }
            }
        }
    }

    /// Appends the character n-gram rows of `word` (wrapped in `<` and `>`) for this dictionary.
    @inline(__always)
    func addSubwords(of word: [UInt8], into rows: inout [Int32]) {
        Self.computeSubwords(word, into: &rows, minn: minn, maxn: maxn, bucket: bucket, nwords: nwords,
                             pruneSize: pruneSize, pruneIndex: pruneIndex)
    }

    /// Appends the word n-gram rows for the tokens' hashes (Dictionary::addWordNgrams), with
    /// fastText's sign extension of the 32-bit hashes to 64 bits.
    func addWordNgrams(_ hashes: [Int32], into rows: inout [Int32]) {
        Self.addWordNgrams(hashes, into: &rows, wordNgrams: wordNgrams, bucket: bucket, nwords: nwords,
                           pruneSize: pruneSize, pruneIndex: pruneIndex)
    }

    /// Dictionary::addWordNgrams for explicit arguments (the trainer's dictionary is not loaded from a file).
    static func addWordNgrams(_ hashes: [Int32], into rows: inout [Int32], wordNgrams: Int, bucket: Int, nwords: Int,
                              pruneSize: Int, pruneIndex: IntMap) {
        guard wordNgrams > 1, bucket > 0 else { return }
        let b = UInt64(bucket)
        for i in 0..<hashes.count {
            var h = UInt64(bitPattern: Int64(hashes[i]))
            var j = i + 1
            while j < hashes.count && j < i + wordNgrams {
                h = h &* 116_049_371 &+ UInt64(bitPattern: Int64(hashes[j]))
                Self.pushHash(Int32(truncatingIfNeeded: h % b), into: &rows, nwords: nwords, pruneSize: pruneSize, pruneIndex: pruneIndex)
                j += 1
            }
        }
    }
}

/// A small open-addressing map from non-negative Int32 keys to Int32 values.
struct IntMap: Sendable {
    private var keys: [Int32]
    private var values: [Int32]
    private let mask: Int

    init(capacity: Int) {
        var c = 16
        while c < 2 * capacity { c <<= 1 }
        keys = [Int32](repeating: -1, count: c)
        values = [Int32](repeating: 0, count: c)
        mask = c - 1
    }

    @inline(__always)
    private func slot(_ key: Int32) -> Int {
        Int(truncatingIfNeeded: (UInt32(bitPattern: key) &* 2_654_435_761) >> 7) & mask
    }

    mutating func set(_ key: Int32, _ value: Int32) {
        var s = slot(key)
        while keys[s] != -1 && keys[s] != key { s = (s + 1) & mask }
        keys[s] = key
        values[s] = value
    }

    @inline(__always)
    func get(_ key: Int32) -> Int32? {
        keys.withUnsafeBufferPointer { k in
            var s = slot(key)
            while true {
                let found = k[s]
                if found == key { return values[s] }
                if found == -1 { return nil }
                s = (s + 1) & mask
            }
        }
    }
}
