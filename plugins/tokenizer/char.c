/* char -- one token per Unicode code point.
 *
 * Text is decoded as strict UTF-8 (Unicode 15, table 3-7): overlong forms,
 * surrogates, code points above U+10FFFF and truncated sequences are all
 * ill-formed. With on_invalid = error they stop the call with the byte
 * offset; with on_invalid = replace each maximal ill-formed subpart becomes
 * one U+FFFD, as Python's errors="replace" does.
 *
 * Vocabulary: id 0 is "<unk>" (any character not seen by fit; it decodes to
 * U+FFFD). A first fit gives ids 1.. to the seen code points in ascending
 * order. A later fit appends the code points it newly sees, again in
 * ascending order, so ids already handed out never change.
 *
 * Saved state (ASCII, one item per line, "\n" endings):
 *     char v1
 *     size N              N = vocab_size, including <unk>
 *     <code point of id 1, decimal>
 *     ...
 *     <code point of id N-1>                                               */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rnnlab/plugin.h"

#define CP_LIMIT 0x110000u /* one past the last code point */
#define CP_REPLACEMENT 0xFFFDu
#define SAVE_MAGIC "char v1\n"

/* One vocabulary entry, indexed by id. */
typedef struct tok_entry {
    uint32_t cp;
    uint8_t len;  /* bytes of UTF-8 in text (excluding the NUL) */
    char text[7]; /* NUL-terminated UTF-8; "<unk>" for id 0 */
} tok_entry;

/* A code point and its id, for lookup by binary search. */
typedef struct tok_index {
    uint32_t cp;
    int32_t id;
} tok_index;

typedef struct char_tok {
    const rnnlab_host *host;
    int replace;        /* on_invalid = replace */
    size_t n;           /* vocab_size, <unk> included */
    tok_entry *entries; /* (n) by id */
    tok_index *index;   /* (n - 1) sorted by cp: ids 1..n-1 */
    int32_t ascii[128]; /* id of each ASCII code point, 0 if unseen: the common case */
} char_tok;

static const char *const on_invalid_choices[] = {"error", "replace", NULL};

static const rnnlab_param char_params[] = {
    {.key = "on_invalid",
     .type = RNNLAB_PARAM_ENUM,
     .default_value = "error",
     .choices = on_invalid_choices,
     .help = "Invalid UTF-8: error stops with the byte offset, replace reads it as U+FFFD."},
    {.key = NULL},
};

/* ------------------------------------------------------------------------ */
/* UTF-8                                                                     */
/* ------------------------------------------------------------------------ */

/* Decodes the code point at s (len >= 1 bytes available). Returns the bytes
 * consumed: the whole sequence with *ok = 1, or the maximal ill-formed
 * subpart (at least 1 byte) with *ok = 0. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp, int *ok) {
    unsigned char c = s[0];
    *ok = 0;
    if (c < 0x80) {
        *cp = c;
        *ok = 1;
        return 1;
    }
    size_t need;
    uint32_t v;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, v = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, v = c & 0x0Fu;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, v = c & 0x07u;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 1; /* continuation byte, C0, C1 or F5..FF */
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= len || s[k] < lo || s[k] > hi) return k;
        lo = 0x80, hi = 0xBF;
        v = (v << 6) | (s[k] & 0x3Fu);
    }
    *cp = v;
    *ok = 1;
    return need + 1;
}

/* Writes the UTF-8 of a valid code point to out (4 bytes of room); returns
 * the byte count. */
