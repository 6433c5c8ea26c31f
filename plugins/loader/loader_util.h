/* loader_util.h -- file reading and small helpers shared by the first-party
 * file loaders (tsv, conllu); header-only, so plugins still link against
 * nothing of ours.
 *
 * The including plugin defines LOADER_NAME (e.g. "tsv") first: it prefixes
 * the messages set here, so each loader keeps its own wording.
 *
 * Ownership: read_file, labels_pack and labels_text hand the caller a host
 * buffer to free with host->free; grow reallocates the caller's array in
 * place; nothing here keeps a pointer. */
#ifndef RNNLAB_PLUGINS_LOADER_UTIL_H
#define RNNLAB_PLUGINS_LOADER_UTIL_H

#ifndef LOADER_NAME
#error "define LOADER_NAME (the plugin name used in messages) before including loader_util.h"
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rnnlab/plugin.h"
#include "../textutil.h"

/* Makes room for `need` elements of `elem` bytes in *p (capacity *cap). */
static inline int grow(const rnnlab_host *h, void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return RNNLAB_OK;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    if (n > SIZE_MAX / elem)
        return h->set_error(h, RNNLAB_ERR_NOMEM, LOADER_NAME ": data too large");
    void *q = h->realloc(h, *p, n * elem);
    if (!q) return h->set_error(h, RNNLAB_ERR_NOMEM, LOADER_NAME ": out of memory");
    *p = q;
    *cap = n;
    return RNNLAB_OK;
}

/* n elements of `elem` bytes (at least one byte, so n = 0 is not NULL);
 * NULL on overflow or out of memory, the caller sets the error. */
static inline void *alloc_array(const rnnlab_host *h, size_t n, size_t elem) {
    if (n > SIZE_MAX / elem) return NULL;
    return h->alloc(h, n ? n * elem : 1);
}

/* Tokenizers and checkpoint metadata need UTF-8 text without NULs: reject
 * anything else here, where the line number is still known. */
static inline int text_check(const rnnlab_host *h, const char *path, const char *text, size_t len) {
    const unsigned char *s = (const unsigned char *)text, *end = s + len;
    size_t line = 1;
    while (s < end) {
        if (*s == 0)
            return h->set_error(h, RNNLAB_ERR_FORMAT, "%s:%zu: NUL byte in a text file", path,
                                line);
        size_t n = utf8_seq_len(s, (size_t)(end - s));
        if (n == 0) return h->set_error(h, RNNLAB_ERR_FORMAT, "%s:%zu: invalid UTF-8", path, line);
        line += *s == '\n';
        s += n;
    }
    return RNNLAB_OK;
}

