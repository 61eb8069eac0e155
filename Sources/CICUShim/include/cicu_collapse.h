#ifndef CICU_COLLAPSE_H
#define CICU_COLLAPSE_H
/* The block fast path of TextNormalizer's whitespace collapse (WinnowText). Plain C types only. */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Collapses whole blocks of ASCII from src[0..n) into dst (room for n bytes): each whitespace
    byte (space, \t \n \v \f \r) becomes a space, and is left out when the output so far ends with
    a space (or is empty, when *after_space); ASCII uppercase is lowercased when `lower`; every
    other byte is copied. Blocks are 32 bytes (AVX2, when the CPU has it) or 16 (SSE2 or portable
    C); it stops before the first block holding a byte >= 0x80 and before a partial block.
    Returns the bytes read, sets *written to the bytes written and *after_space to whether the
    output now ends with a space (unchanged when nothing was read). The caller's byte-at-a-time
    path handles what follows. */
size_t cicu_collapse_ascii(const uint8_t *src, size_t n, uint8_t *dst, int32_t lower, int32_t *after_space,
                           size_t *written);

/** Chooses the block code for tests: 0 portable C, 1 SSE2, 2 AVX2, -1 the best the CPU has
    (the default). A choice the CPU cannot run falls back to the best it can. */
void cicu_collapse_set_isa(int32_t isa);

#ifdef __cplusplus
}
#endif
#endif
