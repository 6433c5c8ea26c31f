/* word -- words split on whitespace (and punctuation), with a frequency cut.
 *
 * Splitting works on bytes, so it never fails on any input:
 *  - separators are the ASCII whitespace bytes (space, \t \n \v \f \r) and
 *    NUL; they only end tokens and never appear in one;
 *  - with split = punct, each ASCII punctuation byte (C-locale ispunct:
 *    !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~) is a token of its own;
 *    with split = whitespace (the CoNLL-U loader's choice, one treebank form
 *    is one token) punctuation stays inside words;
 *  - every other byte, including all non-ASCII UTF-8 bytes, is a word byte,
 *    so "한국어" or "naïve" stay whole.
 * With lowercase = true, ASCII A-Z are folded to a-z (other scripts have no
 * case folding here).
 *
 * Vocabulary: <pad> = 0, <unk> = 1, <bos> = 2, <eos> = 3 always; then the
 * words seen at least min_freq times, by descending count, ties by
 * byte-wise ascending text, cut so that vocab_size <= max_vocab (0 = no
 * cut). A token whose text equals a special's (possible only with split =
 * whitespace, e.g. "<unk>") is that special: fit does not count it and
 * encode gives the special's id. Unknown words encode to <unk>.
 *
 * fit accumulates counts over all calls (and over a loaded state) and
 * rebuilds the vocabulary from all counts so far by the rule above, so the
 * result depends only on the concatenated training data, not on the call
 * boundaries. Ids of a later fit can therefore differ from an earlier one's.
 *
 * decode joins token texts with single spaces. The round trip is not exact:
 * decode(encode(x)) is x's normalised token sequence (split, folded, unknown
 * words as "<unk>") joined by single spaces. For text that already is such
 * a sequence of known words it gives x back.
 *
 * Saved state (UTF-8 text, one item per line, "\n" endings):
 *     word v1
 *     split punct|whitespace      must match the instance's parameters
 *     lowercase true|false
 *     size N                      vocab_size, the 4 specials included
 *     words M                     counted words, M >= N - 4
 *     <count> <word>              M lines: ids 4..N-1 in order, then the
 *     ...                         counted words outside the vocabulary
 * Words are written as UTF-8; a backslash is written "\\", and control
 * bytes and bytes outside well-formed UTF-8 as "\xHH". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rnnlab/plugin.h"
#include "../textutil.h"

#define SAVE_MAGIC "word v1\n"
#define N_SPECIALS 4
#define NONE ((size_t)-1)

static const char *const specials[N_SPECIALS] = {"<pad>", "<unk>", "<bos>", "<eos>"};
enum { ID_PAD = 0, ID_UNK = 1, ID_BOS = 2, ID_EOS = 3 };

/* One counted word. Its bytes (normalised, NUL-terminated) live in the
 * table's arena at off. */
typedef struct word_entry {
    uint64_t hash;
    size_t off, len;
    uint64_t count;
    int32_t id; /* -1 if outside the vocabulary */
} word_entry;

/* Every word counted so far, with a hash index for O(1) lookup. */
typedef struct word_table {
    char *bytes; /* arena of NUL-terminated words */
    size_t bytes_len, bytes_cap;
    word_entry *entries;
    size_t n, cap;
    size_t *slots; /* (n_slots) entry index + 1, 0 = empty; n_slots a power of 2 */
    size_t n_slots;
} word_table;

typedef struct word_tok {
    const rnnlab_host *host;
    int punct; /* split = punct */
    int lowercase;
    uint64_t min_freq;
    size_t max_vocab; /* 0 = unlimited */
    word_table table;
    size_t *vocab; /* (n_vocab - N_SPECIALS) entry index of ids 4.. */
    size_t n_vocab;
} word_tok;

static const char *const split_choices[] = {"punct", "whitespace", NULL};

enum { P_SPLIT, P_LOWERCASE, P_MIN_FREQ, P_MAX_VOCAB };

