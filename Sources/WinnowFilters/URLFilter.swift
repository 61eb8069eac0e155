import WinnowCore
import WinnowIO

/// Drops documents by their URL (`metadata.url`), with datatrove's `URLFilter` rules in its
/// order: a blocked domain, a blocked subdomain, a blocked URL, a banned word in the URL, at
/// least `soft_word_threshold` soft-banned words in the URL, a banned subword anywhere in the
/// URL's letters and digits. An allow list (domains or URLs) keeps a document before any rule.
///
/// Block lists are files with one entry a line (UT1's `domains` and `urls`, optionally `.gz`;
/// `#` starts a comment line). Hosts are compared normalised (lowercase, trailing dot, one
/// leading `www.`, IDNA labels as `xn--…`); URLs without their scheme and fragment. Words
/// follow datatrove: the URL split at runs of characters other than ASCII letters and digits
/// (case kept), list entries lowercased with such characters removed.
///
/// `domain_match: parents` (the default, UT1's meaning) blocks a host when it or any domain
/// above it is listed; `domain_match: datatrove` only when its registered domain (by the
/// Public Suffix List) or the host itself is, as datatrove does with `tldextract`.
public struct URLFilter: Filter, RegisteredStage {
    /// How a listed domain blocks hosts below it.
    public enum DomainMatch: String, Sendable, CaseIterable {
        /// The host or any domain above it.
        case parents
        /// The host or its registered domain (datatrove).
        case datatrove
    }

    /// How a URL is compared with the URL lists.
    public enum URLMatch: String, Sendable, CaseIterable {
        /// Without scheme, `www.` and fragment, the host normalised (UT1 `urls` entries have no scheme).
        case normalized
        /// The URL exactly as written (datatrove).
        case exact
    }

    /// The stage name.
    public var name: String { "url_filter" }
    /// The entries a filter is built from (already read from their files).
    public struct Lists: Sendable {
        /// Blocked domains (each blocks its subdomains too).
        public var blockedDomains: [String] = []
        /// Blocked URLs.
        public var blockedURLs: [String] = []
        /// Allowed domains (and their subdomains): kept before any rule.
        public var allowedDomains: [String] = []
        /// Allowed URLs: kept before any rule.
        public var allowedURLs: [String] = []
        /// Words that drop a URL containing them as a whole word.
        public var bannedWords: [String] = []
        /// Words that drop a URL when `soft_word_threshold` of them occur as whole words.
        public var softBannedWords: [String] = []
        /// Strings that drop a URL whose letters and digits (lowercased) contain them.
        public var bannedSubwords: [String] = []

        /// Empty lists.
        public init() {}
    }

    let blockedDomains: Set<String>
    let blockedURLs: Set<String>
    let allowedDomains: Set<String>
    let allowedURLs: Set<String>
    let bannedWords: Set<String>
    let softBannedWords: Set<String>
    let bannedSubwords: [[UInt8]]
    /// Soft-banned words needed to drop a URL.
    public let softWordThreshold: Int
    /// How listed domains match.
    public let domainMatch: DomainMatch
    /// How listed URLs match.
    public let urlMatch: URLMatch
    let suffixes: PublicSuffixList?
    /// The metadata key holding the URL.
    public let urlKey: String
    /// Drop documents without a URL (else keep them and count `documents_without_url`).
    public let dropMissing: Bool

