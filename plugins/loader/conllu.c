/* conllu -- sequence labelling (part-of-speech tagging) from CoNLL-U files.
 *
 * Reads any Universal Dependencies treebank in CoNLL-U format: one word per
 * line with 10 tab-separated columns (ID FORM LEMMA UPOS XPOS FEATS HEAD
 * DEPREL DEPS MISC), '#' comment lines, and a blank line after each
 * sentence. Multiword-token ranges ("3-4") and empty nodes ("8.1") are not
 * words of the surface sentence's tagging and are skipped. The input of step
 * t is the id of word t's FORM, the target its UPOS (or XPOS) tag.
 *
 * Words go through the configured tokenizer, which must turn every FORM into
 * exactly one id: [tokenizer] name = word, split = whitespace does. Without a
 * restored state the tokenizer is fitted once on the training FORMs joined by
 * '\n', so dev and test words it never saw become its unknown id.
 *
 * Labels: the tags of the training split sorted by strcmp, then "<unk>" as
 * the last class. A dev or test tag never seen in training maps to "<unk>";
 * the model never sees that class as a target in training, so such words
 * count as errors at evaluation: the accuracy is honest about tags the
 * training data cannot teach. save_labels writes (ASCII header, UTF-8 tags,
 * "\n" endings):
 *     conllu-labels v1
 *     column upos
 *     size N                N = number of classes, "<unk>" included
 *     <tag of id 0>
 *     ...
 *     <unk>
 *
 * Sentences longer than max_len follow on_long: split cuts them into pieces
 * of at most max_len words (each piece its own sequence), truncate keeps the
 * first max_len words, error stops with the sentence's FILE:LINE.
 *
 * Batches (see rnnlab_batch) are packed at the batch's own (T, B): step t of
 * sequence b is element t*B + b, T is the longest sequence in the batch and
 * B the number of sequences in it (batch_size except maybe the last). Every
 * entry past T*B of the host's (max_len, batch_size) arrays is zeroed. Train
 * sequences are reshuffled each epoch from (seed, epoch) alone; dev and test
 * keep file order.
 *
 * Ownership: the instance owns every array below; all memory comes from
 * host->alloc and close() returns it. The file text is freed once encoded,
 * so memory after open is O(words). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rnnlab/plugin.h"

#define LOADER_NAME "conllu"
#include "loader_util.h" /* read_file, grow, order_shuffle, UNK_LABEL, labels_pack... */

#define LABELS_MAGIC "conllu-labels v1"
#define CONLLU_COLUMNS 10
/* Stream of the per-epoch shuffle: epoch e uses stream SHUFFLE_STREAM + e. */
#define SHUFFLE_STREAM 0x636f6e6c6c750000ull /* "conllu\0\0" */

enum { P_TRAIN, P_DEV, P_TEST, P_COLUMN, P_BATCH_SIZE, P_MAX_LEN, P_ON_LONG };
enum { COLUMN_UPOS, COLUMN_XPOS };
enum { LONG_SPLIT, LONG_ERROR, LONG_TRUNCATE };

static const char *const column_choices[] = {"upos", "xpos", NULL};
static const char *const on_long_choices[] = {"split", "error", "truncate", NULL};

