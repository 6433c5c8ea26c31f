/* synthetic -- the standard long-range-dependency benchmarks, generated.
 *
 * Every split is drawn from its own random stream (seed, split), so the same
 * seed always gives the same data, and train, dev and test never share
 * sequences by construction of the streams. The tokenizer is not used.
 *
 * adding (Hochreiter & Schmidhuber 1997; Le et al. 2015, "IRNN"): T steps of
 * two inputs, a value drawn from U(0, 1) and a marker that is 1 at exactly
 * two steps, the first uniform in [0, T/2), the second uniform in [T/2, T).
 * The target after the last step is the sum of the two marked values (REAL,
 * head LAST). Always predicting 1 scores an MSE of 1/6 in expectation;
 * baseline_loss is that MSE measured exactly on the dev split.
 *
 * copy (Arjovsky et al. 2016, "Unitary evolution RNNs"), delay T: classes
 * 0 = blank, 1..8 = symbols, 9 = delimiter. Input: 10 random symbols, T-1
 * blanks, the delimiter, 10 blanks (T+20 steps). Target: blank for the first
 * T+10 steps, then the 10 symbols. Every step is scored. The memoryless
 * strategy (blanks, then a uniform guess over the 8 symbols) scores a
 * cross-entropy of 10 ln 8 / (T+20).
 *
 * reber: next-symbol prediction on strings of the embedded Reber grammar
 * (classes B T P S X V E): B, then T or P, a Reber string, the same T or P,
 * E. The target of step t is symbol t+1; the last step has no target
 * (target_mask 0). Strings longer than `length` are rejected and redrawn
 * from the same stream, so the split stays deterministic.
 *
 * Batches are packed at the batch's own (T, B): step t of sequence b is
 * element t*B + b (x: row t*B + b of input_size). Every entry past the
 * batch's own, up to the host's (max_len, batch_size) arrays, is zeroed.
 * Train batches are reshuffled each epoch from (seed, epoch) alone.
 *
 * Ownership: the instance owns the generated data (host->alloc); close()
 * frees it. Only what the task needs is stored: values and marker steps for
 * adding, the 10 symbols for copy, the strings for reber. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rnnlab/plugin.h"

/* Split k is drawn from stream DATA_STREAM + k; epoch e is shuffled with
 * stream SHUFFLE_STREAM + e. */
#define DATA_STREAM 0x73796e6400000000ull    /* "synd" */
#define SHUFFLE_STREAM 0x73796e7300000000ull /* "syns" */

#define COPY_SYMBOLS 10 /* symbols to remember */
#define COPY_ALPHABET 8 /* symbols 1..8 */
#define COPY_CLASSES 10 /* blank, 8 symbols, delimiter */
#define COPY_DELIM 9
#define REBER_MIN_LEN 9 /* B T B T X S E T E */

enum { P_TASK, P_LENGTH, P_TRAIN_SIZE, P_DEV_SIZE, P_TEST_SIZE, P_BATCH_SIZE };
enum { TASK_ADDING, TASK_COPY, TASK_REBER };
enum { R_B, R_T, R_P, R_S, R_X, R_V, R_E, REBER_CLASSES };

static const char *const task_choices[] = {"adding", "copy", "reber", NULL};
static const char *const reber_names[REBER_CLASSES] = {"B", "T", "P", "S", "X", "V", "E"};
static const char *const copy_names[COPY_CLASSES] = {"blank", "1", "2", "3", "4",
                                                     "5",     "6", "7", "8", "delim"};

