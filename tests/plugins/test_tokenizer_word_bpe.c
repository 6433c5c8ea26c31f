/* test_tokenizer_word_bpe.c -- the word and bpe tokenizer plugins: splitting,
 * vocabulary rules, round trips, the counting convention, save/load and
 * rejection of malformed states. */
#include <criterion/criterion.h>
#include <stdarg.h>
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

TestSuite(tokenizers, .init = setup, .fini = teardown);

/* An instance with its ops. */
typedef struct tok {
    const rnnlab_tokenizer_ops *ops;
    void *self;
} tok;

/* Creates tokenizer `name` with defaults, then settings as "key", "value"
 * pairs ended by NULL. */
static tok make(const char *name, ...) {
    const rnnlab_component *c = test_component(host, name, RNNLAB_KIND_TOKENIZER, name);
    cr_assert_not_null(c, "tokenizer %s not found", name);
    rnnlab_value v[8];
    test_defaults(c->params, v);
    va_list ap;
    va_start(ap, name);
    for (const char *key; (key = va_arg(ap, const char *));) {
        const char *value = va_arg(ap, const char *);
        test_set(c->params, v, key, value);
    }
    va_end(ap);
    tok t = {c->ops, NULL};
    cr_assert_eq(t.ops->create(host, v, &t.self), 0, "create %s: %s", name, err.msg);
    return t;
}

static void drop(tok t) { t.ops->destroy(t.self); }

static void fit(tok t, const char *text) {
    cr_assert_eq(t.ops->fit(t.self, text, strlen(text)), 0, "fit: %s", err.msg);
}

/* Encodes text into a malloc'd array (count in *n). */
static int32_t *encode(tok t, const char *text, size_t len, size_t *n) {
    cr_assert_eq(t.ops->encode(t.self, text, len, NULL, 0, n), 0, "count: %s", err.msg);
    int32_t *ids = malloc((*n + 1) * sizeof *ids);
    size_t again;
    cr_assert_eq(t.ops->encode(t.self, text, len, ids, *n, &again), 0, "encode: %s", err.msg);
    cr_assert_eq(again, *n);
    return ids;
}

/* Decodes ids into a malloc'd string (length in *len). */
static char *decode(tok t, const int32_t *ids, size_t n, size_t *len) {
    cr_assert_eq(t.ops->decode(t.self, ids, n, NULL, 0, len), 0, "count: %s", err.msg);
    char *out = malloc(*len + 1);
    size_t again;
    cr_assert_eq(t.ops->decode(t.self, ids, n, out, *len + 1, &again), 0, "decode: %s", err.msg);
    cr_assert_eq(again, *len);
    cr_assert_eq(out[*len], '\0');
    return out;
}

/* decode(encode(text)), malloc'd. */
static char *round_trip(tok t, const char *text, size_t len, size_t *out_len) {
    size_t n;
    int32_t *ids = encode(t, text, len, &n);
    char *back = decode(t, ids, n, out_len);
    free(ids);
    return back;
}

/* The saved state as a malloc'd C string. */
static char *save(tok t) {
    char *buf;
    size_t len;
    cr_assert_eq(t.ops->save(t.self, &buf, &len), 0, "save: %s", err.msg);
    cr_assert_eq(strlen(buf), len, "the state has no NUL bytes and is NUL-terminated");
    char *copy = malloc(len + 1);
    memcpy(copy, buf, len + 1);
    host->free(host, buf);
    return copy;
}

/* The texts of the ids encode gives, joined by '|', malloc'd. */
static char *token_texts(tok t, const char *text) {
    size_t n;
    int32_t *ids = encode(t, text, strlen(text), &n);
    size_t cap = 16;
    for (size_t i = 0; i < n; i++) cap += strlen(t.ops->token_text(t.self, ids[i])) + 1;
    char *out = calloc(cap, 1);
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(out, "|");
        strcat(out, t.ops->token_text(t.self, ids[i]));
    }
    free(ids);
    return out;
}

static const char *KOREAN = "한국어 텍스트도 잘 됩니다. 안녕하세요!";
static const char *EMOJI = "I \xe2\x9d\xa4\xef\xb8\x8f rnn \xf0\x9f\x9a\x80\xf0\x9f\x9a\x80 ok.";
static const char *ENGLISH = "The quick brown fox, it said: \"jump!\" Then it (really) jumped.";

/* ------------------------------------------------------------------------ */
/* word                                                                      */
/* ------------------------------------------------------------------------ */

