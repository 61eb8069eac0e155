/* The 16-byte fast path of TextNormalizer's whitespace collapse: SSE2 (baseline x86-64), with a
   portable 8-byte fallback elsewhere. See cicu_collapse.h. */
#include "cicu_collapse.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

size_t cicu_collapse_ascii(const uint8_t *src, size_t n, uint8_t *dst, int32_t lower, int32_t *after_space) {
    size_t i = 0;
    int after = *after_space;
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i below_space = _mm_set1_epi8(0x1F);   /* signed: x > 0x1F means >= 0x20 for ASCII */
    const __m128i below_a = _mm_set1_epi8(0x40);
    const __m128i above_z = _mm_set1_epi8(0x5B);
    const __m128i case_bit = _mm_set1_epi8(0x20);
    while (i + 16 <= n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(src + i));
        /* Bytes >= 0x80 are negative as signed: they fail "> 0x1F" too. */
        unsigned printable = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(x, below_space));
        if (printable != 0xFFFF) break;
        unsigned spaces = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, space));
        if ((spaces & (spaces << 1)) != 0 || (after && (spaces & 1))) break;
        if (lower) {
            __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(x, below_a), _mm_cmplt_epi8(x, above_z));
            x = _mm_or_si128(x, _mm_and_si128(upper, case_bit));
        }
        _mm_storeu_si128((__m128i *)(dst + i), x);
        after = (spaces >> 15) & 1;
        i += 16;
    }
#else
    while (i + 16 <= n) {
        int ok = 1;
        unsigned spaces = 0;
        for (int k = 0; k < 16; k++) {
            uint8_t c = src[i + k];
            if (c < 0x20 || c >= 0x80) { ok = 0; break; }
            if (c == 0x20) spaces |= 1u << k;
        }
        if (!ok || (spaces & (spaces << 1)) != 0 || (after && (spaces & 1))) break;
        for (int k = 0; k < 16; k++) {
            uint8_t c = src[i + k];
            dst[i + k] = (lower && c >= 0x41 && c <= 0x5A) ? (uint8_t)(c | 0x20) : c;
        }
        after = (spaces >> 15) & 1;
        i += 16;
    }
#endif
    *after_space = after;
    return i;
}
