/* See cicu_json.h. A byte needs escaping when it is '"' (0x22), '\\' (0x5C) or below 0x20;
   the vector codes compare each lane with the two marks and take an unsigned minimum for the
   controls (min(x, 0x1F) == x exactly when x <= 0x1F). */
#include "cicu_json.h"
#include "cicu_isa.h"
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CICU_X86 1
#endif

static inline int needs_escape(uint8_t c) { return c < 0x20 || c == 0x22 || c == 0x5C; }

static size_t tail(const uint8_t *s, size_t n, size_t i) {
    while (i < n && !needs_escape(s[i])) i++;
    return i;
}

static size_t prefix_portable(const uint8_t *s, size_t n) {
    size_t i = 0;
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t q = x ^ (ones * 0x22), b = x ^ (ones * 0x5C);
        /* A zero byte in q or b, or a byte of x below 0x20 (bit 7 clear and x - 0x20 borrows). */
        uint64_t m = ((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x);
        if (m & high) break;
    }
    return tail(s, n, i);
}

#ifdef CICU_X86
static size_t prefix_sse2(const uint8_t *s, size_t n) {
    size_t i = 0;
    const __m128i quote = _mm_set1_epi8(0x22), slash = _mm_set1_epi8(0x5C), low = _mm_set1_epi8(0x1F);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, slash)),
                                 _mm_cmpeq_epi8(_mm_min_epu8(x, low), x));
        int bits = _mm_movemask_epi8(m);
        if (bits) return i + (size_t)__builtin_ctz((unsigned)bits);
    }
    return tail(s, n, i);
}

__attribute__((target("avx2")))
static size_t prefix_avx2(const uint8_t *s, size_t n) {
    size_t i = 0;
    const __m256i quote = _mm256_set1_epi8(0x22), slash = _mm256_set1_epi8(0x5C), low = _mm256_set1_epi8(0x1F);
    for (; i + 32 <= n; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(s + i));
        __m256i m = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, quote), _mm256_cmpeq_epi8(x, slash)),
                                    _mm256_cmpeq_epi8(_mm256_min_epu8(x, low), x));
        unsigned bits = (unsigned)_mm256_movemask_epi8(m);
        if (bits) return i + (size_t)__builtin_ctz(bits);
    }
    return i + prefix_sse2(s + i, n - i);
}
#endif

static int32_t chosen = -1; /* benign race: every thread computes the same value */

void cicu_json_set_isa(int32_t isa) { chosen = cicu_choose_isa(isa); }

size_t cicu_json_plain_prefix(const uint8_t *s, size_t n) {
    if (chosen < 0) chosen = cicu_best_isa();
    switch (chosen) {
#ifdef CICU_X86
    case 2: return prefix_avx2(s, n);
    case 1: return prefix_sse2(s, n);
#endif
    default: return prefix_portable(s, n);
    }
}
