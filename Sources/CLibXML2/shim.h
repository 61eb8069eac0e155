#include <libxml/xmlversion.h>
/* Debian builds libxml2 with ICU, so encoding.h would include the system ICU headers (ICU 72)
 * into this module. Foundation bundles its own ICU (_FoundationICU) with a different
 * `enum UErrorCode`, and any module that sees both fails to build from a clean module cache
 * (docs/decisions/0003). Winnow never uses libxml2's ICU converters, so the ICU part of the
 * headers is switched off here; it only drops two trailing pointer fields from
 * xmlCharEncodingHandler, a struct Winnow never allocates or reads. */
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlmemory.h>
/* xmlFree is a global function-pointer variable that Swift 6 rejects as not concurrency-safe. */
static inline void cxml_free(void *p) { xmlFree(p); }
/* The libxml2 version as an integer, e.g. 20914 for 2.9.14. */
static inline int cxml_version(void) { return LIBXML_VERSION; }
