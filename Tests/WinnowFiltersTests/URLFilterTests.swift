import Foundation
import Testing
import WinnowCore
import WinnowFilters
import WinnowIO

@Suite("url_filter")
struct URLFilterTests {
    let ctx = StageContext()

    func filter(_ configure: (inout URLFilter.Lists) -> Void, threshold: Int = 2, match: URLFilter.DomainMatch = .parents,
                suffixes: PublicSuffixList? = nil) throws -> URLFilter {
        var lists = URLFilter.Lists()
        configure(&lists)
        return try URLFilter(lists: lists, softWordThreshold: threshold, domainMatch: match, suffixes: suffixes)
    }

    // MARK: - IDNA

    @Test("Punycode matches RFC 3492's samples and Python's codec", arguments: [
        ("bücher", "bcher-kva"), ("münchen", "mnchen-3ya"),
        ("他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"),  // RFC 3492 7.1 (B)
        ("3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"),  // RFC 3492 7.1 (L)
        ("abc", "abc-"),
    ])
    func punycode(label: String, expected: String) {
        #expect(Punycode.encode(label) == expected)
    }

    @Test("hosts are normalised: case, trailing dot, www., IDNA, ideographic full stops", arguments: [
        ("WWW.Bücher.DE.", "xn--bcher-kva.de"), ("Example.COM", "example.com"), ("www.com", "www.com"),
        ("www.www.example.org", "www.example.org"), ("例え。テスト", "xn--r8jz45g.xn--zckzah"), ("München.de", "xn--mnchen-3ya.de"),
    ])
    func hosts(host: String, expected: String) {
        #expect(Punycode.normalizeHost(host) == expected)
    }

    @Test("a Unicode host in a URL matches its punycode list entry, and the other way round")
    func idnaMatching() throws {
        let f = try filter { $0.blockedDomains = ["xn--bcher-kva.de", "münchen.de"] }
        #expect(f.verdict(url: "https://www.BÜCHER.de/katalog") == .drop(reason: "url_blocked_domain"))
        #expect(f.verdict(url: "http://shop.xn--mnchen-3ya.de./") == .drop(reason: "url_blocked_subdomain"))
        #expect(f.verdict(url: "http://buecher.de/") == .keep)
    }

    // MARK: - Domains

    @Test("a listed domain blocks itself and every subdomain, not look-alikes", arguments: [
        ("http://example.com/", "url_blocked_domain"), ("https://user:pw@EXAMPLE.com:8443/x?y#z", "url_blocked_domain"),
        ("http://a.b.example.com/page", "url_blocked_subdomain"), ("//cdn.example.com/x.js", "url_blocked_subdomain"),
        ("http://notexample.com/", nil), ("http://example.com.evil.net/", nil), ("http://example.co/", nil),
    ] as [(String, String?)])
    func subdomains(url: String, reason: String?) throws {
        let f = try filter { $0.blockedDomains = ["example.com"] }
        #expect(f.verdict(url: url) == (reason.map { .drop(reason: $0) } ?? .keep))
    }

    @Test("datatrove matching: the registered domain or the host itself, never a level in between")
    func datatroveMatching() throws {
        let psl = PublicSuffixList(rules: ["uk", "co.uk", "com", "*.ck", "!www.ck"])
        let lists: (inout URLFilter.Lists) -> Void = { $0.blockedDomains = ["example.co.uk", "b.shop.com", "foo.ck", "www.ck"] }
        let dt = try filter(lists, match: .datatrove, suffixes: psl)
        let parents = try filter(lists)
        #expect(dt.verdict(url: "http://x.example.co.uk/") == .drop(reason: "url_blocked_domain"))
        #expect(dt.verdict(url: "http://b.shop.com/") == .drop(reason: "url_blocked_subdomain"))
        #expect(dt.verdict(url: "http://a.b.shop.com/") == .keep)  // b.shop.com is neither the host nor shop.com
        #expect(parents.verdict(url: "http://a.b.shop.com/") == .drop(reason: "url_blocked_subdomain"))
        #expect(dt.verdict(url: "http://x.foo.ck/") == .keep)  // *.ck: foo.ck is a public suffix, x.foo.ck the registered domain
        #expect(parents.verdict(url: "http://x.foo.ck/") == .drop(reason: "url_blocked_subdomain"))
        #expect(dt.verdict(url: "http://a.www.ck/") == .drop(reason: "url_blocked_domain"))  // !www.ck: registered www.ck
        #expect(psl.registeredDomain(of: "a.b.example.co.uk") == "example.co.uk")
        #expect(psl.registeredDomain(of: "co.uk") == nil)
        #expect(psl.registeredDomain(of: "192.168.0.1") == nil)
        #expect(throws: ConfigError.self) { try filter(lists, match: .datatrove) }
    }

    @Test("the Debian public suffix list reads, ICANN section only", .enabled(if: FileManager.default.fileExists(atPath: PublicSuffixList.debianPath), "needs Debian's publicsuffix package (absent: skipped)"))
    func debianList() throws {
        let psl = try PublicSuffixList(path: PublicSuffixList.debianPath)
        #expect(psl.count > 5000)
        #expect(psl.registeredDomain(of: "news.bbc.co.uk") == "bbc.co.uk")
        #expect(psl.registeredDomain(of: "foo.github.io") == "github.io")  // github.io is a private-section suffix
        #expect(psl.registeredDomain(of: Punycode.normalizeHost("www.例え.公司.cn")) == "xn--r8jz45g.xn--55qx5d.cn")
    }

