import Foundation
import Synchronization
import TensorCore
import WinnowCore
import WinnowEmbed
import WinnowTokenizers

/// Question-aware prompt compression, coarse to fine, on a CPU:
///
/// 1. **Contexts** are ranked by relevance to the question (BM25, query likelihood under the
///    background word model, MiniLM on the leading candidates' chunks) and kept in rank order
///    until the budget plus a margin is spent; better contexts get a higher per-context rate.
/// 2. **Sentences** inside a kept context are kept by BM25 relevance to the question until its
///    rate (plus the word step's margin) is met.
/// 3. **Words** are pruned, least informative first (self-information under the background
///    model mixed with the prompt's own word counts; question words and words of relevant
///    sentences weigh more), whole words only, until the context's budget is met.
///
/// Protected content (marked spans, code fences, JSON structure, force tokens, URLs, numbers on
/// request) is never removed and never changed. The instruction and the question are kept whole.
/// The compressor loads its models once and is immutable: threads may share one instance.
///
/// ```swift
/// let compressor = try PromptCompressor()
/// let result = try compressor.compress(CompressionRequest(context: docs, question: "Who …?", rate: 0.33))
/// print(result.compressedPrompt, result.ratio)
/// ```
public final class PromptCompressor: Sendable {
    /// Where the models are and which to use.
    public struct Configuration: Sendable {
        /// A folder searched first for every model (then `$WINNOW_MODELS`, `./models`,
        /// `~/.cache/winnow/models`).
        public var modelsDirectory: String?
        /// The default token counter (``TokenCounters/named(_:modelsDirectory:)``); when it cannot
        /// be loaded the compressor falls back to `whitespace` with a warning.
        public var tokenizer = "gpt2"
        /// Load all-MiniLM-L6-v2 for ranking.
        public var useEmbedder = true
        /// The sentence-transformers folder (default: `all-MiniLM-L6-v2` looked up as a model).
        public var embedderPath: String?
        /// The background word model: a wordfreq list (default `wordfreq-large-en.msgpack`
        /// looked up as a model); nil path and `useWordModel` false → in-prompt statistics only.
        public var wordModelPath: String?
        /// Load the background word model.
        public var useWordModel = true
        /// A Kneser-Ney n-gram model (ARPA or `.wlm`) used instead of the word list: word
        /// information then depends on the preceding kept words and pruning runs in passes.
        public var ngramModelPath: String?
        /// WordPiece tokens MiniLM reads per request in `auto` ranking.
        public var miniLMTokenBudget = 384

        /// The defaults.
        public init() {}
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// What could not be loaded (the compressor then works without it).
    public let loadWarnings: [String]
    let embedder: Embedder?
    let background: (any WordProbabilityModel)?
    let defaultCounter: any TokenCounter
    private let counters = Mutex<[String: any TokenCounter]>([:])

    /// Loads the models the configuration names. Missing models are not errors: the compressor
    /// works without them and says so in ``loadWarnings`` and in every result's `warnings`.
    /// - Parameters:
    ///   - configuration: where the models are and which to use.
    ///   - embedder: an embedder already loaded (a server's, shared with its other endpoints):
    ///     used instead of loading MiniLM again when `useEmbedder` is on.
    /// - Throws: ``PromptError`` when an explicitly given model path cannot be loaded.
    public init(configuration: Configuration = Configuration(), embedder shared: Embedder? = nil) throws {
        self.configuration = configuration
        var warnings: [String] = []
        func locate(_ name: String, explicit: String?) -> String? {
            if let explicit { return explicit }
            if let dir = configuration.modelsDirectory {
                let path = (dir as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: path) { return path }
            }
            return try? ModelLocator.locate(name)
        }
        var embedder: Embedder?
        if configuration.useEmbedder, let shared {
            embedder = shared
        } else if configuration.useEmbedder {
            if let path = locate("all-MiniLM-L6-v2", explicit: configuration.embedderPath) {
                do {
                    embedder = try Embedder(folder: ModelFolder(path: path))
                } catch {
                    if configuration.embedderPath != nil { throw PromptError(path, error.message) }
                    warnings.append("MiniLM not loaded (\(error.message)); ranking without it")
                }
            } else {
                warnings.append("MiniLM (all-MiniLM-L6-v2) not found; ranking with BM25 and the word model only (run `make deps-models`)")
            }
        }
        self.embedder = embedder
        // One BLAS thread: requests run in parallel on the caller's threads, and OpenBLAS's
        // spinning threads only cost time on a busy 2-core machine.
        if embedder != nil { BLAS.setThreadCount(1) }
        var background: (any WordProbabilityModel)?
        if let path = configuration.ngramModelPath {
            background = try NGramWordModel(path: path)
        } else if configuration.useWordModel {
            if let path = locate("wordfreq-large-en.msgpack", explicit: configuration.wordModelPath) {
                do {
                    background = try WordFrequencyModel(path: path)
                } catch {
                    if configuration.wordModelPath != nil { throw error }
                    warnings.append("background word model not loaded (\(error)); using in-prompt statistics")
                }
            } else {
                warnings.append("background word model (wordfreq-large-en.msgpack) not found; using in-prompt statistics (run `make deps-models`)")
            }
        }
        self.background = background
        do {
            defaultCounter = try TokenCounters.named(configuration.tokenizer, modelsDirectory: configuration.modelsDirectory)
        } catch {
            if configuration.tokenizer != "gpt2" { throw (error as? TokenizerError).map { PromptError($0.location, $0.message) } ?? error }
            warnings.append("gpt2.tiktoken not found; counting whitespace words (run `make deps-models`)")
            defaultCounter = WhitespaceTokenCounter()
        }
        loadWarnings = warnings
    }

