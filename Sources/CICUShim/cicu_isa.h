/* The block codes the CPU can run, shared by the vector text kernels (cicu_collapse.c,
   cicu_bigrams.c): 2 AVX2, 1 SSE2 (baseline x86-64), 0 portable C. Private to CICUShim. */
#ifndef CICU_ISA_H
#define CICU_ISA_H
#include <stdint.h>

static inline int32_t cicu_best_isa(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 2 : 1;
#else
    return 0;
#endif
}

/* A test's choice: -1 or one the CPU cannot run gives the best it can. */
static inline int32_t cicu_choose_isa(int32_t isa) {
    int32_t best = cicu_best_isa();
    return (isa < 0 || isa > best) ? best : isa;
}
#endif
