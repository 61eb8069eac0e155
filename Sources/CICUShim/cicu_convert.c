#include "cicu_convert.h"
#include <stdlib.h>
#include <string.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>
#include <unicode/ucsdet.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>

int32_t cicu_charset_canonical(const char *charset, char *canonical, int32_t cap) {
    UErrorCode e = U_ZERO_ERROR;
    UConverter *c = ucnv_open(charset, &e);
    if (U_FAILURE(e) || c == NULL) return 0;
    const char *name = ucnv_getName(c, &e);
    if (U_SUCCESS(e) && name != NULL && cap > 0) {
        strncpy(canonical, name, (size_t)cap);
        canonical[cap - 1] = 0;
    }
    ucnv_close(c);
    return U_SUCCESS(e) ? 1 : 0;
}

int32_t cicu_convert_to_utf8(const char *charset, const uint8_t *src, int32_t len, uint8_t *dst, int32_t cap,
                             int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    *err = 0;
    UConverter *c = ucnv_open(charset, &e);
    if (U_FAILURE(e) || c == NULL) {
        *err = (int32_t)(U_FAILURE(e) ? e : U_FILE_ACCESS_ERROR);
        return 0;
    }
    /* Invalid and unmapped input becomes U+FFFD (some single-byte tables would give U+001A). */
    static const UChar replacement[1] = {0xFFFD};
    ucnv_setSubstString(c, replacement, 1, &e);
    e = U_ZERO_ERROR;
    ucnv_setToUCallBack(c, UCNV_TO_U_CALLBACK_SUBSTITUTE, NULL, NULL, NULL, &e);
    if (U_FAILURE(e)) {
        *err = (int32_t)e;
        ucnv_close(c);
        return 0;
    }
    /* At most one UTF-16 unit per input byte for every ICU converter, plus a flushed partial
       sequence's replacement. */
    int32_t ucap = len + 8;
    UChar *u = (UChar *)malloc(sizeof(UChar) * (size_t)ucap);
    if (u == NULL) {
        *err = (int32_t)U_MEMORY_ALLOCATION_ERROR;
        ucnv_close(c);
        return 0;
    }
    int32_t ulen = ucnv_toUChars(c, u, ucap, (const char *)src, len, &e);
    if (e == U_BUFFER_OVERFLOW_ERROR) {
        free(u);
        ucap = ulen + 1;
        u = (UChar *)malloc(sizeof(UChar) * (size_t)ucap);
        if (u == NULL) {
            *err = (int32_t)U_MEMORY_ALLOCATION_ERROR;
            ucnv_close(c);
            return 0;
        }
        e = U_ZERO_ERROR;
        ucnv_reset(c);
        ulen = ucnv_toUChars(c, u, ucap, (const char *)src, len, &e);
    }
    ucnv_close(c);
    if (U_FAILURE(e) && e != U_STRING_NOT_TERMINATED_WARNING) {
        free(u);
        *err = (int32_t)e;
        return 0;
    }
    e = U_ZERO_ERROR;
    int32_t out = 0;
    /* Unpaired surrogates (possible from UTF-16 input) also become U+FFFD. */
    u_strToUTF8WithSub((char *)dst, cap, &out, u, ulen, 0xFFFD, NULL, &e);
    free(u);
    if (U_FAILURE(e) && e != U_BUFFER_OVERFLOW_ERROR && e != U_STRING_NOT_TERMINATED_WARNING) {
        *err = (int32_t)e;
        return 0;
    }
    return out;
}

/* Charsets ICU's detector knows that do not keep ASCII bytes as ASCII. */
static int cicu_ascii_incompatible(const char *n) {
    static const char *const names[] = {"UTF-16BE",   "UTF-16LE",   "UTF-32BE",   "UTF-32LE",
                                        "IBM420_rtl", "IBM420_ltr", "IBM424_rtl", "IBM424_ltr"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(n, names[i]) == 0) return 1;
    }
    return 0;
}

int32_t cicu_detect_charset(const uint8_t *src, int32_t len, int32_t strip_markup, int32_t ascii_compatible_only,
                            char *name, int32_t cap, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    *err = 0;
    UCharsetDetector *d = ucsdet_open(&e);
    if (U_FAILURE(e)) {
        *err = (int32_t)e;
        return -1;
    }
    ucsdet_enableInputFilter(d, strip_markup ? 1 : 0);
    ucsdet_setText(d, (const char *)src, len, &e);
    int32_t found = 0;
    const UCharsetMatch **all = U_SUCCESS(e) ? ucsdet_detectAll(d, &found, &e) : NULL;
    int32_t confidence = -1;
    for (int32_t i = 0; U_SUCCESS(e) && all != NULL && i < found; i++) {
        const char *n = ucsdet_getName(all[i], &e);
        if (U_FAILURE(e) || n == NULL) break;
        if (ascii_compatible_only && cicu_ascii_incompatible(n)) continue;
        int32_t c = ucsdet_getConfidence(all[i], &e);
        if (U_FAILURE(e) || cap <= 0) break;
        strncpy(name, n, (size_t)cap);
        name[cap - 1] = 0;
        confidence = c;
        break;
    }
    ucsdet_close(d);
    if (U_FAILURE(e)) {
        *err = (int32_t)e;
        confidence = -1;
    }
    return confidence;
}