static const rnnlab_param conllu_params[] = {
    [P_TRAIN] = {.key = "train",
                 .type = RNNLAB_PARAM_STRING,
                 .flags = RNNLAB_PARAM_REQUIRED | RNNLAB_PARAM_PATH,
                 .help = "Training CoNLL-U file; fits the tokenizer and the tag set."},
    [P_DEV] = {.key = "dev",
               .type = RNNLAB_PARAM_STRING,
               .default_value = "",
               .flags = RNNLAB_PARAM_PATH,
               .help = "Development CoNLL-U file (empty: no dev split)."},
    [P_TEST] = {.key = "test",
                .type = RNNLAB_PARAM_STRING,
                .default_value = "",
                .flags = RNNLAB_PARAM_PATH,
                .help = "Test CoNLL-U file (empty: no test split)."},
    [P_COLUMN] = {.key = "column",
                  .type = RNNLAB_PARAM_ENUM,
                  .default_value = "upos",
                  .choices = column_choices,
                  .help = "Tag column to predict: upos (column 4) or xpos (column 5)."},
    [P_BATCH_SIZE] = {.key = "batch_size",
                      .type = RNNLAB_PARAM_INT,
                      .default_value = "32",
                      .min = 1,
                      .max = 65536,
                      .help = "Sentences per batch."},
    [P_MAX_LEN] = {.key = "max_len",
                   .type = RNNLAB_PARAM_INT,
                   .default_value = "128",
                   .min = 1,
                   .max = 1048576,
                   .help = "Most words per sequence; longer sentences follow on_long."},
    [P_ON_LONG] = {.key = "on_long",
                   .type = RNNLAB_PARAM_ENUM,
                   .default_value = "split",
                   .choices = on_long_choices,
                   .help = "Sentence over max_len: split into pieces, error, or truncate."},
    {.key = NULL},
};

/* One split, encoded: sequences back to back in ids/tags. */
typedef struct cl_split {
    int32_t *ids;  /* (ntok) word ids */
    int32_t *tags; /* (ntok) label ids */
    size_t ntok;
    size_t *start; /* (nseq) offset of each sequence in ids */
    int32_t *len;  /* (nseq) words in each sequence, 1..max_len */
    size_t *order; /* (nseq) sequence indices in the order of the current pass */
    size_t nseq;
} cl_split;

typedef struct conllu {
    const rnnlab_host *host;
    rnnlab_tokenizer_ref tok;
    uint64_t seed;
    int column, on_long;
    size_t batch_size, max_len;
    size_t vocab;        /* the tokenizer's vocab_size once fitted or restored */
    char *label_blob;    /* the labels back to back, each NUL-terminated */
    const char **labels; /* (nlabels) into label_blob; the last is "<unk>" */
    size_t nlabels;
    cl_split split[RNNLAB_SPLIT_COUNT];
    double baseline_loss;
    char baseline_desc[224];
} conllu;

/* One word of a parsed file; the strings point into the file's buffer. */
typedef struct cl_word {
    const char *form, *tag;
    size_t line;
} cl_word;

/* A file split in place into words and sentences. */
typedef struct cl_parsed {
    const char *path;
    char *text;     /* the file, its tabs and newlines overwritten by NULs */
    cl_word *words; /* (nwords) */
    size_t nwords, word_cap;
    size_t *sent; /* (nsent + 1) first word of each sentence, sent[nsent] = nwords */
    size_t nsent, sent_cap;
} cl_parsed;

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum { ID_WORD, ID_RANGE, ID_EMPTY_NODE, ID_BAD } id_kind;

/* ID column: "N" (a word), "N-M" (a multiword token), "N.M" (an empty node). */
static id_kind classify_id(const char *id, size_t *word_id) {
    size_t a, b;
    if (!read_number(&id, &a)) return ID_BAD;
    if (*id == '\0') {
        *word_id = a;
        return a > 0 ? ID_WORD : ID_BAD;
    }
    char sep = *id++;
    if ((sep != '-' && sep != '.') || !read_number(&id, &b) || *id != '\0') return ID_BAD;
    return sep == '-' ? ID_RANGE : ID_EMPTY_NODE;
}

static void parsed_free(const rnnlab_host *h, cl_parsed *p) {
    h->free(h, p->text);
    h->free(h, p->words);
    h->free(h, p->sent);
    memset(p, 0, sizeof *p);
}

/* Closes the sentence being read, if it has words. */
static int parsed_end_sentence(const rnnlab_host *h, cl_parsed *p, size_t *words_in_sentence) {
    if (*words_in_sentence == 0) return RNNLAB_OK;
    int rc = grow(h, (void **)&p->sent, &p->sent_cap, p->nsent + 2, sizeof *p->sent);
    if (rc) return rc;
    p->nsent++;
    p->sent[p->nsent] = p->nwords;
    *words_in_sentence = 0;
    return RNNLAB_OK;
}

