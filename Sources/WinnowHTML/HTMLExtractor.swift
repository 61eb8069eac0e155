internal import CLibXML2
#if canImport(Glibc)
import Glibc
#endif

/// `WINNOW_HTML_DEBUG=1` prints each pass's chosen roots and text length (for tuning the scorer).
let debugEnabled = getenv("WINNOW_HTML_DEBUG") != nil

/// The main text of a web page, with the page's title and language hint.
public struct Extraction: Sendable, Hashable {
    /// The main content as plain text: one line per paragraph, heading, list item or table row,
    /// lines joined by `\n`. Empty when the page has no main text.
    public var text: String
    /// The page title (`og:title`, else `<title>`), white space collapsed; nil when absent.
    public var title: String?
    /// The language the page declares (`<html lang>`, else `<meta http-equiv="content-language">`
    /// or `og:locale`), as written (e.g. `en-US`); nil when absent.
    public var language: String?

    /// Creates an extraction.
    public init(text: String, title: String? = nil, language: String? = nil) {
        self.text = text
        self.title = title
        self.language = language
    }
}

/// Extracts the main text of HTML pages: libxml2's HTML parser, then boilerplate scoring.
///
/// The page is parsed as UTF-8 with network access, entity loading and the page's own charset
/// declaration off, and with error recovery on, so any input gives a result. The body is
/// flattened once; passes then prune page furniture (by tag, role, class/id words, hidden
/// state), score paragraphs readability-style (text length, commas, link density, class/id
/// weights), choose the main-content subtrees and write them as text, cleaning link lists and
/// link-heavy boxes inside. When the strict pass finds little text, looser passes run and the
/// longest result wins.
///
/// ```swift
/// let page = HTMLExtractor.extract(html: "<html><body><nav>Home</nav><article><p>Hello.</p></article></body></html>")
/// page.text  // "Hello."
/// ```
public struct HTMLExtractor: Sendable {
    /// Which way to lean when unsure, as in trafilatura.
    public enum Favor: String, Sendable, CaseIterable {
        /// The default balance.
        case balanced
        /// Less boilerplate, at the cost of some text.
        case precision
        /// More text, at the cost of some boilerplate.
        case recall
    }

    /// Extraction options.
    public struct Options: Sendable, Hashable {
        /// Which way to lean when unsure.
        public var favor: Favor
        /// A strict pass that yields fewer characters than this falls back to looser passes.
        public var retryBelowCharacters: Int

        /// Creates options.
        public init(favor: Favor = .balanced, retryBelowCharacters: Int? = nil) {
            self.favor = favor
            self.retryBelowCharacters = retryBelowCharacters ?? (favor == .recall ? 500 : 250)
        }
    }

    /// The options in use.
    public var options: Options

    /// Creates an extractor.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// Extracts with default options.
    public static func extract(html: String) -> Extraction {
        HTMLExtractor().extract(html: html)
    }

