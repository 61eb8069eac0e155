/* The block fast path of TextNormalizer's whitespace collapse: AVX2 (32 bytes, chosen at run
   time), SSE2 (16 bytes, baseline x86-64) or portable C (16 bytes). See cicu_collapse.h.

   Per block: w = whitespace mask, drop = w & ((w << 1) | after_space) -- the whitespace bytes
   that follow a space. A block with nothing to drop is stored whole (whitespace turned into
   spaces, A-Z lowercased); one with drops is copied byte by byte without branches. */
#include "cicu_collapse.h"
#include "cicu_isa.h"
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CICU_X86 1
#endif

/* Copies the `len` bytes of y to dst without those flagged in `drop` (bit k for y[k]); returns
   the bytes written. Branch-free: every byte is stored, the cursor moves past the kept ones. */
static inline size_t compact(const uint8_t *y, int len, uint32_t drop, uint8_t *dst) {
    size_t w = 0;
    for (int k = 0; k < len; k++) {
        dst[w] = y[k];
        w += ((drop >> k) & 1) ^ 1;
    }
    return w;
}

static size_t blocks_portable(const uint8_t *src, size_t n, uint8_t *dst, int32_t lower, int32_t *after_space,
                              size_t *written) {
    size_t i = 0, w = 0;
    uint32_t after = (uint32_t)(*after_space != 0);
    while (i + 16 <= n) {
        uint8_t y[16];
        uint32_t ws = 0, high = 0;
        for (int k = 0; k < 16; k++) {
            uint8_t c = src[i + k];
            high |= c & 0x80;
            uint32_t isws = (c == 0x20) | ((uint8_t)(c - 0x09) <= 4);
            ws |= isws << k;
            y[k] = isws ? 0x20 : ((lower && c >= 0x41 && c <= 0x5A) ? (uint8_t)(c | 0x20) : c);
        }
        if (high) break;
        w += compact(y, 16, ws & ((ws << 1) | after), dst + w);
        after = (ws >> 15) & 1;
        i += 16;
    }
    if (i > 0) *after_space = (int32_t)after;
    *written = w;
    return i;
}

#ifdef CICU_X86
static size_t blocks_sse2(const uint8_t *src, size_t n, uint8_t *dst, int32_t lower, int32_t *after_space,
                          size_t *written) {
    size_t i = 0, w = 0;
    uint32_t after = (uint32_t)(*after_space != 0);
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i above_8 = _mm_set1_epi8(0x08);
    const __m128i below_e = _mm_set1_epi8(0x0E);
    const __m128i above_at = _mm_set1_epi8(0x40);
    const __m128i below_bracket = _mm_set1_epi8(0x5B);
    while (i + 16 <= n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(src + i));
        if (_mm_movemask_epi8(x) != 0) break;  /* a byte >= 0x80 */
        __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(x, space),
                                  _mm_and_si128(_mm_cmpgt_epi8(x, above_8), _mm_cmplt_epi8(x, below_e)));
        uint32_t m = (uint32_t)_mm_movemask_epi8(ws);
        __m128i y = _mm_or_si128(_mm_andnot_si128(ws, x), _mm_and_si128(ws, space));
        if (lower) {
            __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(y, above_at), _mm_cmplt_epi8(y, below_bracket));
            y = _mm_or_si128(y, _mm_and_si128(upper, space));
        }
        uint32_t drop = m & ((m << 1) | after);
        if (drop == 0) {
            _mm_storeu_si128((__m128i *)(dst + w), y);
            w += 16;
        } else {
            uint8_t t[16];
            _mm_storeu_si128((__m128i *)t, y);
            w += compact(t, 16, drop, dst + w);
        }
        after = (m >> 15) & 1;
        i += 16;
    }
    if (i > 0) *after_space = (int32_t)after;
    *written = w;
    return i;
}

__attribute__((target("avx2")))
static size_t blocks_avx2(const uint8_t *src, size_t n, uint8_t *dst, int32_t lower, int32_t *after_space,
                          size_t *written) {
    size_t i = 0, w = 0;
    uint32_t after = (uint32_t)(*after_space != 0);
    const __m256i space = _mm256_set1_epi8(0x20);
    const __m256i above_8 = _mm256_set1_epi8(0x08);
    const __m256i below_e = _mm256_set1_epi8(0x0E);
    const __m256i above_at = _mm256_set1_epi8(0x40);
    const __m256i below_bracket = _mm256_set1_epi8(0x5B);
    while (i + 32 <= n) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(src + i));
        if (_mm256_movemask_epi8(x) != 0) break;  /* a byte >= 0x80 */
        __m256i ws = _mm256_or_si256(_mm256_cmpeq_epi8(x, space),
                                     _mm256_and_si256(_mm256_cmpgt_epi8(x, above_8), _mm256_cmpgt_epi8(below_e, x)));
        uint32_t m = (uint32_t)_mm256_movemask_epi8(ws);
        __m256i y = _mm256_blendv_epi8(x, space, ws);
        if (lower) {
            __m256i upper = _mm256_and_si256(_mm256_cmpgt_epi8(y, above_at), _mm256_cmpgt_epi8(below_bracket, y));
            y = _mm256_or_si256(y, _mm256_and_si256(upper, space));
        }
        uint32_t drop = m & ((m << 1) | after);
        if (drop == 0) {
            _mm256_storeu_si256((__m256i *)(dst + w), y);
            w += 32;
        } else {
            uint8_t t[32];
            _mm256_storeu_si256((__m256i *)t, y);
            w += compact(t, 32, drop, dst + w);
        }
        after = m >> 31;
        i += 32;
    }
    if (i > 0) *after_space = (int32_t)after;
    *written = w;
    return i;
}
#endif

static int32_t chosen = -1;  /* benign race: every thread computes the same value */

void cicu_collapse_set_isa(int32_t isa) {
    chosen = cicu_choose_isa(isa);
}

size_t cicu_collapse_ascii(const uint8_t *src, size_t n, uint8_t *dst, int32_t lower, int32_t *after_space,
                           size_t *written) {
    if (chosen < 0) chosen = cicu_best_isa();
    switch (chosen) {
#ifdef CICU_X86
    case 2: return blocks_avx2(src, n, dst, lower, after_space, written);
    case 1: return blocks_sse2(src, n, dst, lower, after_space, written);
#endif
    default: return blocks_portable(src, n, dst, lower, after_space, written);
    }
}
