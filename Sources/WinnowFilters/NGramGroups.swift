/// Groups the equal keys among one pass's 64-bit n-gram keys for `gopher_repetition`, without
/// random access into a table larger than the cache.
///
/// One open-addressing table over a long document's ≈ 400,000 n-grams is 16 MB: nearly every
/// probe missed the cache, and that stall was two thirds of the stage on 2 MB documents. Here the
/// (key, position) pairs are first partitioned by the key's top bits into buckets of about
/// ``bucketTarget`` pairs (one sequential read, one write stream per bucket), then each bucket is
/// grouped in a small table that stays in L1/L2. Every group gets a dense id; what the n-gram
/// rules need is then a pass over the ids in position order and a bitmap of ids (50 KB for
/// 400,000 n-grams):
/// - `Counter.most_common(1)`: the highest group size, and the first position of the group of that
///   size that occurs first (``bestCount``, ``bestFirst``);
/// - `find_all_duplicate`'s greedy left-to-right walk: ``walkBuffers()``, `ids[i]` and a bitmap of
///   the groups already visited.
///
/// Equality is equality of keys, as before: the keys are the filter's 64-bit n-gram hashes
/// (mixed by a bijection, so equal keys stay equal and distinct ones distinct). Positions and
/// ids are 32-bit: a document would need over four billion words (more than 8 GB of text) to
/// reach that. Buffers only grow and are reused across documents (one per task).
final class NGramGroups {
    /// Average pairs per bucket: a bucket's table is twice that rounded up to a power of two,
    /// 16 bytes a slot (64 KB), and its groups' counters stay in cache while it is grouped.
    static let bucketTarget = 2048

    private struct Pair {
        var key: UInt64
        var position: UInt32
    }

    private struct Slot {
        var key: UInt64
        var stamp: UInt32
        var group: UInt32
    }

    private var pairs = Growable<Pair>()
    private var slots = Growable<Slot>()
    private var slotsReady = 0
    private var bucketStart = Growable<Int>()
    private var counts = Growable<UInt32>()
    private var firsts = Growable<UInt32>()
    private var ids = Growable<UInt32>()
    private var seen = Growable<UInt64>()
    private var stamp: UInt32 = 0

    /// Groups of the last ``group(_:count:ids:)``.
    private(set) var groupCount = 0
    /// The largest group's size (0 for no keys).
    private(set) var bestCount = 0
    /// The smallest first position among the groups of size ``bestCount``.
    private(set) var bestFirst = 0

    init() {}

    deinit {
        pairs.free(); slots.free(); bucketStart.free(); counts.free(); firsts.free(); ids.free(); seen.free()
    }

    /// The bucket bits for `n` keys: buckets of at most about ``bucketTarget`` keys on average.
    static func bucketBits(_ n: Int) -> Int {
        var bits = 0
        while (n >> bits) > bucketTarget { bits += 1 }
        return bits
    }

