#ifndef CICU_WORDS_H
#define CICU_WORDS_H
/* UAX #29 word segmentation over UTF-8 (utext_openUTF8: no UTF-16 copy). Plain C types only. */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque word segmenter; one per thread (it owns an ICU break iterator). */
typedef struct cicu_words cicu_words;

/** Opens a word segmenter for `locale` (e.g. "en", "ja"); NULL and *err set on failure. */
cicu_words *cicu_words_open(const char *locale, int32_t *err);

/** Closes a segmenter (NULL is ignored). */
void cicu_words_close(cicu_words *w);

/** Writes the [start, end) byte offsets of every word in UTF-8 `text` (len bytes) into
    `bounds` (2 * cap values). A word is a segment whose rule status is not "none" (letters,
    numbers, kana, ideographs), plus, when `keep_punct`, every other non-space segment.
    Returns the number of words (may exceed cap: call again with more room); sets *err. */
int32_t cicu_words_split(cicu_words *w, const uint8_t *text, int64_t len, int32_t keep_punct,
                         int64_t *bounds, int32_t cap, int32_t *err);

#ifdef __cplusplus
}
#endif
#endif
