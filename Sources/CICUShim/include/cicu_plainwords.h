#ifndef CICU_PLAINWORDS_H
#define CICU_PLAINWORDS_H
/* The commonest stretch of English text for spaCy's tokenizer (WinnowText): words of ASCII
   letters and digits, each followed by exactly one space. Plain C types only. */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What decides that a plain word is no special case and no unit-ended number. */
typedef struct {
    /** Bit len of [b] is set when a special case of len bytes starts (first) or ends (last)
        with byte b (256 words each). */
    const uint64_t *first_lengths;
    const uint64_t *last_lengths;
    /** The special cases' filter bits (2^16 bits, 1024 words); see cicu_plain_filter_bit. */
    const uint64_t *filter;
    /** ASCII bytes that end a unit ("km", "%"): bit b of unit_last[b >> 6]. */
    uint64_t unit_last[2];
} cicu_plain_tables;

/** The filter bit of the word s[a..<b] (non-empty): its length, first two and last two bytes,
    mixed; the same function as the Swift tables' filterBit. */
int32_t cicu_plain_filter_bit(const uint8_t *s, size_t a, size_t b);

/** From `from`, where a chunk starts, takes chunks while each is a plain word — 1 to 63 bytes of
    [A-Za-z0-9], not possibly a special case (the three filters above all pass only for
    candidates), not digits ending in a unit byte — followed by one space and then a byte in
    0x21..0x7F. Writes each word's [start, end) to `spans` (2 * cap values) and returns the
    start of the first chunk not taken (the next chunk after the last one taken), stopping
    when `cap` spans are written; *count is set to the number written. Blocks of 64 bytes
    (SSE2) or byte by byte. */
size_t cicu_plain_words(const uint8_t *s, size_t n, size_t from, const cicu_plain_tables *t,
                        int64_t *spans, size_t cap, size_t *count);

/** Chooses the code for tests: 0 byte by byte, 1 SSE2, -1 the best the CPU has. */
void cicu_plain_words_set_isa(int32_t isa);

#ifdef __cplusplus
}
#endif
#endif
