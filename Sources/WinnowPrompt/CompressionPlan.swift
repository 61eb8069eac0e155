import Foundation
import WinnowTokenizers

/// One sentence of one context.
struct SentenceID: Hashable {
    var c: Int
    var s: Int
}

/// The working state of one compression: every unit of every context, whether it is kept, and
/// the scores the three steps decide by.
struct CompressionPlan {
    var contexts: [SegmentedContext]
    /// Per context, per unit: still in the output.
    var kept: [[Bool]]
    /// Per context: its lowercased terms (stop words included), for ranking.
    var terms: [[Substring]]
    /// Per context: tokens of protected units and of the others.
    var protectedTokens: [Int]
    var freeTokens: [Int]
    /// Per context, per unit: self-information (log10 units) of its words.
    var information: [[Float]] = []
    /// Per context, per unit: the terms of the unit.
    private var unitTerms: [[[Substring]]]
    /// Per context, per sentence: BM25 relevance to the question.
    var sentenceScore: [[Double]] = []
    /// Per context, per unit: what relevance adds to the pruning score (question words, the
    /// sentence's relevance).
    var bonus: [[Float]] = []
    private var promptCounts: [Substring: Int] = [:]
    private var promptTotal = 0
    let background: (any WordProbabilityModel)?

    init(contexts: [SegmentedContext], counter: any TokenCounter, background: (any WordProbabilityModel)?) {
        self.contexts = contexts
        self.background = background
        kept = contexts.map { [Bool](repeating: true, count: $0.units.count) }
        var terms: [[Substring]] = []
        var unitTerms: [[[Substring]]] = []
        var protectedTokens: [Int] = []
        var freeTokens: [Int] = []
        // Words repeat (Zipf): count and analyse each distinct unit text once.
        var memo: [String: (tokens: Int, terms: [Substring])] = [:]
        for c in self.contexts.indices {
            var all: [Substring] = []
            var perUnit: [[Substring]] = []
            var p = 0
            var f = 0
            let bytes = self.contexts[c].bytes
            for k in self.contexts[c].units.indices {
                let unit = self.contexts[c].units[k]
                let text = String(decoding: bytes[unit.range], as: UTF8.self)
                let known = memo[text] ?? (max(1, counter.count(" " + text)), TermAnalyzer.terms(of: text, dropStopWords: false))
                if memo.count < 1 << 20 { memo[text] = known }
                let (n, t) = known
                self.contexts[c].units[k].tokens = n
                if unit.isProtected { p += n } else { f += n }
                perUnit.append(t)
                all += t
            }
            terms.append(all)
            unitTerms.append(perUnit)
            protectedTokens.append(p)
            freeTokens.append(f)
        }
        self.terms = terms
        self.unitTerms = unitTerms
        self.protectedTokens = protectedTokens
        self.freeTokens = freeTokens
    }

    // MARK: - Scores

    /// Self-information of every unit and BM25 relevance of every sentence to the question;
    /// the pruning score of each unit combines them.
    mutating func prepareRelevance(question: String) {
        let queryTerms = TermAnalyzer.terms(of: question, dropStopWords: true)
        let questionSet = Set(queryTerms)
        // In-prompt unigram counts.
        var counts: [Substring: Int] = [:]
        var total = 0
        for doc in terms {
            for t in doc { counts[t, default: 0] += 1 }
            total += doc.count
        }
        promptCounts = counts
        promptTotal = total
        information = contexts.indices.map { c in unitInformation(c, units: Array(contexts[c].units.indices)) }
        // Sentence relevance: BM25 over all sentences of the prompt.
        var sentenceTerms: [[Substring]] = []
        var owner: [(Int, Int)] = []
        for c in contexts.indices {
            for (s, range) in contexts[c].sentences.enumerated() {
                var t: [Substring] = []
                for k in range { t += unitTerms[c][k].filter { !TermAnalyzer.stopWords.contains($0) } }
                sentenceTerms.append(t)
                owner.append((c, s))
            }
        }
        let bm25 = BM25Index(documents: sentenceTerms)
        var scores = queryTerms.isEmpty ? [Double](repeating: 0, count: sentenceTerms.count) : bm25.scores(query: queryTerms)
        scores = secondHop(scores, index: bm25, sentenceTerms: sentenceTerms, owner: owner, question: questionSet)
        sentenceScore = contexts.map { [Double](repeating: 0, count: $0.sentences.count) }
        for (i, (c, s)) in owner.enumerated() { sentenceScore[c][s] = scores[i] }
        bonus = []
        let best = sentenceScore.map { $0.max() ?? 0 }.max() ?? 0
        for c in contexts.indices {
            var b = [Float](repeating: 0, count: contexts[c].units.count)
            for k in contexts[c].units.indices {
                let unit = contexts[c].units[k]
                let relevance = best > 0 ? sentenceScore[c][unit.sentence] / best : 0
                b[k] = Float(2.0 * relevance)
                if unitTerms[c][k].contains(where: { questionSet.contains($0) }) { b[k] += 2.5 }
            }
            bonus.append(b)
        }
    }