    /// A bijection of 64-bit keys whose top bits (bucket) and low bits (slot) both depend on all
    /// of the key's bits.
    @inline(__always) static func mix(_ k: UInt64) -> UInt64 {
        let m = (k ^ (k >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return m ^ (m >> 32)
    }

    /// Groups `keys[0..<n]` (overwritten by their mixed form); with `wantIds`, ``walkBuffers()``
    /// then gives each position's group id.
    func group(_ keys: UnsafeMutablePointer<UInt64>, count n: Int, ids wantIds: Bool) {
        groupCount = 0
        bestCount = 0
        bestFirst = 0
        guard n > 0 else { return }
        var state = State(counts: counts.reserve(n), firsts: firsts.reserve(n),
                          ids: wantIds ? ids.reserve(n) : nil)
        let bits = Self.bucketBits(n)
        if bits == 0 {
            for i in 0..<n { keys[i] = Self.mix(keys[i]) }
            let table = bucketTable(size: n)
            for i in 0..<n { state.insert(keys[i], position: UInt32(truncatingIfNeeded: i), table) }
        } else {
            let buckets = 1 << bits
            let shift = UInt64(64 - bits)
            let start = bucketStart.reserve(buckets + 1)
            start.initialize(repeating: 0, count: buckets + 1)
            for i in 0..<n {
                let m = Self.mix(keys[i])
                keys[i] = m
                start[Int(truncatingIfNeeded: m >> shift) + 1] += 1
            }
            for b in 0..<buckets { start[b + 1] += start[b] }
            // Stable scatter: each bucket's pairs in position order (first occurrences first).
            let p = pairs.reserve(n)
            // start[b] serves as bucket b's cursor, so afterwards it is bucket b's end (the
            // next bucket's start before).
            for i in 0..<n {
                let m = keys[i]
                let b = Int(truncatingIfNeeded: m >> shift)
                p[start[b]] = Pair(key: m, position: UInt32(truncatingIfNeeded: i))
                start[b] += 1
            }
            var lo = 0
            for b in 0..<buckets {
                let hi = start[b]
                if hi > lo {
                    let table = bucketTable(size: hi - lo)
                    for k in lo..<hi { state.insert(p[k].key, position: p[k].position, table) }
                }
                lo = hi
            }
        }
        groupCount = state.groups
        bestCount = Int(state.bestCount)
        bestFirst = Int(state.bestFirst)
    }

    /// Each position's group id (from the last ``group(_:count:ids:)`` with ids) and a cleared
    /// bitmap of ``groupCount`` bits; valid until the next call of either.
    func walkBuffers() -> (ids: UnsafePointer<UInt32>, seen: UnsafeMutablePointer<UInt64>) {
        let words = (groupCount + 63) >> 6
        let s = seen.reserve(max(words, 1))
        s.initialize(repeating: 0, count: max(words, 1))
        return (UnsafePointer(ids.base), s)
    }

    /// Each group's size (from the last ``group(_:count:ids:)``), indexed by group id; valid until
    /// the next call.
    func groupSizes() -> UnsafePointer<UInt32> { UnsafePointer(counts.base) }

    /// An empty table for a bucket of `size` pairs: slots of another stamp are empty, so the
    /// shared slot array is cleared only when it grows or the stamp wraps.
    private func bucketTable(size: Int) -> Table {
        var cap = 16
        while cap < size * 2 { cap <<= 1 }
        let s = slots.reserve(cap)
        if slotsReady < slots.capacity || stamp == UInt32.max {
            s.initialize(repeating: Slot(key: 0, stamp: 0, group: 0), count: slots.capacity)
            slotsReady = slots.capacity
            stamp = 0
        }
        stamp += 1
        return Table(slots: s, mask: cap - 1, stamp: stamp)
    }

    private struct Table {
        let slots: UnsafeMutablePointer<Slot>
        let mask: Int
        let stamp: UInt32
    }

    /// The running grouping: counters per group, best group so far.
    private struct State {
        let counts: UnsafeMutablePointer<UInt32>
        let firsts: UnsafeMutablePointer<UInt32>
        let ids: UnsafeMutablePointer<UInt32>?
        var groups = 0
        var bestCount: UInt32 = 0
        var bestFirst: UInt32 = 0

        init(counts: UnsafeMutablePointer<UInt32>, firsts: UnsafeMutablePointer<UInt32>, ids: UnsafeMutablePointer<UInt32>?) {
            self.counts = counts
            self.firsts = firsts
            self.ids = ids
        }

        @inline(__always)
        mutating func insert(_ m: UInt64, position: UInt32, _ t: Table) {
            var j = Int(truncatingIfNeeded: m) & t.mask
            var g: Int
            var c: UInt32
            while true {
                let slot = t.slots[j]
                if slot.stamp != t.stamp {
                    g = groups
                    groups += 1
                    counts[g] = 1
                    firsts[g] = position
                    t.slots[j] = Slot(key: m, stamp: t.stamp, group: UInt32(truncatingIfNeeded: g))
                    c = 1
                    break
                }
                if slot.key == m {
                    g = Int(slot.group)
                    c = counts[g] &+ 1
                    counts[g] = c
                    break
                }
                j = (j + 1) & t.mask
            }
            ids?[Int(position)] = UInt32(truncatingIfNeeded: g)
            if c > bestCount || (c == bestCount && firsts[g] < bestFirst) {
                bestCount = c
                bestFirst = firsts[g]
            }
        }
    }
}

/// A buffer of trivial values that only grows (contents not kept across growth).
struct Growable<T> {
    private(set) var base: UnsafeMutablePointer<T> = .allocate(capacity: 1)
    private(set) var capacity = 1

    /// The buffer, with room for at least `n` values.
    mutating func reserve(_ n: Int) -> UnsafeMutablePointer<T> {
        if n > capacity {
            base.deallocate()
            capacity = max(n, capacity * 2)
            base = .allocate(capacity: capacity)
        }
        return base
    }

    func free() { base.deallocate() }
}
