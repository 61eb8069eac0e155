import WinnowCore

/// Training-time hash table of n-grams of one order with exact ids and a count each.
///
/// Entries are stored densely in insertion order (so every pass over them is deterministic);
/// `slots` maps a hash slot to an entry index. About 4n + 20 bytes per n-gram plus the slots.
struct GramTable {
    let n: Int
    /// Entry-major ids, n per entry.
    private(set) var ids: [UInt32] = []
    private(set) var keys: [UInt64] = []
    var counts: [UInt64] = []
    private var slots: [UInt32] = [UInt32](repeating: .max, count: 16)

    init(n: Int) { self.n = n }

    /// A table whose entry arrays have room for `entries` n-grams (address space only: pages are
    /// touched as entries arrive), so they never reallocate below that.
    init(n: Int, reserving entries: Int) {
        self.n = n
        ids.reserveCapacity(entries * n)
        keys.reserveCapacity(entries)
        counts.reserveCapacity(entries)
    }

    /// Bytes of the slot array (its next growth allocates twice as much while the old one lives).
    var slotBytes: Int { slots.capacity * 4 }

    /// Entries the arrays hold without reallocating.
    var reservedEntries: Int { keys.capacity }

    var count: Int { keys.count }

    /// Approximate bytes resident: the entries (capacity past them is address space that pages
    /// in as entries arrive) and the slot array.
    var bytes: Int { count * (4 * n + 16) + slots.capacity * 4 }

    /// The index of the entry equal to `gram` (n ids) with key `key`, if present.
    func find(_ gram: UnsafePointer<UInt32>, key: UInt64) -> Int? {
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: key) & mask
        while true {
            let e = slots[s]
            if e == .max { return nil }
            if keys[Int(e)] == key && equal(Int(e), gram) { return Int(e) }
            s = (s + 1) & mask
        }
    }

    @inline(__always) private func equal(_ e: Int, _ gram: UnsafePointer<UInt32>) -> Bool {
        var k = 0
        while k < n {
            if ids[e * n + k] != gram[k] { return false }
            k += 1
        }
        return true
    }

    /// Adds `count` to the entry for `gram` (n ids), inserting it at 0 first if absent; returns its index.
    @discardableResult
    mutating func add(_ gram: UnsafePointer<UInt32>, key: UInt64, count: UInt64) -> Int {
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: key) & mask
        while true {
            let e = slots[s]
            if e == .max { break }
            if keys[Int(e)] == key && equal(Int(e), gram) {
                counts[Int(e)] += count
                return Int(e)
            }
            s = (s + 1) & mask
        }
        let index = keys.count
        slots[s] = UInt32(index)
        ids.append(contentsOf: UnsafeBufferPointer(start: gram, count: n))
        keys.append(key)
        counts.append(count)
        if keys.count * 3 > slots.count * 2 { grow() }
        return index
    }

    private mutating func grow() { slots = Self.slots(for: keys, count: slots.count * 2) }

    /// A linear-probing slot array of `count` slots (a power of two) holding entry i at `keys[i]`.
    static func slots(for keys: [UInt64], count: Int) -> [UInt32] {
        var slots = [UInt32](repeating: .max, count: count)
        let mask = count - 1
        for (i, key) in keys.enumerated() {
            var s = Int(truncatingIfNeeded: key) & mask
            while slots[s] != .max { s = (s + 1) & mask }
            slots[s] = UInt32(i)
        }
        return slots
    }

    /// Entry indices in `order` of their ids.
    func sortedIndices(_ order: GramOrder) -> [UInt32] {
        var perm = (0..<UInt32(count)).map { $0 }
        let n = self.n
        ids.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            perm.sort { compareGrams(base + Int($0) * n, base + Int($1) * n, n, order) < 0 }
        }
        return perm
    }

    /// Calls `body` with the ids of entry `e`.
    @inline(__always) func withGram<R>(_ e: Int, _ body: (UnsafePointer<UInt32>) throws -> R) rethrows -> R {
        try ids.withUnsafeBufferPointer { try body($0.baseAddress! + e * n) }
    }
}

/// Training-time vocabulary: word bytes ↔ ids, ids in first-seen order after `<unk>`, `<s>`, `</s>`.
struct WordTable {
    private(set) var blob: [UInt8] = []
    private(set) var offsets: [Int] = [0]
    private var keys: [UInt64] = []
    private var slots: [UInt32] = [UInt32](repeating: .max, count: 64)

    init() {
        for w in ["<unk>", "<s>", "</s>"] {
            var s = w
            _ = s.withUTF8 { id(UnsafeRawBufferPointer($0)) }
        }
    }

    var count: Int { keys.count }

    func word(_ id: Int) -> ArraySlice<UInt8> { blob[offsets[id]..<offsets[id + 1]] }

    /// The id of `bytes` if present.
    func find(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        let key = NGramHash.word(bytes)
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: key) & mask
        while true {
            let e = slots[s]
            if e == .max { return nil }
            if keys[Int(e)] == key && blob[offsets[Int(e)]..<offsets[Int(e) + 1]].elementsEqual(bytes) { return e }
            s = (s + 1) & mask
        }
    }

    /// The id of `bytes`, added if new.
    mutating func id(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        let key = NGramHash.word(bytes)
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: key) & mask
        while true {
            let e = slots[s]
            if e == .max { break }
            if keys[Int(e)] == key && blob[offsets[Int(e)]..<offsets[Int(e) + 1]].elementsEqual(bytes) { return e }
            s = (s + 1) & mask
        }
        let id = UInt32(keys.count)
        slots[s] = id
        keys.append(key)
        blob.append(contentsOf: bytes)
        offsets.append(blob.count)
        if keys.count * 2 > slots.count { slots = GramTable.slots(for: keys, count: slots.count * 2) }
        return id
    }
}
