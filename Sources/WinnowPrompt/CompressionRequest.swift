import Foundation

/// A compression request, as `winnow compress --json` and the HTTP server read it. JSON keys
/// are snake_case and follow LLMLingua's `compress_prompt` arguments where one exists:
///
/// ```json
/// {"instruction": "Answer from the documents.", "context": ["doc 1 …", "doc 2 …"],
///  "question": "Who wrote …?", "rate": 0.33}
/// ```
/// Exactly one of `rate` and `target_tokens` sets the budget (neither: rate 0.5). The
/// instruction and the question are kept whole; the contexts are compressed.
public struct CompressionRequest: Codable, Sendable, Hashable {
    /// Text put first and kept whole.
    public var instruction: String
    /// The documents or demonstrations, each compressed on its own (never joined first).
    public var context: [String]
    /// Text put last and kept whole; the contexts are ranked against it.
    public var question: String
    /// Kept tokens / original tokens of the whole prompt, in (0, 1].
    public var rate: Double?
    /// The most tokens the whole compressed prompt may have.
    public var targetTokens: Int?
    /// The token counter (``TokenCounters/named(_:modelsDirectory:)``); default: the compressor's.
    public var tokenizer: String?
    /// Context ranking: `bm25`, `lm`, `minilm` or a `+`-joined combination (`bm25+lm+minilm`);
    /// default `auto` (BM25 + LM, MiniLM re-ranking the leading candidates when the model is loaded).
    public var rankMethod: String?
    /// Output order of the kept contexts: `original`, `rank` (best first) or `ends` (best first
    /// and last, weakest in the middle, against "lost in the middle").
    public var reorderContext: String?
    /// How much a context's rank weighs in its sentences' and words' scores, in [0, 1] (default
    /// 0.3; 0: sentences and words compete on their own relevance only).
    public var dynamicContextCompressionRatio: Double?
    /// The coarse step keeps contexts until the budget times (1 + this margin) is spent (default 1.0).
    public var contextBudgetMargin: Double?
    /// The sentence step keeps sentences up to the budget times this ratio and the word step
    /// prunes the rest (LongLLMLingua's `token_budget_ratio`; ≥ 1, default 1.0: words are pruned
    /// only to trim the last sentence's overshoot). Ignored without the word step.
    public var tokenBudgetRatio: Double?
    /// Drop whole contexts by rank (coarse step).
    public var useContextLevelFilter: Bool?
    /// Drop the least relevant sentences inside kept contexts.
    public var useSentenceLevelFilter: Bool?
    /// Prune the least informative words.
    public var useTokenLevelFilter: Bool?
    /// Strings kept byte-identical wherever they occur (LLMLingua's `force_tokens`; here whole
    /// strings, not single tokens).
    public var forceTokens: [String]?
    /// Keep every word containing a decimal digit (of any script: `42`, `٤٢`, `４２`).
    public var keepNumbers: Bool?
    /// Keep URLs (default true).
    public var keepURLs: Bool?
    /// Keep fenced code blocks (three or more backticks or tildes, as Markdown; default true).
    public var keepCode: Bool?
    /// Separator between the parts of the prompt (default two newlines, as LLMLingua).
    public var separator: String?

    /// The largest `target_tokens` accepted (10⁹ tokens: more than any prompt).
    public static let maximumTargetTokens = 1_000_000_000

    /// Creates a request.
    public init(
        instruction: String = "", context: [String], question: String = "", rate: Double? = nil, targetTokens: Int? = nil
    ) {
        self.instruction = instruction
        self.context = context
        self.question = question
        self.rate = rate
        self.targetTokens = targetTokens
    }

    enum CodingKeys: String, CodingKey {
        case instruction, context, question, rate, tokenizer, separator
        case targetTokens = "target_tokens"
        case rankMethod = "rank_method"
        case reorderContext = "reorder_context"
        case dynamicContextCompressionRatio = "dynamic_context_compression_ratio"
        case contextBudgetMargin = "context_budget_margin"
        case tokenBudgetRatio = "token_budget_ratio"
        case useContextLevelFilter = "use_context_level_filter"
        case useSentenceLevelFilter = "use_sentence_level_filter"
        case useTokenLevelFilter = "use_token_level_filter"
        case forceTokens = "force_tokens"
        case keepNumbers = "keep_numbers"
        case keepURLs = "keep_urls"
        case keepCode = "keep_code"
    }