static const rnnlab_param synthetic_params[] = {
    [P_TASK] = {.key = "task",
                .type = RNNLAB_PARAM_ENUM,
                .default_value = "adding",
                .choices = task_choices,
                .help = "adding (sum two marked values), copy (recall 10 symbols after a delay) "
                        "or reber (embedded Reber grammar)."},
    [P_LENGTH] = {.key = "length",
                  .type = RNNLAB_PARAM_INT,
                  .default_value = "50",
                  .min = 1,
                  .max = 100000,
                  .help = "adding: sequence length T (>= 2); copy: delay T (T+20 steps); reber: "
                          "longest string (>= 9)."},
    [P_TRAIN_SIZE] = {.key = "train_size",
                      .type = RNNLAB_PARAM_INT,
                      .default_value = "10000",
                      .min = 1,
                      .max = 10000000,
                      .help = "Training sequences."},
    [P_DEV_SIZE] = {.key = "dev_size",
                    .type = RNNLAB_PARAM_INT,
                    .default_value = "1000",
                    .min = 0,
                    .max = 10000000,
                    .help = "Development sequences (0: no dev split)."},
    [P_TEST_SIZE] = {.key = "test_size",
                     .type = RNNLAB_PARAM_INT,
                     .default_value = "1000",
                     .min = 0,
                     .max = 10000000,
                     .help = "Test sequences (0: no test split)."},
    [P_BATCH_SIZE] = {.key = "batch_size",
                      .type = RNNLAB_PARAM_INT,
                      .default_value = "32",
                      .min = 1,
                      .max = 65536,
                      .help = "Sequences per batch."},
    {.key = NULL},
};

typedef struct syn_split {
    size_t n;         /* sequences */
    float *values;    /* adding: (n, T) the value channel */
    int32_t *marks;   /* adding: (n, 2) the two marked steps */
    uint8_t *symbols; /* copy: (n, 10) symbols to copy; reber: strings back to back */
    size_t nsym, sym_cap;
    size_t *start; /* reber: (n + 1) string i is symbols[start[i] .. start[i+1]) */
    size_t *order; /* (n) sequence indices in the order of the current pass */
} syn_split;

typedef struct synthetic {
    const rnnlab_host *host;
    uint64_t seed;
    int task;
    size_t length, batch_size, max_len;
    syn_split split[RNNLAB_SPLIT_COUNT];
    double baseline_loss;
    char baseline_desc[160];
} synthetic;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static void *alloc_array(const rnnlab_host *h, size_t n, size_t elem) {
    if (n > SIZE_MAX / elem) return NULL;
    return h->alloc(h, n ? n * elem : 1);
}

/* Unbiased uniform integer in [0, n), n > 0. */
static uint64_t rng_below(const rnnlab_host *h, rnnlab_rng *rng, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
    do x = h->rng_next(rng);
    while (x >= limit);
    return x % n;
}

static int nomem(const rnnlab_host *h) {
    return h->set_error(h, RNNLAB_ERR_NOMEM, "synthetic: out of memory");
}

/* ------------------------------------------------------------------------ */
/* Generators                                                                */
/* ------------------------------------------------------------------------ */

/* values: (n, T) from U(0, 1); marks: (n, 2), one per half. */
static int adding_generate(synthetic *S, syn_split *s, rnnlab_rng *rng) {
    const rnnlab_host *h = S->host;
    size_t T = S->length, half = T / 2;
    s->values = alloc_array(h, s->n, T * sizeof *s->values);
    s->marks = alloc_array(h, s->n, 2 * sizeof *s->marks);
    if (!s->values || !s->marks) return nomem(h);
    for (size_t i = 0; i < s->n; i++) {
        for (size_t t = 0; t < T; t++) s->values[i * T + t] = (float)h->rng_uniform(rng);
        s->marks[2 * i] = (int32_t)rng_below(h, rng, half);
        s->marks[2 * i + 1] = (int32_t)(half + rng_below(h, rng, T - half));
    }
    return RNNLAB_OK;
}

/* The target of adding sequence i: the sum of its two marked values. */
static float adding_target(const synthetic *S, const syn_split *s, size_t i) {
    const float *v = s->values + i * S->length;
    return v[s->marks[2 * i]] + v[s->marks[2 * i + 1]];
}

/* symbols: (n, 10) from 1..8. */
static int copy_generate(synthetic *S, syn_split *s, rnnlab_rng *rng) {
    const rnnlab_host *h = S->host;
    s->symbols = alloc_array(h, s->n, COPY_SYMBOLS);
    if (!s->symbols) return nomem(h);
    for (size_t i = 0; i < s->n * COPY_SYMBOLS; i++)
        s->symbols[i] = (uint8_t)(1 + rng_below(h, rng, COPY_ALPHABET));
    return RNNLAB_OK;
}

