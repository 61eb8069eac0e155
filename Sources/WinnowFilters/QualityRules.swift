import WinnowCore
import WinnowText
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which semantics the quality-rule stages follow: a recipe's `rules:` parameter.
public enum QualityRuleSet: String, Sendable, CaseIterable {
    /// As FineWeb was built (datatrove of spring 2024): NLTK word tokenisation (Punkt + Treebank),
    /// Gopher stop words counted by occurrence, FineWeb line-end set `. ' " ! ?` and non-strict
    /// comparisons (`<=`, `>=`) in the FineWeb line-punctuation, short-line and duplicate-character
    /// rules.
    case finewebV1 = "fineweb-v1"
    /// datatrove 0.10.1: spaCy English tokenisation, distinct stop words, Unicode terminal
    /// punctuation as the FineWeb line-end set, strict comparisons.
    case current

    /// The default word tokenizer of the rule set.
    public var defaultTokenizer: WordTokenizerKind { self == .finewebV1 ? .nltkTreebank : .spacyEnglish }
}

/// Parameters every quality-rule stage shares (`rules`, `tokenizer`, `locale`), read from a recipe.
struct RuleOptions: Sendable {
    var rules: QualityRuleSet
    var tokenizer: any WordTokenizer
    /// Identifies the tokenizer's configuration (kind and locale): stages whose keys are equal
    /// produce the same tokens for the same text, so they share one ``TokenCache`` per task.
    var tokenizerKey: String

    static let specs: [ParameterSpec] = [
        ParameterSpec("rules", "string", default: "current",
                      "rule-set version: `current` (datatrove 0.10.1) or `fineweb-v1` (as FineWeb was built)"),
        ParameterSpec("tokenizer", "string", default: "(by rules)",
                      "word tokenizer: `spacy-en` (default for `current`), `nltk-treebank` (default for `fineweb-v1`) or `icu` (UAX #29, other languages)"),
        ParameterSpec("locale", "string", default: "en", "ICU locale when `tokenizer: icu`"),
    ]

    static func read(_ p: StageParameters) throws -> RuleOptions {
        let rules = QualityRuleSet(rawValue: try p.string("rules", default: "current", choices: QualityRuleSet.allCases.map(\.rawValue)) ?? "current") ?? .current
        let kindName = try p.string("tokenizer", choices: WordTokenizerKind.allCases.map(\.rawValue))
        let kind = kindName.flatMap(WordTokenizerKind.init(rawValue:)) ?? rules.defaultTokenizer
        let locale = try p.string("locale", default: "en") ?? "en"
        do {
            let key = kind == .icu ? "\(kind.rawValue)/\(locale)" : kind.rawValue
            return RuleOptions(rules: rules, tokenizer: try kind.make(locale: locale), tokenizerKey: key)
        } catch {
            throw ConfigError("stage '\(p.stage)': \(error)", at: p.location(of: "locale"))
        }
    }

    static func defaults(_ rules: QualityRuleSet = .current) -> RuleOptions {
        let tok: any WordTokenizer = rules == .finewebV1 ? TreebankWordTokenizer() : SpacyEnglishTokenizer()
        return RuleOptions(rules: rules, tokenizer: tok, tokenizerKey: tok.name)
    }

    /// This task's token cache for the stage's tokenizer (shared by the rule stages of the task
    /// through ``StageContext/shared(_:make:)``).
    func tokenCache(_ context: StageContext) -> TokenCache {
        context.shared("rules.tokens." + tokenizerKey) { TokenCache() }
    }
}

/// A threshold that datatrove disables with `None` or 0 (Python truthiness).
@inline(__always) func enabled(_ v: Double?) -> Double? {
    guard let v, v != 0 else { return nil }
    return v
}

/// A word's characters (code points), inline for the short words that make up most of a text
/// (``PythonText/scalarCount(_:_:)`` is a call into another module).
/// Up to 16 bytes are read as two 8-byte loads masked to the word, and their continuation bytes
/// (10xxxxxx) counted without a branch.
@inline(__always) func wordScalarCount(_ u: UnsafeBufferPointer<UInt8>, _ t: TokenSpan) -> Int {
    let len = t.end - t.start
    guard len <= 16 && t.start + 16 <= u.count, let base = u.baseAddress else { return PythonText.scalarCount(u, t.range) }
    let raw = UnsafeRawPointer(base)
    var lo = raw.loadUnaligned(fromByteOffset: t.start, as: UInt64.self)
    var hi = raw.loadUnaligned(fromByteOffset: t.start + 8, as: UInt64.self)
    if len < 8 {
        lo &= (1 << UInt64(8 * len)) &- 1
        hi = 0
    } else if len < 16 {
        hi &= (1 << UInt64(8 * (len - 8))) &- 1
    }
    // bit 7 of each byte: its bit 7 set and its bit 6 clear
    let cont = (lo & ~(lo << 1) & 0x8080_8080_8080_8080).nonzeroBitCount + (hi & ~(hi << 1) & 0x8080_8080_8080_8080).nonzeroBitCount
    return len - cont
}

