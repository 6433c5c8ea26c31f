/* checkpoint.c -- see checkpoint.h.
 *
 * The reader trusts nothing in the file: every length, number and offset is
 * checked before it is used, and arithmetic on them is overflow-checked, so
 * a hostile or truncated file is an error, never a crash. */
#include "checkpoint.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

/* Tensor bytes are copied to and from memory as they are; the format is
 * little-endian, so a big-endian build would silently write garbage. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoint.c assumes a little-endian host (safetensors data is little-endian)"
#endif

#define CKPT_META_KEY "__metadata__"
/* A header bigger than this is a corrupt length, not a real header (the
 * reference implementation uses the same bound). */
#define CKPT_MAX_HEADER ((uint64_t)100 * 1000 * 1000)
/* Integers in the JSON are parsed as doubles; above 2^53 they are no longer
 * exact, so larger dims or offsets are refused rather than rounded. */
#define CKPT_MAX_JSON_INT 9007199254740992.0

struct ckpt {
    char *buf; /* the whole file, owned */
    size_t len;
    cJSON *json;            /* parsed header, owned; names and metadata point into it */
    unsigned char *aligned; /* copies of tensors whose file position is misaligned */
    ckpt_tensor *tensors;   /* file (JSON) order */
    size_t ntensors;
    const ckpt_tensor **by_name; /* sorted by name, for ckpt_find */
    ckpt_meta *meta;
    size_t nmeta;
};

/* Checked at run time too, for compilers without __BYTE_ORDER__. */
static int host_is_little_endian(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

size_t ckpt_dtype_size(ckpt_dtype d) {
    switch (d) {
    case CKPT_F32: return 4;
    case CKPT_F64: return 8;
    case CKPT_I64: return 8;
    }
    return 0;
}

const char *ckpt_dtype_name(ckpt_dtype d) {
    switch (d) {
    case CKPT_F32: return "F32";
    case CKPT_F64: return "F64";
    case CKPT_I64: return "I64";
    }
    return NULL;
}

/* The alignment a consumer needs to read a dtype's elements in place. */
static size_t dtype_align(ckpt_dtype d) {
    switch (d) {
    case CKPT_F32: return alignof(float);
    case CKPT_F64: return alignof(double);
    case CKPT_I64: return alignof(int64_t);
    }
    return 1;
}

static int dtype_from_name(const char *s, ckpt_dtype *out) {
    static const ckpt_dtype all[] = {CKPT_F32, CKPT_F64, CKPT_I64};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(s, ckpt_dtype_name(all[i])) == 0) {
            *out = all[i];
            return 1;
        }
    }
    return 0;
}

/* *bytes = product(shape) * element size; 0 on overflow. */
static int tensor_nbytes(ckpt_dtype d, const size_t *shape, size_t ndim, uint64_t *bytes) {
    uint64_t n = ckpt_dtype_size(d);
    for (size_t i = 0; i < ndim; i++) {
        if (shape[i] != 0 && n > UINT64_MAX / shape[i]) return 0;
        n *= shape[i];
    }
    if (n > SIZE_MAX) return 0;
    *bytes = n;
    return 1;
}

static int cmp_str_ptr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first name that appears twice in names[0..n), or NULL. Sorts names. */
static const char *first_duplicate(const char **names, size_t n) {
    if (n < 2) return NULL;
    qsort(names, n, sizeof names[0], cmp_str_ptr);
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0) return names[i];
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */
/* ------------------------------------------------------------------------ */

