#ifndef CICU_JSON_H
#define CICU_JSON_H
/* The scan under WinnowIO's JSON string writer. Plain C types only. */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The length of the longest prefix of s[0..n) that a JSON string holds as it is: no '"', no
    '\\' and no byte below 0x20 (UTF-8 above 0x7F is kept). 32 bytes at a time (AVX2, chosen at
    run time), 16 (SSE2) or 8 (portable C). */
size_t cicu_json_plain_prefix(const uint8_t *s, size_t n);

/** Chooses the code for tests: 0 portable C, 1 SSE2, 2 AVX2, -1 the best the CPU has. */
void cicu_json_set_isa(int32_t isa);

#ifdef __cplusplus
}
#endif
#endif
