/* test_tokenizer_char.c -- the char tokenizer plugin: UTF-8 decoding, vocabulary
 * order, unknowns, save/load. */
#include <criterion/criterion.h>
#include <string.h>

#include "plugin_util.h"

static rnnlab_err err;
static rnnlab_host *host;
static const rnnlab_component *comp;
static const rnnlab_tokenizer_ops *ops;

static void setup(void) {
    err_clear(&err);
    host = host_create(&err, NULL, RNNLAB_LOG_WARN);
    comp = test_component(host, "char", RNNLAB_KIND_TOKENIZER, "char");
    cr_assert_not_null(comp, "char component not found");
    ops = comp->ops;
}

static void teardown(void) {
    cr_expect_eq(host_live_blocks(host), 0, "leaked %ld blocks", host_live_blocks(host));
    host_destroy(host);
}

TestSuite(tokenizer, .init = setup, .fini = teardown);

static void *make(const char *on_invalid) {
    rnnlab_value v[2];
    test_defaults(comp->params, v);
    if (on_invalid) test_set(comp->params, v, "on_invalid", on_invalid);
    void *self = NULL;
    cr_assert_eq(ops->create(host, v, &self), 0, "%s", err.msg);
    return self;
}

static void fit(void *self, const char *text) {
    cr_assert_eq(ops->fit(self, text, strlen(text)), 0, "fit: %s", err.msg);
}

/* Encodes text into a malloc'd array (count in *n). */
static int32_t *encode(void *self, const char *text, size_t len, size_t *n) {
    cr_assert_eq(ops->encode(self, text, len, NULL, 0, n), 0, "count: %s", err.msg);
    int32_t *ids = malloc((*n + 1) * sizeof *ids);
    size_t again;
    cr_assert_eq(ops->encode(self, text, len, ids, *n, &again), 0, "encode: %s", err.msg);
    cr_assert_eq(again, *n);
    return ids;
}

/* Decodes ids into a malloc'd string. */
static char *decode(void *self, const int32_t *ids, size_t n) {
    size_t len;
    cr_assert_eq(ops->decode(self, ids, n, NULL, 0, &len), 0, "count: %s", err.msg);
    char *out = malloc(len + 1);
    size_t again;
    cr_assert_eq(ops->decode(self, ids, n, out, len + 1, &again), 0, "decode: %s", err.msg);
    cr_assert_eq(again, len);
    cr_assert_eq(out[len], '\0');
    return out;
}

static const char *MIXED = "Hello, world! \xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8"
                           "\xec\x9a\x94, \xec\x84\xb8\xea\xb3\x84! \xf0\x9f\x98\x80\xf0\x9f\x8c"
                           "\x8d ok"; /* "Hello, world! 안녕하세요, 세계! 😀🌍 ok" */

Test(tokenizer, round_trip_english_korean_emoji) {
    void *t = make(NULL);
    fit(t, MIXED);
    /* distinct code points: H e l o , space w r d ! 안 녕 하 세 요 계 😀 🌍 k */
    cr_expect_eq(ops->vocab_size(t), 19 + 1, "got %zu", ops->vocab_size(t));
    size_t n;
    int32_t *ids = encode(t, MIXED, strlen(MIXED), &n);
    cr_expect_eq(n, 30, "one id per code point, got %zu", n);
    for (size_t i = 0; i < n; i++) cr_expect_neq(ids[i], 0, "id %zu is <unk>", i);
    char *back = decode(t, ids, n);
    cr_expect_str_eq(back, MIXED);
    cr_expect_str_eq(ops->token_text(t, ids[14]), "\xec\x95\x88", "token 14 is 안");
    cr_expect_str_eq(ops->token_text(t, ids[26]), "\xf0\x9f\x8c\x8d", "token 26 is 🌍");
    free(ids);
    free(back);
    ops->destroy(t);
}

