/* test_loader_text.c -- the text loader plugin driven by the real char
 * tokenizer: batch layout, stream continuity, splits and errors. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "plugin_util.h"

static rnnlab_err err;
static rnnlab_host *host;
static const rnnlab_component *loader_comp, *tok_comp;
static const rnnlab_loader_ops *lops;
static const rnnlab_tokenizer_ops *tops;
static char dir[] = "/tmp/rnnlab_test_loader_XXXXXX";

static void setup(void) {
    err_clear(&err);
    host = host_create(&err, NULL, RNNLAB_LOG_WARN);
    loader_comp = test_component(host, "text", RNNLAB_KIND_LOADER, "text");
    tok_comp = test_component(host, "char", RNNLAB_KIND_TOKENIZER, "char");
    cr_assert(loader_comp && tok_comp, "text loader or char tokenizer not found");
    lops = loader_comp->ops;
    tops = tok_comp->ops;
    strcpy(dir, "/tmp/rnnlab_test_loader_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

/* Removes the temp folder and the files the test wrote into it. */
static void remove_dir(void) {
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    cr_expect_eq(rmdir(dir), 0, "temp folder %s left behind", dir);
}

static void teardown(void) {
    remove_dir();
    cr_expect_eq(host_live_blocks(host), 0, "leaked %ld blocks", host_live_blocks(host));
    host_destroy(host);
}

TestSuite(loader, .init = setup, .fini = teardown);

/* Writes len bytes to dir/name and returns the path (static per name slot). */
static const char *write_file(const char *name, const char *text, size_t len) {
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f, "cannot write %s", p);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    return p;
}

/* An open loader and the tokenizer it uses. */
typedef struct fixture {
    void *tok, *loader;
    rnnlab_data_info info;
} fixture;

typedef struct options {
    const char *train, *valid, *test, *valid_fraction, *batch_size, *bptt;
} options;

static void *make_tokenizer(void) {
    rnnlab_value v[2];
    test_defaults(tok_comp->params, v);
    void *t;
    cr_assert_eq(tops->create(host, v, &t), 0, "%s", err.msg);
    return t;
}

/* Opens the loader; returns its status, and on success fills f. */
static int open_loader(const options *o, fixture *f, void *tok, const char *restored) {
    rnnlab_value v[8];
    test_defaults(loader_comp->params, v);
    test_set(loader_comp->params, v, "train", o->train);
    if (o->valid) test_set(loader_comp->params, v, "valid", o->valid);
    if (o->test) test_set(loader_comp->params, v, "test", o->test);
    if (o->valid_fraction) test_set(loader_comp->params, v, "valid_fraction", o->valid_fraction);
    if (o->batch_size) test_set(loader_comp->params, v, "batch_size", o->batch_size);
    if (o->bptt) test_set(loader_comp->params, v, "bptt", o->bptt);
    f->tok = tok ? tok : make_tokenizer();
    rnnlab_tokenizer_ref ref = {tops, f->tok};
    int rc = lops->open(host, v, ref, restored, 42, &f->loader);
    if (rc) {
        tops->destroy(f->tok);
        f->tok = NULL;
        return rc;
    }
    memset(&f->info, 0, sizeof f->info);
    f->info.struct_size = sizeof f->info;
    cr_assert_eq(lops->info(f->loader, &f->info), 0, "%s", err.msg);
    return rc;
}

static void close_fixture(fixture *f) {
    lops->close(f->loader);
    tops->destroy(f->tok);
}

/* Batch arrays at the sizes of info, as the host allocates them. */
static rnnlab_batch batch_alloc(const rnnlab_data_info *info) {
    size_t tb = info->max_len * info->batch_size;
    rnnlab_batch b = {0};
    b.ids = calloc(tb, sizeof *b.ids);
    b.mask = calloc(tb, 1);
    b.lengths = calloc(info->batch_size, sizeof *b.lengths);
    b.target_ids = calloc(tb, sizeof *b.target_ids);
    b.target_mask = calloc(tb, 1);
    return b;
}

