/* textutil.h -- byte-level helpers shared by first-party text plugins
 * (tokenizers and loaders); header-only, so plugins still link against
 * nothing of ours and each keeps its own error messages.
 *
 * Ownership: nothing here keeps a pointer; array_reserve reallocates the
 * caller's array with the host allocator and the caller frees it. */
#ifndef RNNLAB_PLUGINS_TEXTUTIL_H
#define RNNLAB_PLUGINS_TEXTUTIL_H

#include "rnnlab/plugin.h"
#include <stdint.h>
#include <string.h>

/* Grows *arr (elements of `elem` bytes, *cap of them) to hold `need`,
 * doubling from 16. `arr` points at the array pointer (any element type,
 * hence void * and the memcpy). Returns 0, or -1 on overflow or when the
 * host is out of memory (*arr and *cap are then unchanged); callers set
 * their own error. */
static inline int array_reserve(const rnnlab_host *h, void *arr, size_t *cap, size_t need,
                                size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    if (c > SIZE_MAX / elem) return -1;
    void *old;
    memcpy(&old, arr, sizeof old);
    void *p = h->realloc(h, old, c * elem);
    if (!p) return -1;
    memcpy(arr, &p, sizeof p);
    *cap = c;
    return 0;
}

/* Length of the well-formed UTF-8 sequence at s (n >= 1 bytes left): 1 for
 * ASCII, 0 if it is ill-formed or cut short (Unicode table 3-7: no
 * overlongs, surrogates or code points > U+10FFFF). */
static inline size_t utf8_seq_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    for (size_t k = 1; k <= need; k++) {
        if (k >= n || s[k] < lo || s[k] > hi) return 0;
        lo = 0x80, hi = 0xBF; /* only the second byte has a narrower range */
    }
    return need + 1;
}

#endif
