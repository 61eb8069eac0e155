import WinnowCore
import WinnowIO

/// The Public Suffix List (`public_suffix_list.dat`, Debian package `publicsuffix`): finds a
/// host's registered domain (`news.bbc.co.uk` → `bbc.co.uk`), as `tldextract` does.
///
/// Rules are kept in the host form of ``Punycode/normalizeHost(_:stripWWW:)``. By default only
/// the ICANN section is read (tldextract's default, `include_psl_private_domains=False`).
public struct PublicSuffixList: Sendable {
    /// The Debian path of the list.
    public static let debianPath = "/usr/share/publicsuffix/public_suffix_list.dat"

    private var rules: Set<String> = []
    private var wildcards: Set<String> = []
    private var exceptions: Set<String> = []

    /// Reads the list from a file (plain or `.gz`).
    /// - Parameter includePrivate: also read the private-domains section.
    /// - Throws: the reader's error when the file cannot be read.
    public init(path: String, includePrivate: Bool = false) throws {
        let lines = LineReader(source: try openByteSource(path: path), path: path)
        while let line = try lines.next() {
            let text = String(decoding: line.bytes, as: UTF8.self)
            if !includePrivate && text.contains("===BEGIN PRIVATE DOMAINS===") { break }
            // A rule is the line up to its first whitespace; comments start with `//`.
            let rule = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).first.map(String.init) ?? ""
            if rule.isEmpty || rule.hasPrefix("//") { continue }
            add(rule)
        }
    }

    /// A list of the given rules (PSL syntax: `com`, `*.ck`, `!www.ck`).
    public init(rules: [String]) {
        for r in rules { add(r) }
    }

    private mutating func add(_ rule: String) {
        if rule.hasPrefix("!") {
            exceptions.insert(Punycode.normalizeHost(rule.dropFirst(), stripWWW: false))
        } else if rule.hasPrefix("*.") {
            wildcards.insert(Punycode.normalizeHost(rule.dropFirst(2), stripWWW: false))
        } else {
            rules.insert(Punycode.normalizeHost(rule, stripWWW: false))
        }
    }

    /// The number of rules read.
    public var count: Int { rules.count + wildcards.count + exceptions.count }

    /// The registered domain (public suffix plus one label) of a normalised host; nil when the
    /// host has no known suffix (an IP address, an unknown TLD) or is a public suffix itself.
    public func registeredDomain(of host: String) -> String? {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, !labels.contains(where: \.isEmpty) else { return nil }
        for i in 0..<labels.count {
            let candidate = labels[i...].joined(separator: ".")
            var suffixStart: Int?
            if exceptions.contains(candidate) {
                suffixStart = i + 1
            } else if rules.contains(candidate) {
                suffixStart = i
            } else if i + 1 < labels.count, wildcards.contains(labels[(i + 1)...].joined(separator: ".")) {
                suffixStart = i
            }
            if let s = suffixStart {
                return s >= 1 && s < labels.count ? labels[(s - 1)...].joined(separator: ".") : nil
            }
        }
        return nil
    }
}
