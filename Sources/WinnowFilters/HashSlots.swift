/// An open-addressing table from already-hashed 64-bit keys to dense slot numbers (0, 1, 2, … in
/// insertion order). Faster than `Dictionary<UInt64, Int>`/`Set<UInt64>` here because the keys
/// are xxHash values already (no SipHash), and it is reused across documents without freeing.
struct HashSlots {
    private var keys: [UInt64] = []
    private var slots: [Int32] = []
    private var mask = 0
    /// Number of distinct keys inserted since the last ``reset(expected:)``.
    private(set) var count = 0

    /// Empties the table, sized for about `expected` keys.
    mutating func reset(expected: Int) {
        var cap = 16
        while cap < expected * 2 { cap <<= 1 }
        if keys.count != cap {
            keys = [UInt64](repeating: 0, count: cap)
            slots = [Int32](repeating: -1, count: cap)
        } else {
            for i in 0..<cap { slots[i] = -1 }
        }
        mask = cap - 1
        count = 0
    }

    /// The slot of `key`, inserting it with the next slot number if new.
    @inline(__always)
    mutating func slot(_ key: UInt64) -> (slot: Int, inserted: Bool) {
        if count * 2 >= keys.count { grow() }
        var i = Int(truncatingIfNeeded: key ^ (key >> 29)) & mask
        while true {
            let s = slots[i]
            if s < 0 {
                keys[i] = key
                slots[i] = Int32(count)
                count += 1
                return (count - 1, true)
            }
            if keys[i] == key { return (Int(s), false) }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldSlots = slots
        let cap = max(16, keys.count * 2)
        keys = [UInt64](repeating: 0, count: cap)
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
        for (k, s) in zip(oldKeys, oldSlots) where s >= 0 {
            var i = Int(truncatingIfNeeded: k ^ (k >> 29)) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            keys[i] = k
            slots[i] = s
        }
    }
}
