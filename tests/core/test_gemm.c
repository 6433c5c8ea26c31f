/* test_gemm.c -- the matrix-multiply layer: the configured float backend and
 * the builtin kernel against a naive double-precision reference, on shapes
 * that catch indexing mistakes (vectors, odd sizes, padded leading
 * dimensions) and every transpose / alpha / beta combination. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/gemm.h"
#include "core/gemm_portable.h"
#include "core/host.h"

/* C (m, n) = alpha op(A) op(B) + beta C, accumulated in double. */
static void naive(int ta, int tb, size_t m, size_t n, size_t k, double alpha, const double *a,
                  size_t lda, const double *b, size_t ldb, double beta, double *c, size_t ldc) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t p = 0; p < k; p++) {
                double av = ta ? a[p * lda + i] : a[i * lda + p];
                double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                s += av * bv;
            }
            double old = beta == 0.0 ? 0.0 : beta * c[i * ldc + j];
            c[i * ldc + j] = alpha * s + old;
        }
}

typedef struct shape {
    size_t m, n, k;
} shape;

static const shape shapes[] = {
    {1, 1, 1},  {1, 7, 3},  {7, 1, 3},   {5, 5, 1},   {3, 9, 13},
    {17, 4, 6}, {1, 33, 1}, {33, 1, 17}, {12, 15, 9}, {31, 29, 37},
};

typedef struct scal {
    double alpha, beta;
} scal;

static const scal scalars[] = {{1.0, 0.0}, {1.0, 1.0}, {-0.5, 2.0}, {2.0, -1.0}, {0.0, 0.5}};

/* A stored matrix of logical (rows, cols) with row stride ld = cols + pad. */
typedef struct mat {
    size_t rows, cols, ld;
    double *d;
    float *f;
} mat;

static mat mat_random(rnnlab_rng *rng, size_t rows, size_t cols, size_t pad) {
    mat x = {rows, cols, cols + pad, NULL, NULL};
    size_t n = rows * x.ld;
    x.d = malloc((n ? n : 1) * sizeof *x.d);
    x.f = malloc((n ? n : 1) * sizeof *x.f);
    cr_assert(x.d && x.f);
    for (size_t i = 0; i < n; i++) {
        /* Values exactly representable in float so both paths see the same inputs. */
        x.f[i] = (float)(rng_uniform(rng) * 2.0 - 1.0);
        x.d[i] = x.f[i];
    }
    return x;
}

static void mat_free(mat *x) {
    free(x->d);
    free(x->f);
}

typedef void (*gemm_f32_fn)(int, int, size_t, size_t, size_t, float, const float *, size_t,
                            const float *, size_t, float, float *, size_t);

/* Runs one case through fn and compares with the naive reference: every
 * element within 1e-5 relative to the sum of |terms| (float rounding grows
 * with k), and padding columns of C untouched. */
static void check_f32(gemm_f32_fn fn, const char *which, rnnlab_rng *rng, int ta, int tb, shape s,
                      scal sc, size_t pad) {
    mat a = ta ? mat_random(rng, s.k, s.m, pad) : mat_random(rng, s.m, s.k, pad);
    mat b = tb ? mat_random(rng, s.n, s.k, pad) : mat_random(rng, s.k, s.n, pad);
    mat c = mat_random(rng, s.m, s.n, pad);
    if (sc.beta == 0.0) /* beta == 0 must not read C: NaN there must not leak */
        for (size_t i = 0; i < s.m * c.ld; i++) c.f[i] = NAN;
    float *before = malloc(s.m * c.ld * sizeof *before);
    cr_assert(before);
    memcpy(before, c.f, s.m * c.ld * sizeof *before);

    fn(ta, tb, s.m, s.n, s.k, (float)sc.alpha, a.f, a.ld, b.f, b.ld, (float)sc.beta, c.f, c.ld);
    naive(ta, tb, s.m, s.n, s.k, sc.alpha, a.d, a.ld, b.d, b.ld, sc.beta, c.d, c.ld);

    for (size_t i = 0; i < s.m; i++) {
        for (size_t j = 0; j < s.n; j++) {
            double got = c.f[i * c.ld + j], want = c.d[i * c.ld + j];
            double scale = fabs(sc.alpha) * (double)s.k + fabs(sc.beta) + 1.0;
            cr_assert(fabs(got - want) <= 1e-5 * scale,
                      "%s ta=%d tb=%d m=%zu n=%zu k=%zu alpha=%g beta=%g pad=%zu: C[%zu,%zu] = "
                      "%.8g, want %.8g",
                      which, ta, tb, s.m, s.n, s.k, sc.alpha, sc.beta, pad, i, j, got, want);
        }
        for (size_t j = s.n; j < c.ld; j++) {
            float got = c.f[i * c.ld + j], was = before[i * c.ld + j];
            cr_assert(memcmp(&got, &was, sizeof got) == 0,
                      "%s wrote past n into padding of row %zu (col %zu)", which, i, j);
        }
    }
    free(before);
    mat_free(&a);
    mat_free(&b);
    mat_free(&c);
}