/* The Reber graph: from each node, two equally likely (symbol, next node)
 * edges; node 6 is the exit, after which E ends the string. */
#define REBER_EXIT 6
static const struct {
    uint8_t sym[2], next[2];
} reber_graph[REBER_EXIT] = {
    [1] = {{R_T, R_P}, {2, 3}},          [2] = {{R_S, R_X}, {2, 4}},
    [3] = {{R_T, R_V}, {3, 5}},          [4] = {{R_X, R_S}, {3, REBER_EXIT}},
    [5] = {{R_P, R_V}, {4, REBER_EXIT}},
};

/* Draws one embedded Reber string into out (cap symbols). Returns its
 * length, or 0 if it would be longer than cap. */
static size_t reber_draw(const rnnlab_host *h, rnnlab_rng *rng, uint8_t *out, size_t cap) {
    size_t n = 0;
    uint8_t outer = rng_below(h, rng, 2) ? R_P : R_T;
    out[n++] = R_B;
    out[n++] = outer;
    out[n++] = R_B;
    for (int node = 1; node != REBER_EXIT;) {
        int k = (int)rng_below(h, rng, 2);
        if (n == cap) return 0;
        out[n++] = reber_graph[node].sym[k];
        node = reber_graph[node].next[k];
    }
    if (n + 3 > cap) return 0;
    out[n++] = R_E;
    out[n++] = outer;
    out[n++] = R_E;
    return n;
}

/* symbols: strings back to back; start: (n + 1). */
static int reber_generate(synthetic *S, syn_split *s, rnnlab_rng *rng) {
    const rnnlab_host *h = S->host;
    s->start = alloc_array(h, s->n + 1, sizeof *s->start);
    if (!s->start) return nomem(h);
    s->start[0] = 0;
    for (size_t i = 0; i < s->n; i++) {
        size_t need = s->nsym + S->length;
        if (need > s->sym_cap) {
            size_t cap = s->sym_cap ? 2 * s->sym_cap : 1024;
            while (cap < need) cap *= 2;
            uint8_t *q = h->realloc(h, s->symbols, cap);
            if (!q) return nomem(h);
            s->symbols = q;
            s->sym_cap = cap;
        }
        size_t len;
        while ((len = reber_draw(h, rng, s->symbols + s->nsym, S->length)) == 0) continue;
        s->nsym += len;
        s->start[i + 1] = s->nsym;
    }
    return RNNLAB_OK;
}

static int split_generate(synthetic *S, int k, size_t n) {
    syn_split *s = &S->split[k];
    rnnlab_rng rng;
    s->n = n;
    s->order = alloc_array(S->host, n, sizeof *s->order);
    if (!s->order) return nomem(S->host);
    for (size_t i = 0; i < n; i++) s->order[i] = i;
    if (n == 0) return RNNLAB_OK;
    S->host->rng_seed(&rng, S->seed, DATA_STREAM + (uint64_t)k);
    switch (S->task) {
    case TASK_ADDING: return adding_generate(S, s, &rng);
    case TASK_COPY: return copy_generate(S, s, &rng);
    default: return reber_generate(S, s, &rng);
    }
}

/* ------------------------------------------------------------------------ */
/* Baselines                                                                 */
/* ------------------------------------------------------------------------ */

/* The split baselines are measured on: dev, or train without one. */
static const syn_split *baseline_split(const synthetic *S) {
    return S->split[RNNLAB_SPLIT_DEV].n ? &S->split[RNNLAB_SPLIT_DEV]
                                        : &S->split[RNNLAB_SPLIT_TRAIN];
}