    /// Multi-hop questions ("the mother of the king that X served") need a sentence that shares
    /// no words with the question: the one about the bridge entity ("Richard I") that the best
    /// sentences name. A second BM25 query — the words of the best `seeds` sentences that the
    /// question lacks — finds them; its scores, scaled to the first query's range and weighted
    /// by `weight`, are added to sentences of the other contexts.
    func secondHop(_ first: [Double], index: BM25Index, sentenceTerms: [[Substring]], owner: [(Int, Int)], question: Set<Substring>,
                   seeds: Int = 1, weight: Double = 0.2) -> [Double] {
        let top = first.max() ?? 0
        guard top > 0 else { return first }
        let leaders = first.indices.sorted { (first[$0], -$0) > (first[$1], -$1) }.prefix(seeds).filter { first[$0] > 0 }
        var seen = Set<Substring>()
        var expansion: [Substring] = []
        for i in leaders {
            for t in sentenceTerms[i] where !question.contains(t) && seen.insert(t).inserted { expansion.append(t) }
        }
        guard !expansion.isEmpty else { return first }
        let seedContexts = Set(leaders.map { owner[$0].0 })
        let hop = index.scores(query: expansion)
        var bestHop = 0.0
        for i in hop.indices where !seedContexts.contains(owner[i].0) { bestHop = max(bestHop, hop[i]) }
        guard bestHop > 0 else { return first }
        return first.indices.map { i in
            seedContexts.contains(owner[i].0) ? first[i] : first[i] + weight * top * hop[i] / bestHop
        }
    }

    /// Self-information (log10 units) of the given units of context `c`, read in order as one
    /// text (an n-gram model sees each word after the previous given units' words): the
    /// background probability mixed 4:1 with the prompt's own word frequency; without a
    /// background model, the prompt's frequency with a floor for function words.
    /// Punctuation-only units get 1.
    func unitInformation(_ c: Int, units: [Int]) -> [Float] {
        let n = Double(max(1, promptTotal))
        var sequence: [Substring] = []
        for k in units { sequence += unitTerms[c][k] }
        let backgroundLog = background?.log10Probabilities(sequence) ?? []
        var info = [Float](repeating: 1.0, count: units.count)
        var position = 0
        for (i, k) in units.enumerated() {
            let words = unitTerms[c][k]
            if words.isEmpty { continue }
            var sum: Float = 0
            for w in words {
                let own = Double(promptCounts[w] ?? 0) / n
                var p: Double
                if background != nil {
                    p = 0.8 * pow(10, Double(backgroundLog[position])) + 0.2 * own
                } else {
                    p = (Double(promptCounts[w] ?? 0) + 0.1) / (n + 1)
                    if TermAnalyzer.stopWords.contains(w) { p = max(p, 0.02) }
                }
                sum += Float(-log10(max(p, 1e-12)))
                position += 1
            }
            info[i] = min(sum, 14)
        }
        return info
    }

    // MARK: - Coarse: contexts

