import WinnowCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One predicted label with its probability.
public struct FastTextPrediction: Sendable, Hashable {
    /// The label as stored in the model, e.g. `__label__en`.
    public var label: String
    /// The label's index in ``FastTextModel/labels``.
    public var labelIndex: Int
    /// The probability fastText reports (`exp` of its log-score; ≈ p + 1e-5 per tree level for
    /// hierarchical softmax, as in fastText).
    public var probability: Float

    /// Creates a prediction.
    public init(label: String, labelIndex: Int, probability: Float) {
        self.label = label
        self.labelIndex = labelIndex
        self.probability = probability
    }
}

extension FastTextModel {
    // MARK: - Public API

    /// Predicts the `k` most likely labels of `text`, as fastText's `predict` does for one line.
    ///
    /// The text is one line: every newline counts as a space (what datatrove does before calling
    /// fastText, whose Python `predict` refuses newlines), and the end of the text ends the line
    /// with the `</s>` token. Tokens are split on space, `\n`, `\r`, `\t`, `\v`, `\f` and NUL.
    /// - Parameters:
    ///   - text: the text to classify.
    ///   - k: how many labels to return; `nil` (or ≥ the label count) returns every label that
    ///     passes the threshold (fastText's `k=-1`).
    ///   - threshold: the minimum probability of a returned label.
    /// - Returns: labels by decreasing probability.
    public func predict(_ text: String, k: Int? = 1, threshold: Float = 0) -> [FastTextPrediction] {
        var rows: [Int32] = []
        inputRows(text, into: &rows)
        return predict(rows: rows, k: k, threshold: threshold)
    }

    /// The input-matrix rows fastText averages for `text`: for each word its dictionary row and
    /// character n-gram buckets, then the word n-gram buckets (same line rules as ``predict(_:k:threshold:)``).
    public func inputRows(_ text: String) -> [Int32] {
        var rows: [Int32] = []
        inputRows(text, into: &rows)
        return rows
    }

    /// The hidden vector (the average of the input rows) for `text`; `nil` when no row is
    /// found (a model without `</s>` given an empty text).
    public func hiddenVector(_ text: String) -> [Float]? {
        let rows = inputRows(text)
        guard !rows.isEmpty else { return nil }
        var hidden = [Float](repeating: 0, count: dimension)
        hidden.withUnsafeMutableBufferPointer { h in
            if let base = h.baseAddress { average(rows: rows, into: base) }
        }
        return hidden
    }

    /// The input rows of one word as fastText's `get_subwords` gives them: the word's own row
    /// (when in the dictionary) then its character n-gram rows.
    public func subwordRows(_ word: String) -> [Int32] {
        var bytes = Array(word.utf8)
        var rows: [Int32] = []
        let d = dictionary
        let id = bytes.withUnsafeBufferPointer { d.find($0, hash: FastTextHash.hash($0)) }
        if id >= 0 && id < d.nwords {
            rows.append(contentsOf: d.subwords[d.subwordStart[id]..<d.subwordStart[id + 1]])
            return rows
        }
        if bytes.elementsEqual(FastTextDictionary.eos) { return rows }
        bytes.insert(UInt8(ascii: "<"), at: 0)
        bytes.append(UInt8(ascii: ">"))
        d.addSubwords(of: bytes, into: &rows)
        return rows
    }

    // MARK: - Tokens to rows (Dictionary::getLine)

    @inline(__always)
    static func isSeparator(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 || c == 0x0B || c == 0x0C || c == 0x00
    }

