import Testing
import WinnowCore
import WinnowHTML

/// A paragraph of prose long enough to be scored as content.
private func prose(_ topic: String, _ n: Int = 1) -> String {
    (0..<n).map { i in
        "<p>The \(topic) report, part \(i), explains in plain words how the committee weighed the evidence, "
            + "which experts it heard, and why the final recommendation, after months of debate, changed.</p>"
    }.joined()
}

@Suite("html_extract: boilerplate")
struct BoilerplateTests {
    let page = """
        <html lang="en-GB"><head><title>  Committee   report </title></head><body>
        <header class="site-header"><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About us</a></header>
        <nav><ul><li><a href="/a">World</a></li><li><a href="/b">Politics</a></li><li><a href="/c">Sport</a></li></ul></nav>
        <div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
        <main><article class="post">
        <h1>Committee report</h1>
        \(prose("budget", 4))
        <div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Share on Twitter</a></div>
        </article>
        <aside class="sidebar"><h3>Most read</h3><ul><li><a href="/1">Another story about something</a></li>
        <li><a href="/2">Yet another story about other things</a></li></ul></aside>
        <section id="comments"><div class="comment"><p>I strongly disagree with this report, and I think the committee, as usual, got it wrong.</p></div></section>
        </main>
        <footer><p>Copyright 2024 Example News. All rights reserved. Contact, imprint, privacy policy.</p></footer>
        </body></html>
        """

    @Test("keeps the article, drops navigation, cookie banner, sharing, sidebar, comments and footer")
    func article() {
        let e = HTMLExtractor.extract(html: page)
        #expect(e.text.contains("The budget report, part 0"))
        #expect(e.text.contains("The budget report, part 3"))
        for junk in ["Home", "Politics", "cookies", "Share on", "Most read", "Another story", "disagree", "Copyright"] {
            #expect(!e.text.contains(junk), "kept boilerplate: \(junk)")
        }
    }

    @Test("title and language hint")
    func metadata() {
        let e = HTMLExtractor.extract(html: page)
        #expect(e.title == "Committee report")
        #expect(e.language == "en-GB")
        let meta = HTMLExtractor.extract(html: """
            <html><head><meta property="og:title" content="OG title"><title>Plain</title>
            <meta http-equiv="Content-Language" content="de"></head><body>\(prose("x"))</body></html>
            """)
        #expect(meta.title == "OG title")
        #expect(meta.language == "de")
        #expect(HTMLExtractor.extract(html: "<p>no head at all, just a short paragraph of text</p>").title == nil)
    }

    @Test("favor_precision never keeps more than favor_recall")
    func favor() {
        let precise = HTMLExtractor(options: .init(favor: .precision)).extract(html: page).text
        let recall = HTMLExtractor(options: .init(favor: .recall)).extract(html: page).text
        #expect(precise.count <= recall.count)
        #expect(precise.contains("The budget report, part 2"))
    }
}

@Suite("html_extract: layout of the text")
struct LayoutTests {
    @Test("paragraphs, headings, list items and table rows are lines")
    func lines() {
        let html = """
            <html><body><article>
            <h2>Findings</h2>
            <p>Line one<br>line two</p>
            \(prose("audit", 2))
            <ul><li>first finding, stated at some length so it reads as prose</li><li>second finding, also stated</li></ul>
            <table><tr><th>year</th><th>amount</th></tr><tr><td>2023</td><td>1,200</td></tr></table>
            </article></body></html>
            """
        let lines = HTMLExtractor.extract(html: html).text.split(separator: "\n").map(String.init)
        #expect(lines.contains("Findings"))
        #expect(lines.contains("- first finding, stated at some length so it reads as prose"))
        #expect(lines.contains("- second finding, also stated"))
        #expect(lines.contains("year | amount"))
        #expect(lines.contains("2023 | 1,200"))
        #expect(lines.contains("Line one"))
        #expect(lines.contains("line two"))
        #expect(lines.filter { $0.hasPrefix("The audit report") }.count == 2)
    }

    @Test("white space collapses, entities decode, pre keeps its lines, invisible characters go")
    func whitespace() {
        let html = """
            <html><body><article>\(prose("tax"))<p>  Fish   &amp;\n chips&nbsp;for Mit\u{AD}tel\u{200B}alter  </p>
            <pre>let x = 1
              let y = 2</pre></article></body></html>
            """
        let text = HTMLExtractor.extract(html: html).text
        #expect(text.contains("Fish & chips for Mittelalter"))
        #expect(text.contains("let x = 1\n  let y = 2"))
    }
}

