#ifndef CICU_CONVERT_H
#define CICU_CONVERT_H
/* Charset conversion (ucnv) and detection (ucsdet) with plain-C types only, for the web readers. */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Whether ICU has a converter for `charset` (any of its aliases). Writes ICU's canonical name
    into `canonical` (cap bytes, NUL-terminated) when it does. Returns 1 or 0. */
int32_t cicu_charset_canonical(const char *charset, char *canonical, int32_t cap);

/** Converts `len` bytes of `src` in `charset` to UTF-8 in `dst` (cap bytes). Bytes that are
    invalid or unmapped in the charset become U+FFFD. Returns the UTF-8 length needed (may exceed
    cap: call again with a larger buffer); sets *err on failure (e.g. unknown charset). */
int32_t cicu_convert_to_utf8(const char *charset, const uint8_t *src, int32_t len, uint8_t *dst, int32_t cap,
                             int32_t *err);

/** Guesses the charset of `len` bytes with ICU's detector (HTML tags filtered out when
    `strip_markup`). With `ascii_compatible_only`, the best match among the charsets that keep
    ASCII bytes as ASCII (no UTF-16/32, no EBCDIC) is taken. Writes the name into `name` (cap
    bytes) and returns the confidence 0–100, or -1 when nothing matched; sets *err on failure. */
int32_t cicu_detect_charset(const uint8_t *src, int32_t len, int32_t strip_markup, int32_t ascii_compatible_only,
                            char *name, int32_t cap, int32_t *err);

#ifdef __cplusplus
}
#endif
#endif