    /// Fills `rows` with the input rows of `text` (cleared first).
    func inputRows(_ text: String, into rows: inout [Int32]) {
        rows.removeAll(keepingCapacity: true)
        var text = text
        var wordHashes: [Int32] = []
        var scratch: [UInt8] = []
        scratch.reserveCapacity(64)
        let eosSeen: Bool = text.withUTF8 { u in
            var i = 0
            let n = u.count
            while i < n {
                while i < n && Self.isSeparator(u[i]) { i += 1 }
                if i >= n { break }
                let start = i
                while i < n && !Self.isSeparator(u[i]) { i += 1 }
                let token = UnsafeBufferPointer(rebasing: u[start..<i])
                if addToken(token, rows: &rows, wordHashes: &wordHashes, scratch: &scratch) { return true }
            }
            return false
        }
        if !eosSeen {
            // The newline fastText's Python `predict` appends becomes `</s>`.
            FastTextDictionary.eos.withUnsafeBufferPointer { eos in
                _ = addToken(eos, rows: &rows, wordHashes: &wordHashes, scratch: &scratch)
            }
        }
        dictionary.addWordNgrams(wordHashes, into: &rows)
    }

    /// Adds one token's rows; returns true when the token is `</s>` (the line ends there).
    @inline(__always)
    private func addToken(_ token: UnsafeBufferPointer<UInt8>, rows: inout [Int32], wordHashes: inout [Int32],
                          scratch: inout [UInt8]) -> Bool {
        let d = dictionary
        let h = FastTextHash.hash(token)
        let id = d.find(token, hash: h)
        let isEOS = token.elementsEqual(FastTextDictionary.eos)
        let isWord: Bool
        if id >= 0 {
            isWord = d.types[id] == FastTextDictionary.wordType
        } else {
            isWord = !(token.count >= FastTextDictionary.labelPrefix.count
                && token.prefix(FastTextDictionary.labelPrefix.count).elementsEqual(FastTextDictionary.labelPrefix))
        }
        if isWord {
            if id >= 0 {
                if d.maxn <= 0 {
                    rows.append(Int32(id))
                } else {
                    rows.append(contentsOf: d.subwords[d.subwordStart[id]..<d.subwordStart[id + 1]])
                }
            } else if !isEOS {
                scratch.removeAll(keepingCapacity: true)
                scratch.append(UInt8(ascii: "<"))
                scratch.append(contentsOf: token)
                scratch.append(UInt8(ascii: ">"))
                d.addSubwords(of: scratch, into: &rows)
            }
            if d.wordNgrams > 1 { wordHashes.append(Int32(bitPattern: h)) }
        }
        return isEOS
    }

    // MARK: - Rows to labels (Model::predict, Loss::predict)

    /// hidden = mean of the rows (QuantMatrix/DenseMatrix::averageRowsToVector).
    func average(rows: [Int32], into h: UnsafeMutablePointer<Float>) {
        h.update(repeating: 0, count: dimension)
        for row in rows { input.addRow(Int(row), to: h) }
        let scale = Float(1.0 / Double(rows.count))
        for j in 0..<dimension { h[j] *= scale }
    }

    /// fastText's `std_log`: log(x + 1e-5) computed in double, returned as float.
    @inline(__always)
    static func stdLog(_ x: Float) -> Float { Float(log(Double(x) + 1e-5)) }

    func predict(rows: [Int32], k requested: Int?, threshold: Float) -> [FastTextPrediction] {
        if rows.isEmpty { return [] }
        let osz = labels.count
        let k = min(max(requested ?? osz, 1), osz)
        var heap = ScoreHeap(capacity: k)
        var hidden = [Float](repeating: 0, count: dimension)
        hidden.withUnsafeMutableBufferPointer { hb in
            guard let h = hb.baseAddress else { return }  // dim ≥ 1, checked at load
            average(rows: rows, into: h)
            switch arguments.loss {
            case .hierarchicalSoftmax:
                dfs(k: k, minScore: Self.stdLog(threshold), node: 2 * osz - 2, score: 0, heap: &heap, hidden: h)
            case .softmax:
                var out = [Float](repeating: 0, count: osz)
                for i in 0..<osz { out[i] = output.dotRow(i, h) }
                out.withUnsafeMutableBufferPointer { Self.softmax($0) }
                findKBest(out, k: k, threshold: threshold, heap: &heap)
            case .negativeSampling, .oneVsAll:
                var out = [Float](repeating: 0, count: osz)
                for i in 0..<osz { out[i] = Self.sigmoid(output.dotRow(i, h)) }
                findKBest(out, k: k, threshold: threshold, heap: &heap)
            }
        }
        return heap.sortedDescending().map { entry in
            FastTextPrediction(label: labels[entry.index], labelIndex: entry.index, probability: expf(entry.score))
        }
    }

