import CLibXML2
import Foundation
import Testing
@testable import WinnowHTML

/// The flat tree that extraction builds from libxml2's SAX events (`PageTree`) against the tree
/// libxml2's own builder makes from the same page (`htmlReadMemory`, same options): element
/// by element, attribute by attribute, text node by text node.
///
/// `PageTree` re-implements what libxml2's tree builder decides (which text merges, which
/// white space `HTML_PARSE_NOBLANKS` drops — a rule that reads the tree —, where content after
/// `</html>` goes, the depth limit); any difference here changes what extraction sees.
@Suite("html_extract: the SAX-built tree is libxml2's tree")
struct PageTreeTests {
    /// libxml2's tree under the root element, in the dump format below.
    static func libxml2Dump(_ html: [UInt8]) -> String {
        let doc = html.withUnsafeBytes { raw -> htmlDocPtr? in
            guard let base = raw.baseAddress else { return nil }
            return htmlReadMemory(
                base.assumingMemoryBound(to: CChar.self), Int32(raw.count), "about:blank", "UTF-8",
                HTMLExtractor.parseOptions)
        }
        guard let doc else { return "" }
        defer { xmlFreeDoc(doc) }
        guard let root = xmlDocGetRootElement(doc) else { return "" }
        var out = ""
        func walk(_ node: UnsafeMutablePointer<xmlNode>, _ depth: Int) {
            var attrs: [(UnsafePointer<UInt8>, UnsafePointer<UInt8>?)] = []
            var a = node.pointee.properties
            while let p = a {
                attrs.append((UnsafePointer(p.pointee.name!), p.pointee.children?.pointee.content.map { UnsafePointer($0) }))
                a = p.pointee.next
            }
            line(&out, depth, element: node.pointee.name, attributes: attrs)
            var c = node.pointee.children
            while let n = c {
                if n.pointee.type == XML_ELEMENT_NODE {
                    walk(n, depth + 1)
                } else if n.pointee.type == XML_TEXT_NODE, let content = n.pointee.content {
                    line(&out, depth + 1, text: UnsafePointer(content))
                }
                c = n.pointee.next
            }
        }
        walk(root, 0)
        return out
    }

    /// The SAX-built tree under its root element.
    static func pageTreeDump(_ html: [UInt8]) -> String {
        _ = HTMLExtractor().run(bytes: [], upTo: .read)  // (initialises libxml2 once)
        let tree = html.withUnsafeBytes { PageTree.parse($0, options: HTMLExtractor.parseOptions) }
        guard let tree, tree.root >= 0 else { return "" }
        var out = ""
        var depth: [Int32] = []  // ends of the open elements
        let root = Int(tree.root)
        for i in root..<Int(tree.nodes[root].end) {
            while let last = depth.last, Int32(i) >= last { depth.removeLast() }
            let n = tree.nodes[i]
            if n.isText {
                line(&out, depth.count, text: tree.text(i))
            } else {
                let attrs = tree.attributeRange(i).map { a in
                    (tree.bytes(at: tree.attributes[a].name),
                     tree.attributes[a].value >= 0 ? tree.bytes(at: tree.attributes[a].value) : nil)
                }
                line(&out, depth.count, tag: n.tag, allowsText: n.allowsText, attributes: attrs)
                depth.append(n.end)
            }
        }
        return out
    }

    static func line(_ out: inout String, _ depth: Int, element name: UnsafePointer<UInt8>?,
                     attributes: [(UnsafePointer<UInt8>, UnsafePointer<UInt8>?)])
    {
        let (tag, allows) = HTMLTag.lookupWithTextFlag(name)
        line(&out, depth, tag: tag, allowsText: allows, attributes: attributes)
    }

    static func line(_ out: inout String, _ depth: Int, tag: HTMLTag, allowsText: Bool,
                     attributes: [(UnsafePointer<UInt8>, UnsafePointer<UInt8>?)])
    {
        out += String(repeating: " ", count: depth) + "<\(tag)\(allowsText ? "+" : "")"
        for (n, v) in attributes { out += " \(String(cString: n))=" + (v.map { "\"\(String(cString: $0))\"" } ?? "∅") }
        out += ">\n"
    }

    static func line(_ out: inout String, _ depth: Int, text: UnsafePointer<UInt8>) {
        out += String(repeating: " ", count: depth) + "\"" + String(cString: text).debugDescription + "\"\n"
    }