static int check_write_args(const char *path, const ckpt_tensor *tensors, size_t ntensors,
                            const ckpt_meta *meta, size_t nmeta, rnnlab_err *err) {
    for (size_t i = 0; i < ntensors; i++) {
        const ckpt_tensor *t = &tensors[i];
        uint64_t bytes;
        if (!t->name || !t->name[0])
            return err_set(err, RNNLAB_ERR_INVALID, "%s: tensor %zu has no name", path, i);
        if (strcmp(t->name, CKPT_META_KEY) == 0)
            return err_set(err, RNNLAB_ERR_INVALID,
                           "%s: tensor %zu: the name \"" CKPT_META_KEY "\" is reserved", path, i);
        if (!ckpt_dtype_name(t->dtype))
            return err_set(err, RNNLAB_ERR_INVALID, "%s: tensor '%s': unknown dtype %d", path,
                           t->name, (int)t->dtype);
        if (t->ndim > CKPT_MAX_DIMS)
            return err_set(err, RNNLAB_ERR_INVALID, "%s: tensor '%s': %zu dims, at most %d", path,
                           t->name, t->ndim, CKPT_MAX_DIMS);
        for (size_t k = 0; k < t->ndim; k++)
            if ((double)t->shape[k] > CKPT_MAX_JSON_INT)
                return err_set(err, RNNLAB_ERR_INVALID, "%s: tensor '%s': dim %zu is too large",
                               path, t->name, k);
        if (!tensor_nbytes(t->dtype, t->shape, t->ndim, &bytes))
            return err_set(err, RNNLAB_ERR_INVALID, "%s: tensor '%s': size overflows", path,
                           t->name);
        if (bytes > 0 && !t->data)
            return err_set(err, RNNLAB_ERR_INVALID, "%s: tensor '%s' has no data", path, t->name);
    }
    for (size_t i = 0; i < nmeta; i++)
        if (!meta[i].key || !meta[i].value)
            return err_set(err, RNNLAB_ERR_INVALID, "%s: metadata entry %zu has no %s", path, i,
                           meta[i].key ? "value" : "key");
    return RNNLAB_OK;
}

static int check_unique(const char *path, const ckpt_tensor *tensors, size_t ntensors,
                        const ckpt_meta *meta, size_t nmeta, rnnlab_err *err) {
    size_t n = ntensors > nmeta ? ntensors : nmeta;
    if (n < 2) return RNNLAB_OK;
    const char **names = malloc(n * sizeof *names);
    if (!names) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < ntensors; i++) names[i] = tensors[i].name;
    const char *dup = first_duplicate(names, ntensors);
    int rc = RNNLAB_OK;
    if (dup) {
        rc = err_set(err, RNNLAB_ERR_INVALID, "%s: two tensors are named '%s'", path, dup);
    } else {
        for (size_t i = 0; i < nmeta; i++) names[i] = meta[i].key;
        dup = first_duplicate(names, nmeta);
        if (dup)
            rc = err_set(err, RNNLAB_ERR_INVALID, "%s: metadata key '%s' appears twice", path, dup);
    }
    free(names);
    return rc;
}

/* An exact JSON integer: cJSON prints numbers through double and "%d", which
 * would turn offsets past 2^31 into floating-point text. */
static cJSON *json_uint(uint64_t v) {
    char text[32];
    snprintf(text, sizeof text, "%" PRIu64, v);
    return cJSON_CreateRaw(text);
}

static cJSON *json_uint_pair(uint64_t a, uint64_t b) {
    cJSON *arr = cJSON_CreateArray();
    if (!arr) return NULL;
    cJSON *x = json_uint(a);
    if (!x || !cJSON_AddItemToArray(arr, x)) {
        cJSON_Delete(x);
        cJSON_Delete(arr);
        return NULL;
    }
    cJSON *y = json_uint(b);
    if (!y || !cJSON_AddItemToArray(arr, y)) {
        cJSON_Delete(y);
        cJSON_Delete(arr);
        return NULL;
    }
    return arr;
}

/* Adds item under key to obj; on failure frees item and returns 0. */
static int json_add(cJSON *obj, const char *key, cJSON *item) {
    if (!item) return 0;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return 0;
    }
    return 1;
}

