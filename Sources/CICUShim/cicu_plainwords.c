/* See cicu_plainwords.h. Each step finds the end of the word at i (the first byte that is not an
   ASCII letter or digit), then checks that a single space and a non-space ASCII byte follow and
   that the word passes the filters. The SSE2 code classifies 64 bytes at a time; the last bytes
   of the text, and a word of 63 bytes or more, go byte by byte. */
#include "cicu_plainwords.h"
#include "cicu_isa.h"
#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>
#define CICU_X86 1
#endif

static inline int is_digit(uint8_t c) { return (uint8_t)(c - 0x30) < 10; }
static inline int is_alnum(uint8_t c) { return is_digit(c) || (uint8_t)((c | 0x20) - 0x61) < 26; }

int32_t cicu_plain_filter_bit(const uint8_t *s, size_t a, size_t b) {
    uint64_t len = (uint64_t)(b - a);
    uint64_t x = len | (uint64_t)s[a] << 8 | (uint64_t)s[b - 1] << 16;
    if (len > 1) x |= (uint64_t)s[a + 1] << 24 | (uint64_t)s[b - 2] << 32;
    x = (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9ull;
    return (int32_t)(x >> 48);
}

/* Whether the word s[a..<b] (ends found, all alnum) may be taken, given whether it has a digit.
   Without branches: which filters pass varies from word to word, and a mispredicted branch
   costs more than computing all of them. */
static inline int word_ok(const uint8_t *s, size_t a, size_t b, int digit, const cicu_plain_tables *t) {
    size_t len = b - a;
    if (len == 0) return 0;
    uint8_t last = s[b - 1];
    unsigned sh = (unsigned)(len & 63);
    uint64_t unit = (uint64_t)(digit != 0) & (t->unit_last[last >> 6] >> (last & 63));
    uint64_t first = t->first_lengths[s[a]] >> sh;
    uint64_t lastb = t->last_lengths[last] >> sh;
    /* the filter bit, with the second and second-to-last bytes only when len > 1 */
    uint64_t two = (uint64_t)0 - (uint64_t)(len > 1);
    uint64_t x = (uint64_t)len | (uint64_t)s[a] << 8 | (uint64_t)last << 16 |
                 (((uint64_t)s[a + (len > 1)] << 24 | (uint64_t)s[b - 1 - (len > 1)] << 32) & two);
    x = (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9ull;
    uint32_t bit = (uint32_t)(x >> 48);
    uint64_t filt = t->filter[bit >> 6] >> (bit & 63);
    uint64_t maybe_special = (uint64_t)(len < 64) & first & lastb & filt;
    return !((unit | maybe_special) & 1);
}

/* The end of the word at i byte by byte; *digit set when it holds a digit. */
static inline size_t word_end_bytes(const uint8_t *s, size_t n, size_t i, int *digit) {
    int d = 0;
    while (i < n && is_alnum(s[i])) {
        d |= is_digit(s[i]);
        i++;
    }
    *digit = d;
    return i;
}

/* After the word ending at e: one space, then ASCII above the space. */
static inline int single_space_after(const uint8_t *s, size_t n, size_t e) {
    return e + 1 < n && s[e] == 0x20 && s[e + 1] > 0x20 && s[e + 1] < 0x80;
}

static size_t words_portable(const uint8_t *s, size_t n, size_t i, const cicu_plain_tables *t,
                             int64_t *spans, size_t cap, size_t *count) {
    size_t k = 0;
    while (k < cap && i < n) {
        int digit;
        size_t e = word_end_bytes(s, n, i, &digit);
        if (!single_space_after(s, n, e) || !word_ok(s, i, e, digit, t)) break;
        spans[2 * k] = (int64_t)i;
        spans[2 * k + 1] = (int64_t)e;
        k++;
        i = e + 1;
    }
    *count = k;
    return i;
}

#ifdef CICU_X86
/* Bit j of the result: whether byte j of the 64 at p is in the class (16 bytes per movemask). */
static inline uint64_t masks64(const uint8_t *p, uint64_t *alnum, uint64_t *digit, uint64_t *space) {
    const __m128i fold = _mm_set1_epi8(0x20);
    const __m128i a_1 = _mm_set1_epi8(0x60), z1 = _mm_set1_epi8(0x7B);
    const __m128i d0_1 = _mm_set1_epi8(0x2F), d9_1 = _mm_set1_epi8(0x3A);
    const __m128i sp = _mm_set1_epi8(0x20);
    uint64_t a = 0, d = 0, w = 0, c = 0;
    for (int q = 0; q < 4; q++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * q));
        __m128i l = _mm_or_si128(v, fold);
        /* Bytes ≥ 0x80 are negative as signed: no letter, no digit, no chunk byte. */
        __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(l, a_1), _mm_cmplt_epi8(l, z1));
        __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(v, d0_1), _mm_cmplt_epi8(v, d9_1));
        a |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(letter, dig)) << (16 * q);
        d |= (uint64_t)(unsigned)_mm_movemask_epi8(dig) << (16 * q);
        w |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp)) << (16 * q);
        c |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(v, sp)) << (16 * q);
    }
    *alnum = a;
    *digit = d;
    *space = w;
    return c; /* 0x21..0x7F */
}

