#ifndef CMINHASH_H
#define CMINHASH_H
#include <stdint.h>

/** MinHash signature: out[k] = min over i of ((a[k] * h[i] + b[k]) mod 2^64) mod (2^61 - 1),
    for k < m (out[k] = UINT64_MAX when n == 0). Runs an AVX-512 kernel when the CPU has
    AVX-512F/DQ (checked at run time), else a portable loop; both give identical results. */
void cminhash_signature(const uint64_t *h, int64_t n, const uint64_t *a, const uint64_t *b, int64_t m, uint64_t *out);

/** 1 when the AVX-512 kernel is in use on this CPU. */
int cminhash_uses_avx512(void);

#endif