static cJSON *json_tensor(const ckpt_tensor *t, uint64_t begin, uint64_t end) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON *shape = cJSON_CreateArray();
    int ok = json_add(o, "dtype", cJSON_CreateString(ckpt_dtype_name(t->dtype))) &&
             json_add(o, "shape", shape);
    for (size_t k = 0; ok && k < t->ndim; k++) {
        cJSON *d = json_uint(t->shape[k]);
        if (!d || !cJSON_AddItemToArray(shape, d)) {
            cJSON_Delete(d);
            ok = 0;
        }
    }
    ok = ok && json_add(o, "data_offsets", json_uint_pair(begin, end));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The header JSON: metadata first (only if there is any, as the reference
 * writer does), then the tensors in the order given. */
static cJSON *json_header(const ckpt_tensor *tensors, size_t ntensors, const ckpt_meta *meta,
                          size_t nmeta) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    if (nmeta > 0) {
        cJSON *m = cJSON_CreateObject();
        if (!json_add(root, CKPT_META_KEY, m)) goto fail;
        for (size_t i = 0; i < nmeta; i++)
            if (!json_add(m, meta[i].key, cJSON_CreateString(meta[i].value))) goto fail;
    }
    uint64_t off = 0;
    for (size_t i = 0; i < ntensors; i++) {
        uint64_t bytes = 0;
        tensor_nbytes(tensors[i].dtype, tensors[i].shape, tensors[i].ndim, &bytes);
        if (!json_add(root, tensors[i].name, json_tensor(&tensors[i], off, off + bytes))) goto fail;
        off += bytes;
    }
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}

int ckpt_write(const char *path, const ckpt_tensor *tensors, size_t ntensors, const ckpt_meta *meta,
               size_t nmeta, rnnlab_err *err) {
    if (!host_is_little_endian())
        return err_set(err, RNNLAB_ERR_UNSUPPORTED, "%s: checkpoints need a little-endian host",
                       path);
    if ((ntensors > 0 && !tensors) || (nmeta > 0 && !meta))
        return err_set(err, RNNLAB_ERR_INVALID, "%s: NULL tensor or metadata list", path);
    int rc = check_write_args(path, tensors, ntensors, meta, nmeta, err);
    if (rc == RNNLAB_OK) rc = check_unique(path, tensors, ntensors, meta, nmeta, err);
    if (rc != RNNLAB_OK) return rc;

    uint64_t total = 0;
    for (size_t i = 0; i < ntensors; i++) {
        uint64_t bytes = 0;
        tensor_nbytes(tensors[i].dtype, tensors[i].shape, tensors[i].ndim, &bytes);
        if (bytes > UINT64_MAX - total)
            return err_set(err, RNNLAB_ERR_INVALID, "%s: total tensor size overflows", path);
        total += bytes;
    }

    cJSON *root = json_header(tensors, ntensors, meta, nmeta);
    char *json = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory building the header", path);

    /* Pad with spaces so the data area starts 8-aligned in the file. */
    size_t jlen = strlen(json);
    size_t hlen = (jlen + 7) / 8 * 8;
    size_t n = ntensors + 1;
    unsigned char *head = malloc(8 + hlen);
    const void **chunks = malloc(n * sizeof *chunks);
    size_t *lens = malloc(n * sizeof *lens);
    if (!head || !chunks || !lens) {
        rc = err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    } else {
        for (int b = 0; b < 8; b++) head[b] = (unsigned char)((uint64_t)hlen >> (8 * b));
        memcpy(head + 8, json, jlen);
        memset(head + 8 + jlen, ' ', hlen - jlen);
        chunks[0] = head;
        lens[0] = 8 + hlen;
        for (size_t i = 0; i < ntensors; i++) {
            uint64_t bytes = 0;
            tensor_nbytes(tensors[i].dtype, tensors[i].shape, tensors[i].ndim, &bytes);
            chunks[i + 1] = tensors[i].data;
            lens[i + 1] = (size_t)bytes;
        }
        rc = file_write_atomic(path, chunks, lens, n, err);
    }
    free(lens);
    free(chunks);
    free(head);
    cJSON_free(json);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */
/* ------------------------------------------------------------------------ */

/* A tensor's byte range, kept with its index for the coverage check. */
typedef struct range {
    uint64_t begin, end;
    size_t index;
} range;

static int bad(rnnlab_err *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A format error "path: bad safetensors file: <fault>". */
static int bad(rnnlab_err *err, const char *path, const char *fmt, ...) {
    char fault[RNNLAB_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fault, sizeof fault, fmt, ap);
    va_end(ap);
    return err_set(err, RNNLAB_ERR_FORMAT, "%s: bad safetensors file: %s", path, fault);
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF):
 * the reference reader refuses a header that is not valid UTF-8. Returns the
 * offset of the first bad byte, or n. */
static size_t utf8_invalid_at(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return i;
        }
        if (len > n - i) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
        i += len;
    }
    return n;
}