static size_t utf8_put(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static int cp_valid(uint32_t cp) { return cp < CP_LIMIT && (cp < 0xD800 || cp > 0xDFFF); }

/* Reads the next code point of text for fit and encode, applying the
 * on_invalid policy. Returns the bytes consumed, or 0 after set_error. */
static size_t tok_read(const char_tok *t, const char *text, size_t len, size_t pos, uint32_t *cp) {
    int ok;
    size_t k = utf8_next((const unsigned char *)text + pos, len - pos, cp, &ok);
    if (ok) return k;
    if (!t->replace) {
        t->host->set_error(t->host, RNNLAB_ERR_INVALID,
                           "char: invalid UTF-8 at byte offset %zu (byte 0x%02X)", pos,
                           (unsigned)(unsigned char)text[pos]);
        return 0;
    }
    *cp = CP_REPLACEMENT;
    return k;
}

/* ------------------------------------------------------------------------ */
/* Vocabulary                                                                */
/* ------------------------------------------------------------------------ */

static int index_cmp(const void *a, const void *b) {
    uint32_t x = ((const tok_index *)a)->cp, y = ((const tok_index *)b)->cp;
    return (x > y) - (x < y);
}

static void entry_set(tok_entry *e, uint32_t cp) {
    memset(e, 0, sizeof *e);
    e->cp = cp;
    e->len = (uint8_t)utf8_put(cp, e->text);
}

/* Builds a vocabulary from the code points of ids 1..n-1 (cps, n - 1 of
 * them) into fresh arrays, then replaces t's. Rejects duplicates, which
 * only a malformed saved state can hold. */
static int vocab_install(char_tok *t, const uint32_t *cps, size_t n) {
    const rnnlab_host *h = t->host;
    tok_entry *entries = h->alloc(h, n * sizeof *entries);
    tok_index *index = h->alloc(h, n * sizeof *index); /* n >= 1 keeps the size nonzero */
    if (!entries || !index) {
        h->free(h, entries);
        h->free(h, index);
        return h->set_error(h, RNNLAB_ERR_NOMEM, "char: out of memory for %zu tokens", n);
    }
    memset(&entries[0], 0, sizeof entries[0]);
    entries[0].cp = CP_REPLACEMENT;
    entries[0].len = 5;
    memcpy(entries[0].text, "<unk>", 6);
    for (size_t id = 1; id < n; id++) {
        entry_set(&entries[id], cps[id - 1]);
        index[id - 1] = (tok_index){cps[id - 1], (int32_t)id};
    }
    qsort(index, n - 1, sizeof *index, index_cmp);
    for (size_t i = 1; i + 1 < n; i++)
        if (index[i].cp == index[i - 1].cp) {
            uint32_t dup = index[i].cp;
            h->free(h, entries);
            h->free(h, index);
            return h->set_error(h, RNNLAB_ERR_FORMAT, "char: saved state lists code point %u twice",
                                (unsigned)dup);
        }
    h->free(h, t->entries);
    h->free(h, t->index);
    t->entries = entries;
    t->index = index;
    t->n = n;
    memset(t->ascii, 0, sizeof t->ascii);
    for (size_t id = 1; id < n; id++)
        if (entries[id].cp < 128) t->ascii[entries[id].cp] = (int32_t)id;
    return RNNLAB_OK;
}

/* The id of cp, 0 (<unk>) if unseen. */
static int32_t vocab_lookup(const char_tok *t, uint32_t cp) {
    if (cp < 128) return t->ascii[cp];
    size_t lo = 0, hi = t->n - 1; /* search index[lo, hi) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->index[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n - 1 && t->index[lo].cp == cp ? t->index[lo].id : 0;
}

/* ------------------------------------------------------------------------ */
/* Ops                                                                       */
/* ------------------------------------------------------------------------ */

static int char_create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    char_tok *t = host->alloc(host, sizeof *t);
    if (!t) return host->set_error(host, RNNLAB_ERR_NOMEM, "char: out of memory");
    memset(t, 0, sizeof *t);
    t->host = host;
    t->replace = params[0].i == 1;
    int rc = vocab_install(t, NULL, 1);
    if (rc) {
        host->free(host, t);
        return rc;
    }
    *self = t;
    return RNNLAB_OK;
}

static void char_destroy(void *self) {
    char_tok *t = self;
    if (!t) return;
    t->host->free(t->host, t->entries);
    t->host->free(t->host, t->index);
    t->host->free(t->host, t);
}

/* Marks every code point of the text in a bitmap, unmarks the known ones,
 * and appends what is left in ascending order. */
static int char_fit(void *self, const char *text, size_t len) {
    char_tok *t = self;
    const rnnlab_host *h = t->host;
    uint64_t *seen = h->alloc(h, CP_LIMIT / 8);
    if (!seen) return h->set_error(h, RNNLAB_ERR_NOMEM, "char: out of memory in fit");
    memset(seen, 0, CP_LIMIT / 8);
    for (size_t pos = 0; pos < len;) {
        uint32_t cp;
        size_t k = tok_read(t, text, len, pos, &cp);
        if (!k) {
            h->free(h, seen);
            return RNNLAB_ERR_INVALID;
        }
        seen[cp >> 6] |= 1ull << (cp & 63);
        pos += k;
    }
    for (size_t id = 1; id < t->n; id++)
        seen[t->entries[id].cp >> 6] &= ~(1ull << (t->entries[id].cp & 63));
    size_t fresh = 0;
    for (size_t w = 0; w < CP_LIMIT / 64; w++)
        for (uint64_t bits = seen[w]; bits; bits &= bits - 1) fresh++;
    if (fresh == 0) {
        h->free(h, seen);
        return RNNLAB_OK;
    }
    size_t n = t->n + fresh;
    uint32_t *cps = h->alloc(h, (n - 1) * sizeof *cps);
    if (!cps) {
        h->free(h, seen);
        return h->set_error(h, RNNLAB_ERR_NOMEM, "char: out of memory for %zu tokens", n);
    }
    for (size_t id = 1; id < t->n; id++) cps[id - 1] = t->entries[id].cp;
    size_t k = t->n - 1;
    for (uint32_t w = 0; w < CP_LIMIT / 64; w++) /* ascending: words, then bits */
        for (uint32_t b = 0; seen[w] && b < 64; b++)
            if (seen[w] >> b & 1) cps[k++] = w * 64 + b;
    h->free(h, seen);
    int rc = vocab_install(t, cps, n);
    h->free(h, cps);
    return rc;
}

static size_t char_vocab_size(const void *self) { return ((const char_tok *)self)->n; }

static int char_encode(const void *self, const char *text, size_t len, int32_t *ids, size_t cap,
                       size_t *n_out) {
    const char_tok *t = self;
    size_t count = 0;
    for (size_t pos = 0; pos < len;) {
        uint32_t cp;
        size_t k = tok_read(t, text, len, pos, &cp);
        if (!k) return RNNLAB_ERR_INVALID;
        if (ids && count < cap) ids[count] = vocab_lookup(t, cp);
        count++;
        pos += k;
    }
    *n_out = count;
    if (ids && count > cap)
        return t->host->set_error(t->host, RNNLAB_ERR_INVALID,
                                  "char: encode needs room for %zu ids, got %zu", count, cap);
    return RNNLAB_OK;
}

static const char replacement_utf8[] = "\xEF\xBF\xBD";

static int char_decode(const void *self, const int32_t *ids, size_t n, char *out, size_t cap,
                       size_t *len_out) {
    const char_tok *t = self;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= t->n)
            return t->host->set_error(t->host, RNNLAB_ERR_INVALID,
                                      "char: id %d at position %zu is outside the vocabulary "
                                      "[0, %zu)",
                                      (int)ids[i], i, t->n);
        total += ids[i] == 0 ? 3 : t->entries[ids[i]].len;
    }
    *len_out = total;
    if (!out) return RNNLAB_OK;
    if (total + 1 > cap)
        return t->host->set_error(t->host, RNNLAB_ERR_INVALID,
                                  "char: decode needs %zu bytes with the NUL, got %zu", total + 1,
                                  cap);
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        const char *src = ids[i] == 0 ? replacement_utf8 : t->entries[ids[i]].text;
        size_t k = ids[i] == 0 ? 3 : t->entries[ids[i]].len;
        memcpy(o, src, k);
        o += k;
    }
    *o = '\0';
    return RNNLAB_OK;
}

