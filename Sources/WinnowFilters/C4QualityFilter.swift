import WinnowCore
import WinnowText
internal import CICUShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// C4's line and page rules (Raffel et al. 2020), as datatrove's `C4QualityFilter`: a transformer
/// that keeps only good lines and drops pages with too few sentences, "lorem ipsum" or `{`.
///
/// Per line (`str.splitlines()`, stripped): a word (whitespace-separated) over `max_word_length`
/// code points drops the line; Wikipedia citations (`[1]`, `[edit]`, `[citation needed]`) are
/// removed; a line not ending in `. ? ! " '` (or ending in `...`) is dropped; fewer than
/// `min_words_per_line` words (counted before citation removal) drops it; "javascript" and
/// cookie/terms-of-use phrases drop it. Kept lines are joined with `\n`; sentences are counted on
/// kept lines with the rule set's sentence splitter (spaCy's sentencizer for `current`).
public struct C4QualityFilter: Transformer, RegisteredStage {
    /// The stage name.
    public var name: String { "c4_quality" }
    /// Split the page into lines (true, as C4) or into sentences.
    public var splitParagraph = true
    /// Remove `[1]`, `[edit]`, `[citation needed]`.
    public var removeCitations = true
    /// Drop lines without terminal punctuation.
    public var filterNoTerminalPunct = true
    /// Minimum sentences on the page after line filtering; -1 disables.
    public var minNumSentences = 5
    /// Minimum words per line; -1 disables.
    public var minWordsPerLine = 3
    /// Maximum word length in code points; -1 disables.
    public var maxWordLength = 1000
    /// Drop pages containing "lorem ipsum".
    public var filterLoremIpsum = true
    /// Drop lines mentioning "javascript".
    public var filterJavascript = true
    /// Drop pages containing `{`.
    public var filterCurlyBracket = true
    /// Drop lines with cookie / terms-of-use phrases.
    public var filterPolicy = true
    let options: RuleOptions

    /// Creates the filter with datatrove's defaults under the given rule set.
    public init(rules: QualityRuleSet = .current) {
        self.options = .defaults(rules)
    }

    init(options: RuleOptions) {
        self.options = options
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "c4_quality", kind: .transformer,
        summary: "C4 line and page rules (datatrove C4QualityFilter). Rewrites the text to its kept lines; drops pages with too few sentences, \"lorem ipsum\" or a curly bracket.",
        parameters: [
            ParameterSpec("split_paragraph", "bool", default: "true", "work on lines (true) or on sentences (false; kept sentences joined by a space)"),
            ParameterSpec("remove_citations", "bool", default: "true", "remove `[1]`, `[edit]`, `[citation needed]`"),
            ParameterSpec("filter_no_terminal_punct", "bool", default: "true", "drop lines not ending in `. ? ! \" '` or ending in `...` (FineWeb sets false)"),
            ParameterSpec("min_num_sentences", "int", default: "5", "minimum sentences in kept lines; -1 disables"),
            ParameterSpec("min_words_per_line", "int", default: "3", "minimum words per line; -1 disables"),
            ParameterSpec("max_word_length", "int", default: "1000", "drop lines with a longer word (code points); -1 disables"),
            ParameterSpec("filter_lorem_ipsum", "bool", default: "true", "drop pages containing \"lorem ipsum\""),
            ParameterSpec("filter_javascript", "bool", default: "true", "drop lines containing \"javascript\""),
            ParameterSpec("filter_curly_bracket", "bool", default: "true", "drop pages containing `{`"),
            ParameterSpec("filter_policy", "bool", default: "true", "drop lines with terms-of-use / privacy / cookie phrases"),
        ] + RuleOptions.specs,
        dropReasons: ["lorem_ipsum", "curly_bracket", "too_few_sentences"],
        make: { p in
            var f = C4QualityFilter(options: try RuleOptions.read(p))
            f.splitParagraph = try p.bool("split_paragraph", default: true)
            f.removeCitations = try p.bool("remove_citations", default: true)
            f.filterNoTerminalPunct = try p.bool("filter_no_terminal_punct", default: true)
            f.minNumSentences = try p.int("min_num_sentences", default: 5, min: -1) ?? 5
            f.minWordsPerLine = try p.int("min_words_per_line", default: 3, min: -1) ?? 3
            f.maxWordLength = try p.int("max_word_length", default: 1000, min: -1) ?? 1000
            f.filterLoremIpsum = try p.bool("filter_lorem_ipsum", default: true)
            f.filterJavascript = try p.bool("filter_javascript", default: true)
            f.filterCurlyBracket = try p.bool("filter_curly_bracket", default: true)
            f.filterPolicy = try p.bool("filter_policy", default: true)
            return f
        })

