/// NLTK's `word_tokenize` for English, the tokenizer datatrove used when FineWeb was built
/// (`fineweb-v1` rules): Punkt sentence split, then the Treebank (NLTKWordTokenizer) rules.
///
/// Reproduced on whitespace-separated chunks: `?!;@#$%&*`, brackets, quotes (`"«“‘„»”’`), dashes
/// U+2012–U+2015, runs of 2+ dots and `--` become tokens; `,` and `:` split unless a digit follows;
/// clitics (`'s 'm 'd 'll 're 've n't`, any case) and `cannot`, `gonna`, `gotta`, `gimme`,
/// `lemme`, `wanna` split; a period is split only at the end of a sentence.
///
/// Approximations (documented in docs/benchmarks.md): Punkt's learned English model is replaced
/// by a rule (a sentence ends at `.`/`?`/`!` (+ closing quotes) before an uppercase letter, digit
/// or opening quote, or at the end of the text, unless the word is a known abbreviation, an
/// initial or dotted like `U.S.`); `"` is not rewritten to ``` `` ``` / `''` (tokens are byte
/// ranges of the original text, so lengths of quote tokens differ by one character).
public struct TreebankWordTokenizer: WordTokenizer {
    /// `nltk-treebank`.
    public var name: String { "nltk-treebank" }

    /// Creates the tokenizer.
    public init() {}

    static let abbreviations: Set<String> = [
        "mr", "mrs", "ms", "dr", "st", "vs", "etc", "jr", "sr", "prof", "inc", "ltd", "co", "corp", "no", "vol",
        "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gen", "gov",
        "sen", "rep", "rev", "mt", "ft", "approx", "dept", "est", "p", "pp", "cf", "al", "ed", "eds", "e.g", "i.e",
    ]

    public func tokenize(_ utf8: UnsafeBufferPointer<UInt8>, into tokens: inout [TokenSpan]) {
        tokens.removeAll(keepingCapacity: true)
        var chunks: [Range<Int>] = []
        PythonText.splitWhitespace(utf8, 0..<utf8.count, into: &chunks)
        for (k, c) in chunks.enumerated() {
            let endsSentence = k == chunks.count - 1 || Self.sentenceEnds(utf8, c, next: chunks[k + 1])
            chunk(utf8, c, endsSentence: endsSentence, into: &tokens)
        }
    }

    /// Byte offsets where sentences of `utf8[range]` start (the Punkt approximation).
    public func sentenceStarts(_ utf8: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into starts: inout [Int]) {
        starts.removeAll(keepingCapacity: true)
        var chunks: [Range<Int>] = []
        PythonText.splitWhitespace(utf8, range, into: &chunks)
        guard let first = chunks.first else { return }
        starts.append(first.lowerBound)
        for k in 0..<(chunks.count - 1) where Self.sentenceEnds(utf8, chunks[k], next: chunks[k + 1]) {
            starts.append(chunks[k + 1].lowerBound)
        }
    }

    @inline(__always) static func isClosing(_ v: UInt32) -> Bool {
        v == 0x22 || v == 0x27 || v == 0x29 || v == 0x5D || v == 0x7D || v == 0x3E || v == 0xBB || v == 0x201D || v == 0x2019
    }

    /// Whether a sentence ends after chunk `c` (Punkt approximation).
    static func sentenceEnds(_ u: UnsafeBufferPointer<UInt8>, _ c: Range<Int>, next: Range<Int>) -> Bool {
        var e = c.upperBound
        while e > c.lowerBound {
            let (v, l) = PythonText.decodeBefore(u, e)
            if !isClosing(v) { break }
            e -= l
        }
        guard e > c.lowerBound else { return false }
        let last = u[e - 1]
        guard last == 0x2E || last == 0x3F || last == 0x21 else { return false }
        let (nv, _) = PythonText.decode(u, next.lowerBound)
        var nextOK = (nv >= 0x30 && nv <= 0x39) || nv == 0x22 || nv == 0x27 || nv == 0x28 || nv == 0x5B || nv == 0x201C || nv == 0x2018
        if !nextOK, let s = Unicode.Scalar(nv) { nextOK = s.properties.isUppercase }
        guard nextOK else { return false }
        if last != 0x2E { return true }
        // the word before the period
        var s = c.lowerBound
        while s < e - 1 {
            let (v, l) = PythonText.decode(u, s)
            if PythonText.isAlpha(v) || (v >= 0x30 && v <= 0x39) { break }
            s += l
        }
        let word = String(decoding: UnsafeBufferPointer(rebasing: u[s..<(e - 1)]), as: UTF8.self).lowercased()
        if word.isEmpty { return true }
        if word.unicodeScalars.count == 1 && word.unicodeScalars.first!.properties.isAlphabetic { return false }
        if word.contains(".") { return false }
        return !abbreviations.contains(word)
    }