    // MARK: - URLs and words

    @Test("listed URLs match without scheme, www., host case or fragment")
    func urls() throws {
        let f = try filter { $0.blockedURLs = ["example.org/page.html", "https://other.net/a?b=1"] }
        #expect(f.verdict(url: "https://www.Example.org/page.html#top") == .drop(reason: "url_blocked_url"))
        #expect(f.verdict(url: "http://other.net/a?b=1") == .drop(reason: "url_blocked_url"))
        #expect(f.verdict(url: "http://example.org/page.htm") == .keep)
        #expect(f.verdict(url: "http://example.org/PAGE.html") == .keep)  // paths keep their case
        var lists = URLFilter.Lists()
        lists.blockedURLs = ["https://other.net/a?b=1"]
        let exact = try URLFilter(lists: lists, urlMatch: .exact)
        #expect(exact.verdict(url: "https://other.net/a?b=1") == .drop(reason: "url_blocked_url"))
        #expect(exact.verdict(url: "http://other.net/a?b=1") == .keep)
    }

    @Test("soft-banned words drop at the threshold, each distinct word counted once", arguments: [
        ("http://x.com/casino", 2, true), ("http://x.com/casino-poker", 2, false), ("http://x.com/casino/casino", 2, true),
        ("http://x.com/casino-poker", 3, true), ("http://casino.x.com/poker/bet", 3, false), ("http://x.com/pokerface-casino", 2, true),
    ])
    func softThreshold(url: String, threshold: Int, kept: Bool) throws {
        let f = try filter({ $0.softBannedWords = ["Casino", "poker", "bet"] }, threshold: threshold)
        #expect(f.verdict(url: url) == (kept ? .keep : .drop(reason: "url_soft_banned_words")))
    }

    @Test("banned words are whole words of the URL; banned subwords any substring of its letters and digits")
    func words() throws {
        let f = try filter {
            $0.bannedWords = ["porn"]
            $0.bannedSubwords = ["xxx"]
        }
        #expect(f.verdict(url: "http://x.com/porn/1") == .drop(reason: "url_banned_word"))
        #expect(f.verdict(url: "http://x.com/pornography") == .keep)
        #expect(f.verdict(url: "http://x.com/a-x-X-x") == .drop(reason: "url_banned_subword"))
        #expect(f.verdict(url: "http://x.com/xx") == .keep)
    }

    @Test("the allow list wins over every rule")
    func allowList() throws {
        let f = try filter {
            $0.blockedDomains = ["example.com"]
            $0.allowedDomains = ["docs.example.com"]
            $0.bannedWords = ["porn"]
            $0.allowedURLs = ["x.com/porn"]
        }
        #expect(f.verdict(url: "https://api.docs.example.com/") == .keep)
        #expect(f.verdict(url: "https://example.com/") == .drop(reason: "url_blocked_domain"))
        #expect(f.verdict(url: "https://x.com/porn") == .keep)
        #expect(f.verdict(url: "https://x.com/porn/2") == .drop(reason: "url_banned_word"))
    }

    @Test("documents without a URL are kept and counted, or dropped when asked")
    func missing() throws {
        let c = StageContext()
        #expect(try filter { _ in }.verdict(for: Document("no url"), context: c) == .keep)
        #expect(c.counters["documents_without_url"] == 1)
        let drop = try URLFilter(lists: .init(), dropMissing: true)
        #expect(drop.verdict(for: Document("no url"), context: c) == .drop(reason: "url_missing"))
    }

    @Test("a recipe reads UT1-style lists from files, plain and .gz, comments and blanks skipped")
    func recipeLists() throws {
        let dir = NSTemporaryDirectory() + "winnow-url-\(UUID().uuidString)"
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.remove(dir) }
        let gz = try CompressedWriter(path: dir + "/domains.gz", compression: .gzip)
        try gz.write("# UT1 adult\nbad.example\n\n  Evil.Test  \n")
        try gz.commit()
        try FileSystem.writeAll(dir + "/words.txt", Array("#c\nbadword\n".utf8))
        let value = ConfigValue(.mapping([
            ("blocked_domains", ConfigValue(.scalar(dir + "/domains.gz"))),
            ("banned_words", ConfigValue(.sequence([ConfigValue(.scalar(dir + "/words.txt"))]))),
        ]))
        guard let f = try URLFilter.descriptor.build(value) as? URLFilter else {
            Issue.record("not a URLFilter")
            return
        }
        #expect(f.verdict(url: "http://www.bad.example/") == .drop(reason: "url_blocked_domain"))
        #expect(f.verdict(url: "http://a.evil.test/") == .drop(reason: "url_blocked_subdomain"))
        #expect(f.verdict(url: "http://ok.test/badword") == .drop(reason: "url_banned_word"))
        #expect(f.verdict(url: "http://ok.test/c") == .keep)
        let missing = ConfigValue(.mapping([("blocked_domains", ConfigValue(.scalar(dir + "/absent.txt")))]))
        #expect(throws: ConfigError.self) { _ = try URLFilter.descriptor.build(missing) }
    }
}
