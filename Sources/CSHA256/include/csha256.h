#ifndef CSHA256_H
#define CSHA256_H
#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4) of `n` bytes; the digest as eight big-endian words. Uses the x86 SHA
   extensions when the CPU has them (checked once), a portable implementation otherwise. */
void csha256_digest(const uint8_t *message, size_t n, uint32_t out[8]);

/* The digest read as a big-endian 256-bit integer, modulo `modulus` (1 ... 2^32):
   Python's int(hashlib.sha256(m).hexdigest(), 16) % modulus. */
uint64_t csha256_mod(const uint8_t *message, size_t n, uint64_t modulus);

/* 1 when the SHA extensions are used, 0 for the portable code. */
int csha256_uses_sha_extensions(void);

/* Forces the portable code (for tests): 1 portable, 0 automatic. */
void csha256_force_portable(int portable);
#endif
