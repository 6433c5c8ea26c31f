/* bpe -- byte-level byte-pair encoding (GPT-2 style, simpler pre-split).
 *
 * Ids 0..255 are the 256 byte values; id 256 + k is merge k, the
 * concatenation of the two earlier tokens it joins. There are no special
 * tokens: every byte string encodes, and decode(encode(x)) == x byte for
 * byte for any input, valid UTF-8 or not.
 *
 * Pre-split: merges never cross piece boundaries. Each byte is whitespace
 * (ASCII space, \t \n \v \f \r), punctuation (ASCII ispunct) or other (all
 * the rest: letters, digits, NUL, non-ASCII bytes). A piece is a run of
 * whitespace followed by a run of one other class, so "Hello, world!"
 * splits into "Hello" "," " world" "!" and a leading space stays with its
 * word, as in GPT-2. A piece longer than 64 bytes is cut every 64 bytes,
 * which bounds every token at 64 bytes and encode's work per piece.
 *
 * Encoding a piece is standard BPE: while some adjacent pair has a merge,
 * take the pair of lowest merge index and merge all its occurrences left
 * to right (non-overlapping).
 *
 * fit counts the distinct pieces of its text, encodes each with the merges
 * already learned, then repeatedly merges the most frequent adjacent pair
 * (ties: lowest left id, then lowest right id) until vocab_size tokens
 * exist or no pair occurs twice, so vocab_size is an upper bound. Pair
 * counts are updated incrementally, only in the pieces a merge touches.
 * A later fit continues from the merges so far, learning new ones from its
 * own text only (earlier texts' counts are not kept): ids handed out never
 * change. vocab_size bounds fit only; load takes the merges as saved.
 *
 * token_text gives a token's bytes NUL-terminated; they may be a partial
 * UTF-8 sequence, and id 0 (the NUL byte) displays as "".
 *
 * Saved state (ASCII, one item per line, "\n" endings):
 *     bpe v1
 *     merges K
 *     <left id> <right id>      K lines, merge k on line 3 + k making id 256 + k */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rnnlab/plugin.h"
#include "../textutil.h"

#define SAVE_MAGIC "bpe v1\n"
#define N_BYTES 256
#define MAX_PIECE 64
#define MAX_VOCAB (1 << 20)

/* The learned merges and the bytes of every token. */
typedef struct bpe_vocab {
    size_t n;              /* tokens: N_BYTES + merges */
    size_t cap;            /* of left, right, off, len */
    int32_t *left, *right; /* (cap) the pair of merge id - N_BYTES; unused below N_BYTES */
    size_t *off;           /* (cap) start of each token's bytes in text */
    uint8_t *len;          /* (cap) bytes of each token, <= MAX_PIECE */
    char *text;            /* every token's bytes, each followed by a NUL */
    size_t text_len, text_cap;
    uint64_t *keys; /* (n_slots) pair (left << 32 | right) */
    int32_t *ranks; /* (n_slots) merge index of keys[i], -1 = empty */
    size_t n_slots; /* a power of 2, at least twice the merges */
} bpe_vocab;

typedef struct bpe_tok {
    const rnnlab_host *host;
    size_t max_vocab; /* vocab_size parameter */
    bpe_vocab v;
} bpe_tok;

enum { P_VOCAB_SIZE };

static const rnnlab_param bpe_params[] = {
    [P_VOCAB_SIZE] = {.key = "vocab_size",
                      .type = RNNLAB_PARAM_INT,
                      .default_value = "1000",
                      .min = N_BYTES,
                      .max = MAX_VOCAB,
                      .help = "Most tokens fit may reach: 256 bytes plus learned merges."},
    {.key = NULL},
};

static uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t)(uint32_t)a << 32 | (uint32_t)b; }