/* Splits one word line into its columns and appends the word. */
static int parse_word_line(const rnnlab_host *h, cl_parsed *p, char *line, size_t lineno,
                           int column, size_t *words_in_sentence) {
    char *col[CONLLU_COLUMNS];
    size_t n = 1;
    for (const char *c = line; *c; c++) n += *c == '\t';
    if (n != CONLLU_COLUMNS)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "%s:%zu: expected 10 tab-separated columns, found %zu", p->path, lineno,
                            n);
    col[0] = line;
    for (size_t k = 1; k < CONLLU_COLUMNS; k++) {
        char *tab = strchr(col[k - 1], '\t');
        *tab = '\0';
        col[k] = tab + 1;
    }
    size_t id;
    switch (classify_id(col[0], &id)) {
    case ID_RANGE:
    case ID_EMPTY_NODE: return RNNLAB_OK;
    case ID_BAD:
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "%s:%zu: bad ID '%s', expected N, N-M or N.M with N >= 1", p->path,
                            lineno, col[0]);
    case ID_WORD: break;
    }
    if (id != *words_in_sentence + 1)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "%s:%zu: word ID %zu out of order, expected %zu (missing blank line "
                            "between sentences?)",
                            p->path, lineno, id, *words_in_sentence + 1);
    const char *tag = col[column == COLUMN_XPOS ? 4 : 3];
    if (col[1][0] == '\0')
        return h->set_error(h, RNNLAB_ERR_FORMAT, "%s:%zu: empty FORM (column 2)", p->path, lineno);
    if (tag[0] == '\0')
        return h->set_error(h, RNNLAB_ERR_FORMAT, "%s:%zu: empty %s (column %d)", p->path, lineno,
                            column == COLUMN_XPOS ? "XPOS" : "UPOS", column == COLUMN_XPOS ? 5 : 4);
    /* The tag set is saved one tag per line, CR-free (see the restore
     * check): a tag with a CR could be trained but never restored. */
    if (strchr(tag, '\r'))
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "%s:%zu: %s (column %d) contains a carriage "
                            "return (CR)",
                            p->path, lineno, column == COLUMN_XPOS ? "XPOS" : "UPOS",
                            column == COLUMN_XPOS ? 5 : 4);
    int rc = grow(h, (void **)&p->words, &p->word_cap, p->nwords + 1, sizeof *p->words);
    if (rc) return rc;
    p->words[p->nwords++] = (cl_word){.form = col[1], .tag = tag, .line = lineno};
    (*words_in_sentence)++;
    return RNNLAB_OK;
}

