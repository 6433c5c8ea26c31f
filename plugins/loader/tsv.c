/* tsv -- sequence classification from label<TAB>text lines.
 *
 * Each non-blank line is one example: the label, a TAB, and the text (which
 * may hold further TABs). The text goes through the configured tokenizer;
 * without a restored state the tokenizer is fitted once on the training
 * texts joined by '\n'. The model reads the ids and predicts the label after
 * the last real step (head LAST). Blank lines are skipped; a line without a
 * TAB, or with an empty label or text, stops with its FILE:LINE.
 *
 * Labels: the labels of the training split sorted by strcmp, then "<unk>"
 * as the last class. A dev or test label never seen in training maps to
 * "<unk>", which the model never learns to predict, so those examples count
 * as errors at evaluation. save_labels writes ("\n" endings):
 *     tsv-labels v1
 *     size N                N = number of classes, "<unk>" included
 *     <label of id 0>
 *     ...
 *     <unk>
 *
 * Texts longer than max_len tokens follow on_long: truncate (the default)
 * keeps the first max_len tokens, split cuts the text into pieces of at most
 * max_len tokens that each carry the line's label, error stops with the
 * line's FILE:LINE.
 *
 * Batches are packed at the batch's own (T, B): step t of sequence b is
 * element t*B + b of ids and mask; target_ids and target_mask are (B). T is
 * the longest sequence in the batch, B the number of sequences in it. Every
 * entry past the batch's own ones, up to the host's (max_len, batch_size)
 * arrays, is zeroed. Train examples are reshuffled each epoch from (seed,
 * epoch) alone; dev and test keep file order.
 *
 * Ownership: the instance owns every array; all memory comes from
 * host->alloc and close() returns it. File text is freed once encoded. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rnnlab/plugin.h"

#define LOADER_NAME "tsv"
#include "loader_util.h" /* read_file, grow, order_shuffle, UNK_LABEL, labels_pack... */

#define LABELS_MAGIC "tsv-labels v1"
/* Stream of the per-epoch shuffle: epoch e uses stream SHUFFLE_STREAM + e. */
#define SHUFFLE_STREAM 0x7473760000000000ull /* "tsv\0..." */

enum { P_TRAIN, P_DEV, P_TEST, P_BATCH_SIZE, P_MAX_LEN, P_ON_LONG };
enum { LONG_SPLIT, LONG_ERROR, LONG_TRUNCATE };

static const char *const on_long_choices[] = {"split", "error", "truncate", NULL};

static const rnnlab_param tsv_params[] = {
    [P_TRAIN] = {.key = "train",
                 .type = RNNLAB_PARAM_STRING,
                 .flags = RNNLAB_PARAM_REQUIRED | RNNLAB_PARAM_PATH,
                 .help = "Training file of label<TAB>text lines; fits the tokenizer and labels."},
    [P_DEV] = {.key = "dev",
               .type = RNNLAB_PARAM_STRING,
               .default_value = "",
               .flags = RNNLAB_PARAM_PATH,
               .help = "Development file, same format (empty: no dev split)."},
    [P_TEST] = {.key = "test",
                .type = RNNLAB_PARAM_STRING,
                .default_value = "",
                .flags = RNNLAB_PARAM_PATH,
                .help = "Test file, same format (empty: no test split)."},
    [P_BATCH_SIZE] = {.key = "batch_size",
                      .type = RNNLAB_PARAM_INT,
                      .default_value = "32",
                      .min = 1,
                      .max = 65536,
                      .help = "Examples per batch."},
    [P_MAX_LEN] = {.key = "max_len",
                   .type = RNNLAB_PARAM_INT,
                   .default_value = "256",
                   .min = 1,
                   .max = 1048576,
                   .help = "Most tokens per sequence; longer texts follow on_long."},
    [P_ON_LONG] = {.key = "on_long",
                   .type = RNNLAB_PARAM_ENUM,
                   .default_value = "truncate",
                   .choices = on_long_choices,
                   .help = "Text over max_len: split into pieces (same label), error, or "
                           "truncate."},
    {.key = NULL},
};

/* One sequence of a split: ids[start .. start+len) and its class. */
typedef struct tsv_seq {
    size_t start;
    int32_t len;
    int32_t label;
} tsv_seq;