static const rnnlab_param word_params[] = {
    [P_SPLIT] = {.key = "split",
                 .type = RNNLAB_PARAM_ENUM,
                 .default_value = "punct",
                 .choices = split_choices,
                 .help = "punct: whitespace and each ASCII punctuation byte split; "
                         "whitespace: whitespace only."},
    [P_LOWERCASE] = {.key = "lowercase",
                     .type = RNNLAB_PARAM_BOOL,
                     .default_value = "false",
                     .help = "Fold ASCII A-Z to a-z before counting and lookup."},
    [P_MIN_FREQ] = {.key = "min_freq",
                    .type = RNNLAB_PARAM_INT,
                    .default_value = "1",
                    .min = 1,
                    .max = 2147483647.0,
                    .help = "Words seen fewer times than this in fit become <unk>."},
    [P_MAX_VOCAB] = {.key = "max_vocab",
                     .type = RNNLAB_PARAM_INT,
                     .default_value = "0",
                     .min = 0,
                     .max = 2147483647.0,
                     .help = "Largest vocab_size, the 4 specials included; 0 = unlimited."},
    {.key = NULL},
};

/* ------------------------------------------------------------------------ */
/* Bytes and splitting                                                       */
/* ------------------------------------------------------------------------ */

static int is_sep(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == 0; }

static int is_punct(unsigned char c) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
}

static unsigned char fold(unsigned char c, int lowercase) {
    return lowercase && c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Finds the token at or after *pos: sets *start and *len and moves *pos
 * past it. Returns 0 when only separators are left. */
static int next_token(int punct, const char *text, size_t n, size_t *pos, size_t *start,
                      size_t *len) {
    const unsigned char *s = (const unsigned char *)text;
    size_t p = *pos;
    while (p < n && is_sep(s[p])) p++;
    if (p == n) {
        *pos = p;
        return 0;
    }
    size_t b = p;
    if (punct && is_punct(s[p]))
        p++;
    else
        while (p < n && !is_sep(s[p]) && !(punct && is_punct(s[p]))) p++;
    *start = b;
    *len = p - b;
    *pos = p;
    return 1;
}

/* FNV-1a of the folded bytes, so lookups fold on the fly without a copy. */
static uint64_t hash_folded(const char *s, size_t len, int lowercase) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= fold((unsigned char)s[i], lowercase);
        h *= 0x100000001B3ull;
    }
    return h;
}

/* Does the folded s equal the (already normalised) word w of the same length? */
static int equal_folded(const char *s, const char *w, size_t len, int lowercase) {
    for (size_t i = 0; i < len; i++)
        if (fold((unsigned char)s[i], lowercase) != (unsigned char)w[i]) return 0;
    return 1;
}

