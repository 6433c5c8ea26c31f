/* host.c -- see host.h. */
#include "host.h"
#include "rnnlab/portable_math.h"

#include <stdarg.h>
#include <stdlib.h>
#include <math.h>

typedef struct host_impl {
    rnnlab_host pub;
    rnnlab_err *sink;
    FILE *log_file;
    int log_level;
    long live;
} host_impl;

static host_impl *impl_of(const rnnlab_host *h) { return (host_impl *)h->impl; }

static void *h_alloc(const rnnlab_host *h, size_t size) {
    void *p = malloc(size ? size : 1);
    if (p) impl_of(h)->live++;
    return p;
}

static void *h_realloc(const rnnlab_host *h, void *ptr, size_t size) {
    void *p = realloc(ptr, size ? size : 1);
    if (p && !ptr) impl_of(h)->live++;
    return p;
}

static void h_free(const rnnlab_host *h, void *ptr) {
    if (!ptr) return;
    impl_of(h)->live--;
    free(ptr);
}

static int h_set_error(const rnnlab_host *h, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    err_setv(impl_of(h)->sink, code, fmt, ap);
    va_end(ap);
    return code;
}

static const char *h_last_error(const rnnlab_host *h) {
    rnnlab_err *e = impl_of(h)->sink;
    return e ? e->msg : "";
}

static void h_log(const rnnlab_host *h, int level, const char *fmt, ...) {
    host_impl *hi = impl_of(h);
    if (!hi->log_file || level < hi->log_level) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(hi->log_file, fmt, ap);
    va_end(ap);
    fputc('\n', hi->log_file);
}

/* splitmix64 expands a seed into xoshiro state; the stream index is mixed
 * in first so streams are independent rather than shifted copies. */
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void rng_seed(rnnlab_rng *rng, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);
    splitmix64(&x);
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(rnnlab_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(rnnlab_rng *rng) { return (double)(rng_next(rng) >> 11) * 0x1.0p-53; }

uint64_t rng_below(rnnlab_rng *rng, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = rng_next(rng);
    while (x >= limit);
    return x % n;
}

double rng_normal(rnnlab_rng *rng) {
    double u1 = rng_uniform(rng), u2 = rng_uniform(rng);
    if (u1 < 1e-300) u1 = 1e-300;
    /* Not libm's log and cos: glibc picks them by CPU (portable_math.h). */
    return sqrt(-2.0 * rnnlab_log(u1)) * rnnlab_cos(6.283185307179586476925 * u2);
}

rnnlab_host *host_create(rnnlab_err *sink, FILE *log_file, int log_level) {
    host_impl *hi = calloc(1, sizeof *hi);
    if (!hi) return NULL;
    hi->pub.struct_size = sizeof(rnnlab_host);
    hi->pub.abi_major = RNNLAB_ABI_MAJOR;
    hi->pub.abi_minor = RNNLAB_ABI_MINOR;
    hi->pub.alloc = h_alloc;
    hi->pub.realloc = h_realloc;
    hi->pub.free = h_free;
    hi->pub.set_error = h_set_error;
    hi->pub.log = h_log;
    hi->pub.rng_seed = rng_seed;
    hi->pub.rng_next = rng_next;
    hi->pub.rng_uniform = rng_uniform;
    hi->pub.impl = hi;
    hi->pub.last_error = h_last_error;
    hi->sink = sink;
    hi->log_file = log_file;
    hi->log_level = log_level;
    return &hi->pub;
}

void host_destroy(rnnlab_host *host) {
    if (host) free(impl_of(host));
}

void host_set_sink(rnnlab_host *host, rnnlab_err *sink) { impl_of(host)->sink = sink; }

long host_live_blocks(const rnnlab_host *host) { return impl_of(host)->live; }
