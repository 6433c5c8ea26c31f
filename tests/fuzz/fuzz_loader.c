/* fuzz_loader.c -- one loader plugin (FUZZ_LOADER: conllu, tsv or text) on
 * an arbitrary training file, read through a memfd path. The tokenizer is
 * FUZZ_LOADER_TOKENIZER (word for conllu and tsv, char for text). If the
 * loader accepts the file, its info and every train batch are read into
 * host-sized arrays (ASan checks the loader stays inside them), the label
 * vocabulary is saved and the data opened again from the saved state, as
 * a resumed run does. Small batch_size and max_len keep every input cheap
 * and exercise splitting of long sequences. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

#if !defined(FUZZ_LOADER) || !defined(FUZZ_LOADER_TOKENIZER)
#error "define FUZZ_LOADER and FUZZ_LOADER_TOKENIZER"
#endif

static rnnlab_err err;
static rnnlab_host *host;
static const rnnlab_loader_ops *lops;
static const rnnlab_tokenizer_ops *tops;
static rnnlab_value lparams[16], tparams[16];

static void set_int(const rnnlab_param *schema, const char *key, int64_t v) {
    if (!schema) return;
    for (size_t i = 0; schema[i].key; i++)
        if (strcmp(schema[i].key, key) == 0) lparams[i].i = v;
}

static const rnnlab_param *lschema;

static void setup(void) {
    host = host_create(&err, NULL, RNNLAB_LOG_WARN);
    const rnnlab_component *l = fuzz_component(host, FUZZ_LOADER, RNNLAB_KIND_LOADER, FUZZ_LOADER);
    const rnnlab_component *t =
        fuzz_component(host, FUZZ_LOADER_TOKENIZER, RNNLAB_KIND_TOKENIZER, FUZZ_LOADER_TOKENIZER);
    lops = l->ops;
    tops = t->ops;
    lschema = l->params;
    fuzz_defaults(l->params, lparams);
    fuzz_defaults(t->params, tparams);
    set_int(l->params, "batch_size", 3);
    set_int(l->params, "max_len", 7);
    set_int(l->params, "bptt", 5);
}

/* Reads every train batch into arrays of the sizes info promises. */
static void read_batches(void *self) {
    rnnlab_data_info info = {.struct_size = sizeof info};
    if (lops->info(self, &info) != RNNLAB_OK) return;
    size_t T = info.max_len, B = info.batch_size, in = info.input_size, out = info.output_size;
    if (T == 0 || B == 0 || T > 4096 || B > 4096 || in > (1u << 20) || out > (1u << 20))
        __builtin_trap(); /* the info contradicts the parameters we gave */
    int dense = info.input_kind == RNNLAB_INPUT_DENSE;
    size_t tv = info.target_kind == RNNLAB_TARGET_REAL ? out : 0;
    rnnlab_batch b = {
        .ids = calloc(T * B, sizeof(int32_t)),
        .x = dense ? calloc(T * B * in, sizeof(rnnlab_real)) : NULL,
        .mask = calloc(T * B, 1),
        .lengths = calloc(B, sizeof(int32_t)),
        .target_ids = calloc(T * B, sizeof(int32_t)),
        .target_values = tv ? calloc(T * B * tv, sizeof(rnnlab_real)) : NULL,
        .target_mask = calloc(T * B, 1),
    };
    size_t nb = lops->num_batches(self, RNNLAB_SPLIT_TRAIN);
    if (lops->begin_epoch(self, RNNLAB_SPLIT_TRAIN, 1) == RNNLAB_OK)
        for (size_t i = 0; i < nb && i < 256; i++) {
            if (lops->batch(self, RNNLAB_SPLIT_TRAIN, i, &b) != RNNLAB_OK) break;
            if (b.T > T || b.B > B) __builtin_trap();
            for (size_t k = 0; k < b.T * b.B && !dense; k++)
                if (b.mask[k] && (b.ids[k] < 0 || (size_t)b.ids[k] >= in)) __builtin_trap();
            if (lops->label_name) lops->label_name(self, b.target_ids[0]);
        }
    free(b.ids);
    free(b.x);
    free(b.mask);
    free(b.lengths);
    free(b.target_ids);
    free(b.target_values);
    free(b.target_mask);
}

/* Opens the file with a fresh tokenizer (restored state when `labels`). */
static void *open_data(const char *path, void **tok, const char *labels, const char *tstate,
                       size_t tlen) {
    if (tops->create(host, tparams, tok) != RNNLAB_OK) fuzz_die("create", err.msg);
    if (tstate && tops->load(*tok, tstate, tlen) != RNNLAB_OK) {
        fprintf(stderr, "the tokenizer rejects its own saved state: %s\n", err.msg);
        __builtin_trap();
    }
    lparams[fuzz_param(lschema, "train")].s = path;
    void *self = NULL;
    rnnlab_tokenizer_ref ref = {tops, *tok};
    if (lops->open(host, lparams, ref, labels, 7, &self) != RNNLAB_OK) return NULL;
    return self;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!host) setup();
    const char *path = fuzz_file(data, size);
    void *tok = NULL, *tok2 = NULL;
    void *self = open_data(path, &tok, NULL, NULL, 0);
    if (self) {
        read_batches(self);
        char *labels = NULL, *tstate = NULL;
        size_t llen = 0, tlen = 0;
        if (lops->save_labels && lops->save_labels(self, &labels, &llen) != RNNLAB_OK)
            labels = NULL;
        if (tops->save(tok, &tstate, &tlen) != RNNLAB_OK) __builtin_trap();
        /* What a resumed run does: the same file with the saved state. */
        void *again = open_data(path, &tok2, labels ? labels : "", tstate, tlen);
        if (!again) {
            fprintf(stderr, "reopening from the saved state failed: %s\n", err.msg);
            __builtin_trap();
        }
        read_batches(again);
        lops->close(again);
        if (labels) host->free(host, labels);
        host->free(host, tstate);
        lops->close(self);
    }
    if (tok) tops->destroy(tok);
    if (tok2) tops->destroy(tok2);
    if (host_live_blocks(host) != 0) __builtin_trap();
    return 0;
}
