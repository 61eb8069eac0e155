#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO

/// How many documents a selector keeps: a number, a fraction of the documents that reach it, or
/// a token budget.
public enum SelectionSize: Sendable, Hashable {
    /// Exactly this many documents.
    case count(Int)
    /// This fraction of the documents that reach the stage, rounded to the nearest integer.
    case fraction(Double)
    /// Documents in selection order while their `metadata.token_count` (written by the
    /// `tokenize` stage) totals at most this many tokens: the first that would overshoot ends
    /// the selection, so the total falls short of the budget by less than one document.
    case tokens(Int)

    /// The number of documents to keep out of `total` (a token budget: all of them; the
    /// selector stops by tokens).
    public func resolve(total: Int) -> Int {
        switch self {
        case .count(let n): return n
        case .fraction(let f): return min(total, Int((Double(total) * f).rounded()))
        case .tokens: return total
        }
    }

    /// The token budget, if this is one.
    public var tokenBudget: Int? {
        if case .tokens(let n) = self { return n }
        return nil
    }

    /// The parameter specs for `count` and `fraction`.
    static let parameters = [
        ParameterSpec("count", "int", default: nil, "documents to keep (give count or fraction)"),
        ParameterSpec("fraction", "number", default: nil, "fraction of the documents reaching the stage to keep, 0–1 (give count or fraction)"),
    ]

    /// The parameter specs for `count`, `fraction` and `tokens` (selectors that take a token budget).
    static let parametersWithTokens = [
        ParameterSpec("count", "int", default: nil, "documents to keep (give count, fraction or tokens)"),
        ParameterSpec("fraction", "number", default: nil, "fraction of the documents reaching the stage to keep, 0–1 (give count, fraction or tokens)"),
        ParameterSpec("tokens", "int", default: nil, "token budget: documents are kept while their metadata.token_count (from a tokenize stage before this one) totals at most this; the total falls short by less than one document"),
    ]

    /// Reads `count` or `fraction` (or, when `tokens` is allowed, `tokens`): exactly one of them.
    static func read(_ p: StageParameters, tokens allowTokens: Bool = false) throws -> SelectionSize {
        let count = try p.int("count", min: 0)
        let fraction = try p.double("fraction", min: 0, max: 1)
        let tokens = allowTokens ? try p.int("tokens", min: 0) : nil
        switch (count, fraction, tokens) {
        case (let c?, nil, nil): return .count(c)
        case (nil, let f?, nil): return .fraction(f)
        case (nil, nil, let t?): return .tokens(t)
        case (nil, nil, nil):
            throw ConfigError(
                "stage '\(p.stage)' needs " + (allowTokens ? "'count', 'fraction' or 'tokens'" : "'count' or 'fraction'"), at: p.location)
        default:
            throw ConfigError(
                "stage '\(p.stage)': " + (allowTokens ? "give one of 'count', 'fraction' and 'tokens', not several" : "give either 'count' or 'fraction', not both"),
                at: p.location(of: tokens != nil ? "tokens" : "fraction"))
        }
    }
}

/// Token counts of documents for token budgets.
enum TokenCounts {
    /// The key the `tokenize` stage writes.
    static let key = "token_count"

    static func file(_ shard: Int) -> String { "tokens-\(shard).u64" }

    /// A document's `metadata.token_count`.
    /// - Throws: ``InputError`` naming the document when it has none.
    static func of(_ document: Document, stage: String) throws -> UInt64 {
        if let n = document.metadata[key]?.intValue, n >= 0 { return UInt64(n) }
        throw InputError(
            "stage '\(stage)': a token budget needs metadata.token_count; put a `tokenize` stage (any tokenizer) before this one",
            at: SourceLocation(file: "document \(document.id)"))
    }

    /// The longest prefix of `order` whose tokens total at most `budget`, stopping at the first
    /// document that does not fit (so the total is within one document of the budget, and the
    /// selection order is kept).
    static func prefix(_ order: [Int], tokens: [UInt64], budget: UInt64) -> (taken: [Int], total: UInt64) {
        var total: UInt64 = 0
        var taken: [Int] = []
        for i in order {
            guard total + tokens[i] <= budget else { break }
            total += tokens[i]
            taken.append(i)
        }
        return (taken, total)
    }
}

/// Ranking helpers shared by the selectors.
enum Ranking {
    /// The indices of the `k` largest keys among the eligible ones, ties broken by the lower
    /// index; returns a mask over all indices.
    static func topMask(keys: [Double], eligible: [Bool], k: Int) -> [Bool] {
        var order = keys.indices.filter { eligible[$0] }
        order.sort { a, b in keys[a] > keys[b] || (keys[a] == keys[b] && a < b) }
        var mask = [Bool](repeating: false, count: keys.count)
        for i in order.prefix(k) { mask[i] = true }
        return mask
    }

    /// A uniform number in (0, 1) from a stable hash of (seed, index): the same for any worker
    /// count and shard layout.
    static func uniform(seed: UInt64, index: Int, stream: UInt64) -> Double {
        var words: (UInt64, UInt64) = (UInt64(truncatingIfNeeded: index), stream)
        let h = withUnsafeBytes(of: &words) { StableHash.xxh64($0, seed: seed) }
        return (Double(h >> 11) + 0.5) * 0x1p-53
    }

    /// Standard Gumbel noise, `-log(-log(u))`, from ``uniform(seed:index:stream:)``.
    static func gumbel(seed: UInt64, index: Int) -> Double {
        -log(-log(uniform(seed: seed, index: index, stream: 0x4755_4D42)))
    }
}

/// Plain little-endian arrays in a corpus stage's work folder.
enum StateFile {
    /// Writes `values` as raw bytes.
    static func write<T: BitwiseCopyable>(_ values: [T], to path: String) throws {
        let w = try AtomicFileWriter(path: path)
        try values.withUnsafeBytes { try w.write($0) }
        try w.commit()
    }

    /// Reads a file written by ``write(_:to:)``.
    static func read<T: BitwiseCopyable>(_ path: String, as type: T.Type) throws -> [T] {
        let bytes = try FileSystem.readAll(path)
        let stride = MemoryLayout<T>.stride
        guard bytes.count % stride == 0 else {
            throw InputError("corrupt work file (size \(bytes.count) is not a multiple of \(stride)); rerun without --resume",
                             at: SourceLocation(file: path))
        }
        return [T](unsafeUninitializedCapacity: bytes.count / stride) { buffer, count in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            }
            count = bytes.count / stride
        }
    }

    /// Per-shard counts of a per-document file, and the global index of each shard's first document.
    static func offsets(_ counts: [Int]) -> [Int] {
        var out = [Int](repeating: 0, count: counts.count)
        var total = 0
        for (i, c) in counts.enumerated() {
            out[i] = total
            total += c
        }
        return out
    }
}

/// One selection decision per document, as stored between resolve and decide.
enum SelectionMark: UInt8 {
    case dropped = 0
    case kept = 1
    case ineligible = 2
}