/* The special id whose text the folded token equals, or -1. */
static int32_t special_id(const char *s, size_t len, int lowercase) {
    if (len != 5 || s[0] != '<') return -1;
    for (int32_t k = 0; k < N_SPECIALS; k++)
        if (equal_folded(s, specials[k], 5, lowercase)) return k;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* The word table                                                            */
/* ------------------------------------------------------------------------ */

static void table_free(const rnnlab_host *h, word_table *tb) {
    h->free(h, tb->bytes);
    h->free(h, tb->entries);
    h->free(h, tb->slots);
    memset(tb, 0, sizeof *tb);
}

/* The entry of the folded token s, or NONE. */
static size_t table_find(const word_table *tb, const char *s, size_t len, uint64_t hash,
                         int lowercase) {
    if (!tb->n_slots) return NONE;
    for (size_t i = hash & (tb->n_slots - 1);; i = (i + 1) & (tb->n_slots - 1)) {
        size_t e = tb->slots[i];
        if (!e) return NONE;
        const word_entry *w = &tb->entries[e - 1];
        if (w->hash == hash && w->len == len && equal_folded(s, tb->bytes + w->off, len, lowercase))
            return e - 1;
    }
}

static void slot_put(word_table *tb, size_t entry) {
    size_t i = tb->entries[entry].hash & (tb->n_slots - 1);
    while (tb->slots[i]) i = (i + 1) & (tb->n_slots - 1);
    tb->slots[i] = entry + 1;
}

/* Doubles the slot array when it is half full. */
static int table_rehash(const rnnlab_host *h, word_table *tb) {
    if (tb->n_slots && 2 * (tb->n + 1) <= tb->n_slots) return 0;
    size_t n_slots = tb->n_slots ? 2 * tb->n_slots : 64;
    size_t *slots = h->alloc(h, n_slots * sizeof *slots);
    if (!slots) return -1;
    memset(slots, 0, n_slots * sizeof *slots);
    h->free(h, tb->slots);
    tb->slots = slots;
    tb->n_slots = n_slots;
    for (size_t e = 0; e < tb->n; e++) slot_put(tb, e);
    return 0;
}

/* Adds the folded token s with count 0; returns its entry or NONE when out
 * of memory. The caller has checked it is absent. */
static size_t table_add(const rnnlab_host *h, word_table *tb, const char *s, size_t len,
                        uint64_t hash, int lowercase) {
    if (table_rehash(h, tb) ||
        array_reserve(h, &tb->entries, &tb->cap, tb->n + 1, sizeof *tb->entries) ||
        array_reserve(h, &tb->bytes, &tb->bytes_cap, tb->bytes_len + len + 1, 1))
        return NONE;
    word_entry *w = &tb->entries[tb->n];
    *w = (word_entry){.hash = hash, .off = tb->bytes_len, .len = len, .count = 0, .id = -1};
    for (size_t i = 0; i < len; i++)
        tb->bytes[w->off + i] = (char)fold((unsigned char)s[i], lowercase);
    tb->bytes[w->off + len] = '\0';
    tb->bytes_len += len + 1;
    slot_put(tb, tb->n);
    return tb->n++;
}

/* ------------------------------------------------------------------------ */
/* Vocabulary                                                                */
/* ------------------------------------------------------------------------ */

/* A word as the ranking sees it. */
typedef struct rank_item {
    uint64_t count;
    const char *s;
    size_t len, entry;
} rank_item;

/* Descending count, then byte-wise ascending text (a prefix first). */
static int rank_cmp(const void *pa, const void *pb) {
    const rank_item *a = pa, *b = pb;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, m);
    if (c) return c;
    return (a->len > b->len) - (a->len < b->len);
}

/* The entries with count >= min_count (all but the vocabulary's if
 * outside_only), ranked. *items is host->alloc'd (never NULL on success). */
static int rank_entries(const rnnlab_host *h, const word_table *tb, uint64_t min_count,
                        int outside_only, rank_item **items, size_t *n) {
    rank_item *it = h->alloc(h, (tb->n ? tb->n : 1) * sizeof *it);
    if (!it) return -1;
    size_t k = 0;
    for (size_t e = 0; e < tb->n; e++) {
        const word_entry *w = &tb->entries[e];
        if (w->count < min_count || (outside_only && w->id >= 0)) continue;
        it[k++] = (rank_item){w->count, tb->bytes + w->off, w->len, e};
    }
    qsort(it, k, sizeof *it, rank_cmp);
    *items = it;
    *n = k;
    return 0;
}

/* Gives ids 4.. to the best-ranked words, from all counts so far. */
static int vocab_rebuild(word_tok *t) {
    const rnnlab_host *h = t->host;
    rank_item *items;
    size_t n;
    if (rank_entries(h, &t->table, t->min_freq, 0, &items, &n))
        return h->set_error(h, RNNLAB_ERR_NOMEM, "word: out of memory ranking %zu words",
                            t->table.n);
    if (t->max_vocab && n > t->max_vocab - N_SPECIALS) n = t->max_vocab - N_SPECIALS;
    size_t *vocab = h->alloc(h, (n ? n : 1) * sizeof *vocab);
    if (!vocab) {
        h->free(h, items);
        return h->set_error(h, RNNLAB_ERR_NOMEM, "word: out of memory for %zu words", n);
    }
    for (size_t e = 0; e < t->table.n; e++) t->table.entries[e].id = -1;
    for (size_t k = 0; k < n; k++) {
        vocab[k] = items[k].entry;
        t->table.entries[items[k].entry].id = (int32_t)(N_SPECIALS + k);
    }
    h->free(h, items);
    h->free(h, t->vocab);
    t->vocab = vocab;
    t->n_vocab = N_SPECIALS + n;
    return RNNLAB_OK;
}

/* The id of one token of the input text. */
static int32_t token_id(const word_tok *t, const char *s, size_t len) {
    int32_t sp = special_id(s, len, t->lowercase);
    if (sp >= 0) return sp;
    size_t e = table_find(&t->table, s, len, hash_folded(s, len, t->lowercase), t->lowercase);
    if (e == NONE || t->table.entries[e].id < 0) return ID_UNK;
    return t->table.entries[e].id;
}