static int char_save(const void *self, char **buf, size_t *len) {
    const char_tok *t = self;
    const rnnlab_host *h = t->host;
    size_t cap = 64 + 8 * t->n; /* "1114111\n" is the longest line */
    char *b = h->alloc(h, cap);
    if (!b) return h->set_error(h, RNNLAB_ERR_NOMEM, "char: out of memory in save");
    size_t k = (size_t)snprintf(b, cap, SAVE_MAGIC "size %zu\n", t->n);
    for (size_t id = 1; id < t->n; id++)
        k += (size_t)snprintf(b + k, cap - k, "%u\n", (unsigned)t->entries[id].cp);
    *buf = b;
    *len = k;
    return RNNLAB_OK;
}

/* Parses a decimal number of at most `digits` digits ending in "\n" at
 * buf[*pos]; no sign, no leading zeros. Returns 1 and advances *pos. */
static int parse_line_number(const char *buf, size_t len, size_t *pos, int digits,
                             unsigned long *value) {
    size_t p = *pos;
    unsigned long v = 0;
    int k = 0;
    while (p < len && buf[p] >= '0' && buf[p] <= '9' && k <= digits) {
        v = v * 10 + (unsigned long)(buf[p] - '0');
        p++, k++;
    }
    if (k == 0 || k > digits || (k > 1 && buf[*pos] == '0') || p >= len || buf[p] != '\n') return 0;
    *pos = p + 1;
    *value = v;
    return 1;
}