    /// SoftmaxLoss::computeOutput after the dot products: `x[i] ← exp(x[i] − max) / Σ`, each
    /// exponential in double rounded to float, as fastText computes it.
    @inline(__always)
    static func softmax(_ x: UnsafeMutableBufferPointer<Float>) {
        guard var mx = x.first else { return }
        for v in x { mx = max(v, mx) }
        var z: Float = 0
        for i in x.indices {
            x[i] = Float(exp(Double(x[i] - mx)))
            z += x[i]
        }
        for i in x.indices { x[i] /= z }
    }

    /// fastText's sigmoid table (Loss::t_sigmoid_): 513 values over [-8, 8].
    static let sigmoidTable: [Float] = (0...512).map { i in
        let x = Float(i * 2 * 8) / 512 - 8
        return Float(1.0 / (1.0 + Double(expf(-x))))
    }

    /// Loss::sigmoid, the table lookup one-vs-all and negative-sampling models predict with
    /// (not the exact sigmoid: 0.01 gives 0.5).
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        if x < -8 { return 0 }
        if x > 8 { return 1 }
        let i = Int((x + 8) * 512 / 8 / 2)
        return sigmoidTable[i]
    }

    private func findKBest(_ out: [Float], k: Int, threshold: Float, heap: inout ScoreHeap) {
        for i in 0..<out.count {
            if out[i] < threshold { continue }
            let s = Self.stdLog(out[i])
            if heap.count == k && s < heap.minimum { continue }
            heap.push(score: s, index: i, limit: k)
        }
    }

    /// HierarchicalSoftmaxLoss::dfs.
    private func dfs(k: Int, minScore: Float, node: Int, score: Float, heap: inout ScoreHeap, hidden: UnsafeMutablePointer<Float>) {
        if score < minScore { return }
        if heap.count == k && score < heap.minimum { return }
        let l = treeLeft[node], r = treeRight[node]
        if l == -1 && r == -1 {
            heap.push(score: score, index: node, limit: k)
            return
        }
        // As fastText: f = 1. / (1 + std::exp(-f)) with a float exp; std_log(1.0 - f) takes a float.
        var f = output.dotRow(node - labels.count, hidden)
        f = Float(1.0 / Double(1 + expf(-f)))
        dfs(k: k, minScore: minScore, node: Int(l), score: score + Self.stdLog(Float(1.0 - Double(f))), heap: &heap, hidden: hidden)
        dfs(k: k, minScore: minScore, node: Int(r), score: score + Self.stdLog(f), heap: &heap, hidden: hidden)
    }
}

/// A bounded min-heap of (log-score, label) pairs, as fastText keeps its predictions.
struct ScoreHeap {
    struct Entry: HeapOrdered {
        var score: Float
        var index: Int

        /// The smallest score first; ties: the higher label index first.
        @inline(__always)
        static func precedes(_ a: Entry, _ b: Entry) -> Bool {
            a.score < b.score || (a.score == b.score && a.index > b.index)
        }
    }

    private var heap: BinaryHeap<Entry>

    init(capacity: Int) { heap = BinaryHeap(capacity: capacity + 1) }

    var count: Int { heap.count }
    var minimum: Float { heap.first!.score }

    /// Adds an entry and, when over `limit`, drops the smallest.
    mutating func push(score: Float, index: Int, limit: Int) {
        heap.push(Entry(score: score, index: index))
        if heap.count > limit { heap.pop() }
    }

    /// Entries by decreasing score (ties: lower label index first).
    func sortedDescending() -> [Entry] {
        heap.elements.sorted { Entry.precedes($1, $0) }
    }
}