/* splitmix64's finaliser: pair keys are far from random. */
static uint64_t mix(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* ------------------------------------------------------------------------ */
/* Vocabulary                                                                */
/* ------------------------------------------------------------------------ */

static void vocab_free(const rnnlab_host *h, bpe_vocab *v) {
    h->free(h, v->left);
    h->free(h, v->right);
    h->free(h, v->off);
    h->free(h, v->len);
    h->free(h, v->text);
    h->free(h, v->keys);
    h->free(h, v->ranks);
    memset(v, 0, sizeof *v);
}

/* Grows the four per-token arrays to hold `need` tokens together, so one
 * cap serves all; v->cap changes only when every array has grown. */
static int vocab_grow(const rnnlab_host *h, bpe_vocab *v, size_t need) {
    if (need <= v->cap) return 0;
    size_t c = v->cap ? 2 * v->cap : 2 * N_BYTES, cap;
    while (c < need) c *= 2;
    cap = v->cap;
    if (array_reserve(h, &v->left, &cap, c, sizeof *v->left)) return -1;
    cap = v->cap;
    if (array_reserve(h, &v->right, &cap, c, sizeof *v->right)) return -1;
    cap = v->cap;
    if (array_reserve(h, &v->off, &cap, c, sizeof *v->off)) return -1;
    cap = v->cap;
    if (array_reserve(h, &v->len, &cap, c, sizeof *v->len)) return -1;
    v->cap = c;
    return 0;
}

/* The 256 byte tokens and no merges. */
static int vocab_init(const rnnlab_host *h, bpe_vocab *v) {
    memset(v, 0, sizeof *v);
    v->n_slots = 64;
    v->keys = h->alloc(h, v->n_slots * sizeof *v->keys);
    v->ranks = h->alloc(h, v->n_slots * sizeof *v->ranks);
    if (!v->keys || !v->ranks || vocab_grow(h, v, N_BYTES) ||
        array_reserve(h, &v->text, &v->text_cap, 2 * N_BYTES, 1)) {
        vocab_free(h, v);
        return h->set_error(h, RNNLAB_ERR_NOMEM, "bpe: out of memory");
    }
    for (size_t i = 0; i < v->n_slots; i++) v->ranks[i] = -1;
    for (int32_t b = 0; b < N_BYTES; b++) {
        v->left[b] = v->right[b] = -1;
        v->off[b] = 2 * (size_t)b;
        v->len[b] = 1;
        v->text[2 * b] = (char)b;
        v->text[2 * b + 1] = '\0';
    }
    v->text_len = 2 * N_BYTES;
    v->n = N_BYTES;
    return RNNLAB_OK;
}

/* The merge index of the pair (a, b), or -1. */
static int32_t vocab_rank(const bpe_vocab *v, int32_t a, int32_t b) {
    uint64_t key = pair_key(a, b);
    for (size_t i = mix(key) & (v->n_slots - 1);; i = (i + 1) & (v->n_slots - 1)) {
        if (v->ranks[i] < 0) return -1;
        if (v->keys[i] == key) return v->ranks[i];
    }
}

static void slot_put(bpe_vocab *v, uint64_t key, int32_t rank) {
    size_t i = mix(key) & (v->n_slots - 1);
    while (v->ranks[i] >= 0) i = (i + 1) & (v->n_slots - 1);
    v->keys[i] = key;
    v->ranks[i] = rank;
}

/* Keeps the pair index at most half full. */
static int vocab_rehash(const rnnlab_host *h, bpe_vocab *v) {
    size_t merges = v->n - N_BYTES;
    if (2 * (merges + 1) <= v->n_slots) return 0;
    size_t n_slots = 2 * v->n_slots;
    uint64_t *keys = h->alloc(h, n_slots * sizeof *keys);
    int32_t *ranks = h->alloc(h, n_slots * sizeof *ranks);
    if (!keys || !ranks) {
        h->free(h, keys);
        h->free(h, ranks);
        return -1;
    }
    for (size_t i = 0; i < n_slots; i++) ranks[i] = -1;
    h->free(h, v->keys);
    h->free(h, v->ranks);
    v->keys = keys;
    v->ranks = ranks;
    v->n_slots = n_slots;
    for (size_t k = 0; k < merges; k++)
        slot_put(v, pair_key(v->left[N_BYTES + k], v->right[N_BYTES + k]), (int32_t)k);
    return 0;
}

/* Appends the merge (a, b) as id v->n. The caller has checked that a and b
 * are tokens, the pair is new and the result fits MAX_PIECE bytes. Leaves v
 * unchanged when out of memory. */
static int vocab_add(const rnnlab_host *h, bpe_vocab *v, int32_t a, int32_t b) {
    size_t la = v->len[a], lb = v->len[b];
    if (vocab_rehash(h, v) || vocab_grow(h, v, v->n + 1) ||
        array_reserve(h, &v->text, &v->text_cap, v->text_len + la + lb + 1, 1))
        return h->set_error(h, RNNLAB_ERR_NOMEM, "bpe: out of memory at %zu tokens", v->n);
    size_t id = v->n;
    v->left[id] = a;
    v->right[id] = b;
    v->off[id] = v->text_len;
    v->len[id] = (uint8_t)(la + lb);
    memcpy(v->text + v->text_len, v->text + v->off[a], la);
    memcpy(v->text + v->text_len + la, v->text + v->off[b], lb);
    v->text[v->text_len + la + lb] = '\0';
    v->text_len += la + lb + 1;
    slot_put(v, pair_key(a, b), (int32_t)(id - N_BYTES));
    v->n++;
    return RNNLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* Pre-split and encoding                                                    */
/* ------------------------------------------------------------------------ */

enum { CLS_SPACE, CLS_PUNCT, CLS_OTHER };

static int byte_class(unsigned char c) {
    if (c == ' ' || (c >= '\t' && c <= '\r')) return CLS_SPACE;
    if ((c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
        (c >= 0x7B && c <= 0x7E))
        return CLS_PUNCT;
    return CLS_OTHER;
}

/* The end of the piece that starts at `start` (< n). */
static size_t piece_end(const unsigned char *s, size_t n, size_t start) {
    size_t p = start + 1;
    while (p < n && p - start < MAX_PIECE) {
        int prev = byte_class(s[p - 1]);
        if (prev != CLS_SPACE && byte_class(s[p]) != prev) break;
        p++;
    }
    return p;
}

/* Replaces every non-overlapping (a, b) in syms (n), left to right, by id.
 * Returns the new length. */
static size_t merge_pair(int32_t *syms, size_t n, int32_t a, int32_t b, int32_t id) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && syms[i] == a && syms[i + 1] == b) {
            syms[w++] = id;
            i++;
        } else {
            syms[w++] = syms[i];
        }
    }
    return w;
}