typedef struct tsv_split {
    int32_t *ids; /* (ntok) token ids, sequences back to back */
    size_t ntok, tok_cap;
    tsv_seq *seqs; /* (nseq) */
    size_t nseq, seq_cap;
    size_t *order; /* (nseq) sequence indices in the order of the current pass */
} tsv_split;

typedef struct tsv {
    const rnnlab_host *host;
    rnnlab_tokenizer_ref tok;
    uint64_t seed;
    int on_long;
    size_t batch_size, max_len;
    size_t vocab;        /* the tokenizer's vocab_size once fitted or restored */
    char *label_blob;    /* the labels back to back, each NUL-terminated */
    const char **labels; /* (nlabels) into label_blob; the last is "<unk>" */
    size_t nlabels;
    tsv_split split[RNNLAB_SPLIT_COUNT];
    double baseline_loss;
    char baseline_desc[224];
} tsv;

/* One example line; the strings point into the file's buffer. */
typedef struct tsv_row {
    const char *label, *text;
    size_t line;
} tsv_row;

typedef struct tsv_parsed {
    const char *path;
    char *text;    /* the file, its first TABs and newlines overwritten by NULs */
    tsv_row *rows; /* (nrows) */
    size_t nrows, row_cap;
} tsv_parsed;

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */
/* ------------------------------------------------------------------------ */

static void parsed_free(const rnnlab_host *h, tsv_parsed *p) {
    h->free(h, p->text);
    h->free(h, p->rows);
    memset(p, 0, sizeof *p);
}

/* Splits one non-blank line at its first TAB and appends the example. */
static int parse_row(const rnnlab_host *h, tsv_parsed *p, char *line, size_t lineno) {
    char *tab = strchr(line, '\t');
    if (!tab)
        return h->set_error(h, RNNLAB_ERR_FORMAT, "%s:%zu: expected label<TAB>text, found no TAB",
                            p->path, lineno);
    *tab = '\0';
    if (line[0] == '\0')
        return h->set_error(h, RNNLAB_ERR_FORMAT, "%s:%zu: empty label before the TAB", p->path,
                            lineno);
    if (tab[1] == '\0')
        return h->set_error(h, RNNLAB_ERR_FORMAT, "%s:%zu: empty text after the TAB", p->path,
                            lineno);
    /* The label vocabulary is saved one label per line, CR-free (see
     * labels_restore): a label with a CR could be trained but never restored. */
    if (strchr(line, '\r'))
        return h->set_error(h, RNNLAB_ERR_FORMAT, "%s:%zu: label contains a carriage return (CR)",
                            p->path, lineno);
    int rc = grow(h, (void **)&p->rows, &p->row_cap, p->nrows + 1, sizeof *p->rows);
    if (rc) return rc;
    p->rows[p->nrows++] = (tsv_row){.label = line, .text = tab + 1, .line = lineno};
    return RNNLAB_OK;
}

