#include "cicu_words.h"
#include <stdlib.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

struct cicu_words {
    UBreakIterator *bi;
    UText *ut;
};

cicu_words *cicu_words_open(const char *locale, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    UBreakIterator *bi = ubrk_open(UBRK_WORD, locale, NULL, 0, &e);
    if (U_FAILURE(e)) { *err = e; return NULL; }
    cicu_words *w = (cicu_words *)calloc(1, sizeof(cicu_words));
    if (!w) { ubrk_close(bi); *err = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    w->bi = bi;
    *err = 0;
    return w;
}

void cicu_words_close(cicu_words *w) {
    if (!w) return;
    if (w->ut) utext_close(w->ut);
    ubrk_close(w->bi);
    free(w);
}

static int only_space(const uint8_t *s, int64_t a, int64_t b) {
    int64_t i = a;
    while (i < b) {
        UChar32 c;
        U8_NEXT(s, i, b, c);
        if (c < 0 || !u_isUWhiteSpace(c)) return 0;
    }
    return 1;
}

int32_t cicu_words_split(cicu_words *w, const uint8_t *text, int64_t len, int32_t keep_punct,
                         int64_t *bounds, int32_t cap, int32_t *err) {
    UErrorCode e = U_ZERO_ERROR;
    w->ut = utext_openUTF8(w->ut, (const char *)text, len, &e);
    if (U_FAILURE(e)) { *err = e; return 0; }
    ubrk_setUText(w->bi, w->ut, &e);
    if (U_FAILURE(e)) { *err = e; return 0; }
    int32_t n = 0;
    int32_t start = ubrk_first(w->bi);
    for (int32_t end = ubrk_next(w->bi); end != UBRK_DONE; start = end, end = ubrk_next(w->bi)) {
        int keep = ubrk_getRuleStatus(w->bi) >= UBRK_WORD_NONE_LIMIT;
        if (!keep && keep_punct) keep = !only_space(text, start, end);
        if (!keep) continue;
        if (n < cap) {
            bounds[2 * n] = start;
            bounds[2 * n + 1] = end;
        }
        n++;
    }
    *err = 0;
    return n;
}