    /// Chooses contexts in rank order until the free budget times (1 + margin) is spent.
    /// Contexts holding protected content always appear; their protected tokens and every
    /// appearing context's separator come off `budget`.
    func selectContexts(order: [Int], budget: inout Int, separatorTokens: Int, settings: Settings) -> [Bool] {
        var selected = [Bool](repeating: false, count: contexts.count)
        for c in contexts.indices where protectedTokens[c] > 0 { budget -= protectedTokens[c] + separatorTokens }
        if !settings.contextLevel {
            for c in contexts.indices {
                selected[c] = true
                if protectedTokens[c] == 0 && freeTokens[c] > 0 { budget -= separatorTokens }
            }
            return selected
        }
        var spent = 0
        for c in order {
            if freeTokens[c] == 0 { continue }
            if Double(spent) >= Double(budget) * (1 + settings.margin) || budget <= 0 { break }
            selected[c] = true
            spent += freeTokens[c]
            if protectedTokens[c] == 0 { budget -= separatorTokens }
        }
        return selected
    }

    mutating func resetKept() {
        for c in kept.indices { for k in kept[c].indices { kept[c][k] = true } }
    }

    /// Unselected contexts keep only their protected units.
    mutating func dropUnselected(_ selected: [Bool]) {
        for c in contexts.indices where !selected[c] {
            for k in contexts[c].units.indices where !contexts[c].units[k].isProtected { kept[c][k] = false }
        }
    }

    // MARK: - Sentences

    /// Per context, the BM25 relevance of its best sentence (0 for JSON or empty contexts).
    func bestSentenceScores() -> [Double] {
        contexts.indices.map { c in contexts[c].isJSON ? 0 : sentenceScore[c].max() ?? 0 }
    }

    /// How the sentence step treats its budget.
    enum SentenceFit {
        /// Sentences that would overshoot are skipped (no word step follows).
        case strict
        /// Whole sentences are packed as in `strict`; then, if the budget is not nearly spent,
        /// the best sentence that did not fit is admitted too, for the word step to trim.
        case fill
        /// Sentences are taken until the budget is reached; the last one may overshoot.
        case loose
    }

    /// Keeps the most relevant sentences of the selected contexts, across contexts, until
    /// `budget` free tokens: a sentence's score is its BM25 relevance to the question
    /// (standardised over the prompt's sentences) plus `contextWeight` times its context's
    /// standardised rank score, so better contexts keep more. The first sentence taken is
    /// always kept, even when it alone is over the budget.
    /// - Returns: the sentences admitted over the budget (`c`, `s`): where the word step should
    ///   prune first.
    @discardableResult
    mutating func selectSentences(selected: [Bool], contextScore: [Double], budget: Double, contextWeight: Double, fit: SentenceFit) -> Set<SentenceID> {
        var ids: [SentenceID] = []
        for c in contexts.indices where selected[c] && !contexts[c].isJSON {
            for s in contexts[c].sentences.indices { ids.append(SentenceID(c: c, s: s)) }
        }
        guard !ids.isEmpty else { return [] }
        let relevance = ContextRanker.standardized(ids.map { sentenceScore[$0.c][$0.s] })
        let score = ids.indices.map { relevance[$0] + contextWeight * contextScore[ids[$0].c] }
        let order = ids.indices.sorted { (score[$0], -$0) > (score[$1], -$1) }
        // JSON contexts and protected-only content are not chosen here; count them as spent.
        var sum = 0.0
        for c in contexts.indices where selected[c] && contexts[c].isJSON { sum += Double(freeTokens[c]) }
        func length(_ i: Int) -> Double {
            let (c, s) = (ids[i].c, ids[i].s)
            return Double(contexts[c].sentences[s].reduce(0) { $0 + (contexts[c].units[$1].isProtected ? 0 : contexts[c].units[$1].tokens) })
        }
        var keep = Set<Int>()
        var over = Set<SentenceID>()
        var firstMiss: Int?
        for i in order {
            if sum >= budget { break }
            let n = length(i)
            if fit != .loose && !keep.isEmpty && sum + n > budget {
                if firstMiss == nil { firstMiss = i }
                continue
            }
            keep.insert(i)
            sum += n
            if sum > budget { over.insert(ids[i]) }
        }
        // Whole sentences left more than 5 % of the budget unspent: admit the best one that
        // did not fit, to be trimmed by the word step, so small prompts still meet their rate.
        if fit == .fill, sum < 0.95 * budget, let i = firstMiss {
            keep.insert(i)
            over.insert(ids[i])
        }
        for (i, id) in ids.enumerated() where !keep.contains(i) {
            for k in contexts[id.c].sentences[id.s] where !contexts[id.c].units[k].isProtected { kept[id.c][k] = false }
        }
        return over
    }

