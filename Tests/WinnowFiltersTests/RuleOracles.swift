import WinnowCore
import WinnowText
@testable import WinnowFilters

/// The four datatrove rule filters transcribed line by line over Strings and code-point arrays:
/// every statistic over the whole document, no early exit, no byte tricks. The stages must
/// decide (and rewrite) exactly as these do; the early-exit tests compare the two on documents
/// built to sit near the thresholds.
enum RuleOracle {
    typealias Scalars = [Unicode.Scalar]

    static func scalars(_ s: String) -> Scalars { Array(s.unicodeScalars) }
    static func string(_ s: some Sequence<Unicode.Scalar>) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s)
        return String(out)
    }
    static func isSpace(_ c: Unicode.Scalar) -> Bool { PythonText.isSpace(c.value) }

    /// `str.strip()`.
    static func strip(_ s: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        var a = s.startIndex
        var b = s.endIndex
        while a < b && isSpace(s[a]) { a += 1 }
        while b > a && isSpace(s[b - 1]) { b -= 1 }
        return s[a..<b]
    }

    /// `re.split(r"\n{k,}", s)`.
    static func splitNewlines(_ s: ArraySlice<Unicode.Scalar>, minRun: Int) -> [String] {
        var parts: [String] = []
        var start = s.startIndex
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == "\n" {
                var j = i
                while j < s.endIndex && s[j] == "\n" { j += 1 }
                if j - i >= minRun {
                    parts.append(string(s[start..<i]))
                    start = j
                }
                i = j
            } else {
                i += 1
            }
        }
        parts.append(string(s[start..<s.endIndex]))
        return parts
    }

    /// `find_duplicates`: (duplicate elements, their code points).
    static func findDuplicates(_ x: [String]) -> (Int, Int) {
        var seen = Set<[UInt8]>()
        var dups = 0
        var chars = 0
        for e in x where !seen.insert(Array(e.utf8)).inserted {
            dups += 1
            chars += e.unicodeScalars.count
        }
        return (dups, chars)
    }

    static func gopherRepetition(_ text: String, _ f: GopherRepetitionFilter, words: [String]) -> Verdict {
        if text.isEmpty { return .drop(reason: "empty") }
        let all = scalars(text)
        let len = Double(all.count)
        let paragraphs = splitNewlines(strip(all[...]), minRun: 2)
        var (d, c) = findDuplicates(paragraphs)
        if let m = enabled(f.dupParaFrac), Double(d) / Double(paragraphs.count) > m { return .drop(reason: "dup_para_frac") }
        if let m = enabled(f.dupParaCharFrac), Double(c) / len > m { return .drop(reason: "dup_para_char_frac") }
        let lines = splitNewlines(all[...], minRun: 1)
        (d, c) = findDuplicates(lines)
        if let m = enabled(f.dupLineFrac), Double(d) / Double(lines.count) > m { return .drop(reason: "dup_line_frac") }
        if let m = enabled(f.dupLineCharFrac), Double(c) / len > m { return .drop(reason: "dup_line_char_frac") }
        for (n, frac) in f.topNGrams {
            guard words.count - n + 1 > 0 else { continue }
            var count: [[UInt8]: Int] = [:]
            var order: [[UInt8]] = []
            for i in 0...(words.count - n) {
                let g = Array(words[i..<(i + n)].joined(separator: " ").utf8)
                if let k = count[g] { count[g] = k + 1 } else { count[g] = 1; order.append(g) }
            }
            var top = order[0]
            for g in order where count[g]! > count[top]! { top = g }
            let chars = String(decoding: top, as: UTF8.self).unicodeScalars.count
            if Double(chars * count[top]!) / len > frac { return .drop(reason: "top_\(n)_gram") }
        }
        for (n, frac) in f.dupNGrams {
            if Double(repeatedNGramCharacters(words, n: n)) / len > frac { return .drop(reason: "duplicated_\(n)_n_grams") }
        }
        return .keep
    }

    /// datatrove's `find_all_duplicate(words, n)`: characters of the n-grams (words joined with
    /// nothing) met again in a greedy left-to-right walk.
    static func repeatedNGramCharacters(_ words: [String], n: Int) -> Int {
        var seen = Set<[UInt8]>()
        var repeated = 0
        var idx = 0
        while idx < words.count - n + 1 {
            let g = words[idx..<(idx + n)].joined()
            if !seen.insert(Array(g.utf8)).inserted {
                repeated += g.unicodeScalars.count
                idx += n
            } else {
                idx += 1
            }
        }
        return repeated
    }

    /// `str.splitlines()`.
    static func splitlines(_ text: String) -> [String] {
        var out: [String] = []
        var cur = String.UnicodeScalarView()
        let s = scalars(text)
        var i = 0
        while i < s.count {
            let v = s[i].value
            if [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029].contains(v) {
                out.append(String(cur))
                cur = String.UnicodeScalarView()
                if v == 0x0D && i + 1 < s.count && s[i + 1] == "\n" { i += 1 }
            } else {
                cur.append(s[i])
            }
            i += 1
        }
        if !cur.isEmpty { out.append(String(cur)) }
        return out
    }

    static func gopherQuality(_ text: String, _ f: GopherQualityFilter, words: [String]) -> Verdict {
        let nWords = words.count
        let punct = DatatroveSets.punctuation
        let nonSymbol = words.filter { w in w.unicodeScalars.contains { !punct.contains($0.value) } }
        if let m = f.minDocWords, m != 0, nonSymbol.count < m { return .drop(reason: "gopher_short_doc") }
        if let m = f.maxDocWords, m != 0, nonSymbol.count > m { return .drop(reason: "gopher_long_doc") }
        if nonSymbol.isEmpty { return .drop(reason: "gopher_short_doc") }  // numpy's mean of nothing / division by zero
        let avg = Double(nonSymbol.map { $0.unicodeScalars.count }.reduce(0, +)) / Double(nonSymbol.count)
        if let m = enabled(f.minAvgWordLength), avg < m { return .drop(reason: "gopher_below_avg_threshold") }
        if let m = enabled(f.maxAvgWordLength), avg > m { return .drop(reason: "gopher_above_avg_threshold") }
        func count(_ needle: String) -> Int {
            let h = Array(text.utf8)
            let n = Array(needle.utf8)
            var k = 0
            var i = 0
            while i + n.count <= h.count {
                if Array(h[i..<(i + n.count)]) == n { k += 1; i += n.count } else { i += 1 }
            }
            return k
        }
        if let m = enabled(f.maxSymbolWordRatio), Double(count("#")) / Double(nWords) > m { return .drop(reason: "gopher_too_many_hashes") }
        if let m = enabled(f.maxSymbolWordRatio), Double(count("...") + count("…")) / Double(nWords) > m {
            return .drop(reason: "gopher_too_many_ellipsis")
        }
        let lines = splitlines(text)
        func lstrip(_ s: String) -> String { string(strip(scalars(s + "x")[...]).dropLast()) }
        func rstrip(_ s: String) -> String { string(strip(scalars("x" + s)[...]).dropFirst()) }
        if let m = enabled(f.maxBulletLinesRatio),
           Double(lines.filter { lstrip($0).hasPrefix("•") || lstrip($0).hasPrefix("-") }.count) / Double(lines.count) > m {
            return .drop(reason: "gopher_too_many_bullets")
        }
        if let m = enabled(f.maxEllipsisLinesRatio),
           Double(lines.filter { rstrip($0).hasSuffix("...") || rstrip($0).hasSuffix("…") }.count) / Double(lines.count) > m {
            return .drop(reason: "gopher_too_many_end_ellipsis")
        }
        if let m = enabled(f.maxNonAlphaWordsRatio),
           Double(words.filter { $0.unicodeScalars.contains { PythonText.isAlpha($0.value) } }.count) / Double(nWords) < m {
            return .drop(reason: "gopher_below_alpha_threshold")
        }
        if let m = f.minStopWords, m != 0 {
            let found = f.options.rules == .finewebV1
                ? words.filter { f.stopWords.contains($0) }.count
                : Set(words).intersection(f.stopWords).count
            if found < m { return .drop(reason: "gopher_enough_stop_words") }
        }
        return .keep
    }

    static func fineweb(_ text: String, _ f: FineWebQualityFilter, words: [String]) -> Verdict {
        let v1 = f.options.rules == .finewebV1
        let all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let lines = all.filter { !strip(scalars($0)[...]).isEmpty }
        let ratioLines = v1 ? all : lines
        if ratioLines.isEmpty { return .drop(reason: "empty") }
        var ratio = Double(ratioLines.filter { $0.unicodeScalars.last.map { f.stopChars.contains($0.value) } ?? false }.count)
            / Double(ratioLines.count)
        if (v1 ? ratio <= f.linePunctThr : ratio < f.linePunctThr) && !(ratio == 0 && f.linePunctExcludeZero) {
            return .drop(reason: "line_punct_ratio")
        }
        ratio = Double(ratioLines.filter { $0.unicodeScalars.count <= f.shortLineLength }.count) / Double(ratioLines.count)
        if v1 ? ratio >= f.shortLineThr : ratio > f.shortLineThr { return .drop(reason: "short_line_ratio") }
        let chars = text.unicodeScalars.filter { $0 != "\n" }.count
        ratio = chars > 0 ? Double(findDuplicates(lines).1) / Double(chars) : 0
        if v1 ? ratio >= f.charDuplicatesRatio : ratio > f.charDuplicatesRatio { return .drop(reason: "char_dup_ratio") }
        let newlines = text.unicodeScalars.filter { $0 == "\n" }.count
        if words.isEmpty || Double(newlines) / Double(words.count) > f.newLineRatio { return .drop(reason: "list_ratio") }
        return .keep
    }

    /// datatrove's C4QualityFilter with `split_paragraph` (lines) and spaCy sentences: the
    /// verdict and, when kept, the rewritten text.
    static func c4(_ text: String, _ f: C4QualityFilter) -> (Verdict, String) {
        let sentencizer = SpacyEnglishTokenizer()
        var numSentences = 0
        var kept: [String] = []
        for raw in splitlines(text) {
            let line0 = string(strip(scalars(raw)[...]))
            let words = line0.unicodeScalars.split(whereSeparator: isSpace)
            if f.maxWordLength != -1 && words.contains(where: { $0.count > f.maxWordLength }) { continue }
            var line = line0
            if f.removeCitations { line = removeCitations(line) }
            if f.filterNoTerminalPunct && (!(line.hasSuffixBytes(".") || line.hasSuffixBytes("?") || line.hasSuffixBytes("!")
                || line.hasSuffixBytes("\"") || line.hasSuffixBytes("'")) || line.hasSuffixBytes("...")) { continue }
            if words.count < f.minWordsPerLine { continue }
            let lower = string(line.unicodeScalars.map { ($0.value >= 0x41 && $0.value <= 0x5A) ? Unicode.Scalar($0.value + 0x20)! : $0 })
            if f.filterLoremIpsum && lower.containsBytes("lorem ipsum") { return (.drop(reason: "lorem_ipsum"), "") }
            if f.filterJavascript && lower.containsBytes("javascript") { continue }
            if f.filterCurlyBracket && line.containsBytes("{") { return (.drop(reason: "curly_bracket"), "") }
            if f.filterPolicy && ["terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"]
                .contains(where: { lower.containsBytes($0) }) { continue }
            if f.minNumSentences != -1 {
                var tokens: [TokenSpan] = []
                var l = line
                numSentences += l.withUTF8 { sentencizer.sentenceCount($0, 0..<$0.count, tokens: &tokens) }
            }
            kept.append(line)
        }
        if numSentences < f.minNumSentences { return (.drop(reason: "too_few_sentences"), "") }
        return (.keep, string(strip(scalars(kept.joined(separator: "\n"))[...])))
    }

    /// `\[\d*]|\[edit]|\[citation needed]` removed (ASCII digits suffice for the test texts).
    static func removeCitations(_ s: String) -> String {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        outer: while i < b.count {
            if b[i] == UInt8(ascii: "[") {
                for lit in ["[edit]", "[citation needed]"] {
                    let l = Array(lit.utf8)
                    if i + l.count <= b.count && Array(b[i..<(i + l.count)]) == l { i += l.count; continue outer }
                }
                var j = i + 1
                while j < b.count && b[j] >= 0x30 && b[j] <= 0x39 { j += 1 }
                if j < b.count && b[j] == UInt8(ascii: "]") { i = j + 1; continue }
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// Byte-wise suffix test (Python `endswith`, not Character equivalence).
    func hasSuffixBytes(_ s: String) -> Bool { Array(utf8).suffix(s.utf8.count) == ArraySlice(s.utf8) && utf8.count >= s.utf8.count }
    /// Byte-wise substring test (Python `in`).
    func containsBytes(_ s: String) -> Bool {
        let h = Array(utf8)
        let n = Array(s.utf8)
        guard n.count <= h.count else { return false }
        for i in 0...(h.count - n.count) where h[i] == n[0] && Array(h[i..<(i + n.count)]) == n { return true }
        return false
    }
}