/* A JSON number that is a whole number in [0, 2^53]. */
static int json_to_u64(const cJSON *item, uint64_t *out) {
    if (!cJSON_IsNumber(item)) return 0;
    double v = item->valuedouble;
    if (!isfinite(v) || v < 0 || v > CKPT_MAX_JSON_INT || v != floor(v)) return 0;
    *out = (uint64_t)v;
    return 1;
}

static int parse_meta(ckpt *c, const cJSON *m, const char *path, rnnlab_err *err) {
    if (!cJSON_IsObject(m)) return bad(err, path, "\"" CKPT_META_KEY "\" is not an object");
    size_t n = (size_t)cJSON_GetArraySize(m);
    if (n == 0) return RNNLAB_OK;
    c->meta = calloc(n, sizeof *c->meta);
    if (!c->meta) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    for (const cJSON *e = m->child; e; e = e->next) {
        if (!cJSON_IsString(e) || !e->valuestring || !e->string)
            return bad(err, path, "metadata value for '%.200s' is not a string",
                       e->string ? e->string : "?");
        c->meta[c->nmeta].key = e->string;
        c->meta[c->nmeta].value = e->valuestring;
        c->nmeta++;
    }
    const char **keys = malloc(c->nmeta * sizeof *keys);
    if (!keys) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < c->nmeta; i++) keys[i] = c->meta[i].key;
    const char *dup = first_duplicate(keys, c->nmeta);
    int rc = dup ? bad(err, path, "metadata key '%.200s' appears twice", dup) : RNNLAB_OK;
    free(keys);
    return rc;
}

static int parse_shape(ckpt_tensor *t, const cJSON *shape, const char *path, rnnlab_err *err) {
    if (!cJSON_IsArray(shape))
        return bad(err, path, "tensor '%.200s': \"shape\" is missing or not an array", t->name);
    size_t ndim = 0;
    for (const cJSON *d = shape->child; d; d = d->next, ndim++) {
        uint64_t v;
        if (ndim >= CKPT_MAX_DIMS)
            return bad(err, path, "tensor '%.200s': more than %d dims", t->name, CKPT_MAX_DIMS);
        if (!json_to_u64(d, &v) || v > SIZE_MAX)
            return bad(err, path, "tensor '%.200s': dim %zu is not a whole number in [0, 2^53]",
                       t->name, ndim);
        t->shape[ndim] = (size_t)v;
    }
    t->ndim = ndim;
    return RNNLAB_OK;
}

