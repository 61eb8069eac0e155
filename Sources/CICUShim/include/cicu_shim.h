#ifndef CICU_SHIM_H
#define CICU_SHIM_H
/* A plain-C face for the system ICU: only <stdint.h> types cross into Swift, so Foundation's
   bundled ICU (_FoundationICU) and the system ICU never meet in one Clang module. */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ICU version as "major.minor" into buf (at least 16 bytes). */
void cicu_version(char *buf, int32_t cap);

/** Name of an ICU error code. */
const char *cicu_error_name(int32_t code);

/** Normalisation forms for cicu_normalize_utf8. */
enum { CICU_NFC = 0, CICU_NFKC = 1, CICU_NFD = 2, CICU_NFKD = 3, CICU_NFKC_CASEFOLD = 4 };

/** Normalises UTF-8 `src` (len bytes) into `dst` (cap bytes). Returns the bytes needed
    (may exceed cap: call again with a larger buffer); sets *err on failure. */
int32_t cicu_normalize_utf8(int32_t form, const uint8_t *src, int32_t len, uint8_t *dst, int32_t cap, int32_t *err);

/** Lowercases UTF-8 `src` into `dst` with the root locale's full case mapping (UTF-8 in and out,
    no UTF-16 copy). Returns the bytes needed (may exceed cap); sets *err on failure. Thread-safe. */
int32_t cicu_utf8_lower(const uint8_t *src, int32_t len, uint8_t *dst, int32_t cap, int32_t *err);

/** NFD-decomposes UTF-8 `src` and drops every nonspacing mark (general category Mn), as
    `"".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")`.
    Returns the bytes needed (may exceed cap); sets *err on failure. */
int32_t cicu_nfd_strip_marks(const uint8_t *src, int32_t len, uint8_t *dst, int32_t cap, int32_t *err);

/** Opaque break iterator over UTF-8 text (through utext_openUTF8, no UTF-16 copy). */
typedef struct cicu_breaker cicu_breaker;
enum { CICU_BREAK_WORD = 0, CICU_BREAK_SENTENCE = 1, CICU_BREAK_LINE = 2, CICU_BREAK_CHARACTER = 3 };

/** Opens a breaker of `kind` for `locale` (e.g. "en"); NULL and *err on failure. */
cicu_breaker *cicu_breaker_open(int32_t kind, const char *locale, int32_t *err);
void cicu_breaker_close(cicu_breaker *b);

/** Segments UTF-8 text; writes [start, end) byte pairs into bounds (2 * cap ints). When
    words_only, only segments whose rule status is a word (letters, numbers, kana, ideographs)
    are kept. Returns the number of segments (may exceed cap: call again with more room). */
int32_t cicu_breaker_segment(cicu_breaker *b, const uint8_t *utf8, int64_t len, int32_t words_only,
                             int64_t *bounds, int32_t cap, int32_t *err);

#ifdef __cplusplus
}
#endif
#endif
