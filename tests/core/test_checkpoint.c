/* test_checkpoint.c -- safetensors reading and writing (core/checkpoint.c),
 * and the file helpers underneath it (core/fileio.c). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checkpoint.h"
#include "core/fileio.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static char tmp_dir[256];

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void dir_setup(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/rnnlab-ckpt-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_dir), "mkdtemp failed");
    fileio_inject_faults(-1, 0);
}

static void dir_teardown(void) {
    fileio_inject_faults(-1, 0);
    nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(checkpoint, .init = dir_setup, .fini = dir_teardown);

static char *tmp_path(const char *name) {
    static char buf[4][512];
    static int slot;
    char *p = buf[slot++ % 4];
    snprintf(p, 512, "%s/%s", tmp_dir, name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    if (len) cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

/* The file's bytes; the caller frees. */
static unsigned char *read_bytes(const char *path, size_t *len) {
    char *buf;
    rnnlab_err err;
    cr_assert_eq(file_read_all(path, &buf, len, &err), RNNLAB_OK, "%s", err.msg);
    return (unsigned char *)buf;
}

static void put_le64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Writes a safetensors file by hand: the length of json, json, then dlen
 * data bytes (a counting pattern). */
static void write_raw(const char *path, const char *json, size_t dlen) {
    size_t jlen = strlen(json);
    unsigned char *b = malloc(8 + jlen + dlen + 1);
    cr_assert_not_null(b);
    put_le64(b, jlen);
    memcpy(b + 8, json, jlen);
    for (size_t i = 0; i < dlen; i++) b[8 + jlen + i] = (unsigned char)i;
    write_bytes(path, b, 8 + jlen + dlen);
    free(b);
}

/* Reads path, which must fail as a format error naming path and fault. */
static void expect_format(const char *path, const char *fault, const char *label) {
    ckpt *c = (ckpt *)1;
    rnnlab_err err;
    err_clear(&err);
    int rc = ckpt_read(&c, path, &err);
    cr_expect_eq(rc, RNNLAB_ERR_FORMAT, "[%s] rc %d (%s), expected a format error", label, rc,
                 err.msg);
    cr_expect_null(c, "[%s] out must be NULL on error", label);
    cr_expect_not_null(strstr(err.msg, path), "[%s] message does not name the file: %s", label,
                       err.msg);
    cr_expect_not_null(strstr(err.msg, fault), "[%s] message lacks \"%s\": %s", label, fault,
                       err.msg);
    if (rc == RNNLAB_OK) ckpt_free(c);
}

/* Names in dir other than keep (temp files left behind show up here). */
static int count_other_entries(const char *dir, const char *keep) {
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, keep))
            continue;
        n++;
    }
    closedir(d);
    return n;
}

/* A small valid checkpoint of every dtype, written through ckpt_write. */
static const float small_w[6] = {0.5f, -1.25f, 3.0f, 1e-7f, -0.0f, 42.0f};
static const double small_b[3] = {1.0 / 3.0, -2.5e300, 7.0};
static const int64_t small_step[1] = {12345678901234LL};

static int write_small(const char *path, rnnlab_err *err) {
    ckpt_tensor ts[3] = {
        {.name = "rnn.W_xh", .dtype = CKPT_F32, .ndim = 2, .shape = {2, 3}, .data = small_w},
        {.name = "rnn.b_h", .dtype = CKPT_F64, .ndim = 1, .shape = {3}, .data = small_b},
        {.name = "step", .dtype = CKPT_I64, .ndim = 0, .data = small_step},
    };
    ckpt_meta meta[2] = {{"format", CKPT_FORMAT_VERSION}, {"note", "small"}};
    return ckpt_write(path, ts, 3, meta, 2, err);
}

/* ------------------------------------------------------------------------ */
/* Round trips and layout                                                    */
/* ------------------------------------------------------------------------ */