Test(tokenizers, word_specials_fixed_ids) {
    tok t = make("word", NULL);
    cr_expect_eq(t.ops->vocab_size(t.self), 4);
    cr_expect_str_eq(t.ops->token_text(t.self, 0), "<pad>");
    cr_expect_str_eq(t.ops->token_text(t.self, 1), "<unk>");
    cr_expect_str_eq(t.ops->token_text(t.self, 2), "<bos>");
    cr_expect_str_eq(t.ops->token_text(t.self, 3), "<eos>");
    cr_expect_null(t.ops->token_text(t.self, 4));
    cr_expect_null(t.ops->token_text(t.self, -1));
    fit(t, "zebra apple");
    cr_expect_eq(t.ops->vocab_size(t.self), 6);
    cr_expect_str_eq(t.ops->token_text(t.self, 1), "<unk>", "specials keep their ids after fit");
    size_t n;
    int32_t *ids = encode(t, "apple pear zebra", 16, &n);
    cr_assert_eq(n, 3);
    cr_expect_eq(ids[0], 4, "ties sort byte-wise: apple < zebra");
    cr_expect_eq(ids[1], 1, "unknown word is <unk>");
    cr_expect_eq(ids[2], 5);
    free(ids);
    drop(t);
}

Test(tokenizers, word_vocab_by_frequency_then_bytes) {
    tok t = make("word", NULL);
    fit(t, "b a b c c c bb ab ab");
    /* counts: c 3, ab 2, b 2, a 1, bb 1 */
    const char *expect[] = {"c", "ab", "b", "a", "bb"};
    cr_assert_eq(t.ops->vocab_size(t.self), 4 + 5);
    for (int k = 0; k < 5; k++) cr_expect_str_eq(t.ops->token_text(t.self, 4 + k), expect[k]);
    drop(t);
}

Test(tokenizers, word_punct_versus_whitespace_split) {
    tok p = make("word", NULL);
    tok w = make("word", "split", "whitespace", NULL);
    const char *text = "Hello, world! (it's)\tfine\n";
    fit(p, text);
    fit(w, text);
    char *tp = token_texts(p, text), *tw = token_texts(w, text);
    cr_expect_str_eq(tp, "Hello|,|world|!|(|it|'|s|)|fine");
    cr_expect_str_eq(tw, "Hello,|world!|(it's)|fine");
    free(tp);
    free(tw);
    /* Non-ASCII bytes are word bytes: Korean words stay whole. */
    fit(p, KOREAN);
    char *tk = token_texts(p, KOREAN);
    cr_expect_str_eq(tk, "한국어|텍스트도|잘|됩니다|.|안녕하세요|!");
    free(tk);
    drop(p);
    drop(w);
}

Test(tokenizers, word_lowercase_folds_ascii) {
    tok t = make("word", "lowercase", "true", NULL);
    fit(t, "The the THE tHe Ünïcode");
    cr_expect_eq(t.ops->vocab_size(t.self), 6, "the + Ünïcode (only ASCII folds)");
    cr_expect_str_eq(t.ops->token_text(t.self, 4), "the");
    cr_expect_str_eq(t.ops->token_text(t.self, 5), "Ünïcode");
    size_t n;
    int32_t *ids = encode(t, "THE", 3, &n);
    cr_expect_eq(ids[0], 4);
    free(ids);
    tok k = make("word", NULL);
    fit(k, "The the THE");
    cr_expect_eq(k.ops->vocab_size(k.self), 7, "case kept: three words");
    drop(k);
    drop(t);
}

Test(tokenizers, word_min_freq_and_max_vocab) {
    const char *text = "a a a b b c d d d d";
    tok m = make("word", "min_freq", "2", NULL);
    fit(m, text);
    cr_expect_eq(m.ops->vocab_size(m.self), 4 + 3, "c is seen once");
    size_t n;
    int32_t *ids = encode(m, "c d", 3, &n);
    cr_expect_eq(ids[0], 1);
    cr_expect_eq(ids[1], 4);
    free(ids);

    tok x = make("word", "max_vocab", "6", NULL);
    fit(x, text);
    cr_expect_eq(x.ops->vocab_size(x.self), 6, "max_vocab counts the specials");
    cr_expect_str_eq(x.ops->token_text(x.self, 4), "d");
    cr_expect_str_eq(x.ops->token_text(x.self, 5), "a");
    ids = encode(x, "b", 1, &n);
    cr_expect_eq(ids[0], 1, "b was cut by max_vocab");
    free(ids);

    /* A later fit makes b frequent enough; the vocabulary is rebuilt from all counts. */
    fit(x, "b b b b b");
    cr_expect_str_eq(x.ops->token_text(x.self, 4), "b");
    cr_expect_str_eq(x.ops->token_text(x.self, 5), "d");
    drop(m);
    drop(x);
}