/* Encodes one piece (n <= MAX_PIECE bytes) into syms; returns the count. */
static size_t encode_piece(const bpe_vocab *v, const unsigned char *s, size_t n, int32_t *syms) {
    for (size_t i = 0; i < n; i++) syms[i] = s[i];
    while (n >= 2) {
        int32_t best = -1;
        for (size_t i = 0; i + 1 < n; i++) {
            int32_t r = vocab_rank(v, syms[i], syms[i + 1]);
            if (r >= 0 && (best < 0 || r < best)) best = r;
        }
        if (best < 0) break;
        int32_t id = N_BYTES + best;
        n = merge_pair(syms, n, v->left[id], v->right[id], id);
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Training                                                                  */
/* ------------------------------------------------------------------------ */

/* A distinct piece of the training text. */
typedef struct train_piece {
    uint64_t hash;
    size_t off; /* into the text */
    size_t len;
    int64_t freq;
} train_piece;

/* A distinct piece as a symbol sequence, at syms[off, off + len). */
typedef struct train_word {
    size_t off, len;
    int64_t freq;
    uint32_t stamp; /* the last merge step that visited it */
} train_word;

/* An adjacent pair with its total count over all words and the head of the
 * list of words it may occur in (entries go stale; they are checked). */
typedef struct train_pair {
    int32_t a, b;
    int64_t count;
    int64_t before; /* count when this step first touched it */
    uint32_t stamp; /* the last step that touched it */
    int32_t head;   /* first node, -1 = none */
} train_pair;

typedef struct train_node {
    int32_t word, next;
} train_node;

/* A heap entry: the pair's count when pushed. */
typedef struct train_heap_item {
    int64_t count;
    int32_t a, b, pair;
} train_heap_item;

typedef struct train {
    const rnnlab_host *host;
    train_piece *pieces;
    size_t n_pieces, cap_pieces;
    size_t *piece_slots; /* piece index + 1, 0 = empty */
    size_t n_piece_slots;
    train_word *words;
    size_t n_words, cap_words;
    int32_t *syms;
    size_t n_syms, cap_syms;
    train_pair *pairs;
    size_t n_pairs, cap_pairs;
    int32_t *pair_slots; /* pair index, -1 = empty */
    size_t n_pair_slots;
    train_node *nodes;
    size_t n_nodes, cap_nodes;
    train_heap_item *heap;
    size_t n_heap, cap_heap;
    int32_t *changed; /* pairs touched in this step */
    size_t n_changed, cap_changed;
    uint32_t step;
} train;

static void train_free(train *tr) {
    const rnnlab_host *h = tr->host;
    h->free(h, tr->pieces);
    h->free(h, tr->piece_slots);
    h->free(h, tr->words);
    h->free(h, tr->syms);
    h->free(h, tr->pairs);
    h->free(h, tr->pair_slots);
    h->free(h, tr->nodes);
    h->free(h, tr->heap);
    h->free(h, tr->changed);
}

static uint64_t hash_bytes(const unsigned char *s, size_t n) {
    uint64_t h = 0xCBF29CE484222325ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001B3ull;
    return h;
}

static int piece_rehash(train *tr) {
    if (tr->n_piece_slots && 2 * (tr->n_pieces + 1) <= tr->n_piece_slots) return 0;
    size_t n = tr->n_piece_slots ? 2 * tr->n_piece_slots : 1024;
    size_t *slots = tr->host->alloc(tr->host, n * sizeof *slots);
    if (!slots) return -1;
    memset(slots, 0, n * sizeof *slots);
    for (size_t p = 0; p < tr->n_pieces; p++) {
        size_t i = tr->pieces[p].hash & (n - 1);
        while (slots[i]) i = (i + 1) & (n - 1);
        slots[i] = p + 1;
    }
    tr->host->free(tr->host, tr->piece_slots);
    tr->piece_slots = slots;
    tr->n_piece_slots = n;
    return 0;
}

/* Counts the distinct pieces of text. */
static int train_pieces(train *tr, const unsigned char *text, size_t len) {
    for (size_t start = 0; start < len;) {
        size_t end = piece_end(text, len, start), n = end - start;
        uint64_t hash = hash_bytes(text + start, n);
        if (piece_rehash(tr)) return -1;
        size_t i = hash & (tr->n_piece_slots - 1);
        for (; tr->piece_slots[i]; i = (i + 1) & (tr->n_piece_slots - 1)) {
            train_piece *p = &tr->pieces[tr->piece_slots[i] - 1];
            if (p->hash == hash && p->len == n && memcmp(text + p->off, text + start, n) == 0)
                break;
        }
        if (tr->piece_slots[i]) {
            tr->pieces[tr->piece_slots[i] - 1].freq++;
        } else {
            if (array_reserve(tr->host, &tr->pieces, &tr->cap_pieces, tr->n_pieces + 1,
                              sizeof *tr->pieces))
                return -1;
            tr->pieces[tr->n_pieces] = (train_piece){hash, start, n, 1};
            tr->piece_slots[i] = ++tr->n_pieces;
        }
        start = end;
    }
    return 0;
}

/* Encodes each distinct piece with the merges so far; keeps those with at
 * least one pair as words. */
static int train_words(train *tr, const bpe_vocab *v, const unsigned char *text) {
    int32_t syms[MAX_PIECE];
    for (size_t p = 0; p < tr->n_pieces; p++) {
        const train_piece *pc = &tr->pieces[p];
        size_t n = encode_piece(v, text + pc->off, pc->len, syms);
        if (n < 2) continue;
        if (array_reserve(tr->host, &tr->words, &tr->cap_words, tr->n_words + 1,
                          sizeof *tr->words) ||
            array_reserve(tr->host, &tr->syms, &tr->cap_syms, tr->n_syms + n, sizeof *tr->syms))
            return -1;
        memcpy(tr->syms + tr->n_syms, syms, n * sizeof *syms);
        tr->words[tr->n_words++] = (train_word){tr->n_syms, n, pc->freq, 0};
        tr->n_syms += n;
    }
    return 0;
}

/* Doubles the pair index when adding one more pair would fill it past half. */
static int pair_rehash(train *tr) {
    if (2 * (tr->n_pairs + 1) <= tr->n_pair_slots) return 0;
    size_t n = 2 * tr->n_pair_slots;
    int32_t *slots = tr->host->alloc(tr->host, n * sizeof *slots);
    if (!slots) return -1;
    for (size_t k = 0; k < n; k++) slots[k] = -1;
    for (size_t q = 0; q < tr->n_pairs; q++) {
        size_t j = mix(pair_key(tr->pairs[q].a, tr->pairs[q].b)) & (n - 1);
        while (slots[j] >= 0) j = (j + 1) & (n - 1);
        slots[j] = (int32_t)q;
    }
    tr->host->free(tr->host, tr->pair_slots);
    tr->pair_slots = slots;
    tr->n_pair_slots = n;
    return 0;
}

/* The pair index of (a, b), adding it with count 0 if `add`; -1 if absent
 * or out of memory. */
static int32_t pair_get(train *tr, int32_t a, int32_t b, int add) {
    if (add && (pair_rehash(tr) || array_reserve(tr->host, &tr->pairs, &tr->cap_pairs,
                                                 tr->n_pairs + 1, sizeof *tr->pairs)))
        return -1;
    uint64_t key = pair_key(a, b);
    size_t mask = tr->n_pair_slots - 1, i = mix(key) & mask;
    for (; tr->pair_slots[i] >= 0; i = (i + 1) & mask) {
        const train_pair *p = &tr->pairs[tr->pair_slots[i]];
        if (p->a == a && p->b == b) return tr->pair_slots[i];
    }
    if (!add) return -1;
    tr->pairs[tr->n_pairs] = (train_pair){a, b, 0, 0, 0, -1};
    tr->pair_slots[i] = (int32_t)tr->n_pairs;
    return (int32_t)tr->n_pairs++;
}

/* Adds delta to a pair's count, remembering its count before this step. */
static int pair_bump(train *tr, int32_t p, int64_t delta) {
    train_pair *pp = &tr->pairs[p];
    if (pp->stamp != tr->step) {
        if (array_reserve(tr->host, &tr->changed, &tr->cap_changed, tr->n_changed + 1,
                          sizeof *tr->changed))
            return -1;
        pp->stamp = tr->step;
        pp->before = pp->count;
        tr->changed[tr->n_changed++] = p;
    }
    pp->count += delta;
    return 0;
}

/* Records that word w may contain pair p (once per word in a row). */
static int pair_link(train *tr, int32_t p, int32_t w) {
    train_pair *pp = &tr->pairs[p];
    if (pp->head >= 0 && tr->nodes[pp->head].word == w) return 0;
    if (array_reserve(tr->host, &tr->nodes, &tr->cap_nodes, tr->n_nodes + 1, sizeof *tr->nodes))
        return -1;
    tr->nodes[tr->n_nodes] = (train_node){w, pp->head};
    tr->pairs[p].head = (int32_t)tr->n_nodes++;
    return 0;
}

/* Adds sign * freq of word w to the count of each of its adjacent pairs.
 * When adding, links w to the pairs that contain `fresh` (every pair if
 * fresh < 0, for the first count). */
static int word_pairs(train *tr, int32_t w, int sign, int32_t fresh) {
    const train_word *wd = &tr->words[w];
    const int32_t *s = tr->syms + wd->off;
    int64_t delta = sign * wd->freq;
    for (size_t i = 0; i + 1 < wd->len; i++) {
        int32_t p = pair_get(tr, s[i], s[i + 1], sign > 0);
        if (p < 0 || pair_bump(tr, p, delta)) return -1; /* a pair being removed always exists */
        int link = sign > 0 && (fresh < 0 || s[i] == fresh || s[i + 1] == fresh);
        if (link && pair_link(tr, p, w)) return -1;
    }
    return 0;
}

/* Does item x come out of the heap before y? More count, then lower ids. */
static int heap_before(const train_heap_item *x, const train_heap_item *y) {
    if (x->count != y->count) return x->count > y->count;
    if (x->a != y->a) return x->a < y->a;
    return x->b < y->b;
}

static int heap_push(train *tr, int32_t p) {
    if (array_reserve(tr->host, &tr->heap, &tr->cap_heap, tr->n_heap + 1, sizeof *tr->heap))
        return -1;
    train_heap_item it = {tr->pairs[p].count, tr->pairs[p].a, tr->pairs[p].b, p};
    size_t i = tr->n_heap++;
    while (i > 0 && heap_before(&it, &tr->heap[(i - 1) / 2])) {
        tr->heap[i] = tr->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    tr->heap[i] = it;
    return 0;
}

static train_heap_item heap_pop(train *tr) {
    train_heap_item top = tr->heap[0], last = tr->heap[--tr->n_heap];
    size_t i = 0, n = tr->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap_before(&tr->heap[c + 1], &tr->heap[c])) c++;
        if (!heap_before(&tr->heap[c], &last)) break;
        tr->heap[i] = tr->heap[c];
        i = c;
    }
    if (n) tr->heap[i] = last;
    return top;
}

/* The pair to merge next, or -1 if no pair occurs twice. Entries are
 * pushed when a count grows; one whose count has since dropped is pushed
 * again with the current count, so the first entry that matches its
 * pair's count is the true best. */
static int32_t heap_best(train *tr, int *oom) {
    while (tr->n_heap) {
        train_heap_item it = heap_pop(tr);
        int64_t now = tr->pairs[it.pair].count;
        if (now == it.count) return it.pair;
        if (now < it.count && now >= 2 && heap_push(tr, it.pair)) {
            *oom = 1;
            return -1;
        }
    }
    return -1;
}

/* Counts every pair of every word and fills the heap. */
static int train_count(train *tr) {
    tr->n_pair_slots = 1024;
    tr->pair_slots = tr->host->alloc(tr->host, tr->n_pair_slots * sizeof *tr->pair_slots);
    if (!tr->pair_slots) return -1;
    for (size_t i = 0; i < tr->n_pair_slots; i++) tr->pair_slots[i] = -1;
    for (size_t w = 0; w < tr->n_words; w++)
        if (word_pairs(tr, (int32_t)w, +1, -1)) return -1;
    for (size_t p = 0; p < tr->n_pairs; p++)
        if (tr->pairs[p].count >= 2 && heap_push(tr, (int32_t)p)) return -1;
    tr->n_changed = 0;
    return 0;
}

/* Merges pair p into the new token id in every word holding it, moving
 * the word's pair counts from the old symbols to the new. */
static int train_apply(train *tr, int32_t p, int32_t id) {
    const int32_t a = tr->pairs[p].a, b = tr->pairs[p].b;
    tr->step++;
    for (int32_t nd = tr->pairs[p].head; nd >= 0; nd = tr->nodes[nd].next) {
        int32_t w = tr->nodes[nd].word;
        train_word *wd = &tr->words[w];
        if (wd->stamp == tr->step) continue;
        wd->stamp = tr->step;
        int32_t *s = tr->syms + wd->off;
        size_t i = 0;
        while (i + 1 < wd->len && !(s[i] == a && s[i + 1] == b)) i++;
        if (i + 1 >= wd->len) continue; /* a stale entry */
        if (word_pairs(tr, w, -1, id)) return -1;
        wd->len = merge_pair(s, wd->len, a, b, id);
        if (word_pairs(tr, w, +1, id)) return -1;
    }
    tr->pairs[p].head = -1;
    for (size_t k = 0; k < tr->n_changed; k++) {
        const train_pair *q = &tr->pairs[tr->changed[k]];
        if (q->count > q->before && q->count >= 2 && heap_push(tr, tr->changed[k])) return -1;
    }
    tr->n_changed = 0;
    return 0;
}

/* Learns merges until the vocabulary is full or no pair repeats. */
static int train_loop(train *tr, bpe_tok *t) {
    const rnnlab_host *h = t->host;
    while (t->v.n < t->max_vocab) {
        int oom = 0;
        int32_t p = heap_best(tr, &oom);
        if (oom) return h->set_error(h, RNNLAB_ERR_NOMEM, "bpe: out of memory in fit");
        if (p < 0) break;
        int rc = vocab_add(h, &t->v, tr->pairs[p].a, tr->pairs[p].b);
        if (rc) return rc;
        if (train_apply(tr, p, (int32_t)(t->v.n - 1)))
            return h->set_error(h, RNNLAB_ERR_NOMEM, "bpe: out of memory in fit");
    }
    return RNNLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* Ops                                                                       */
/* ------------------------------------------------------------------------ */

static int bpe_create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    int64_t vs = params[P_VOCAB_SIZE].i;
    if (vs < N_BYTES || vs > MAX_VOCAB)
        return host->set_error(host, RNNLAB_ERR_INVALID,
                               "bpe: vocab_size = %lld, expected %d <= vocab_size <= %d",
                               (long long)vs, N_BYTES, MAX_VOCAB);
    bpe_tok *t = host->alloc(host, sizeof *t);
    if (!t) return host->set_error(host, RNNLAB_ERR_NOMEM, "bpe: out of memory");
    t->host = host;
    t->max_vocab = (size_t)vs;
    int rc = vocab_init(host, &t->v);
    if (rc) {
        host->free(host, t);
        return rc;
    }
    *self = t;
    return RNNLAB_OK;
}

static void bpe_destroy(void *self) {
    bpe_tok *t = self;
    if (!t) return;
    vocab_free(t->host, &t->v);
    t->host->free(t->host, t);
}

static int bpe_fit(void *self, const char *text, size_t len) {
    bpe_tok *t = self;
    const rnnlab_host *h = t->host;
    if (t->v.n >= t->max_vocab) return RNNLAB_OK;
    const unsigned char *s = (const unsigned char *)text;
    train tr = {.host = h};
    int rc = RNNLAB_OK;
    if (train_pieces(&tr, s, len) || train_words(&tr, &t->v, s) || train_count(&tr))
        rc = h->set_error(h, RNNLAB_ERR_NOMEM, "bpe: out of memory counting %zu bytes in fit", len);
    else
        rc = train_loop(&tr, t);
    train_free(&tr);
    return rc;
}

static size_t bpe_vocab_size(const void *self) { return ((const bpe_tok *)self)->v.n; }

static int bpe_encode(const void *self, const char *text, size_t len, int32_t *ids, size_t cap,
                      size_t *n_out) {
    const bpe_tok *t = self;
    const unsigned char *s = (const unsigned char *)text;
    int32_t syms[MAX_PIECE];
    size_t count = 0;
    for (size_t start = 0; start < len;) {
        size_t end = piece_end(s, len, start);
        size_t k = encode_piece(&t->v, s + start, end - start, syms);
        for (size_t j = 0; j < k; j++, count++)
            if (ids && count < cap) ids[count] = syms[j];
        start = end;
    }
    *n_out = count;
    if (ids && count > cap)
        return t->host->set_error(t->host, RNNLAB_ERR_INVALID,
                                  "bpe: encode needs room for %zu ids, got %zu", count, cap);
    return RNNLAB_OK;
}

static int bpe_decode(const void *self, const int32_t *ids, size_t n, char *out, size_t cap,
                      size_t *len_out) {
    const bpe_tok *t = self;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= t->v.n)
            return t->host->set_error(t->host, RNNLAB_ERR_INVALID,
                                      "bpe: id %d at position %zu is outside the vocabulary "
                                      "[0, %zu)",
                                      (int)ids[i], i, t->v.n);
        total += t->v.len[ids[i]];
    }
    *len_out = total;
    if (!out) return RNNLAB_OK;
    if (total + 1 > cap)
        return t->host->set_error(t->host, RNNLAB_ERR_INVALID,
                                  "bpe: decode needs %zu bytes with the NUL, got %zu", total + 1,
                                  cap);
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        memcpy(o, t->v.text + t->v.off[ids[i]], t->v.len[ids[i]]);
        o += t->v.len[ids[i]];
    }
    *o = '\0';
    return RNNLAB_OK;
}