Test(tokenizer, vocab_is_ascending_and_extension_is_stable) {
    void *a = make(NULL), *b = make(NULL);
    fit(a, "cab\xed\x95\x9c"
           "ba"); /* c a b 한 b a */
    fit(b, "\xed\x95\x9c"
           "abc");
    const char *want[] = {"<unk>", "a", "b", "c", "\xed\x95\x9c"};
    cr_assert_eq(ops->vocab_size(a), 5);
    cr_assert_eq(ops->vocab_size(b), 5);
    for (int32_t id = 0; id < 5; id++) {
        cr_expect_str_eq(ops->token_text(a, id), want[id], "id %d", id);
        cr_expect_str_eq(ops->token_text(b, id), want[id], "id %d", id);
    }
    cr_expect_null(ops->token_text(a, 5));
    cr_expect_null(ops->token_text(a, -1));

    /* A second fit appends new code points in ascending order; old ids keep. */
    fit(a, "zb !");
    cr_assert_eq(ops->vocab_size(a), 8);
    const char *more[] = {" ", "!", "z"};
    for (int32_t id = 0; id < 5; id++) cr_expect_str_eq(ops->token_text(a, id), want[id]);
    for (int32_t id = 5; id < 8; id++) cr_expect_str_eq(ops->token_text(a, id), more[id - 5]);
    fit(a, "abc"); /* nothing new */
    cr_expect_eq(ops->vocab_size(a), 8);
    ops->destroy(a);
    ops->destroy(b);
}

Test(tokenizer, unseen_is_unk_and_decodes_to_replacement) {
    void *t = make(NULL);
    fit(t, "ab");
    size_t n;
    int32_t *ids = encode(t, "axb\xc3\xa9", 5, &n);
    cr_assert_eq(n, 4);
    int32_t want[4] = {1, 0, 2, 0};
    for (int i = 0; i < 4; i++) cr_expect_eq(ids[i], want[i], "ids[%d] = %d", i, ids[i]);
    char *text = decode(t, ids, n);
    cr_expect_str_eq(text, "a\xef\xbf\xbd"
                           "b\xef\xbf\xbd");
    cr_expect_str_eq(ops->token_text(t, 0), "<unk>");
    free(ids);
    free(text);

    int32_t bad[2] = {1, 3};
    size_t len;
    cr_expect_eq(ops->decode(t, bad, 2, NULL, 0, &len), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "id 3") && strstr(err.msg, "position 1"), "%s", err.msg);
    ops->destroy(t);
}

Test(tokenizer, capacity_and_counting) {
    void *t = make(NULL);
    fit(t, "abc");
    int32_t ids[2];
    size_t n = 0;
    cr_expect_eq(ops->encode(t, "abca", 4, ids, 2, &n), RNNLAB_ERR_INVALID);
    cr_expect_eq(n, 4, "needed count reported, got %zu", n);
    int32_t all[3] = {1, 2, 3};
    char out[3];
    size_t len = 0;
    cr_expect_eq(ops->decode(t, all, 3, out, sizeof out, &len), RNNLAB_ERR_INVALID,
                 "no room for the NUL");
    cr_expect_eq(len, 3);
    char out4[4];
    cr_expect_eq(ops->decode(t, all, 3, out4, sizeof out4, &len), 0, "%s", err.msg);
    cr_expect_str_eq(out4, "abc");
    cr_expect_eq(ops->encode(t, "", 0, ids, 2, &n), 0);
    cr_expect_eq(n, 0);
    ops->destroy(t);
}

/* Well-formed edge cases of table 3-7 that must be accepted. */
Test(tokenizer, accepts_boundary_code_points) {
    const char *edges = "\xc2\x80"          /* U+0080 */
                        "\xdf\xbf"          /* U+07FF */
                        "\xe0\xa0\x80"      /* U+0800 */
                        "\xed\x9f\xbf"      /* U+D7FF */
                        "\xee\x80\x80"      /* U+E000 */
                        "\xef\xbf\xbf"      /* U+FFFF */
                        "\xf0\x90\x80\x80"  /* U+10000 */
                        "\xf4\x8f\xbf\xbf"; /* U+10FFFF */
    void *t = make(NULL);
    fit(t, edges);
    cr_expect_eq(ops->vocab_size(t), 9);
    size_t n;
    int32_t *ids = encode(t, edges, strlen(edges), &n);
    cr_expect_eq(n, 8);
    for (size_t i = 0; i < n; i++) cr_expect_eq(ids[i], (int32_t)i + 1, "ascending order");
    char *back = decode(t, ids, n);
    cr_expect_str_eq(back, edges);
    free(ids);
    free(back);
    ops->destroy(t);
}

