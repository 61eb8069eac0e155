/// Finds the name a user most likely meant when they typed one that does not exist: a
/// subcommand, a recipe key, a stage or parameter name, a drop reason.
///
/// The one rule every "did you mean" hint of Winnow uses: candidates are compared without case
/// by optimal-string-alignment distance (Damerau–Levenshtein where a swapped pair of adjacent
/// characters costs 1, as `rnu` → `run`). A candidate at distance 1 is accepted for any word;
/// at distance 2 only for words of at least 5 characters (so `ab` does not suggest `xy`). When no
/// candidate is that close, one the word is a prefix of (at least 4 characters: `exact_dup` →
/// `exact_duplicate`) is accepted. Ties go to the earlier candidate.
public enum NameSuggestion {
    /// The optimal-string-alignment distance between two strings, in characters: insertions,
    /// deletions, substitutions and swaps of two adjacent characters each cost 1.
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a)
        let y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        let width = y.count + 1
        // Three rows: two back (for swaps), one back, current.
        var back2 = [Int](repeating: 0, count: width)
        var back1 = Array(0...y.count)
        var row = [Int](repeating: 0, count: width)
        for i in 1...x.count {
            row[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var d = min(back1[j] + 1, row[j - 1] + 1, back1[j - 1] + cost)
                if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] {
                    d = min(d, back2[j - 2] + 1)
                }
                row[j] = d
            }
            swap(&back2, &back1)
            swap(&back1, &row)
        }
        return back1[y.count]
    }

    /// The candidate `word` most likely stands for, or nil when none is close enough (see the
    /// type's rule). A candidate equal to `word` is never suggested (the word is not unknown).
    public static func nearest<S: Sequence<String>>(to word: String, in candidates: S) -> String? {
        let w = word.lowercased()
        let wordLength = w.count
        guard wordLength > 0 else { return nil }
        let limit = wordLength >= 5 ? 2 : 1
        var best: (name: String, distance: Int)?
        var prefixMatch: (name: String, length: Int)?
        for candidate in candidates where candidate != word {
            let c = candidate.lowercased()
            if c == w { return candidate }  // differs only in case
            let d = distance(w, c)
            if d <= limit && d < (best?.distance ?? Int.max) { best = (candidate, d) }
            if wordLength >= 4 && c.hasPrefix(w) && c.count < (prefixMatch?.length ?? Int.max) {
                prefixMatch = (candidate, c.count)
            }
        }
        return best?.name ?? prefixMatch?.name
    }

    /// `"; did you mean 'NAME'?"` for the nearest candidate, or the empty string: ready to append
    /// to an error message.
    public static func hint<S: Sequence<String>>(for word: String, in candidates: S) -> String {
        nearest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