Test(tokenizers, word_bad_params_rejected) {
    const rnnlab_component *c = test_component(host, "word", RNNLAB_KIND_TOKENIZER, "word");
    cr_assert_not_null(c);
    rnnlab_value v[8];
    test_defaults(c->params, v);
    test_set(c->params, v, "max_vocab", "3");
    void *self = NULL;
    cr_expect_eq(((const rnnlab_tokenizer_ops *)c->ops)->create(host, v, &self),
                 RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "max_vocab = 3"), "%s", err.msg);
    test_defaults(c->params, v);
    test_set(c->params, v, "min_freq", "0");
    cr_expect_eq(((const rnnlab_tokenizer_ops *)c->ops)->create(host, v, &self),
                 RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "min_freq"), "%s", err.msg);
}

Test(tokenizers, word_round_trip_is_normalised_sequence) {
    tok t = make("word", NULL);
    fit(t, ENGLISH);
    fit(t, KOREAN);
    fit(t, EMOJI);
    size_t len;
    char *back = round_trip(t, ENGLISH, strlen(ENGLISH), &len);
    cr_expect_str_eq(back,
                     "The quick brown fox , it said : \" jump ! \" Then it ( really ) jumped .");
    free(back);
    back = round_trip(t, KOREAN, strlen(KOREAN), &len);
    cr_expect_str_eq(back, "한국어 텍스트도 잘 됩니다 . 안녕하세요 !");
    free(back);
    back = round_trip(t, EMOJI, strlen(EMOJI), &len);
    cr_expect_str_eq(back, "I \xe2\x9d\xa4\xef\xb8\x8f rnn \xf0\x9f\x9a\x80\xf0\x9f\x9a\x80 ok .");
    free(back);
    /* Unknown words come back as <unk>, runs of whitespace as one space. */
    const char *other = "  The   cat\tjumped\n";
    back = round_trip(t, other, strlen(other), &len);
    cr_expect_str_eq(back, "The <unk> jumped");
    free(back);
    /* Already-normalised text of known words round-trips exactly. */
    const char *norm = "it said : \" jump ! \" 안녕하세요 ! The fox";
    back = round_trip(t, norm, strlen(norm), &len);
    cr_expect_str_eq(back, norm);
    free(back);
    drop(t);
}

Test(tokenizers, word_special_texts_in_whitespace_mode) {
    tok t = make("word", "split", "whitespace", NULL);
    fit(t, "<bos> hi there <eos> <unk>");
    cr_expect_eq(t.ops->vocab_size(t.self), 6, "specials in the text are not counted");
    size_t n;
    int32_t *ids = encode(t, "<bos> hi <eos> <pad>", 20, &n);
    cr_assert_eq(n, 4);
    cr_expect_eq(ids[0], 2);
    cr_expect_eq(ids[2], 3);
    cr_expect_eq(ids[3], 0);
    free(ids);
    drop(t);
}

Test(tokenizers, word_fit_accumulates) {
    tok a = make("word", NULL), b = make("word", NULL);
    fit(a, "x y y");
    fit(a, "z z z y");
    fit(b, "x y y\nz z z y");
    char *sa = save(a), *sb = save(b);
    cr_expect_str_eq(sa, sb);
    cr_expect_str_eq(a.ops->token_text(a.self, 4), "y", "y 3, z 3: byte order");
    free(sa);
    free(sb);
    drop(a);
    drop(b);
}

Test(tokenizers, word_deterministic_and_save_format) {
    tok a = make("word", NULL), b = make("word", NULL);
    const char *text = "the cat the dog a cat the";
    fit(a, text);
    fit(b, text);
    char *sa = save(a), *sb = save(b);
    cr_expect_str_eq(sa, sb);
    cr_expect_str_eq(sa, "word v1\nsplit punct\nlowercase false\nsize 8\nwords 4\n"
                         "3 the\n2 cat\n1 a\n1 dog\n");
    free(sa);
    free(sb);
    drop(a);
    drop(b);
}

