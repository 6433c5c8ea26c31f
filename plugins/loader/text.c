/* text -- next-token language modelling over plain-text files.
 *
 * Each split (train, valid, test) is encoded by the configured tokenizer
 * into one id stream, which is cut like `batchify` in PyTorch's
 * word_language_model example: with B = batch_size, the first L*B ids
 * (L = n / B, the rest dropped) become B contiguous streams of L ids, and
 * stream b is ids[b*L .. (b+1)*L). Batch k serves steps [k*bptt, k*bptt +
 * bptt) of every stream at once, with the next id as target, so the last
 * id of each stream is only ever a target. Consecutive batches continue
 * the same streams (stateful, for truncated BPTT), so nothing is shuffled;
 * the final chunk is shorter and padded with mask 0.
 *
 * When no valid file is given, the last valid_fraction of the train file's
 * bytes (moved forward to the next character boundary) is held out as the
 * validation text; the tokenizer is fitted on the remaining head only. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rnnlab/plugin.h"

enum { P_TRAIN, P_VALID, P_VALID_FRACTION, P_TEST, P_BATCH_SIZE, P_BPTT };

static const rnnlab_param text_params[] = {
    [P_TRAIN] = {.key = "train",
                 .type = RNNLAB_PARAM_STRING,
                 .flags = RNNLAB_PARAM_PATH | RNNLAB_PARAM_REQUIRED,
                 .help = "UTF-8 text to train on; the tokenizer is fitted on it."},
    [P_VALID] = {.key = "valid",
                 .type = RNNLAB_PARAM_STRING,
                 .default_value = "",
                 .flags = RNNLAB_PARAM_PATH,
                 .help = "Validation text; empty: hold out the tail of train (valid_fraction)."},
    [P_VALID_FRACTION] = {.key = "valid_fraction",
                          .type = RNNLAB_PARAM_REAL,
                          .default_value = "0.1",
                          .min = 0.0,
                          .max = 0.5,
                          .help = "Share of the train bytes held out for validation when valid "
                                  "is empty; 0 for none."},
    [P_TEST] = {.key = "test",
                .type = RNNLAB_PARAM_STRING,
                .default_value = "",
                .flags = RNNLAB_PARAM_PATH,
                .help = "Test text; empty for none."},
    [P_BATCH_SIZE] = {.key = "batch_size",
                      .type = RNNLAB_PARAM_INT,
                      .default_value = "32",
                      .min = 1,
                      .max = 65536,
                      .help = "B: parallel streams per batch."},
    [P_BPTT] = {.key = "bptt",
                .type = RNNLAB_PARAM_INT,
                .default_value = "64",
                .min = 1,
                .max = 65536,
                .help = "T: steps per batch (truncated backpropagation length)."},
    {.key = NULL},
};

/* One split, batchified. Absent splits have data == NULL and batches 0. */
typedef struct text_split {
    int32_t *data;  /* (B, L): stream b is data[b*L .. (b+1)*L) */
    size_t len;     /* L: ids per stream */
    size_t batches; /* ceil((L - 1) / bptt) */
} text_split;

typedef struct text_loader {
    const rnnlab_host *host;
    rnnlab_tokenizer_ref tok;
    size_t batch_size, bptt, vocab;
    double baseline; /* unigram entropy of the train ids, nats */
    text_split split[RNNLAB_SPLIT_COUNT];
} text_loader;

/* A piece of text to turn into a split, and how to name it in errors. */
typedef struct text_source {
    const char *what; /* "train", "valid", "test" */
    const char *path;
    const char *text;
    size_t len;
} text_source;

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

/* Reads all of path into a host->alloc'd buffer (caller frees). An empty
 * file is an error: it cannot hold a single step. */
static int text_read_file(const rnnlab_host *h, const char *what, const char *path, char **buf,
                          size_t *len) {
    if (!path || !path[0])
        return h->set_error(h, RNNLAB_ERR_INVALID, "text: no %s file given", what);
    FILE *f = fopen(path, "rb");
    if (!f)
        return h->set_error(h, RNNLAB_ERR_IO, "text: cannot open %s file '%s': %s", what, path,
                            strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *b = h->alloc(h, cap);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break; /* end of file or error, told apart below */
        char *grown = h->realloc(h, b, cap * 2);
        if (!grown) {
            h->free(h, b);
            b = NULL;
            break;
        }
        b = grown;
        cap *= 2;
    }
    int failed = ferror(f), saved_errno = errno;
    fclose(f);
    if (!b) return h->set_error(h, RNNLAB_ERR_NOMEM, "text: out of memory reading '%s'", path);
    if (failed) {
        h->free(h, b);
        return h->set_error(h, RNNLAB_ERR_IO, "text: error reading %s file '%s': %s", what, path,
                            strerror(saved_errno));
    }
    if (n == 0) {
        h->free(h, b);
        return h->set_error(h, RNNLAB_ERR_INVALID, "text: %s file '%s' is empty", what, path);
    }
    *buf = b;
    *len = n;
    return RNNLAB_OK;
}

