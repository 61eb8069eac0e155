import Foundation

/// Okapi BM25 over a fixed list of documents (Lucene's non-negative idf,
/// `ln(1 + (N − n + 0.5) / (n + 0.5))`, as `rank_bm25`'s `BM25Okapi` does with Lucene's variant).
///
/// ```swift
/// let index = BM25Index(documents: ["the cat sat", "a dog barked"])
/// let scores = index.scores(query: "cat")   // [0.98…, 0]
/// ```
/// Immutable and `Sendable`: build once, score from any thread.
public struct BM25Index: Sendable {
    /// Term frequency saturation.
    public let k1: Double
    /// Length normalisation (0: none, 1: full).
    public let b: Double
    /// The number of documents.
    public var count: Int { lengths.count }

    private var termIDs: [String: Int32] = [:]
    private var documentFrequency: [Int32] = []
    /// Per document: (term id, frequency), sorted by term id.
    private var postings: [[(Int32, Int32)]] = []
    private var lengths: [Int] = []
    private var averageLength: Double = 0

    /// Indexes documents given as term lists (already analysed).
    public init(documents: [[Substring]], k1: Double = 1.2, b: Double = 0.75) {
        self.k1 = k1
        self.b = b
        for terms in documents {
            var counts: [Int32: Int32] = [:]
            for term in terms {
                let key = String(term)
                let id: Int32
                if let known = termIDs[key] {
                    id = known
                } else {
                    id = Int32(documentFrequency.count)
                    termIDs[key] = id
                    documentFrequency.append(0)
                }
                counts[id, default: 0] += 1
            }
            for id in counts.keys { documentFrequency[Int(id)] += 1 }
            postings.append(counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            lengths.append(terms.count)
        }
        averageLength = lengths.isEmpty ? 0 : Double(lengths.reduce(0, +)) / Double(lengths.count)
    }

    /// Indexes texts, analysed by ``terms(of:)``.
    public init(documents: [String], k1: Double = 1.2, b: Double = 0.75) {
        self.init(documents: documents.map { BM25Index.terms(of: $0) }, k1: k1, b: b)
    }

    /// The inverse document frequency of a term (0 for a term no document has).
    public func idf(_ term: Substring) -> Double {
        guard let id = termIDs[String(term)] else { return 0 }
        let n = Double(documentFrequency[Int(id)])
        return log1p((Double(count) - n + 0.5) / (n + 0.5))
    }

    /// One BM25 score per document, in document order, for an analysed query (a repeated
    /// query term counts each time).
    public func scores(query: [Substring]) -> [Double] {
        var result = [Double](repeating: 0, count: count)
        guard averageLength > 0 else { return result }
        for term in query {
            guard let id = termIDs[String(term)] else { continue }
            let weight = idf(term)
            for d in 0 ..< count {
                let list = postings[d]
                // Binary search the sorted postings.
                var lo = 0
                var hi = list.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if list[mid].0 < id { lo = mid + 1 } else { hi = mid }
                }
                guard lo < list.count, list[lo].0 == id else { continue }
                let tf = Double(list[lo].1)
                let norm = k1 * (1 - b + b * Double(lengths[d]) / averageLength)
                result[d] += weight * tf * (k1 + 1) / (tf + norm)
            }
        }
        return result
    }

    /// One BM25 score per document for a query text, analysed by ``terms(of:)``.
    public func scores(query: String) -> [Double] {
        scores(query: BM25Index.terms(of: query)[...].map { $0 })
    }

    /// The default analyser: lowercased runs of letters, digits and marks (each CJK ideograph,
    /// kana or hangul syllable on its own), without a short list of English function words.
    public static func terms(of text: String) -> [Substring] {
        TermAnalyzer.terms(of: text, dropStopWords: true)
    }
}

/// Splits text into lowercased word terms.
enum TermAnalyzer {
    /// English function words that carry no topic (a short list; BM25's idf handles the rest).
    static let stopWords: Set<Substring> = Set(
        """
        a an and are as at be been but by for from had has have he her his i if in into is it its of on or she \
        so that the their them then there these they this to was were what when where which who whom why will \
        with would you your did does do how
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }))

    static func isSolitary(_ v: UInt32) -> Bool {
        (0x3040 ... 0x30FF).contains(v) || (0x3400 ... 0x4DBF).contains(v) || (0x4E00 ... 0x9FFF).contains(v)
            || (0xF900 ... 0xFAFF).contains(v) || (0xAC00 ... 0xD7AF).contains(v) || (0x20000 ... 0x2FA1F).contains(v)
    }

    static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark:
            return true
        default:
            return false
        }
    }

    /// Lowercased terms of `text`.
    static func terms(of text: String, dropStopWords: Bool) -> [Substring] {
        let lower = text.lowercased()
        var out: [Substring] = []
        let scalars = lower.unicodeScalars
        var i = scalars.startIndex
        var start: String.UnicodeScalarView.Index?
        func flush(_ end: String.UnicodeScalarView.Index) {
            if let s = start {
                let term = Substring(scalars[s ..< end])
                if !(dropStopWords && stopWords.contains(term)) { out.append(term) }
                start = nil
            }
        }
        while i < scalars.endIndex {
            let s = scalars[i]
            if isSolitary(s.value) {
                flush(i)
                let next = scalars.index(after: i)
                out.append(Substring(scalars[i ..< next]))
                i = next
                continue
            }
            if isWordScalar(s) {
                if start == nil { start = i }
            } else {
                flush(i)
            }
            i = scalars.index(after: i)
        }
        flush(scalars.endIndex)
        return out
    }
}