    // MARK: - Words

    /// Drops the lowest-scoring kept words across the prompt until `budget` free tokens remain.
    /// A word's score is its self-information plus its relevance bonus (question word, its
    /// sentence's relevance) plus `contextWeight` times its context's standardised rank score.
    /// With an n-gram model this runs in three passes, re-scoring the words left after each (a
    /// word's information depends on the kept words before it).
    /// Words of the sentences in `first` go before any other (lowest score first within each
    /// group), so trimming a sentence admitted over the budget leaves the others whole.
    mutating func pruneWords(budget: Double, contextScore: [Double], contextWeight: Double, first: Set<SentenceID> = []) {
        let passes = background?.isContextual == true ? 3 : 1
        for pass in 0 ..< passes {
            var current = 0
            var candidates: [(Int, Int)] = []
            var score: [[Float]] = []
            for c in contexts.indices {
                var sc = information[c]
                if pass > 0 && kept[c].contains(true) {
                    let keptUnits = contexts[c].units.indices.filter { kept[c][$0] }
                    let fresh = unitInformation(c, units: keptUnits)
                    for (i, k) in keptUnits.enumerated() { sc[k] = fresh[i] }
                }
                let prior = Float(contextWeight * contextScore[c])
                for k in contexts[c].units.indices {
                    sc[k] += bonus[c][k] + prior
                    if kept[c][k] && !contexts[c].units[k].isProtected {
                        current += contexts[c].units[k].tokens
                        candidates.append((c, k))
                    }
                }
                score.append(sc)
            }
            let excess = Double(current) - budget
            guard excess > 0 else { break }
            func group(_ c: Int, _ k: Int) -> Int {
                first.isEmpty || first.contains(SentenceID(c: c, s: contexts[c].units[k].sentence)) ? 0 : 1
            }
            candidates.sort { (group($0.0, $0.1), score[$0.0][$0.1], $0.0, $0.1) < (group($1.0, $1.1), score[$1.0][$1.1], $1.0, $1.1) }
            var toRemove = excess / Double(passes - pass)
            for (c, k) in candidates {
                if toRemove <= 0 { break }
                kept[c][k] = false
                toRemove -= Double(contexts[c].units[k].tokens)
            }
        }
    }

    // MARK: - Final trim

    /// What the final trim drops: the finest step the request enabled.
    enum TrimLevel {
        case words, sentences, contexts

        /// Nil when every step is off (nothing may be dropped).
        init?(_ settings: Settings) {
            if settings.tokenLevel {
                self = .words
            } else if settings.sentenceLevel {
                self = .sentences
            } else if settings.contextLevel {
                self = .contexts
            } else {
                return nil
            }
        }
    }

