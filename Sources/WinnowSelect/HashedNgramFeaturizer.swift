import WinnowCore

/// DSIR's hashed n-gram features, as `data_selection.hashed_ngram_dsir.get_ngram_counts`: the
/// text is lowercased and split by ``WordPunctTokenizer``; every unigram, and every n-gram up to
/// `ngrams` (its tokens joined by one space), goes to bucket `int(sha256(utf8).hexdigest(), 16) %
/// buckets`.
///
/// Not thread-safe (scratch buffers and a cache of n-gram buckets): one per task.
public final class HashedNgramFeaturizer {
    /// The number of hash buckets (the feature dimension).
    public let buckets: Int
    /// The longest n-gram (2: unigrams and bigrams).
    public let ngrams: Int
    private var lowered: [UInt8] = []
    private var tokens: [Range<Int>] = []
    private var joined: [UInt8] = []
    private let cache: NgramBucketCache

    /// Creates a featurizer.
    /// - Parameters:
    ///   - buckets: hash buckets, 1...2^32.
    ///   - ngrams: longest n-gram, ≥ 1.
    public init(buckets: Int = 10_000, ngrams: Int = 2) {
        precondition(buckets >= 1 && buckets <= 1 << 32 && ngrams >= 1)
        self.buckets = buckets
        self.ngrams = ngrams
        self.cache = NgramBucketCache()
    }

    /// Calls `body` with the bucket of every n-gram of `text`, unigrams first, then bigrams, …,
    /// each in text order. Returns the number of tokens.
    @discardableResult
    public func forEachBucket(_ text: String, _ body: (Int) -> Void) -> Int {
        lowered.removeAll(keepingCapacity: true)
        tokens.removeAll(keepingCapacity: true)
        var t = text
        t.withUTF8 { WordPunctTokenizer.appendLowercased($0, to: &lowered) }
        lowered.withUnsafeBufferPointer { WordPunctTokenizer.tokenize($0, into: &tokens) }
        let modulus = UInt64(buckets)
        let cache = self.cache
        let n = ngrams
        if joined.count < lowered.count + n { joined = [UInt8](repeating: 0, count: lowered.count + n) }
        lowered.withUnsafeBufferPointer { u in
            tokens.withUnsafeBufferPointer { tokens in
                joined.withUnsafeMutableBytes { scratch in
                    let raw = UnsafeRawBufferPointer(u)
                    for r in tokens {
                        body(cache.bucket(UnsafeRawBufferPointer(rebasing: raw[r]), modulus: modulus))
                    }
                    guard n >= 2 else { return }
                    for size in 2...n where tokens.count >= size {
                        for first in 0...(tokens.count - size) {
                            // The n-gram's tokens joined by single spaces: n disjoint tokens and n - 1 spaces.
                            var length = 0
                            for k in first..<(first + size) {
                                if k > first {
                                    scratch[length] = 0x20
                                    length += 1
                                }
                                let r = tokens[k]
                                scratch.baseAddress!.advanced(by: length).copyMemory(from: raw.baseAddress! + r.lowerBound, byteCount: r.count)
                                length += r.count
                            }
                            body(cache.bucket(UnsafeRawBufferPointer(rebasing: scratch[0..<length]), modulus: modulus))
                        }
                    }
                }
            }
        }
        return tokens.count
    }

    /// The bucket counts of `text` (a dense vector of `buckets` counts).
    public func counts(_ text: String) -> [Int] {
        var c = [Int](repeating: 0, count: buckets)
        forEachBucket(text) { c[$0] += 1 }
        return c
    }

    /// The tokens of `text` as the reference tokenizer gives them (for tests and checks).
    public func tokenize(_ text: String) -> [String] {
        lowered.removeAll(keepingCapacity: true)
        tokens.removeAll(keepingCapacity: true)
        var t = text
        t.withUTF8 { WordPunctTokenizer.appendLowercased($0, to: &lowered) }
        lowered.withUnsafeBufferPointer { WordPunctTokenizer.tokenize($0, into: &tokens) }
        return tokens.map { String(decoding: lowered[$0], as: UTF8.self) }
    }

    /// The reference's per-example length: `(features.sum() + n(n-1)/2) // n` for `total`
    /// n-gram features (equal to the token count for texts of at least n-1 tokens).
    public func exampleLength(features total: Int) -> Int {
        (total + ngrams * (ngrams - 1) / 2) / ngrams
    }
}

/// Memoises the SHA-256 bucket of short n-grams (most n-grams repeat; hashing is the cost).
///
/// Open addressing on xxHash64 of the bytes, keys compared byte for byte against an arena.
/// When full it stops taking new keys (the early, frequent ones stay): memory is bounded
/// (about 56 MiB) and every result is still exact.
final class NgramBucketCache {
    private struct Slot {
        var hash: UInt64  // 0: empty
        var value: UInt32
        var offsetAndLength: UInt32  // arena offset << 7 | length
    }

    private static let slotCount = 1 << 21
    private static let maxEntries = slotCount / 2
    private static let maxKeyBytes = 127
    private static let arenaCapacity = 24 << 20
    private let slots: UnsafeMutablePointer<Slot>
    private let arena: UnsafeMutablePointer<UInt8>
    private var arenaUsed = 0
    private var entries = 0
    private var modulus: UInt64 = 0

    init() {
        slots = .allocate(capacity: Self.slotCount)
        slots.initialize(repeating: Slot(hash: 0, value: 0, offsetAndLength: 0), count: Self.slotCount)
        arena = .allocate(capacity: Self.arenaCapacity)
    }

    deinit {
        slots.deallocate()
        arena.deallocate()
    }

    /// The bucket of `key` modulo `modulus`.
    @inline(__always)
    func bucket(_ key: UnsafeRawBufferPointer, modulus: UInt64) -> Int {
        let n = key.count
        if n > Self.maxKeyBytes { return Int(SHA256.bucket(key, modulus: modulus)) }
        if modulus != self.modulus {
            slots.update(repeating: Slot(hash: 0, value: 0, offsetAndLength: 0), count: Self.slotCount)
            arenaUsed = 0
            entries = 0
            self.modulus = modulus
        }
        let h = StableHash.xxh64(key) | 1
        let mask = Self.slotCount - 1
        var i = Int(truncatingIfNeeded: h >> 7) & mask
        while true {
            let slot = slots[i]
            if slot.hash == 0 { break }
            if slot.hash == h && Int(slot.offsetAndLength & 0x7F) == n
                && memcmpBytes(arena + Int(slot.offsetAndLength >> 7), key.baseAddress, n)
            {
                return Int(slot.value)
            }
            i = (i + 1) & mask
        }
        let value = SHA256.bucket(key, modulus: modulus)
        if entries < Self.maxEntries && arenaUsed + n <= Self.arenaCapacity, let base = key.baseAddress {
            (arena + arenaUsed).initialize(from: base.assumingMemoryBound(to: UInt8.self), count: n)
            slots[i] = Slot(hash: h, value: UInt32(truncatingIfNeeded: value), offsetAndLength: UInt32(arenaUsed) << 7 | UInt32(n))
            arenaUsed += n
            entries += 1
        }
        return Int(value)
    }
}

@inline(__always)
private func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer?, _ n: Int) -> Bool {
    guard let b else { return n == 0 }
    var i = 0
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