/* Reads a whole file into a NUL-terminated host buffer. */
static inline int read_file(const rnnlab_host *h, const char *path, char **out, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    if (!f) return h->set_error(h, RNNLAB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 0, len = 0;
    char *buf = NULL;
    int rc = RNNLAB_OK;
    for (;;) {
        if ((rc = grow(h, (void **)&buf, &cap, len + 65536, 1)) != RNNLAB_OK) break;
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    if (rc == RNNLAB_OK && ferror(f))
        rc = h->set_error(h, RNNLAB_ERR_IO, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (rc == RNNLAB_OK && len == 0)
        rc = h->set_error(h, RNNLAB_ERR_FORMAT, "%s: empty file", path);
    if (rc == RNNLAB_OK) rc = text_check(h, path, buf, len);
    if (rc != RNNLAB_OK) {
        h->free(h, buf);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return RNNLAB_OK;
}

/* Cuts the next line off *p (NUL-terminating it, dropping a '\r' before the
 * '\n'); NULL at the end of the text. */
static inline char *next_line(char **p, char *end) {
    if (*p >= end) return NULL;
    char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
    char *stop = nl ? nl : end;
    *p = nl ? nl + 1 : end;
    *stop = '\0';
    if (stop > line && stop[-1] == '\r') stop[-1] = '\0';
    return line;
}

/* qsort/bsearch order of an array of C strings. */
static inline int str_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Unbiased uniform integer in [0, n), n > 0. */
static inline uint64_t rng_below(const rnnlab_host *h, rnnlab_rng *rng, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
    do x = h->rng_next(rng);
    while (x >= limit);
    return x % n;
}

/* Fisher-Yates shuffle of order[0..n) from (seed, stream) alone, so a
 * resumed run reshuffles exactly as the original did. */
static inline void order_shuffle(const rnnlab_host *h, size_t *order, size_t n, uint64_t seed,
                                 uint64_t stream) {
    rnnlab_rng rng;
    h->rng_seed(&rng, seed, stream);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(h, &rng, i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

/* Reads a run of decimal digits; 0 if there is none or it is absurdly big
 * (over 10^9: no file or label list of ours comes near). */
static inline size_t read_number(const char **s, size_t *value) {
    size_t v = 0, n = 0;
    while (**s >= '0' && **s <= '9') {
        if (v > 100000000) return 0;
        v = v * 10 + (size_t)(**s - '0');
        (*s)++;
        n++;
    }
    *value = v;
    return n;
}

/* ------------------------------------------------------------------------ */
/* Label sets                                                                */
/* ------------------------------------------------------------------------ */

/* The class of every label unseen in training; always the last label. */
#define UNK_LABEL "<unk>"

/* Sorts names[0..m) in place and packs the distinct ones, then UNK_LABEL,
 * NUL-separated into a new host blob (the caller frees it); *n is their
 * count, UNK_LABEL included. NULL when out of memory. */
static inline char *labels_pack(const rnnlab_host *h, const char **names, size_t m, size_t *n) {
    qsort(names, m, sizeof *names, str_cmp);
    size_t k = 0, bytes = sizeof UNK_LABEL;
    for (size_t i = 0; i < m; i++)
        if (i == 0 || strcmp(names[i], names[k - 1]) != 0) {
            names[k++] = names[i];
            bytes += strlen(names[i]) + 1;
        }
    char *blob = h->alloc(h, bytes);
    if (!blob) return NULL;
    char *w = blob;
    for (size_t i = 0; i < k; i++) w = stpcpy(w, names[i]) + 1;
    strcpy(w, UNK_LABEL);
    *n = k + 1;
    return blob;
}

/* Strictly checks one label line of a restored list (line is 1-based);
 * `plural` names what the labels are ("labels", "tags") in the message. */
static inline int label_line_check(const rnnlab_host *h, const char *s, const char *prev,
                                   size_t line, int last, const char *plural) {
    if (last)
        return strcmp(s, UNK_LABEL) == 0
                   ? RNNLAB_OK
                   : h->set_error(h, RNNLAB_ERR_FORMAT,
                                  LOADER_NAME ": restored labels, line %zu: '%s', expected the "
                                              "final '" UNK_LABEL "'",
                                  line, s);
    if (s[0] == '\0' || strchr(s, '\t') || strchr(s, '\r'))
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            LOADER_NAME ": restored labels, line %zu: empty or contains a tab/CR",
                            line);
    if (strcmp(s, UNK_LABEL) == 0)
        return h->set_error(
            h, RNNLAB_ERR_FORMAT,
            LOADER_NAME ": restored labels, line %zu: '" UNK_LABEL "' before the end", line);
    if (prev && strcmp(prev, s) >= 0)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            LOADER_NAME ": restored labels, line %zu: '%s' not after '%s' "
                                        "(expected sorted, unique %s)",
                            line, s, prev, plural);
    return RNNLAB_OK;
}

/* The save_labels text: `head` (its lines already '\n'-ended), then one
 * label per line. *buf is a new host buffer the caller frees. */
static inline int labels_text(const rnnlab_host *h, const char *head, const char *const *labels,
                              size_t n, char **buf, size_t *len) {
    size_t bytes = strlen(head) + 1;
    for (size_t i = 0; i < n; i++) bytes += strlen(labels[i]) + 1;
    char *text = h->alloc(h, bytes), *w;
    if (!text) return h->set_error(h, RNNLAB_ERR_NOMEM, LOADER_NAME ": out of memory");
    w = stpcpy(text, head);
    for (size_t i = 0; i < n; i++) {
        w = stpcpy(w, labels[i]);
        *w++ = '\n';
    }
    *w = '\0';
    *buf = text;
    *len = (size_t)(w - text);
    return RNNLAB_OK;
}

#endif