    /// Drops the least valuable kept units — words by their pruning score, else whole
    /// sentences by relevance, else whole contexts from the lowest rank — until their estimated
    /// tokens reach `tokens`. Protected units stay.
    /// - Returns: the groups of units dropped (words, sentences or contexts), least valuable
    ///   first; empty when nothing was left to drop.
    mutating func trim(tokens: Int, level: TrimLevel, order: [Int], contextScore: [Double], contextWeight: Double) -> [[(Int, Int)]] {
        // Groups of units dropped together, with a score (lowest goes first).
        var groups: [(score: Double, units: [(Int, Int)])] = []
        func free(_ c: Int, _ range: Range<Int>) -> [(Int, Int)] {
            range.filter { kept[c][$0] && !contexts[c].units[$0].isProtected }.map { (c, $0) }
        }
        switch level {
        case .words:
            for c in contexts.indices {
                let prior = contextWeight * contextScore[c]
                for k in contexts[c].units.indices where kept[c][k] && !contexts[c].units[k].isProtected {
                    let info = information.isEmpty ? 0 : Double(information[c][k]) + Double(bonus[c][k])
                    groups.append((info + prior, [(c, k)]))
                }
            }
        case .sentences:
            for c in contexts.indices {
                for (s, range) in contexts[c].sentences.enumerated() {
                    let units = free(c, range)
                    if units.isEmpty { continue }
                    let relevance = sentenceScore.isEmpty ? 0 : sentenceScore[c][s]
                    groups.append((relevance + contextWeight * contextScore[c], units))
                }
            }
        case .contexts:
            for (r, c) in order.enumerated() {
                let units = free(c, contexts[c].units.indices)
                if !units.isEmpty { groups.append((-Double(r), units)) }
            }
        }
        guard !groups.isEmpty else { return [] }
        // Stable order: score, then position in the prompt.
        let sorted = groups.indices.sorted { a, b in
            let (x, y) = (groups[a], groups[b])
            if x.score != y.score { return x.score < y.score }
            return (x.units[0].0, x.units[0].1) < (y.units[0].0, y.units[0].1)
        }
        var dropped = 0
        var out: [[(Int, Int)]] = []
        for g in sorted {
            if dropped >= tokens { break }
            for (c, k) in groups[g].units {
                kept[c][k] = false
                dropped += contexts[c].units[k].tokens
            }
            out.append(groups[g].units)
        }
        return out
    }

    /// Marks `units` kept (`true`) or dropped.
    mutating func setKept(_ units: [(Int, Int)], _ value: Bool) {
        for (c, k) in units { kept[c][k] = value }
    }

    // MARK: - Output

    /// Each context's kept units, joined: a kept unit keeps the white space before it, and
    /// where words were dropped the widest line break among the dropped gaps is kept.
    func render(order: [Int]) -> [String] {
        contexts.indices.map { c in
            let context = contexts[c]
            var out: [UInt8] = []
            out.reserveCapacity(context.bytes.count)
            var droppedGap: (newlines: Int, firstEmpty: Bool)?
            var any = false
            for (k, unit) in context.units.enumerated() {
                let gap = context.bytes[unit.gap]
                if !kept[c][k] {
                    let n = gap.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                    if let d = droppedGap {
                        droppedGap = (max(d.newlines, n), d.firstEmpty)
                    } else {
                        droppedGap = (n, gap.isEmpty)
                    }
                    continue
                }
                if any {
                    if let d = droppedGap {
                        let own = gap.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                        if max(d.newlines, own) > own {
                            out += Array(repeating: 0x0A, count: min(2, max(d.newlines, own)))
                        } else if d.firstEmpty && own == 0 {
                            // CJK or a word glued to its neighbour: no space was there.
                        } else {
                            out += gap.isEmpty ? [0x20] : Array(gap)
                        }
                    } else {
                        out += gap
                    }
                }
                out += context.bytes[unit.range]
                any = true
                droppedGap = nil
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// The non-empty outputs in the requested order, and each context's label.
    func arrange(outputs: [String], order: [Int], reorder: String) -> ([String], [String]) {
        var labels: [String] = []
        for c in contexts.indices {
            let all = kept[c].allSatisfy { $0 }
            let none = !kept[c].contains(true)
            labels.append(all ? "kept" : none ? "dropped" : "compressed")
        }
        let present = order.filter { !outputs[$0].isEmpty }
        let sequence: [Int]
        switch reorder {
        case "rank":
            sequence = present
        case "ends":
            var front: [Int] = []
            var back: [Int] = []
            for (r, c) in present.enumerated() { if r % 2 == 0 { front.append(c) } else { back.append(c) } }
            sequence = front + back.reversed()
        default:
            sequence = present.sorted()
        }
        return (sequence.map { outputs[$0] }, labels)
    }
}