/* Where to cut len bytes so that the tail holds `fraction` of them: moved
 * forward past UTF-8 continuation bytes so no character is split. */
static size_t text_split_point(const char *text, size_t len, double fraction) {
    size_t cut = len - (size_t)((double)len * fraction);
    while (cut < len && ((unsigned char)text[cut] & 0xC0) == 0x80) cut++;
    return cut;
}

/* ------------------------------------------------------------------------ */
/* Encoding and batchifying                                                  */
/* ------------------------------------------------------------------------ */

/* Encodes a source into a host->alloc'd id array. A tokenizer failure keeps
 * the tokenizer's own message (it has the byte offset) behind the name of
 * the file it was reading (host->last_error, ABI 1.1). */
static int text_encode(text_loader *L, const text_source *src, int32_t **ids, size_t *n) {
    const rnnlab_host *h = L->host;
    const rnnlab_tokenizer_ops *tk = L->tok.ops;
    int rc = tk->encode(L->tok.self, src->text, src->len, NULL, 0, n);
    if (rc == RNNLAB_OK) {
        *ids = h->alloc(h, (*n ? *n : 1) * sizeof **ids);
        if (!*ids)
            return h->set_error(h, RNNLAB_ERR_NOMEM, "text: out of memory encoding '%s'",
                                src->path);
        size_t again;
        rc = tk->encode(L->tok.self, src->text, src->len, *ids, *n, &again);
        if (rc == RNNLAB_OK && again != *n)
            rc = h->set_error(h, RNNLAB_ERR_PLUGIN,
                              "text: tokenizer counted %zu ids for '%s' but wrote %zu", *n,
                              src->path, again);
        if (rc) {
            h->free(h, *ids);
            *ids = NULL;
        }
    }
    if (rc) {
        char why[512];
        snprintf(why, sizeof why, "%s", h->last_error(h));
        return h->set_error(h, rc, "%s (%s file): %s", src->path, src->what, why);
    }
    for (size_t i = 0; i < *n; i++)
        if ((*ids)[i] < 0 || (size_t)(*ids)[i] >= L->vocab) {
            int32_t bad = (*ids)[i];
            h->free(h, *ids);
            *ids = NULL;
            return h->set_error(h, RNNLAB_ERR_PLUGIN,
                                "text: tokenizer produced id %d at token %zu of '%s', outside its "
                                "vocab_size %zu",
                                (int)bad, i, src->path, L->vocab);
        }
    return RNNLAB_OK;
}

/* The entropy of the unigram distribution of ids (n > 0), in nats: the
 * loss of a model that always predicts the train token frequencies. */
static int text_unigram_entropy(text_loader *L, const int32_t *ids, size_t n) {
    const rnnlab_host *h = L->host;
    size_t *count = h->alloc(h, L->vocab * sizeof *count);
    if (!count) return h->set_error(h, RNNLAB_ERR_NOMEM, "text: out of memory for counts");
    memset(count, 0, L->vocab * sizeof *count);
    for (size_t i = 0; i < n; i++) count[ids[i]]++;
    double sum = 0.0; /* sum c log c, then H = log n - sum / n */
    for (size_t v = 0; v < L->vocab; v++)
        if (count[v]) sum += (double)count[v] * log((double)count[v]);
    L->baseline = log((double)n) - sum / (double)n;
    h->free(h, count);
    return RNNLAB_OK;
}

/* Cuts n ids into batch_size streams; takes ownership of ids. */
static int text_batchify(text_loader *L, const text_source *src, int32_t *ids, size_t n,
                         text_split *out) {
    const rnnlab_host *h = L->host;
    size_t B = L->batch_size, len = n / B;
    if (len < 2) {
        h->free(h, ids);
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "text: %s text '%s' has %zu tokens, too few for batch_size %zu: one "
                            "step needs at least 2 tokens per stream (%zu tokens)",
                            src->what, src->path, n, B, 2 * B);
    }
    /* The streams are the first len*B ids in order: keep them in place. */
    out->data = ids;
    out->len = len;
    out->batches = (len - 1 + L->bptt - 1) / L->bptt;
    return RNNLAB_OK;
}

/* Encodes and batchifies one source into split s; the train split also
 * sets the baseline. */