static const char *id_text(const word_tok *t, int32_t id, size_t *len) {
    if (id < N_SPECIALS) {
        *len = strlen(specials[id]);
        return specials[id];
    }
    const word_entry *w = &t->table.entries[t->vocab[id - N_SPECIALS]];
    *len = w->len;
    return t->table.bytes + w->off;
}

/* ------------------------------------------------------------------------ */
/* Ops                                                                       */
/* ------------------------------------------------------------------------ */

static int word_create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    int64_t min_freq = params[P_MIN_FREQ].i, max_vocab = params[P_MAX_VOCAB].i;
    if (min_freq < 1 || min_freq > INT32_MAX)
        return host->set_error(host, RNNLAB_ERR_INVALID,
                               "word: min_freq = %lld, expected 1 <= min_freq <= %d",
                               (long long)min_freq, INT32_MAX);
    if (max_vocab != 0 && (max_vocab < N_SPECIALS || max_vocab > INT32_MAX))
        return host->set_error(host, RNNLAB_ERR_INVALID,
                               "word: max_vocab = %lld, expected 0 (unlimited) or %d..%d (it "
                               "counts the %d specials)",
                               (long long)max_vocab, N_SPECIALS, INT32_MAX, N_SPECIALS);
    word_tok *t = host->alloc(host, sizeof *t);
    if (!t) return host->set_error(host, RNNLAB_ERR_NOMEM, "word: out of memory");
    memset(t, 0, sizeof *t);
    t->host = host;
    t->punct = params[P_SPLIT].i == 0;
    t->lowercase = params[P_LOWERCASE].i != 0;
    t->min_freq = (uint64_t)min_freq;
    t->max_vocab = (size_t)max_vocab;
    t->n_vocab = N_SPECIALS;
    *self = t;
    return RNNLAB_OK;
}

static void word_destroy(void *self) {
    word_tok *t = self;
    if (!t) return;
    table_free(t->host, &t->table);
    t->host->free(t->host, t->vocab);
    t->host->free(t->host, t);
}

static int word_fit(void *self, const char *text, size_t len) {
    word_tok *t = self;
    const rnnlab_host *h = t->host;
    size_t pos = 0, start, n;
    while (next_token(t->punct, text, len, &pos, &start, &n)) {
        const char *s = text + start;
        if (special_id(s, n, t->lowercase) >= 0) continue;
        uint64_t hash = hash_folded(s, n, t->lowercase);
        size_t e = table_find(&t->table, s, n, hash, t->lowercase);
        if (e == NONE) e = table_add(h, &t->table, s, n, hash, t->lowercase);
        if (e == NONE)
            return h->set_error(h, RNNLAB_ERR_NOMEM, "word: out of memory after %zu words",
                                t->table.n);
        t->table.entries[e].count++;
    }
    return vocab_rebuild(t);
}

static size_t word_vocab_size(const void *self) { return ((const word_tok *)self)->n_vocab; }

static int word_encode(const void *self, const char *text, size_t len, int32_t *ids, size_t cap,
                       size_t *n_out) {
    const word_tok *t = self;
    size_t count = 0, pos = 0, start, n;
    while (next_token(t->punct, text, len, &pos, &start, &n)) {
        if (ids && count < cap) ids[count] = token_id(t, text + start, n);
        count++;
    }
    *n_out = count;
    if (ids && count > cap)
        return t->host->set_error(t->host, RNNLAB_ERR_INVALID,
                                  "word: encode needs room for %zu ids, got %zu", count, cap);
    return RNNLAB_OK;
}

static int word_decode(const void *self, const int32_t *ids, size_t n, char *out, size_t cap,
                       size_t *len_out) {
    const word_tok *t = self;
    size_t total = 0, k;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= t->n_vocab)
            return t->host->set_error(t->host, RNNLAB_ERR_INVALID,
                                      "word: id %d at position %zu is outside the vocabulary "
                                      "[0, %zu)",
                                      (int)ids[i], i, t->n_vocab);
        id_text(t, ids[i], &k);
        total += k + (i > 0);
    }
    *len_out = total;
    if (!out) return RNNLAB_OK;
    if (total + 1 > cap)
        return t->host->set_error(t->host, RNNLAB_ERR_INVALID,
                                  "word: decode needs %zu bytes with the NUL, got %zu", total + 1,
                                  cap);
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) *o++ = ' ';
        const char *s = id_text(t, ids[i], &k);
        memcpy(o, s, k);
        o += k;
    }
    *o = '\0';
    return RNNLAB_OK;
}