/* Validates one tensor entry and fills t (data not yet set) and r. */
static int parse_tensor(ckpt_tensor *t, range *r, const cJSON *e, uint64_t data_size,
                        const char *path, rnnlab_err *err) {
    t->name = e->string;
    if (!cJSON_IsObject(e)) return bad(err, path, "tensor '%.200s' is not an object", t->name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    if (!cJSON_IsString(dtype) || !dtype->valuestring)
        return bad(err, path, "tensor '%.200s': \"dtype\" is missing or not a string", t->name);
    if (!dtype_from_name(dtype->valuestring, &t->dtype))
        return bad(err, path, "tensor '%.200s': unknown dtype \"%.32s\" (expected F32, F64 or I64)",
                   t->name, dtype->valuestring);
    int rc = parse_shape(t, cJSON_GetObjectItemCaseSensitive(e, "shape"), path, err);
    if (rc != RNNLAB_OK) return rc;

    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return bad(err, path, "tensor '%.200s': \"data_offsets\" is missing or not [begin, end]",
                   t->name);
    if (!json_to_u64(offs->child, &r->begin) || !json_to_u64(offs->child->next, &r->end))
        return bad(err, path, "tensor '%.200s': data_offsets are not whole numbers in [0, 2^53]",
                   t->name);
    if (r->begin > r->end)
        return bad(err, path, "tensor '%.200s': data_offsets begin %" PRIu64 " > end %" PRIu64,
                   t->name, r->begin, r->end);
    if (r->end > data_size)
        return bad(err, path,
                   "tensor '%.200s': data_offsets end %" PRIu64 " is beyond the data area (%" PRIu64
                   " bytes)",
                   t->name, r->end, data_size);
    uint64_t bytes;
    if (!tensor_nbytes(t->dtype, t->shape, t->ndim, &bytes))
        return bad(err, path, "tensor '%.200s': shape size overflows", t->name);
    if (r->end - r->begin != bytes)
        return bad(err, path,
                   "tensor '%.200s': data_offsets span %" PRIu64
                   " bytes but shape and dtype need %" PRIu64,
                   t->name, r->end - r->begin, bytes);
    return RNNLAB_OK;
}

static int cmp_range(const void *a, const void *b) {
    const range *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

/* The ranges must tile the data area exactly, as the reference reader
 * demands: no overlaps, no gaps, no trailing bytes. Sorts rs. */
static int check_coverage(const ckpt *c, range *rs, size_t n, uint64_t data_size, const char *path,
                          rnnlab_err *err) {
    qsort(rs, n, sizeof rs[0], cmp_range);
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = c->tensors[rs[i].index].name;
        if (rs[i].begin < at)
            return bad(err, path,
                       "tensor '%.200s' (bytes %" PRIu64 "..%" PRIu64
                       ") overlaps the tensor before it",
                       name, rs[i].begin, rs[i].end);
        if (rs[i].begin > at)
            return bad(err, path,
                       "gap of %" PRIu64 " bytes in the data area before tensor '%.200s'",
                       rs[i].begin - at, name);
        at = rs[i].end;
    }
    if (at != data_size)
        return bad(err, path, "%" PRIu64 " trailing bytes after the last tensor", data_size - at);
    return RNNLAB_OK;
}

/* Points each tensor at its bytes. A tensor whose address in the buffer is
 * not aligned for its dtype (the data area starts at 8+N, which files from
 * other writers need not pad) is copied into one aligned block instead, so
 * consumers may always read the data as float/double/int64_t arrays. Runs
 * after check_coverage, so the copies together are at most the data area. */
static int place_data(ckpt *c, const range *rs, const unsigned char *data, const char *path,
                      rnnlab_err *err) {
    size_t need = 0;
    for (size_t k = 0; k < c->ntensors; k++) {
        const ckpt_tensor *t = &c->tensors[rs[k].index];
        if ((uintptr_t)(data + rs[k].begin) % dtype_align(t->dtype) != 0)
            need += (size_t)(rs[k].end - rs[k].begin + 7) / 8 * 8;
    }
    if (need > 0) {
        c->aligned = malloc(need); /* malloc aligns for every scalar type */
        if (!c->aligned) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t used = 0;
    for (size_t k = 0; k < c->ntensors; k++) {
        ckpt_tensor *t = &c->tensors[rs[k].index];
        const unsigned char *src = data + rs[k].begin;
        size_t bytes = (size_t)(rs[k].end - rs[k].begin);
        if ((uintptr_t)src % dtype_align(t->dtype) == 0) {
            t->data = src;
            continue;
        }
        memcpy(c->aligned + used, src, bytes);
        t->data = c->aligned + used;
        used += (bytes + 7) / 8 * 8;
    }
    return RNNLAB_OK;
}

static int cmp_tensor_name(const void *a, const void *b) {
    const ckpt_tensor *x = *(const ckpt_tensor *const *)a;
    const ckpt_tensor *y = *(const ckpt_tensor *const *)b;
    return strcmp(x->name, y->name);
}

static int index_names(ckpt *c, const char *path, rnnlab_err *err) {
    if (c->ntensors == 0) return RNNLAB_OK;
    c->by_name = malloc(c->ntensors * sizeof *c->by_name);
    if (!c->by_name) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < c->ntensors; i++) c->by_name[i] = &c->tensors[i];
    qsort(c->by_name, c->ntensors, sizeof c->by_name[0], cmp_tensor_name);
    for (size_t i = 1; i < c->ntensors; i++)
        if (strcmp(c->by_name[i - 1]->name, c->by_name[i]->name) == 0)
            return bad(err, path, "two tensors are named '%.200s'", c->by_name[i]->name);
    return RNNLAB_OK;
}

/* Parses the header bytes into c->json. The header is copied so that cJSON
 * always sees a NUL-terminated string, whatever the file holds. */
static int parse_json(ckpt *c, const char *head, size_t n, const char *path, rnnlab_err *err) {
    size_t bad_at = utf8_invalid_at((const unsigned char *)head, n);
    if (bad_at != n) return bad(err, path, "header byte %zu is not valid UTF-8", bad_at);
    if (memchr(head, '\0', n)) return bad(err, path, "header contains a NUL byte");
    char *text = malloc(n + 1);
    if (!text) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    memcpy(text, head, n);
    text[n] = '\0';
    const char *end = NULL;
    c->json = cJSON_ParseWithLengthOpts(text, n, &end, 0);
    size_t stop = end ? (size_t)(end - text) : 0;
    free(text);
    if (!c->json) return bad(err, path, "header is not valid JSON (error near byte %zu)", stop);
    for (size_t i = stop; i < n; i++)
        if (head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && head[i] != '\r')
            return bad(err, path, "unexpected text after the header JSON at byte %zu", i);
    if (!cJSON_IsObject(c->json)) return bad(err, path, "header JSON is not an object");
    return RNNLAB_OK;
}

static int parse_entries(ckpt *c, uint64_t data_size, const unsigned char *data, const char *path,
                         rnnlab_err *err) {
    size_t n = (size_t)cJSON_GetArraySize(c->json);
    int seen_meta = 0;
    c->tensors = calloc(n ? n : 1, sizeof *c->tensors);
    range *rs = calloc(n ? n : 1, sizeof *rs);
    if (!c->tensors || !rs) {
        free(rs);
        return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    }
    int rc = RNNLAB_OK;
    for (const cJSON *e = c->json->child; e && rc == RNNLAB_OK; e = e->next) {
        if (!e->string) {
            rc = bad(err, path, "header entry without a name");
        } else if (strcmp(e->string, CKPT_META_KEY) == 0) {
            rc = seen_meta ? bad(err, path, "\"" CKPT_META_KEY "\" appears twice")
                           : parse_meta(c, e, path, err);
            seen_meta = 1;
        } else {
            size_t i = c->ntensors;
            rc = parse_tensor(&c->tensors[i], &rs[i], e, data_size, path, err);
            rs[i].index = i;
            c->ntensors++;
        }
    }
    if (rc == RNNLAB_OK) rc = index_names(c, path, err);
    if (rc == RNNLAB_OK) rc = check_coverage(c, rs, c->ntensors, data_size, path, err);
    if (rc == RNNLAB_OK) rc = place_data(c, rs, data, path, err);
    free(rs);
    return rc;
}

/* Validates c->buf (c->len bytes) and builds the tensor table. */
static int parse_file(ckpt *c, const char *path, rnnlab_err *err) {
    if (c->len < 8)
        return bad(err, path, "file is %zu bytes, shorter than the 8-byte header length", c->len);
    const unsigned char *b = (const unsigned char *)c->buf;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | b[i];
    if (n > CKPT_MAX_HEADER)
        return bad(err, path, "header length %" PRIu64 " is absurd (limit %" PRIu64 ")", n,
                   CKPT_MAX_HEADER);
    if (n > c->len - 8)
        return bad(err, path, "header length %" PRIu64 " exceeds the %zu bytes after it", n,
                   c->len - 8);
    int rc = parse_json(c, c->buf + 8, (size_t)n, path, err);
    if (rc != RNNLAB_OK) return rc;
    return parse_entries(c, c->len - 8 - n, b + 8 + n, path, err);
}

/* Takes buf (len bytes, NUL-terminated past len) into a new ckpt, or frees
 * it on error. */
static int ckpt_adopt(ckpt **out, char *buf, size_t len, const char *name, rnnlab_err *err) {
    if (!host_is_little_endian()) {
        free(buf);
        return err_set(err, RNNLAB_ERR_UNSUPPORTED, "%s: checkpoints need a little-endian host",
                       name);
    }
    ckpt *c = calloc(1, sizeof *c);
    if (!c) {
        free(buf);
        return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", name);
    }
    c->buf = buf;
    c->len = len;
    int rc = parse_file(c, name, err);
    if (rc != RNNLAB_OK) {
        ckpt_free(c);
        return rc;
    }
    *out = c;
    return RNNLAB_OK;
}

int ckpt_read(ckpt **out, const char *path, rnnlab_err *err) {
    *out = NULL;
    char *buf;
    size_t len;
    int rc = file_read_all(path, &buf, &len, err);
    if (rc != RNNLAB_OK) return rc;
    return ckpt_adopt(out, buf, len, path, err);
}

int ckpt_parse(ckpt **out, const char *name, const void *bytes, size_t len, rnnlab_err *err) {
    *out = NULL;
    if (len > 0 && !bytes) return err_set(err, RNNLAB_ERR_INVALID, "%s: NULL bytes", name);
    char *buf = malloc(len + 1); /* the copy's address decides alignment, not the caller's */
    if (!buf) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", name);
    if (len > 0) memcpy(buf, bytes, len);
    buf[len] = '\0';
    return ckpt_adopt(out, buf, len, name, err);
}

void ckpt_free(ckpt *c) {
    if (!c) return;
    cJSON_Delete(c->json);
    free(c->by_name);
    free(c->tensors);
    free(c->meta);
    free(c->aligned);
    free(c->buf);
    free(c);
}

size_t ckpt_count(const ckpt *c) { return c ? c->ntensors : 0; }

const ckpt_tensor *ckpt_at(const ckpt *c, size_t i) {
    return c && i < c->ntensors ? &c->tensors[i] : NULL;
}

const ckpt_tensor *ckpt_find(const ckpt *c, const char *name) {
    if (!c || !name) return NULL;
    size_t lo = 0, hi = c->ntensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(name, c->by_name[mid]->name);
        if (d == 0) return c->by_name[mid];
        if (d < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *ckpt_meta_get(const ckpt *c, const char *key) {
    if (!c || !key) return NULL;
    for (size_t i = 0; i < c->nmeta; i++)
        if (strcmp(c->meta[i].key, key) == 0) return c->meta[i].value;
    return NULL;
}

int ckpt_check_rnnlab(const ckpt *c, const char *path, rnnlab_err *err) {
    const char *format = ckpt_meta_get(c, "format");
    const char *version = ckpt_meta_get(c, "format_version");
    if (!format || strcmp(format, "rnnlab-checkpoint") != 0)
        return err_set(err, RNNLAB_ERR_FORMAT,
                       "%s: not an rnnlab checkpoint (metadata 'format' is %s%s%s, expected "
                       "'rnnlab-checkpoint')",
                       path, format ? "'" : "", format ? format : "missing", format ? "'" : "");
    if (!version || strcmp(version, CKPT_FORMAT_VERSION) != 0)
        return err_set(err, RNNLAB_ERR_FORMAT,
                       "%s: checkpoint format version %s, this rnnlab reads version %s%s", path,
                       version ? version : "(missing)", CKPT_FORMAT_VERSION,
                       version ? ": it was written by another rnnlab version" : "");
    return RNNLAB_OK;
}