    /// Creates the filter.
    /// - Parameter suffixes: the Public Suffix List, needed for `.datatrove` domain matching.
    /// - Throws: ``ConfigError`` when `.datatrove` is asked for without a suffix list.
    public init(lists: Lists, softWordThreshold: Int = 2, domainMatch: DomainMatch = .parents, urlMatch: URLMatch = .normalized,
                suffixes: PublicSuffixList? = nil, urlKey: String = "url", dropMissing: Bool = false) throws {
        if domainMatch == .datatrove && suffixes == nil {
            throw ConfigError("url_filter: domain_match: datatrove needs a public suffix list", at: nil)
        }
        blockedDomains = Set(lists.blockedDomains.map { Punycode.normalizeHost($0) }.filter { !$0.isEmpty })
        let exact = urlMatch == .exact
        blockedURLs = Set(lists.blockedURLs.map { exact ? $0 : URLFilter.normalizeURL($0) }.filter { !$0.isEmpty })
        allowedDomains = Set(lists.allowedDomains.map { Punycode.normalizeHost($0) }.filter { !$0.isEmpty })
        allowedURLs = Set(lists.allowedURLs.map { exact ? $0 : URLFilter.normalizeURL($0) }.filter { !$0.isEmpty })
        bannedWords = Set(lists.bannedWords.map(Self.alphanumericLowercased).filter { !$0.isEmpty })
        softBannedWords = Set(lists.softBannedWords.map(Self.alphanumericLowercased).filter { !$0.isEmpty })
        bannedSubwords = Set(lists.bannedSubwords.map(Self.alphanumericLowercased).filter { !$0.isEmpty }).sorted().map { Array($0.utf8) }
        self.softWordThreshold = softWordThreshold
        self.domainMatch = domainMatch
        self.urlMatch = urlMatch
        self.suffixes = suffixes
        self.urlKey = urlKey
        self.dropMissing = dropMissing
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "url_filter", kind: .filter,
        summary: "Drops documents by metadata.url with datatrove URLFilter's rules: blocked domains and subdomains, blocked URLs, banned words, soft-banned words (a threshold), banned subwords; an allow list keeps a document first. Lists are files, one entry a line (UT1 style, optionally .gz).",
        parameters: [
            ParameterSpec("blocked_domains", "[string]", default: "[]", "files of blocked domains (UT1 `domains`); a domain blocks its subdomains"),
            ParameterSpec("blocked_urls", "[string]", default: "[]", "files of blocked URLs (UT1 `urls`), compared without scheme and fragment"),
            ParameterSpec("allowed_domains", "[string]", default: "[]", "files of domains whose documents are always kept (with their subdomains)"),
            ParameterSpec("allowed_urls", "[string]", default: "[]", "files of URLs always kept"),
            ParameterSpec("banned_words", "[string]", default: "[]", "files of words that drop a URL containing one (datatrove banned_words.txt)"),
            ParameterSpec("soft_banned_words", "[string]", default: "[]", "files of words that drop a URL containing soft_word_threshold of them"),
            ParameterSpec("banned_subwords", "[string]", default: "[]", "files of strings that drop a URL whose letters and digits contain one"),
            ParameterSpec("soft_word_threshold", "int", default: "2", "distinct soft-banned words that drop a URL"),
            ParameterSpec("domain_match", "string", default: "parents", "parents: a listed domain blocks every host below it; datatrove: only the host itself or its registered domain (Public Suffix List)"),
            ParameterSpec("url_match", "string", default: "normalized", "normalized: URLs compared without scheme, www. and fragment, host normalised (UT1 entries have no scheme); exact: as written (datatrove)"),
            ParameterSpec("public_suffix_list", "string", default: PublicSuffixList.debianPath, "the Public Suffix List file, for domain_match: datatrove (ICANN section, as tldextract)"),
            ParameterSpec("url_key", "string", default: "url", "the metadata key holding the URL"),
            ParameterSpec("drop_missing", "bool", default: "false", "drop documents without a URL (else keep and count them)"),
        ],
        dropReasons: ["url_blocked_domain", "url_blocked_subdomain", "url_blocked_url", "url_banned_word", "url_soft_banned_words", "url_banned_subword", "url_missing"],
        make: { p in
            func read(_ key: String) throws -> [String] {
                var out: [String] = []
                for path in try p.strings(key, default: []) ?? [] {
                    do {
                        out += try URLFilter.readList(path)
                    } catch {
                        throw ConfigError("stage 'url_filter': cannot read \(key) list '\(path)': \(error)", at: p.location(of: key))
                    }
                }
                return out
            }
            var lists = Lists()
            lists.blockedDomains = try read("blocked_domains")
            lists.blockedURLs = try read("blocked_urls")
            lists.allowedDomains = try read("allowed_domains")
            lists.allowedURLs = try read("allowed_urls")
            lists.bannedWords = try read("banned_words")
            lists.softBannedWords = try read("soft_banned_words")
            lists.bannedSubwords = try read("banned_subwords")
            let matchName = try p.string("domain_match", default: "parents", choices: DomainMatch.allCases.map(\.rawValue)) ?? "parents"
            let match = DomainMatch(rawValue: matchName) ?? .parents
            let pslPath = try p.string("public_suffix_list", default: PublicSuffixList.debianPath) ?? PublicSuffixList.debianPath
            var suffixes: PublicSuffixList?
            if match == .datatrove {
                do {
                    suffixes = try PublicSuffixList(path: pslPath)
                } catch {
                    throw ConfigError(
                        "stage 'url_filter': cannot read the public suffix list '\(pslPath)' (Debian: apt-get install publicsuffix): \(error)",
                        at: p.location(of: "public_suffix_list"))
                }
            }
            return try URLFilter(
                lists: lists, softWordThreshold: try p.int("soft_word_threshold", default: 2, min: 1) ?? 2,
                domainMatch: match,
                urlMatch: URLMatch(rawValue: try p.string("url_match", default: "normalized", choices: URLMatch.allCases.map(\.rawValue)) ?? "") ?? .normalized,
                suffixes: suffixes, urlKey: try p.string("url_key", default: "url") ?? "url",
                dropMissing: try p.bool("drop_missing", default: false))
        })