    /// The first line where two dumps differ, with the line before it, for a readable failure.
    static func firstDifference(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false)
        let y = b.split(separator: "\n", omittingEmptySubsequences: false)
        var i = 0
        while i < min(x.count, y.count) && x[i] == y[i] { i += 1 }
        let before = i > 0 ? String(x[i - 1].prefix(200)) : ""
        let l = i < x.count ? String(x[i].prefix(200)) : "(end)"
        let r = i < y.count ? String(y[i].prefix(200)) : "(end)"
        return "line \(i + 1) after \(before)\n libxml2:  \(l)\n PageTree: \(r)"
    }

    static func same(_ html: String) -> (Bool, String, String) {
        let bytes = Array(html.utf8)
        let a = libxml2Dump(bytes), b = pageTreeDump(bytes)
        return (a == b, a, b)
    }

    static let cases: [String] = [
        // White space between tags: kept after text and after inline/"PCData" elements, dropped
        // after others, dropped first inside elements that do not take text.
        "<html><body><p>a</p> <ul> <li>x</li> <li>y</li> </ul> <b>b</b> <img src=x> <i>i</i> <br> </body></html>",
        "<html><body> <div> <span> x </span> <table> <tr> <td> 1 </td> </tr> </table> </div> </body></html>",
        "<div><acronym>A</acronym> <tt>t</tt> <map>m</map> <hr>\n\t<var>v</var> </div>",
        // HTML 4.01 strict: white space directly in body always goes.
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><html><body><b>a</b> <br> <p>x</p> </body></html>",
        "<!DOCTYPE html PUBLIC \"-//w3c//dtd html 4//en\"><body><b>a</b> <i>b</i></body>",
        // Text runs: merged across entities, split by comments and processing instructions.
        "<p>a &amp; b &#169; c &unknown; d</p><p>x<!-- c -->y</p><p>u<?php echo 1 ?>v</p>",
        "<p>text <!-- open comment <b>not</b> closed",
        // Character references that are white space stay text.
        "<div><img src=a>&#32;<b>x</b><img>&#10;<i>y</i>&#9;</div>",
        // Content after </html>: into the root without a doctype, beside it with one.
        "<html><body><p>a</p></body></html> <p>after</p> trailing <div>more</div>",
        "<!doctype html><html><body><p>a</p></body></html><p>after</p>",
        "<!-- lead --><html><body><p>a</p></body></html><p>after</p>",
        "<html><body><p>a</p></body></html><!doctype html><p>after</p>",
        // Misplaced html/body/head, implied elements, unclosed and stray tags.
        "<p>no html at all<td>cell<li>item",
        "<html lang=en><body><p>x</p><html lang=de class=y><body id=2><p>y</p><head><title>t</title></head>",
        "<table><tr><td>1<td>2<tr><td>3</table><p>a<p>b<div>c</span></p>d",
        // Raw text elements (CDATA in libxml2), attributes without values, odd names.
        "<body><script>var a = '<p>x</p>'; </script> <style>p{}</style> <p hidden id=x class=\"a  b\">t</p><x-custom data-a=1>c</x-custom></body>",
        "<body><script>never closed <p>x</p>",
        // NUL bytes and non-ASCII text.
        "<p>a\u{0}b</p> <p>ünïcödé — 東京 \u{00A0} x</p>\u{0} <img>",
        // Deep nesting beyond libxml2's 256 levels halts the parse there.
        String(repeating: "<div>", count: 300) + "deep" + String(repeating: "</div>", count: 300) + "<p>after</p>",
        String(repeating: "<span>", count: 255) + "x",
        "",
        "   ",
        "plain text only",
    ]

    @Test("tricky pages give the same tree", arguments: Self.cases.indices)
    func tricky(_ k: Int) {
        let (ok, expected, got) = Self.same(Self.cases[k])
        #expect(ok, "libxml2:\n\(expected)\nPageTree:\n\(got)")
    }

    @Test("benchmark floors stop where they say: nothing, libxml2 alone, the page index")
    func floors() {
        let page = Array("<html><head><title>t</title></head><body><div class=a><p>One, two.</p><p>Three</p></div></body></html>".utf8)
        let extractor = HTMLExtractor()
        #expect(extractor.run(bytes: page, upTo: .read) == 0)
        #expect(extractor.run(bytes: page, upTo: .tokenize) == 1)
        // body, div, p, text, p, text
        #expect(extractor.run(bytes: page, upTo: .tree) == 6)
        #expect(extractor.run(bytes: [], upTo: .tree) == 0)
        #expect(extractor.extract(bytes: page).title == "t")
    }

    @Test("the real benchmark pages give the same tree")
    func realPages() throws {
        guard RealPagesTests.hasData else {
            print("skipped: ../shared/data/html is absent")
            return
        }
        var pages = 0
        for sub in ["scrapinghub", "trafilatura"] {
            let dir = RealPagesTests.dataRoot + "/\(sub)/html"
            // (Every fourth page of each set, to keep the test quick; all 589 agree.)
            for (k, name) in try FileManager.default.contentsOfDirectory(atPath: dir).sorted().enumerated() where k % 4 == 0 {
                let bytes = try RealPagesTests.read(dir + "/" + name)
                // (As extraction parses it: valid UTF-8.)
                let page = Array(String(decoding: bytes, as: UTF8.self).utf8)
                let a = Self.libxml2Dump(page), b = Self.pageTreeDump(page)
                #expect(a == b, "\(sub)/\(name): \(Self.firstDifference(a, b))")
                pages += 1
            }
        }
        #expect(pages > 140)
    }
}