static void sweep_f32(gemm_f32_fn fn, const char *which) {
    rnnlab_rng rng;
    rng_seed(&rng, 42, 0);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (size_t ci = 0; ci < sizeof scalars / sizeof scalars[0]; ci++)
                    for (size_t pad = 0; pad <= 3; pad += 3)
                        check_f32(fn, which, &rng, ta, tb, shapes[si], scalars[ci], pad);
}

Test(gemm, backend_matches_reference) { sweep_f32(gemm_f32, gemm_backend_name()); }

Test(gemm, builtin_matches_reference) { sweep_f32(gemm_f32_builtin, "builtin"); }

/* The portable kernels, one ISA at a time, on one thread. */
#define PORTABLE_ON(ISA, NAME)                                                                   \
    static void NAME(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,  \
                     size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) { \
        gemm_portable_f32(ISA, 1, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);         \
    }
PORTABLE_ON(GEMM_ISA_SCALAR, portable_scalar)
PORTABLE_ON(GEMM_ISA_AVX2, portable_avx2)
PORTABLE_ON(GEMM_ISA_AVX512, portable_avx512)

/* gemm_f32 with alpha == 0 or k == 0 never reaches the portable kernels. */
static void portable_any(gemm_f32_fn fn, int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                         const float *a, size_t lda, const float *b, size_t ldb, float beta,
                         float *c, size_t ldc) {
    if (k == 0 || alpha == 0.0f)
        gemm_f32(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else
        fn(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
#define PORTABLE_SAFE(NAME, FN)                                                                  \
    static void NAME(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,  \
                     size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) { \
        portable_any(FN, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);                  \
    }
PORTABLE_SAFE(safe_scalar, portable_scalar)
PORTABLE_SAFE(safe_avx2, portable_avx2)
PORTABLE_SAFE(safe_avx512, portable_avx512)

Test(gemm, portable_matches_reference) {
    const gemm_f32_fn fn[] = {safe_scalar, safe_avx2, safe_avx512};
    for (int isa = 0; isa <= (int)gemm_isa_detect(); isa++)
        sweep_f32(fn[isa], gemm_isa_name((gemm_isa)isa));
}

/* The promise of portable mode, at the kernel: the scalar path on one
 * thread is the reference, and every ISA this CPU runs, on 1 and 2
 * threads, gives the same bits. Shapes cross every tile edge: m = 1 and 2
 * (the wide tiles), m around the AVX2 (6) and AVX-512 (8) row blocks, n
 * around 8, 16, 32 and the wide 64 and 128 columns, k long enough to be a
 * real chain, and B large enough to be copied panel by panel. */
Test(gemm, portable_same_bits_on_every_isa_and_thread_count) {
    static const shape big[] = {{1, 128, 128},
                                {1, 67, 33},
                                {2, 131, 40},
                                {3, 17, 9},
                                {6, 48, 64},
                                {7, 33, 200},
                                {8, 32, 128},
                                {9, 129, 31},
                                {13, 15, 77},
                                {17, 100, 65},
                                {32, 128, 128},
                                {40, 7, 300},
                                /* n * k above 65536: a transposed B is copied panel by panel */
                                {1, 520, 130},
                                {2, 300, 251},
                                {11, 257, 300}};
    static const scal sc[] = {{1.0, 0.0}, {1.0, 1.0}, {-0.5, 2.0}};
    rnnlab_rng rng;
    rng_seed(&rng, 17, 3);
    const int top = (int)gemm_isa_detect();
    for (size_t si = 0; si < sizeof big / sizeof big[0]; si++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (size_t ci = 0; ci < sizeof sc / sizeof sc[0]; ci++) {
                    const shape s = big[si];
                    const size_t pad = si % 3;
                    mat a = ta ? mat_random(&rng, s.k, s.m, pad) : mat_random(&rng, s.m, s.k, pad);
                    mat b = tb ? mat_random(&rng, s.n, s.k, pad) : mat_random(&rng, s.k, s.n, pad);
                    mat c = mat_random(&rng, s.m, s.n, pad);
                    const size_t bytes = s.m * c.ld * sizeof(float);
                    float *want = malloc(bytes), *got = malloc(bytes);
                    cr_assert(want && got);
                    memcpy(want, c.f, bytes);
                    gemm_portable_f32(GEMM_ISA_SCALAR, 1, ta, tb, s.m, s.n, s.k,
                                      (float)sc[ci].alpha, a.f, a.ld, b.f, b.ld, (float)sc[ci].beta,
                                      want, c.ld);
                    for (int isa = 0; isa <= top; isa++)
                        for (size_t threads = 1; threads <= 2; threads++) {
                            memcpy(got, c.f, bytes);
                            gemm_portable_f32((gemm_isa)isa, threads, ta, tb, s.m, s.n, s.k,
                                              (float)sc[ci].alpha, a.f, a.ld, b.f, b.ld,
                                              (float)sc[ci].beta, got, c.ld);
                            cr_assert(memcmp(got, want, bytes) == 0,
                                      "%s, %zu thread(s), ta=%d tb=%d m=%zu n=%zu k=%zu "
                                      "alpha=%g beta=%g: not the scalar path's bits",
                                      gemm_isa_name((gemm_isa)isa), threads, ta, tb, s.m, s.n, s.k,
                                      sc[ci].alpha, sc[ci].beta);
                        }
                    free(want);
                    free(got);
                    mat_free(&a);
                    mat_free(&b);
                    mat_free(&c);
                }
    cr_log_info("portable GEMM: scalar%s%s compared bit for bit (CPU: %s)",
                top >= GEMM_ISA_AVX2 ? ", avx2" : "", top >= GEMM_ISA_AVX512 ? ", avx512" : "",
                gemm_isa_name((gemm_isa)top));
}

Test(gemm, f64_matches_reference) {
    rnnlab_rng rng;
    rng_seed(&rng, 7, 1);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (size_t ci = 0; ci < sizeof scalars / sizeof scalars[0]; ci++) {
                    shape s = shapes[si];
                    scal sc = scalars[ci];
                    size_t pad = (si + ci) % 3;
                    mat a = ta ? mat_random(&rng, s.k, s.m, pad) : mat_random(&rng, s.m, s.k, pad);
                    mat b = tb ? mat_random(&rng, s.n, s.k, pad) : mat_random(&rng, s.k, s.n, pad);
                    mat c = mat_random(&rng, s.m, s.n, pad);
                    double *got = malloc(s.m * c.ld * sizeof *got);
                    cr_assert(got);
                    memcpy(got, c.d, s.m * c.ld * sizeof *got);
                    if (sc.beta == 0.0)
                        for (size_t i = 0; i < s.m * c.ld; i++) got[i] = NAN;
                    gemm_f64(ta, tb, s.m, s.n, s.k, sc.alpha, a.d, a.ld, b.d, b.ld, sc.beta, got,
                             c.ld);
                    naive(ta, tb, s.m, s.n, s.k, sc.alpha, a.d, a.ld, b.d, b.ld, sc.beta, c.d,
                          c.ld);
                    for (size_t i = 0; i < s.m; i++)
                        for (size_t j = 0; j < s.n; j++)
                            cr_assert(fabs(got[i * c.ld + j] - c.d[i * c.ld + j]) <=
                                          1e-12 * ((double)s.k + 2.0),
                                      "f64 ta=%d tb=%d m=%zu n=%zu k=%zu: C[%zu,%zu] = %.17g, "
                                      "want %.17g",
                                      ta, tb, s.m, s.n, s.k, i, j, got[i * c.ld + j],
                                      c.d[i * c.ld + j]);
                    free(got);
                    mat_free(&a);
                    mat_free(&b);
                    mat_free(&c);
                }
}

/* k == 0 is a valid product of empty sums: C = beta * C, also through the
 * library backend (which may reject lda == 0 on its own). */
Test(gemm, empty_inner_dimension_scales_c) {
    float c[6] = {1, 2, 3, 4, 5, 6};
    float dummy = 0.0f;
    gemm_f32(0, 0, 2, 3, 0, 1.0f, &dummy, 0, &dummy, 3, 2.0f, c, 3);
    for (int i = 0; i < 6; i++) cr_assert_float_eq(c[i], 2.0f * (float)(i + 1), 0.0f);
    gemm_f32(1, 1, 2, 3, 0, 1.0f, &dummy, 2, &dummy, 0, 0.0f, c, 3);
    for (int i = 0; i < 6; i++) cr_assert(c[i] == 0.0f);
    double cd[2] = {NAN, NAN};
    gemm_f64(0, 0, 1, 2, 0, 1.0, NULL, 1, NULL, 2, 0.0, cd, 2);
    cr_assert(cd[0] == 0.0 && cd[1] == 0.0);
}

/* m == 0 or n == 0 touches nothing. */
Test(gemm, empty_output_untouched) {
    float c[2] = {NAN, 3.0f};
    float a[2] = {1, 2}, b[2] = {3, 4};
    gemm_f32(0, 0, 0, 2, 1, 1.0f, a, 1, b, 2, 0.0f, c, 2);
    gemm_f32(0, 0, 1, 0, 2, 1.0f, a, 2, b, 1, 0.0f, c, 2);
    cr_assert(isnan(c[0]) && c[1] == 3.0f);
}

Test(gemm, backend_name_matches_build) {
    const char *name = gemm_backend_name();
    cr_assert(name && name[0], "gemm_backend_name() must name the backend");
    cr_assert(strncmp(name, "dnnl", 4) == 0 || strncmp(name, "openblas", 8) == 0 ||
                  strncmp(name, "blis", 4) == 0 || strncmp(name, "builtin", 7) == 0,
              "unexpected backend name '%s'", name);
}