/* 64 bytes at a time: the block's class masks once, then each word's end is the next clear bit
   of the alnum mask, so words follow each other without a load on the way. A word whose end or
   next two bytes fall outside the block starts the next block. */
static size_t words_sse2(const uint8_t *s, size_t n, size_t i, const cicu_plain_tables *t,
                         int64_t *spans, size_t cap, size_t *count) {
    size_t k = 0;
    while (k < cap && i + 64 <= n) {
        uint64_t alnum, digit, space;
        uint64_t chunk = masks64(s + i, &alnum, &digit, &space);
        unsigned j = 0;
        for (;;) {
            if (k == cap) { *count = k; return i + j; }
            uint64_t rest = ~alnum >> j;
            if (rest == 0) break;                    /* the word runs past the block */
            unsigned e = j + (unsigned)__builtin_ctzll(rest);
            if (e >= 63) break;                      /* the byte after the space is in the next block */
            if (e == j || !((space >> e) & 1) || !((chunk >> (e + 1)) & 1)) { *count = k; return i + j; }
            int dg = ((digit >> j) & ((1ull << (e - j)) - 1)) != 0;
            if (!word_ok(s, i + j, i + e, dg, t)) { *count = k; return i + j; }
            spans[2 * k] = (int64_t)(i + j);
            spans[2 * k + 1] = (int64_t)(i + e);
            k++;
            j = e + 1;
        }
        if (j == 0) {
            /* A word that reaches the block's last bytes: one step byte by byte. */
            int dg;
            size_t e = word_end_bytes(s, n, i, &dg);
            if (!single_space_after(s, n, e) || !word_ok(s, i, e, dg, t)) { *count = k; return i; }
            spans[2 * k] = (int64_t)i;
            spans[2 * k + 1] = (int64_t)e;
            k++;
            i = e + 1;
            continue;
        }
        i += j;
    }
    size_t more = 0;
    size_t end = k < cap ? words_portable(s, n, i, t, spans + 2 * k, cap - k, &more) : i;
    *count = k + more;
    return end;
}
#endif

static int32_t chosen = -1; /* benign race: every thread computes the same value */

void cicu_plain_words_set_isa(int32_t isa) {
    int32_t c = cicu_choose_isa(isa);
    chosen = c > 1 ? 1 : c;
}

size_t cicu_plain_words(const uint8_t *s, size_t n, size_t from, const cicu_plain_tables *t,
                        int64_t *spans, size_t cap, size_t *count) {
    if (chosen < 0) cicu_plain_words_set_isa(-1);
#ifdef CICU_X86
    if (chosen >= 1) return words_sse2(s, n, from, t, spans, cap, count);
#endif
    return words_portable(s, n, from, t, spans, cap, count);
}