static const char *word_token_text(const void *self, int32_t id) {
    const word_tok *t = self;
    if (id < 0 || (size_t)id >= t->n_vocab) return NULL;
    size_t len;
    return id_text(t, id, &len);
}

/* ------------------------------------------------------------------------ */
/* Save                                                                      */
/* ------------------------------------------------------------------------ */

/* A growing output buffer; `failed` sticks after the first failed growth. */
typedef struct out_buf {
    const rnnlab_host *host;
    char *p;
    size_t len, cap;
    int failed;
} out_buf;

static void out_put(out_buf *b, const char *s, size_t n) {
    if (b->failed || array_reserve(b->host, &b->p, &b->cap, b->len + n + 1, 1)) {
        b->failed = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void out_str(out_buf *b, const char *s) { out_put(b, s, strlen(s)); }

static void out_u64(out_buf *b, uint64_t v) {
    char tmp[24];
    out_put(b, tmp, (size_t)snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v));
}

/* Writes word bytes so the state is UTF-8 without NUL (see the header). */
static void out_escaped(out_buf *b, const char *w, size_t len) {
    const unsigned char *s = (const unsigned char *)w;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq_len(s + i, len - i);
        if (s[i] == '\\') {
            out_put(b, "\\\\", 2);
        } else if (s[i] < 0x20 || s[i] == 0x7F || k == 0) {
            char tmp[5];
            snprintf(tmp, sizeof tmp, "\\x%02X", (unsigned)s[i]);
            out_put(b, tmp, 4);
            k = 1;
        } else {
            out_put(b, w + i, k);
        }
        i += k;
    }
}

static void out_word(out_buf *b, const word_table *tb, size_t entry) {
    const word_entry *w = &tb->entries[entry];
    out_u64(b, w->count);
    out_put(b, " ", 1);
    out_escaped(b, tb->bytes + w->off, w->len);
    out_put(b, "\n", 1);
}

static int word_save(const void *self, char **buf, size_t *len) {
    const word_tok *t = self;
    const rnnlab_host *h = t->host;
    rank_item *rest;
    size_t n_rest;
    if (rank_entries(h, &t->table, 0, 1, &rest, &n_rest))
        return h->set_error(h, RNNLAB_ERR_NOMEM, "word: out of memory in save");
    out_buf b = {.host = h};
    out_str(&b, SAVE_MAGIC);
    out_str(&b, t->punct ? "split punct\n" : "split whitespace\n");
    out_str(&b, t->lowercase ? "lowercase true\n" : "lowercase false\n");
    out_str(&b, "size ");
    out_u64(&b, t->n_vocab);
    out_str(&b, "\nwords ");
    out_u64(&b, t->table.n);
    out_str(&b, "\n");
    for (size_t k = 0; k + N_SPECIALS < t->n_vocab; k++) out_word(&b, &t->table, t->vocab[k]);
    for (size_t k = 0; k < n_rest; k++) out_word(&b, &t->table, rest[k].entry);
    h->free(h, rest);
    if (b.failed) {
        h->free(h, b.p);
        return h->set_error(h, RNNLAB_ERR_NOMEM, "word: out of memory in save");
    }
    *buf = b.p;
    *len = b.len;
    return RNNLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* Load                                                                      */
/* ------------------------------------------------------------------------ */

/* A cursor over the saved text, one "\n"-terminated line at a time. */
typedef struct in_lines {
    const char *buf;
    size_t len, pos;
    size_t line; /* 1-based number of the line last read */
} in_lines;

/* The next line without its "\n"; 0 if none is left complete. */
static int in_next(in_lines *in, const char **s, size_t *n) {
    const char *nl = in->pos < in->len ? memchr(in->buf + in->pos, '\n', in->len - in->pos) : NULL;
    in->line++;
    if (!nl) return 0;
    *s = in->buf + in->pos;
    *n = (size_t)(nl - *s);
    in->pos += *n + 1;
    return 1;
}

/* Parses s[0, n) as a decimal without sign or leading zeros, at most 18
 * digits (so it cannot overflow). */
static int parse_u64(const char *s, size_t n, uint64_t *v) {
    if (n == 0 || n > 18 || (n > 1 && s[0] == '0')) return 0;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return 1;
}

static int same(const char *v, size_t n, const char *lit) {
    return n == strlen(lit) && memcmp(v, lit, n) == 0;
}

/* Reads the line "<key> <value>" and gives the value. */
static int in_keyed(in_lines *in, const char *key, const char **v, size_t *vn) {
    const char *s;
    size_t n, k = strlen(key);
    if (!in_next(in, &s, &n) || n <= k || memcmp(s, key, k) != 0 || s[k] != ' ') return 0;
    *v = s + k + 1;
    *vn = n - k - 1;
    return 1;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Undoes out_escaped into out (room for n bytes); returns the length, or
 * NONE on a malformed escape. */
static size_t unescape(const char *s, size_t n, char *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            out[k++] = s[i];
        } else if (i + 1 < n && s[i + 1] == '\\') {
            out[k++] = '\\';
            i++;
        } else if (i + 3 < n && s[i + 1] == 'x' && hex_digit(s[i + 2]) >= 0 &&
                   hex_digit(s[i + 3]) >= 0) {
            out[k++] = (char)(hex_digit(s[i + 2]) * 16 + hex_digit(s[i + 3]));
            i += 3;
        } else {
            return NONE;
        }
    }
    return k;
}