    /// Reads a list file: one entry a line, `#` comment lines and blank lines skipped,
    /// surrounding whitespace removed; `.gz`/`.zst` decompressed.
    /// - Throws: the reader's error when the file cannot be read.
    public static func readList(_ path: String) throws -> [String] {
        let lines = LineReader(source: try openByteSource(path: path), path: path)
        var out: [String] = []
        while let line = try lines.next() {
            guard let first = line.bytes.first, first != 0x23 else { continue }
            let entry = String(decoding: line.bytes, as: UTF8.self).trimmingASCIIWhitespace()
            if !entry.isEmpty { out.append(entry) }
        }
        return out
    }

    // MARK: - URL parts

    /// The host of a URL as written (scheme, user info, port and path removed).
    public static func host(of url: String) -> Substring {
        var rest = Substring(url)
        if let r = rest.firstRange(of: "://"), rest[..<r.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) {
            rest = rest[r.upperBound...]
        } else if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
        }
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == "\\" }) { rest = rest[..<end] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("[") {
            if let close = rest.firstIndex(of: "]") { return rest[...close] }
            return rest
        }
        if let colon = rest.firstIndex(of: ":") { rest = rest[..<colon] }
        return rest
    }

    /// A URL as the URL lists compare it: no scheme, normalised host, no fragment, no lone
    /// trailing `/`.
    public static func normalizeURL(_ url: String) -> String {
        var s = Substring(url.trimmingASCIIWhitespace())
        if let r = s.firstRange(of: "://"), s[..<r.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) {
            s = s[r.upperBound...]
        }
        if let hash = s.firstIndex(of: "#") { s = s[..<hash] }
        let hostEnd = s.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? s.endIndex
        var rest = String(s[hostEnd...])
        if rest == "/" { rest = "" }
        return Punycode.normalizeHost(s[..<hostEnd]) + rest
    }

    /// datatrove's `normalize`: ASCII letters and digits only, lowercased.
    static func alphanumericLowercased(_ s: String) -> String {
        String(decoding: s.utf8.compactMap { b -> UInt8? in
            if b >= 0x41 && b <= 0x5A { return b | 0x20 }
            return (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) ? b : nil
        }, as: UTF8.self)
    }

    // MARK: - Verdict

    /// Whether `host` or a domain above it is in `set`; returns 0 for the host itself, 1 for
    /// a parent, nil for neither.
    static func listedLevel(_ host: String, in set: Set<String>) -> Int? {
        if set.isEmpty { return nil }
        if set.contains(host) { return 0 }
        var rest = Substring(host)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            if set.contains(String(rest)) { return 1 }
        }
        return nil
    }

    /// The verdict for one URL.
    public func verdict(url: String) -> Verdict {
        let host = Punycode.normalizeHost(Self.host(of: url))
        if Self.listedLevel(host, in: allowedDomains) != nil { return .keep }
        let normalized = blockedURLs.isEmpty && allowedURLs.isEmpty ? "" : urlMatch == .exact ? url : Self.normalizeURL(url)
        if !allowedURLs.isEmpty && allowedURLs.contains(normalized) { return .keep }
        switch domainMatch {
        case .parents:
            if let level = Self.listedLevel(host, in: blockedDomains) {
                return .drop(reason: level == 0 ? "url_blocked_domain" : "url_blocked_subdomain")
            }
        case .datatrove:
            if let registered = suffixes?.registeredDomain(of: host) {
                if blockedDomains.contains(registered) { return .drop(reason: "url_blocked_domain") }
                if blockedDomains.contains(host) { return .drop(reason: "url_blocked_subdomain") }
            }
        }
        if !blockedURLs.isEmpty && blockedURLs.contains(normalized) { return .drop(reason: "url_blocked_url") }
        if !bannedWords.isEmpty || !softBannedWords.isEmpty {
            var words = Set<Substring>()
            var start: String.Index?
            for c in url.utf8.indices {
                let b = url.utf8[c]
                let alnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                if alnum {
                    if start == nil { start = c }
                } else if let s = start {
                    words.insert(url[s..<c])
                    start = nil
                }
            }
            if let s = start { words.insert(url[s...]) }
            if words.contains(where: { bannedWords.contains(String($0)) }) { return .drop(reason: "url_banned_word") }
            var soft = 0
            for w in words where softBannedWords.contains(String(w)) { soft += 1 }
            if soft >= softWordThreshold { return .drop(reason: "url_soft_banned_words") }
        }
        if !bannedSubwords.isEmpty {
            let letters = Array(Self.alphanumericLowercased(url).utf8)
            for w in bannedSubwords where Self.contains(letters, w) { return .drop(reason: "url_banned_subword") }
        }
        return .keep
    }

    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        let n = needle.count
        if n > hay.count { return false }
        guard let f = needle.first else { return true }
        var i = 0
        while i + n <= hay.count {
            if hay[i] == f {
                var k = 1
                while k < n && hay[i + k] == needle[k] { k += 1 }
                if k == n { return true }
            }
            i += 1
        }
        return false
    }

    /// The verdict for one document, by `metadata[url_key]`.
    public func verdict(for document: Document, context: StageContext) -> Verdict {
        guard case .string(let url)? = document.metadata[urlKey], !url.isEmpty else {
            if dropMissing { return .drop(reason: "url_missing") }
            context.count("documents_without_url")
            return .keep
        }
        return verdict(url: url)
    }
}

extension String {
    /// Without ASCII whitespace at either end.
    fileprivate func trimmingASCIIWhitespace() -> String {
        let u = Array(utf8)
        var a = 0, b = u.count
        while a < b && (u[a] == 0x20 || u[a] == 0x09 || u[a] == 0x0D || u[a] == 0x0A) { a += 1 }
        while b > a && (u[b - 1] == 0x20 || u[b - 1] == 0x09 || u[b - 1] == 0x0D || u[b - 1] == 0x0A) { b -= 1 }
        return a == 0 && b == u.count ? self : String(decoding: u[a..<b], as: UTF8.self)
    }
}
