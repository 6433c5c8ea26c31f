/* test_loader_conllu_tsv_synthetic.c -- the conllu, tsv and synthetic loader plugins, loaded
 * from the build tree: batch layout (time-major, packed at the batch's own
 * (T, B), padding and the rest of the host's arrays zeroed), FILE:LINE
 * errors, label vocabularies and their save/restore round trip, on_long,
 * per-epoch shuffling, and the synthetic tasks' definitions and baselines.
 *
 * The text loaders use the real `word` tokenizer (split = whitespace) when
 * the plugin is built, else a test-local tokenizer with the same contract
 * for whitespace-separated words. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"

static rnnlab_err err;
static rnnlab_host *host;

static void setup(void) {
    err_clear(&err);
    host = host_create(&err, NULL, RNNLAB_LOG_WARN);
}

static void teardown(void) {
    cr_expect_eq(host_live_blocks(host), 0, "leaked %ld blocks", host_live_blocks(host));
    host_destroy(host);
}

TestSuite(loaders, .init = setup, .fini = teardown);

/* ------------------------------------------------------------------------ */
/* A fallback tokenizer: whitespace-separated words, id 0 = <unk>, then     */
/* words in order of first appearance. Used only without the word plugin.   */
/* ------------------------------------------------------------------------ */

typedef struct ws_tok {
    char **words; /* (n) words[0] = "<unk>" */
    size_t n;
} ws_tok;

static int ws_create(const rnnlab_host *h, const rnnlab_value *params, void **self) {
    (void)params;
    ws_tok *t = h->alloc(h, sizeof *t);
    t->words = h->alloc(h, sizeof *t->words);
    t->words[0] = strdup("<unk>");
    t->n = 1;
    *self = t;
    return RNNLAB_OK;
}

static void ws_destroy(void *self) {
    ws_tok *t = self;
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) free(t->words[i]);
    host->free(host, t->words);
    host->free(host, t);
}

/* Calls f(word, len) for each whitespace-separated word of text. */
static size_t ws_split(const char *text, size_t len, const char **starts, size_t *lens) {
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && strchr(" \t\n\r", text[i])) i++;
        size_t s = i;
        while (i < len && !strchr(" \t\n\r", text[i])) i++;
        if (i > s) {
            if (starts) starts[n] = text + s, lens[n] = i - s;
            n++;
        }
    }
    return n;
}

static int32_t ws_lookup(const ws_tok *t, const char *w, size_t len) {
    for (size_t i = 1; i < t->n; i++)
        if (strlen(t->words[i]) == len && memcmp(t->words[i], w, len) == 0) return (int32_t)i;
    return 0;
}

static int ws_fit(void *self, const char *text, size_t len) {
    ws_tok *t = self;
    size_t n = ws_split(text, len, NULL, NULL);
    const char **st = malloc((n + 1) * sizeof *st);
    size_t *ln = malloc((n + 1) * sizeof *ln);
    ws_split(text, len, st, ln);
    for (size_t i = 0; i < n; i++) {
        if (ws_lookup(t, st[i], ln[i])) continue;
        t->words = host->realloc(host, t->words, (t->n + 1) * sizeof *t->words);
        t->words[t->n++] = strndup(st[i], ln[i]);
    }
    free(st);
    free(ln);
    return RNNLAB_OK;
}

static size_t ws_vocab_size(const void *self) { return ((const ws_tok *)self)->n; }

static int ws_encode(const void *self, const char *text, size_t len, int32_t *ids, size_t cap,
                     size_t *n_out) {
    size_t n = ws_split(text, len, NULL, NULL);
    *n_out = n;
    if (!ids) return RNNLAB_OK;
    if (cap < n) return host->set_error(host, RNNLAB_ERR_INVALID, "ws: cap %zu < %zu", cap, n);
    const char **st = malloc((n + 1) * sizeof *st);
    size_t *ln = malloc((n + 1) * sizeof *ln);
    ws_split(text, len, st, ln);
    for (size_t i = 0; i < n; i++) ids[i] = ws_lookup(self, st[i], ln[i]);
    free(st);
    free(ln);
    return RNNLAB_OK;
}

static const char *ws_token_text(const void *self, int32_t id) {
    const ws_tok *t = self;
    return id >= 0 && (size_t)id < t->n ? t->words[id] : NULL;
}

static int ws_decode(const void *self, const int32_t *ids, size_t n, char *out, size_t cap,
                     size_t *len_out) {
    size_t len = 0;
    for (size_t i = 0; i < n; i++) len += strlen(ws_token_text(self, ids[i])) + (i > 0);
    *len_out = len;
    if (!out) return RNNLAB_OK;
    if (cap <= len) return host->set_error(host, RNNLAB_ERR_INVALID, "ws: small buffer");
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(out, " ");
        strcat(out, ws_token_text(self, ids[i]));
    }
    return RNNLAB_OK;
}

/* State: the words after <unk>, one per line. */
static int ws_save(const void *self, char **buf, size_t *len) {
    const ws_tok *t = self;
    size_t n = 1;
    for (size_t i = 1; i < t->n; i++) n += strlen(t->words[i]) + 1;
    char *b = host->alloc(host, n);
    b[0] = '\0';
    for (size_t i = 1; i < t->n; i++) strcat(strcat(b, t->words[i]), "\n");
    *buf = b;
    *len = strlen(b);
    return RNNLAB_OK;
}

static int ws_load(void *self, const char *buf, size_t len) { return ws_fit(self, buf, len); }

static const rnnlab_tokenizer_ops ws_ops = {
    .struct_size = sizeof(rnnlab_tokenizer_ops),
    .create = ws_create,
    .destroy = ws_destroy,
    .fit = ws_fit,
    .vocab_size = ws_vocab_size,
    .encode = ws_encode,
    .decode = ws_decode,
    .save = ws_save,
    .load = ws_load,
    .token_text = ws_token_text,
};

/* ------------------------------------------------------------------------ */
/* Instances                                                                 */
/* ------------------------------------------------------------------------ */

static const rnnlab_component *word_component(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/word.so", RNNLAB_TEST_PLUGIN_DIR);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fclose(f);
    return test_component(host, "word", RNNLAB_KIND_TOKENIZER, "word");
}

/* A fresh, unfitted tokenizer: word with split = whitespace, or ws. */
static rnnlab_tokenizer_ref tok_new(void) {
    static rnnlab_value vals[16];
    const rnnlab_component *c = word_component();
    const rnnlab_tokenizer_ops *ops = c ? c->ops : &ws_ops;
    if (c) {
        test_defaults(c->params, vals);
        test_set(c->params, vals, "split", "whitespace");
    }
    rnnlab_tokenizer_ref t = {.ops = ops, .self = NULL};
    cr_assert_eq(ops->create(host, vals, &t.self), 0, "%s", err.msg);
    return t;
}

static void tok_free(rnnlab_tokenizer_ref t) { t.ops->destroy(t.self); }

