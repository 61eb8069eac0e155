import CICUShim
import CLibXML2
import COpenBLAS
import CZlib
import CZstd
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Proves every C library links and answers, before the layers that use them do real work.
@Suite("System libraries link")
struct LinkTests {
    @Test("zlib and zstd report versions")
    func compression() {
        #expect(String(cString: zlibVersion()).hasPrefix("1."))
        #expect(ZSTD_versionNumber() >= 10400)
    }

    @Test("libxml2 parses HTML with network access off")
    func libxml2() {
        let html = "<html><body><p>Hello &amp; welcome<p>unclosed</body></html>"
        let doc = html.withCString { htmlReadMemory($0, Int32(strlen($0)), "about:blank", "UTF-8",
            Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_NONET.rawValue)) }
        #expect(doc != nil)
        if let doc, let root = xmlDocGetRootElement(doc), let content = xmlNodeGetContent(root) {
            let text = String(cString: UnsafeRawPointer(content).assumingMemoryBound(to: CChar.self))
            #expect(text.contains("Hello & welcome"))
            cxml_free(content)
        }
        xmlFreeDoc(doc)
        #expect(cxml_version() >= 20900)
    }

    @Test("OpenBLAS multiplies matrices")
    func openblas() {
        let a: [Float] = [1, 2, 3, 4]  // 2×2
        let b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        #expect(wblas_load_error() == nil)
        wblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2)
        #expect(c == [19, 22, 43, 50])
        #expect(wblas_is_loaded() != 0)
        #expect(!String(cString: wblas_corename()).isEmpty)
    }

    @Test("ICU segments words and normalises through the C shim")
    func icu() {
        var err: Int32 = 0
        let b = cicu_breaker_open(Int32(CICU_BREAK_WORD), "en", &err)
        #expect(b != nil && err == 0)
        let text = Array("Crème brûlée, 東京都に住んでいます。".utf8)
        var bounds = [Int64](repeating: 0, count: 64)
        let n = cicu_breaker_segment(b, text, Int64(text.count), 1, &bounds, 32, &err)
        cicu_breaker_close(b)
        let words = (0..<Int(n)).map { String(decoding: text[Int(bounds[2 * $0])..<Int(bounds[2 * $0 + 1])], as: UTF8.self) }
        #expect(words.prefix(3) == ["Crème", "brûlée", "東京"])
        let src = Array("ﬁne Ｆｕｌｌ ①".utf8)
        var dst = [UInt8](repeating: 0, count: 64)
        let len = cicu_normalize_utf8(Int32(CICU_NFKC), src, Int32(src.count), &dst, 64, &err)
        #expect(String(decoding: dst[0..<Int(len)], as: UTF8.self) == "fine Full 1")
    }
}