    /// The token counter named `spec`, loaded once and cached.
    public func counter(named spec: String?) throws -> any TokenCounter {
        guard let spec, spec != defaultCounter.name else { return defaultCounter }
        if spec == configuration.tokenizer { return defaultCounter }
        if let known = counters.withLock({ $0[spec] }) { return known }
        let made: any TokenCounter
        do {
            made = try TokenCounters.named(spec, modelsDirectory: configuration.modelsDirectory)
        } catch let e as TokenizerError {
            throw PromptError(e.location, e.message)
        }
        counters.withLock { $0[spec] = made }
        return made
    }

    // MARK: - Compressing

    /// Compresses one prompt.
    /// - Throws: ``PromptError`` for a bad request (rate out of range, both budgets, an unknown
    ///   option value, an unclosed keep marker with its byte offset, an unknown tokenizer).
    public func compress(_ request: CompressionRequest) throws -> CompressionResult {
        let clock = ContinuousClock()
        let started = clock.now
        let settings = try Settings(request)
        let counter = try self.counter(named: request.tokenizer)
        let segmenter = PromptSegmenter(options: settings.protection)
        var contexts: [SegmentedContext] = []
        for (i, text) in request.context.enumerated() { contexts.append(try segmenter.segment(text, name: "request.context[\(i)]")) }
        var warnings = loadWarnings

        let separator = request.separator ?? "\n\n"
        let originPrompt = PromptCompressor.join([request.instruction] + contexts.map(\.text) + [request.question], separator)
        let originTokens = counter.count(originPrompt)
        var target = settings.targetTokens ?? Int((settings.rate * Double(originTokens)).rounded())
        target = max(0, target)

        var plan = CompressionPlan(contexts: contexts, counter: counter, background: background)
        let afterSegment = clock.now
        let query = request.question.isEmpty ? request.instruction : request.question
        let ranker = ContextRanker(background: background, embedder: embedder, miniLMTokenBudget: configuration.miniLMTokenBudget)
        var scores = contexts.count > 1
            ? ranker.scores(texts: contexts.map(\.text), terms: plan.terms, question: query, methods: settings.rankMethods)
            : [Double](repeating: 0, count: contexts.count)
        if settings.rankMethods?.contains(.minilm) == true && embedder == nil {
            warnings.append("rank_method minilm asked but MiniLM is not loaded; ranked without it")
        }
        var order = scores.indices.sorted { (scores[$0], -$0) > (scores[$1], -$1) }
        let afterRank = clock.now

        let fixedTokens = counter.count(request.instruction) + counter.count(request.question)
        // What a separator adds between two parts: GPT-2 cuts "\n\n" before a word into two
        // pre-tokens, two tokens, though "\n\n" alone is one.
        let separatorTokens = max(0, counter.count("." + separator + "A") - counter.count(".") - counter.count("A"))
        var compressedPrompt = originPrompt
        var compressedTokens = originTokens
        var outputs: [String] = contexts.map(\.text)
        var sentenceTime = Duration.zero
        var wordTime = Duration.zero
        if target < originTokens && !contexts.isEmpty {
            let tPrepare = clock.now
            plan.prepareRelevance(question: query)
            // A context whose best sentence answers the question ranks up even when the
            // context as a whole matches less (multi-hop "bridge" paragraphs): the coarse score
            // adds the standardised relevance of its best sentence.
            if contexts.count > 1 && settings.contextLevel && !query.isEmpty {
                let best = ContextRanker.standardized(plan.bestSentenceScores())
                let base = ContextRanker.standardized(scores)
                scores = scores.indices.map { base[$0] + best[$0] }
                order = scores.indices.sorted { (scores[$0], -$0) > (scores[$1], -$1) }
            }
            wordTime += clock.now - tPrepare
            var free = target - fixedTokens - separatorTokens * ((request.instruction.isEmpty ? 0 : 1) + (request.question.isEmpty ? 0 : 1))
            let selected = plan.selectContexts(order: order, budget: &free, separatorTokens: separatorTokens, settings: settings)
            let contextZ = ContextRanker.standardized(scores)
            var scale = 1.0
            // The fullest plan that fit: a rescaled re-run can overshoot the other way.
            var best: (kept: [[Bool]], tokens: Int)?
            for _ in 0 ..< 4 {
                let t0 = clock.now
                plan.resetKept()
                plan.dropUnselected(selected)
                let budget = Double(max(0, free)) * scale
                var trimFirst = Set<SentenceID>()
                if settings.sentenceLevel {
                    let fit: CompressionPlan.SentenceFit = !settings.tokenLevel ? .strict : settings.wordMargin > 0 ? .loose : .fill
                    trimFirst = plan.selectSentences(
                        selected: selected, contextScore: contextZ, budget: budget * (1 + settings.wordMargin),
                        contextWeight: settings.dynamicRatio, fit: fit)
                }
                let t1 = clock.now
                if settings.tokenLevel {
                    plan.pruneWords(budget: budget, contextScore: contextZ, contextWeight: settings.dynamicRatio, first: trimFirst)
                }
                let t2 = clock.now
                sentenceTime += t1 - t0
                wordTime += t2 - t1
                outputs = plan.render(order: order)
                compressedPrompt = PromptCompressor.join([request.instruction] + outputs + [request.question], separator)
                compressedTokens = counter.count(compressedPrompt)
                if compressedTokens <= target && compressedTokens > best?.tokens ?? -1 { best = (plan.kept, compressedTokens) }
                // Correct for the per-word token estimates (BPE merges across words, CJK without spaces).
                let fixed = fixedTokens + separatorTokens * (outputs.filter { !$0.isEmpty }.count + 1)
                let freeActual = Double(compressedTokens - fixed)
                let freeWanted = Double(target - fixed)
                if freeWanted <= 0 || freeActual <= 0 || !settings.tokenLevel { break }
                if abs(Double(compressedTokens - target)) <= max(1, 0.02 * Double(target)) { break }
                scale *= freeWanted / freeActual
            }
            let tolerance = max(1, Int(0.02 * Double(target)))
            if let best, compressedTokens < best.tokens || (compressedTokens > target && best.tokens >= target - tolerance) {
                plan.kept = best.kept
                outputs = plan.render(order: order)
                compressedPrompt = PromptCompressor.join([request.instruction] + outputs + [request.question], separator)
                compressedTokens = best.tokens
            }
        }

        var rank = [Int](repeating: 0, count: contexts.count)
        for (r, i) in order.enumerated() { rank[i] = r }
        var (ordered, labels) = plan.arrange(outputs: outputs, order: order, reorder: settings.reorder)
        if settings.reorder != "original" {
            compressedPrompt = PromptCompressor.join([request.instruction] + ordered + [request.question], separator)
            compressedTokens = counter.count(compressedPrompt)
        }
        if target < originTokens && !contexts.isEmpty {
            // The target is a ceiling on the final text as the counter counts it, but the steps
            // above plan with per-word estimates (BPE merges across the gaps, separators cut
            // differently next to words): drop the least valuable units left until it holds.
            let trimLevel = CompressionPlan.TrimLevel(settings)
            let contextZ = ContextRanker.standardized(scores)
            func assemble() {
                outputs = plan.render(order: order)
                (ordered, labels) = plan.arrange(outputs: outputs, order: order, reorder: settings.reorder)
                compressedPrompt = PromptCompressor.join([request.instruction] + ordered + [request.question], separator)
                compressedTokens = counter.count(compressedPrompt)
            }
            var trimmed: [[(Int, Int)]] = []
            var round = 0
            while compressedTokens > target, let trimLevel {
                // Normally one round; the amount doubles after a few so it always ends soon.
                let excess = (compressedTokens - target) << max(0, min(20, round - 3))
                let dropped = plan.trim(tokens: excess, level: trimLevel, order: order, contextScore: contextZ, contextWeight: settings.dynamicRatio)
                if dropped.isEmpty { break }
                trimmed += dropped
                round += 1
                assemble()
            }
            // Whole words go by estimate and may take more than the excess: give back the most
            // valuable of them while the text still fits (a few tries, each one exact count).
            var tries = 0
            for group in trimmed.reversed() where compressedTokens < target && tries < 12 {
                tries += 1
                let before = (outputs, ordered, labels, compressedPrompt, compressedTokens)
                plan.setKept(group, true)
                assemble()
                if compressedTokens > target {
                    plan.setKept(group, false)
                    (outputs, ordered, labels, compressedPrompt, compressedTokens) = before
                }
            }
            if compressedTokens > target {
                warnings.append("kept \(compressedTokens) tokens for a target of \(target): the instruction, question and protected content need them")
            }
        }
        var outcomes: [CompressionResult.ContextOutcome] = []
        for i in contexts.indices {
            outcomes.append(CompressionResult.ContextOutcome(
                index: i, label: labels[i], rank: rank[i], score: scores[i],
                originTokens: counter.count(contexts[i].text), compressedTokens: outputs[i].isEmpty ? 0 : counter.count(outputs[i])))
        }
        let finished = clock.now
        func ms(_ d: Duration) -> Double {
            let c = d.components
            return (Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15).rounded(toPlaces: 3)
        }
        let achieved = originTokens == 0 ? 1 : Double(compressedTokens) / Double(originTokens)
        return CompressionResult(
            compressedPrompt: compressedPrompt,
            compressedContext: ordered,
            originTokens: originTokens,
            compressedTokens: compressedTokens,
            ratio: String(format: "%.1fx", compressedTokens == 0 ? 0 : Double(originTokens) / Double(compressedTokens)),
            rate: String(format: "%.1f%%", achieved * 100),
            achievedRate: achieved,
            targetTokens: min(target, originTokens),
            tokenizer: counter.name,
            contexts: outcomes,
            warnings: warnings,
            timingsMS: [
                "segment": ms(afterSegment - started), "rank": ms(afterRank - afterSegment),
                "sentences": ms(sentenceTime), "words": ms(wordTime), "total": ms(finished - started),
            ])
    }