static const char *bpe_token_text(const void *self, int32_t id) {
    const bpe_tok *t = self;
    if (id < 0 || (size_t)id >= t->v.n) return NULL;
    return t->v.text + t->v.off[id];
}

static int bpe_save(const void *self, char **buf, size_t *len) {
    const bpe_tok *t = self;
    const rnnlab_host *h = t->host;
    size_t merges = t->v.n - N_BYTES;
    size_t cap = 64 + 16 * merges; /* "1048575 1048575\n" is the longest line */
    char *b = h->alloc(h, cap);
    if (!b) return h->set_error(h, RNNLAB_ERR_NOMEM, "bpe: out of memory in save");
    size_t k = (size_t)snprintf(b, cap, SAVE_MAGIC "merges %zu\n", merges);
    for (size_t id = N_BYTES; id < t->v.n; id++)
        k += (size_t)snprintf(b + k, cap - k, "%d %d\n", (int)t->v.left[id], (int)t->v.right[id]);
    *buf = b;
    *len = k;
    return RNNLAB_OK;
}

/* Parses a decimal of 1..7 digits without sign or leading zeros ending
 * at `stop` at buf[*pos]; advances *pos past the stop byte. */
static int parse_number(const char *buf, size_t len, size_t *pos, char stop, long *value) {
    size_t p = *pos;
    long v = 0;
    while (p < len && p - *pos < 8 && buf[p] >= '0' && buf[p] <= '9') v = v * 10 + (buf[p++] - '0');
    size_t digits = p - *pos;
    if (digits == 0 || digits > 7 || (digits > 1 && buf[*pos] == '0') || p >= len || buf[p] != stop)
        return 0;
    *pos = p + 1;
    *value = v;
    return 1;
}