/* Reads and parses a CoNLL-U file into words grouped by sentence. */
static int parse_file(const rnnlab_host *h, const char *path, int column, cl_parsed *p) {
    size_t len = 0, lineno = 0, in_sentence = 0;
    memset(p, 0, sizeof *p);
    p->path = path;
    int rc = read_file(h, path, &p->text, &len);
    if (rc) return rc;
    if ((rc = grow(h, (void **)&p->sent, &p->sent_cap, 1, sizeof *p->sent)) != RNNLAB_OK) return rc;
    p->sent[0] = 0;
    char *cur = p->text, *end = p->text + len, *line;
    while (rc == RNNLAB_OK && (line = next_line(&cur, end)) != NULL) {
        lineno++;
        if (line[0] == '\0')
            rc = parsed_end_sentence(h, p, &in_sentence);
        else if (line[0] != '#')
            rc = parse_word_line(h, p, line, lineno, column, &in_sentence);
    }
    if (rc == RNNLAB_OK) rc = parsed_end_sentence(h, p, &in_sentence);
    if (rc == RNNLAB_OK && p->nsent == 0)
        rc = h->set_error(h, RNNLAB_ERR_FORMAT,
                          "%s: no sentences (only comments, blank lines, multiword ranges or "
                          "empty nodes)",
                          path);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Labels                                                                    */
/* ------------------------------------------------------------------------ */

/* Points labels[] at the NUL-separated strings of label_blob. */
static int labels_index(conllu *L, size_t n) {
    L->labels = alloc_array(L->host, n, sizeof *L->labels);
    if (!L->labels) return L->host->set_error(L->host, RNNLAB_ERR_NOMEM, "conllu: out of memory");
    const char *s = L->label_blob;
    for (size_t i = 0; i < n; i++, s += strlen(s) + 1) L->labels[i] = s;
    L->nlabels = n;
    return RNNLAB_OK;
}

/* The tag set of the training words, sorted, then "<unk>". */
static int labels_build(conllu *L, const cl_parsed *p) {
    const rnnlab_host *h = L->host;
    for (size_t i = 0; i < p->nwords; i++)
        if (strcmp(p->words[i].tag, UNK_LABEL) == 0)
            return h->set_error(h, RNNLAB_ERR_FORMAT,
                                "%s:%zu: tag '" UNK_LABEL "' is reserved for tags unseen in "
                                "training",
                                p->path, p->words[i].line);
    const char **tags = alloc_array(h, p->nwords, sizeof *tags);
    if (!tags) return h->set_error(h, RNNLAB_ERR_NOMEM, "conllu: out of memory");
    for (size_t i = 0; i < p->nwords; i++) tags[i] = p->words[i].tag;
    size_t n = 0;
    L->label_blob = labels_pack(h, tags, p->nwords, &n);
    h->free(h, tags);
    if (!L->label_blob) return h->set_error(h, RNNLAB_ERR_NOMEM, "conllu: out of memory");
    return labels_index(L, n);
}

/* Parses the text save_labels wrote, rejecting anything else. */
static int labels_restore(conllu *L, const char *text) {
    const rnnlab_host *h = L->host;
    size_t len = strlen(text);
    char expect_column[32];
    snprintf(expect_column, sizeof expect_column, "column %s", column_choices[L->column]);
    L->label_blob = h->alloc(h, len + 1);
    if (!L->label_blob) return h->set_error(h, RNNLAB_ERR_NOMEM, "conllu: out of memory");
    memcpy(L->label_blob, text, len + 1);
    if (len == 0 || text[len - 1] != '\n')
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "conllu: restored labels are empty or lack the final newline");
    char *cur = L->label_blob, *end = L->label_blob + len, *line;
    const char *head[2] = {LABELS_MAGIC, expect_column};
    for (int k = 0; k < 2; k++) {
        line = next_line(&cur, end);
        if (!line || strcmp(line, head[k]) != 0)
            return h->set_error(h, RNNLAB_ERR_FORMAT,
                                "conllu: restored labels, line %d: '%s', expected '%s'", k + 1,
                                line ? line : "", head[k]);
    }
    line = next_line(&cur, end);
    size_t n = 0;
    const char *num = line && strncmp(line, "size ", 5) == 0 ? line + 5 : NULL;
    if (!num || !read_number(&num, &n) || *num != '\0' || n < 2 || n > len)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "conllu: restored labels, line 3: '%s', expected 'size N' with N >= 2",
                            line ? line : "");
    /* Compact the labels to the front of the blob, NUL-separated. */
    char *w = L->label_blob;
    const char *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        line = next_line(&cur, end);
        if (!line)
            return h->set_error(h, RNNLAB_ERR_FORMAT,
                                "conllu: restored labels end after %zu of %zu labels", i, n);
        int rc = label_line_check(h, line, prev, i + 4, i + 1 == n, "tags");
        if (rc) return rc;
        memmove(w, line, strlen(line) + 1);
        prev = w;
        w += strlen(w) + 1;
    }
    if (cur < end)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "conllu: restored labels, line %zu: text after the %zu labels", n + 4,
                            n);
    return labels_index(L, n);
}