    static let policy: [[UInt8]] = [
        "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies",
    ].map { Array($0.utf8) }
    /// Each policy phrase's first two bytes (first << 8 | second).
    static let policyHeads: [UInt16] = policy.map { UInt16($0[0]) << 8 | UInt16($0[1]) }
    static let lorem = Array("lorem ipsum".utf8)
    static let javascript = Array("javascript".utf8)
    static let loremHead = UInt16(lorem[0]) << 8 | UInt16(lorem[1])
    static let javascriptHead = UInt16(javascript[0]) << 8 | UInt16(javascript[1])
    /// The distinct first-two-letter heads of every phrase (at most 8: ``cicu_find_bigram``).
    static let allHeads: [UInt16] = {
        var heads: [UInt16] = []
        for h in [loremHead, javascriptHead] + policyHeads where !heads.contains(h) { heads.append(h) }
        precondition(heads.count <= 8)
        return heads
    }()
    static let ellipsis = Array("...".utf8)

    /// Rewrites the text to its kept lines, or drops the page. A page whose kept lines are the
    /// whole text, unchanged, keeps its String (no copy, and the next stage's token cache still
    /// matches it).
    public func transform(_ document: inout Document, context: StageContext) -> Verdict {
        let s = context.local("c4_quality.scratch") { RuleScratch() }
        var out = s.bytes
        s.bytes = []
        defer { s.bytes = out }
        let (v, rewrite) = document.text.withBytes { apply(utf8: $0, scratch: s, out: &out) }
        guard v == .keep else { return v }
        switch rewrite {
        case .same: break
        case .slice(let r):
            document.text = document.text.withBytes { String(decoding: UnsafeBufferPointer(rebasing: $0[r]), as: UTF8.self) }
        case .bytes(let r):
            document.text = out.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[r]), as: UTF8.self) }
        }
        return v
    }

    /// The rewritten text of a kept page.
    enum Rewrite: Equatable {
        /// The input text itself.
        case same
        /// A byte range of the input.
        case slice(Range<Int>)
        /// A byte range of the output buffer.
        case bytes(Range<Int>)
    }

    /// The units the page is split into: lines, or sentences.
    func units(_ u: UnsafeBufferPointer<UInt8>, _ s: RuleScratch) -> [Range<Int>] {
        if splitParagraph {
            PythonText.splitLines(u, into: &s.lines)
            return s.lines
        }
        var starts: [Int] = []
        sentenceStarts(u, 0..<u.count, s, into: &starts)
        guard !starts.isEmpty else { return [] }
        // datatrove cuts at sentence ends: piece k runs from the end of sentence k-1 to the end of
        // sentence k; after strip() that equals cutting at sentence starts.
        var r: [Range<Int>] = []
        var a = 0
        for b in starts.dropFirst() {
            r.append(a..<b)
            a = b
        }
        r.append(a..<u.count)
        return r
    }

    func sentenceStarts(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ s: RuleScratch, into starts: inout [Int]) {
        if let t = options.tokenizer as? TreebankWordTokenizer {
            t.sentenceStarts(u, range, into: &starts)
        } else {
            SpacyEnglishTokenizer().sentenceStarts(u, range, tokens: &s.tokens2, into: &starts)
        }
    }

    /// The page's verdict and, when kept, its text: datatrove's line loop, with the sentences
    /// counted only until `min_num_sentences` is reached (the page-level check needs no more)
    /// and the output written only from the first kept line that does not continue the input
    /// verbatim (`out` is untouched while the kept lines reproduce the input).
    func apply(utf8 u: UnsafeBufferPointer<UInt8>, scratch s: RuleScratch, out: inout [UInt8]) -> (Verdict, Rewrite) {
        var numSentences = 0
        var line: [UInt8] = []
        var starts: [Int] = []
        let sep: UInt8 = splitParagraph ? 0x0A : 0x20
        out.removeAll(keepingCapacity: true)
        var identical = true  // the output so far is u[begin..<cursor]
        var begin = 0
        var cursor = 0
        var kept = 0
        let countSentences = minNumSentences != -1
        for unit in units(u, s) {
            let r = PythonText.strip(u, unit)
            // The line after citation removal: `u[r]` itself unless it has a `[` to look at.
            var changed = false
            if removeCitations && Self.hasByte(u, r, 0x5B) {
                line.removeAll(keepingCapacity: true)
                Self.removeCitations(u, r, into: &line)
                changed = line.count != r.count
            }
            let verdict: Verdict? = Self.withLine(u, r, changed ? line : nil) { l -> Verdict? in
                let all = 0..<l.count
                if filterNoTerminalPunct {
                    let last = l.last
                    let endsOK = last == 0x2E || last == 0x3F || last == 0x21 || last == 0x22 || last == 0x27
                    if !endsOK || PythonText.hasSuffix(l, all, Self.ellipsis) { return .keep }  // .keep = skip line
                }
                // datatrove's first two checks, the word length and count (of the line before
                // citation removal), come after the punctuation check here: all three only skip
                // the line, so their order changes nothing, and most lines that fail one fail the
                // cheap punctuation check. No word can be longer than a line of at most
                // max_word_length bytes; the words are counted only up to min_words_per_line.
                if maxWordLength != -1 && r.count > maxWordLength {
                    PythonText.splitWhitespace(u, r, into: &s.words)
                    if s.words.contains(where: { $0.count > maxWordLength && PythonText.scalarCount(u, $0) > maxWordLength }) {
                        return .keep
                    }
                    if s.words.count < minWordsPerLine { return .keep }
                } else if minWordsPerLine > 0 && PythonText.wordCount(u, r, upTo: minWordsPerLine) < minWordsPerLine {
                    return .keep
                }
                let found = filterLoremIpsum || filterJavascript || filterPolicy ? Self.phrases(l) : 0
                if filterLoremIpsum && found & Self.foundLorem != 0 { return .drop(reason: "lorem_ipsum") }
                if filterJavascript && found & Self.foundJavascript != 0 { return .keep }
                if filterCurlyBracket && l.contains(0x7B) { return .drop(reason: "curly_bracket") }
                if filterPolicy && found & Self.foundPolicy != 0 { return .keep }
                if countSentences && numSentences < minNumSentences {
                    if splitParagraph {
                        sentenceStarts(l, all, s, into: &starts)
                        numSentences += starts.count
                    } else {
                        numSentences += 1
                    }
                }
                return nil
            }
            switch verdict {
            case .drop(let reason)?: return (.drop(reason: reason), .same)
            case .keep?: continue
            case nil: break
            }
            // Append the kept line (after a separator), or only move the cursor while the
            // output is still a prefix of the input.
            if identical && kept == 0 && !changed {
                begin = r.lowerBound
                cursor = r.upperBound
            } else if identical {
                var p = cursor
                var same = kept > 0
                if same {
                    same = p < u.count && u[p] == sep
                    p += 1
                }
                if same {
                    if !changed {
                        same = r.lowerBound == p
                        p = r.upperBound
                    } else {
                        same = p + line.count <= u.count && line.withUnsafeBufferPointer { l in
                            l.isEmpty || memcmp(l.baseAddress!, u.baseAddress! + p, l.count) == 0
                        }
                        p += line.count
                    }
                }
                if same {
                    cursor = p
                } else {
                    identical = false
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: u[begin..<cursor]))
                }
            }
            if !identical {
                if kept > 0 { out.append(sep) }
                if changed {
                    out.append(contentsOf: line)
                } else {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: u[r]))
                }
            }
            kept += 1
        }
        if numSentences < minNumSentences { return (.drop(reason: "too_few_sentences"), .same) }
        // .strip() of the joined text
        if identical {
            let r = PythonText.strip(u, begin..<cursor)
            return (.keep, r == 0..<u.count ? .same : .slice(r))
        }
        let r = out.withUnsafeBufferPointer { PythonText.strip($0, 0..<$0.count) }
        return (.keep, .bytes(r))
    }

    static let foundLorem: UInt8 = 1
    static let foundJavascript: UInt8 = 2
    static let foundPolicy: UInt8 = 4

    /// Which of C4's phrases ("lorem ipsum", "javascript", a policy phrase) `l.lower()` contains,
    /// as ``foundLorem`` | ``foundJavascript`` | ``foundPolicy``: one pass that tries a phrase only
    /// where its first letter is (`PythonText.containsLowercased` per phrase made eight passes).
    static func phrases(_ l: UnsafeBufferPointer<UInt8>) -> UInt8 {
        let all = 0..<l.count
        // The Kelvin sign lowercases to "k": leave such rare lines to the general search.
        if Self.hasKelvin(l) {
            var f: UInt8 = 0
            if PythonText.containsLowercased(l, all, lorem) { f |= foundLorem }
            if PythonText.containsLowercased(l, all, javascript) { f |= foundJavascript }
            if policy.contains(where: { PythonText.containsLowercased(l, all, $0) }) { f |= foundPolicy }
            return f
        }
        var f: UInt8 = 0
        let (lorem, javascript, policy, policyHeads) = (Self.lorem, Self.javascript, Self.policy, Self.policyHeads)
        let everything = foundLorem | foundJavascript | foundPolicy
        @inline(__always) func at(_ i: Int, _ needle: [UInt8]) -> Bool {
            guard i + needle.count <= l.count else { return false }
            for k in 2..<needle.count {
                var c = l[i + k]
                if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                if c != needle[k] { return false }
            }
            return true
        }
        // Only where a phrase's first two letters are (in any ASCII case: the vector search) is
        // the rest compared; "lo", "ja", "te", "pr", "co" and "us" start about one position in 30.
        guard let base = l.baseAddress else { return 0 }
        let heads = Self.allHeads
        var i = 0
        while true {
            i = heads.withUnsafeBufferPointer { cicu_find_bigram(base, l.count, i, $0.baseAddress, Int32($0.count)) }
            if i >= l.count { return f }
            let head = UInt16(l[i] | 0x20) << 8 | UInt16(l[i + 1] | 0x20)
            if head == Self.loremHead {
                if at(i, lorem) { f |= foundLorem }
            } else if head == Self.javascriptHead {
                if at(i, javascript) { f |= foundJavascript }
            } else if f & foundPolicy == 0 {
                for (k, h) in policyHeads.enumerated() where h == head && at(i, policy[k]) { f |= foundPolicy; break }
            }
            if f == everything { return f }
            i += 1
        }
    }

    /// The first position at or after `from` where a phrase's two-letter head starts (any ASCII
    /// case), or `bytes.count` (tests).
    static func firstHead(_ bytes: [UInt8], from: Int) -> Int {
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return 0 }
            return allHeads.withUnsafeBufferPointer { cicu_find_bigram(base, b.count, from, $0.baseAddress, Int32($0.count)) }
        }
    }

    /// Chooses the phrase search's block code (tests): 0 byte by byte, 1 SSE2, 2 AVX2, -1 the best.
    static func setPhraseSearchISA(_ isa: Int32) { cicu_bigram_set_isa(isa) }

    /// Whether `l` contains U+212A KELVIN SIGN (E2 84 AA).
    static func hasKelvin(_ l: UnsafeBufferPointer<UInt8>) -> Bool {
        guard l.count >= 3 else { return false }
        var i = 0
        while i + 2 < l.count {
            guard let p = memchr(l.baseAddress! + i, 0xE2, l.count - 2 - i) else { return false }
            let k = l.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
            if l[k + 1] == 0x84 && l[k + 2] == 0xAA { return true }
            i = k + 1
        }
        return false
    }

    /// Calls `body` with the line: `changed` if given, else `u[r]`.
    @inline(__always)
    static func withLine<R>(_ u: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ changed: [UInt8]?,
                            _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let changed { return changed.withUnsafeBufferPointer(body) }
        return body(UnsafeBufferPointer(rebasing: u[r]))
    }

    /// Whether `u[r]` contains the byte `b`.
    @inline(__always)
    static func hasByte(_ u: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ b: UInt8) -> Bool {
        guard !r.isEmpty else { return false }
        return memchr(u.baseAddress! + r.lowerBound, Int32(b), r.count) != nil
    }

    /// Copies `u[r]` without `\[\d*]`, `[edit]` and `[citation needed]` (datatrove's CITATION_REGEX).
    static func removeCitations(_ u: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, into line: inout [UInt8]) {
        var i = r.lowerBound
        while i < r.upperBound {
            if u[i] == 0x5B {
                var j = i + 1
                while j < r.upperBound {
                    let (v, l) = PythonText.decode(u, j)
                    let digit = v < 0x80 ? (v >= 0x30 && v <= 0x39) : (Unicode.Scalar(v)?.properties.numericType == .decimal)
                    if !digit { break }
                    j += l
                }
                if j < r.upperBound && u[j] == 0x5D {
                    i = j + 1
                    continue
                }
                if matches(u, i, r.upperBound, edit) {
                    i += edit.count
                    continue
                }
                if matches(u, i, r.upperBound, citationNeeded) {
                    i += citationNeeded.count
                    continue
                }
            }
            line.append(u[i])
            i += 1
        }
    }

    static let edit = Array("[edit]".utf8)
    static let citationNeeded = Array("[citation needed]".utf8)

    @inline(__always) static func matches(_ u: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, _ lit: [UInt8]) -> Bool {
        guard i + lit.count <= end else { return false }
        for k in 0..<lit.count where u[i + k] != lit[k] { return false }
        return true
    }
}