Test(tokenizers, word_save_load_round_trip) {
    tok a = make("word", "split", "whitespace", "min_freq", "2", NULL);
    /* Backslashes, control bytes and invalid UTF-8 must survive the state. */
    const char *text = "a\\b a\\b \xff\xfe \xff\xfe c\x01"
                       "d c\x01"
                       "d 한국 한국 once \xc3";
    fit(a, text);
    fit(a, KOREAN);
    char *sa = save(a);
    cr_expect(strstr(sa, "2 a\\\\b\n"), "%s", sa);
    cr_expect(strstr(sa, "2 \\xFF\\xFE\n"), "%s", sa);
    cr_expect(strstr(sa, "2 c\\x01d\n"), "%s", sa);
    cr_expect(strstr(sa, "2 한국\n"), "%s", sa);
    cr_expect(strstr(sa, "1 once\n"), "words below min_freq are kept for later fits: %s", sa);

    tok b = make("word", "split", "whitespace", "min_freq", "2", NULL);
    cr_assert_eq(b.ops->load(b.self, sa, strlen(sa)), 0, "load: %s", err.msg);
    cr_expect_eq(b.ops->vocab_size(b.self), a.ops->vocab_size(a.self));
    char *sb = save(b);
    cr_expect_str_eq(sb, sa);
    size_t na, nb;
    int32_t *ia = encode(a, text, strlen(text), &na);
    int32_t *ib = encode(b, text, strlen(text), &nb);
    cr_assert_eq(na, nb);
    cr_expect_eq(memcmp(ia, ib, na * sizeof *ia), 0);
    free(ia);
    free(ib);
    /* Fitting after a load continues the counts exactly. */
    fit(a, "once");
    fit(b, "once");
    char *sa2 = save(a), *sb2 = save(b);
    cr_expect_str_eq(sa2, sb2);
    cr_expect(strstr(sa2, "2 once\n"), "%s", sa2);
    free(sa);
    free(sb);
    free(sa2);
    free(sb2);
    drop(a);
    drop(b);
}

/* Loads state and expects rejection with code and a message containing want. */
static void expect_rejected(tok t, const char *state, int code, const char *want) {
    err_clear(&err);
    cr_expect_eq(t.ops->load(t.self, state, strlen(state)), code, "state <<%s>>: %s", state,
                 err.msg);
    cr_expect(strstr(err.msg, want), "state <<%s>>: message \"%s\" lacks \"%s\"", state, err.msg,
              want);
}

Test(tokenizers, word_malformed_states_rejected) {
    tok t = make("word", NULL);
    fit(t, "keep me me");
    char *before = save(t);
    const char *head = "word v1\nsplit punct\nlowercase false\n";
    char buf[256];
    expect_rejected(t, "", RNNLAB_ERR_FORMAT, "line 1");
    expect_rejected(t, "char v1\nsize 1\n", RNNLAB_ERR_FORMAT, "line 1");
    expect_rejected(t, "word v1\nsplit commas\n", RNNLAB_ERR_FORMAT, "line 2");
    expect_rejected(t, "word v1\nsplit whitespace\nlowercase false\nsize 4\nwords 0\n",
                    RNNLAB_ERR_INVALID, "split = whitespace");
    expect_rejected(t, "word v1\nsplit punct\nlowercase true\nsize 4\nwords 0\n",
                    RNNLAB_ERR_INVALID, "lowercase = true");
    snprintf(buf, sizeof buf, "%ssize 3\nwords 0\n", head);
    expect_rejected(t, buf, RNNLAB_ERR_FORMAT, "line 4");
    snprintf(buf, sizeof buf, "%ssize 6\nwords 1\n1 a\n", head);
    expect_rejected(t, buf, RNNLAB_ERR_FORMAT, "line 5");
    snprintf(buf, sizeof buf, "%ssize 6\nwords 2\n1 a\n", head);
    expect_rejected(t, buf, RNNLAB_ERR_FORMAT, "line 7");
    snprintf(buf, sizeof buf, "%ssize 6\nwords 2\n1 a\n1 b", head);
    expect_rejected(t, buf, RNNLAB_ERR_FORMAT, "line 7"); /* truncated: no final newline */
    snprintf(buf, sizeof buf, "%ssize 6\nwords 2\n1 a\n1 a\n", head);
    expect_rejected(t, buf, RNNLAB_ERR_FORMAT, "twice");
    snprintf(buf, sizeof buf, "%ssize 5\nwords 1\n0 a\n", head);
    expect_rejected(t, buf, RNNLAB_ERR_FORMAT, "count >= 1");
    snprintf(buf, sizeof buf, "%ssize 5\nwords 1\n1 a\\q\n", head);
    expect_rejected(t, buf, RNNLAB_ERR_FORMAT, "escape");
    snprintf(buf, sizeof buf, "%ssize 5\nwords 1\n1 a,b\n", head);
    expect_rejected(t, buf, RNNLAB_ERR_FORMAT, "punctuation");
    snprintf(buf, sizeof buf, "%ssize 5\nwords 1\n1 a\\x20b\n", head);
    expect_rejected(t, buf, RNNLAB_ERR_FORMAT, "whitespace");
    snprintf(buf, sizeof buf, "%ssize 5\nwords 1\n1 <unk>\n", head);
    expect_rejected(t, buf, RNNLAB_ERR_FORMAT, "special");
    snprintf(buf, sizeof buf, "%ssize 5\nwords 1\n1 a\nextra\n", head);
    expect_rejected(t, buf, RNNLAB_ERR_FORMAT, "unexpected content");
    /* Every prefix of a good state is rejected, never crashes. */
    size_t len = strlen(before);
    for (size_t k = 0; k < len; k++) {
        err_clear(&err);
        cr_expect_neq(t.ops->load(t.self, before, k), 0, "prefix of %zu bytes accepted", k);
    }
    char *after = save(t);
    cr_expect_str_eq(after, before, "a failed load leaves the state as it was");
    free(before);
    free(after);
    drop(t);
}