static int parse_file(const rnnlab_host *h, const char *path, tsv_parsed *p) {
    size_t len = 0, lineno = 0;
    memset(p, 0, sizeof *p);
    p->path = path;
    int rc = read_file(h, path, &p->text, &len);
    if (rc) return rc;
    char *cur = p->text, *end = p->text + len, *line;
    while (rc == RNNLAB_OK && (line = next_line(&cur, end)) != NULL) {
        lineno++;
        if (line[0] != '\0') rc = parse_row(h, p, line, lineno);
    }
    if (rc == RNNLAB_OK && p->nrows == 0)
        rc = h->set_error(h, RNNLAB_ERR_FORMAT, "%s: no examples (only blank lines)", path);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Labels                                                                    */
/* ------------------------------------------------------------------------ */

static int labels_index(tsv *L, size_t n) {
    L->labels = alloc_array(L->host, n, sizeof *L->labels);
    if (!L->labels) return L->host->set_error(L->host, RNNLAB_ERR_NOMEM, "tsv: out of memory");
    const char *s = L->label_blob;
    for (size_t i = 0; i < n; i++, s += strlen(s) + 1) L->labels[i] = s;
    L->nlabels = n;
    return RNNLAB_OK;
}

/* The label set of the training lines, sorted, then "<unk>". */
static int labels_build(tsv *L, const tsv_parsed *p) {
    const rnnlab_host *h = L->host;
    for (size_t i = 0; i < p->nrows; i++)
        if (strcmp(p->rows[i].label, UNK_LABEL) == 0)
            return h->set_error(h, RNNLAB_ERR_FORMAT,
                                "%s:%zu: label '" UNK_LABEL "' is reserved for labels unseen in "
                                "training",
                                p->path, p->rows[i].line);
    const char **names = alloc_array(h, p->nrows, sizeof *names);
    if (!names) return h->set_error(h, RNNLAB_ERR_NOMEM, "tsv: out of memory");
    for (size_t i = 0; i < p->nrows; i++) names[i] = p->rows[i].label;
    size_t n = 0;
    L->label_blob = labels_pack(h, names, p->nrows, &n);
    h->free(h, names);
    if (!L->label_blob) return h->set_error(h, RNNLAB_ERR_NOMEM, "tsv: out of memory");
    return labels_index(L, n);
}

/* Parses the text save_labels wrote, rejecting anything else. */
static int labels_restore(tsv *L, const char *text) {
    const rnnlab_host *h = L->host;
    size_t len = strlen(text);
    L->label_blob = h->alloc(h, len + 1);
    if (!L->label_blob) return h->set_error(h, RNNLAB_ERR_NOMEM, "tsv: out of memory");
    memcpy(L->label_blob, text, len + 1);
    if (len == 0 || text[len - 1] != '\n')
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "tsv: restored labels are empty or lack the final newline");
    char *cur = L->label_blob, *end = L->label_blob + len, *line;
    line = next_line(&cur, end);
    if (!line || strcmp(line, LABELS_MAGIC) != 0)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "tsv: restored labels, line 1: '%s', expected '" LABELS_MAGIC "'",
                            line ? line : "");
    line = next_line(&cur, end);
    size_t n = 0;
    const char *num = line && strncmp(line, "size ", 5) == 0 ? line + 5 : NULL;
    if (!num || !read_number(&num, &n) || *num != '\0' || n < 2 || n > len)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "tsv: restored labels, line 2: '%s', expected 'size N' with N >= 2",
                            line ? line : "");
    /* Compact the labels to the front of the blob, NUL-separated. */
    char *w = L->label_blob;
    const char *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        line = next_line(&cur, end);
        if (!line)
            return h->set_error(h, RNNLAB_ERR_FORMAT,
                                "tsv: restored labels end after %zu of %zu labels", i, n);
        int rc = label_line_check(h, line, prev, i + 3, i + 1 == n, "labels");
        if (rc) return rc;
        memmove(w, line, strlen(line) + 1);
        prev = w;
        w += strlen(w) + 1;
    }
    if (cur < end)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "tsv: restored labels, line %zu: text after the %zu labels", n + 3, n);
    return labels_index(L, n);
}

static int32_t label_id(const tsv *L, const char *name) {
    const char **hit = bsearch(&name, L->labels, L->nlabels - 1, sizeof *L->labels, str_cmp);
    return (int32_t)(hit ? (size_t)(hit - L->labels) : L->nlabels - 1);
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */
/* ------------------------------------------------------------------------ */

/* Fits the tokenizer once on the training texts joined by '\n'. */
static int tokenizer_fit(tsv *L, const tsv_parsed *p) {
    const rnnlab_host *h = L->host;
    size_t bytes = 1;
    for (size_t i = 0; i < p->nrows; i++) bytes += strlen(p->rows[i].text) + 1;
    char *text = h->alloc(h, bytes), *w = text;
    if (!text) return h->set_error(h, RNNLAB_ERR_NOMEM, "tsv: out of memory");
    for (size_t i = 0; i < p->nrows; i++) {
        if (i) *w++ = '\n';
        w = stpcpy(w, p->rows[i].text);
    }
    int rc = L->tok.ops->fit(L->tok.self, text, (size_t)(w - text));
    h->free(h, text);
    return rc;
}

/* Encodes a row's text at the end of s->ids; *n receives its token count. */
static int text_encode(tsv *L, const char *path, const tsv_row *r, tsv_split *s, size_t *n) {
    const rnnlab_host *h = L->host;
    size_t len = strlen(r->text), got = 0;
    int rc = L->tok.ops->encode(L->tok.self, r->text, len, NULL, 0, n);
    if (rc) return rc;
    if (*n == 0)
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "%s:%zu: text becomes no tokens with this "
                            "tokenizer",
                            path, r->line);
    if (*n > L->max_len && L->on_long == LONG_ERROR)
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "%s:%zu: text of %zu tokens is longer than max_len = %zu (on_long = "
                            "error; use truncate or split, or raise max_len)",
                            path, r->line, *n, L->max_len);
    if ((rc = grow(h, (void **)&s->ids, &s->tok_cap, s->ntok + *n, sizeof *s->ids)) != RNNLAB_OK)
        return rc;
    int32_t *ids = s->ids + s->ntok;
    if ((rc = L->tok.ops->encode(L->tok.self, r->text, len, ids, *n, &got)) != RNNLAB_OK) return rc;
    for (size_t i = 0; i < *n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= L->vocab)
            return h->set_error(h, RNNLAB_ERR_PLUGIN,
                                "%s:%zu: the tokenizer gave id %d, outside its vocab_size %zu",
                                path, r->line, (int)ids[i], L->vocab);
    return RNNLAB_OK;
}