/// Per-task scratch buffers for the rule stages (one per task through `StageContext.local`).
final class RuleScratch {
    var tokens: [TokenSpan] = []
    var tokens2: [TokenSpan] = []
    var lines: [Range<Int>] = []
    var words: [Range<Int>] = []
    var bytes: [UInt8] = []
    var hashes: [UInt64] = []
    var joinedStart: [Int] = []
    var charPrefix: [Int] = []
    /// gopher_repetition: the positions of one repeated-n-gram pass that need hashing.
    var positions = Growable<Int>()
    /// gopher_repetition: the candidate positions of the smallest repeated-n-gram n.
    var widest = Growable<Int>()
    /// gopher_repetition: whether (1) or not (0) each word start's window of joined text occurs at another.
    var shared = Growable<UInt8>()
    /// gopher_repetition: saturating counts of window keys (documents of a few thousand words).
    var windowCounts = Growable<UInt8>()
    /// gopher_repetition: each word start's window key.
    var windowKeys = Growable<UInt64>()
    /// gopher_repetition: a top n-gram pass's bounding table (count << 32 | longest n-gram).
    var topBound = Growable<UInt64>()
    var seen = HashSlots()
    /// One n-gram pass's keys, grouped by `groups`.
    var keys = Growable<UInt64>()
    let groups = NGramGroups()
    init() {}
    deinit { keys.free(); shared.free(); windowCounts.free(); topBound.free(); positions.free(); widest.free(); windowKeys.free() }
}

/// The last document text's word tokens, shared by the rule stages of one task
/// (gopher_repetition, gopher_quality and fineweb_quality tokenise the same text with the same
/// tokenizer). Valid while the text's bytes are unchanged: `c4_quality` rewrites the text, so the
/// next stage sees different bytes and tokenises again.
final class TokenCache {
    /// The text the tokens belong to (kept alive so its bytes cannot change under the cache).
    private var text: String?
    private(set) var tokens: [TokenSpan] = []
    init() {}

    /// The tokens of `text`, whose UTF-8 is `u`: from the cache when the bytes are the same.
    func tokens(of text: String, utf8 u: UnsafeBufferPointer<UInt8>, _ tokenizer: any WordTokenizer) -> [TokenSpan] {
        if let cached = self.text, Self.sameBytes(cached, u) { return tokens }
        self.text = nil
        tokenizer.tokenize(u, into: &tokens)
        self.text = text
        return tokens
    }

    /// The number of tokens of `text` if the cache holds them, else nil.
    func count(of text: String, utf8 u: UnsafeBufferPointer<UInt8>) -> Int? {
        if let cached = self.text, Self.sameBytes(cached, u) { return tokens.count }
        return nil
    }

    /// Byte equality (not String's canonical equivalence): same storage in O(1), else memcmp.
    private static func sameBytes(_ s: String, _ u: UnsafeBufferPointer<UInt8>) -> Bool {
        s.withBytes { c in
            guard c.count == u.count else { return false }
            if c.count == 0 || c.baseAddress == u.baseAddress { return true }
            return memcmp(c.baseAddress!, u.baseAddress!, c.count) == 0
        }
    }
}

/// Code point sets from datatrove.
enum DatatroveSets {
    static let punctuation = Set(DatatroveTables.punctuationSet)
    static let terminal = Set(DatatroveTables.terminalPunctuation)
    /// `punctuation` for ASCII code points, as two 64-bit masks (no hashing per character).
    static let asciiMask: (UInt64, UInt64) = {
        var lo: UInt64 = 0
        var hi: UInt64 = 0
        for v in DatatroveTables.punctuationSet where v < 128 {
            if v < 64 { lo |= 1 << v } else { hi |= 1 << (v - 64) }
        }
        return (lo, hi)
    }()
}

extension String {
    /// Calls `body` with the UTF-8 bytes (contiguous; copies only if the String is not native).
    @inline(__always)
    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var s = self
        return try s.withUTF8(body)
    }
}
