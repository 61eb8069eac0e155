internal import CICUShim
import WinnowCore

/// spaCy's rule-based English tokenizer (`spacy.blank("en")`, spaCy 3.8), reimplemented over
/// UTF-8: what datatrove 0.10's `split_into_words(text, "eng")` returns.
///
/// The algorithm is spaCy's `Tokenizer`: text is cut at whitespace; each chunk is looked up in
/// the special cases (tokenizer exceptions: "don't" → "do", "n't"; "e.g."; emoticons), else
/// prefixes and suffixes are peeled off one at a time (re-checking special cases), the rest is
/// kept whole when it looks like a URL, else cut at infixes. The data (special cases and the
/// exact character classes of spaCy's prefix/suffix/infix/URL patterns) is generated from
/// spaCy into `SpacyEnglishTables.swift` by `bench/gen_spacy_en_tables.py`.
///
/// Not reproduced: spaCy's `faster_heuristics` special-case matcher that re-merges special
/// cases spanning affix splits (e.g. an emoticon glued to a word, `word:)`).
public struct SpacyEnglishTokenizer: WordTokenizer {
    /// `spacy-en`.
    public var name: String { "spacy-en" }

    /// Whether the shortcuts for common chunk shapes (a plain word, a word and one mark, the URL
    /// pattern only when infixes cut) are taken; off, every chunk goes through spaCy's general
    /// loop (the tests' reference for the shortcuts).
    var fastPaths: Bool

    /// Creates the tokenizer (the tables are shared and built once).
    public init() { fastPaths = Self.alnumHaveNoAffix }

    init(fastPaths: Bool) { self.fastPaths = fastPaths }

    /// Appends the tokens, without whitespace tokens.
    public func tokenize(_ utf8: UnsafeBufferPointer<UInt8>, into tokens: inout [TokenSpan]) {
        tokens.removeAll(keepingCapacity: true)
        var s = Scratch()
        run(utf8, includeSpaces: false, into: &tokens, scratch: &s)
    }

    /// Tokens as spaCy makes them, including its whitespace tokens (a whitespace run other than one
    /// single space after a token), which its sentencizer sees.
    public func tokenizeWithSpaces(_ utf8: UnsafeBufferPointer<UInt8>, into tokens: inout [TokenSpan]) {
        tokens.removeAll(keepingCapacity: true)
        var s = Scratch()
        run(utf8, includeSpaces: true, into: &tokens, scratch: &s)
    }

    /// The number of sentences spaCy's `sentencizer` finds in `utf8[range]` (datatrove's
    /// `len(split_into_sentences(line))`): one, plus one each time a token that is neither
    /// punctuation nor a sentence-final character follows a sentence-final character.
    public func sentenceCount(_ utf8: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, tokens: inout [TokenSpan]) -> Int {
        var starts: [Int] = []
        sentenceStarts(utf8, range, tokens: &tokens, into: &starts)
        return starts.count
    }

    /// Byte offsets (into `utf8`) where the sentencizer starts each sentence of `utf8[range]`.
    public func sentenceStarts(_ utf8: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, tokens: inout [TokenSpan], into starts: inout [Int]) {
        starts.removeAll(keepingCapacity: true)
        tokens.removeAll(keepingCapacity: true)
        var s = Scratch()
        let base = UnsafeBufferPointer(rebasing: utf8[range])
        run(base, includeSpaces: true, into: &tokens, scratch: &s)
        guard let first = tokens.first else { return }
        let t = SpacyEnglishTokenizer.tables
        starts.append(range.lowerBound + first.start)
        var seenPeriod = false
        for tok in tokens {
            let (v, l) = PythonText.decode(base, tok.start)
            let inPunctChars = tok.start + l == tok.end && t.sentencePunct.contains(v)
            var isPunct = true
            var i = tok.start
            while i < tok.end {
                let (w, m) = PythonText.decode(base, i)
                if !PythonText.isPunctuationCategory(w) { isPunct = false; break }
                i += m
            }
            if seenPeriod && !isPunct && !inPunctChars {
                starts.append(range.lowerBound + tok.start)
                seenPeriod = false
            } else if inPunctChars {
                seenPeriod = true
            }
        }
    }

    // MARK: - Scratch

    struct Scratch {
        /// The shared tables, read once per call instead of once per chunk.
        let tables = SpacyEnglishTokenizer.tables
        var sc: [UInt32] = []      // scalars of the current chunk
        var off: [Int] = []        // byte offset of each scalar, plus the end
        var prefixes: [(Int, Int)] = []
        var suffixes: [(Int, Int)] = []
        /// Spans written by `cicu_plain_words` (allocated on first use).
        var spans: [TokenSpan] = []
    }

