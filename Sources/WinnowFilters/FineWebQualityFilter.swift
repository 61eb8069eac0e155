#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowText

/// FineWeb's own quality rules (Penedo et al. 2024), as datatrove's `FineWebQualityFilter`:
/// share of lines ending in terminal punctuation, share of short lines, characters in
/// duplicate lines, and newlines per word.
///
/// Lines are `text.split("\n")` without blank ones; lengths in code points. Under `fineweb-v1`
/// (datatrove as FineWeb was built) the line-end set is `. ' " ! ?`, the first three rules drop
/// at the threshold itself (`<=`, `>=`), and the line-punctuation and short-line shares count
/// blank lines too (so an empty document drops as `line_punct_ratio`); under `current` the set
/// is datatrove's `TERMINAL_PUNCTUATION`, comparisons are strict and blank lines never count.
public struct FineWebQualityFilter: Filter, RegisteredStage {
    /// The stage name.
    public var name: String { "fineweb_quality" }
    /// Minimum share of lines ending in a stop character.
    public var linePunctThr = 0.12
    /// Keep documents where no line ends in a stop character.
    public var linePunctExcludeZero = false
    /// Maximum share of lines of at most `shortLineLength` code points.
    public var shortLineThr = 0.67
    /// What counts as a short line (code points).
    public var shortLineLength = 30
    /// Maximum characters in duplicate lines over characters (newlines excluded).
    public var charDuplicatesRatio = 0.01
    /// Maximum newlines per word.
    public var newLineRatio = 0.3
    /// The line-end characters; nil for the rule set's default.
    public var stopChars: Set<UInt32>
    let options: RuleOptions

    /// FineWeb v1's stop characters.
    public static let finewebV1StopChars: Set<UInt32> = [0x2E, 0x27, 0x22, 0x21, 0x3F]

    /// Creates the filter with datatrove's defaults under the given rule set.
    public init(rules: QualityRuleSet = .current) {
        self.init(options: .defaults(rules))
    }

    init(options: RuleOptions, stopChars: [String]? = nil) {
        self.options = options
        if let stopChars {
            self.stopChars = Set(stopChars.compactMap { $0.unicodeScalars.count == 1 ? $0.unicodeScalars.first!.value : nil })
        } else {
            self.stopChars = options.rules == .finewebV1 ? Self.finewebV1StopChars : DatatroveSets.terminal
        }
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "fineweb_quality", kind: .filter,
        summary: "FineWeb quality rules (datatrove FineWebQualityFilter): lines ending in punctuation, short lines, duplicate-line characters, newlines per word.",
        parameters: [
            ParameterSpec("line_punct_thr", "number", default: "0.12", "minimum share of lines ending in a stop character"),
            ParameterSpec("line_punct_exclude_zero", "bool", default: "false", "keep documents where no line ends in one"),
            ParameterSpec("stop_chars", "[string]", default: "(by rules)", "line-end characters (single characters); `current`: datatrove's TERMINAL_PUNCTUATION, `fineweb-v1`: `. ' \" ! ?`"),
            ParameterSpec("short_line_thr", "number", default: "0.67", "maximum share of short lines"),
            ParameterSpec("short_line_length", "int", default: "30", "a short line has at most this many code points"),
            ParameterSpec("char_duplicates_ratio", "number", default: "0.01", "maximum duplicate-line characters / characters without newlines"),
            ParameterSpec("new_line_ratio", "number", default: "0.3", "maximum newlines per word"),
        ] + RuleOptions.specs,
        dropReasons: ["empty", "line_punct_ratio", "short_line_ratio", "char_dup_ratio", "list_ratio"],
        make: { p in
            let opts = try RuleOptions.read(p)
            let chars = try p.strings("stop_chars")
            if let chars, let bad = chars.first(where: { $0.unicodeScalars.count != 1 }) {
                throw ConfigError("stage 'fineweb_quality': 'stop_chars' entries are single characters, got '\(bad)'", at: p.location(of: "stop_chars"))
            }
            var f = FineWebQualityFilter(options: opts, stopChars: chars)
            f.linePunctThr = try p.double("line_punct_thr", default: 0.12, min: 0, max: 1) ?? 0.12
            f.linePunctExcludeZero = try p.bool("line_punct_exclude_zero", default: false)
            f.shortLineThr = try p.double("short_line_thr", default: 0.67, min: 0, max: 1) ?? 0.67
            f.shortLineLength = try p.int("short_line_length", default: 30, min: 0) ?? 30
            f.charDuplicatesRatio = try p.double("char_duplicates_ratio", default: 0.01, min: 0) ?? 0.01
            f.newLineRatio = try p.double("new_line_ratio", default: 0.3, min: 0) ?? 0.3
            return f
        })