static int char_load(void *self, const char *buf, size_t len) {
    char_tok *t = self;
    const rnnlab_host *h = t->host;
    size_t pos = sizeof SAVE_MAGIC - 1;
    if (len < pos || memcmp(buf, SAVE_MAGIC, pos) != 0)
        return h->set_error(h, RNNLAB_ERR_FORMAT, "char: saved state line 1: expected \"char v1\"");
    unsigned long n = 0;
    int ok = len - pos >= 5 && memcmp(buf + pos, "size ", 5) == 0;
    if (ok) {
        pos += 5;
        ok = parse_line_number(buf, len, &pos, 7, &n) && n >= 1 && n <= CP_LIMIT + 1;
    }
    if (!ok)
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "char: saved state line 2: expected \"size N\" with 1 <= N <= %u",
                            CP_LIMIT + 1);
    uint32_t *cps = h->alloc(h, n * sizeof *cps);
    if (!cps) return h->set_error(h, RNNLAB_ERR_NOMEM, "char: out of memory for %lu tokens", n);
    for (size_t id = 1; id < n; id++) {
        unsigned long cp;
        if (!parse_line_number(buf, len, &pos, 7, &cp) || !cp_valid((uint32_t)cp)) {
            h->free(h, cps);
            return h->set_error(h, RNNLAB_ERR_FORMAT,
                                "char: saved state line %zu: expected the code point of id %zu "
                                "(decimal, a Unicode scalar value)",
                                id + 2, id);
        }
        cps[id - 1] = (uint32_t)cp;
    }
    if (pos != len) {
        h->free(h, cps);
        return h->set_error(h, RNNLAB_ERR_FORMAT,
                            "char: saved state line %lu: unexpected content after %lu tokens",
                            n + 2, n);
    }
    int rc = vocab_install(t, cps, n);
    h->free(h, cps);
    return rc;
}

static const char *char_token_text(const void *self, int32_t id) {
    const char_tok *t = self;
    if (id < 0 || (size_t)id >= t->n) return NULL;
    return t->entries[id].text;
}

static const rnnlab_tokenizer_ops ops = {
    .struct_size = sizeof(rnnlab_tokenizer_ops),
    .create = char_create,
    .destroy = char_destroy,
    .fit = char_fit,
    .vocab_size = char_vocab_size,
    .encode = char_encode,
    .decode = char_decode,
    .save = char_save,
    .load = char_load,
    .token_text = char_token_text,
};

static const rnnlab_component char_component = {
    .kind = RNNLAB_KIND_TOKENIZER,
    .name = "char",
    .version = "1.0.0",
    .description = "Unicode code points from strict UTF-8; id 0 is <unk>.",
    .params = char_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&char_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "char",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The character (code point) tokenizer.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