/* The class of a tag: its place in the sorted training tags, else "<unk>". */
static int32_t label_id(const conllu *L, const char *tag) {
    const char **hit = bsearch(&tag, L->labels, L->nlabels - 1, sizeof *L->labels, str_cmp);
    return (int32_t)(hit ? (size_t)(hit - L->labels) : L->nlabels - 1);
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */
/* ------------------------------------------------------------------------ */

/* Fits the tokenizer once on the training FORMs joined by '\n'. */
static int tokenizer_fit(conllu *L, const cl_parsed *p) {
    const rnnlab_host *h = L->host;
    size_t bytes = 1;
    for (size_t i = 0; i < p->nwords; i++) bytes += strlen(p->words[i].form) + 1;
    char *text = h->alloc(h, bytes), *w = text;
    if (!text) return h->set_error(h, RNNLAB_ERR_NOMEM, "conllu: out of memory");
    for (size_t i = 0; i < p->nwords; i++) {
        if (i) *w++ = '\n';
        w = stpcpy(w, p->words[i].form);
    }
    int rc = L->tok.ops->fit(L->tok.self, text, (size_t)(w - text));
    h->free(h, text);
    return rc;
}

/* The single id of a word's FORM. */
static int word_id(const conllu *L, const char *path, const cl_word *w, int32_t *id) {
    const rnnlab_host *h = L->host;
    size_t n = 0, len = strlen(w->form);
    int rc = L->tok.ops->encode(L->tok.self, w->form, len, NULL, 0, &n);
    if (rc) return rc;
    if (n != 1)
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "%s:%zu: form '%s' becomes %zu tokens with this tokenizer; the conllu "
                            "loader needs one id per word (use [tokenizer] name = word, split = "
                            "whitespace)",
                            path, w->line, w->form, n);
    if ((rc = L->tok.ops->encode(L->tok.self, w->form, len, id, 1, &n)) != RNNLAB_OK) return rc;
    if (*id < 0 || (size_t)*id >= L->vocab)
        return h->set_error(h, RNNLAB_ERR_PLUGIN,
                            "%s:%zu: the tokenizer gave form '%s' id %d, outside its vocab_size "
                            "%zu",
                            path, w->line, w->form, (int)*id, L->vocab);
    return RNNLAB_OK;
}

/* Words of sentence i that are kept under on_long. */
static int sentence_keep(const conllu *L, const cl_parsed *p, size_t i, size_t *keep) {
    size_t n = p->sent[i + 1] - p->sent[i];
    *keep = n;
    if (n <= L->max_len) return RNNLAB_OK;
    if (L->on_long == LONG_TRUNCATE) *keep = L->max_len;
    if (L->on_long == LONG_ERROR)
        return L->host->set_error(L->host, RNNLAB_ERR_INVALID,
                                  "%s:%zu: sentence of %zu words is longer than max_len = %zu "
                                  "(on_long = error; use split or truncate, or raise max_len)",
                                  p->path, p->words[p->sent[i]].line, n, L->max_len);
    return RNNLAB_OK;
}

/* Turns a parsed file into split s: ids, label ids and sequences. */
static int split_encode(conllu *L, const cl_parsed *p, cl_split *s) {
    const rnnlab_host *h = L->host;
    size_t max_seq = 0;
    for (size_t i = 0; i < p->nsent; i++)
        max_seq += (p->sent[i + 1] - p->sent[i] + L->max_len - 1) / L->max_len;
    s->ids = alloc_array(h, p->nwords, sizeof *s->ids);
    s->tags = alloc_array(h, p->nwords, sizeof *s->tags);
    s->start = alloc_array(h, max_seq, sizeof *s->start);
    s->len = alloc_array(h, max_seq, sizeof *s->len);
    s->order = alloc_array(h, max_seq, sizeof *s->order);
    if (!s->ids || !s->tags || !s->start || !s->len || !s->order)
        return h->set_error(h, RNNLAB_ERR_NOMEM, "conllu: out of memory");
    for (size_t i = 0; i < p->nsent; i++) {
        size_t keep;
        int rc = sentence_keep(L, p, i, &keep);
        if (rc) return rc;
        for (size_t k = 0; k < keep; k++) {
            const cl_word *w = &p->words[p->sent[i] + k];
            if (k % L->max_len == 0) {
                s->start[s->nseq] = s->ntok;
                s->len[s->nseq] = 0;
                s->order[s->nseq] = s->nseq;
                s->nseq++;
            }
            if ((rc = word_id(L, p->path, w, &s->ids[s->ntok])) != RNNLAB_OK) return rc;
            s->tags[s->ntok++] = label_id(L, w->tag);
            s->len[s->nseq - 1]++;
        }
    }
    return RNNLAB_OK;
}

