#include "cminhash.h"
#include <immintrin.h>

#define MERSENNE ((1ULL << 61) - 1)

static inline uint64_t fold(uint64_t v) {
    v = (v & MERSENNE) + (v >> 61);
    return v >= MERSENNE ? v - MERSENNE : v;
}

static void signature_scalar(const uint64_t *h, int64_t n, const uint64_t *a, const uint64_t *b, int64_t m,
                             uint64_t *out) {
    for (int64_t k = 0; k < m; k++) {
        const uint64_t ak = a[k], bk = b[k];
        uint64_t best = UINT64_MAX;
        for (int64_t i = 0; i < n; i++) {
            uint64_t v = fold(ak * h[i] + bk);
            best = v < best ? v : best;
        }
        out[k] = best;
    }
}

__attribute__((target("avx512f,avx512dq")))
static void signature_avx512(const uint64_t *h, int64_t n, const uint64_t *a, const uint64_t *b, int64_t m,
                             uint64_t *out) {
    const __m512i p = _mm512_set1_epi64((long long)MERSENNE);
    int64_t k = 0;
    for (; k + 8 <= m; k += 8) {
        const __m512i va = _mm512_loadu_si512((const void *)(a + k));
        const __m512i vb = _mm512_loadu_si512((const void *)(b + k));
        __m512i best = _mm512_set1_epi64(-1);
        for (int64_t i = 0; i < n; i++) {
            __m512i v = _mm512_add_epi64(_mm512_mullo_epi64(va, _mm512_set1_epi64((long long)h[i])), vb);
            v = _mm512_add_epi64(_mm512_and_si512(v, p), _mm512_srli_epi64(v, 61));
            const __mmask8 ge = _mm512_cmpge_epu64_mask(v, p);
            v = _mm512_mask_sub_epi64(v, ge, v, p);
            best = _mm512_min_epu64(best, v);
        }
        _mm512_storeu_si512((void *)(out + k), best);
    }
    if (k < m) signature_scalar(h, n, a + k, b + k, m - k, out + k);
}

int cminhash_uses_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

void cminhash_signature(const uint64_t *h, int64_t n, const uint64_t *a, const uint64_t *b, int64_t m, uint64_t *out) {
    static int mode = -1;  /* benign race: every thread computes the same value */
    if (mode < 0) mode = cminhash_uses_avx512();
    if (mode) signature_avx512(h, n, a, b, m, out);
    else signature_scalar(h, n, a, b, m, out);
}
