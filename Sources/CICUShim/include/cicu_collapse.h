#ifndef CICU_COLLAPSE_H
#define CICU_COLLAPSE_H
/* The 16-byte fast path of TextNormalizer's whitespace collapse (WinnowText). Plain C types only. */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Copies the longest prefix of src[0..n) made of whole 16-byte blocks that are printable ASCII
    (0x20-0x7F) with no two spaces in a row (and no space first when *after_space), ASCII
    uppercase lowercased when `lower`, to dst. Returns the bytes copied (a multiple of 16) and
    sets *after_space to whether the last byte copied is a space (unchanged when none). The
    caller's byte-at-a-time path handles what follows. */
size_t cicu_collapse_ascii(const uint8_t *src, size_t n, uint8_t *dst, int32_t lower, int32_t *after_space);

#ifdef __cplusplus
}
#endif
#endif
