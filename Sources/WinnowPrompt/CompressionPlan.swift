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
    /// Per context, per unit: pruning score (higher is kept longer).
    var unitScore: [[Float]] = []
    let background: (any WordProbabilityModel)?

    init(contexts: [SegmentedContext], counter: any TokenCounter, background: (any WordProbabilityModel)?) {
        self.contexts = contexts
        self.background = background
        kept = contexts.map { [Bool](repeating: true, count: $0.units.count) }
        var terms: [[Substring]] = []
        var unitTerms: [[[Substring]]] = []
        var protectedTokens: [Int] = []
        var freeTokens: [Int] = []
        for c in self.contexts.indices {
            var all: [Substring] = []
            var perUnit: [[Substring]] = []
            var p = 0
            var f = 0
            let bytes = self.contexts[c].bytes
            for k in self.contexts[c].units.indices {
                let unit = self.contexts[c].units[k]
                let text = String(decoding: bytes[unit.range], as: UTF8.self)
                let n = max(1, counter.count(" " + text))
                self.contexts[c].units[k].tokens = n
                if unit.isProtected { p += n } else { f += n }
                let t = TermAnalyzer.terms(of: text, dropStopWords: false)
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
        let n = Double(max(1, total))
        var backgroundLog: [[Float]] = []
        if let background {
            backgroundLog = terms.map { background.log10Probabilities($0) }
        }
        information = []
        for c in contexts.indices {
            var info = [Float](repeating: 0, count: contexts[c].units.count)
            var position = 0
            for k in contexts[c].units.indices {
                let words = unitTerms[c][k]
                if words.isEmpty {
                    info[k] = 1.0  // punctuation and symbols
                    continue
                }
                var sum: Float = 0
                for w in words {
                    let own = Double(counts[w] ?? 0) / n
                    var p: Double
                    if background != nil {
                        p = 0.8 * pow(10, Double(backgroundLog[c][position])) + 0.2 * own
                    } else {
                        p = (Double(counts[w] ?? 0) + 0.1) / (n + 1)
                        if TermAnalyzer.stopWords.contains(w) { p = max(p, 0.02) }
                    }
                    sum += Float(-log10(max(p, 1e-12)))
                    position += 1
                }
                info[k] = min(sum, 14)
            }
            information.append(info)
        }
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
        unitScore = []
        for c in contexts.indices {
            let best = sentenceScore[c].max() ?? 0
            var score = information[c]
            for k in contexts[c].units.indices {
                let unit = contexts[c].units[k]
                let relevance = best > 0 ? sentenceScore[c][unit.sentence] / best : 0
                var bonus = Float(2.0 * relevance)
                if unitTerms[c][k].contains(where: { questionSet.contains($0) }) { bonus += 2.5 }
                score[k] += bonus
            }
            unitScore.append(score)
        }
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

    /// Free-token targets per context: a common rate λ·wₖ (capped at 1) with weights falling
    /// linearly with rank from 1 + d to 1 − d, solved so the targets sum to `budget`.
    func contextTargets(selected: [Bool], order: [Int], budget: Double, settings: Settings) -> [Double] {
        var targets = [Double](repeating: 0, count: contexts.count)
        let chosen = order.filter { selected[$0] }
        guard !chosen.isEmpty, budget > 0 else { return targets }
        let m = chosen.count
        let weights = (0 ..< m).map { k in m > 1 ? 1 + settings.dynamicRatio * (1 - 2 * Double(k) / Double(m - 1)) : 1 }
        func total(_ lambda: Double) -> Double {
            var s = 0.0
            for (k, c) in chosen.enumerated() { s += min(1, lambda * weights[k]) * Double(freeTokens[c]) }
            return s
        }
        var lo = 0.0
        var hi = 1 / max(1e-9, weights.min() ?? 1)
        if total(hi) <= budget {
            lo = hi
        } else {
            for _ in 0 ..< 60 {
                let mid = (lo + hi) / 2
                if total(mid) > budget { hi = mid } else { lo = mid }
            }
        }
        for (k, c) in chosen.enumerated() { targets[c] = min(1, lo * weights[k]) * Double(freeTokens[c]) }
        return targets
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

    /// In each context over its target, keeps the most relevant sentences until the target
    /// (plus the word step's margin) is met; the others keep only protected units.
    mutating func selectSentences(targets: [Double], settings: Settings) {
        for c in contexts.indices where targets[c] > 0 && targets[c] < Double(freeTokens[c]) && contexts[c].sentences.count > 1 && !contexts[c].isJSON {
            let budget = targets[c] * (1 + settings.wordMargin)
            let sentences = contexts[c].sentences
            let lengths = sentences.map { r in r.reduce(0) { $0 + (contexts[c].units[$1].isProtected ? 0 : contexts[c].units[$1].tokens) } }
            let order = sentences.indices.sorted { (sentenceScore[c][$0], -$0) > (sentenceScore[c][$1], -$1) }
            var keep = [Bool](repeating: false, count: sentences.count)
            var sum = 0
            for s in order {
                if Double(sum) >= budget { break }
                if !settings.tokenLevel && sum > 0 && Double(sum + lengths[s]) > budget { continue }
                keep[s] = true
                sum += lengths[s]
            }
            for (s, range) in sentences.enumerated() where !keep[s] {
                for k in range where !contexts[c].units[k].isProtected { kept[c][k] = false }
            }
        }
    }

    // MARK: - Words

    /// In each context over its target, drops the lowest-scoring kept words until the target is met.
    mutating func pruneWords(targets: [Double], question: String) {
        for c in contexts.indices where targets[c] > 0 {
            var current = 0
            var candidates: [Int] = []
            for k in contexts[c].units.indices where kept[c][k] && !contexts[c].units[k].isProtected {
                current += contexts[c].units[k].tokens
                candidates.append(k)
            }
            var excess = Double(current) - targets[c]
            guard excess > 0 else { continue }
            let score = unitScore[c]
            candidates.sort { (score[$0], $0) < (score[$1], $1) }
            for k in candidates {
                if excess <= 0 { break }
                kept[c][k] = false
                excess -= Double(contexts[c].units[k].tokens)
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