Test(tokenizers, word_counting_convention) {
    tok t = make("word", NULL);
    fit(t, "one two three");
    const char *text = "one two three four";
    size_t n = 99;
    cr_expect_eq(t.ops->encode(t.self, text, strlen(text), NULL, 0, &n), 0);
    cr_expect_eq(n, 4);
    int32_t ids[4];
    n = 0;
    cr_expect_eq(t.ops->encode(t.self, text, strlen(text), ids, 2, &n), RNNLAB_ERR_INVALID);
    cr_expect_eq(n, 4, "the needed count is reported");
    cr_expect(strstr(err.msg, "4 ids"), "%s", err.msg);
    cr_assert_eq(t.ops->encode(t.self, text, strlen(text), ids, 4, &n), 0);
    size_t len = 0;
    cr_expect_eq(t.ops->decode(t.self, ids, 4, NULL, 0, &len), 0);
    cr_expect_eq(len, strlen("one two three <unk>"));
    char small[8];
    cr_expect_eq(t.ops->decode(t.self, ids, 4, small, sizeof small, &len), RNNLAB_ERR_INVALID);
    cr_expect_eq(len, strlen("one two three <unk>"));
    char exact[20];
    cr_expect_eq(t.ops->decode(t.self, ids, 4, exact, sizeof exact, &len), 0);
    cr_expect_str_eq(exact, "one two three <unk>");
    int32_t bad[2] = {4, 7};
    cr_expect_eq(t.ops->decode(t.self, bad, 2, NULL, 0, &len), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "id 7 at position 1"), "%s", err.msg);
    cr_expect_eq(t.ops->encode(t.self, "", 0, NULL, 0, &n), 0);
    cr_expect_eq(n, 0);
    cr_expect_eq(t.ops->decode(t.self, ids, 0, exact, 1, &len), 0);
    cr_expect_eq(len, 0);
    cr_expect_str_eq(exact, "");
    drop(t);
}

/* Text of `words` words drawn from a small vocabulary of w0..w499. */
static char *word_soup(size_t words, uint64_t seed, size_t *len) {
    rnnlab_rng r;
    rng_seed(&r, seed, 0);
    char *text = malloc(words * 6 + 1);
    size_t k = 0;
    for (size_t i = 0; i < words; i++)
        k += (size_t)sprintf(text + k, "w%u%c", (unsigned)rng_below(&r, 500),
                             i % 13 == 12 ? '\n' : ' ');
    *len = k;
    return text;
}

/* 10 MB through fit and encode: linear time (a quadratic step would hit
 * the test timeout), counts exact. */
Test(tokenizers, word_ten_megabytes) {
    size_t len, words = 2200000;
    char *text = word_soup(words, 7, &len);
    cr_assert_gt(len, 10000000);
    tok t = make("word", NULL);
    cr_assert_eq(t.ops->fit(t.self, text, len), 0, "%s", err.msg);
    cr_expect_eq(t.ops->vocab_size(t.self), 4 + 500);
    size_t n;
    int32_t *ids = encode(t, text, len, &n);
    cr_expect_eq(n, words);
    size_t unk = 0;
    for (size_t i = 0; i < n; i++) unk += ids[i] == 1;
    cr_expect_eq(unk, 0);
    free(ids);
    free(text);
    drop(t);
}

/* ------------------------------------------------------------------------ */
/* bpe                                                                       */
/* ------------------------------------------------------------------------ */

Test(tokenizers, bpe_unfitted_is_bytes) {
    tok t = make("bpe", NULL);
    cr_expect_eq(t.ops->vocab_size(t.self), 256);
    size_t n;
    int32_t *ids = encode(t, "Ab\xff", 3, &n);
    cr_assert_eq(n, 3);
    cr_expect_eq(ids[0], 'A');
    cr_expect_eq(ids[1], 'b');
    cr_expect_eq(ids[2], 255);
    free(ids);
    cr_expect_str_eq(t.ops->token_text(t.self, 'A'), "A");
    cr_expect_str_eq(t.ops->token_text(t.self, 0), "", "the NUL byte displays empty");
    cr_expect_null(t.ops->token_text(t.self, 256));
    char *s = save(t);
    cr_expect_str_eq(s, "bpe v1\nmerges 0\n");
    free(s);
    drop(t);
}