static void baseline_compute(synthetic *S) {
    const syn_split *s = baseline_split(S);
    const char *where = s == &S->split[RNNLAB_SPLIT_DEV] ? "dev" : "train";
    if (S->task == TASK_ADDING) {
        double sum = 0.0;
        for (size_t i = 0; i < s->n; i++) {
            double d = (double)adding_target(S, s, i) - 1.0;
            sum += d * d;
        }
        S->baseline_loss = sum / (double)s->n;
        snprintf(S->baseline_desc, sizeof S->baseline_desc,
                 "always predict 1 (MSE on %s; 1/6 in expectation)", where);
    } else if (S->task == TASK_COPY) {
        S->baseline_loss = COPY_SYMBOLS * log((double)COPY_ALPHABET) / (double)(S->length + 20);
        snprintf(S->baseline_desc, sizeof S->baseline_desc,
                 "memoryless: blanks, then uniform over the 8 symbols (10 ln 8 / (T+20))");
    } else {
        /* Targets are every symbol but the first of each string. */
        size_t count[REBER_CLASSES] = {0}, total = 0;
        for (size_t i = 0; i < s->n; i++)
            for (size_t j = s->start[i] + 1; j < s->start[i + 1]; j++, total++)
                count[s->symbols[j]]++;
        double H = 0.0;
        for (int c = 0; c < REBER_CLASSES; c++) {
            double q = (double)count[c] / (double)total;
            if (q > 0.0) H -= q * log(q);
        }
        S->baseline_loss = H;
        snprintf(S->baseline_desc, sizeof S->baseline_desc,
                 "unigram distribution of the next symbol (its entropy on %s)", where);
    }
}

/* ------------------------------------------------------------------------ */
/* Ops                                                                       */
/* ------------------------------------------------------------------------ */

static void synthetic_close(void *self) {
    synthetic *S = self;
    if (!S) return;
    const rnnlab_host *h = S->host;
    for (int k = 0; k < RNNLAB_SPLIT_COUNT; k++) {
        syn_split *s = &S->split[k];
        h->free(h, s->values);
        h->free(h, s->marks);
        h->free(h, s->symbols);
        h->free(h, s->start);
        h->free(h, s->order);
    }
    h->free(h, S);
}

static int length_check(const rnnlab_host *h, int task, size_t length) {
    if (task == TASK_ADDING && length < 2)
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "synthetic: length = %zu, the adding task needs length >= 2 (one "
                            "marker per half)",
                            length);
    if (task == TASK_REBER && length < REBER_MIN_LEN)
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "synthetic: length = %zu, the reber task needs length >= %d (the "
                            "shortest embedded Reber string)",
                            length, REBER_MIN_LEN);
    return RNNLAB_OK;
}

static int synthetic_open(const rnnlab_host *host, const rnnlab_value *params,
                          rnnlab_tokenizer_ref tok, const char *restored, uint64_t seed,
                          void **self) {
    (void)tok; /* generated ids need no tokenizer */
    int task = (int)params[P_TASK].i;
    size_t length = (size_t)params[P_LENGTH].i;
    int rc = length_check(host, task, length);
    if (rc) return rc;
    /* Nothing is saved (no save_labels), so a restored state must be "". */
    if (restored && *restored)
        return host->set_error(host, RNNLAB_ERR_FORMAT,
                               "synthetic: restored labels should be empty, got '%.40s'", restored);
    synthetic *S = host->alloc(host, sizeof *S);
    if (!S) return nomem(host);
    memset(S, 0, sizeof *S);
    S->host = host;
    S->seed = seed;
    S->task = task;
    S->length = length;
    S->batch_size = (size_t)params[P_BATCH_SIZE].i;
    S->max_len = task == TASK_COPY ? length + 2 * COPY_SYMBOLS : length;
    const size_t sizes[RNNLAB_SPLIT_COUNT] = {(size_t)params[P_TRAIN_SIZE].i,
                                              (size_t)params[P_DEV_SIZE].i,
                                              (size_t)params[P_TEST_SIZE].i};
    for (int k = 0; rc == RNNLAB_OK && k < RNNLAB_SPLIT_COUNT; k++)
        rc = split_generate(S, k, sizes[k]);
    if (rc != RNNLAB_OK) {
        synthetic_close(S);
        return rc;
    }
    baseline_compute(S);
    *self = S;
    return RNNLAB_OK;
}

