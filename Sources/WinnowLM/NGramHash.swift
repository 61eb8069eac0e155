import WinnowCore

/// The 64-bit keys of words and n-grams in a model's tables.
///
/// A word's key is xxHash64 of its UTF-8 bytes. An n-gram `w1 … wn` of vocabulary ids is keyed by
/// folding from its *last* word leftwards (`start(wn)`, then `extend(_, wn-1)` … `extend(_, w1)`),
/// so a query extends the key of `w_i` to `w_{i-1} w_i`, `w_{i-2} w_{i-1} w_i`, … one step at a
/// time, and a context `w1 … wk` has the same key as that k-gram. Keys are never 0 (0 marks an empty
/// slot). As in KenLM's probing tables, two n-grams are told apart by key alone in a built model
/// (a collision among 10⁹ n-grams has probability about 3·10⁻²); training compares ids exactly.
enum NGramHash {
    /// MurmurHash3's 64-bit finaliser (a bijection).
    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z ^= z >> 33
        z &*= 0xFF51_AFD7_ED55_8CCD
        z ^= z >> 33
        z &*= 0xC4CE_B9FE_1A85_EC53
        z ^= z >> 33
        return z
    }

    /// The fold state of a one-word n-gram.
    @inline(__always) static func start(_ id: UInt32) -> UInt64 {
        mix(UInt64(id) &+ 0x9E37_79B9_7F4A_7C15)
    }

    /// The fold state after prepending the word `id` on the left.
    @inline(__always) static func extend(_ state: UInt64, _ id: UInt32) -> UInt64 {
        mix((state &* 0x0000_0100_0000_01B3) ^ (UInt64(id) &+ 0x632B_E59B_D9B4_E019))
    }

    /// The table key of a fold state (never 0).
    @inline(__always) static func key(_ state: UInt64) -> UInt64 { state == 0 ? 1 : state }

    /// The key of the n-gram `ids` (in reading order).
    static func key(of ids: UnsafeBufferPointer<UInt32>) -> UInt64 {
        var h = start(ids[ids.count - 1])
        var i = ids.count - 2
        while i >= 0 {
            h = extend(h, ids[i])
            i -= 1
        }
        return key(h)
    }

    /// The key of a word's UTF-8 bytes.
    @inline(__always) static func word(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        key(StableHash.xxh64(bytes, seed: 0x574C_4D31))
    }
}
