/// Counts of already-hashed 64-bit n-gram keys for `gopher_repetition`'s n-gram passes: open
/// addressing over interleaved (key, generation, count) entries, so a probe touches one cache
/// line (``HashSlots`` keeps keys, slot numbers and counts in three arrays). A generation number
/// empties the table between passes without writing it; the table is sized per pass to twice the
/// n-grams expected, inside one allocation that only grows.
struct NGramTable {
    private struct Entry {
        var key: UInt64
        var generation: UInt32
        var count: UInt32
    }

    private var entries: [Entry] = []
    private var mask = 0
    private var generation: UInt32 = 0
    /// The highest count since the last ``reset(expected:)``.
    private(set) var maxCount: UInt32 = 0

    /// Empties the table, sized for at most `expected` distinct keys.
    mutating func reset(expected: Int) {
        var cap = 16
        while cap < expected * 2 { cap <<= 1 }
        if entries.count < cap {
            entries = [Entry](repeating: Entry(key: 0, generation: 0, count: 0), count: cap)
            generation = 0
        }
        if generation == UInt32.max {
            for i in entries.indices { entries[i].generation = 0 }
            generation = 0
        }
        generation += 1
        mask = cap - 1
        maxCount = 0
    }

    @inline(__always) private static func start(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: ((key ^ (key >> 29)) &* 0xBF58_476D_1CE4_E5B9) >> 32)
    }

    /// Adds one occurrence of `key`; returns its count so far (1 for a new key).
    @inline(__always)
    mutating func add(_ key: UInt64) -> UInt32 {
        let g = generation
        let m = mask
        let c: UInt32 = entries.withUnsafeMutableBufferPointer { e in
            var i = Self.start(key) & m
            while true {
                if e[i].generation != g {
                    e[i] = Entry(key: key, generation: g, count: 1)
                    return 1
                }
                if e[i].key == key {
                    e[i].count &+= 1
                    return e[i].count
                }
                i = (i + 1) & m
            }
        }
        if c > maxCount { maxCount = c }
        return c
    }

    /// The count of `key` (0 if absent).
    @inline(__always)
    func count(_ key: UInt64) -> UInt32 {
        let g = generation
        let m = mask
        return entries.withUnsafeBufferPointer { e in
            var i = Self.start(key) & m
            while true {
                if e[i].generation != g { return 0 }
                if e[i].key == key { return e[i].count }
                i = (i + 1) & m
            }
        }
    }
}