    /// The verdict for one document.
    public func verdict(for document: Document, context: StageContext) -> Verdict {
        let s = context.local("fineweb_quality.scratch") { RuleScratch() }
        let cache = options.tokenCache(context)
        let text = document.text
        return text.withBytes { u in
            verdict(utf8: u, scratch: s) { enough in
                if let n = cache.count(of: text, utf8: u) { return n }
                // spaCy's tokens never cross whitespace: count them piece by piece and stop once
                // the rule is decided; other tokenizers (NLTK's splits sentences first) see the
                // whole text.
                if let spacy = options.tokenizer as? SpacyEnglishTokenizer { return Self.countTokens(u, spacy, scratch: s, enough: enough) }
                return cache.tokens(of: text, utf8: u, options.tokenizer).count
            }
        }
    }

    /// The number of spaCy tokens of `u`, counted over pieces cut at ASCII whitespace (growing from
    /// 1 KiB: the newline rule of a natural document is mostly decided within its first
    /// kilobytes), stopping after the first piece where `enough(count)` holds (the count is then a
    /// lower bound). Equal to `tokenize(u).count` when it does not stop early.
    static func countTokens(_ u: UnsafeBufferPointer<UInt8>, _ tokenizer: SpacyEnglishTokenizer, scratch s: RuleScratch,
                            enough: (Int) -> Bool, piece: Int = 1024) -> Int {
        var count = 0
        var start = 0
        var size = piece
        let n = u.count
        while start < n {
            var end = min(n, start + size)
            while end < n && !(u[end] == 0x20 || u[end] == 0x0A || u[end] == 0x09 || u[end] == 0x0D) { end += 1 }
            tokenizer.tokenize(UnsafeBufferPointer(rebasing: u[start..<end]), into: &s.tokens2)
            count += s.tokens2.count
            if end < n && enough(count) { return count }
            start = end
            size *= 2
        }
        return count
    }

    /// datatrove's checks in its order. `tokenCount(enough)` gives the number of word tokens, or
    /// (called only for the last rule) a lower bound at which `enough` holds: the newline rule is
    /// decided once the words outnumber the newlines enough.
    func verdict(utf8 u: UnsafeBufferPointer<UInt8>, scratch s: RuleScratch, tokenCount: (_ enough: (Int) -> Bool) -> Int) -> Verdict {
        let v1 = options.rules == .finewebV1
        // text.split("\n"); `current` drops lines that strip() to nothing before every rule,
        // FineWeb v1 only before the duplicate rule (its ratios count blank lines too).
        s.lines.removeAll(keepingCapacity: true)
        s.words.removeAll(keepingCapacity: true)  // all lines, for fineweb-v1
        // The characters counted eight bytes at a time, the newlines found with memchr.
        let scalars = PythonText.scalarCount(u, 0..<u.count)
        var newlines = 0
        var start = 0
        while true {
            var end = u.count
            if start < u.count, let base = u.baseAddress, let hit = memchr(base + start, 0x0A, u.count - start) {
                end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            let r = start..<end
            if !PythonText.strip(u, r).isEmpty { s.lines.append(r) }
            if v1 { s.words.append(r) }
            if end == u.count { break }
            newlines += 1
            start = end + 1
        }
        let ratioLines = v1 ? s.words : s.lines
        if ratioLines.isEmpty { return .drop(reason: "empty") }
        let n = Double(ratioLines.count)
        var ending = 0
        var short = 0
        for r in ratioLines {
            if !r.isEmpty, stopChars.contains(PythonText.decodeBefore(u, r.upperBound).value) { ending += 1 }
            // At most 4 bytes per code point: short by bytes alone, or surely long.
            if r.count <= shortLineLength || (r.count <= 4 * shortLineLength && PythonText.scalarCount(u, r) <= shortLineLength) {
                short += 1
            }
        }
        var ratio = Double(ending) / n
        let lowPunct = v1 ? ratio <= linePunctThr : ratio < linePunctThr
        if lowPunct && !(ratio == 0 && linePunctExcludeZero) { return .drop(reason: "line_punct_ratio") }
        ratio = Double(short) / n
        if v1 ? ratio >= shortLineThr : ratio > shortLineThr { return .drop(reason: "short_line_ratio") }
        // find_duplicates(lines)[1] / len(text.replace("\n", "")), stopping once over the threshold.
        let chars = scalars - newlines
        if chars > 0 {
            let dupRule = GopherRepetitionFilter.duplicateRule(
                u, s.lines, seen: &s.seen, textChars: Double(chars), countFrac: nil, charFrac: charDuplicatesRatio, strictCharFrac: !v1)
            if dupRule == .characters { return .drop(reason: "char_dup_ratio") }
        } else if v1 ? 0 >= charDuplicatesRatio : 0 > charDuplicatesRatio {
            return .drop(reason: "char_dup_ratio")
        }
        let newlineRatio = newLineRatio
        let nTokens = tokenCount { count in count > 0 && !(Double(newlines) / Double(count) > newlineRatio) }
        if nTokens == 0 || Double(newlines) / Double(nTokens) > newLineRatio { return .drop(reason: "list_ratio") }
        return .keep
    }
}