    // MARK: - Whitespace split

    private func run(_ u: UnsafeBufferPointer<UInt8>, includeSpaces: Bool, into out: inout [TokenSpan], scratch s: inout Scratch) {
        let n = u.count
        var i = 0
        var start = 0
        var inWS = false
        while i < n {
            if !inWS {
                // Inside a chunk: ASCII bytes above the space are never whitespace.
                while i < n && u[i] > 0x20 && u[i] < 0x80 { i += 1 }
                if i == n { break }
                // One space between two chunks (the commonest boundary), followed by ASCII that is
                // not whitespace: the chunk ends and the next starts after the space, as the two
                // switches below would do (the space itself is never a token: it is spaCy's
                // separator, and a run of one space leaves an empty whitespace token out).
                if fastPaths && u[i] == 0x20 && i + 1 < n && u[i + 1] > 0x20 && u[i + 1] < 0x80 {
                    // This chunk and the plain words after it, each followed by one space, go in
                    // C while they can; a chunk C does not take goes the general way (one that
                    // ends in a mark, the commonest, without asking C).
                    let last = i > start ? u[i - 1] : 0
                    let mayBePlain = last &- 0x30 < 10 || (last | 0x20) &- 0x61 < 26
                    let taken = mayBePlain ? plainWords(u, from: start, into: &out, scratch: &s) : start
                    if taken == start {
                        if start < i { chunk(u, start, i, into: &out, scratch: &s) }
                        i = plainWords(u, from: i + 1, into: &out, scratch: &s)
                    } else {
                        i = taken
                    }
                    start = i
                    continue
                }
            }
            let (v, l) = PythonText.decode(u, i)
            let ws = PythonText.isSpace(v)
            if ws != inWS {
                if start < i {
                    if inWS {
                        if includeSpaces { out.append(TokenSpan(start, i)) }
                    } else {
                        chunk(u, start, i, into: &out, scratch: &s)
                    }
                }
                start = (v == 0x20) ? i + 1 : i
                inWS = !inWS
            }
            i += l
        }
        if start < n {
            if inWS {
                if includeSpaces { out.append(TokenSpan(start, n)) }
            } else {
                chunk(u, start, n, into: &out, scratch: &s)
            }
        }
    }