    static let contractionsTail: [[UInt8]] = ["'ll", "'re", "'ve", "n't", "'s", "'m", "'d"].map { Array($0.utf8) }

    private func chunk(_ u: UnsafeBufferPointer<UInt8>, _ c: Range<Int>, endsSentence: Bool, into out: inout [TokenSpan]) {
        // 1. cut into pieces at always-split characters
        var pieces: [Range<Int>] = []
        var i = c.lowerBound
        var start = i
        func flush(_ to: Int) { if start < to { pieces.append(start..<to) } }
        while i < c.upperBound {
            let (v, l) = PythonText.decode(u, i)
            var split = 0
            switch v {
            case 0x3F, 0x21, 0x3B, 0x40, 0x23, 0x24, 0x25, 0x26, 0x2A, 0x28, 0x29, 0x5B, 0x5D, 0x7B, 0x7D, 0x3C, 0x3E,
                0x22, 0xAB, 0xBB, 0x201C, 0x201D, 0x2018, 0x201E, 0x2012...0x2015:
                split = l
            case 0x60:
                var j = i
                while j < c.upperBound && u[j] == 0x60 { j += 1 }
                split = j - i
            case 0x2E:
                var j = i
                while j < c.upperBound && u[j] == 0x2E { j += 1 }
                if j - i >= 2 { split = j - i }
            case 0x2D:
                if i + 1 < c.upperBound && u[i + 1] == 0x2D { split = 2 }
            case 0x2C, 0x3A:
                let nextDigit = i + 1 < c.upperBound && u[i + 1] >= 0x30 && u[i + 1] <= 0x39
                if !nextDigit { split = 1 }
            case 0x2019:
                // ’ splits (ENDING_QUOTES) unless inside a word (treated as an apostrophe)
                split = l
            default: break
            }
            if split > 0 {
                flush(i)
                pieces.append(i..<(i + split))
                i += split
                start = i
            } else {
                i += l
            }
        }
        flush(c.upperBound)
        // 2. final period of the sentence: on the last piece that is not closing punctuation
        if endsSentence {
            var k = pieces.count - 1
            while k >= 0 {
                let p = pieces[k]
                let (v, _) = PythonText.decode(u, p.lowerBound)
                if p.count <= 3 && Self.isClosing(v) && PythonText.scalarCount(u, p) == 1 { k -= 1; continue }
                break
            }
            if k >= 0 {
                let p = pieces[k]
                if p.count >= 2 && u[p.upperBound - 1] == 0x2E && u[p.upperBound - 2] != 0x2E {
                    pieces[k] = p.lowerBound..<(p.upperBound - 1)
                    pieces.insert((p.upperBound - 1)..<p.upperBound, at: k + 1)
                }
            }
        }
        // 3. clitics and leading apostrophes on word pieces
        for p in pieces {
            var a = p.lowerBound
            var b = p.upperBound
            var tail: Range<Int>? = nil
            if u[a] == 0x27 && b - a > 1 {
                out.append(TokenSpan(a, a + 1))
                a += 1
            }
            for t in Self.contractionsTail where b - a > t.count {
                var ok = true
                for k in 0..<t.count {
                    var ch = u[b - t.count + k]
                    if ch >= 0x41 && ch <= 0x5A { ch |= 0x20 }
                    if ch != t[k] { ok = false; break }
                }
                if ok && u[b - t.count - 1] != 0x27 {
                    tail = (b - t.count)..<b
                    b -= t.count
                    break
                }
            }
            if tail == nil && b - a > 1 && u[b - 1] == 0x27 && u[b - 2] != 0x27 {
                tail = (b - 1)..<b
                b -= 1
            }
            // CONTRACTIONS2: cannot, gimme, gonna, gotta, lemme, wanna
            if tail == nil && (b - a == 6 || b - a == 5) {
                let w = String(decoding: UnsafeBufferPointer(rebasing: u[a..<b]), as: UTF8.self).lowercased()
                let cut: Int? = ["cannot": 3, "gimme": 3, "gonna": 3, "gotta": 3, "lemme": 3, "wanna": 3][w]
                if let cut {
                    out.append(TokenSpan(a, a + cut))
                    out.append(TokenSpan(a + cut, b))
                    a = b
                }
            }
            if a < b { out.append(TokenSpan(a, b)) }
            if let tail { out.append(TokenSpan(tail.lowerBound, tail.upperBound)) }
        }
    }
}