/* The text of one id, through decode so any tokenizer works. */
static const char *tok_text(rnnlab_tokenizer_ref t, int32_t id) {
    static char buf[256];
    size_t n;
    cr_assert_eq(t.ops->decode(t.self, &id, 1, buf, sizeof buf, &n), 0, "%s", err.msg);
    return buf;
}

/* A loader instance with its own tokenizer and parameter strings. */
typedef struct loader {
    const rnnlab_loader_ops *ops;
    void *self;
    rnnlab_tokenizer_ref tok;
    rnnlab_data_info info;
    char paths[3][1024];
    rnnlab_value vals[16];
} loader;

/* The absolute path of a fixture in tests/data/loaders/ ("" stays ""). */
static void fixture(char *out, size_t cap, const char *name) {
    const char *src = getenv("RNNLAB_TEST_SOURCE_DIR");
    if (!*name)
        out[0] = '\0';
    else if (name[0] == '/')
        snprintf(out, cap, "%s", name);
    else
        snprintf(out, cap, "%s/tests/data/loaders/%s", src ? src : ".", name);
}

/* Opens loader `name` with "key", "value" pairs (NULL-ended); train, dev and
 * test values are fixture names. Returns open's status; *l is usable (and
 * must be closed with loader_close) only if it is 0. */
static int loader_open(loader *l, const char *name, const char *const *kv, const char *restored,
                       uint64_t seed) {
    memset(l, 0, sizeof *l);
    const rnnlab_component *c = test_component(host, name, RNNLAB_KIND_LOADER, name);
    cr_assert_not_null(c, "loader %s not found", name);
    l->ops = c->ops;
    test_defaults(c->params, l->vals);
    int np = 0;
    for (size_t i = 0; kv && kv[i]; i += 2) {
        const char *v = kv[i + 1];
        if (strcmp(kv[i], "train") == 0 || strcmp(kv[i], "dev") == 0 ||
            strcmp(kv[i], "test") == 0) {
            fixture(l->paths[np], sizeof l->paths[np], v);
            v = l->paths[np++];
        }
        test_set(c->params, l->vals, kv[i], v);
    }
    l->tok = tok_new();
    err_clear(&err);
    int rc = l->ops->open(host, l->vals, l->tok, restored, seed, &l->self);
    if (rc != RNNLAB_OK) {
        tok_free(l->tok);
        return rc;
    }
    l->info.struct_size = sizeof l->info;
    cr_assert_eq(l->ops->info(l->self, &l->info), 0, "%s", err.msg);
    return rc;
}

static void loader_close(loader *l) {
    l->ops->close(l->self);
    tok_free(l->tok);
}

/* The host's batch arrays at (max_len, batch_size), as core/train.c makes
 * them, filled with garbage so the tests see what the loader zeroes. */
typedef struct tbatch {
    rnnlab_batch b;
    size_t cells, out_rows, in_size, out_size;
} tbatch;

static void tbatch_alloc(tbatch *tb, const rnnlab_data_info *info) {
    memset(tb, 0, sizeof *tb);
    tb->cells = info->max_len * info->batch_size;
    tb->out_rows = info->head == RNNLAB_HEAD_PER_STEP ? tb->cells : info->batch_size;
    tb->in_size = info->input_size;
    tb->out_size = info->output_size;
    tb->b.ids = malloc(tb->cells * sizeof *tb->b.ids);
    tb->b.mask = malloc(tb->cells);
    tb->b.lengths = malloc(info->batch_size * sizeof *tb->b.lengths);
    tb->b.target_mask = malloc(tb->out_rows);
    if (info->input_kind == RNNLAB_INPUT_DENSE)
        tb->b.x = malloc(tb->cells * info->input_size * sizeof *tb->b.x);
    if (info->target_kind == RNNLAB_TARGET_CLASS)
        tb->b.target_ids = malloc(tb->out_rows * sizeof *tb->b.target_ids);
    else
        tb->b.target_values = malloc(tb->out_rows * info->output_size * sizeof(rnnlab_real));
}

static void tbatch_garbage(tbatch *tb, size_t batch_size) {
    memset(tb->b.ids, 0xA5, tb->cells * sizeof *tb->b.ids);
    memset(tb->b.mask, 0xA5, tb->cells);
    memset(tb->b.lengths, 0xA5, batch_size * sizeof *tb->b.lengths);
    memset(tb->b.target_mask, 0xA5, tb->out_rows);
    if (tb->b.x) memset(tb->b.x, 0xA5, tb->cells * tb->in_size * sizeof *tb->b.x);
    if (tb->b.target_ids) memset(tb->b.target_ids, 0xA5, tb->out_rows * sizeof(int32_t));
    if (tb->b.target_values)
        memset(tb->b.target_values, 0xA5, tb->out_rows * tb->out_size * sizeof(rnnlab_real));
    tb->b.T = tb->b.B = 12345;
}

static void tbatch_free(tbatch *tb) {
    free(tb->b.ids);
    free(tb->b.mask);
    free(tb->b.lengths);
    free(tb->b.target_mask);
    free(tb->b.x);
    free(tb->b.target_ids);
    free(tb->b.target_values);
}

/* The contract every batch meets: T is the longest length, the mask is
 * (t < lengths[b]), padding and everything past the batch's own entries are
 * zero, and per-step targets are unscored on padding. */
static void check_invariants(const loader *l, const tbatch *tb) {
    const rnnlab_batch *b = &tb->b;
    const rnnlab_data_info *in = &l->info;
    cr_assert(b->T >= 1 && b->T <= in->max_len, "T = %zu", b->T);
    cr_assert(b->B >= 1 && b->B <= in->batch_size, "B = %zu", b->B);
    int32_t longest = 0;
    for (size_t j = 0; j < in->batch_size; j++) {
        if (j >= b->B) {
            cr_assert_eq(b->lengths[j], 0, "lengths[%zu] past B not zeroed", j);
            continue;
        }
        cr_assert(b->lengths[j] >= 1 && (size_t)b->lengths[j] <= b->T);
        if (b->lengths[j] > longest) longest = b->lengths[j];
    }
    cr_assert_eq((size_t)longest, b->T, "T is not the longest sequence");
    int per_step = in->head == RNNLAB_HEAD_PER_STEP;
    for (size_t k = 0; k < tb->cells; k++) {
        size_t t = k / b->B, j = k % b->B;
        int real = k < b->T * b->B && (int32_t)t < b->lengths[j];
        cr_assert_eq(b->mask[k], real, "mask at cell %zu", k);
        if (!real) {
            cr_assert_eq(b->ids[k], 0, "ids not zero at padding cell %zu", k);
            if (per_step) cr_assert_eq(b->target_mask[k], 0, "target_mask at padding %zu", k);
            if (per_step && b->target_ids) cr_assert_eq(b->target_ids[k], 0);
            for (size_t c = 0; b->x && c < tb->in_size; c++)
                cr_assert_eq(b->x[k * tb->in_size + c], 0.0f);
        }
    }
    if (!per_step)
        for (size_t j = 0; j < in->batch_size; j++) {
            cr_assert_eq(b->target_mask[j], j < b->B, "target_mask[%zu]", j);
            if (j >= b->B && b->target_ids) cr_assert_eq(b->target_ids[j], 0);
            for (size_t c = 0; j >= b->B && b->target_values && c < tb->out_size; c++)
                cr_assert_eq(b->target_values[j * tb->out_size + c], 0.0f);
        }
}