    /// Extracts the main text, title and language hint of one page.
    ///
    /// - Parameter html: the page (a Swift string is valid UTF-8, so invalid bytes were
    ///   already replaced by U+FFFD when it was made).
    /// - Returns: the extraction; `text` is empty when the page has no main text.
    public func extract(html: String) -> Extraction {
        var html = html
        return html.withUTF8 { extract(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Extracts from raw bytes; bytes that are not valid UTF-8 are replaced by U+FFFD first.
    public func extract(bytes: [UInt8]) -> Extraction {
        if validUTF8(bytes) {
            return bytes.withUnsafeBytes { extract(utf8: $0) }
        }
        return extract(html: String(decoding: bytes, as: UTF8.self))
    }

    // MARK: - Floors (benchmarks)

    /// How much of extraction a benchmark floor runs (`winnow extract --floor`).
    public enum Floor: String, Sendable, CaseIterable {
        /// Nothing: the page is only read (the benchmark's read → write floor).
        case read
        /// The UTF-8 check, the pre-cut and libxml2's HTML parser with no handler at all (its
        /// tokenizer and tree-construction rules): what any extraction on libxml2 costs here.
        case tokenize
        /// Up to Winnow's flat tree and page index (the parse as extraction runs it), without
        /// scoring and rendering.
        case tree
    }

    /// Runs extraction only up to a floor, for benchmarks.
    ///
    /// - Returns: the number of nodes in the page index for ``Floor/tree``, 1 when the page
    ///   parsed for ``Floor/tokenize``, 0 otherwise.
    public func run(bytes: [UInt8], upTo floor: Floor) -> Int {
        _ = Self.parserReady
        if floor == .read { return 0 }
        func body(_ buffer: UnsafeRawBufferPointer) -> Int {
            if floor == .tokenize { return PageTree.tokenizeOnly(buffer, options: Self.parseOptions) ? 1 : 0 }
            guard let tree = PageTree.parse(buffer, options: Self.parseOptions), tree.root >= 0 else { return 0 }
            let root = Int(tree.root)
            return PageIndex(tree: tree, root: Self.findBody(tree, root) ?? root).nodes.count
        }
        func stripped(_ buffer: UnsafeRawBufferPointer) -> Int {
            if let s = RawElementStripper.strip(buffer) { return s.withUnsafeBytes { body($0) } }
            return body(buffer)
        }
        if validUTF8(bytes) { return bytes.withUnsafeBytes { stripped($0) } }
        var html = String(decoding: bytes, as: UTF8.self)
        return html.withUTF8 { stripped(UnsafeRawBufferPointer($0)) }
    }

    // MARK: - Parsing

    private static let parserReady: Bool = {
        xmlInitParser()
        return true
    }()

    static let parseOptions = Int32(
        HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
            | HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue | HTML_PARSE_IGNORE_ENC.rawValue
            | HTML_PARSE_NOBLANKS.rawValue | HTML_PARSE_NODEFDTD.rawValue)

    /// Parses valid UTF-8 and extracts.
    private func extract(utf8 buffer: UnsafeRawBufferPointer) -> Extraction {
        if let stripped = RawElementStripper.strip(buffer) {
            return stripped.withUnsafeBytes { parseAndExtract($0) }
        }
        return parseAndExtract(buffer)
    }

    private func parseAndExtract(_ buffer: UnsafeRawBufferPointer) -> Extraction {
        _ = Self.parserReady
        guard let tree = PageTree.parse(buffer, options: Self.parseOptions), tree.root >= 0 else {
            return Extraction(text: "")
        }
        let root = Int(tree.root)
        var meta = PageMetadata()
        meta.read(tree: tree, root: root)
        let index = PageIndex(tree: tree, root: Self.findBody(tree, root) ?? root)
        let text = mainText(index)
        return Extraction(text: text, title: meta.title, language: meta.language)
    }

    /// The root's first `body` child.
    private static func findBody(_ tree: PageTree, _ root: Int) -> Int? {
        let nodes = tree.nodes
        var child = root + 1
        let end = Int(nodes[root].end)
        while child < end {
            if !nodes[child].isText && nodes[child].tag == .body { return child }
            child = Int(nodes[child].end)
        }
        return nil
    }

    // MARK: - Passes

    /// Runs the strict pass and, when it finds little, the looser ones; keeps the longest text.
    ///
    /// The ladder: the best-scoring content at each pruning level (boilerplate → furniture →
    /// none), then, for pages without one main block (landing pages, link hubs), the whole body
    /// with furniture pruned and the cleaning rules applied — or, when the page declares its
    /// main region (`role="main"`, `itemprop="articleBody"`), that whole region: the page's
    /// footer and side boxes stay out even when the main text is short.
    func mainText(_ index: PageIndex) -> String {
        var best: [UInt8] = []
        let passes: [(PruneLevel, Bool)] = [
            (.boilerplate, false), (.furniture, false), (.none, false), (.boilerplate, true), (.furniture, true),
        ]
        let looserGain: Float = 2.5
        for (level, wholeBody) in passes {
            let scorer = ContentScorer(index: index, level: level, options: options)
            let whole = wholeBody ? scorer.declaredRegion() : 0
            let roots = wholeBody ? (scorer.stats[whole].characters > 0 ? [whole] : []) : scorer.chooseContent()
            var renderer = TextRenderer(scorer: scorer, options: options)
            let ledes = wholeBody ? [] : scorer.ledeBlocks(before: roots)
            let text = renderer.render(roots: roots, ledes: ledes)
            if debugEnabled {
                var msg = "level \(level) body \(wholeBody) roots:"
                for r in roots {
                    let n = index.nodes[r]
                    let cls = n.signals.classValue.map { String(cString: $0) } ?? ""
                    msg += " [\(r) \(n.tag) class=\(cls.prefix(60)) score=\(scorer.stats[r].score) chars=\(scorer.stats[r].characters)]"
                }
                print(msg + " text=\(text.count) body=\(scorer.stats[0].characters)")
            }
            if text.count > best.count {
                // A looser pass replaces a long enough strict result only when it finds much more.
                if best.count < options.retryBelowCharacters || Float(text.count) >= Float(best.count) * looserGain {
                    best = text
                }
            }
            if best.count >= options.retryBelowCharacters {
                // Pruning took most of the page's text while the content found is short: the
                // page's text may sit in boxes named like boilerplate (recipes, shops, landing
                // pages); try the next pass.
                let shortContent = level == .boilerplate && !wholeBody
                    && Int(scorer.stats[0].characters) * 2 < Int(scorer.stats[0].rawCharacters)
                    && text.count * 4 < Int(scorer.stats[0].rawCharacters)
                if !shortContent { break }
            }
        }
        return String(decoding: best, as: UTF8.self)
    }
}

/// Whether bytes are valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF), eight
/// ASCII bytes at a time.
func validUTF8(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { raw in
        let n = raw.count
        guard let base = raw.baseAddress else { return true }
        let b = base.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while i < n {
            if i + 8 <= n && base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            let len: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: len = 2
            case 0xE0: len = 3; lo = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: len = 3
            case 0xED: len = 3; hi = 0x9F
            case 0xF0: len = 4; lo = 0x90
            case 0xF1...0xF3: len = 4
            case 0xF4: len = 4; hi = 0x8F
            default: return false
            }
            guard i + len <= n, b[i + 1] >= lo, b[i + 1] <= hi else { return false }
            var k = 2
            while k < len {
                if b[i + k] & 0xC0 != 0x80 { return false }
                k += 1
            }
            i += len
        }
        return true
    }
}