/* Appends sequence ids[start .. start+len) with its class. */
static int seq_push(const rnnlab_host *h, tsv_split *s, size_t start, size_t len, int32_t label) {
    int rc = grow(h, (void **)&s->seqs, &s->seq_cap, s->nseq + 1, sizeof *s->seqs);
    if (rc) return rc;
    s->seqs[s->nseq++] = (tsv_seq){.start = start, .len = (int32_t)len, .label = label};
    return RNNLAB_OK;
}

/* Turns a parsed file into split s, cutting long texts per on_long. */
static int split_encode(tsv *L, const tsv_parsed *p, tsv_split *s) {
    const rnnlab_host *h = L->host;
    for (size_t i = 0; i < p->nrows; i++) {
        size_t n;
        int rc = text_encode(L, p->path, &p->rows[i], s, &n);
        if (rc) return rc;
        int32_t label = label_id(L, p->rows[i].label);
        if (L->on_long == LONG_TRUNCATE && n > L->max_len) n = L->max_len;
        for (size_t at = 0; at < n; at += L->max_len) {
            size_t piece = n - at < L->max_len ? n - at : L->max_len;
            if ((rc = seq_push(h, s, s->ntok + at, piece, label)) != RNNLAB_OK) return rc;
        }
        s->ntok += n;
    }
    s->order = alloc_array(h, s->nseq, sizeof *s->order);
    if (!s->order) return h->set_error(h, RNNLAB_ERR_NOMEM, "tsv: out of memory");
    for (size_t i = 0; i < s->nseq; i++) s->order[i] = i;
    return RNNLAB_OK;
}

