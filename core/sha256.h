/* sha256.h -- SHA-256 (FIPS 180-4), for run hashes, plugin file hashes and
 * the determinism checks of `rnnlab verify`. */
#ifndef RNNLAB_CORE_SHA256_H
#define RNNLAB_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t used;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
void sha256_final(sha256_ctx *c, uint8_t out[32]);
/* Hex digest of a buffer into out (65 bytes with the NUL). */
void sha256_hex(const void *data, size_t n, char out[65]);
/* Hex digest of a file's contents. */
int sha256_file_hex(const char *path, char out[65], rnnlab_err *err);

#endif