/* Worked by hand: pieces "cd" x1, " ab" x2, " cd" x1. Pairs (c,d) (' ',a)
 * (a,b) all occur twice: the lowest left id wins, ' ' = 32. Then (c,d) =
 * (99,100) beats (256,'b') on the left id; then (256,98); then only pairs
 * seen once remain. */
Test(tokenizers, bpe_merges_by_count_then_lowest_ids) {
    tok t = make("bpe", NULL);
    fit(t, "cd ab cd ab");
    char *s = save(t);
    cr_expect_str_eq(s, "bpe v1\nmerges 3\n32 97\n99 100\n256 98\n");
    free(s);
    cr_expect_eq(t.ops->vocab_size(t.self), 259);
    cr_expect_str_eq(t.ops->token_text(t.self, 256), " a");
    cr_expect_str_eq(t.ops->token_text(t.self, 258), " ab");
    char *tt = token_texts(t, "cd ab abc");
    cr_expect_str_eq(tt, "cd| ab| ab|c");
    free(tt);
    drop(t);
}

Test(tokenizers, bpe_pre_split_keeps_merges_inside_pieces) {
    tok t = make("bpe", NULL);
    /* "o," and "o " occur often but cross piece boundaries. */
    fit(t, "go, go, go, go to go to");
    char *tt = token_texts(t, "go, go to");
    cr_expect_str_eq(tt, "go|,| go| to");
    free(tt);
    drop(t);
}

Test(tokenizers, bpe_round_trip_byte_exact) {
    tok t = make("bpe", "vocab_size", "400", NULL);
    fit(t, ENGLISH);
    fit(t, KOREAN);
    fit(t, EMOJI);
    fit(t, "한국어 텍스트 한국어 텍스트 안녕 안녕 안녕");
    cr_expect_gt(t.ops->vocab_size(t.self), 256);
    const char *texts[] = {ENGLISH, KOREAN, EMOJI, "", " ", "\n\n  x  \t", "日本語のテキスト"};
    for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
        size_t len;
        char *back = round_trip(t, texts[k], strlen(texts[k]), &len);
        cr_expect_str_eq(back, texts[k]);
        free(back);
    }
    /* Merged tokens may be partial UTF-8; token_text is still their bytes. */
    size_t n, len;
    int32_t *ids = encode(t, KOREAN, strlen(KOREAN), &n);
    cr_expect_lt(n, strlen(KOREAN), "merges were used");
    for (size_t i = 0; i < n; i++) {
        char *one = decode(t, &ids[i], 1, &len);
        cr_expect_str_eq(t.ops->token_text(t.self, ids[i]), one);
        free(one);
    }
    free(ids);
    drop(t);
}

/* n random bytes (NUL included), malloc'd. */
static char *random_bytes(size_t n, uint64_t seed) {
    rnnlab_rng r;
    rng_seed(&r, seed, 0);
    char *b = malloc(n + 1);
    for (size_t i = 0; i < n; i++) b[i] = (char)(rng_next(&r) >> 56);
    b[n] = '\0';
    return b;
}

Test(tokenizers, bpe_random_bytes_round_trip) {
    tok t = make("bpe", "vocab_size", "600", NULL);
    /* Skewed random bytes so that pairs repeat and merges are learned. */
    char *train = random_bytes(20000, 1);
    for (size_t i = 0; i < 20000; i++) train[i] = (char)((unsigned char)train[i] % 8 * 37);
    cr_assert_eq(t.ops->fit(t.self, train, 20000), 0, "%s", err.msg);
    cr_expect_eq(t.ops->vocab_size(t.self), 600);
    for (uint64_t seed = 2; seed < 6; seed++) {
        size_t n = 5000 + 777 * seed, len;
        char *bytes = random_bytes(n, seed);
        char *back = round_trip(t, bytes, n, &len);
        cr_assert_eq(len, n);
        cr_expect_eq(memcmp(back, bytes, n), 0, "seed %llu", (unsigned long long)seed);
        free(back);
        free(bytes);
    }
    /* The training data itself, which the merges compress. */
    size_t n, len;
    int32_t *ids = encode(t, train, 20000, &n);
    cr_expect_lt(n, 20000);
    char *back = decode(t, ids, n, &len);
    cr_assert_eq(len, 20000);
    cr_expect_eq(memcmp(back, train, len), 0);
    free(back);
    free(ids);
    free(train);
    drop(t);
}