Test(checkpoint, round_trip_all_dtypes_and_metadata) {
    const char *path = tmp_path("rt.safetensors");
    const char *quoted = "he said \"hi\"\nsecond line\twith tab and \\ backslash";
    const char *korean = "안녕하세요, 체크포인트";
    ckpt_tensor ts[4] = {
        {.name = "rnn.W_xh", .dtype = CKPT_F32, .ndim = 2, .shape = {2, 3}, .data = small_w},
        {.name = "rnn.b_h", .dtype = CKPT_F64, .ndim = 1, .shape = {3}, .data = small_b},
        {.name = "step", .dtype = CKPT_I64, .ndim = 0, .data = small_step},
        {.name = "empty", .dtype = CKPT_F32, .ndim = 1, .shape = {0}, .data = NULL},
    };
    ckpt_meta meta[3] = {{"quoted", quoted}, {"korean", korean}, {"blank", ""}};
    rnnlab_err err;
    cr_assert_eq(ckpt_write(path, ts, 4, meta, 3, &err), RNNLAB_OK, "%s", err.msg);

    ckpt *c = NULL;
    cr_assert_eq(ckpt_read(&c, path, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(ckpt_count(c), 4);
    for (size_t i = 0; i < 4; i++) {
        const ckpt_tensor *t = ckpt_at(c, i);
        cr_assert_not_null(t);
        cr_expect_str_eq(t->name, ts[i].name, "tensors keep the order they were written in");
        cr_expect_eq(t->dtype, ts[i].dtype);
        cr_expect_eq(t->ndim, ts[i].ndim);
        size_t n = 1;
        for (size_t k = 0; k < t->ndim; k++) {
            cr_expect_eq(t->shape[k], ts[i].shape[k]);
            n *= t->shape[k];
        }
        cr_assert_not_null(t->data);
        if (n)
            cr_expect_eq(memcmp(t->data, ts[i].data, n * ckpt_dtype_size(t->dtype)), 0,
                         "data of %s differs", t->name);
        cr_expect_eq(ckpt_find(c, ts[i].name), t);
    }
    const ckpt_tensor *step = ckpt_find(c, "step");
    cr_expect_eq(((const int64_t *)step->data)[0], 12345678901234LL);
    cr_expect_eq(((const double *)ckpt_find(c, "rnn.b_h")->data)[1], -2.5e300);
    cr_expect_null(ckpt_find(c, "missing"));
    cr_expect_null(ckpt_find(c, "__metadata__"));
    cr_expect_null(ckpt_at(c, 4));
    cr_expect_str_eq(ckpt_meta_get(c, "quoted"), quoted);
    cr_expect_str_eq(ckpt_meta_get(c, "korean"), korean);
    cr_expect_str_eq(ckpt_meta_get(c, "blank"), "");
    cr_expect_null(ckpt_meta_get(c, "nope"));
    ckpt_free(c);
}

Test(checkpoint, empty_checkpoint_round_trips) {
    const char *path = tmp_path("empty.safetensors");
    rnnlab_err err;
    cr_assert_eq(ckpt_write(path, NULL, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    size_t len;
    unsigned char *b = read_bytes(path, &len);
    cr_expect_eq(len, 16, "8-byte length + \"{}\" padded to 8");
    cr_expect_eq(memcmp(b + 8, "{}      ", 8), 0);
    free(b);
    ckpt *c = NULL;
    cr_assert_eq(ckpt_read(&c, path, &err), RNNLAB_OK, "%s", err.msg);
    cr_expect_eq(ckpt_count(c), 0);
    cr_expect_null(ckpt_find(c, "x"));
    cr_expect_null(ckpt_meta_get(c, "x"));
    ckpt_free(c);
}

Test(checkpoint, header_is_padded_with_spaces_to_8) {
    int padded = 0;
    float v[3] = {1, 2, 3};
    for (int k = 1; k <= 8; k++) {
        char name[16] = "abcdefgh";
        name[k] = '\0';
        const char *path = tmp_path("pad.safetensors");
        ckpt_tensor t = {.name = name, .dtype = CKPT_F32, .ndim = 1, .shape = {3}, .data = v};
        rnnlab_err err;
        cr_assert_eq(ckpt_write(path, &t, 1, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
        size_t len;
        unsigned char *b = read_bytes(path, &len);
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--) n = (n << 8) | b[i];
        cr_expect_eq((8 + n) % 8, 0, "name length %d: header length %llu", k,
                     (unsigned long long)n);
        cr_expect_eq(len, 8 + n + sizeof v);
        const unsigned char *end = memchr(b + 8, '\0', n); /* no NULs in the header */
        cr_expect_null(end);
        size_t j = n;
        while (j > 0 && b[8 + j - 1] == ' ') j--;
        cr_expect_eq(b[8 + j - 1], '}', "the JSON ends before the padding");
        if (j < n) padded = 1;
        cr_expect_eq(memcmp(b + 8 + n, v, sizeof v), 0);
        free(b);
    }
    cr_expect(padded, "some header needed padding");
}

Test(checkpoint, writer_output_is_byte_exact) {
    const char *path = tmp_path("exact.safetensors");
    const float w[2] = {1.0f, -2.0f};
    ckpt_tensor t = {.name = "w", .dtype = CKPT_F32, .ndim = 1, .shape = {2}, .data = w};
    ckpt_meta m = {"k", "v"};
    rnnlab_err err;
    cr_assert_eq(ckpt_write(path, &t, 1, &m, 1, &err), RNNLAB_OK, "%s", err.msg);

    const char *json = "{\"__metadata__\":{\"k\":\"v\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                       "\"data_offsets\":[0,8]}}";
    size_t jlen = strlen(json), n = (jlen + 7) / 8 * 8;
    unsigned char want[256];
    put_le64(want, n);
    memcpy(want + 8, json, jlen);
    memset(want + 8 + jlen, ' ', n - jlen);
    const unsigned char data[8] = {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0};
    memcpy(want + 8 + n, data, 8);

    size_t len;
    unsigned char *got = read_bytes(path, &len);
    cr_assert_eq(len, 8 + n + 8);
    cr_expect_eq(memcmp(got, want, len), 0, "file differs from the expected bytes");
    free(got);
}

/* A file built byte by byte, as another writer could produce it: no padding,
 * so the data area starts at an odd offset and the reader must realign. */
Test(checkpoint, reads_hand_built_file) {
    const char *json = "{\"x\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                       "\"n\":{\"shape\":[],\"dtype\":\"I64\",\"data_offsets\":[16,24]},"
                       "\"f\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[24,28]},"
                       "\"__metadata__\":{\"by\":\"hand\"}}";
    size_t jlen = strlen(json);
    unsigned char b[512];
    for (int extra = 0; extra < 8; extra++) { /* every alignment of the data area */
        size_t n = jlen + (size_t)extra;
        put_le64(b, n);
        memcpy(b + 8, json, jlen);
        memset(b + 8 + jlen, ' ', (size_t)extra);
        const unsigned char data[28] = {
            0, 0, 0,    0,    0, 0, 0xF8, 0x3F, /* 1.5 */
            0, 0, 0,    0,    0, 0, 0,    0xC0, /* -2.0 */
            7, 0, 0,    0,    0, 0, 0,    0,    /* 7 */
            0, 0, 0x40, 0x40,                   /* 3.0f */
        };
        memcpy(b + 8 + n, data, sizeof data);
        const char *path = tmp_path("hand.safetensors");
        write_bytes(path, b, 8 + n + sizeof data);

        ckpt *c = NULL;
        rnnlab_err err;
        cr_assert_eq(ckpt_read(&c, path, &err), RNNLAB_OK, "extra %d: %s", extra, err.msg);
        cr_assert_eq(ckpt_count(c), 3);
        const ckpt_tensor *x = ckpt_find(c, "x"), *nn = ckpt_find(c, "n"), *f = ckpt_find(c, "f");
        cr_assert(x && nn && f);
        cr_expect_eq(ckpt_at(c, 0), x);
        cr_expect_eq((uintptr_t)x->data % _Alignof(double), 0, "F64 data is aligned");
        cr_expect_eq((uintptr_t)nn->data % _Alignof(int64_t), 0, "I64 data is aligned");
        cr_expect_eq((uintptr_t)f->data % _Alignof(float), 0, "F32 data is aligned");
        cr_expect_eq(((const double *)x->data)[0], 1.5);
        cr_expect_eq(((const double *)x->data)[1], -2.0);
        cr_expect_eq(nn->ndim, 0);
        cr_expect_eq(((const int64_t *)nn->data)[0], 7);
        cr_expect_eq(f->ndim, 2);
        cr_expect_eq(((const float *)f->data)[0], 3.0f);
        cr_expect_str_eq(ckpt_meta_get(c, "by"), "hand");
        ckpt_free(c);
    }
}

Test(checkpoint, parses_from_memory) {
    const char *path = tmp_path("mem.safetensors");
    rnnlab_err err;
    cr_assert_eq(write_small(path, &err), RNNLAB_OK, "%s", err.msg);
    size_t len;
    unsigned char *b = read_bytes(path, &len);
    unsigned char *shifted = malloc(len + 1); /* the caller's copy is misaligned */
    cr_assert_not_null(shifted);
    memcpy(shifted + 1, b, len);
    ckpt *c = NULL;
    cr_assert_eq(ckpt_parse(&c, "in-memory", shifted + 1, len, &err), RNNLAB_OK, "%s", err.msg);
    memset(shifted, 0, len + 1); /* the ckpt keeps its own copy */
    cr_assert_eq(ckpt_count(c), 3);
    const ckpt_tensor *w = ckpt_find(c, "rnn.W_xh");
    cr_expect_eq(memcmp(w->data, small_w, sizeof small_w), 0);
    cr_expect_eq(((const int64_t *)ckpt_find(c, "step")->data)[0], small_step[0]);
    cr_expect_str_eq(ckpt_meta_get(c, "format"), CKPT_FORMAT_VERSION);
    ckpt_free(c);

    c = (ckpt *)1;
    cr_expect_eq(ckpt_parse(&c, "in-memory", b, len - 1, &err), RNNLAB_ERR_FORMAT);
    cr_expect_null(c);
    cr_expect_not_null(strstr(err.msg, "in-memory: bad safetensors file"), "%s", err.msg);
    cr_expect_eq(ckpt_parse(&c, "nothing", NULL, 0, &err), RNNLAB_ERR_FORMAT);
    cr_expect_not_null(strstr(err.msg, "nothing"), "%s", err.msg);
    free(shifted);
    free(b);
}

Test(checkpoint, dtype_helpers) {
    cr_expect_eq(ckpt_dtype_size(CKPT_F32), 4);
    cr_expect_eq(ckpt_dtype_size(CKPT_F64), 8);
    cr_expect_eq(ckpt_dtype_size(CKPT_I64), 8);
    cr_expect_str_eq(ckpt_dtype_name(CKPT_F32), "F32");
    cr_expect_str_eq(ckpt_dtype_name(CKPT_F64), "F64");
    cr_expect_str_eq(ckpt_dtype_name(CKPT_I64), "I64");
    cr_expect_eq(ckpt_dtype_size((ckpt_dtype)0), 0);
    cr_expect_null(ckpt_dtype_name((ckpt_dtype)99));
    cr_expect_eq(ckpt_count(NULL), 0);
    cr_expect_null(ckpt_at(NULL, 0));
    ckpt_free(NULL);
}

/* ------------------------------------------------------------------------ */
/* Validation                                                                */
/* ------------------------------------------------------------------------ */

Test(checkpoint, rejects_short_and_bad_lengths) {
    const char *path = tmp_path("bad.safetensors");
    write_bytes(path, "\x02\0\0\0\0", 5);
    expect_format(path, "shorter than the 8-byte", "short");

    unsigned char b[32] = {0};
    put_le64(b, 100);
    memcpy(b + 8, "{}", 2);
    write_bytes(path, b, 20);
    expect_format(path, "exceeds", "length beyond file");

    put_le64(b, (uint64_t)1 << 40);
    write_bytes(path, b, 20);
    expect_format(path, "absurd", "absurd length");

    put_le64(b, UINT64_MAX);
    write_bytes(path, b, 20);
    expect_format(path, "absurd", "max length");

    put_le64(b, 0);
    write_bytes(path, b, 8);
    expect_format(path, "not valid JSON", "empty header");
}

typedef struct bad_case {
    const char *label;
    const char *json;
    size_t data_len;
    const char *fault;
} bad_case;

#define T32(name, shape, b, e) \
    "\"" name "\":{\"dtype\":\"F32\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

static const bad_case bad_cases[] = {
    {"not json", "{\"a\":", 0, "not valid JSON"},
    {"junk after json", "{} x", 0, "unexpected text after"},
    {"array root", "[1,2]", 0, "not an object"},
    {"string root", "\"hi\"", 0, "not an object"},
    {"invalid utf8", "{\"__metadata__\":{\"k\":\"\xC3\x28\"}}", 0, "not valid UTF-8"},
    {"overlong utf8", "{\"__metadata__\":{\"k\":\"\xC0\xAF\"}}", 0, "not valid UTF-8"},
    {"metadata array", "{\"__metadata__\":[1]}", 0, "\"__metadata__\" is not an object"},
    {"metadata number", "{\"__metadata__\":{\"k\":1}}", 0,
     "metadata value for 'k' is not a string"},
    {"metadata null", "{\"__metadata__\":{\"k\":null}}", 0, "is not a string"},
    {"metadata nested", "{\"__metadata__\":{\"k\":{}}}", 0, "is not a string"},
    {"metadata dup key", "{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0,
     "metadata key 'k' appears twice"},
    {"metadata twice", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "appears twice"},
    {"tensor not object", "{\"a\":5}", 0, "tensor 'a' is not an object"},
    {"missing dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "\"dtype\" is missing"},
    {"dtype number", "{\"a\":{\"dtype\":3,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
     "\"dtype\" is missing or not a string"},
    {"unknown dtype", "{\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2,
     "unknown dtype \"BF16\""},
    {"lowercase dtype", "{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
     "unknown dtype"},
    {"missing shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
     "\"shape\" is missing"},
    {"shape object", "{\"a\":{\"dtype\":\"F32\",\"shape\":{},\"data_offsets\":[0,4]}}", 4,
     "\"shape\" is missing or not an array"},
    {"negative dim", "{" T32("a", "[-1]", 0, 4) "}", 4, "dim 0 is not a whole number"},
    {"fractional dim", "{" T32("a", "[1,1.5]", 0, 4) "}", 4, "dim 1 is not a whole number"},
    {"huge dim", "{" T32("a", "[1e300]", 0, 4) "}", 4, "dim 0 is not a whole number"},
    {"infinite dim", "{" T32("a", "[1e999]", 0, 4) "}", 4, "dim 0 is not a whole number"},
    {"string dim", "{" T32("a", "[\"1\"]", 0, 4) "}", 4, "dim 0 is not a whole number"},
    {"too many dims", "{" T32("a", "[1,1,1,1,1]", 0, 4) "}", 4, "more than 4 dims"},
    {"shape overflow", "{" T32("a", "[4294967296,4294967296,4294967296]", 0, 0) "}", 0,
     "shape size overflows"},
    {"missing offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
     "\"data_offsets\" is missing"},
    {"three offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", 4,
     "not [begin, end]"},
    {"one offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
     "not [begin, end]"},
    {"string offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",\"4\"]}}",
     4, "data_offsets are not whole numbers"},
    {"negative offset", "{" T32("a", "[1]", -4, 0) "}", 4, "data_offsets are not whole numbers"},
    {"begin after end", "{" T32("a", "[1]", 8, 4) "}", 8, "begin 8 > end 4"},
    {"end beyond data", "{" T32("a", "[4]", 0, 16) "}", 8,
     "end 16 is beyond the data area (8 bytes)"},
    {"size mismatch", "{" T32("a", "[3]", 0, 8) "}", 8, "span 8 bytes but shape and dtype need 12"},
    {"overlap", "{" T32("a", "[2]", 0, 8) "," T32("b", "[2]", 4, 12) "}", 12, "overlaps"},
    {"same range", "{" T32("a", "[2]", 0, 8) "," T32("b", "[2]", 0, 8) "}", 8, "overlaps"},
    {"gap", "{" T32("a", "[1]", 0, 4) "," T32("b", "[1]", 8, 12) "}", 12,
     "gap of 4 bytes in the data area before tensor 'b'"},
    {"gap at start", "{" T32("a", "[1]", 4, 8) "}", 8, "gap of 4 bytes"},
    {"trailing bytes", "{" T32("a", "[1]", 0, 4) "}", 8, "4 trailing bytes"},
    {"trailing no tensors", "{}", 3, "3 trailing bytes"},
    {"duplicate names", "{" T32("a", "[1]", 0, 4) "," T32("a", "[1]", 4, 8) "}", 8,
     "two tensors are named 'a'"},
};

Test(checkpoint, rejects_every_malformed_header) {
    const char *path = tmp_path("bad.safetensors");
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        write_raw(path, bad_cases[i].json, bad_cases[i].data_len);
        expect_format(path, bad_cases[i].fault, bad_cases[i].label);
    }
}

/* The same helper accepts a well-formed header, so the cases above fail for
 * the fault they name and not for how they were built. */
Test(checkpoint, raw_builder_makes_valid_files) {
    const char *path = tmp_path("ok.safetensors");
    write_raw(path, "{" T32("a", "[1]", 4, 8) "," T32("b", "[1]", 0, 4) "}", 8);
    ckpt *c = NULL;
    rnnlab_err err;
    cr_assert_eq(ckpt_read(&c, path, &err), RNNLAB_OK, "%s", err.msg);
    cr_expect_eq(ckpt_count(c), 2);
    const unsigned char *a = ckpt_find(c, "a")->data;
    cr_expect_eq(a[0], 4, "tensor a holds data bytes 4..8");
    ckpt_free(c);
}

Test(checkpoint, missing_file_is_io_error) {
    const char *path = tmp_path("absent.safetensors");
    ckpt *c = NULL;
    rnnlab_err err;
    cr_expect_eq(ckpt_read(&c, path, &err), RNNLAB_ERR_IO);
    cr_expect_null(c);
    cr_expect_not_null(strstr(err.msg, path), "%s", err.msg);
}

Test(checkpoint, every_truncation_is_an_error) {
    const char *path = tmp_path("full.safetensors");
    rnnlab_err err;
    cr_assert_eq(write_small(path, &err), RNNLAB_OK, "%s", err.msg);
    size_t len;
    unsigned char *b = read_bytes(path, &len);
    const char *cut = tmp_path("cut.safetensors");
    for (size_t n = 0; n < len; n++) {
        write_bytes(cut, b, n);
        ckpt *c = NULL;
        int rc = ckpt_read(&c, cut, &err);
        cr_expect_eq(rc, RNNLAB_ERR_FORMAT, "length %zu of %zu: rc %d", n, len, rc);
        cr_expect_null(c);
        cr_expect_not_null(strstr(err.msg, cut), "length %zu: %s", n, err.msg);
        ckpt_free(c);
    }
    free(b);
}

/* Random byte corruption of a valid file: every outcome is either an error
 * or a checkpoint whose tensors can all be read (ASan checks the reads). */
Test(checkpoint, corrupted_bytes_never_crash) {
    const char *path = tmp_path("full.safetensors");
    rnnlab_err err;
    cr_assert_eq(write_small(path, &err), RNNLAB_OK, "%s", err.msg);
    size_t len;
    unsigned char *orig = read_bytes(path, &len);
    unsigned char *b = malloc(len);
    cr_assert_not_null(b);
    const char *mut = tmp_path("mut.safetensors");
    uint64_t s = 0x9E3779B97F4A7C15ull;
    int ok = 0, failed = 0;
    for (int iter = 0; iter < 600; iter++) {
        memcpy(b, orig, len);
        int flips = 1 + iter % 3;
        for (int k = 0; k < flips; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            size_t at = (size_t)(s % len);
            /* Half the time aim at the length and the JSON, where the parser is. */
            if (iter % 2) at = (size_t)(s % (len < 200 ? len : 200));
            b[at] = (unsigned char)(s >> 32);
        }
        write_bytes(mut, b, len);
        ckpt *c = NULL;
        int rc = ckpt_read(&c, mut, &err);
        if (rc != RNNLAB_OK) {
            cr_expect_null(c);
            cr_expect_eq(rc, RNNLAB_ERR_FORMAT, "iter %d: %s", iter, err.msg);
            failed++;
            continue;
        }
        ok++;
        unsigned sum = 0;
        for (size_t i = 0; i < ckpt_count(c); i++) {
            const ckpt_tensor *t = ckpt_at(c, i);
            size_t n = ckpt_dtype_size(t->dtype);
            for (size_t k = 0; k < t->ndim; k++) n *= t->shape[k];
            for (size_t k = 0; k < n; k++) sum += ((const unsigned char *)t->data)[k];
            cr_expect_eq(ckpt_find(c, t->name), t);
        }
        (void)sum;
        ckpt_free(c);
    }
    cr_expect_gt(failed, 0);
    cr_expect_gt(ok, 0, "some corruptions (in tensor data) still read");
    free(b);
    free(orig);
}

/* ------------------------------------------------------------------------ */
/* Writing errors and atomicity                                              */
/* ------------------------------------------------------------------------ */

Test(checkpoint, write_rejects_bad_arguments) {
    const char *path = tmp_path("args.safetensors");
    float v[2] = {1, 2};
    rnnlab_err err;
    struct {
        ckpt_tensor t[2];
        size_t n;
        const char *fault;
    } cases[] = {
        {{{.name = "a", .dtype = CKPT_F32, .ndim = 1, .shape = {2}, .data = v},
          {.name = "a", .dtype = CKPT_F32, .ndim = 1, .shape = {2}, .data = v}},
         2,
         "two tensors are named 'a'"},
        {{{.name = "__metadata__", .dtype = CKPT_F32, .ndim = 1, .shape = {2}, .data = v}},
         1,
         "reserved"},
        {{{.name = "", .dtype = CKPT_F32, .ndim = 1, .shape = {2}, .data = v}}, 1, "no name"},
        {{{.name = NULL, .dtype = CKPT_F32, .ndim = 1, .shape = {2}, .data = v}}, 1, "no name"},
        {{{.name = "a", .dtype = (ckpt_dtype)7, .ndim = 1, .shape = {2}, .data = v}},
         1,
         "unknown dtype 7"},
        {{{.name = "a", .dtype = CKPT_F32, .ndim = 5, .shape = {1, 1, 1, 1}, .data = v}},
         1,
         "5 dims, at most 4"},
        {{{.name = "a", .dtype = CKPT_F32, .ndim = 1, .shape = {2}, .data = NULL}},
         1,
         "has no data"},
        {{{.name = "a",
           .dtype = CKPT_F64,
           .ndim = 4,
           .shape = {1u << 20, 1u << 20, 1u << 20, 1u << 20},
           .data = v}},
         1,
         "size overflows"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err_clear(&err);
        cr_expect_eq(ckpt_write(path, cases[i].t, cases[i].n, NULL, 0, &err), RNNLAB_ERR_INVALID,
                     "case %zu", i);
        cr_expect_not_null(strstr(err.msg, cases[i].fault), "case %zu: %s", i, err.msg);
        cr_expect_not_null(strstr(err.msg, path), "case %zu: %s", i, err.msg);
    }
    ckpt_meta dup[2] = {{"k", "1"}, {"k", "2"}};
    cr_expect_eq(ckpt_write(path, NULL, 0, dup, 2, &err), RNNLAB_ERR_INVALID);
    cr_expect_not_null(strstr(err.msg, "metadata key 'k' appears twice"), "%s", err.msg);
    ckpt_meta novalue = {"k", NULL};
    cr_expect_eq(ckpt_write(path, NULL, 0, &novalue, 1, &err), RNNLAB_ERR_INVALID);
    cr_expect_not_null(strstr(err.msg, "has no value"), "%s", err.msg);
    cr_expect_eq(access(path, F_OK), -1, "nothing was written");
}

static void expect_unchanged(const char *path, const unsigned char *old, size_t old_len,
                             const char *label) {
    size_t len;
    unsigned char *now = read_bytes(path, &len);
    cr_expect_eq(len, old_len, "[%s] size changed", label);
    cr_expect(len == old_len && memcmp(now, old, len) == 0, "[%s] contents changed", label);
    free(now);
    cr_expect_eq(count_other_entries(tmp_dir, "model.safetensors"), 0,
                 "[%s] a temp file was left behind", label);
}

Test(checkpoint, failed_writes_keep_the_previous_file) {
    const char *path = tmp_path("model.safetensors");
    rnnlab_err err;
    cr_assert_eq(write_small(path, &err), RNNLAB_OK, "%s", err.msg);
    size_t old_len;
    unsigned char *old = read_bytes(path, &old_len);

    double big[64];
    for (int i = 0; i < 64; i++) big[i] = i * 0.25;
    ckpt_tensor t = {.name = "big", .dtype = CKPT_F64, .ndim = 2, .shape = {8, 8}, .data = big};
    const long cuts[] = {0, 1, 7, 8, 40, 100, 500};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char label[32];
        snprintf(label, sizeof label, "ENOSPC after %ld", cuts[i]);
        fileio_inject_faults(cuts[i], 0);
        err_clear(&err);
        int rc = ckpt_write(path, &t, 1, NULL, 0, &err);
        fileio_inject_faults(-1, 0);
        cr_expect_eq(rc, RNNLAB_ERR_IO, "[%s] rc %d", label, rc);
        cr_expect_not_null(strstr(err.msg, path), "[%s] %s", label, err.msg);
        cr_expect_not_null(strstr(err.msg, "write failed"), "[%s] %s", label, err.msg);
        expect_unchanged(path, old, old_len, label);
    }

    fileio_inject_faults(-1, 1);
    int rc = ckpt_write(path, &t, 1, NULL, 0, &err);
    fileio_inject_faults(-1, 0);
    cr_expect_eq(rc, RNNLAB_ERR_IO);
    cr_expect_not_null(strstr(err.msg, "fsync failed"), "%s", err.msg);
    expect_unchanged(path, old, old_len, "fsync");

    /* And with the faults gone the new checkpoint replaces the old one. */
    cr_assert_eq(ckpt_write(path, &t, 1, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    ckpt *c = NULL;
    cr_assert_eq(ckpt_read(&c, path, &err), RNNLAB_OK, "%s", err.msg);
    cr_expect_eq(ckpt_count(c), 1);
    cr_expect_eq(((const double *)ckpt_find(c, "big")->data)[63], 63 * 0.25);
    ckpt_free(c);
    free(old);
}

Test(checkpoint, write_into_missing_folder_fails) {
    const char *path = tmp_path("no/such/folder/x.safetensors");
    rnnlab_err err;
    cr_expect_eq(write_small(path, &err), RNNLAB_ERR_IO);
    cr_expect_not_null(strstr(err.msg, path), "%s", err.msg);
}

/* ------------------------------------------------------------------------ */
/* fileio.c                                                                  */
/* ------------------------------------------------------------------------ */

Test(checkpoint, fileio_read_missing_file_names_it) {
    const char *path = tmp_path("does-not-exist.txt");
    char *buf = (char *)1;
    size_t len = 99;
    rnnlab_err err;
    cr_expect_eq(file_read_all(path, &buf, &len, &err), RNNLAB_ERR_IO);
    cr_expect_null(buf);
    cr_expect_eq(len, 0);
    cr_expect_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "cannot open"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "No such file"), "%s", err.msg);
}

Test(checkpoint, fileio_reads_large_files_whole) {
    const char *path = tmp_path("big.bin");
    size_t n = 200000; /* past the 64 KiB first buffer, so it must grow */
    unsigned char *data = malloc(n);
    cr_assert_not_null(data);
    for (size_t i = 0; i < n; i++) data[i] = (unsigned char)(i * 31 + 7);
    write_bytes(path, data, n);
    char *buf;
    size_t len;
    rnnlab_err err;
    cr_assert_eq(file_read_all(path, &buf, &len, &err), RNNLAB_OK, "%s", err.msg);
    cr_expect_eq(len, n);
    cr_expect_eq(memcmp(buf, data, n), 0);
    cr_expect_eq(buf[n], '\0', "the buffer is NUL-terminated");
    free(buf);
    free(data);
}

Test(checkpoint, fileio_make_dirs) {
    char path[600];
    snprintf(path, sizeof path, "%s/a/b/c", tmp_dir);
    rnnlab_err err;
    cr_assert_eq(make_dirs(path, &err), RNNLAB_OK, "%s", err.msg);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect(S_ISDIR(st.st_mode));
    cr_expect_eq(make_dirs(path, &err), RNNLAB_OK, "an existing folder is fine: %s", err.msg);

    const char *file = tmp_path("plain");
    write_bytes(file, "x", 1);
    snprintf(path, sizeof path, "%s/plain/sub", tmp_dir);
    cr_expect_eq(make_dirs(path, &err), RNNLAB_ERR_IO);
    cr_expect_not_null(strstr(err.msg, "cannot create folder"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "plain/sub"), "%s", err.msg);
}
