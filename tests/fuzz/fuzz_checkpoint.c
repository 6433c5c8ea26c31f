/* fuzz_checkpoint.c -- the safetensors reader (ckpt_parse) on arbitrary
 * bytes. Whatever it accepts must be safe to use: every tensor's data is
 * read in full (ASan checks it lies inside the buffer) and every metadata
 * string is read to its end. */
#include <stdint.h>
#include <string.h>

#include "core/checkpoint.h"

/* Read by nothing: it only keeps the reads from being optimised away. */
static volatile unsigned sum;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ckpt *c = NULL;
    rnnlab_err err;
    if (ckpt_parse(&c, "fuzz.safetensors", data, size, &err) != RNNLAB_OK) return 0;
    for (size_t i = 0; i < ckpt_count(c); i++) {
        const ckpt_tensor *t = ckpt_at(c, i);
        size_t n = ckpt_dtype_size(t->dtype);
        for (size_t d = 0; d < t->ndim; d++) n *= t->shape[d];
        const unsigned char *b = t->data;
        for (size_t k = 0; k < n; k++) sum += b[k];
        sum += (unsigned)strlen(t->name);
        if (ckpt_find(c, t->name) == NULL) __builtin_trap();
    }
    const char *v = ckpt_meta_get(c, "format_version");
    if (v) sum += (unsigned)strlen(v);
    ckpt_free(c);
    return 0;
}
