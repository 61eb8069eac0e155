import Synchronization

/// A byte-pair-encoding model: a pre-token's symbols (bytes for byte-level BPE, characters
/// with `<0xXX>` byte fallback for SentencePiece-style BPE) are merged pair by pair in rank
/// order, and the ids of the pieces left are the tokens. Ids equal tiktoken's and Hugging Face
/// `tokenizers`'.
///
/// Ids of pre-tokens up to 64 bytes are cached (shared by threads, bounded), so encoding a
/// long text costs about one dictionary lookup per word; a pre-token of n symbols costs
/// O(n log n) to merge, however long (one 1 MB word, or a whole document that a
/// SentencePiece tokenizer does not split, included).
final class BPEModel: Sendable {
    /// How a pre-token becomes its first symbols.
    enum Alphabet: Sendable {
        /// Every byte is a token (GPT-2 and tiktoken).
        case bytes(byteIDs: [Int32])
        /// Every character (Unicode scalar) that is a token; others become their UTF-8 bytes'
        /// `<0xXX>` tokens (`byteFallback`, 256 ids) or the unknown token (consecutive ones fused
        /// into one when `fuseUnknown`), or are dropped when there is neither.
        case characters(charIDs: [UInt32: Int32], byteFallback: [Int32]?, unknownID: Int32?, fuseUnknown: Bool)
    }

    /// The rank of merging two adjacent tokens and the token they make.
    struct Merge: Sendable {
        var rank: Int32
        var id: Int32
    }

    let alphabet: Alphabet
    /// (left id, right id) → the merge.
    let pairs: [UInt64: Merge]
    /// ``pairs`` as the merge loop reads it (one lookup per adjacent pair: its hottest step).
    private let table: PairTable
    /// `charIDs` of ``Alphabet/characters(charIDs:byteFallback:unknownID:fuseUnknown:)`` for the
    /// scalars below U+10000, flat (``PairTable/absent`` where a scalar is not a token).
    private let basicCharIDs: [Int32]
    /// A pre-token that is one token as a whole is that token, before any merging (tiktoken;
    /// Hugging Face's `ignore_merges`). Keys are the pre-token's UTF-8 bytes.
    let wholePieces: [[UInt8]: Int32]?
    /// The longest key of ``wholePieces`` in bytes: longer pre-tokens are not looked up.
    let maxWholePieceBytes: Int
    /// Ids of short pre-tokens. Keys are copies: a `Substring` key would keep the whole text
    /// it was cut from alive for as long as the entry lives.
    private let cache = Mutex<[ByteKey: [Int32]]>([:])
    private static let cacheLimit = 200_000
    /// Longer pre-tokens are rare repeats; they are not cached.
    static let cachedPieceBytes = 64

    init(alphabet: Alphabet, pairs: [UInt64: Merge], wholePieces: [[UInt8]: Int32]?) {
        self.alphabet = alphabet
        self.pairs = pairs
        table = PairTable(pairs)
        if case .characters(let charIDs, _, _, _) = alphabet {
            var flat = [Int32](repeating: PairTable.absent, count: 0x10000)
            for (scalar, id) in charIDs where scalar < 0x10000 { flat[Int(scalar)] = id }
            basicCharIDs = flat
        } else {
            basicCharIDs = []
        }
        self.wholePieces = wholePieces
        maxWholePieceBytes = wholePieces?.keys.reduce(0) { max($0, $1.count) } ?? 0
    }

    @inline(__always) static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    // MARK: - Encoding

    /// Appends the ids of one pre-token to `ids`.
    func encode(_ piece: Substring, into ids: inout [Int32]) {
        let n = piece.utf8.count
        if n == 0 { return }
        guard n <= BPEModel.cachedPieceBytes else {
            ids.append(contentsOf: encodeUncached(piece))
            return
        }
        let key = ByteKey(String(piece))
        if let known = cache.withLock({ $0[key] }) {
            ids.append(contentsOf: known)
            return
        }
        let made = encodeUncached(piece)
        cache.withLock { c in
            if c.count >= BPEModel.cacheLimit { c.removeAll(keepingCapacity: true) }
            c[key] = made
        }
        ids.append(contentsOf: made)
    }

    /// The number of tokens of one pre-token.
    func count(_ piece: Substring) -> Int {
        var ids: [Int32] = []
        encode(piece, into: &ids)
        return ids.count
    }

    private func encodeUncached(_ piece: Substring) -> [Int32] {
        if let wholePieces, piece.utf8.count <= maxWholePieceBytes, let id = wholePieces[Array(piece.utf8)] { return [id] }
        let symbols = firstSymbols(piece)
        if symbols.count <= 1 { return symbols }
        let table = self.table
        return BPEModel.merge(symbols) { left, right in table[BPEModel.key(left, right)] }
    }