/* Why w cannot be a word of this tokenizer, or NULL if it can. */
static const char *word_problem(const word_tok *t, const char *w, size_t len) {
    if (len == 0) return "is empty";
    if (special_id(w, len, 0) >= 0) return "is a special token's text";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)w[i];
        if (is_sep(c)) return "contains a whitespace or NUL byte";
        if (t->punct && is_punct(c) && len > 1)
            return "mixes punctuation into a word (split = punct)";
        if (t->lowercase && c >= 'A' && c <= 'Z') return "has A-Z letters (lowercase = true)";
    }
    return NULL;
}

/* Reads "<count> <word>" into tb; the line is in->line. */
static int load_word(word_tok *t, in_lines *in, word_table *tb, char *scratch) {
    const rnnlab_host *h = t->host;
    const char *s;
    size_t n;
    if (!in_next(in, &s, &n))
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "word: saved state line %zu: expected \"<count> <word>\", found the "
                            "end of the state",
                            in->line);
    const char *sp = memchr(s, ' ', n);
    uint64_t count;
    if (!sp || !parse_u64(s, (size_t)(sp - s), &count) || count == 0)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "word: saved state line %zu: expected \"<count> <word>\" with a "
                            "count >= 1",
                            in->line);
    size_t wlen = unescape(sp + 1, n - (size_t)(sp + 1 - s), scratch);
    if (wlen == NONE)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "word: saved state line %zu: bad escape (expected \\\\ or \\xHH)",
                            in->line);
    const char *why = word_problem(t, scratch, wlen);
    if (why)
        return h->set_error(h, RNNLAB_ERR_FORMAT, "word: saved state line %zu: the word %s",
                            in->line, why);
    uint64_t hash = hash_folded(scratch, wlen, 0);
    if (table_find(tb, scratch, wlen, hash, 0) != NONE)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "word: saved state line %zu: the word is listed twice", in->line);
    size_t e = table_add(h, tb, scratch, wlen, hash, 0);
    if (e == NONE) return h->set_error(h, RNNLAB_ERR_NOMEM, "word: out of memory in load");
    tb->entries[e].count = count;
    return RNNLAB_OK;
}