    /// Takes the stretch of plain words at `from`, each followed by one space (ASCII letters and
    /// digits that are no special case and no number ending in a unit: what ``chunk`` would keep
    /// whole), found 64 bytes at a time in C (`cicu_plain_words`); returns where the first chunk
    /// it did not take starts.
    private func plainWords(_ u: UnsafeBufferPointer<UInt8>, from: Int, into out: inout [TokenSpan], scratch s: inout Scratch) -> Int {
        guard let base = u.baseAddress, Self.spansAreInt64Pairs else { return from }
        let tables = s.tables.plainTables
        if s.spans.isEmpty { s.spans = Array(repeating: TokenSpan(0, 0), count: Self.plainBatch) }
        var at = from
        while true {
            var count = 0
            // The spans are appended straight from the buffer C wrote (an array slice would cost
            // a retain and release of the buffer per call).
            let next = s.spans.withUnsafeMutableBufferPointer { sp in
                let n = cicu_plain_words(
                    base, u.count, at, tables.pointer, UnsafeMutableRawPointer(sp.baseAddress!).assumingMemoryBound(to: Int64.self),
                    Self.plainBatch, &count)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: sp[0..<count]))
                return n
            }
            if count < Self.plainBatch { return next }
            at = next
        }
    }

    /// Spans taken from C per call.
    static let plainBatch = 256

    /// C writes each span as two 64-bit integers, start then end: ``TokenSpan``'s layout (checked
    /// once; were it ever different, the plain words would go the Swift way).
    static let spansAreInt64Pairs =
        MemoryLayout<TokenSpan>.stride == 16 && MemoryLayout<TokenSpan>.offset(of: \.start) == 0
        && MemoryLayout<TokenSpan>.offset(of: \.end) == 8

    /// Chooses `cicu_plain_words`'s code (tests): 0 byte by byte, 1 SSE2, -1 the best the CPU has.
    static func setPlainWordsISA(_ isa: Int32) { cicu_plain_words_set_isa(isa) }

    /// `cicu_plain_filter_bit` (tests: it must equal ``Tables/filterBit(_:_:_:)``).
    static func plainFilterBit(_ u: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Int {
        Int(cicu_plain_filter_bit(u.baseAddress!, a, b))
    }

    // MARK: - One chunk (spaCy's _tokenize: _split_affixes + _attach_tokens)

    private func chunk(_ u: UnsafeBufferPointer<UInt8>, _ bs: Int, _ be: Int, into out: inout [TokenSpan], scratch s: inout Scratch,
                       specials: Bool = true) {
        let firstToken = out.count
        if fastPaths && specials && be - bs >= 2 {
            switch wordAndMark(u, bs, be, into: &out, scratch: &s) {
            case .emitted:
                // `word` + mark, and the whole chunk is no special case: the matcher has nothing
                // to merge (its only run of two or more tokens is the chunk itself).
                return
            case .emittedSpecial:
                if out.count - firstToken >= 2 { applySpecialMatcher(u, &out, from: firstToken) }
                return
            case .notThisShape:
                break
            }
        }
        chunkAffixes(u, bs, be, into: &out, scratch: &s, specials: specials)
        if specials && out.count - firstToken >= 2 { applySpecialMatcher(u, &out, from: firstToken) }
    }

    enum WordAndMark { case emitted, emittedSpecial, notThisShape }

    /// Fast path for the commonest chunk after a plain word: ASCII letters and one trailing ASCII
    /// mark that spaCy splits off as a suffix (`word,` `word.` `word)`), where the general loop
    /// below would peel exactly that mark and keep the letters whole. With letters only before
    /// the mark, no prefix applies (no ASCII letter starts one, ``lettersHaveNoAffix``, and `$`,
    /// which `A$`/`C$`/`US$` need, is not taken), no unit suffix applies (no digit), and the
    /// mark's suffix rule looks at most two scalars back, so ``findSuffix`` of the last three
    /// scalars decides as it would over the chunk.
    private func wordAndMark(_ u: UnsafeBufferPointer<UInt8>, _ bs: Int, _ be: Int, into out: inout [TokenSpan],
                             scratch s: inout Scratch) -> WordAndMark {
        let last = u[be - 1]
        guard last < 0x80 && last != 0x24 else { return .notThisShape }
        let lc = last | 0x20
        if (lc >= 0x61 && lc <= 0x7A) || (last >= 0x30 && last <= 0x39) { return .notThisShape }
        var hasDigit = false
        for i in bs..<(be - 1) {
            let c = u[i]
            if c >= 0x30 && c <= 0x39 { hasDigit = true; continue }
            let l = c | 0x20
            if !(l >= 0x61 && l <= 0x7A) { return .notThisShape }
        }
        // With a digit, a unit could end the word ("5km,") or the chunk (a unit mark after a
        // digit further back than findSuffix's window): those go the general way.
        if hasDigit {
            let t = s.tables
            guard !t.unitLast.contains(UInt32(u[be - 2])), !t.unitLast.contains(UInt32(last)) else { return .notThisShape }
        }
        s.sc.removeAll(keepingCapacity: true)
        if be - bs >= 3 { s.sc.append(UInt32(u[be - 3])) }
        s.sc.append(UInt32(u[be - 2]))
        s.sc.append(UInt32(last))
        guard findSuffix(s.sc, 0, s.sc.count) == 1 else { return .notThisShape }
        let t = s.tables
        if let k = t.special(u, bs, be) {
            emitSpecial(k, bs, into: &out)
            return .emittedSpecial
        }
        if let k = t.special(u, bs, be - 1) {
            emitSpecial(k, bs, into: &out)
            out.append(TokenSpan(be - 1, be))
            return .emittedSpecial
        }
        out.append(TokenSpan(bs, be - 1))
        out.append(TokenSpan(be - 1, be))
        return .emitted
    }

    /// No ASCII letter is a prefix, a suffix or an icon in spaCy's rules (checked once against
    /// the tables, so the fast paths stay exact if they change: without it they are off).
    static let lettersHaveNoAffix: Bool = noAffix(Array(UInt32(0x41)...0x5A) + Array(UInt32(0x61)...0x7A))
    /// The same for ASCII letters and digits.
    static let alnumHaveNoAffix: Bool = lettersHaveNoAffix && noAffix(Array(UInt32(0x30)...0x39))

    private static func noAffix(_ scalars: [UInt32]) -> Bool {
        let tok = SpacyEnglishTokenizer(fastPaths: false)
        for c in scalars where tok.findPrefix([c], 0, 1) != 0 || tok.findSuffix([c], 0, 1) != 0 || tables.icons.contains(c) {
            return false
        }
        return true
    }

    private func chunkAffixes(_ u: UnsafeBufferPointer<UInt8>, _ bs: Int, _ be: Int, into out: inout [TokenSpan],
                              scratch s: inout Scratch, specials: Bool) {
        let t = s.tables
        // Fast path: a plain ASCII lowercase/uppercase word with no affix characters.
        var plain = true
        for i in bs..<be {
            let c = u[i]
            if !((c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39)) { plain = false; break }
        }
        if plain && be - bs > 0 && fastPaths {
            if specials, let k = t.special(u, bs, be) { emitSpecial(k, bs, into: &out); return }
            // A plain alphanumeric word is one token unless it ends in a unit after a digit
            // ("5km"): no ASCII letter or digit is an affix or starts an infix, and a URL match
            // would keep it whole too.
            var hasDigit = false
            for i in bs..<be where u[i] >= 0x30 && u[i] <= 0x39 { hasDigit = true; break }
            if !hasDigit || !t.unitLast.contains(UInt32(u[be - 1])) {
                out.append(TokenSpan(bs, be))
                return
            }
        }
        if specials, let k = t.special(u, bs, be) { emitSpecial(k, bs, into: &out); return }

        s.sc.removeAll(keepingCapacity: true)
        s.off.removeAll(keepingCapacity: true)
        var i = bs
        while i < be {
            let (v, l) = PythonText.decode(u, i)
            s.sc.append(v)
            s.off.append(i)
            i += l
        }
        s.off.append(be)
        s.prefixes.removeAll(keepingCapacity: true)
        s.suffixes.removeAll(keepingCapacity: true)

        var a = 0
        var b = s.sc.count
        var lastSize = -1
        func isSpecial(_ x: Int, _ y: Int) -> Bool { specials && t.special(u, s.off[x], s.off[y]) != nil }
        while a < b && b - a != lastSize {
            if isSpecial(a, b) { break }
            lastSize = b - a
            let pre = findPrefix(s.sc, a, b)
            if pre != 0 && a + pre < b && isSpecial(a + pre, b) {
                s.prefixes.append((a, a + pre))
                a += pre
                break
            }
            let suf = findSuffix(s.sc, a + pre, b)
            if suf != 0 && b - suf > a && isSpecial(a, b - suf) {
                s.suffixes.append((b - suf, b))
                b -= suf
                break
            }
            if pre != 0 && suf != 0 && pre + suf <= b - a {
                s.prefixes.append((a, a + pre))
                s.suffixes.append((b - suf, b))
                a += pre
                b -= suf
            } else if pre != 0 {
                s.prefixes.append((a, a + pre))
                a += pre
            } else if suf != 0 {
                s.suffixes.append((b - suf, b))
                b -= suf
            }
            if a < b && isSpecial(a, b) { break }
        }
        for (x, y) in s.prefixes { out.append(TokenSpan(s.off[x], s.off[y])) }
        if a < b {
            if specials, let k = t.special(u, s.off[a], s.off[b]) {
                emitSpecial(k, s.off[a], into: &out)
            } else {
                // A URL stays whole, else infixes cut it (finditer: leftmost, alternatives in
                // order; one at the very start is skipped). Without an infix cut both give the
                // whole, so the URL pattern is tried only when there is a cut.
                let before = out.count
                var start = a
                var p = a
                while p < b {
                    if let len = infix(s.sc, a, b, p) {
                        if p != a {
                            if p != start { out.append(TokenSpan(s.off[start], s.off[p])) }
                            out.append(TokenSpan(s.off[p], s.off[p + len]))
                            start = p + len
                        }
                        p += len
                    } else {
                        p += 1
                    }
                }
                if start < b { out.append(TokenSpan(s.off[start], s.off[b])) }
                if (out.count - before > 1 || !fastPaths) && SpacyEnglishTokenizer.urlMatch(s.sc, a, b) {
                    out.removeSubrange(before...)
                    out.append(TokenSpan(s.off[a], s.off[b]))
                }
            }
        }
        for (x, y) in s.suffixes.reversed() { out.append(TokenSpan(s.off[x], s.off[y])) }
    }

    @inline(__always)
    private func emitSpecial(_ k: Int, _ start: Int, into out: inout [TokenSpan]) {
        var p = start
        for len in SpacyEnglishTokenizer.tables.specialPieces[k] {
            out.append(TokenSpan(p, p + len))
            p += len
        }
    }

    // MARK: - Special-case matcher (spaCy's _apply_special_cases)

    /// spaCy re-merges token runs that spell a special case containing affix characters (e.g.
    /// `''`, `s.` split off a longer chunk): runs whose tokens equal the special case's own
    /// affix-only tokenisation are replaced by the special case, longest first, then leftmost.
    private func applySpecialMatcher(_ u: UnsafeBufferPointer<UInt8>, _ out: inout [TokenSpan], from first: Int) {
        let m = SpacyEnglishTokenizer.matcher
        let t = SpacyEnglishTokenizer.tables
        var matches: [(start: Int, end: Int, key: Int)] = []
        let n = out.count
        for i in first..<n {
            var j = i + 1
            while j <= n && j - i <= m.maxTokens && out[j - 1].end - out[i].start <= m.maxBytes {
                if j - i >= 2, let k = t.special(u, out[i].start, out[j - 1].end), let pattern = m.patterns[k] {
                    var ok = pattern.count == j - i
                    if ok {
                        for q in 0..<pattern.count where out[i + q].end - out[i + q].start != pattern[q] { ok = false; break }
                    }
                    if ok { matches.append((i, j, k)) }
                }
                j += 1
            }
        }
        guard !matches.isEmpty else { return }
        matches.sort { ($0.end - $0.start, -$0.start) > ($1.end - $1.start, -$1.start) }
        var seen = Set<Int>()
        var chosen: [(start: Int, end: Int, key: Int)] = []
        for mt in matches {
            if !seen.contains(mt.start) && !seen.contains(mt.end - 1) { chosen.append(mt) }
            for q in mt.start..<mt.end { seen.insert(q) }
        }
        chosen.sort { $0.start < $1.start }
        var rebuilt = Array(out[first..<n])
        var result: [TokenSpan] = []
        var i = 0
        var c = 0
        while i < rebuilt.count {
            if c < chosen.count && chosen[c].start - first == i {
                emitSpecial(chosen[c].key, rebuilt[i].start, into: &result)
                i += chosen[c].end - chosen[c].start
                c += 1
            } else {
                result.append(rebuilt[i])
                i += 1
            }
        }
        rebuilt.removeAll()
        out.removeSubrange(first..<n)
        out.append(contentsOf: result)
    }

    /// Special cases that contain affixes, with their affix-only tokenisation (piece lengths).
    struct Matcher: Sendable {
        let patterns: [Int: [Int]]
        let maxTokens: Int
        let maxBytes: Int
    }

    static let matcher: Matcher = {
        let t = tables
        let tok = SpacyEnglishTokenizer()
        var patterns: [Int: [Int]] = [:]
        var maxTokens = 1
        var maxBytes = 1
        for (k, key) in t.specialKeys.enumerated() {
            key.withUnsafeBufferPointer { u in
                var toks: [TokenSpan] = []
                var s = Scratch()
                tok.chunkAffixes(u, 0, u.count, into: &toks, scratch: &s, specials: false)
                if toks.count >= 2 {
                    patterns[k] = toks.map { $0.end - $0.start }
                    maxTokens = max(maxTokens, toks.count)
                    maxBytes = max(maxBytes, u.count)
                }
            }
        }
        return Matcher(patterns: patterns, maxTokens: maxTokens, maxBytes: maxBytes)
    }()

    // MARK: - Affix rules

    @inline(__always) static func isDigit(_ v: UInt32) -> Bool { v >= 0x30 && v <= 0x39 }

    /// Length (in scalars) of the prefix at `a`, 0 if none (spaCy's ordered `^…` alternatives).
    func findPrefix(_ sc: [UInt32], _ a: Int, _ b: Int) -> Int {
        guard a < b else { return 0 }
        let t = SpacyEnglishTokenizer.tables
        let c = sc[a]
        switch c {
        case 0x2E:  // \.\.+
            var j = a + 1
            while j < b && sc[j] == 0x2E { j += 1 }
            return j - a >= 2 ? j - a : 0
        case 0x2B:  // \+(?![0-9])
            return (a + 1 < b && Self.isDigit(sc[a + 1])) ? 0 : 1
        case 0xA7, 0x25, 0x3D, 0x2014, 0x2013:  // § % = — –
            return 1
        case 0x55:  // US$
            return (a + 2 < b && sc[a + 1] == 0x53 && sc[a + 2] == 0x24) ? 3 : 0
        case 0x43, 0x41:  // C$ A$
            return (a + 1 < b && sc[a + 1] == 0x24) ? 2 : 0
        default:
            if t.punctSingles.contains(c) || t.currencySingles.contains(c) { return 1 }
            if t.icons.contains(c) { return 1 }
            return 0
        }
    }

    /// Length of the suffix ending at `b`, 0 if none: the longest alternative that matches to the
    /// end (spaCy's `re.search` of `…$` alternatives returns the leftmost, i.e. longest, match).
    func findSuffix(_ sc: [UInt32], _ a: Int, _ b: Int) -> Int {
        let n = b - a
        guard n > 0 else { return 0 }
        let t = SpacyEnglishTokenizer.tables
        let last = sc[b - 1]
        var best = 0
        if last == 0x2E {
            var j = b - 1
            while j > a && sc[j - 1] == 0x2E { j -= 1 }
            if b - j >= 2 { best = b - j }
        }
        if n >= 2 && last == 0x2026 && sc[b - 2] == 0x2026 { best = max(best, 2) }
        if n >= 2 && (last == 0x73 || last == 0x53) && (sc[b - 2] == 0x27 || sc[b - 2] == 0x2019) { best = max(best, 2) }
        // (?<=[0-9])(currency|unit)$ — only possible when the chunk has a digit before its last scalar
        var digitBefore = false
        if t.unitLast.contains(last) {
            for k in a..<(b - 1) where Self.isDigit(sc[k]) { digitBefore = true; break }
        }
        // Only when a digit can precede a unit: the list has over a hundred entries, and a
        // `where` on the loop would still walk all of them for every chunk.
        if digitBefore {
            for unit in t.unitScalars where unit.count + 1 <= n && unit.count > best {
                let s = b - unit.count
                if Self.isDigit(sc[s - 1]) {
                    var ok = true
                    for k in 0..<unit.count where sc[s + k] != unit[k] { ok = false; break }
                    if ok { best = unit.count }
                }
            }
        }
        if best >= 1 { return best }
        if t.punctSingles.contains(last) || t.icons.contains(last) || last == 0x2014 || last == 0x2013 { return 1 }
        if last == 0x2B && n >= 2 && Self.isDigit(sc[b - 2]) { return 1 }
        if last == 0x2E && n >= 2 {
            let p = sc[b - 2]
            if t.periodSuffixAfter.contains(p) || Self.isDigit(p) { return 1 }
            if n >= 3 {
                let q = sc[b - 3]
                if q == 0xB0 && (p == 0x46 || p == 0x66 || p == 0x43 || p == 0x63 || p == 0x4B || p == 0x6B) { return 1 }
                if t.alphaUpper.contains(q) && t.alphaUpper.contains(p) { return 1 }
            }
        }
        return 0
    }

    /// Length of an infix starting at `p` in `sc[a..<b]`, nil if none (alternatives in spaCy's order).
    func infix(_ sc: [UInt32], _ a: Int, _ b: Int, _ p: Int) -> Int? {
        let c = sc[p]
        // ASCII letters and digits never start an infix
        if c < 0x80 && ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || (c >= 0x30 && c <= 0x39)) { return nil }
        let t = SpacyEnglishTokenizer.tables
        if c == 0x2E && p + 1 < b && sc[p + 1] == 0x2E {
            var j = p + 1
            while j < b && sc[j] == 0x2E { j += 1 }
            return j - p
        }
        if c == 0x2026 { return 1 }
        if t.icons.contains(c) { return 1 }
        guard p > a else { return nil }
        let prev = sc[p - 1]
        let next: UInt32? = p + 1 < b ? sc[p + 1] : nil
        // (?<=[0-9])[+\-\*^](?=[0-9-])
        if Self.isDigit(prev) && (c == 0x2B || c == 0x2D || c == 0x2A || c == 0x5E),
            let nx = next, Self.isDigit(nx) || nx == 0x2D
        {
            return 1
        }
        // (?<=[{al}{q}])\.(?=[{au}{q}])
        if c == 0x2E, let nx = next, t.periodInfixBefore.contains(prev), t.periodInfixAfter.contains(nx) { return 1 }
        let prevAlpha = t.alpha.contains(prev)
        // (?<=[{a}]),(?=[{a}])
        if c == 0x2C, prevAlpha, let nx = next, t.alpha.contains(nx) { return 1 }
        let prevAlnum = prevAlpha || Self.isDigit(prev)
        guard prevAlnum else { return nil }
        // (?<=[{a}0-9])(?:-|–|—|--|---|——|~)(?=[{a}])
        for h in SpacyEnglishTokenizer.hyphens where p + h.count < b {
            var ok = true
            for k in 0..<h.count where sc[p + k] != h[k] { ok = false; break }
            if ok && t.alpha.contains(sc[p + h.count]) { return h.count }
        }
        // (?<=[{a}0-9])[:<>=/](?=[{a}])
        if c == 0x3A || c == 0x3C || c == 0x3E || c == 0x3D || c == 0x2F, let nx = next, t.alpha.contains(nx) { return 1 }
        return nil
    }

    static let hyphens: [[UInt32]] = [[0x2D], [0x2013], [0x2014], [0x2D, 0x2D], [0x2D, 0x2D, 0x2D], [0x2014, 0x2014], [0x7E]]

    // MARK: - Tables

    static let tables = Tables()

    final class Tables: Sendable {
        let alpha: ScalarSet
        let alphaLower: ScalarSet
        let alphaUpper: ScalarSet
        let icons: ScalarSet
        let periodSuffixAfter: ScalarSet
        let periodInfixBefore: ScalarSet
        let periodInfixAfter: ScalarSet
        let punctSingles: ScalarSet
        let currencySingles: ScalarSet
        let sentencePunct: ScalarSet
        /// Currency symbols and units as scalars, longest first.
        let unitScalars: [[UInt32]]
        /// Last scalars of the units and currency symbols.
        let unitLast: ScalarSet
        /// Bit L of entry B: some special case is L bytes long and starts with byte B (L < 64).
        let firstByteLengths: [UInt64]
        /// Bit L of entry B: some special case is L bytes long and ends with byte B (L < 64).
        let lastByteLengths: [UInt64]
        /// The special cases by the xxHash of their bytes: open addressing over (hash, index + 1)
        /// pairs (0: empty), a power of two at least twice their number (no SipHash per lookup).
        let specialSlots: [(hash: UInt64, index: Int)]
        /// A one-hash Bloom filter of the special cases (``filterBit``): most words are turned
        /// away here, before the xxHash and the probe into the larger slot table.
        let specialFilter: [UInt64]
        let specialKeys: [[UInt8]]
        let specialPieces: [[Int]]
        /// The same filters, and the ASCII unit ends, for `cicu_plain_words`.
        let plainTables: PlainTables

        init() {
            alpha = ScalarSet(SpacyEnglishTables.alpha)
            alphaLower = ScalarSet(SpacyEnglishTables.alphaLower)
            alphaUpper = ScalarSet(SpacyEnglishTables.alphaUpper)
            icons = ScalarSet(SpacyEnglishTables.icons)
            periodSuffixAfter = ScalarSet(SpacyEnglishTables.periodSuffixAfter)
            periodInfixBefore = ScalarSet(SpacyEnglishTables.periodInfixBefore)
            periodInfixAfter = ScalarSet(SpacyEnglishTables.periodInfixAfter)
            punctSingles = ScalarSet(values: SpacyEnglishTables.punctSingles)
            currencySingles = ScalarSet(values: SpacyEnglishTables.currency.filter { $0.unicodeScalars.count == 1 }.map { $0.unicodeScalars.first!.value })
            sentencePunct = ScalarSet(values: SpacyEnglishTables.sentencePunct)
            let units = Set(SpacyEnglishTables.units + SpacyEnglishTables.currency)
            unitScalars = units.map { $0.unicodeScalars.map(\.value) }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
            unitLast = ScalarSet(values: unitScalars.compactMap(\.last))
            var index: [UInt64: Int] = [:]
            var keys: [[UInt8]] = []
            var pieces: [[Int]] = []
            for line in SpacyEnglishTables.specialCases.split(separator: "\n", omittingEmptySubsequences: true) {
                let parts = line.split(separator: "\u{1}", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { continue }
                let key = Array(parts[0].utf8)
                let ps = parts[1].split(separator: "\u{2}", omittingEmptySubsequences: false).map { $0.utf8.count }
                let h = key.withUnsafeBytes { StableHash.xxh64($0) }
                if index[h] != nil { continue }
                index[h] = keys.count
                keys.append(key)
                pieces.append(ps)
            }
            var cap = 16
            while cap < index.count * 2 { cap <<= 1 }
            var slots = [(hash: UInt64, index: Int)](repeating: (0, 0), count: cap)
            for (h, k) in index {
                var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & (cap - 1)
                while slots[i].index != 0 { i = (i + 1) & (cap - 1) }
                slots[i] = (h, k + 1)
            }
            specialSlots = slots
            var fbl = [UInt64](repeating: 0, count: 256)
            var lbl = [UInt64](repeating: 0, count: 256)
            for k in keys where k.count < 64 {
                fbl[Int(k[0])] |= 1 << UInt64(k.count)
                lbl[Int(k[k.count - 1])] |= 1 << UInt64(k.count)
            }
            firstByteLengths = fbl
            lastByteLengths = lbl
            var filter = [UInt64](repeating: 0, count: 1 << (Self.filterBits - 6))
            for k in keys where !k.isEmpty {
                k.withUnsafeBufferPointer { b in
                    let bit = Self.filterBit(b, 0, b.count)
                    filter[bit >> 6] |= 1 << UInt64(bit & 63)
                }
            }
            specialFilter = filter
            specialKeys = keys
            specialPieces = pieces
            plainTables = PlainTables(firstLengths: fbl, lastLengths: lbl, filter: filter, unitLast: unitLast)
        }

        /// Bits of ``specialFilter``'s index (2^16 bits, 8 KB: stays in L1).
        static let filterBits = 16

        /// The filter bit of the non-empty `u[a..<b]`: its length, first two and last two bytes, mixed.
        @inline(__always)
        static func filterBit(_ u: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Int {
            let len = b - a
            var x = UInt64(len) | UInt64(u[a]) << 8 | UInt64(u[b - 1]) << 16
            if len > 1 { x |= UInt64(u[a + 1]) << 24 | UInt64(u[b - 2]) << 32 }
            x = (x ^ (x >> 29)) &* 0xBF58_476D_1CE4_E5B9
            return Int(truncatingIfNeeded: x >> UInt64(64 - filterBits))
        }

        /// The special case equal to `u[a..<b]`, if any.
        @inline(__always)
        func special(_ u: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Int? {
            let len = b - a
            guard len > 0 && len < 64, firstByteLengths[Int(u[a])] & (1 << UInt64(len)) != 0,
                  lastByteLengths[Int(u[b - 1])] & (1 << UInt64(len)) != 0 else { return nil }
            let bit = Self.filterBit(u, a, b)
            guard specialFilter[bit >> 6] & (1 << UInt64(bit & 63)) != 0 else { return nil }
            let h = StableHash.xxh64(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(u)[a..<b]))
            let mask = specialSlots.count - 1
            var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
            var found = 0
            while specialSlots[i].index != 0 {
                if specialSlots[i].hash == h { found = specialSlots[i].index; break }
                i = (i + 1) & mask
            }
            guard found != 0 else { return nil }
            let k = found - 1
            let key = specialKeys[k]
            guard key.count == len else { return nil }
            for i in 0..<len where key[i] != u[a + i] { return nil }
            return k
        }
    }
}

/// A set of code points given as sorted inclusive ranges, with an ASCII bitmap.
struct ScalarSet: Sendable {
    private let ascii: (UInt64, UInt64)
    private let bounds: [UInt32]

    /// The set of the given code points (any order, repeats allowed).
    init(values: some Sequence<UInt32>) {
        var pairs: [UInt32] = []
        for v in Set(values).sorted() {
            if let last = pairs.last, last &+ 1 == v { pairs[pairs.count - 1] = v } else { pairs += [v, v] }
        }
        self.init(pairs)
    }

    init(_ pairs: [UInt32]) {
        bounds = pairs
        var lo: UInt64 = 0
        var hi: UInt64 = 0
        var i = 0
        while i + 1 < pairs.count {
            var v = pairs[i]
            while v <= pairs[i + 1] && v < 128 {
                if v < 64 { lo |= 1 << UInt64(v) } else { hi |= 1 << UInt64(v - 64) }
                v += 1
            }
            i += 2
        }
        ascii = (lo, hi)
    }

    @inline(__always) func contains(_ v: UInt32) -> Bool {
        if v < 64 { return ascii.0 & (1 << UInt64(v)) != 0 }
        if v < 128 { return ascii.1 & (1 << UInt64(v - 64)) != 0 }
        // binary search for the last range start ≤ v
        var lo = 0
        var hi = bounds.count / 2
        while lo < hi {
            let mid = (lo + hi) / 2
            if bounds[2 * mid] <= v { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return false }
        return v <= bounds[2 * (lo - 1) + 1]
    }
}

/// `cicu_plain_words`'s tables: copies of the special-case filters that live as long as the
/// process (the tokenizer's tables are built once and never freed).
struct PlainTables: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<cicu_plain_tables>

    init(firstLengths: [UInt64], lastLengths: [UInt64], filter: [UInt64], unitLast: ScalarSet) {
        func copy(_ a: [UInt64]) -> UnsafePointer<UInt64> {
            let p = UnsafeMutablePointer<UInt64>.allocate(capacity: a.count)
            p.initialize(from: a, count: a.count)
            return UnsafePointer(p)
        }
        var units: (UInt64, UInt64) = (0, 0)
        for b in 0..<128 where unitLast.contains(UInt32(b)) {
            if b < 64 { units.0 |= 1 << UInt64(b) } else { units.1 |= 1 << UInt64(b - 64) }
        }
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: cicu_plain_tables(
            first_lengths: copy(firstLengths), last_lengths: copy(lastLengths), filter: copy(filter), unit_last: units))
    }
}