    /// The symbols a pre-token starts as, before any merge.
    func firstSymbols(_ piece: Substring) -> [Int32] {
        switch alphabet {
        case .bytes(let byteIDs):
            var out = [Int32]()
            out.reserveCapacity(piece.utf8.count)
            for b in piece.utf8 { out.append(byteIDs[Int(b)]) }
            return out
        case .characters(let charIDs, let byteFallback, let unknownID, let fuseUnknown):
            var out = [Int32]()
            out.reserveCapacity(piece.utf8.count)
            var lastWasUnknown = false
            let basic = basicCharIDs
            for scalar in piece.unicodeScalars {
                let known = scalar.value < 0x10000 ? basic[Int(scalar.value)] : charIDs[scalar.value] ?? PairTable.absent
                if known != PairTable.absent {
                    out.append(known)
                    lastWasUnknown = false
                    continue
                }
                if let byteFallback {
                    for b in String(scalar).utf8 { out.append(byteFallback[Int(b)]) }
                    lastWasUnknown = false
                    continue
                }
                guard let unknownID else { continue }
                if !(fuseUnknown && lastWasUnknown) { out.append(unknownID) }
                lastWasUnknown = true
            }
            return out
        }
    }

    // MARK: - Merging

    /// One candidate merge: the pieces `start ..< end` (two adjacent ones when it was pushed).
    /// `order` is (rank, start) as one integer: the rank (sign bit flipped, so a signed rank
    /// orders as it compares) in the high half, the start in the low half.
    private struct Candidate {
        var order: UInt64
        var end: Int32
        var id: Int32

        init(rank: Int32, start: Int32, end: Int32, id: Int32) {
            order = UInt64(UInt32(bitPattern: rank) ^ 0x8000_0000) << 32 | UInt64(UInt32(bitPattern: start))
            self.end = end
            self.id = id
        }

        var start: Int { Int(UInt32(truncatingIfNeeded: order)) }
    }

    /// Merges `symbols` pair by pair, lowest (rank, position) first, as tiktoken and Hugging
    /// Face `tokenizers` do, and returns the ids left. `lookup(left, right)` gives the merge of
    /// two adjacent tokens, or nil when they do not merge.
    ///
    /// The pieces are a linked list and the candidate pairs a binary heap ordered by (rank,
    /// position); a pair made stale by a merge is skipped when it surfaces. Each merge costs
    /// O(log n) and at most two new lookups, so n symbols cost O(n log n) (a rescan of every
    /// pair after each merge costs O(n²): minutes for a 100 KB word). The arrays are raw
    /// buffers sized up front (at most n − 1 first pairs and two per merge enter the heap), so
    /// the loop pays no bounds or uniqueness checks. Adds the steps taken (lookups, heap pushes,
    /// pops and sift moves) to ``WorkMeter/current``.
    static func merge(_ symbols: [Int32], lookup: (Int32, Int32) -> Merge?) -> [Int32] {
        let n = symbols.count
        guard n > 1 else { return symbols }
        // next[i]: start of the piece after the one starting at i (n at the end); -1: i no longer starts a piece.
        let next = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let prev = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let heap = UnsafeMutablePointer<Candidate>.allocate(capacity: 3 * n)
        defer {
            next.deallocate()
            prev.deallocate()
            ids.deallocate()
            heap.deallocate()
        }
        for i in 0 ..< n {
            next[i] = Int32(i + 1)
            prev[i] = Int32(i - 1)
        }
        symbols.withUnsafeBufferPointer { s in
            if let base = s.baseAddress { ids.initialize(from: base, count: n) }
        }
        var count = 0
        var steps = 0

        func push(_ c: Candidate) {
            var k = count
            count += 1
            while k > 0 {
                let parent = (k - 1) >> 1
                guard c.order < heap[parent].order else { break }
                heap[k] = heap[parent]
                k = parent
                steps += 1
            }
            heap[k] = c
            steps += 1
        }
        func pop() -> Candidate {
            let top = heap[0]
            count -= 1
            if count > 0 {
                let last = heap[count]
                var k = 0
                while true {
                    let l = 2 * k + 1
                    if l >= count { break }
                    let r = l + 1
                    let child = r < count && heap[r].order < heap[l].order ? r : l
                    guard heap[child].order < last.order else { break }
                    heap[k] = heap[child]
                    k = child
                    steps += 1
                }
                heap[k] = last
            }
            steps += 1
            return top
        }
        /// Pushes the pair of the piece at `start` and the next one, if they merge.
        func consider(_ start: Int) {
            let mid = Int(next[start])
            guard mid < n else { return }
            steps += 1
            if let m = lookup(ids[start], ids[mid]) {
                push(Candidate(rank: m.rank, start: Int32(start), end: next[mid], id: m.id))
            }
        }

        for i in 0 ..< n - 1 { consider(i) }
        var pieces = n
        while count > 0 {
            let c = pop()
            let start = c.start
            // Stale: `start` was merged into its left neighbour, or either piece has grown since.
            guard next[start] >= 0 else { continue }
            let mid = Int(next[start])
            guard mid < n, next[mid] == c.end else { continue }
            next[start] = c.end
            if Int(c.end) < n { prev[Int(c.end)] = Int32(start) }
            next[mid] = -1
            ids[start] = c.id
            pieces -= 1
            if prev[start] >= 0 { consider(Int(prev[start])) }
            consider(start)
        }
        WorkMeter.add(steps)
        var out = [Int32]()
        out.reserveCapacity(pieces)
        var i = 0
        while i < n {
            out.append(ids[i])
            i = Int(next[i])
        }
        return out
    }

