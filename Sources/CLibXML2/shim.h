#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlmemory.h>
#include <libxml/xmlversion.h>
/* xmlFree is a global function-pointer variable that Swift 6 rejects as not concurrency-safe. */
static inline void cxml_free(void *p) { xmlFree(p); }
/* The libxml2 version as an integer, e.g. 20914 for 2.9.14. */
static inline int cxml_version(void) { return LIBXML_VERSION; }
