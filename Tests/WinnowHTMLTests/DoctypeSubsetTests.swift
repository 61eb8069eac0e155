import Foundation
import Testing
import WinnowHTML

/// A doctype's internal subset (XML DTD syntax, no place in HTML) never reaches the text, and
/// nothing it declares is loaded or expanded.
@Suite("html_extract: doctype internal subset")
struct DoctypeSubsetTests {
    static let article = (0..<4).map { i in
        "<p>The harbour report, part \(i), explains in plain words how the committee weighed the evidence, "
            + "which experts it heard, and why the final recommendation, after months of debate, changed.</p>"
    }.joined()

    @Test("the subset's declarations do not leak into the text", arguments: [
        "<!DOCTYPE html [ <!ENTITY % pe SYSTEM \"file:///etc/passwd\"> %pe; <!ENTITY x \"leaked-entity-value\"> ]>",
        "<!doctype html [\n  <!ENTITY % pe SYSTEM 'file:///etc/passwd'>\n  <!-- a ] comment > -->\n  %pe;\n]>",
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"x.dtd\" [ <!ATTLIST p leaked CDATA \"x]>\"> ]>",
        "<!DOCTYPE html [ <!ENTITY % pe SYSTEM \"file:///etc/passwd\">",  // never closed
    ])
    func noLeak(doctype: String) {
        // A short page: its whole body is the main text, so anything leaked shows.
        let short = doctype + "\n<html><head><title>Harbour</title></head><body><p>Hello world, this is a short page.</p></body></html>"
        let page = HTMLExtractor.extract(html: short)
        #expect(page.text == "Hello world, this is a short page.", "\(page.text)")
        #expect(page.title == "Harbour")
        // A long page: the article is found as before.
        let long = doctype + "<html><head><title>T</title></head><body><article>" + Self.article + "</article></body></html>"
        let text = HTMLExtractor.extract(html: long).text
        #expect(text.contains("The harbour report, part 3"), "\(text)")
        for leak in ["ENTITY", "passwd", "%pe", "ATTLIST", "leaked", "]>"] {
            #expect(!text.contains(leak), "'\(leak)' leaked: \(text)")
        }
    }

    @Test("an external entity naming a local file is neither loaded nor expanded")
    func noExternalEntity() throws {
        let dir = NSTemporaryDirectory() + "winnow-xxe-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let secret = dir + "/secret.txt"
        try "SECRET-SENTINEL-7f3a".write(toFile: secret, atomically: true, encoding: .utf8)
        let page = "<!DOCTYPE html [ <!ENTITY xxe SYSTEM \"file://\(secret)\"> <!ENTITY word \"EXPANDED-WORD\"> ]>"
            + "<html><body><p>Entity: &xxe; and &word; here.</p></body></html>"
        let text = HTMLExtractor.extract(html: page).text
        #expect(!text.contains("SECRET-SENTINEL"), "\(text)")
        #expect(!text.contains("EXPANDED-WORD"), "\(text)")
        #expect(!text.contains("ENTITY") && !text.contains("secret.txt"), "\(text)")
        #expect(text.hasPrefix("Entity: "), "\(text)")
    }

    @Test("an ordinary doctype is left alone")
    func ordinaryDoctype() {
        let page = "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\"><html><body><article>"
            + Self.article + "</article></body></html>"
        let text = HTMLExtractor.extract(html: page).text
        #expect(text.contains("The harbour report, part 0"))
        #expect(!text.contains("DTD"))
    }
}