Test(tokenizers, bpe_deterministic_and_vocab_cap) {
    size_t len;
    char *text = word_soup(20000, 3, &len);
    tok a = make("bpe", "vocab_size", "300", NULL), b = make("bpe", "vocab_size", "300", NULL);
    cr_assert_eq(a.ops->fit(a.self, text, len), 0, "%s", err.msg);
    cr_assert_eq(b.ops->fit(b.self, text, len), 0, "%s", err.msg);
    cr_expect_eq(a.ops->vocab_size(a.self), 300);
    char *sa = save(a), *sb = save(b);
    cr_expect_str_eq(sa, sb);
    free(sa);
    free(sb);
    free(text);
    drop(a);
    drop(b);
}

Test(tokenizers, bpe_fit_again_extends) {
    tok t = make("bpe", "vocab_size", "320", NULL);
    fit(t, "hello hello hello world world world");
    size_t first = t.ops->vocab_size(t.self);
    char *s1 = save(t);
    size_t n1;
    int32_t *ids1 = encode(t, "hello world", 11, &n1);
    fit(t, "rnnlab rnnlab rnnlab tokens tokens tokens");
    cr_expect_gt(t.ops->vocab_size(t.self), first);
    char *s2 = save(t);
    /* The old merges stay, in order, after the header line with the count. */
    const char *m1 = strchr(strchr(s1, '\n') + 1, '\n') + 1;
    const char *m2 = strchr(strchr(s2, '\n') + 1, '\n') + 1;
    cr_expect_eq(strncmp(m1, m2, strlen(m1)), 0, "old:\n%s\nnew:\n%s", s1, s2);
    size_t n2;
    int32_t *ids2 = encode(t, "hello world", 11, &n2);
    cr_assert_eq(n1, n2);
    cr_expect_eq(memcmp(ids1, ids2, n1 * sizeof *ids1), 0, "ids keep their meaning");
    free(ids1);
    free(ids2);
    free(s1);
    free(s2);
    drop(t);
}

Test(tokenizers, bpe_save_load_round_trip) {
    tok a = make("bpe", "vocab_size", "500", NULL);
    size_t len;
    char *text = word_soup(5000, 11, &len);
    cr_assert_eq(a.ops->fit(a.self, text, len), 0, "%s", err.msg);
    fit(a, KOREAN);
    char *sa = save(a);
    tok b = make("bpe", NULL);
    cr_assert_eq(b.ops->load(b.self, sa, strlen(sa)), 0, "load: %s", err.msg);
    cr_expect_eq(b.ops->vocab_size(b.self), a.ops->vocab_size(a.self));
    char *sb = save(b);
    cr_expect_str_eq(sb, sa);
    const char *probes[] = {text, KOREAN, EMOJI, ENGLISH};
    for (size_t k = 0; k < 4; k++) {
        size_t na, nb;
        int32_t *ia = encode(a, probes[k], strlen(probes[k]), &na);
        int32_t *ib = encode(b, probes[k], strlen(probes[k]), &nb);
        cr_assert_eq(na, nb);
        cr_expect_eq(memcmp(ia, ib, na * sizeof *ia), 0, "probe %zu", k);
        free(ia);
        free(ib);
    }
    for (int32_t id = 0; id < (int32_t)a.ops->vocab_size(a.self); id++)
        cr_expect_str_eq(a.ops->token_text(a.self, id), b.ops->token_text(b.self, id));
    free(sa);
    free(sb);
    free(text);
    drop(a);
    drop(b);
}