static int synthetic_info(const void *self, rnnlab_data_info *info) {
    const synthetic *S = self;
    rnnlab_data_info d = {
        .struct_size = info->struct_size,
        .input_kind = S->task == TASK_ADDING ? RNNLAB_INPUT_DENSE : RNNLAB_INPUT_IDS,
        .input_size = S->task == TASK_ADDING ? 2
                      : S->task == TASK_COPY ? COPY_CLASSES
                                             : REBER_CLASSES,
        .output_size = S->task == TASK_ADDING ? 1
                       : S->task == TASK_COPY ? COPY_CLASSES
                                              : REBER_CLASSES,
        .target_kind = S->task == TASK_ADDING ? RNNLAB_TARGET_REAL : RNNLAB_TARGET_CLASS,
        .head = S->task == TASK_ADDING ? RNNLAB_HEAD_LAST : RNNLAB_HEAD_PER_STEP,
        .batch_size = S->batch_size,
        .max_len = S->max_len,
        .stateful = 0,
        .baseline_loss = S->baseline_loss,
        .baseline_desc = S->baseline_desc,
    };
    /* An older host knows a prefix of the struct: fill only that. */
    memcpy(info, &d, info->struct_size < sizeof d ? info->struct_size : sizeof d);
    return RNNLAB_OK;
}

static size_t synthetic_num_batches(const void *self, rnnlab_split split) {
    const synthetic *S = self;
    if ((unsigned)split >= RNNLAB_SPLIT_COUNT) return 0;
    return (S->split[split].n + S->batch_size - 1) / S->batch_size;
}

/* Train order for `epoch`: a Fisher-Yates shuffle of generation order drawn
 * from (seed, epoch) alone. */
static int synthetic_begin_epoch(void *self, rnnlab_split split, uint64_t epoch) {
    synthetic *S = self;
    if ((unsigned)split >= RNNLAB_SPLIT_COUNT)
        return S->host->set_error(S->host, RNNLAB_ERR_INVALID, "synthetic: no split %d",
                                  (int)split);
    syn_split *s = &S->split[split];
    for (size_t i = 0; i < s->n; i++) s->order[i] = i;
    if (split != RNNLAB_SPLIT_TRAIN) return RNNLAB_OK;
    rnnlab_rng rng;
    S->host->rng_seed(&rng, S->seed, SHUFFLE_STREAM + epoch);
    for (size_t i = s->n; i > 1; i--) {
        size_t j = (size_t)rng_below(S->host, &rng, i), t = s->order[i - 1];
        s->order[i - 1] = s->order[j];
        s->order[j] = t;
    }
    return RNNLAB_OK;
}

/* x: (T, B, 2) packed, [value, marker]; target_values: (B, 1). */
static void adding_fill(const synthetic *S, const syn_split *s, const size_t *seqs, size_t B,
                        rnnlab_batch *out) {
    size_t T = S->length;
    for (size_t b = 0; b < B; b++) {
        size_t i = seqs[b];
        const float *v = s->values + i * T;
        for (size_t t = 0; t < T; t++) {
            rnnlab_real *x = out->x + (t * B + b) * 2;
            x[0] = v[t];
            x[1] = (int32_t)t == s->marks[2 * i] || (int32_t)t == s->marks[2 * i + 1] ? 1.0f : 0.0f;
            out->mask[t * B + b] = 1;
        }
        out->lengths[b] = (int32_t)T;
        out->target_values[b] = adding_target(S, s, i);
        out->target_mask[b] = 1;
    }
}

/* ids, target_ids, target_mask: (T+20, B) packed. */
static void copy_fill(const synthetic *S, const syn_split *s, const size_t *seqs, size_t B,
                      rnnlab_batch *out) {
    size_t T = S->max_len, recall = S->length + COPY_SYMBOLS; /* first step of the answer */
    for (size_t b = 0; b < B; b++) {
        const uint8_t *sym = s->symbols + seqs[b] * COPY_SYMBOLS;
        for (size_t t = 0; t < T; t++) {
            size_t at = t * B + b;
            out->ids[at] = t < COPY_SYMBOLS ? sym[t] : t == recall - 1 ? COPY_DELIM : 0;
            out->target_ids[at] = t >= recall ? sym[t - recall] : 0;
            out->mask[at] = 1;
            out->target_mask[at] = 1;
        }
        out->lengths[b] = (int32_t)T;
    }
}