static void batch_free(rnnlab_batch *b) {
    free(b->ids);
    free(b->mask);
    free(b->lengths);
    free(b->target_ids);
    free(b->target_mask);
}

/* n letters of the ruler sequence a b a c a b a d ...: uneven frequencies,
 * capped at 'g'. The caller frees. */
static char *ruler_text(size_t n) {
    char *t = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        int z = 0;
        for (size_t k = i + 1; !(k & 1); k >>= 1) z++;
        t[i] = (char)('a' + (z < 6 ? z : 6));
    }
    t[n] = '\0';
    return t;
}

/* Every batch of a split, concatenated per stream, must give back the
 * encoded text cut into B streams of L = n / B ids. */
static void check_split(fixture *f, rnnlab_split split, const int32_t *ids, size_t n) {
    size_t B = f->info.batch_size, T = f->info.max_len, L = n / B;
    size_t nb = lops->num_batches(f->loader, split);
    cr_assert_eq(nb, (L - 1 + T - 1) / T, "split %d: %zu batches for L = %zu, T = %zu", split, nb,
                 L, T);
    cr_assert_eq(lops->begin_epoch(f->loader, split, 0), 0, "%s", err.msg);
    rnnlab_batch b = batch_alloc(&f->info);
    int32_t prev_last_target[64];
    for (size_t k = 0; k < nb; k++) {
        memset(b.ids, 0x7f, T * B * sizeof *b.ids); /* stale data the loader must clear */
        memset(b.mask, 0x7f, T * B);
        cr_assert_eq(lops->batch(f->loader, split, k, &b), 0, "%s", err.msg);
        cr_assert_eq(b.T, T);
        cr_assert_eq(b.B, B);
        size_t steps = k + 1 < nb ? T : (L - 1) - k * T;
        for (size_t bb = 0; bb < B; bb++) {
            cr_expect_eq(b.lengths[bb], (int32_t)steps, "batch %zu stream %zu length", k, bb);
            if (k > 0) /* the previous batch's last target is this batch's first input */
                cr_expect_eq(b.ids[bb], prev_last_target[bb], "continuity at batch %zu", k);
            for (size_t t = 0; t < T; t++) {
                size_t at = t * B + bb, pos = bb * L + k * T + t;
                int real = t < steps;
                cr_expect_eq(b.mask[at], real, "mask[%zu][%zu] in batch %zu", t, bb, k);
                cr_expect_eq(b.target_mask[at], real);
                if (!real) {
                    cr_expect_eq(b.ids[at], 0, "padding is zeroed");
                    cr_expect_eq(b.target_ids[at], 0, "padding is zeroed");
                    continue;
                }
                cr_expect_eq(b.ids[at], ids[pos], "ids[%zu][%zu] in batch %zu", t, bb, k);
                cr_expect_eq(b.target_ids[at], ids[pos + 1], "target[%zu][%zu] batch %zu", t, bb,
                             k);
                if (t + 1 < steps)
                    cr_expect_eq(b.target_ids[at], b.ids[at + B], "target is the next input");
            }
            prev_last_target[bb] = b.target_ids[(steps - 1) * B + bb];
        }
    }
    batch_free(&b);
}

/* The ids the fitted tokenizer gives text (malloc'd). */
static int32_t *encode_all(void *tok, const char *text, size_t len, size_t *n) {
    cr_assert_eq(tops->encode(tok, text, len, NULL, 0, n), 0, "%s", err.msg);
    int32_t *ids = malloc((*n + 1) * sizeof *ids);
    cr_assert_eq(tops->encode(tok, text, len, ids, *n, n), 0, "%s", err.msg);
    return ids;
}

