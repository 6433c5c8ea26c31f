/* fuzz_tokenizer.c -- one tokenizer plugin (FUZZ_TOKENIZER: char, word or
 * bpe) on arbitrary bytes. The first input byte picks the path:
 *   even: fit on the rest, encode it, decode the ids, save, load the saved
 *         state into a fresh instance; the restored instance must have the
 *         same vocabulary and encode the text to the same ids;
 *   odd:  load the rest as a saved state (what a corrupted checkpoint
 *         hands the tokenizer); if accepted, decode every id and encode a
 *         fixed text with it.
 * The tokenizer runs with its default parameters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

#ifndef FUZZ_TOKENIZER
#error "define FUZZ_TOKENIZER"
#endif

/* Ids decoded one by one after a load; bounds the time per input. */
#define MAX_DECODED_IDS 4096

static rnnlab_err err;
static rnnlab_host *host;
static const rnnlab_tokenizer_ops *ops;
static rnnlab_value params[16];

static void setup(void) {
    host = host_create(&err, NULL, RNNLAB_LOG_WARN);
    const rnnlab_component *c =
        fuzz_component(host, FUZZ_TOKENIZER, RNNLAB_KIND_TOKENIZER, FUZZ_TOKENIZER);
    ops = c->ops;
    fuzz_defaults(c->params, params);
}

/* The ids of text (malloc'd, *n of them), or NULL if encoding fails. */
static int32_t *encode(void *self, const char *text, size_t len, size_t *n) {
    if (ops->encode(self, text, len, NULL, 0, n) != RNNLAB_OK) return NULL;
    int32_t *ids = malloc((*n + 1) * sizeof *ids);
    if (ops->encode(self, text, len, ids, *n, n) != RNNLAB_OK) {
        free(ids);
        return NULL;
    }
    return ids;
}

static void decode(void *self, const int32_t *ids, size_t n) {
    size_t len = 0;
    if (ops->decode(self, ids, n, NULL, 0, &len) != RNNLAB_OK) return;
    char *out = malloc(len + 1);
    if (ops->decode(self, ids, n, out, len + 1, &len) == RNNLAB_OK && out[len] != '\0')
        __builtin_trap();
    free(out);
}

static void fit_and_round_trip(const char *text, size_t len) {
    void *a = NULL, *b = NULL;
    if (ops->create(host, params, &a) != RNNLAB_OK) fuzz_die("create", err.msg);
    if (ops->fit(a, text, len) == RNNLAB_OK) {
        size_t n = 0;
        int32_t *ids = encode(a, text, len, &n);
        if (ids) decode(a, ids, n);
        char *state = NULL;
        size_t slen = 0;
        if (ops->save(a, &state, &slen) == RNNLAB_OK) {
            if (ops->create(host, params, &b) != RNNLAB_OK) fuzz_die("create", err.msg);
            /* A state the tokenizer wrote itself must load back unchanged. */
            if (ops->load(b, state, slen) != RNNLAB_OK) __builtin_trap();
            if (ops->vocab_size(a) != ops->vocab_size(b)) __builtin_trap();
            size_t m = 0;
            int32_t *again = encode(b, text, len, &m);
            if (ids && (!again || m != n || memcmp(ids, again, n * sizeof *ids) != 0))
                __builtin_trap();
            free(again);
            host->free(host, state);
            ops->destroy(b);
        }
        free(ids);
    }
    ops->destroy(a);
}

static void load_untrusted(const char *text, size_t len) {
    void *t = NULL;
    if (ops->create(host, params, &t) != RNNLAB_OK) fuzz_die("create", err.msg);
    if (ops->load(t, text, len) == RNNLAB_OK) {
        size_t v = ops->vocab_size(t);
        for (size_t id = 0; id < v && id < MAX_DECODED_IDS; id++) {
            int32_t one = (int32_t)id;
            decode(t, &one, 1);
            if (ops->token_text) ops->token_text(t, one);
        }
        static const char sample[] = "The cat sat on the mat. <unk> \xc3\xa9t\xc3\xa9 42!";
        size_t n = 0;
        int32_t *ids = encode(t, sample, sizeof sample - 1, &n);
        if (ids) decode(t, ids, n);
        free(ids);
    }
    ops->destroy(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!host) setup();
    if (size == 0) return 0;
    /* A copy of exactly size - 1 bytes, so reads past the end are caught. */
    size_t len = size - 1;
    char *text = malloc(len ? len : 1);
    memcpy(text, data + 1, len);
    if (data[0] % 2 == 0)
        fit_and_round_trip(text, len);
    else
        load_untrusted(text, len);
    free(text);
    if (host_live_blocks(host) != 0) __builtin_trap(); /* a leak through host->alloc */
    return 0;
}
