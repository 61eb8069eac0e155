/// SplitMix64: a small deterministic generator, the same sequence on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Seeded mutations of seed inputs, for the smoke pass of the test suite (libFuzzer does the
/// real search in `make fuzz`): byte flips, interesting bytes, insertions and deletions, copied
/// or repeated spans, cuts, splices with another seed, and dictionary tokens (the same
/// `fuzz/dict/<target>.dict` files libFuzzer reads), stacked one to four deep.
public struct FuzzMutator: Sendable {
    /// The seed inputs.
    public let seeds: [[UInt8]]
    /// Tokens to insert or overwrite with.
    public let tokens: [[UInt8]]
    /// The longest input produced, in bytes.
    public let maxLength: Int

    /// Creates a mutator.
    /// - Parameters:
    ///   - seeds: inputs to start from (at least one; an empty list mutates the empty input).
    ///   - tokens: dictionary tokens.
    ///   - maxLength: the longest input produced, in bytes.
    public init(seeds: [[UInt8]], tokens: [[UInt8]] = [], maxLength: Int) {
        self.seeds = seeds.isEmpty ? [[]] : seeds
        self.tokens = tokens
        self.maxLength = maxLength
    }

    /// The `index`-th mutated input for `seed`: the same bytes on every run and machine.
    public func input(_ index: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x2545_F491_4F6C_DD1D)
        var data = seeds[Int(rng.next() % UInt64(seeds.count))]
        let depth = 1 + Int(rng.next() % 4)
        for _ in 0..<depth { mutate(&data, &rng) }
        if data.count > maxLength { data.removeLast(data.count - maxLength) }
        return data
    }

    private static let interesting: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x0A, 0x0D, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x3C, 0x3E, 0x26, 0x30, 0x39, 0x2D, 0x65, 0xC0, 0xEF, 0xF4, 0xF8]

    private func mutate(_ data: inout [UInt8], _ rng: inout SplitMix64) {
        func pick(_ n: Int) -> Int { n <= 0 ? 0 : Int(rng.next() % UInt64(n)) }
        switch pick(10) {
        case 0 where !data.isEmpty:  // flip a bit
            data[pick(data.count)] ^= UInt8(1) << UInt8(pick(8))
        case 1 where !data.isEmpty:  // an interesting byte
            data[pick(data.count)] = Self.interesting[pick(Self.interesting.count)]
        case 2:  // insert random bytes
            let bytes = (0..<(1 + pick(8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            data.insert(contentsOf: bytes, at: pick(data.count + 1))
        case 3 where !data.isEmpty:  // delete a span
            let start = pick(data.count)
            data.removeSubrange(start..<min(data.count, start + 1 + pick(16)))
        case 4 where !data.isEmpty:  // copy a span elsewhere
            let start = pick(data.count)
            let span = Array(data[start..<min(data.count, start + 1 + pick(64))])
            data.insert(contentsOf: span, at: pick(data.count + 1))
        case 5 where !data.isEmpty:  // repeat a span many times
            let start = pick(data.count)
            let span = Array(data[start..<min(data.count, start + 1 + pick(8))])
            let times = 2 + pick(200)
            data.insert(contentsOf: Array([[UInt8]](repeating: span, count: times).joined()), at: start)
        case 6 where !data.isEmpty:  // cut the end off
            data.removeLast(1 + pick(data.count))
        case 7:  // splice with another seed
            let other = seeds[pick(seeds.count)]
            data = Array(data.prefix(pick(data.count + 1))) + other.suffix(pick(other.count + 1))
        case 8 where !tokens.isEmpty:  // insert a token
            data.insert(contentsOf: tokens[pick(tokens.count)], at: pick(data.count + 1))
        case 9 where !tokens.isEmpty && !data.isEmpty:  // overwrite with a token
            let token = tokens[pick(tokens.count)]
            let at = pick(data.count)
            data.replaceSubrange(at..<min(data.count, at + token.count), with: token)
        default:  // a random byte
            if data.isEmpty { data = [UInt8(truncatingIfNeeded: rng.next())] } else { data[pick(data.count)] = UInt8(truncatingIfNeeded: rng.next()) }
        }
    }

    /// Reads a libFuzzer dictionary: lines `name="token"` or `"token"` with `\\`, `\"` and
    /// `\xNN` escapes; `#` starts a comment.
    /// - Returns: the tokens (malformed lines are skipped).
    public static func parseDictionary(_ text: String) -> [[UInt8]] {
        var tokens: [[UInt8]] = []
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("#") { continue }
            guard let open = trimmed.firstIndex(of: "\""), let close = trimmed.lastIndex(of: "\""), open < close else { continue }
            let body = Array(trimmed[trimmed.index(after: open)..<close].utf8)
            var token: [UInt8] = []
            var i = 0
            var ok = true
            while i < body.count {
                if body[i] == 0x5C, i + 1 < body.count {
                    if body[i + 1] == 0x78, i + 3 < body.count, let v = UInt8(String(decoding: body[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
                        token.append(v)
                        i += 4
                    } else if body[i + 1] == 0x5C || body[i + 1] == 0x22 {
                        token.append(body[i + 1])
                        i += 2
                    } else {
                        ok = false
                        break
                    }
                } else {
                    token.append(body[i])
                    i += 1
                }
            }
            if ok && !token.isEmpty { tokens.append(token) }
        }
        return tokens
    }
}