Test(loader, batches_are_contiguous_streams) {
    char *text = ruler_text(103);
    options o = {.train = write_file("train.txt", text, 103),
                 .valid_fraction = "0",
                 .batch_size = "4",
                 .bptt = "5"};
    fixture f;
    cr_assert_eq(open_loader(&o, &f, NULL, NULL), 0, "%s", err.msg);
    cr_expect_eq(f.info.input_kind, RNNLAB_INPUT_IDS);
    cr_expect_eq(f.info.input_size, 8, "<unk> + a..g, got %zu", f.info.input_size);
    cr_expect_eq(f.info.output_size, 8);
    cr_expect_eq(f.info.target_kind, RNNLAB_TARGET_CLASS);
    cr_expect_eq(f.info.head, RNNLAB_HEAD_PER_STEP);
    cr_expect_eq(f.info.stateful, 1);
    cr_expect_eq(f.info.batch_size, 4);
    cr_expect_eq(f.info.max_len, 5);
    cr_expect_not_null(f.info.baseline_desc);
    cr_expect_eq(lops->num_batches(f.loader, RNNLAB_SPLIT_DEV), 0, "valid_fraction = 0");
    cr_expect_eq(lops->num_batches(f.loader, RNNLAB_SPLIT_TEST), 0);

    size_t n;
    int32_t *ids = encode_all(f.tok, text, 103, &n);
    cr_assert_eq(n, 103);
    /* L = 25 per stream, 24 predictions: batches of 5, 5, 5, 5, 4 steps. */
    check_split(&f, RNNLAB_SPLIT_TRAIN, ids, n);

    /* Baseline: entropy of the letter counts, computed here from the text. */
    size_t count[8] = {0};
    for (size_t i = 0; i < 103; i++) count[text[i] - 'a']++;
    double h = 0.0;
    for (int c = 0; c < 8; c++)
        if (count[c]) h -= (double)count[c] / 103.0 * log((double)count[c] / 103.0);
    cr_expect(fabs(f.info.baseline_loss - h) < 1e-12, "baseline %.15g, entropy %.15g",
              f.info.baseline_loss, h);
    cr_expect_str_eq(lops->label_name(f.loader, 1), "a");
    cr_expect_null(lops->label_name(f.loader, 8));
    free(ids);
    free(text);
    close_fixture(&f);
}

Test(loader, one_step_bptt_and_exact_fit) {
    /* 2 streams of 7: 6 predictions in 6 batches of one step, none padded. */
    char *text = ruler_text(14);
    options o = {.train = write_file("t.txt", text, 14),
                 .valid_fraction = "0",
                 .batch_size = "2",
                 .bptt = "1"};
    fixture f;
    cr_assert_eq(open_loader(&o, &f, NULL, NULL), 0, "%s", err.msg);
    size_t n;
    int32_t *ids = encode_all(f.tok, text, 14, &n);
    check_split(&f, RNNLAB_SPLIT_TRAIN, ids, n);
    cr_expect_eq(lops->num_batches(f.loader, RNNLAB_SPLIT_TRAIN), 6);
    free(ids);
    free(text);
    close_fixture(&f);
}

Test(loader, valid_fraction_takes_the_tail_at_a_character_boundary) {
    /* 178 ASCII bytes, then 한 at bytes 178..180, then 19 bytes of "Z...":
     * 10% of 200 bytes cuts at 180, inside 한, so the cut moves to 181. */
    char text[201];
    char *head = ruler_text(178);
    memcpy(text, head, 178);
    memcpy(text + 178, "\xed\x95\x9c", 3);
    memset(text + 181, 'Z', 19);
    text[200] = '\0';
    options o = {.train = write_file("train.txt", text, 200),
                 .valid_fraction = "0.1",
                 .batch_size = "2",
                 .bptt = "4"};
    fixture f;
    cr_assert_eq(open_loader(&o, &f, NULL, NULL), 0, "%s", err.msg);
    /* Fitted on the head only: 'Z' is unknown to the tokenizer. */
    cr_expect_eq(tops->vocab_size(f.tok), 1 + 7 + 1, "<unk>, a..g, 한");
    size_t n_train, n_valid;
    int32_t *train = encode_all(f.tok, text, 181, &n_train);
    int32_t *valid = encode_all(f.tok, text + 181, 19, &n_valid);
    cr_assert_eq(n_train, 179);
    cr_assert_eq(n_valid, 19);
    cr_expect_eq(valid[0], 0, "Z encodes as <unk>");
    cr_expect_eq(lops->num_batches(f.loader, RNNLAB_SPLIT_TRAIN), 22, "L = 89: ceil(88 / 4)");
    cr_expect_eq(lops->num_batches(f.loader, RNNLAB_SPLIT_DEV), 2, "L = 9: ceil(8 / 4)");
    check_split(&f, RNNLAB_SPLIT_TRAIN, train, n_train);
    check_split(&f, RNNLAB_SPLIT_DEV, valid, n_valid);
    free(train);
    free(valid);
    free(head);
    close_fixture(&f);
}