/* Reads merge k (line 3 + k) into v, checking what save guarantees. */
static int load_merge(const rnnlab_host *h, bpe_vocab *v, const char *buf, size_t len, size_t *pos,
                      size_t k, size_t merges) {
    size_t line = 3 + k, id = N_BYTES + k;
    long a, b;
    if (*pos >= len)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "bpe: saved state line %zu: expected merge %zu of %zu, found the end "
                            "of the state",
                            line, k + 1, merges);
    if (!parse_number(buf, len, pos, ' ', &a) || !parse_number(buf, len, pos, '\n', &b))
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "bpe: saved state line %zu: expected \"<left id> <right id>\" "
                            "(decimal)",
                            line);
    long bad = (size_t)a >= id ? a : (size_t)b >= id ? b : -1;
    if (bad >= 0)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "bpe: saved state line %zu: merge %zu references unknown id %ld "
                            "(ids so far are 0..%zu)",
                            line, id, bad, id - 1);
    int32_t dup = vocab_rank(v, (int32_t)a, (int32_t)b);
    if (dup >= 0)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "bpe: saved state line %zu: merge %zu repeats the pair (%ld, %ld) of "
                            "merge %d",
                            line, id, a, b, N_BYTES + dup);
    if ((size_t)v->len[a] + v->len[b] > MAX_PIECE)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "bpe: saved state line %zu: merge %zu makes a token of %d bytes, "
                            "longer than the %d-byte piece limit",
                            line, id, v->len[a] + v->len[b], MAX_PIECE);
    return vocab_add(h, v, (int32_t)a, (int32_t)b);
}