Test(tokenizers, bpe_malformed_states_rejected) {
    tok t = make("bpe", NULL);
    fit(t, "cd ab cd ab");
    char *before = save(t);
    expect_rejected(t, "", RNNLAB_ERR_FORMAT, "line 1");
    expect_rejected(t, "bpe v2\nmerges 0\n", RNNLAB_ERR_FORMAT, "line 1");
    expect_rejected(t, "bpe v1\nmerge 0\n", RNNLAB_ERR_FORMAT, "line 2");
    expect_rejected(t, "bpe v1\nmerges -1\n", RNNLAB_ERR_FORMAT, "line 2");
    expect_rejected(t, "bpe v1\nmerges 01\n97 98\n", RNNLAB_ERR_FORMAT, "line 2");
    expect_rejected(t, "bpe v1\nmerges 99999999\n", RNNLAB_ERR_FORMAT, "line 2");
    expect_rejected(t, "bpe v1\nmerges 2\n97 98\n", RNNLAB_ERR_FORMAT,
                    "line 4: expected merge 2 of 2");
    expect_rejected(t, "bpe v1\nmerges 1\n97 98\n99 100\n", RNNLAB_ERR_FORMAT,
                    "line 4: unexpected content");
    expect_rejected(t, "bpe v1\nmerges 1\n97 98", RNNLAB_ERR_FORMAT, "line 3");
    expect_rejected(t, "bpe v1\nmerges 1\n97,98\n", RNNLAB_ERR_FORMAT, "line 3");
    expect_rejected(t, "bpe v1\nmerges 1\n97 256\n", RNNLAB_ERR_FORMAT,
                    "line 3: merge 256 references unknown id 256");
    expect_rejected(t, "bpe v1\nmerges 2\n97 98\n512 97\n", RNNLAB_ERR_FORMAT,
                    "line 4: merge 257 references unknown id 512");
    expect_rejected(t, "bpe v1\nmerges 2\n97 98\n97 98\n", RNNLAB_ERR_FORMAT,
                    "merge 257 repeats the pair (97, 98) of merge 256");
    /* Tokens that double in length each merge would outgrow the piece limit. */
    char chain[512] = "bpe v1\nmerges 7\n97 97\n";
    for (int k = 0; k < 6; k++) {
        char line[32];
        snprintf(line, sizeof line, "%d %d\n", 256 + k, 256 + k);
        strcat(chain, line);
    }
    expect_rejected(t, chain, RNNLAB_ERR_FORMAT, "line 9: merge 262 makes a token of 128 bytes");
    /* Every prefix, and random garbage, is rejected without a crash. */
    size_t len = strlen(before);
    for (size_t k = 0; k < len; k++) {
        err_clear(&err);
        cr_expect_neq(t.ops->load(t.self, before, k), 0, "prefix of %zu bytes accepted", k);
    }
    for (uint64_t seed = 0; seed < 20; seed++) {
        char *junk = random_bytes(200, seed);
        memcpy(junk, "bpe v1\nmerges 3\n", 16);
        cr_expect_neq(t.ops->load(t.self, junk, 200), 0);
        free(junk);
    }
    char *after = save(t);
    cr_expect_str_eq(after, before, "a failed load leaves the state as it was");
    free(before);
    free(after);
    drop(t);
}

Test(tokenizers, bpe_counting_convention) {
    tok t = make("bpe", NULL);
    fit(t, "cd ab cd ab");
    const char *text = "ab cd ab";
    size_t n = 0;
    cr_expect_eq(t.ops->encode(t.self, text, strlen(text), NULL, 0, &n), 0);
    cr_expect_eq(n, 5, "\"ab\" has no merge: a b; \" cd\": ' ' cd; \" ab\": one token");
    int32_t ids[5];
    cr_expect_eq(t.ops->encode(t.self, text, strlen(text), ids, 3, &n), RNNLAB_ERR_INVALID);
    cr_expect_eq(n, 5);
    cr_expect(strstr(err.msg, "5 ids, got 3"), "%s", err.msg);
    cr_assert_eq(t.ops->encode(t.self, text, strlen(text), ids, 5, &n), 0);
    size_t len;
    char out[16];
    cr_expect_eq(t.ops->decode(t.self, ids, 5, out, 8, &len), RNNLAB_ERR_INVALID);
    cr_expect_eq(len, 8, "the length without the NUL");
    cr_expect_eq(t.ops->decode(t.self, ids, 5, out, 9, &len), 0);
    cr_expect_str_eq(out, text);
    int32_t bad = 259;
    cr_expect_eq(t.ops->decode(t.self, &bad, 1, NULL, 0, &len), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "id 259 at position 0"), "%s", err.msg);
    drop(t);
}

/* About 1 MB of text and a 2000-token vocabulary: the incremental pair
 * counts keep this well inside the suite's budget. */
Test(tokenizers, bpe_one_megabyte_vocab_2000) {
    rnnlab_rng r;
    rng_seed(&r, 5, 0);
    static const char *const stems[] = {"train",  "model", "token",  "hidden", "state", "gradient",
                                        "한국어", "layer", "weight", "loss",   "batch", "epoch"};
    static const char *const ends[] = {"", "s", "ed", "ing", "er", ",", ".", "ly"};
    size_t cap = 1100000, len = 0;
    char *text = malloc(cap + 64);
    while (len < 1000000) {
        len += (size_t)sprintf(text + len, "%s%s%u ", stems[rng_below(&r, 12)],
                               ends[rng_below(&r, 8)], (unsigned)rng_below(&r, 1000));
    }
    tok t = make("bpe", "vocab_size", "2000", NULL);
    cr_assert_eq(t.ops->fit(t.self, text, len), 0, "%s", err.msg);
    cr_expect_eq(t.ops->vocab_size(t.self), 2000);
    size_t n, back_len;
    int32_t *ids = encode(t, text, len, &n);
    cr_expect_lt(n, len / 2, "compresses the training text: %zu ids for %zu bytes", n, len);
    char *back = decode(t, ids, n, &back_len);
    cr_assert_eq(back_len, len);
    cr_expect_eq(memcmp(back, text, len), 0);
    free(back);
    free(ids);
    free(text);
    drop(t);
}