    /// Decodes a request; `context` may be one string or a list, and unknown keys are refused
    /// (a misspelt option must not be ignored silently).
    public init(from decoder: any Decoder) throws {
        let known = try decoder.container(keyedBy: AnyKey.self)
        for key in known.allKeys where CodingKeys(stringValue: key.stringValue) == nil {
            throw PromptError("request", "unknown key \"\(key.stringValue)\"")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        instruction = try c.decodeIfPresent(String.self, forKey: .instruction) ?? ""
        question = try c.decodeIfPresent(String.self, forKey: .question) ?? ""
        if let one = try? c.decode(String.self, forKey: .context) {
            context = [one]
        } else {
            context = try c.decodeIfPresent([String].self, forKey: .context) ?? []
        }
        rate = try c.decodeIfPresent(Double.self, forKey: .rate)
        targetTokens = try c.decodeIntegerIfPresent(Int.self, forKey: .targetTokens)
        tokenizer = try c.decodeIfPresent(String.self, forKey: .tokenizer)
        rankMethod = try c.decodeIfPresent(String.self, forKey: .rankMethod)
        reorderContext = try c.decodeIfPresent(String.self, forKey: .reorderContext)
        dynamicContextCompressionRatio = try c.decodeIfPresent(Double.self, forKey: .dynamicContextCompressionRatio)
        contextBudgetMargin = try c.decodeIfPresent(Double.self, forKey: .contextBudgetMargin)
        tokenBudgetRatio = try c.decodeIfPresent(Double.self, forKey: .tokenBudgetRatio)
        useContextLevelFilter = try c.decodeIfPresent(Bool.self, forKey: .useContextLevelFilter)
        useSentenceLevelFilter = try c.decodeIfPresent(Bool.self, forKey: .useSentenceLevelFilter)
        useTokenLevelFilter = try c.decodeIfPresent(Bool.self, forKey: .useTokenLevelFilter)
        forceTokens = try c.decodeIfPresent([String].self, forKey: .forceTokens)
        keepNumbers = try c.decodeIfPresent(Bool.self, forKey: .keepNumbers)
        keepURLs = try c.decodeIfPresent(Bool.self, forKey: .keepURLs)
        keepCode = try c.decodeIfPresent(Bool.self, forKey: .keepCode)
        separator = try c.decodeIfPresent(String.self, forKey: .separator)
    }

    /// Decodes a request from JSON bytes.
    /// - Throws: ``PromptError`` with the key path (or byte offset) of what is wrong.
    public static func decode(json: Data) throws -> CompressionRequest {
        do {
            return try JSONDecoder().decode(CompressionRequest.self, from: json)
        } catch let e as PromptError {
            throw e
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            throw PromptError("request." + keyPath(ctx.codingPath), ctx.debugDescription)
        } catch let DecodingError.dataCorrupted(ctx) {
            if !ctx.codingPath.isEmpty { throw PromptError("request." + keyPath(ctx.codingPath), ctx.debugDescription) }
            if let field = JSONNumberRange.outOfRangeField(in: json) {
                throw PromptError("request." + field, "number out of range")
            }
            let underlying = (ctx.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String
            throw PromptError("request", "invalid JSON: \(underlying ?? ctx.debugDescription)")
        } catch {
            throw PromptError("request", "\(error)")
        }
    }
}

/// `force_tokens[0]`, `context`: a coding path as the request's JSON spells it.
func keyPath(_ path: [any CodingKey]) -> String {
    var out = ""
    for key in path {
        if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
    }
    return out
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// What a compression returns. `compressed_prompt`, `origin_tokens`, `compressed_tokens`,
/// `ratio` (`"3.0x"`) and `rate` (`"33.3%"`) are LLMLingua's fields with its formatting.
public struct CompressionResult: Codable, Sendable, Hashable {
    /// The instruction, the kept contexts and the question, joined by the separator.
    public var compressedPrompt: String
    /// The kept contexts' compressed texts, in output order.
    public var compressedContext: [String]
    /// Tokens of the uncompressed prompt (same joining).
    public var originTokens: Int
    /// Tokens of `compressedPrompt`.
    public var compressedTokens: Int
    /// `origin / compressed`, as LLMLingua formats it (`"3.0x"`).
    public var ratio: String
    /// `compressed / origin` in percent, as LLMLingua formats it (`"33.3%"`).
    public var rate: String
    /// `compressed / origin` as a number.
    public var achievedRate: Double
    /// The token budget aimed at.
    public var targetTokens: Int
    /// The token counter used.
    public var tokenizer: String
    /// One entry per input context, in input order.
    public var contexts: [ContextOutcome]
    /// What was degraded (a model missing) or adjusted (a budget below the kept parts).
    public var warnings: [String]
    /// Milliseconds per step (`segment`, `rank`, `sentences`, `words`, `total`); set to nil
    /// for byte-identical output across runs.
    public var timingsMS: [String: Double]?

    /// What happened to one context.
    public struct ContextOutcome: Codable, Sendable, Hashable {
        /// Its index in the request's `context`.
        public var index: Int
        /// `kept` (whole), `compressed` (sentences or words pruned) or `dropped`.
        public var label: String
        /// Its relevance rank (0 = most relevant).
        public var rank: Int
        /// Its relevance score (combined, higher is better).
        public var score: Double
        /// Tokens before.
        public var originTokens: Int
        /// Tokens after (0 when dropped).
        public var compressedTokens: Int

        enum CodingKeys: String, CodingKey {
            case index, label, rank, score
            case originTokens = "origin_tokens"
            case compressedTokens = "compressed_tokens"
        }
    }

    enum CodingKeys: String, CodingKey {
        case ratio, rate, tokenizer, contexts, warnings
        case compressedPrompt = "compressed_prompt"
        case compressedContext = "compressed_context"
        case originTokens = "origin_tokens"
        case compressedTokens = "compressed_tokens"
        case achievedRate = "achieved_rate"
        case targetTokens = "target_tokens"
        case timingsMS = "timings_ms"
    }
}
