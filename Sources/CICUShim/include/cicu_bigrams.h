#ifndef CICU_BIGRAMS_H
#define CICU_BIGRAMS_H
/* A search for where any of a few two-letter heads starts, ASCII case folded (WinnowFilters: the
   C4 phrase search). Plain C types only. */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The first i in [from, n - 1) where (s[i] | 0x20, s[i + 1] | 0x20) equals one of the `count`
    (1..8) heads, each `first << 8 | second` with both bytes lowercase ASCII letters; n when
    there is none. For a lowercase letter x, b | 0x20 == x holds exactly when b is x or its
    uppercase, so the result is the first position whose two bytes spell a head in any ASCII
    case. Blocks of 32 bytes (AVX2, chosen at run time), 16 (SSE2) or byte by byte. */
size_t cicu_find_bigram(const uint8_t *s, size_t n, size_t from, const uint16_t *heads, int32_t count);

/** Chooses the code for tests: 0 byte by byte, 1 SSE2, 2 AVX2, -1 the best the CPU has. */
void cicu_bigram_set_isa(int32_t isa);

#ifdef __cplusplus
}
#endif
#endif