/* Builds a fresh vocabulary and replaces the current one only when the
 * whole state is valid. */
static int bpe_load(void *self, const char *buf, size_t len) {
    bpe_tok *t = self;
    const rnnlab_host *h = t->host;
    size_t pos = sizeof SAVE_MAGIC - 1;
    if (len < pos || memcmp(buf, SAVE_MAGIC, pos) != 0)
        return h->set_error(h, RNNLAB_ERR_FORMAT, "bpe: saved state line 1: expected \"bpe v1\"");
    long merges = 0;
    int ok = len - pos >= 7 && memcmp(buf + pos, "merges ", 7) == 0;
    if (ok) {
        pos += 7;
        ok = parse_number(buf, len, &pos, '\n', &merges) && merges <= MAX_VOCAB - N_BYTES;
    }
    if (!ok)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "bpe: saved state line 2: expected \"merges K\" with 0 <= K <= %d",
                            MAX_VOCAB - N_BYTES);
    bpe_vocab v;
    int rc = vocab_init(h, &v);
    for (size_t k = 0; !rc && k < (size_t)merges; k++)
        rc = load_merge(h, &v, buf, len, &pos, k, (size_t)merges);
    if (!rc && pos != len)
        rc = h->set_error(h, RNNLAB_ERR_FORMAT,
                          "bpe: saved state line %ld: unexpected content after %ld merges",
                          merges + 3, merges);
    if (rc) {
        vocab_free(h, &v);
        return rc;
    }
    vocab_free(h, &t->v);
    t->v = v;
    return RNNLAB_OK;
}

static const rnnlab_tokenizer_ops ops = {
    .struct_size = sizeof(rnnlab_tokenizer_ops),
    .create = bpe_create,
    .destroy = bpe_destroy,
    .fit = bpe_fit,
    .vocab_size = bpe_vocab_size,
    .encode = bpe_encode,
    .decode = bpe_decode,
    .save = bpe_save,
    .load = bpe_load,
    .token_text = bpe_token_text,
};

static const rnnlab_component bpe_component = {
    .kind = RNNLAB_KIND_TOKENIZER,
    .name = "bpe",
    .version = "1.0.0",
    .description = "Byte-level BPE: 256 byte ids plus learned merges; byte-exact round trip.",
    .params = bpe_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&bpe_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "bpe",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The byte-level BPE tokenizer.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