Test(loader, separate_valid_and_test_files) {
    char *text = ruler_text(64);
    options o = {.train = write_file("train.txt", text, 64),
                 .valid = write_file("valid.txt", "abcabcabcabcabcabcx", 19),
                 .test = write_file("test.txt", "bbbbbbbbba", 10),
                 .valid_fraction = "0.5", /* ignored: valid is given */
                 .batch_size = "3",
                 .bptt = "2"};
    fixture f;
    cr_assert_eq(open_loader(&o, &f, NULL, NULL), 0, "%s", err.msg);
    size_t n;
    int32_t *ids = encode_all(f.tok, text, 64, &n);
    check_split(&f, RNNLAB_SPLIT_TRAIN, ids, n);
    free(ids);
    ids = encode_all(f.tok, "abcabcabcabcabcabcx", 19, &n);
    cr_expect_eq(ids[18], 0, "x is not in the train text");
    check_split(&f, RNNLAB_SPLIT_DEV, ids, n);
    free(ids);
    ids = encode_all(f.tok, "bbbbbbbbba", 10, &n);
    check_split(&f, RNNLAB_SPLIT_TEST, ids, n);
    free(ids);
    free(text);
    close_fixture(&f);
}

Test(loader, deterministic_across_opens_and_epochs) {
    char *text = ruler_text(500);
    options o = {.train = write_file("train.txt", text, 500), .batch_size = "3", .bptt = "7"};
    fixture a, b;
    cr_assert_eq(open_loader(&o, &a, NULL, NULL), 0, "%s", err.msg);
    cr_assert_eq(open_loader(&o, &b, NULL, NULL), 0, "%s", err.msg);
    for (int s = 0; s < RNNLAB_SPLIT_COUNT; s++)
        cr_assert_eq(lops->num_batches(a.loader, s), lops->num_batches(b.loader, s));
    rnnlab_batch x = batch_alloc(&a.info), y = batch_alloc(&b.info);
    size_t tb = a.info.max_len * a.info.batch_size;
    for (int s = 0; s < 2; s++) {
        cr_assert_eq(lops->begin_epoch(a.loader, s, 0), 0);
        cr_assert_eq(lops->begin_epoch(b.loader, s, 5), 0);
        for (size_t k = 0; k < lops->num_batches(a.loader, s); k++) {
            cr_assert_eq(lops->batch(a.loader, s, k, &x), 0, "%s", err.msg);
            cr_assert_eq(lops->batch(b.loader, s, k, &y), 0, "%s", err.msg);
            cr_expect(memcmp(x.ids, y.ids, tb * sizeof *x.ids) == 0, "split %d batch %zu", s, k);
            cr_expect(memcmp(x.target_ids, y.target_ids, tb * sizeof *x.ids) == 0);
            cr_expect(memcmp(x.mask, y.mask, tb) == 0);
        }
    }
    cr_expect_gt(lops->num_batches(a.loader, RNNLAB_SPLIT_DEV), 0, "default valid_fraction");
    batch_free(&x);
    batch_free(&y);
    free(text);
    close_fixture(&a);
    close_fixture(&b);
}

