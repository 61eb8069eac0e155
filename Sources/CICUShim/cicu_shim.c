#include "cicu_shim.h"
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/unorm2.h>
#include <unicode/utext.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>
#include <unicode/ucasemap.h>
#include <unicode/uchar.h>
#include <unicode/utf16.h>
#include <pthread.h>
#include <unicode/utypes.h>

void cicu_version(char *buf, int32_t cap) {
    UVersionInfo v;
    u_getVersion(v);
    char tmp[U_MAX_VERSION_STRING_LENGTH];
    u_versionToString(v, tmp);
    strncpy(buf, tmp, (size_t)cap);
    if (cap > 0) buf[cap - 1] = 0;
}

const char *cicu_error_name(int32_t code) { return u_errorName((UErrorCode)code); }

static const UNormalizer2 *normalizer(int32_t form, UErrorCode *e) {
    switch (form) {
    case CICU_NFC: return unorm2_getNFCInstance(e);
    case CICU_NFKC: return unorm2_getNFKCInstance(e);
    case CICU_NFD: return unorm2_getNFDInstance(e);
    case CICU_NFKD: return unorm2_getNFKDInstance(e);
    default: return unorm2_getNFKCCasefoldInstance(e);
    }
}

/* UTF-8 → UTF-16 → normalised UTF-16 (malloc'd; *outlen set). NULL and *e set on failure. */
static UChar *normalize_utf16(const UNormalizer2 *n, const uint8_t *src, int32_t len, int32_t *outlen, UErrorCode *e) {
    int32_t u16len = 0;
    u_strFromUTF8(NULL, 0, &u16len, (const char *)src, len, e);
    if (*e == U_BUFFER_OVERFLOW_ERROR) *e = U_ZERO_ERROR;
    if (U_FAILURE(*e)) return NULL;
    UChar *in = (UChar *)malloc(sizeof(UChar) * (size_t)(u16len + 1));
    u_strFromUTF8(in, u16len + 1, NULL, (const char *)src, len, e);
    if (U_FAILURE(*e)) { free(in); return NULL; }
    int32_t outcap = u16len * 3 + 16;
    UChar *out = (UChar *)malloc(sizeof(UChar) * (size_t)outcap);
    *outlen = unorm2_normalize(n, in, u16len, out, outcap, e);
    if (*e == U_BUFFER_OVERFLOW_ERROR) {
        *e = U_ZERO_ERROR; free(out); outcap = *outlen + 1;
        out = (UChar *)malloc(sizeof(UChar) * (size_t)outcap);
        *outlen = unorm2_normalize(n, in, u16len, out, outcap, e);
    }
    free(in);
    if (U_FAILURE(*e)) { free(out); return NULL; }
    return out;
}

/* UTF-16 → UTF-8 into dst (cap bytes); returns the bytes needed; frees `s`. */
static int32_t to_utf8_and_free(UChar *s, int32_t len, uint8_t *dst, int32_t cap, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    int32_t need = 0;
    u_strToUTF8((char *)dst, cap, &need, s, len, &e);
    free(s);
    if (e == U_BUFFER_OVERFLOW_ERROR || e == U_STRING_NOT_TERMINATED_WARNING) e = U_ZERO_ERROR;
    *err = U_FAILURE(e) ? e : 0;
    return need;
}

int32_t cicu_normalize_utf8(int32_t form, const uint8_t *src, int32_t len, uint8_t *dst, int32_t cap, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *n = normalizer(form, &e);
    if (U_FAILURE(e)) { *err = e; return 0; }
    /* ICU 72's C API has no UTF-8 normalise entry point. */
    int32_t outlen = 0;
    UChar *out = normalize_utf16(n, src, len, &outlen, &e);
    if (!out) { *err = e; return 0; }
    return to_utf8_and_free(out, outlen, dst, cap, err);
}

static UCaseMap *root_casemap = NULL;
static pthread_once_t casemap_once = PTHREAD_ONCE_INIT;
static void open_casemap(void) {
    UErrorCode e = U_ZERO_ERROR;
    root_casemap = ucasemap_open("", U_FOLD_CASE_DEFAULT, &e);
}

int32_t cicu_utf8_lower(const uint8_t *src, int32_t len, uint8_t *dst, int32_t cap, int32_t *err) {
    pthread_once(&casemap_once, open_casemap);
    if (!root_casemap) { *err = U_INTERNAL_PROGRAM_ERROR; return 0; }
    UErrorCode e = U_ZERO_ERROR;
    int32_t n = ucasemap_utf8ToLower(root_casemap, (char *)dst, cap, (const char *)src, len, &e);
    if (e == U_BUFFER_OVERFLOW_ERROR || e == U_STRING_NOT_TERMINATED_WARNING) e = U_ZERO_ERROR;
    *err = U_FAILURE(e) ? e : 0;
    return n;
}

int32_t cicu_nfd_strip_marks(const uint8_t *src, int32_t len, uint8_t *dst, int32_t cap, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *n = unorm2_getNFDInstance(&e);
    if (U_FAILURE(e)) { *err = e; return 0; }
    int32_t outlen = 0;
    UChar *out = normalize_utf16(n, src, len, &outlen, &e);
    if (!out) { *err = e; return 0; }
    /* Drop Mn code points in place. */
    int32_t w = 0;
    for (int32_t i = 0; i < outlen;) {
        UChar32 c;
        int32_t start = i;
        U16_NEXT(out, i, outlen, c);
        if (u_charType(c) == U_NON_SPACING_MARK) continue;
        for (int32_t k = start; k < i; k++) out[w++] = out[k];
    }
    return to_utf8_and_free(out, w, dst, cap, err);
}

struct cicu_breaker { UBreakIterator *bi; UText *ut; };

cicu_breaker *cicu_breaker_open(int32_t kind, const char *locale, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    UBreakIteratorType t = kind == CICU_BREAK_SENTENCE ? UBRK_SENTENCE
        : kind == CICU_BREAK_LINE ? UBRK_LINE : kind == CICU_BREAK_CHARACTER ? UBRK_CHARACTER : UBRK_WORD;
    UBreakIterator *bi = ubrk_open(t, locale, NULL, 0, &e);
    if (U_FAILURE(e)) { *err = e; return NULL; }
    cicu_breaker *b = (cicu_breaker *)calloc(1, sizeof(cicu_breaker));
    b->bi = bi;
    *err = 0;
    return b;
}

void cicu_breaker_close(cicu_breaker *b) {
    if (!b) return;
    if (b->ut) utext_close(b->ut);
    ubrk_close(b->bi);
    free(b);
}

int32_t cicu_breaker_segment(cicu_breaker *b, const uint8_t *utf8, int64_t len, int32_t words_only,
                             int64_t *bounds, int32_t cap, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    b->ut = utext_openUTF8(b->ut, (const char *)utf8, len, &e);
    if (U_FAILURE(e)) { *err = e; return 0; }
    ubrk_setUText(b->bi, b->ut, &e);
    if (U_FAILURE(e)) { *err = e; return 0; }
    int32_t n = 0;
    int32_t start = ubrk_first(b->bi);
    for (int32_t end = ubrk_next(b->bi); end != UBRK_DONE; start = end, end = ubrk_next(b->bi)) {
        if (words_only && ubrk_getRuleStatus(b->bi) < UBRK_WORD_NONE_LIMIT) continue;
        if (n < cap) { bounds[2 * n] = start; bounds[2 * n + 1] = end; }
        n++;
    }
    *err = 0;
    return n;
}