    /// Non-empty parts joined by the separator.
    static func join(_ parts: [String], _ separator: String) -> String {
        parts.filter { !$0.isEmpty }.joined(separator: separator)
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let f = pow(10, Double(places))
        return (self * f).rounded() / f
    }
}

/// A request's options, checked, with their defaults.
struct Settings {
    var rate: Double
    var targetTokens: Int?
    var rankMethods: RankMethods?
    var reorder: String
    var dynamicRatio: Double
    var margin: Double
    var contextLevel: Bool
    var sentenceLevel: Bool
    var tokenLevel: Bool
    var protection: ProtectionOptions
    /// The share of a context's budget the sentence step leaves for the word step to prune.
    var wordMargin: Double

    init(_ r: CompressionRequest) throws {
        if r.rate != nil && r.targetTokens != nil { throw PromptError("request.target_tokens", "give rate or target_tokens, not both") }
        rate = r.rate ?? 0.5
        guard rate > 0, rate <= 1, rate.isFinite else { throw PromptError("request.rate", "must be in (0, 1], got \(rate)") }
        if let t = r.targetTokens, !(0 ... CompressionRequest.maximumTargetTokens).contains(t) {
            throw PromptError("request.target_tokens", "must be in 0…\(CompressionRequest.maximumTargetTokens), got \(t)")
        }
        targetTokens = r.targetTokens
        rankMethods = try RankMethods.parse(r.rankMethod ?? "auto")
        reorder = r.reorderContext ?? "original"
        guard ["original", "rank", "ends"].contains(reorder) else {
            throw PromptError("request.reorder_context", "must be original, rank or ends, got \"\(reorder)\"")
        }
        dynamicRatio = r.dynamicContextCompressionRatio ?? 0.3
        guard (0 ... 1).contains(dynamicRatio) else { throw PromptError("request.dynamic_context_compression_ratio", "must be in [0, 1]") }
        margin = r.contextBudgetMargin ?? 1.0
        guard margin >= 0, margin <= 10 else { throw PromptError("request.context_budget_margin", "must be in [0, 10]") }
        contextLevel = r.useContextLevelFilter ?? true
        sentenceLevel = r.useSentenceLevelFilter ?? true
        tokenLevel = r.useTokenLevelFilter ?? true
        let ratio = r.tokenBudgetRatio ?? 1.0
        guard ratio >= 1, ratio <= 10 else { throw PromptError("request.token_budget_ratio", "must be in [1, 10], got \(ratio)") }
        wordMargin = tokenLevel ? ratio - 1 : 0
        protection = ProtectionOptions(
            forceTokens: r.forceTokens ?? [], keepNumbers: r.keepNumbers ?? false, keepURLs: r.keepURLs ?? true, keepCode: r.keepCode ?? true)
    }
}