/* ids, target_ids, target_mask: (T, B) packed; the last real step is unscored. */
static void reber_fill(const syn_split *s, const size_t *seqs, size_t B, rnnlab_batch *out) {
    for (size_t b = 0; b < B; b++) {
        const uint8_t *sym = s->symbols + s->start[seqs[b]];
        size_t L = s->start[seqs[b] + 1] - s->start[seqs[b]];
        for (size_t t = 0; t < L; t++) {
            size_t at = t * B + b;
            out->ids[at] = sym[t];
            out->mask[at] = 1;
            if (t + 1 < L) {
                out->target_ids[at] = sym[t + 1];
                out->target_mask[at] = 1;
            }
        }
        out->lengths[b] = (int32_t)L;
    }
}

/* Zeroes every array the task uses at the host's full (max_len, batch_size). */
static int batch_clear(const synthetic *S, rnnlab_batch *out) {
    size_t cells = S->max_len * S->batch_size;
    int per_step = S->task != TASK_ADDING;
    int ok = out->mask && out->lengths && out->target_mask &&
             (S->task == TASK_ADDING ? out->x && out->target_values : out->ids && out->target_ids);
    if (!ok)
        return S->host->set_error(S->host, RNNLAB_ERR_INVALID,
                                  "synthetic: batch is missing an array the %s task needs",
                                  task_choices[S->task]);
    if (out->ids) memset(out->ids, 0, cells * sizeof *out->ids);
    memset(out->mask, 0, cells);
    memset(out->lengths, 0, S->batch_size * sizeof *out->lengths);
    memset(out->target_mask, 0, per_step ? cells : S->batch_size);
    if (S->task == TASK_ADDING) {
        memset(out->x, 0, cells * 2 * sizeof *out->x);
        memset(out->target_values, 0, S->batch_size * sizeof *out->target_values);
    } else
        memset(out->target_ids, 0, cells * sizeof *out->target_ids);
    return RNNLAB_OK;
}

static int synthetic_batch(void *self, rnnlab_split split, size_t index, rnnlab_batch *out) {
    synthetic *S = self;
    size_t nb = synthetic_num_batches(S, split);
    if (index >= nb)
        return S->host->set_error(S->host, RNNLAB_ERR_INVALID,
                                  "synthetic: batch %zu of split %d, which has %zu batches", index,
                                  (int)split, nb);
    int rc = batch_clear(S, out);
    if (rc) return rc;
    const syn_split *s = &S->split[split];
    size_t first = index * S->batch_size, B = s->n - first, T = S->max_len;
    if (B > S->batch_size) B = S->batch_size;
    const size_t *seqs = s->order + first;
    if (S->task == TASK_ADDING)
        adding_fill(S, s, seqs, B, out);
    else if (S->task == TASK_COPY)
        copy_fill(S, s, seqs, B, out);
    else {
        reber_fill(s, seqs, B, out);
        T = 0;
        for (size_t b = 0; b < B; b++)
            if ((size_t)out->lengths[b] > T) T = (size_t)out->lengths[b];
    }
    out->T = T;
    out->B = B;
    return RNNLAB_OK;
}

static const char *synthetic_label_name(const void *self, int32_t id) {
    const synthetic *S = self;
    if (S->task == TASK_COPY && id >= 0 && id < COPY_CLASSES) return copy_names[id];
    if (S->task == TASK_REBER && id >= 0 && id < REBER_CLASSES) return reber_names[id];
    return NULL;
}

static const rnnlab_loader_ops ops = {
    .struct_size = sizeof(rnnlab_loader_ops),
    .open = synthetic_open,
    .close = synthetic_close,
    .info = synthetic_info,
    .num_batches = synthetic_num_batches,
    .begin_epoch = synthetic_begin_epoch,
    .batch = synthetic_batch,
    .label_name = synthetic_label_name,
    .save_labels = NULL,
};

static const rnnlab_component synthetic_component = {
    .kind = RNNLAB_KIND_LOADER,
    .name = "synthetic",
    .version = "1.0.0",
    .description = "Generated long-range tasks: adding problem, copy memory task, embedded "
                   "Reber grammar.",
    .params = synthetic_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&synthetic_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "synthetic",
    .version = "1.0.0",
    .license = "MIT",
    .description = "Synthetic long-range benchmark data loader.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
