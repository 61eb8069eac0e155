import Foundation

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
        let scores = queryTerms.isEmpty ? [Double](repeating: 0, count: sentenceTerms.count) : bm25.scores(query: queryTerms)
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

    /// Keeps the most relevant sentences of the selected contexts, across contexts, until
    /// `budget` free tokens: a sentence's score is its BM25 relevance to the question
    /// (standardised over the prompt's sentences) plus `contextWeight` times its context's
    /// standardised rank score, so better contexts keep more. With `strict`, a sentence that
    /// would overshoot the budget is skipped (no word step follows).
    mutating func selectSentences(selected: [Bool], contextScore: [Double], budget: Double, contextWeight: Double, strict: Bool) {
        var ids: [(c: Int, s: Int)] = []
        for c in contexts.indices where selected[c] && !contexts[c].isJSON {
            for s in contexts[c].sentences.indices { ids.append((c, s)) }
        }
        guard !ids.isEmpty else { return }
        let relevance = ContextRanker.standardized(ids.map { sentenceScore[$0.c][$0.s] })
        let score = ids.indices.map { relevance[$0] + contextWeight * contextScore[ids[$0].c] }
        let order = ids.indices.sorted { (score[$0], -$0) > (score[$1], -$1) }
        // JSON contexts and protected-only content are not chosen here; count them as spent.
        var sum = 0.0
        for c in contexts.indices where selected[c] && contexts[c].isJSON { sum += Double(freeTokens[c]) }
        var keep = Set<Int>()
        for i in order {
            if sum >= budget { break }
            let (c, s) = ids[i]
            let length = contexts[c].sentences[s].reduce(0) { $0 + (contexts[c].units[$1].isProtected ? 0 : contexts[c].units[$1].tokens) }
            if strict && !keep.isEmpty && sum + Double(length) > budget { continue }
            keep.insert(i)
            sum += Double(length)
        }
        for (i, (c, s)) in ids.enumerated() where !keep.contains(i) {
            for k in contexts[c].sentences[s] where !contexts[c].units[k].isProtected { kept[c][k] = false }
        }
    }

    // MARK: - Words

    /// Drops the lowest-scoring kept words across the prompt until `budget` free tokens remain.
    /// A word's score is its self-information plus its relevance bonus (question word, its
    /// sentence's relevance) plus `contextWeight` times its context's standardised rank score.
    /// With an n-gram model this runs in three passes, re-scoring the words left after each (a
    /// word's information depends on the kept words before it).
    mutating func pruneWords(budget: Double, contextScore: [Double], contextWeight: Double) {
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
            candidates.sort { (score[$0.0][$0.1], $0.0, $0.1) < (score[$1.0][$1.1], $1.0, $1.1) }
            var toRemove = excess / Double(passes - pass)
            for (c, k) in candidates {
                if toRemove <= 0 { break }
                kept[c][k] = false
                toRemove -= Double(contexts[c].units[k].tokens)
            }
        }
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