/* Checks the header lines against this instance; gives N and M. */
static int load_header(const word_tok *t, in_lines *in, uint64_t *size, uint64_t *words) {
    const rnnlab_host *h = t->host;
    const char *v;
    size_t n;
    if (in->len < sizeof SAVE_MAGIC - 1 || memcmp(in->buf, SAVE_MAGIC, sizeof SAVE_MAGIC - 1))
        return h->set_error(h, RNNLAB_ERR_FORMAT, "word: saved state line 1: expected \"word v1\"");
    in->pos = sizeof SAVE_MAGIC - 1;
    in->line = 1;
    const char *split = t->punct ? "punct" : "whitespace";
    if (!in_keyed(in, "split", &v, &n) || !(same(v, n, "punct") || same(v, n, "whitespace")))
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "word: saved state line 2: expected \"split punct\" or \"split "
                            "whitespace\"");
    if (!same(v, n, split))
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "word: saved state line 2: split = %.*s, but this tokenizer has "
                            "split = %s",
                            (int)n, v, split);
    const char *lower = t->lowercase ? "true" : "false";
    if (!in_keyed(in, "lowercase", &v, &n) || !(same(v, n, "true") || same(v, n, "false")))
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "word: saved state line 3: expected \"lowercase true\" or "
                            "\"lowercase false\"");
    if (!same(v, n, lower))
        return h->set_error(h, RNNLAB_ERR_INVALID,
                            "word: saved state line 3: lowercase = %.*s, but this tokenizer has "
                            "lowercase = %s",
                            (int)n, v, lower);
    if (!in_keyed(in, "size", &v, &n) || !parse_u64(v, n, size) || *size < N_SPECIALS ||
        *size > INT32_MAX)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "word: saved state line 4: expected \"size N\" with %d <= N <= %d",
                            N_SPECIALS, INT32_MAX);
    if (!in_keyed(in, "words", &v, &n) || !parse_u64(v, n, words) || *words < *size - N_SPECIALS ||
        *words > in->len)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "word: saved state line 5: expected \"words M\" with M >= size - %d "
                            "= %llu and one line per word",
                            N_SPECIALS, (unsigned long long)(*size - N_SPECIALS));
    return RNNLAB_OK;
}

/* Parses into a fresh table and vocabulary, and replaces the current ones
 * only when the whole state is valid. */
static int word_load(void *self, const char *buf, size_t len) {
    word_tok *t = self;
    const rnnlab_host *h = t->host;
    in_lines in = {.buf = buf, .len = len};
    uint64_t size = 0, words = 0;
    int rc = load_header(t, &in, &size, &words);
    if (rc) return rc;
    word_table tb = {0};
    size_t n_vocab = (size_t)size - N_SPECIALS;
    size_t *vocab = h->alloc(h, (n_vocab ? n_vocab : 1) * sizeof *vocab);
    char *scratch = h->alloc(h, len + 1); /* a word is never longer than the state */
    if (!vocab || !scratch) rc = h->set_error(h, RNNLAB_ERR_NOMEM, "word: out of memory in load");
    for (uint64_t k = 0; !rc && k < words; k++) {
        rc = load_word(t, &in, &tb, scratch);
        if (!rc && k < n_vocab) {
            vocab[k] = (size_t)k;
            tb.entries[k].id = (int32_t)(N_SPECIALS + k);
        }
    }
    if (!rc && in.pos != len)
        rc = h->set_error(h, RNNLAB_ERR_FORMAT,
                          "word: saved state line %zu: unexpected content after %llu words",
                          in.line + 1, (unsigned long long)words);
    h->free(h, scratch);
    if (rc) {
        table_free(h, &tb);
        h->free(h, vocab);
        return rc;
    }
    table_free(h, &t->table);
    h->free(h, t->vocab);
    t->table = tb;
    t->vocab = vocab;
    t->n_vocab = (size_t)size;
    return RNNLAB_OK;
}

static const rnnlab_tokenizer_ops ops = {
    .struct_size = sizeof(rnnlab_tokenizer_ops),
    .create = word_create,
    .destroy = word_destroy,
    .fit = word_fit,
    .vocab_size = word_vocab_size,
    .encode = word_encode,
    .decode = word_decode,
    .save = word_save,
    .load = word_load,
    .token_text = word_token_text,
};

static const rnnlab_component word_component = {
    .kind = RNNLAB_KIND_TOKENIZER,
    .name = "word",
    .version = "1.0.0",
    .description = "Whitespace/punctuation-split words by frequency; <pad> <unk> <bos> <eos> "
                   "are ids 0-3.",
    .params = word_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&word_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "word",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The word tokenizer.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
