/* See cicu_bigrams.h. Per block: a = s[i..] | 0x20, b = s[i+1..] | 0x20, and the mask of lanes
   where (a, b) equals some head; the first set bit is the answer. The last bytes, where a block
   of s[i+1..] would read past n, go byte by byte. */
#include "cicu_bigrams.h"
#include "cicu_isa.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CICU_X86 1
#endif

static int matches(const uint8_t *s, size_t i, const uint16_t *heads, int32_t count) {
    uint16_t pair = (uint16_t)((uint16_t)(s[i] | 0x20) << 8 | (uint16_t)(s[i + 1] | 0x20));
    for (int32_t k = 0; k < count; k++)
        if (heads[k] == pair) return 1;
    return 0;
}

static size_t tail(const uint8_t *s, size_t n, size_t i, const uint16_t *heads, int32_t count) {
    for (; i + 1 < n; i++)
        if (matches(s, i, heads, count)) return i;
    return n;
}

#ifdef CICU_X86
static size_t find_sse2(const uint8_t *s, size_t n, size_t i, const uint16_t *heads, int32_t count) {
    const __m128i fold = _mm_set1_epi8(0x20);
    __m128i first[8], second[8];
    for (int32_t k = 0; k < count; k++) {
        first[k] = _mm_set1_epi8((char)(heads[k] >> 8));
        second[k] = _mm_set1_epi8((char)(heads[k] & 0xFF));
    }
    for (; i + 17 <= n; i += 16) {
        __m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + i)), fold);
        __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + i + 1)), fold);
        __m128i m = _mm_setzero_si128();
        for (int32_t k = 0; k < count; k++)
            m = _mm_or_si128(m, _mm_and_si128(_mm_cmpeq_epi8(a, first[k]), _mm_cmpeq_epi8(b, second[k])));
        int bits = _mm_movemask_epi8(m);
        if (bits) return i + (size_t)__builtin_ctz((unsigned)bits);
    }
    return tail(s, n, i, heads, count);
}

__attribute__((target("avx2")))
static size_t find_avx2(const uint8_t *s, size_t n, size_t i, const uint16_t *heads, int32_t count) {
    const __m256i fold = _mm256_set1_epi8(0x20);
    __m256i first[8], second[8];
    for (int32_t k = 0; k < count; k++) {
        first[k] = _mm256_set1_epi8((char)(heads[k] >> 8));
        second[k] = _mm256_set1_epi8((char)(heads[k] & 0xFF));
    }
    for (; i + 33 <= n; i += 32) {
        __m256i a = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(s + i)), fold);
        __m256i b = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(s + i + 1)), fold);
        __m256i m = _mm256_setzero_si256();
        for (int32_t k = 0; k < count; k++)
            m = _mm256_or_si256(m, _mm256_and_si256(_mm256_cmpeq_epi8(a, first[k]), _mm256_cmpeq_epi8(b, second[k])));
        unsigned bits = (unsigned)_mm256_movemask_epi8(m);
        if (bits) return i + (size_t)__builtin_ctz(bits);
    }
    return find_sse2(s, n, i, heads, count);
}
#endif

static int32_t chosen = -1; /* benign race: every thread computes the same value */

void cicu_bigram_set_isa(int32_t isa) {
    chosen = cicu_choose_isa(isa);
}

size_t cicu_find_bigram(const uint8_t *s, size_t n, size_t from, const uint16_t *heads, int32_t count) {
    if (count < 1 || count > 8 || from + 1 >= n) return n;
    if (chosen < 0) chosen = cicu_best_isa();
    switch (chosen) {
#ifdef CICU_X86
    case 2: return find_avx2(s, n, from, heads, count);
    case 1: return find_sse2(s, n, from, heads, count);
#endif
    default: return tail(s, n, from, heads, count);
    }
}