/* Parses, encodes and frees one optional dev/test file. */
static int split_load(conllu *L, const char *path, cl_split *s) {
    cl_parsed p;
    int rc = parse_file(L->host, path, L->column, &p);
    if (rc == RNNLAB_OK) rc = split_encode(L, &p, s);
    parsed_free(L->host, &p);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Baselines                                                                 */
/* ------------------------------------------------------------------------ */

static int u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Dev accuracy of tagging each word with its most frequent training tag
 * (the global most frequent tag for words not seen in training). */
static int per_word_accuracy(const conllu *L, int32_t common, double *acc) {
    const rnnlab_host *h = L->host;
    const cl_split *tr = &L->split[RNNLAB_SPLIT_TRAIN], *dev = &L->split[RNNLAB_SPLIT_DEV];
    uint64_t *pairs = alloc_array(h, tr->ntok, sizeof *pairs);
    int32_t *best = alloc_array(h, L->vocab, sizeof *best);
    if (!pairs || !best) {
        h->free(h, pairs);
        h->free(h, best);
        return h->set_error(h, RNNLAB_ERR_NOMEM, "conllu: out of memory");
    }
    for (size_t i = 0; i < L->vocab; i++) best[i] = common;
    for (size_t i = 0; i < tr->ntok; i++)
        pairs[i] = (uint64_t)(uint32_t)tr->ids[i] << 32 | (uint32_t)tr->tags[i];
    qsort(pairs, tr->ntok, sizeof *pairs, u64_cmp);
    /* Sorted pairs group by word, then by tag: the longest run wins. */
    size_t best_run = 0;
    for (size_t i = 0, run = 0; i < tr->ntok; i++) {
        run = i > 0 && pairs[i] == pairs[i - 1] ? run + 1 : 1;
        if (i > 0 && pairs[i] >> 32 != pairs[i - 1] >> 32) best_run = 0;
        if (run > best_run) {
            best_run = run;
            best[pairs[i] >> 32] = (int32_t)(uint32_t)pairs[i];
        }
    }
    size_t right = 0;
    for (size_t i = 0; i < dev->ntok; i++) right += best[dev->ids[i]] == dev->tags[i];
    *acc = 100.0 * (double)right / (double)dev->ntok;
    h->free(h, pairs);
    h->free(h, best);
    return RNNLAB_OK;
}

/* baseline_loss: the cross-entropy (nats) of predicting the training tag
 * distribution at every step, i.e. its entropy: the best a model that
 * ignores the words can do on the training data. */
static int baseline_compute(conllu *L) {
    const rnnlab_host *h = L->host;
    const cl_split *tr = &L->split[RNNLAB_SPLIT_TRAIN];
    size_t *count = alloc_array(h, L->nlabels, sizeof *count);
    if (!count) return h->set_error(h, RNNLAB_ERR_NOMEM, "conllu: out of memory");
    memset(count, 0, L->nlabels * sizeof *count);
    for (size_t i = 0; i < tr->ntok; i++) count[tr->tags[i]]++;
    double H = 0.0;
    int32_t common = 0;
    for (size_t c = 0; c < L->nlabels; c++) {
        double q = (double)count[c] / (double)tr->ntok;
        if (q > 0.0) H -= q * log(q);
        if (count[c] > count[common]) common = (int32_t)c;
    }
    h->free(h, count);
    L->baseline_loss = H;
    int n = snprintf(L->baseline_desc, sizeof L->baseline_desc,
                     "train tag distribution, ignoring the words (its entropy)");
    if (L->split[RNNLAB_SPLIT_DEV].ntok == 0) return RNNLAB_OK;
    double acc = 0.0;
    int rc = per_word_accuracy(L, common, &acc);
    if (rc) return rc;
    snprintf(L->baseline_desc + n, sizeof L->baseline_desc - (size_t)n,
             "; most frequent tag per word (train) gets dev accuracy %.1f%%", acc);
    return RNNLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* Ops                                                                       */
/* ------------------------------------------------------------------------ */

static void conllu_close(void *self) {
    conllu *L = self;
    if (!L) return;
    const rnnlab_host *h = L->host;
    for (int k = 0; k < RNNLAB_SPLIT_COUNT; k++) {
        cl_split *s = &L->split[k];
        h->free(h, s->ids);
        h->free(h, s->tags);
        h->free(h, s->start);
        h->free(h, s->len);
        h->free(h, s->order);
    }
    h->free(h, L->labels);
    h->free(h, L->label_blob);
    h->free(h, L);
}

/* Labels and tokenizer from training data, or as restored; then train. */
static int open_train(conllu *L, const char *path, const char *restored) {
    cl_parsed p;
    int rc = parse_file(L->host, path, L->column, &p);
    if (rc == RNNLAB_OK) rc = restored ? labels_restore(L, restored) : labels_build(L, &p);
    if (rc == RNNLAB_OK && !restored) rc = tokenizer_fit(L, &p);
    if (rc == RNNLAB_OK) {
        L->vocab = L->tok.ops->vocab_size(L->tok.self);
        if (L->vocab == 0 || L->vocab > INT32_MAX)
            rc = L->host->set_error(L->host, RNNLAB_ERR_PLUGIN,
                                    "conllu: the tokenizer reports vocab_size %zu", L->vocab);
    }
    if (rc == RNNLAB_OK) rc = split_encode(L, &p, &L->split[RNNLAB_SPLIT_TRAIN]);
    parsed_free(L->host, &p);
    return rc;
}

static int conllu_open(const rnnlab_host *host, const rnnlab_value *params,
                       rnnlab_tokenizer_ref tok, const char *restored, uint64_t seed, void **self) {
    const char *train = params[P_TRAIN].s;
    if (!train || !*train)
        return host->set_error(host, RNNLAB_ERR_INVALID,
                               "conllu: train: no file given (expected a CoNLL-U path)");
    if (!tok.ops || !tok.ops->fit || !tok.ops->encode || !tok.ops->vocab_size)
        return host->set_error(host, RNNLAB_ERR_INVALID,
                               "conllu: needs a tokenizer ([tokenizer] name = word, split = "
                               "whitespace)");
    conllu *L = host->alloc(host, sizeof *L);
    if (!L) return host->set_error(host, RNNLAB_ERR_NOMEM, "conllu: out of memory");
    memset(L, 0, sizeof *L);
    L->host = host;
    L->tok = tok;
    L->seed = seed;
    L->column = (int)params[P_COLUMN].i;
    L->on_long = (int)params[P_ON_LONG].i;
    L->batch_size = (size_t)params[P_BATCH_SIZE].i;
    L->max_len = (size_t)params[P_MAX_LEN].i;
    int rc = open_train(L, train, restored);
    const char *paths[RNNLAB_SPLIT_COUNT] = {NULL, params[P_DEV].s, params[P_TEST].s};
    for (int k = RNNLAB_SPLIT_DEV; rc == RNNLAB_OK && k < RNNLAB_SPLIT_COUNT; k++)
        if (paths[k] && *paths[k]) rc = split_load(L, paths[k], &L->split[k]);
    if (rc == RNNLAB_OK) rc = baseline_compute(L);
    if (rc != RNNLAB_OK) {
        conllu_close(L);
        return rc;
    }
    *self = L;
    return RNNLAB_OK;
}

static int conllu_info(const void *self, rnnlab_data_info *info) {
    const conllu *L = self;
    rnnlab_data_info d = {
        .struct_size = info->struct_size,
        .input_kind = RNNLAB_INPUT_IDS,
        .input_size = L->vocab,
        .output_size = L->nlabels,
        .target_kind = RNNLAB_TARGET_CLASS,
        .head = RNNLAB_HEAD_PER_STEP,
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

static size_t conllu_num_batches(const void *self, rnnlab_split split) {
    const conllu *L = self;
    if ((unsigned)split >= RNNLAB_SPLIT_COUNT) return 0;
    return (L->split[split].nseq + L->batch_size - 1) / L->batch_size;
}

/* Train order for `epoch`: a Fisher-Yates shuffle of file order drawn from
 * (seed, epoch) alone, so a resumed run sees the same batches. */
static int conllu_begin_epoch(void *self, rnnlab_split split, uint64_t epoch) {
    conllu *L = self;
    if ((unsigned)split >= RNNLAB_SPLIT_COUNT)
        return L->host->set_error(L->host, RNNLAB_ERR_INVALID, "conllu: no split %d", (int)split);
    cl_split *s = &L->split[split];
    for (size_t i = 0; i < s->nseq; i++) s->order[i] = i;
    if (split != RNNLAB_SPLIT_TRAIN) return RNNLAB_OK;
    order_shuffle(L->host, s->order, s->nseq, L->seed, SHUFFLE_STREAM + epoch);
    return RNNLAB_OK;
}

/* ids, mask, target_ids, target_mask: (T, B) packed; lengths: (B). */
static int conllu_batch(void *self, rnnlab_split split, size_t index, rnnlab_batch *out) {
    conllu *L = self;
    const rnnlab_host *h = L->host;
    size_t nb = conllu_num_batches(L, split);
    if (index >= nb)
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "conllu: batch %zu of split %d, which has %zu batches", index,
                            (int)split, nb);
    if (!out->ids || !out->mask || !out->lengths || !out->target_ids || !out->target_mask)
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "conllu: batch needs ids, mask, lengths, target_ids and target_mask");
    const cl_split *s = &L->split[split];
    size_t first = index * L->batch_size, B = s->nseq - first, T = 0, cells;
    if (B > L->batch_size) B = L->batch_size;
    for (size_t b = 0; b < B; b++)
        if ((size_t)s->len[s->order[first + b]] > T) T = (size_t)s->len[s->order[first + b]];
    cells = L->max_len * L->batch_size;
    memset(out->ids, 0, cells * sizeof *out->ids);
    memset(out->mask, 0, cells);
    memset(out->target_ids, 0, cells * sizeof *out->target_ids);
    memset(out->target_mask, 0, cells);
    memset(out->lengths, 0, L->batch_size * sizeof *out->lengths);
    for (size_t b = 0; b < B; b++) {
        size_t k = s->order[first + b], at = s->start[k];
        out->lengths[b] = s->len[k];
        for (size_t t = 0; t < (size_t)s->len[k]; t++) {
            out->ids[t * B + b] = s->ids[at + t];
            out->target_ids[t * B + b] = s->tags[at + t];
            out->mask[t * B + b] = 1;
            out->target_mask[t * B + b] = 1;
        }
    }
    out->T = T;
    out->B = B;
    return RNNLAB_OK;
}

static const char *conllu_label_name(const void *self, int32_t id) {
    const conllu *L = self;
    return id >= 0 && (size_t)id < L->nlabels ? L->labels[id] : NULL;
}

static int conllu_save_labels(const void *self, char **buf, size_t *len) {
    const conllu *L = self;
    char head[96];
    snprintf(head, sizeof head, LABELS_MAGIC "\ncolumn %s\nsize %zu\n", column_choices[L->column],
             L->nlabels);
    return labels_text(L->host, head, L->labels, L->nlabels, buf, len);
}

static const rnnlab_loader_ops ops = {
    .struct_size = sizeof(rnnlab_loader_ops),
    .open = conllu_open,
    .close = conllu_close,
    .info = conllu_info,
    .num_batches = conllu_num_batches,
    .begin_epoch = conllu_begin_epoch,
    .batch = conllu_batch,
    .label_name = conllu_label_name,
    .save_labels = conllu_save_labels,
};

static const rnnlab_component conllu_component = {
    .kind = RNNLAB_KIND_LOADER,
    .name = "conllu",
    .version = "1.0.0",
    .description = "Part-of-speech tagging from CoNLL-U (Universal Dependencies) files: one id "
                   "per word, UPOS or XPOS targets at every step.",
    .params = conllu_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&conllu_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "conllu",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The CoNLL-U sequence-labelling data loader.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
