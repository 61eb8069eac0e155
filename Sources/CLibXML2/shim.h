#include <libxml/xmlversion.h>
/* Debian builds libxml2 with ICU, so encoding.h would include the system ICU headers (ICU 72)
 * into this module. Foundation bundles its own ICU (_FoundationICU) with a different
 * `enum UErrorCode`, and any module that sees both fails to build from a clean module cache
 * (docs/decisions/0003). Winnow never uses libxml2's ICU converters, so the ICU part of the
 * headers is switched off here; it only drops two trailing pointer fields from
 * xmlCharEncodingHandler, a struct Winnow never allocates or reads. */
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlmemory.h>
#include <libxml/parserInternals.h>
/* xmlFree is a global function-pointer variable that Swift 6 rejects as not concurrency-safe. */
static inline void cxml_free(void *p) { xmlFree(p); }
/* The libxml2 version as an integer, e.g. 20914 for 2.9.14. */
static inline int cxml_version(void) { return LIBXML_VERSION; }
/* Parses an HTML page from memory through the caller's SAX handler, with the context set up as
 * htmlReadMemory(buffer, size, NULL, "UTF-8", options) sets it up (the options, then the input
 * declared UTF-8), and `user` in the context's _private (the callbacks get the context).
 * Returns 0, or -1 when no context could be made. */
static inline int cxml_html_sax_parse(const char *buffer, int size, int options, const htmlSAXHandler *sax,
                                      void *user) {
    htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(buffer, size);
    if (ctxt == NULL) return -1;
    htmlCtxtUseOptions(ctxt, options);
    ctxt->html = 1;
    xmlCharEncodingHandlerPtr utf8 = xmlFindCharEncodingHandler("UTF-8");
    if (utf8 != NULL) xmlSwitchToEncoding(ctxt, utf8);
    *ctxt->sax = *sax; /* after htmlCtxtUseOptions, which sets its own ignorableWhitespace */
    ctxt->_private = user;
    htmlParseDocument(ctxt);
    if (ctxt->myDoc != NULL) xmlFreeDoc(ctxt->myDoc);
    htmlFreeParserCtxt(ctxt);
    return 0;
}