static const struct {
    const char *bytes, *what;
    const char *replaced; /* Python's bytes.decode('utf-8', 'replace') of "ab" bytes "c" */
} INVALID[] = {
    {"\x80", "lone continuation",
     "ab\xef\xbf\xbd"
     "c"},
    {"\xc0\xaf", "overlong C0",
     "ab\xef\xbf\xbd\xef\xbf\xbd"
     "c"},
    {"\xc1\xbf", "overlong C1",
     "ab\xef\xbf\xbd\xef\xbf\xbd"
     "c"},
    {"\xe0\x80\x80", "overlong E0",
     "ab\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
     "c"},
    {"\xf0\x8f\xbf\xbf", "overlong F0",
     "ab\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
     "c"},
    {"\xed\xa0\x80", "surrogate",
     "ab\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
     "c"},
    {"\xf4\x90\x80\x80", "above U+10FFFF",
     "ab\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
     "c"},
    {"\xf5\x80", "F5 lead",
     "ab\xef\xbf\xbd\xef\xbf\xbd"
     "c"},
    {"\xe4\xb8", "truncated 3-byte",
     "ab\xef\xbf\xbd"
     "c"},
    {"\xf0\x9f\x98", "truncated 4-byte",
     "ab\xef\xbf\xbd"
     "c"},
};

Test(tokenizer, invalid_utf8_reports_offset) {
    void *t = make(NULL);
    fit(t, "abc");
    for (size_t k = 0; k < sizeof INVALID / sizeof INVALID[0]; k++) {
        char text[16];
        int len = snprintf(text, sizeof text, "ab%sc", INVALID[k].bytes);
        size_t n;
        err_clear(&err);
        cr_expect_eq(ops->encode(t, text, (size_t)len, NULL, 0, &n), RNNLAB_ERR_INVALID, "%s",
                     INVALID[k].what);
        cr_expect(strstr(err.msg, "invalid UTF-8 at byte offset 2"), "%s: %s", INVALID[k].what,
                  err.msg);
        err_clear(&err);
        cr_expect_eq(ops->fit(t, text, (size_t)len), RNNLAB_ERR_INVALID, "%s", INVALID[k].what);
        cr_expect(strstr(err.msg, "byte offset 2"), "%s: %s", INVALID[k].what, err.msg);
    }
    cr_expect_eq(ops->vocab_size(t), 4, "failed fits leave the vocabulary alone");
    /* A sequence cut off by the end of the text. */
    size_t n;
    cr_expect_eq(ops->encode(t, "abc\xe4\xb8", 5, NULL, 0, &n), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "byte offset 3"), "%s", err.msg);
    ops->destroy(t);
}

Test(tokenizer, replace_mode_matches_python) {
    for (size_t k = 0; k < sizeof INVALID / sizeof INVALID[0]; k++) {
        void *t = make("replace");
        char text[16];
        int len = snprintf(text, sizeof text, "ab%sc", INVALID[k].bytes);
        cr_assert_eq(ops->fit(t, text, (size_t)len), 0, "%s: %s", INVALID[k].what, err.msg);
        cr_expect_eq(ops->vocab_size(t), 5, "<unk> a b c U+FFFD");
        cr_expect_str_eq(ops->token_text(t, 4), "\xef\xbf\xbd");
        size_t n;
        int32_t *ids = encode(t, text, (size_t)len, &n);
        char *back = decode(t, ids, n);
        cr_expect_str_eq(back, INVALID[k].replaced, "%s", INVALID[k].what);
        free(ids);
        free(back);
        ops->destroy(t);
    }
}

