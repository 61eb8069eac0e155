/// `std::minstd_rand` (Lehmer, multiplier 48271, modulus 2³¹ − 1) and the two libstdc++
/// distributions fastText draws from it, reproduced exactly so that a seed gives the same
/// initial matrix and the same label choices as fastText built with GCC.
struct MinstdRandom {
    static let modulus: UInt64 = 2_147_483_647
    static let min: UInt64 = 1
    static let max: UInt64 = 2_147_483_646
    private var state: UInt64

    /// `std::minstd_rand rng(seed)`: a seed ≡ 0 (mod 2³¹ − 1) becomes 1.
    init(seed: UInt64) {
        let s = seed % Self.modulus
        state = s == 0 ? 1 : s
    }

    /// The next value in `1...2147483646`.
    @inline(__always)
    mutating func next() -> UInt64 {
        // x · 48271 mod (2³¹ − 1) without a division: the product is below 2⁴⁷, and 2³¹ ≡ 1.
        var x = state &* 48_271
        x = (x & Self.modulus) &+ (x >> 31)
        if x >= Self.modulus { x -= Self.modulus }
        state = x
        return x
    }

    /// `std::generate_canonical<double, 53>`: two draws (libstdc++ takes ⌈53 / 30⌉ = 2), a value in [0, 1).
    mutating func canonical() -> Double {
        let r = Double(Self.max - Self.min + 1)
        var sum = 0.0
        var tmp = 1.0
        for _ in 0..<2 {
            sum += Double(next() - Self.min) * tmp
            tmp *= r
        }
        let ret = sum / tmp
        return ret >= 1 ? 1.0.nextDown : ret
    }

    /// `std::uniform_real_distribution<double>(a, b)(rng)`.
    mutating func uniform(_ a: Double, _ b: Double) -> Double {
        canonical() * (b - a) + a
    }

    /// `std::uniform_int_distribution<int>(0, upper)(rng)` as libstdc++ computes it for a
    /// generator whose range is wider than the request (down-scaling with rejection).
    mutating func uniformInt(upTo upper: Int) -> Int {
        let urngRange = Self.max - Self.min
        let range = UInt64(upper)
        if range == urngRange { return Int(next() - Self.min) }
        let erange = range + 1
        let scaling = urngRange / erange
        let past = erange * scaling
        var ret: UInt64
        repeat { ret = next() - Self.min } while ret >= past
        return Int(ret / scaling)
    }
}