/* Fetches batch i of a split into tb (garbage first) and checks it. */
static void get_batch(loader *l, tbatch *tb, rnnlab_split split, size_t i) {
    tbatch_garbage(tb, l->info.batch_size);
    cr_assert_eq(l->ops->batch(l->self, split, i, &tb->b), 0, "%s", err.msg);
    check_invariants(l, tb);
}

/* Asserts that open fails and that the message holds `needle`. */
static void expect_open_error(const char *name, const char *const *kv, const char *restored,
                              const char *needle) {
    loader l;
    int rc = loader_open(&l, name, kv, restored, 1);
    if (rc == RNNLAB_OK) loader_close(&l);
    cr_assert_lt(rc, 0, "open succeeded, expected an error with '%s'", needle);
    cr_assert_not_null(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
}

/* All batches of a split concatenated: ids, x and targets, for comparison. */
typedef struct dump {
    size_t n;
    double *v;
} dump;

static dump dump_split(loader *l, rnnlab_split split, uint64_t epoch) {
    dump d = {0, NULL};
    tbatch tb;
    tbatch_alloc(&tb, &l->info);
    cr_assert_eq(l->ops->begin_epoch(l->self, split, epoch), 0, "%s", err.msg);
    size_t per = tb.cells * (2 + tb.in_size) + tb.out_rows * (1 + tb.out_size);
    size_t nb = l->ops->num_batches(l->self, split);
    d.v = malloc(nb * per * sizeof *d.v);
    for (size_t i = 0; i < nb; i++) {
        get_batch(l, &tb, split, i);
        for (size_t k = 0; k < tb.cells; k++) {
            d.v[d.n++] = tb.b.ids[k];
            d.v[d.n++] = tb.b.mask[k];
            for (size_t c = 0; tb.b.x && c < tb.in_size; c++)
                d.v[d.n++] = tb.b.x[k * tb.in_size + c];
        }
        for (size_t r = 0; r < tb.out_rows; r++) {
            d.v[d.n++] = tb.b.target_mask[r];
            if (tb.b.target_ids) d.v[d.n++] = tb.b.target_ids[r];
            for (size_t c = 0; tb.b.target_values && c < tb.out_size; c++)
                d.v[d.n++] = tb.b.target_values[r * tb.out_size + c];
        }
    }
    tbatch_free(&tb);
    return d;
}

static int dump_equal(dump a, dump b) {
    return a.n == b.n && memcmp(a.v, b.v, a.n * sizeof *a.v) == 0;
}

/* ------------------------------------------------------------------------ */
/* conllu                                                                    */
/* ------------------------------------------------------------------------ */

/* Tags of tests/data/loaders/small.conllu: sorted, then "<unk>". */
static const char *const small_tags[] = {"ADJ",  "AUX",   "CCONJ", "DET",  "NOUN", "PART",
                                         "PRON", "PROPN", "PUNCT", "VERB", "<unk>"};

Test(loaders, conllu_batches_are_time_major_with_ranges_and_empty_nodes_skipped) {
    const char *kv[] = {"train",   "small.conllu", "dev", "small.conllu", "batch_size", "2",
                        "max_len", "16",           NULL};
    loader l;
    cr_assert_eq(loader_open(&l, "conllu", kv, NULL, 3), 0, "%s", err.msg);
    cr_assert_eq(l.info.input_kind, RNNLAB_INPUT_IDS);
    cr_assert_eq(l.info.target_kind, RNNLAB_TARGET_CLASS);
    cr_assert_eq(l.info.head, RNNLAB_HEAD_PER_STEP);
    cr_assert_eq(l.info.stateful, 0);
    cr_assert_eq(l.info.input_size, l.tok.ops->vocab_size(l.tok.self));
    cr_assert_eq(l.info.output_size, 11);
    for (int32_t c = 0; c < 11; c++) cr_assert_str_eq(l.ops->label_name(l.self, c), small_tags[c]);
    cr_assert_null(l.ops->label_name(l.self, 11));
    cr_assert_null(l.ops->label_name(l.self, -1));
    cr_assert_eq(l.ops->num_batches(l.self, RNNLAB_SPLIT_DEV), 2);
    cr_assert_eq(l.ops->num_batches(l.self, RNNLAB_SPLIT_TEST), 0);

    /* Dev keeps file order: sentences 1 and 2, then 3. */
    static const char *const s1[] = {"The", "cat", "sleeps", "."};
    static const char *const s2[] = {"We", "said", "ca", "n't", "go", "."};
    static const char *const t1[] = {"DET", "NOUN", "VERB", "PUNCT"};
    static const char *const t2[] = {"PRON", "VERB", "AUX", "PART", "VERB", "PUNCT"};
    tbatch tb;
    tbatch_alloc(&tb, &l.info);
    cr_assert_eq(l.ops->begin_epoch(l.self, RNNLAB_SPLIT_DEV, 0), 0, "%s", err.msg);
    get_batch(&l, &tb, RNNLAB_SPLIT_DEV, 0);
    cr_assert_eq(tb.b.T, 6);
    cr_assert_eq(tb.b.B, 2);
    cr_assert_eq(tb.b.lengths[0], 4);
    cr_assert_eq(tb.b.lengths[1], 6);
    for (size_t t = 0; t < 6; t++) {
        if (t < 4) {
            cr_assert_str_eq(tok_text(l.tok, tb.b.ids[t * 2 + 0]), s1[t]);
            cr_assert_str_eq(l.ops->label_name(l.self, tb.b.target_ids[t * 2 + 0]), t1[t]);
            cr_assert_eq(tb.b.target_mask[t * 2 + 0], 1);
        }
        cr_assert_str_eq(tok_text(l.tok, tb.b.ids[t * 2 + 1]), s2[t]);
        cr_assert_str_eq(l.ops->label_name(l.self, tb.b.target_ids[t * 2 + 1]), t2[t]);
        cr_assert_eq(tb.b.target_mask[t * 2 + 1], 1);
    }

    /* Sentence 3 alone: the empty node 8.1 "likes" is not a step. */
    static const char *const s3[] = {"My",  "old", "friend", "Sue",    "likes",
                                     "tea", "and", "Tom",    "coffee", "."};
    get_batch(&l, &tb, RNNLAB_SPLIT_DEV, 1);
    cr_assert_eq(tb.b.T, 10);
    cr_assert_eq(tb.b.B, 1);
    for (size_t t = 0; t < 10; t++) cr_assert_str_eq(tok_text(l.tok, tb.b.ids[t]), s3[t]);
    cr_assert_str_eq(l.ops->label_name(l.self, tb.b.target_ids[8]), "NOUN");
    cr_assert_eq(l.ops->batch(l.self, RNNLAB_SPLIT_DEV, 2, &tb.b), RNNLAB_ERR_INVALID);
    tbatch_free(&tb);

    /* Baseline: the entropy of the 20 training tags, in nats. */
    static const int counts[] = {1, 1, 1, 1, 4, 1, 2, 2, 3, 4}; /* ADJ..VERB */
    double H = 0.0;
    for (int c = 0; c < 10; c++) H -= counts[c] / 20.0 * log(counts[c] / 20.0);
    cr_assert_float_eq(l.info.baseline_loss, H, 1e-9);
    cr_assert_not_null(strstr(l.info.baseline_desc, "dev accuracy 100.0%"), "%s",
                       l.info.baseline_desc);
    loader_close(&l);
}

Test(loaders, conllu_unseen_dev_tag_maps_to_unk) {
    const char *kv[] = {"train",  "small.conllu", "dev", "dev_unseen.conllu",
                        "column", "upos",         NULL};
    loader l;
    cr_assert_eq(loader_open(&l, "conllu", kv, NULL, 3), 0, "%s", err.msg);
    tbatch tb;
    tbatch_alloc(&tb, &l.info);
    get_batch(&l, &tb, RNNLAB_SPLIT_DEV, 0);
    cr_assert_eq(tb.b.B, 2);
    cr_assert_eq(tb.b.lengths[0], 5);
    cr_assert_eq(tb.b.lengths[1], 2);
    /* "Oh" is INTJ, never seen in training: the last class, still scored. */
    cr_assert_eq(tb.b.target_ids[0], (int32_t)l.info.output_size - 1);
    cr_assert_str_eq(l.ops->label_name(l.self, tb.b.target_ids[0]), "<unk>");
    cr_assert_eq(tb.b.target_mask[0], 1);
    cr_assert_str_eq(l.ops->label_name(l.self, tb.b.target_ids[1 * 2]), "PUNCT");
    cr_assert_str_eq(l.ops->label_name(l.self, tb.b.target_ids[0 * 2 + 1]), "PROPN");
    /* Words the tokenizer never saw ("the"; only "The" is in training) get
     * its unknown id, not an error. */
    cr_assert_str_eq(tok_text(l.tok, tb.b.ids[2 * 2]), "<unk>");
    cr_assert_str_eq(tok_text(l.tok, tb.b.ids[3 * 2]), "cat");
    tbatch_free(&tb);
    loader_close(&l);
}

Test(loaders, conllu_xpos_column) {
    const char *kv[] = {"train", "small.conllu", "column", "xpos", NULL};
    loader l;
    cr_assert_eq(loader_open(&l, "conllu", kv, NULL, 3), 0, "%s", err.msg);
    /* XPOS of the fixture: . CC DT JJ MD NN NNP PRP PRP$ RB VB VBD VBZ. */
    cr_assert_eq(l.info.output_size, 14);
    cr_assert_str_eq(l.ops->label_name(l.self, 0), ".");
    cr_assert_str_eq(l.ops->label_name(l.self, 8), "PRP$");
    cr_assert_str_eq(l.ops->label_name(l.self, 13), "<unk>");
    loader_close(&l);
}

Test(loaders, conllu_malformed_lines_name_file_and_line) {
    const char *cols[] = {"train", "bad_columns.conllu", NULL};
    expect_open_error("conllu", cols, NULL,
                      "bad_columns.conllu:3: expected 10 tab-separated columns, found 9");
    const char *form[] = {"train", "empty_form.conllu", NULL};
    expect_open_error("conllu", form, NULL, "empty_form.conllu:4: empty FORM");
    const char *id[] = {"train", "bad_id.conllu", NULL};
    expect_open_error("conllu", id, NULL, "bad_id.conllu:2: bad ID 'x2'");
    /* A bad dev file is reported as well, with its own name. */
    const char *dev[] = {"train", "small.conllu", "dev", "bad_columns.conllu", NULL};
    expect_open_error("conllu", dev, NULL, "bad_columns.conllu:3:");
    const char *space[] = {"train", "space_form.conllu", NULL};
    expect_open_error("conllu", space, NULL,
                      "space_form.conllu:3: form 'New York' becomes 2 tokens");
}

Test(loaders, conllu_missing_and_empty_files) {
    const char *missing[] = {"train", "no_such_file.conllu", NULL};
    expect_open_error("conllu", missing, NULL, "no_such_file.conllu: cannot open");
    const char *empty[] = {"train", "empty.conllu", NULL};
    expect_open_error("conllu", empty, NULL, "empty.conllu: empty file");
    const char *nothing[] = {"train", "comments_only.conllu", NULL};
    expect_open_error("conllu", nothing, NULL, "comments_only.conllu: no sentences");
    const char *unset[] = {NULL};
    expect_open_error("conllu", unset, NULL, "train: no file given");
}

/* Sequence lengths of all train sequences, in file order (dev = train). */
static size_t seq_lengths(loader *l, int32_t *out) {
    size_t n = 0;
    tbatch tb;
    tbatch_alloc(&tb, &l->info);
    for (size_t i = 0; i < l->ops->num_batches(l->self, RNNLAB_SPLIT_DEV); i++) {
        get_batch(l, &tb, RNNLAB_SPLIT_DEV, i);
        for (size_t j = 0; j < tb.b.B; j++) out[n++] = tb.b.lengths[j];
    }
    tbatch_free(&tb);
    return n;
}

Test(loaders, conllu_on_long_split_truncate_error) {
    loader l;
    int32_t len[16];
    const char *split[] = {
        "train", "small.conllu", "dev", "small.conllu", "max_len", "4", "batch_size", "4", NULL};
    cr_assert_eq(loader_open(&l, "conllu", split, NULL, 3), 0, "%s", err.msg);
    cr_assert_eq(seq_lengths(&l, len), 6);
    static const int32_t want_split[] = {4, 4, 2, 4, 4, 2};
    for (int i = 0; i < 6; i++) cr_assert_eq(len[i], want_split[i], "sequence %d", i);
    /* The pieces continue the sentence: piece 2 of sentence 3 starts at "likes". */
    tbatch tb;
    tbatch_alloc(&tb, &l.info);
    get_batch(&l, &tb, RNNLAB_SPLIT_DEV, 1);
    cr_assert_str_eq(tok_text(l.tok, tb.b.ids[0 * tb.b.B + 0]), "likes");
    cr_assert_str_eq(tok_text(l.tok, tb.b.ids[1 * tb.b.B + 1]), ".");
    tbatch_free(&tb);
    loader_close(&l);

    const char *trunc[] = {"train",   "small.conllu", "dev", "small.conllu", "max_len", "4",
                           "on_long", "truncate",     NULL};
    cr_assert_eq(loader_open(&l, "conllu", trunc, NULL, 3), 0, "%s", err.msg);
    cr_assert_eq(seq_lengths(&l, len), 3);
    for (int i = 0; i < 3; i++) cr_assert_eq(len[i], 4);
    loader_close(&l);

    const char *error[] = {"train", "small.conllu", "max_len", "4", "on_long", "error", NULL};
    expect_open_error("conllu", error, NULL,
                      "small.conllu:11: sentence of 6 words is longer than max_len = 4");
}

Test(loaders, conllu_save_labels_round_trip) {
    const char *kv[] = {"train", "small.conllu", "dev", "dev_unseen.conllu", NULL};
    loader a, b;
    cr_assert_eq(loader_open(&a, "conllu", kv, NULL, 3), 0, "%s", err.msg);
    char *labels, *state;
    size_t nl, ns;
    cr_assert_eq(a.ops->save_labels(a.self, &labels, &nl), 0, "%s", err.msg);
    cr_assert_eq(strlen(labels), nl);
    cr_assert(strncmp(labels, "conllu-labels v1\ncolumn upos\nsize 11\nADJ\n", 40) == 0, "%s",
              labels);
    cr_assert_eq(a.tok.ops->save(a.tok.self, &state, &ns), 0, "%s", err.msg);

    /* Restore: a tokenizer loaded from the saved state, the saved labels. */
    memset(&b, 0, sizeof b);
    const rnnlab_component *c = test_component(host, "conllu", RNNLAB_KIND_LOADER, "conllu");
    b.ops = c->ops;
    test_defaults(c->params, b.vals);
    fixture(b.paths[0], sizeof b.paths[0], "small.conllu");
    fixture(b.paths[1], sizeof b.paths[1], "dev_unseen.conllu");
    test_set(c->params, b.vals, "train", b.paths[0]);
    test_set(c->params, b.vals, "dev", b.paths[1]);
    b.tok = tok_new();
    cr_assert_eq(b.tok.ops->load(b.tok.self, state, ns), 0, "%s", err.msg);
    cr_assert_eq(b.ops->open(host, b.vals, b.tok, labels, 3, &b.self), 0, "%s", err.msg);
    b.info.struct_size = sizeof b.info;
    cr_assert_eq(b.ops->info(b.self, &b.info), 0);
    cr_assert_eq(b.info.output_size, a.info.output_size);
    cr_assert_eq(b.info.input_size, a.info.input_size);
    for (int32_t k = 0; k < (int32_t)a.info.output_size; k++)
        cr_assert_str_eq(b.ops->label_name(b.self, k), a.ops->label_name(a.self, k));
    char *again;
    size_t na;
    cr_assert_eq(b.ops->save_labels(b.self, &again, &na), 0);
    cr_assert_str_eq(again, labels);
    tbatch ta, tbb;
    tbatch_alloc(&ta, &a.info);
    tbatch_alloc(&tbb, &b.info);
    get_batch(&a, &ta, RNNLAB_SPLIT_DEV, 0);
    get_batch(&b, &tbb, RNNLAB_SPLIT_DEV, 0);
    cr_assert_eq(memcmp(ta.b.ids, tbb.b.ids, ta.cells * sizeof(int32_t)), 0);
    cr_assert_eq(memcmp(ta.b.target_ids, tbb.b.target_ids, ta.cells * sizeof(int32_t)), 0);
    tbatch_free(&ta);
    tbatch_free(&tbb);
    host->free(host, again);
    host->free(host, state);
    loader_close(&a);
    loader_close(&b);

    /* Restored text that save_labels could not have written is refused. */
    const char *only_train[] = {"train", "small.conllu", NULL};
    const char *xpos[] = {"train", "small.conllu", "column", "xpos", NULL};
    expect_open_error("conllu", only_train, "", "restored labels are empty");
    expect_open_error("conllu", xpos, labels, "expected 'column xpos'");
    expect_open_error("conllu", only_train, "tsv-labels v1\nsize 2\na\n<unk>\n",
                      "line 1: 'tsv-labels v1'");
    expect_open_error("conllu", only_train,
                      "conllu-labels v1\ncolumn upos\nsize 3\nVERB\nADJ\n<unk>\n",
                      "'ADJ' not after 'VERB'");
    expect_open_error("conllu", only_train,
                      "conllu-labels v1\ncolumn upos\nsize 3\nADJ\nADJ\n<unk>\n",
                      "not after 'ADJ'");
    expect_open_error("conllu", only_train, "conllu-labels v1\ncolumn upos\nsize 2\nADJ\nVERB\n",
                      "expected the final '<unk>'");
    expect_open_error("conllu", only_train, "conllu-labels v1\ncolumn upos\nsize 4\nADJ\nVERB\nZ\n",
                      "end after 3 of 4 labels");
    expect_open_error("conllu", only_train,
                      "conllu-labels v1\ncolumn upos\nsize x\nADJ\nVERB\n<unk>\n",
                      "expected 'size N'");
    expect_open_error("conllu", only_train,
                      "conllu-labels v1\ncolumn upos\nsize 2\nADJ\n<unk>\nextra\n",
                      "text after the 2 labels");
    expect_open_error("conllu", only_train, "conllu-labels v1\ncolumn upos\nsize 2\nADJ\n<unk>",
                      "lack the final newline");
    host->free(host, labels);
}

/* The order in which train sentences come out for an epoch, as the first
 * id of each sequence's first step: a fingerprint of the shuffle. */
static void train_order(loader *l, uint64_t epoch, int32_t *out, size_t n) {
    tbatch tb;
    tbatch_alloc(&tb, &l->info);
    cr_assert_eq(l->ops->begin_epoch(l->self, RNNLAB_SPLIT_TRAIN, epoch), 0, "%s", err.msg);
    size_t k = 0;
    for (size_t i = 0; i < l->ops->num_batches(l->self, RNNLAB_SPLIT_TRAIN); i++) {
        get_batch(l, &tb, RNNLAB_SPLIT_TRAIN, i);
        for (size_t j = 0; j < tb.b.B && k < n; j++)
            out[k++] = tb.b.lengths[j] * 1000 + tb.b.ids[j];
    }
    cr_assert_eq(k, n);
    tbatch_free(&tb);
}

Test(loaders, conllu_train_shuffle_depends_on_seed_and_epoch_only) {
    /* max_len 1 cuts the 20 training words into 20 one-word sequences. */
    const char *kv[] = {"train", "small.conllu", "max_len", "1", "batch_size", "3", NULL};
    loader a, b;
    cr_assert_eq(loader_open(&a, "conllu", kv, NULL, 11), 0, "%s", err.msg);
    cr_assert_eq(loader_open(&b, "conllu", kv, NULL, 11), 0, "%s", err.msg);
    int32_t e0[20], e0b[20], e1[20], again[20];
    train_order(&a, 0, e0, 20);
    train_order(&a, 1, e1, 20);
    train_order(&b, 1, again, 20);
    cr_assert_eq(memcmp(e1, again, sizeof e1), 0, "same (seed, epoch), different order");
    train_order(&b, 0, e0b, 20);
    cr_assert_eq(memcmp(e0, e0b, sizeof e0), 0, "epoch 0 not reproducible after epoch 1");
    cr_assert_neq(memcmp(e0, e1, sizeof e0), 0, "epochs 0 and 1 have the same order");
    loader_close(&a);
    loader_close(&b);
}

/* ------------------------------------------------------------------------ */
/* tsv                                                                       */
/* ------------------------------------------------------------------------ */

Test(loaders, tsv_batches_and_labels) {
    const char *kv[] = {"train",     "small.tsv",  "dev", "dev.tsv", "test",
                        "small.tsv", "batch_size", "3",   NULL};
    loader l;
    cr_assert_eq(loader_open(&l, "tsv", kv, NULL, 5), 0, "%s", err.msg);
    cr_assert_eq(l.info.head, RNNLAB_HEAD_LAST);
    cr_assert_eq(l.info.target_kind, RNNLAB_TARGET_CLASS);
    cr_assert_eq(l.info.max_len, 256);
    cr_assert_eq(l.info.output_size, 4);
    static const char *const names[] = {"neg", "neu", "pos", "<unk>"};
    for (int32_t c = 0; c < 4; c++) cr_assert_str_eq(l.ops->label_name(l.self, c), names[c]);
    /* Test = the train file in file order: the blank line 3 is skipped. */
    cr_assert_eq(l.ops->num_batches(l.self, RNNLAB_SPLIT_TEST), 2);
    tbatch tb;
    tbatch_alloc(&tb, &l.info);
    get_batch(&l, &tb, RNNLAB_SPLIT_TEST, 0);
    cr_assert_eq(tb.b.B, 3);
    cr_assert_eq(tb.b.T, 4);
    static const int32_t lens[] = {3, 3, 4};
    static const char *const labels[] = {"pos", "neg", "neu"};
    for (size_t j = 0; j < 3; j++) {
        cr_assert_eq(tb.b.lengths[j], lens[j]);
        cr_assert_str_eq(l.ops->label_name(l.self, tb.b.target_ids[j]), labels[j]);
    }
    static const char *const first[] = {"a", "good", "film"};
    for (size_t t = 0; t < 3; t++) cr_assert_str_eq(tok_text(l.tok, tb.b.ids[t * 3]), first[t]);
    cr_assert_str_eq(tok_text(l.tok, tb.b.ids[3 * 3 + 2]), "film");
    get_batch(&l, &tb, RNNLAB_SPLIT_TEST, 1);
    cr_assert_eq(tb.b.B, 1);
    cr_assert_eq(tb.b.T, 6);
    /* Dev: "mixed" never appears in training. */
    get_batch(&l, &tb, RNNLAB_SPLIT_DEV, 0);
    cr_assert_eq(tb.b.B, 2);
    cr_assert_str_eq(l.ops->label_name(l.self, tb.b.target_ids[0]), "pos");
    cr_assert_str_eq(l.ops->label_name(l.self, tb.b.target_ids[1]), "<unk>");
    cr_assert_not_null(strstr(l.info.baseline_desc, "always 'pos' gets dev accuracy 50.0%"), "%s",
                       l.info.baseline_desc);
    double H = -(0.5 * log(0.5) + 2 * 0.25 * log(0.25));
    cr_assert_float_eq(l.info.baseline_loss, H, 1e-12);
    tbatch_free(&tb);
    loader_close(&l);
}

Test(loaders, tsv_on_long) {
    loader l;
    int32_t len[16];
    const char *trunc[] = {"train", "small.tsv", "dev", "small.tsv", "max_len", "4", NULL};
    cr_assert_eq(loader_open(&l, "tsv", trunc, NULL, 5), 0, "%s", err.msg);
    cr_assert_eq(seq_lengths(&l, len), 4);
    cr_assert_eq(len[3], 4);
    loader_close(&l);
    const char *split[] = {"train", "small.tsv", "dev",   "small.tsv", "max_len",
                           "4",     "on_long",   "split", NULL};
    cr_assert_eq(loader_open(&l, "tsv", split, NULL, 5), 0, "%s", err.msg);
    cr_assert_eq(seq_lengths(&l, len), 5);
    cr_assert_eq(len[3], 4);
    cr_assert_eq(len[4], 2);
    loader_close(&l);
    const char *error[] = {"train", "small.tsv", "max_len", "4", "on_long", "error", NULL};
    expect_open_error("tsv", error, NULL, "small.tsv:5: text of 6 tokens is longer than max_len");
}

Test(loaders, tsv_errors) {
    const char *no_tab[] = {"train", "no_tab.tsv", NULL};
    expect_open_error("tsv", no_tab, NULL, "no_tab.tsv:2: expected label<TAB>text, found no TAB");
    const char *label[] = {"train", "empty_label.tsv", NULL};
    expect_open_error("tsv", label, NULL, "empty_label.tsv:1: empty label");
    const char *text[] = {"train", "empty_text.tsv", NULL};
    expect_open_error("tsv", text, NULL, "empty_text.tsv:2: empty text");
    const char *missing[] = {"train", "small.tsv", "test", "nope.tsv", NULL};
    expect_open_error("tsv", missing, NULL, "nope.tsv: cannot open");
    const char *empty[] = {"train", "empty.conllu", NULL};
    expect_open_error("tsv", empty, NULL, "empty.conllu: empty file");
    const char *ok[] = {"train", "small.tsv", NULL};
    expect_open_error("tsv", ok, "tsv-labels v1\nsize 1\n<unk>\n", "expected 'size N'");
}

Test(loaders, tsv_save_labels_round_trip) {
    const char *kv[] = {"train", "small.tsv", NULL};
    loader a, b;
    cr_assert_eq(loader_open(&a, "tsv", kv, NULL, 5), 0, "%s", err.msg);
    char *labels;
    size_t n;
    cr_assert_eq(a.ops->save_labels(a.self, &labels, &n), 0, "%s", err.msg);
    cr_assert_str_eq(labels, "tsv-labels v1\nsize 4\nneg\nneu\npos\n<unk>\n");
    cr_assert_eq(n, strlen(labels));
    /* The restored list wins over the file: a fifth class is impossible. */
    cr_assert_eq(loader_open(&b, "tsv", kv, "tsv-labels v1\nsize 3\nneu\npos\n<unk>\n", 5), 0, "%s",
                 err.msg);
    cr_assert_eq(b.info.output_size, 3);
    cr_assert_str_eq(b.ops->label_name(b.self, 2), "<unk>");
    host->free(host, labels);
    loader_close(&a);
    loader_close(&b);
}

Test(loaders, crlf_line_ends_and_invalid_utf8) {
    /* The CRLF copy of small.conllu reads exactly like the original. */
    const char *lf[] = {"train", "small.conllu", "dev", "small.conllu", NULL};
    const char *crlf[] = {"train", "small.conllu", "dev", "crlf.conllu", NULL};
    loader a, b;
    cr_assert_eq(loader_open(&a, "conllu", lf, NULL, 3), 0, "%s", err.msg);
    cr_assert_eq(loader_open(&b, "conllu", crlf, NULL, 3), 0, "%s", err.msg);
    dump da = dump_split(&a, RNNLAB_SPLIT_DEV, 0), db = dump_split(&b, RNNLAB_SPLIT_DEV, 0);
    cr_assert(da.n > 0 && dump_equal(da, db), "CRLF file reads differently");
    free(da.v);
    free(db.v);
    loader_close(&a);
    loader_close(&b);
    const char *bad[] = {"train", "bad_utf8.tsv", NULL};
    expect_open_error("tsv", bad, NULL, "bad_utf8.tsv:2: invalid UTF-8");
}

/* ------------------------------------------------------------------------ */
/* synthetic                                                                 */
/* ------------------------------------------------------------------------ */

Test(loaders, synthetic_is_deterministic_in_the_seed) {
    static const char *const tasks[] = {"adding", "copy", "reber"};
    for (int k = 0; k < 3; k++) {
        const char *kv[] = {"task",       tasks[k],   "length", "12",        "train_size",
                            "40",         "dev_size", "10",     "test_size", "5",
                            "batch_size", "8",        NULL};
        loader a, b, c;
        cr_assert_eq(loader_open(&a, "synthetic", kv, NULL, 42), 0, "%s", err.msg);
        cr_assert_eq(loader_open(&b, "synthetic", kv, NULL, 42), 0, "%s", err.msg);
        cr_assert_eq(loader_open(&c, "synthetic", kv, NULL, 43), 0, "%s", err.msg);
        for (int s = 0; s < RNNLAB_SPLIT_COUNT; s++) {
            dump da = dump_split(&a, (rnnlab_split)s, 2), db = dump_split(&b, (rnnlab_split)s, 2),
                 dc = dump_split(&c, (rnnlab_split)s, 2);
            cr_assert(dump_equal(da, db), "%s split %d differs for the same seed", tasks[k], s);
            cr_assert(!dump_equal(da, dc), "%s split %d same for another seed", tasks[k], s);
            free(da.v);
            free(db.v);
            free(dc.v);
        }
        /* Splits come from different streams. */
        dump tr = dump_split(&a, RNNLAB_SPLIT_TRAIN, 0), dv = dump_split(&a, RNNLAB_SPLIT_DEV, 0);
        tr.n = dv.n;
        cr_assert(!dump_equal(tr, dv), "%s train starts like dev", tasks[k]);
        free(tr.v);
        free(dv.v);
        loader_close(&a);
        loader_close(&b);
        loader_close(&c);
    }
}

Test(loaders, synthetic_train_shuffle_per_epoch_dev_fixed) {
    const char *kv[] = {"task",     "copy", "length",     "3", "train_size", "40",
                        "dev_size", "16",   "batch_size", "8", NULL};
    loader l;
    cr_assert_eq(loader_open(&l, "synthetic", kv, NULL, 9), 0, "%s", err.msg);
    dump e0 = dump_split(&l, RNNLAB_SPLIT_TRAIN, 0), e1 = dump_split(&l, RNNLAB_SPLIT_TRAIN, 1),
         e0b = dump_split(&l, RNNLAB_SPLIT_TRAIN, 0);
    cr_assert(dump_equal(e0, e0b), "epoch 0 changed after epoch 1");
    cr_assert(!dump_equal(e0, e1), "epochs 0 and 1 have the same train order");
    dump d0 = dump_split(&l, RNNLAB_SPLIT_DEV, 0), d1 = dump_split(&l, RNNLAB_SPLIT_DEV, 1);
    cr_assert(dump_equal(d0, d1), "dev order depends on the epoch");
    free(e0.v);
    free(e1.v);
    free(e0b.v);
    free(d0.v);
    free(d1.v);
    loader_close(&l);
}

Test(loaders, synthetic_adding_markers_and_targets) {
    const char *kv[] = {"task", "adding",    "length", "9",          "train_size", "50", "dev_size",
                        "50",   "test_size", "0",      "batch_size", "16",         NULL};
    loader l;
    cr_assert_eq(loader_open(&l, "synthetic", kv, NULL, 1), 0, "%s", err.msg);
    cr_assert_eq(l.info.input_kind, RNNLAB_INPUT_DENSE);
    cr_assert_eq(l.info.input_size, 2);
    cr_assert_eq(l.info.output_size, 1);
    cr_assert_eq(l.info.target_kind, RNNLAB_TARGET_REAL);
    cr_assert_eq(l.info.head, RNNLAB_HEAD_LAST);
    cr_assert_eq(l.info.max_len, 9);
    cr_assert_eq(l.ops->num_batches(l.self, RNNLAB_SPLIT_TEST), 0);
    cr_assert_null(l.ops->label_name(l.self, 0));
    tbatch tb;
    tbatch_alloc(&tb, &l.info);
    for (size_t i = 0; i < l.ops->num_batches(l.self, RNNLAB_SPLIT_TRAIN); i++) {
        get_batch(&l, &tb, RNNLAB_SPLIT_TRAIN, i);
        cr_assert_eq(tb.b.T, 9);
        for (size_t j = 0; j < tb.b.B; j++) {
            int marks = 0, pos[2] = {-1, -1};
            double sum = 0.0;
            cr_assert_eq(tb.b.lengths[j], 9);
            for (size_t t = 0; t < 9; t++) {
                const rnnlab_real *x = tb.b.x + (t * tb.b.B + j) * 2;
                cr_assert(x[0] >= 0.0f && x[0] < 1.0f);
                cr_assert(x[1] == 0.0f || x[1] == 1.0f);
                if (x[1] == 1.0f) {
                    if (marks < 2) pos[marks] = (int)t;
                    marks++;
                    sum += x[0];
                }
            }
            cr_assert_eq(marks, 2, "sequence has %d markers", marks);
            cr_assert(pos[0] < 4 && pos[1] >= 4, "markers at %d, %d", pos[0], pos[1]);
            cr_assert_float_eq(tb.b.target_values[j], sum, 1e-6);
        }
    }
    tbatch_free(&tb);
    loader_close(&l);
}

Test(loaders, synthetic_adding_baseline_is_one_sixth) {
    const char *kv[] = {"task",  "adding",    "length", "4",          "train_size", "1", "dev_size",
                        "20000", "test_size", "0",      "batch_size", "256",        NULL};
    loader l;
    cr_assert_eq(loader_open(&l, "synthetic", kv, NULL, 2), 0, "%s", err.msg);
    cr_assert(fabs(l.info.baseline_loss - 1.0 / 6.0) < 0.01, "baseline %g", l.info.baseline_loss);
    cr_assert_not_null(strstr(l.info.baseline_desc, "always predict 1"));
    /* Exactly the MSE of predicting 1 on the dev batches. */
    tbatch tb;
    tbatch_alloc(&tb, &l.info);
    double se = 0.0;
    size_t n = 0;
    for (size_t i = 0; i < l.ops->num_batches(l.self, RNNLAB_SPLIT_DEV); i++) {
        get_batch(&l, &tb, RNNLAB_SPLIT_DEV, i);
        for (size_t j = 0; j < tb.b.B; j++, n++)
            se += ((double)tb.b.target_values[j] - 1.0) * ((double)tb.b.target_values[j] - 1.0);
    }
    cr_assert_eq(n, 20000);
    cr_assert_float_eq(l.info.baseline_loss, se / (double)n, 1e-12);
    tbatch_free(&tb);
    loader_close(&l);
}

Test(loaders, synthetic_copy_layout_and_baseline) {
    const char *kv[] = {"task",     "copy", "length",     "5", "train_size", "20",
                        "dev_size", "7",    "batch_size", "4", NULL};
    loader l;
    cr_assert_eq(loader_open(&l, "synthetic", kv, NULL, 3), 0, "%s", err.msg);
    cr_assert_eq(l.info.input_kind, RNNLAB_INPUT_IDS);
    cr_assert_eq(l.info.input_size, 10);
    cr_assert_eq(l.info.output_size, 10);
    cr_assert_eq(l.info.head, RNNLAB_HEAD_PER_STEP);
    cr_assert_eq(l.info.max_len, 25);
    cr_assert_float_eq(l.info.baseline_loss, 10.0 * log(8.0) / 25.0, 1e-12);
    cr_assert_str_eq(l.ops->label_name(l.self, 0), "blank");
    cr_assert_str_eq(l.ops->label_name(l.self, 9), "delim");
    cr_assert_null(l.ops->label_name(l.self, 10));
    tbatch tb;
    tbatch_alloc(&tb, &l.info);
    get_batch(&l, &tb, RNNLAB_SPLIT_DEV, 1);
    cr_assert_eq(tb.b.B, 3);
    cr_assert_eq(tb.b.T, 25);
    for (size_t j = 0; j < tb.b.B; j++) {
        const int32_t *ids = tb.b.ids, *tg = tb.b.target_ids;
        size_t B = tb.b.B;
        for (size_t t = 0; t < 25; t++) {
            int32_t want_in = t < 10 ? ids[t * B + j] : t == 14 ? 9 : 0;
            int32_t want_out = t < 15 ? 0 : ids[(t - 15) * B + j];
            if (t < 10) cr_assert(ids[t * B + j] >= 1 && ids[t * B + j] <= 8);
            cr_assert_eq(ids[t * B + j], want_in, "input at t=%zu", t);
            cr_assert_eq(tg[t * B + j], want_out, "target at t=%zu", t);
            cr_assert_eq(tb.b.target_mask[t * B + j], 1);
        }
    }
    tbatch_free(&tb);
    loader_close(&l);
}

/* An independent recogniser of the embedded Reber grammar, written from its
 * usual drawing: node -> (symbol, node) edges, node 6 ends with E. */
static int reber_inner_valid(const int32_t *s, size_t n) {
    static const char *const edges[6] = {"", "T2P3", "S2X4", "T3V5", "X3S6", "P4V6"};
    static const char names[] = "BTPSXVE";
    if (n < 2 || names[s[0]] != 'B' || names[s[n - 1]] != 'E') return 0;
    int node = 1;
    for (size_t i = 1; i + 1 < n; i++) {
        const char *e = edges[node];
        if (node == 6) return 0;
        if (names[s[i]] == e[0])
            node = e[1] - '0';
        else if (names[s[i]] == e[2])
            node = e[3] - '0';
        else
            return 0;
    }
    return node == 6;
}

static int reber_valid(const int32_t *s, size_t n) {
    /* B, T|P, inner string, the same T|P, E */
    if (n < 9 || s[0] != 0 || s[n - 1] != 6) return 0;
    if ((s[1] != 1 && s[1] != 2) || s[n - 2] != s[1]) return 0;
    return reber_inner_valid(s + 2, n - 4);
}

Test(loaders, synthetic_reber_strings_are_grammatical) {
    const char *kv[] = {"task",     "reber", "length",     "20", "train_size", "300",
                        "dev_size", "50",    "batch_size", "32", NULL};
    loader l;
    cr_assert_eq(loader_open(&l, "synthetic", kv, NULL, 4), 0, "%s", err.msg);
    cr_assert_eq(l.info.input_size, 7);
    cr_assert_eq(l.info.output_size, 7);
    cr_assert_eq(l.info.max_len, 20);
    cr_assert_str_eq(l.ops->label_name(l.self, 0), "B");
    cr_assert_str_eq(l.ops->label_name(l.self, 6), "E");
    cr_assert(l.info.baseline_loss > 0.0 && l.info.baseline_loss < log(7.0));
    tbatch tb;
    tbatch_alloc(&tb, &l.info);
    int32_t s[20];
    size_t seen = 0, outer_p = 0, lens[21] = {0};
    for (size_t i = 0; i < l.ops->num_batches(l.self, RNNLAB_SPLIT_TRAIN); i++) {
        get_batch(&l, &tb, RNNLAB_SPLIT_TRAIN, i);
        size_t B = tb.b.B;
        for (size_t j = 0; j < B; j++, seen++) {
            size_t n = (size_t)tb.b.lengths[j];
            for (size_t t = 0; t < n; t++) s[t] = tb.b.ids[t * B + j];
            cr_assert(reber_valid(s, n), "string %zu is not in the embedded Reber grammar", seen);
            for (size_t t = 0; t + 1 < n; t++) {
                cr_assert_eq(tb.b.target_ids[t * B + j], s[t + 1]);
                cr_assert_eq(tb.b.target_mask[t * B + j], 1);
            }
            cr_assert_eq(tb.b.target_mask[(n - 1) * B + j], 0, "last step is scored");
            cr_assert_eq(tb.b.target_ids[(n - 1) * B + j], 0);
            outer_p += s[1] == 2;
            lens[n]++;
        }
    }
    cr_assert_eq(seen, 300);
    /* Both embeddings occur, and lengths vary. */
    cr_assert(outer_p > 100 && outer_p < 200, "P as outer symbol %zu of 300 times", outer_p);
    cr_assert(lens[9] > 0 && lens[9] < 300);
    tbatch_free(&tb);
    loader_close(&l);
}

Test(loaders, synthetic_parameter_errors) {
    const char *adding[] = {"task", "adding", "length", "1", NULL};
    expect_open_error("synthetic", adding, NULL, "length = 1, the adding task needs length >= 2");
    const char *reber[] = {"task", "reber", "length", "8", NULL};
    expect_open_error("synthetic", reber, NULL, "the reber task needs length >= 9");
    const char *ok[] = {"task", "copy", "length", "2", "train_size", "4", NULL};
    expect_open_error("synthetic", ok, "tsv-labels v1\n", "restored labels should be empty");
    loader l;
    cr_assert_eq(loader_open(&l, "synthetic", ok, "", 1), 0, "%s", err.msg);
    loader_close(&l);
}
