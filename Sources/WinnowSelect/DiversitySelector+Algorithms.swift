import TensorCore
import WinnowCore

// MARK: - Greedy k-center

extension DiversitySelector {
    /// Greedy k-center (farthest-first traversal, Gonzalez 1985) over unit vectors: the first
    /// pick is a seeded uniform row; each next pick is the row whose cosine distance
    /// (1 − cos) to its nearest pick is largest (ties: the lower index). On unit vectors this is
    /// the same order as Euclidean farthest-first (‖a − b‖² = 2 − 2 cos), a 2-approximation of
    /// the k-center objective.
    ///
    /// Each pick costs one `sgemv` over the matrix: O(count · n · d) time, n floats of memory
    /// beyond the matrix.
    /// - Returns: `min(count, n)` row indices in pick order.
    public static func kCenter(_ x: MatrixView, count: Int, seed: UInt64) -> [Int] {
        let n = x.rows
        let k = min(count, n)
        guard k > 0 else { return [] }
        var generator = SplitMix64(seed: seed)
        var nearest = [Float](repeating: .infinity, count: n)
        var similarities = [Float](repeating: 0, count: n)
        var picks: [Int] = []
        picks.reserveCapacity(k)
        var pick = generator.nextIndex(below: n)
        while true {
            picks.append(pick)
            nearest[pick] = -.infinity  // never picked again
            if picks.count == k { break }
            similarities.withUnsafeMutableBufferPointer { x.dotProducts(with: x.row(pick), into: $0.baseAddress.unsafelyUnwrapped) }
            var best = -1
            var bestDistance = -Float.infinity
            for i in 0 ..< n {
                let d = 1 - similarities[i]
                if d < nearest[i] { nearest[i] = d }
                if nearest[i] > bestDistance { bestDistance = nearest[i]; best = i }
            }
            pick = best
        }
        return picks
    }
}

// MARK: - Facility location

extension DiversitySelector {
    /// Greedy maximisation of the facility-location function F(S) = Σᵢ max_{s∈S} sim(i, s) with
    /// sim = max(0, cos), over a neighbour graph: sim(i, s) counts only when s is among i's
    /// neighbours in `graph` (a row's list should include the row itself). With every row in
    /// every list this is the exact greedy; with the top-m neighbours it is the greedy on the
    /// sparsified function (similarities outside each row's m nearest are taken as 0, so
    /// coverage is under-estimated for far pairs, which contribute little to the max).
    ///
    /// Lazy greedy (Minoux 1978): gains only shrink as S grows (F is submodular), so a stale
    /// gain is an upper bound; the candidate on top of a max-heap (gain, then lower index) is
    /// re-evaluated and taken when its gain is fresh. The picks equal plain greedy's, ties to
    /// the lower index. Gains are summed in Double over each candidate's reverse neighbour list
    /// in row order.
    /// - Returns: `min(count, n)` row indices in pick order.
    public static func facilityLocation(graph: NeighbourList, count: Int) -> [Int] {
        let n = graph.rows
        let m = graph.k
        let k = min(count, n)
        guard k > 0 else { return [] }
        // Reverse lists (CSR): for candidate c, the rows i that have c as a neighbour, in row order.
        var starts = [Int](repeating: 0, count: n + 1)
        for e in 0 ..< n * m where graph.indices[e] >= 0 && graph.scores[e] > 0 { starts[Int(graph.indices[e]) + 1] += 1 }
        for c in 0 ..< n { starts[c + 1] += starts[c] }
        var fill = starts
        var rows = [Int32](repeating: 0, count: starts[n])
        var sims = [Float](repeating: 0, count: starts[n])
        for i in 0 ..< n {
            for j in 0 ..< m {
                let e = i * m + j
                let c = Int(graph.indices[e])
                guard c >= 0, graph.scores[e] > 0 else { continue }
                rows[fill[c]] = Int32(i)
                sims[fill[c]] = graph.scores[e]
                fill[c] += 1
            }
        }
        var covered = [Float](repeating: 0, count: n)
        func gain(_ c: Int) -> Double {
            var g = 0.0
            for e in starts[c] ..< starts[c + 1] {
                let d = sims[e] - covered[Int(rows[e])]
                if d > 0 { g += Double(d) }
            }
            return g
        }
        var heap = BinaryHeap<GainEntry>(capacity: n)
        for c in 0 ..< n { heap.push(GainEntry(gain: gain(c), index: c, round: 0)) }
        var picks: [Int] = []
        picks.reserveCapacity(k)
        while picks.count < k, let top = heap.pop() {
            if top.round == picks.count {
                picks.append(top.index)
                for e in starts[top.index] ..< starts[top.index + 1] {
                    let i = Int(rows[e])
                    if sims[e] > covered[i] { covered[i] = sims[e] }
                }
            } else {
                heap.push(GainEntry(gain: gain(top.index), index: top.index, round: picks.count))
            }
        }
        return picks
    }

    /// The facility-location value F(S) = Σᵢ max_{s∈S} max(0, cos(i, s)) of a selection over
    /// the full similarity (for reports and tests; O(|S| · n · d)).
    public static func facilityLocationValue(_ x: MatrixView, selection: [Int]) -> Double {
        var best = [Float](repeating: 0, count: x.rows)
        var similarities = [Float](repeating: 0, count: x.rows)
        for s in selection {
            similarities.withUnsafeMutableBufferPointer { x.dotProducts(with: x.row(s), into: $0.baseAddress.unsafelyUnwrapped) }
            for i in 0 ..< x.rows where similarities[i] > best[i] { best[i] = similarities[i] }
        }
        return best.reduce(0.0) { $0 + Double($1) }
    }
}

/// A candidate in lazy greedy: its gain as computed in round `round`; the largest gain comes
/// out first, ties to the lower index.
struct GainEntry: HeapOrdered {
    var gain: Double
    var index: Int
    var round: Int

    static func precedes(_ a: GainEntry, _ b: GainEntry) -> Bool {
        a.gain != b.gain ? a.gain > b.gain : a.index < b.index
    }
}