static int text_load_split(text_loader *L, const text_source *src, rnnlab_split s) {
    int32_t *ids;
    size_t n;
    int rc = text_encode(L, src, &ids, &n);
    if (rc) return rc;
    if (s == RNNLAB_SPLIT_TRAIN && n > 0) {
        rc = text_unigram_entropy(L, ids, n);
        if (rc) {
            L->host->free(L->host, ids);
            return rc;
        }
    }
    return text_batchify(L, src, ids, n, &L->split[s]);
}

/* ------------------------------------------------------------------------ */
/* Ops                                                                       */
/* ------------------------------------------------------------------------ */

static void text_close(void *self) {
    text_loader *L = self;
    if (!L) return;
    for (int s = 0; s < RNNLAB_SPLIT_COUNT; s++) L->host->free(L->host, L->split[s].data);
    L->host->free(L->host, L);
}

/* Reads an optional file into a source; an empty path leaves it absent. */
static int text_optional(const rnnlab_host *h, const char *what, const char *path, char **buf,
                         text_source *src) {
    *buf = NULL;
    *src = (text_source){.what = what, .path = path};
    if (!path || !path[0]) return RNNLAB_OK;
    int rc = text_read_file(h, what, path, buf, &src->len);
    src->text = *buf;
    return rc;
}

/* Reads the files, fits the tokenizer if needed, and builds the splits.
 * The file buffers live only for this call. */
static int text_build(text_loader *L, const rnnlab_value *params, const char *restored) {
    const rnnlab_host *h = L->host;
    const char *train_path = params[P_TRAIN].s;
    char *bufs[3] = {NULL, NULL, NULL};
    text_source train = {"train", train_path, NULL, 0}, valid = {0}, test = {0};
    int rc = text_read_file(h, "train", train_path, &bufs[0], &train.len);
    if (rc) return rc;
    train.text = bufs[0];
    rc = text_optional(h, "valid", params[P_VALID].s, &bufs[1], &valid);
    if (!rc) rc = text_optional(h, "test", params[P_TEST].s, &bufs[2], &test);
    if (!rc && !valid.text && params[P_VALID_FRACTION].r > 0.0) {
        size_t cut = text_split_point(train.text, train.len, params[P_VALID_FRACTION].r);
        valid =
            (text_source){"valid (tail of train)", train_path, train.text + cut, train.len - cut};
        train.len = cut;
        if (cut == 0)
            rc = h->set_error(h, RNNLAB_ERR_INVALID,
                              "text: train file '%s' (%zu bytes) leaves no training text after "
                              "holding out valid_fraction = %g",
                              train_path, valid.len, params[P_VALID_FRACTION].r);
    }
    if (!rc && !restored) {
        rc = L->tok.ops->fit(L->tok.self, train.text, train.len);
        if (rc) {
            char why[512];
            snprintf(why, sizeof why, "%s", h->last_error(h));
            rc = h->set_error(h, rc, "%s (train file): %s", train_path, why);
        }
    }
    if (!rc) {
        L->vocab = L->tok.ops->vocab_size(L->tok.self);
        if (L->vocab == 0 || L->vocab > INT32_MAX)
            rc = h->set_error(h, RNNLAB_ERR_PLUGIN, "text: tokenizer reports vocab_size %zu",
                              L->vocab);
    }
    if (!rc) rc = text_load_split(L, &train, RNNLAB_SPLIT_TRAIN);
    if (!rc && valid.text) rc = text_load_split(L, &valid, RNNLAB_SPLIT_DEV);
    if (!rc && test.text) rc = text_load_split(L, &test, RNNLAB_SPLIT_TEST);
    for (int i = 0; i < 3; i++) h->free(h, bufs[i]);
    return rc;
}

static int text_open(const rnnlab_host *host, const rnnlab_value *params, rnnlab_tokenizer_ref tok,
                     const char *restored, uint64_t seed, void **self) {
    (void)seed; /* the stream order is fixed: nothing is random */
    double frac = params[P_VALID_FRACTION].r;
    if (params[P_BATCH_SIZE].i < 1 || params[P_BPTT].i < 1 || !(frac >= 0.0 && frac <= 0.5))
        return host->set_error(host, RNNLAB_ERR_INVALID,
                               "text: batch_size = %lld and bptt = %lld must be >= 1, "
                               "valid_fraction = %g must be in [0, 0.5]",
                               (long long)params[P_BATCH_SIZE].i, (long long)params[P_BPTT].i,
                               frac);
    if (!tok.ops || !tok.self)
        return host->set_error(host, RNNLAB_ERR_INVALID, "text: needs a tokenizer");
    text_loader *L = host->alloc(host, sizeof *L);
    if (!L) return host->set_error(host, RNNLAB_ERR_NOMEM, "text: out of memory");
    memset(L, 0, sizeof *L);
    L->host = host;
    L->tok = tok;
    L->batch_size = (size_t)params[P_BATCH_SIZE].i;
    L->bptt = (size_t)params[P_BPTT].i;
    L->baseline = NAN;
    int rc = text_build(L, params, restored);
    if (rc) {
        text_close(L);
        return rc;
    }
    *self = L;
    return RNNLAB_OK;
}