Test(tokenizer, save_load_round_trip) {
    void *a = make(NULL);
    fit(a, MIXED);
    fit(a, "\xc3\xa9"
           "A"); /* extension: ids beyond ascending order */
    char *buf;
    size_t len;
    cr_assert_eq(ops->save(a, &buf, &len), 0, "%s", err.msg);
    cr_expect_eq(strlen(buf), len, "no NUL inside, NUL-terminated");
    cr_expect(strncmp(buf, "char v1\nsize 22\n", 16) == 0, "header: %.20s", buf);

    void *b = make(NULL);
    fit(b, "xyz"); /* load replaces this */
    cr_assert_eq(ops->load(b, buf, len), 0, "%s", err.msg);
    cr_assert_eq(ops->vocab_size(b), ops->vocab_size(a));
    for (int32_t id = 0; id < (int32_t)ops->vocab_size(a); id++)
        cr_expect_str_eq(ops->token_text(b, id), ops->token_text(a, id), "id %d", id);
    size_t n;
    int32_t *ids = encode(b, "x\xc3\xa9", 3, &n);
    cr_expect_eq(ids[0], 0, "x is unknown after load");
    cr_expect_eq(ids[1], 21, "é was appended by the second fit, after A");
    char *again;
    size_t len2;
    cr_assert_eq(ops->save(b, &again, &len2), 0, "%s", err.msg);
    cr_expect(len == len2 && memcmp(buf, again, len) == 0, "save(load(s)) == s");
    free(ids);
    host->free(host, buf);
    host->free(host, again);
    ops->destroy(a);
    ops->destroy(b);
}

Test(tokenizer, load_rejects_malformed) {
    static const struct {
        const char *text, *what;
    } BAD[] = {
        {"", "empty"},
        {"char v2\nsize 1\n", "wrong version"},
        {"char v1\n", "no size line"},
        {"char v1\nsize 0\n", "size 0"},
        {"char v1\nsize -3\n", "negative size"},
        {"char v1\nsize 3\n97\n", "too few lines"},
        {"char v1\nsize 2\n97\n98\n", "too many lines"},
        {"char v1\nsize 2\n97", "missing final newline"},
        {"char v1\r\nsize 2\r\n97\r\n", "CRLF"},
        {"char v1\nsize 2\n097\n", "leading zero"},
        {"char v1\nsize 2\n+97\n", "sign"},
        {"char v1\nsize 2\n9x\n", "not a number"},
        {"char v1\nsize 2\n55296\n", "surrogate"},
        {"char v1\nsize 2\n1114112\n", "above U+10FFFF"},
        {"char v1\nsize 2\n99999999999999999999\n", "overflow"},
        {"char v1\nsize 99999999\n", "size too large"},
        {"char v1\nsize 3\n97\n97\n", "duplicate"}, /* last: its message is checked below */
    };
    void *t = make(NULL);
    fit(t, "hello");
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
        err_clear(&err);
        int rc = ops->load(t, BAD[k].text, strlen(BAD[k].text));
        cr_expect_eq(rc, RNNLAB_ERR_FORMAT, "%s: rc %d", BAD[k].what, rc);
        cr_expect(strstr(err.msg, "char:"), "%s: message %s", BAD[k].what, err.msg);
        cr_expect_eq(ops->vocab_size(t), 5, "%s: state kept", BAD[k].what);
    }
    cr_expect(strstr(err.msg, "twice"), "duplicate message: %s", err.msg);
    err_clear(&err);
    ops->load(t, "char v1\nsize 3\n97\n", 18);
    cr_expect(strstr(err.msg, "line 4"), "names the line: %s", err.msg);
    cr_assert_eq(ops->load(t, "char v1\nsize 1\n", 15), 0, "only <unk>: %s", err.msg);
    cr_expect_eq(ops->vocab_size(t), 1);
    ops->destroy(t);
}