static int split_load(tsv *L, const char *path, tsv_split *s) {
    tsv_parsed p;
    int rc = parse_file(L->host, path, &p);
    if (rc == RNNLAB_OK) rc = split_encode(L, &p, s);
    parsed_free(L->host, &p);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Baseline                                                                  */
/* ------------------------------------------------------------------------ */

/* baseline_loss: the cross-entropy (nats) of predicting the training label
 * distribution for every example, i.e. its entropy: the best a model that
 * ignores the text can do on the training data. */
static int baseline_compute(tsv *L) {
    const rnnlab_host *h = L->host;
    const tsv_split *tr = &L->split[RNNLAB_SPLIT_TRAIN], *dev = &L->split[RNNLAB_SPLIT_DEV];
    size_t *count = alloc_array(h, L->nlabels, sizeof *count);
    if (!count) return h->set_error(h, RNNLAB_ERR_NOMEM, "tsv: out of memory");
    memset(count, 0, L->nlabels * sizeof *count);
    for (size_t i = 0; i < tr->nseq; i++) count[tr->seqs[i].label]++;
    double H = 0.0;
    int32_t common = 0;
    for (size_t c = 0; c < L->nlabels; c++) {
        double q = (double)count[c] / (double)tr->nseq;
        if (q > 0.0) H -= q * log(q);
        if (count[c] > count[common]) common = (int32_t)c;
    }
    h->free(h, count);
    L->baseline_loss = H;
    int n = snprintf(L->baseline_desc, sizeof L->baseline_desc,
                     "train label distribution, ignoring the text (its entropy)");
    if (dev->nseq == 0) return RNNLAB_OK;
    size_t right = 0;
    for (size_t i = 0; i < dev->nseq; i++) right += dev->seqs[i].label == common;
    snprintf(L->baseline_desc + n, sizeof L->baseline_desc - (size_t)n,
             "; always '%.40s' gets dev accuracy %.1f%%", L->labels[common],
             100.0 * (double)right / (double)dev->nseq);
    return RNNLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* Ops                                                                       */
/* ------------------------------------------------------------------------ */

static void tsv_close(void *self) {
    tsv *L = self;
    if (!L) return;
    const rnnlab_host *h = L->host;
    for (int k = 0; k < RNNLAB_SPLIT_COUNT; k++) {
        h->free(h, L->split[k].ids);
        h->free(h, L->split[k].seqs);
        h->free(h, L->split[k].order);
    }
    h->free(h, L->labels);
    h->free(h, L->label_blob);
    h->free(h, L);
}

/* Labels and tokenizer from training data, or as restored; then train. */
static int open_train(tsv *L, const char *path, const char *restored) {
    tsv_parsed p;
    int rc = parse_file(L->host, path, &p);
    if (rc == RNNLAB_OK) rc = restored ? labels_restore(L, restored) : labels_build(L, &p);
    if (rc == RNNLAB_OK && !restored) rc = tokenizer_fit(L, &p);
    if (rc == RNNLAB_OK) {
        L->vocab = L->tok.ops->vocab_size(L->tok.self);
        if (L->vocab == 0 || L->vocab > INT32_MAX)
            rc = L->host->set_error(L->host, RNNLAB_ERR_PLUGIN,
                                    "tsv: the tokenizer reports vocab_size %zu", L->vocab);
    }
    if (rc == RNNLAB_OK) rc = split_encode(L, &p, &L->split[RNNLAB_SPLIT_TRAIN]);
    parsed_free(L->host, &p);
    return rc;
}

static int tsv_open(const rnnlab_host *host, const rnnlab_value *params, rnnlab_tokenizer_ref tok,
                    const char *restored, uint64_t seed, void **self) {
    const char *train = params[P_TRAIN].s;
    if (!train || !*train)
        return host->set_error(host, RNNLAB_ERR_INVALID,
                               "tsv: train: no file given (expected a label<TAB>text file)");
    if (!tok.ops || !tok.ops->fit || !tok.ops->encode || !tok.ops->vocab_size)
        return host->set_error(host, RNNLAB_ERR_INVALID, "tsv: needs a tokenizer");
    tsv *L = host->alloc(host, sizeof *L);
    if (!L) return host->set_error(host, RNNLAB_ERR_NOMEM, "tsv: out of memory");
    memset(L, 0, sizeof *L);
    L->host = host;
    L->tok = tok;
    L->seed = seed;
    L->on_long = (int)params[P_ON_LONG].i;
    L->batch_size = (size_t)params[P_BATCH_SIZE].i;
    L->max_len = (size_t)params[P_MAX_LEN].i;
    int rc = open_train(L, train, restored);
    const char *paths[RNNLAB_SPLIT_COUNT] = {NULL, params[P_DEV].s, params[P_TEST].s};
    for (int k = RNNLAB_SPLIT_DEV; rc == RNNLAB_OK && k < RNNLAB_SPLIT_COUNT; k++)
        if (paths[k] && *paths[k]) rc = split_load(L, paths[k], &L->split[k]);
    if (rc == RNNLAB_OK) rc = baseline_compute(L);
    if (rc != RNNLAB_OK) {
        tsv_close(L);
        return rc;
    }
    *self = L;
    return RNNLAB_OK;
}

static int tsv_info(const void *self, rnnlab_data_info *info) {
    const tsv *L = self;
    rnnlab_data_info d = {
        .struct_size = info->struct_size,
        .input_kind = RNNLAB_INPUT_IDS,
        .input_size = L->vocab,
        .output_size = L->nlabels,
        .target_kind = RNNLAB_TARGET_CLASS,
        .head = RNNLAB_HEAD_LAST,
        .batch_size = L->batch_size,
        .max_len = L->max_len,
        .stateful = 0,
        .baseline_loss = L->baseline_loss,
        .baseline_desc = L->baseline_desc,
    };
    /* An older host knows a prefix of the struct: fill only that. */
    memcpy(info, &d, info->struct_size < sizeof d ? info->struct_size : sizeof d);
    return RNNLAB_OK;
}

static size_t tsv_num_batches(const void *self, rnnlab_split split) {
    const tsv *L = self;
    if ((unsigned)split >= RNNLAB_SPLIT_COUNT) return 0;
    return (L->split[split].nseq + L->batch_size - 1) / L->batch_size;
}

/* Train order for `epoch`: a Fisher-Yates shuffle of file order drawn from
 * (seed, epoch) alone, so a resumed run sees the same batches. */
static int tsv_begin_epoch(void *self, rnnlab_split split, uint64_t epoch) {
    tsv *L = self;
    if ((unsigned)split >= RNNLAB_SPLIT_COUNT)
        return L->host->set_error(L->host, RNNLAB_ERR_INVALID, "tsv: no split %d", (int)split);
    tsv_split *s = &L->split[split];
    for (size_t i = 0; i < s->nseq; i++) s->order[i] = i;
    if (split != RNNLAB_SPLIT_TRAIN) return RNNLAB_OK;
    order_shuffle(L->host, s->order, s->nseq, L->seed, SHUFFLE_STREAM + epoch);
    return RNNLAB_OK;
}

/* ids, mask: (T, B) packed; lengths, target_ids, target_mask: (B). */
static int tsv_batch(void *self, rnnlab_split split, size_t index, rnnlab_batch *out) {
    tsv *L = self;
    const rnnlab_host *h = L->host;
    size_t nb = tsv_num_batches(L, split);
    if (index >= nb)
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "tsv: batch %zu of split %d, which has %zu batches", index, (int)split,
                            nb);
    if (!out->ids || !out->mask || !out->lengths || !out->target_ids || !out->target_mask)
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "tsv: batch needs ids, mask, lengths, target_ids and target_mask");
    const tsv_split *s = &L->split[split];
    size_t first = index * L->batch_size, B = s->nseq - first, T = 0;
    if (B > L->batch_size) B = L->batch_size;
    for (size_t b = 0; b < B; b++) {
        size_t len = (size_t)s->seqs[s->order[first + b]].len;
        if (len > T) T = len;
    }
    size_t cells = L->max_len * L->batch_size;
    memset(out->ids, 0, cells * sizeof *out->ids);
    memset(out->mask, 0, cells);
    memset(out->lengths, 0, L->batch_size * sizeof *out->lengths);
    memset(out->target_ids, 0, L->batch_size * sizeof *out->target_ids);
    memset(out->target_mask, 0, L->batch_size);
    for (size_t b = 0; b < B; b++) {
        const tsv_seq *q = &s->seqs[s->order[first + b]];
        out->lengths[b] = q->len;
        out->target_ids[b] = q->label;
        out->target_mask[b] = 1;
        for (size_t t = 0; t < (size_t)q->len; t++) {
            out->ids[t * B + b] = s->ids[q->start + t];
            out->mask[t * B + b] = 1;
        }
    }
    out->T = T;
    out->B = B;
    return RNNLAB_OK;
}

static const char *tsv_label_name(const void *self, int32_t id) {
    const tsv *L = self;
    return id >= 0 && (size_t)id < L->nlabels ? L->labels[id] : NULL;
}

static int tsv_save_labels(const void *self, char **buf, size_t *len) {
    const tsv *L = self;
    char head[64];
    snprintf(head, sizeof head, LABELS_MAGIC "\nsize %zu\n", L->nlabels);
    return labels_text(L->host, head, L->labels, L->nlabels, buf, len);
}

static const rnnlab_loader_ops ops = {
    .struct_size = sizeof(rnnlab_loader_ops),
    .open = tsv_open,
    .close = tsv_close,
    .info = tsv_info,
    .num_batches = tsv_num_batches,
    .begin_epoch = tsv_begin_epoch,
    .batch = tsv_batch,
    .label_name = tsv_label_name,
    .save_labels = tsv_save_labels,
};

static const rnnlab_component tsv_component = {
    .kind = RNNLAB_KIND_LOADER,
    .name = "tsv",
    .version = "1.0.0",
    .description = "Sequence classification from label<TAB>text lines: one class per text, "
                   "predicted after its last token.",
    .params = tsv_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&tsv_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "tsv",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The label<TAB>text sequence-classification data loader.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