static int text_info(const void *self, rnnlab_data_info *info) {
    const text_loader *L = self;
    rnnlab_data_info full = {
        .struct_size = info->struct_size,
        .input_kind = RNNLAB_INPUT_IDS,
        .input_size = L->vocab,
        .output_size = L->vocab,
        .target_kind = RNNLAB_TARGET_CLASS,
        .head = RNNLAB_HEAD_PER_STEP,
        .batch_size = L->batch_size,
        .max_len = L->bptt,
        .stateful = 1,
        .baseline_loss = L->baseline,
        .baseline_desc = "unigram entropy of the train tokens (predict their frequencies)",
    };
    /* An older host's table may be shorter: fill only what it has room for. */
    size_t n = info->struct_size < sizeof full ? info->struct_size : sizeof full;
    memcpy(info, &full, n);
    return RNNLAB_OK;
}

static size_t text_num_batches(const void *self, rnnlab_split split) {
    const text_loader *L = self;
    if ((int)split < 0 || (int)split >= RNNLAB_SPLIT_COUNT) return 0;
    return L->split[split].batches;
}

static int text_check_split(const text_loader *L, rnnlab_split split) {
    if ((int)split < 0 || (int)split >= RNNLAB_SPLIT_COUNT)
        return L->host->set_error(L->host, RNNLAB_ERR_INVALID, "text: no split %d", (int)split);
    return RNNLAB_OK;
}

/* No shuffling: truncated BPTT needs batch k+1 to continue batch k. */
static int text_begin_epoch(void *self, rnnlab_split split, uint64_t epoch) {
    (void)epoch;
    return text_check_split(self, split);
}

/* ids, mask, target_ids, target_mask: (T, B) with T = bptt; lengths: (B) */
static int text_batch(void *self, rnnlab_split split, size_t index, rnnlab_batch *out) {
    text_loader *L = self;
    int rc = text_check_split(L, split);
    if (rc) return rc;
    const text_split *s = &L->split[split];
    if (index >= s->batches)
        return L->host->set_error(L->host, RNNLAB_ERR_INVALID,
                                  "text: batch %zu requested, split %d has %zu", index, (int)split,
                                  s->batches);
    if (!out->ids || !out->mask || !out->lengths || !out->target_ids || !out->target_mask)
        return L->host->set_error(L->host, RNNLAB_ERR_INVALID,
                                  "text: batch arrays ids, mask, lengths, target_ids and "
                                  "target_mask are all needed");
    size_t T = L->bptt, B = L->batch_size, t0 = index * T;
    size_t steps = s->len - 1 - t0 < T ? s->len - 1 - t0 : T;
    out->T = T;
    out->B = B;
    for (size_t t = 0; t < T; t++) {
        int32_t *ids = out->ids + t * B, *tgt = out->target_ids + t * B;
        uint8_t real = t < steps;
        memset(out->mask + t * B, real, B);
        memset(out->target_mask + t * B, real, B);
        for (size_t b = 0; b < B; b++) {
            const int32_t *stream = s->data + b * s->len + t0 + t;
            ids[b] = real ? stream[0] : 0;
            tgt[b] = real ? stream[1] : 0;
        }
    }
    for (size_t b = 0; b < B; b++) out->lengths[b] = (int32_t)steps;
    return RNNLAB_OK;
}

/* Targets are tokens, so a class id is named by the tokenizer. */
static const char *text_label_name(const void *self, int32_t id) {
    const text_loader *L = self;
    if (!L->tok.ops->token_text || id < 0 || (size_t)id >= L->vocab) return NULL;
    return L->tok.ops->token_text(L->tok.self, id);
}

static const rnnlab_loader_ops ops = {
    .struct_size = sizeof(rnnlab_loader_ops),
    .open = text_open,
    .close = text_close,
    .info = text_info,
    .num_batches = text_num_batches,
    .begin_epoch = text_begin_epoch,
    .batch = text_batch,
    .label_name = text_label_name,
};

static const rnnlab_component text_component = {
    .kind = RNNLAB_KIND_LOADER,
    .name = "text",
    .version = "1.0.0",
    .description = "Next-token language modelling over plain-text files (stateful streams).",
    .params = text_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&text_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "text",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The plain-text language-modelling loader.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