    /// The ids by the plain algorithm — after each merge, rescan every adjacent pair for the
    /// lowest rank — O(n²) per pre-token: the reference the heap merge is tested against.
    func rescanEncode(_ piece: Substring) -> [Int32] {
        if let wholePieces, let id = wholePieces[Array(piece.utf8)] { return [id] }
        var ids = firstSymbols(piece)
        while ids.count > 1 {
            var best: (rank: Int32, at: Int, id: Int32) = (Int32.max, -1, 0)
            for k in 0 ..< ids.count - 1 {
                if let m = pairs[BPEModel.key(ids[k], ids[k + 1])], m.rank < best.rank { best = (m.rank, k, m.id) }
            }
            if best.at < 0 { break }
            ids[best.at] = best.id
            ids.remove(at: best.at + 1)
        }
        return ids
    }
}

/// ``BPEModel/pairs`` as a flat open-addressing table (linear probing, a multiplicative hash
/// of the pair's 64-bit key): the merge loop looks up every adjacent pair, and this costs a
/// fraction of `Dictionary`'s SipHash lookup. Built once per model; read-only after.
struct PairTable: Sendable {
    /// The value that marks a character that is not a token in ``BPEModel``'s flat table.
    static let absent = Int32.min
    /// Keys of the slots; `UInt64.max` marks an empty slot.
    private let keys: [UInt64]
    private let values: [BPEModel.Merge]
    /// The merge of the one key equal to the empty marker (ids −1 and −1), if there is one.
    private let maxKeyMerge: BPEModel.Merge?
    private let shift: UInt64
    private let mask: Int

    init(_ pairs: [UInt64: BPEModel.Merge]) {
        var bits: UInt64 = 4
        while (1 << bits) < pairs.count * 2 { bits += 1 }
        let capacity = 1 << Int(bits)
        var keys = [UInt64](repeating: .max, count: capacity)
        var values = [BPEModel.Merge](repeating: BPEModel.Merge(rank: 0, id: 0), count: capacity)
        shift = 64 - bits
        mask = capacity - 1
        var maxKeyMerge: BPEModel.Merge?
        for (key, merge) in pairs {
            guard key != .max else {
                maxKeyMerge = merge
                continue
            }
            var slot = PairTable.slot(key, shift)
            while keys[slot] != .max { slot = (slot + 1) & mask }
            keys[slot] = key
            values[slot] = merge
        }
        self.keys = keys
        self.values = values
        self.maxKeyMerge = maxKeyMerge
    }

    /// The first slot probed for `key`: the top bits of a multiplicative hash.
    @inline(__always) private static func slot(_ key: UInt64, _ shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The merge of a pair key (``BPEModel/key(_:_:)``), or nil.
    @inline(__always) subscript(key: UInt64) -> BPEModel.Merge? {
        guard key != .max else { return maxKeyMerge }
        return keys.withUnsafeBufferPointer { keys -> BPEModel.Merge? in
            var slot = PairTable.slot(key, shift)
            while true {
                let k = keys[slot]
                if k == key { return values[slot] }
                if k == .max { return nil }
                slot = (slot + 1) & mask
            }
        }
    }
}

/// A string compared and hashed by its UTF-8 bytes. Swift's `String` equality is canonical
/// equivalence (`"é"` precomposed equals `"e\u{301}"`), but the two tokenize differently.
struct ByteKey: Hashable, Sendable {
    let string: String

    init(_ string: String) { self.string = string }

    static func == (a: ByteKey, b: ByteKey) -> Bool { a.string.utf8.elementsEqual(b.string.utf8) }

    func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