@Suite("html_extract: hostile input")
struct HostileInputTests {
    @Test("empty and white-space-only input give empty text")
    func empty() {
        #expect(HTMLExtractor.extract(html: "").text.isEmpty)
        #expect(HTMLExtractor.extract(html: "   \n\t").text.isEmpty)
        #expect(HTMLExtractor.extract(html: "<html><body></body></html>").text.isEmpty)
    }

    @Test("100,000 nested elements do not crash")
    func deepNesting() {
        let depth = 100_000
        let html = "<html><body>" + String(repeating: "<div>", count: depth) + "deep text that is here"
            + String(repeating: "</div>", count: depth) + "</body></html>"
        _ = HTMLExtractor.extract(html: html)
        let spans = "<html><body><p>" + String(repeating: "<span><b>", count: depth) + "x"
            + String(repeating: "</b></span>", count: depth) + "</p></body></html>"
        _ = HTMLExtractor.extract(html: spans)
    }

    @Test("a 10 MB attribute is read only in part")
    func hugeAttribute() {
        let huge = String(repeating: "comment-", count: 10 * 1024 * 1024 / 8)
        let html = "<html><body><div class=\"\(huge)\" id=\"\(huge)\">\(prose("grid", 3))</div></body></html>"
        let text = HTMLExtractor.extract(html: html).text
        #expect(text.contains("The grid report"))
    }

    @Test("invalid UTF-8 bytes become U+FFFD")
    func invalidUTF8() {
        var bytes = Array("<html><body><article>".utf8) + Array(prose("energy").utf8)
        bytes += Array("<p>caf".utf8) + [0xE9, 0xFF, 0xC3] + Array(" au lait and a long enough sentence to keep it.</p></article></body></html>".utf8)
        let e = HTMLExtractor().extract(bytes: bytes)
        #expect(e.text.contains("caf\u{FFFD}"))
        #expect(e.text.contains("au lait"))
    }

    @Test("binary garbage and non-HTML do not crash")
    func garbage() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes: [UInt8] = []
        for _ in 0..<200_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(UInt8(truncatingIfNeeded: state >> 33))
        }
        _ = HTMLExtractor().extract(bytes: bytes)
        _ = HTMLExtractor().extract(bytes: [0, 0, 0, 0x3C, 0, 0x3E])
        let plain = HTMLExtractor.extract(html: "Just a plain text line, no markup at all, but long enough to count.")
        #expect(plain.text.contains("Just a plain text line"))
        _ = HTMLExtractor.extract(html: "<<<>>><!--<script><style></<a href=\"")
        _ = HTMLExtractor.extract(html: "<script>" + String(repeating: "x", count: 100_000))
        _ = HTMLExtractor.extract(html: "<!--" + String(repeating: "-", count: 10_000))
    }

    @Test("a charset declaration does not re-decode the UTF-8 input")
    func ignoresDeclaredCharset() {
        let html = "<html><head><meta charset=\"iso-8859-1\"></head><body><article>\(prose("Zürich"))</article></body></html>"
        #expect(HTMLExtractor.extract(html: html).text.contains("The Zürich report"))
    }
}

@Suite("html_extract: stage")
struct HTMLExtractStageTests {
    @Test("rewrites text, writes title and language, drops empty pages")
    func stage() throws {
        let stage = try #require(HTMLExtractStage.descriptor.build(nil) as? HTMLExtractStage)
        let ctx = StageContext()
        var doc = Document(id: "a", text: "<html lang=\"fr\"><head><title>T</title></head><body><article>\(prose("vote"))</article></body></html>")
        #expect(stage.transform(&doc, context: ctx) == .keep)
        #expect(doc.text.hasPrefix("The vote report"))
        #expect(doc.metadata["title"] == .string("T"))
        #expect(doc.metadata["html_lang"] == .string("fr"))
        var empty = Document(id: "b", text: "<html><body><script>var x = 1;</script></body></html>")
        #expect(stage.transform(&empty, context: ctx) == .drop(reason: "html_no_text"))
        let keeper = HTMLExtractStage(keepEmpty: true)
        var kept = Document(id: "c", text: "")
        #expect(keeper.transform(&kept, context: ctx) == .keep)
        #expect(kept.text.isEmpty)
    }

    @Test("rejects unknown options")
    func options() {
        #expect(throws: ConfigError.self) {
            _ = try HTMLExtractStage.descriptor.build(ConfigValue(.mapping([("favor", ConfigValue(.scalar("speed")))])))
        }
    }
}