Test(loader, restored_tokenizer_is_not_refitted) {
    void *tok = make_tokenizer();
    cr_assert_eq(tops->fit(tok, "ab", 2), 0, "%s", err.msg);
    char *text = ruler_text(40);
    options o = {.train = write_file("train.txt", text, 40), .batch_size = "2", .bptt = "4"};
    fixture f;
    cr_assert_eq(open_loader(&o, &f, tok, ""), 0, "%s", err.msg);
    cr_expect_eq(f.info.input_size, 3, "vocab kept at <unk> a b, got %zu", f.info.input_size);
    cr_expect_eq(tops->vocab_size(f.tok), 3);
    free(text);
    close_fixture(&f);
}

Test(loader, file_errors_name_the_file) {
    fixture f;
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no_such_file.txt", dir);
    options o = {.train = missing};
    cr_expect_eq(open_loader(&o, &f, NULL, NULL), RNNLAB_ERR_IO);
    cr_expect(strstr(err.msg, missing) && strstr(err.msg, "train"), "%s", err.msg);

    o.train = write_file("empty.txt", "", 0);
    cr_expect_eq(open_loader(&o, &f, NULL, NULL), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, o.train) && strstr(err.msg, "empty"), "%s", err.msg);

    char *text = ruler_text(100);
    o.train = write_file("train.txt", text, 100);
    o.test = missing;
    cr_expect_eq(open_loader(&o, &f, NULL, NULL), RNNLAB_ERR_IO);
    cr_expect(strstr(err.msg, missing) && strstr(err.msg, "test"), "%s", err.msg);

    o.test = NULL;
    o.train = dir; /* a folder opens but cannot be read */
    cr_expect_eq(open_loader(&o, &f, NULL, NULL), RNNLAB_ERR_IO);
    cr_expect(strstr(err.msg, dir), "%s", err.msg);
    free(text);
}

Test(loader, split_too_short_is_an_error) {
    fixture f;
    options o = {
        .train = write_file("short.txt", "abc", 3), .valid_fraction = "0", .batch_size = "2"};
    cr_expect_eq(open_loader(&o, &f, NULL, NULL), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, o.train) && strstr(err.msg, "3 tokens") &&
                  strstr(err.msg, "batch_size 2"),
              "%s", err.msg);

    /* Long enough to train, but the held-out tail is too short. */
    char *text = ruler_text(40);
    o.train = write_file("train.txt", text, 40);
    o.valid_fraction = "0.05"; /* 2 bytes: 1 token per stream at batch_size 2 */
    cr_expect_eq(open_loader(&o, &f, NULL, NULL), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "valid") && strstr(err.msg, o.train), "%s", err.msg);
    free(text);
}

Test(loader, invalid_utf8_fails_through_the_tokenizer) {
    fixture f;
    options o = {.train = write_file("bad.txt",
                                     "abcd\xff"
                                     "efgh",
                                     9),
                 .valid_fraction = "0",
                 .batch_size = "1"};
    cr_expect_eq(open_loader(&o, &f, NULL, NULL), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "byte offset 4"), "%s", err.msg);
}

Test(loader, batch_index_out_of_range) {
    char *text = ruler_text(40);
    options o = {.train = write_file("train.txt", text, 40),
                 .valid_fraction = "0",
                 .batch_size = "2",
                 .bptt = "4"};
    fixture f;
    cr_assert_eq(open_loader(&o, &f, NULL, NULL), 0, "%s", err.msg);
    rnnlab_batch b = batch_alloc(&f.info);
    size_t nb = lops->num_batches(f.loader, RNNLAB_SPLIT_TRAIN);
    cr_expect_eq(lops->batch(f.loader, RNNLAB_SPLIT_TRAIN, nb, &b), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "batch 5"), "%s", err.msg);
    cr_expect_eq(lops->batch(f.loader, RNNLAB_SPLIT_DEV, 0, &b), RNNLAB_ERR_INVALID,
                 "absent split has no batches");
    batch_free(&b);
    free(text);
    close_fixture(&f);
}
