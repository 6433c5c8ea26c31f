/* gemm.c -- see gemm.h. The backend macros come from the generated
 * rnnlab_build.h (core/meson.build decides which library was found).
 *
 * Dispatch, per call of gemm_f32:
 *   1. degenerate shapes (k == 0, alpha == 0): the builtin, exactly;
 *   2. portable mode (gemm_set_mode): gemm_portable.c, on the ISA chosen
 *      once (the CPU's best, capped by RNNLAB_ISA);
 *   3. RNNLAB_GEMM=builtin in the environment: the builtin kernel for
 *      everything (how the test suite runs the model on the fallback path
 *      whatever library was configured);
 *   4. non-transposed products with few rows (m <= GEMM_SMALL_M, the B=1..4
 *      recurrent step and its backward): the hand-vectorised kernel below,
 *      AVX-512 or AVX2+FMA by the same ISA choice, because library calls
 *      cost more in overhead than the math there;
 *   5. the configured library.
 * Threads: the libraries Debian ships are OpenMP-threaded (dnnl, blis) or
 * pthread-threaded (openblas); gemm_set_threads sets their one pool, and
 * rnnlab starts no threads of its own, so two pools never spin at once. */
#include "gemm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gemm_portable.h"
#include "rnnlab_build.h"

#if defined(RNNLAB_GEMM_DNNL)
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#elif defined(RNNLAB_GEMM_OPENBLAS)
#include <cblas.h>
#elif defined(RNNLAB_GEMM_BLIS)
#include <blis.h>
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GEMM_X86 1
#endif

#define GEMM_REAL float
#define GEMM_NAME gemm_f32_builtin
#include "gemm_kernel.h"
#undef GEMM_REAL
#undef GEMM_NAME

#define GEMM_REAL double
#define GEMM_NAME gemm_f64
#include "gemm_kernel.h"
#undef GEMM_REAL
#undef GEMM_NAME

#define GEMM_STR_(x) #x
#define GEMM_STR(x) GEMM_STR_(x)

/* Up to this many rows, NN products go to the hand kernel. */
#define GEMM_SMALL_M 4

/* ---- the small-m NN kernel ---------------------------------------------- */

/* C (m, n) = alpha * A (m, k) B (k, n) + beta * C, for small m. Each row of
 * C is built in registers a column block at a time, streaming the rows of B
 * once per row of A: the B=1 recurrent step is a matrix-vector product and
 * bound by reading W (from L1/L2), which this does at one load per FMA. */
typedef void (*small_nn_fn)(size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                            const float *b, size_t ldb, float beta, float *c, size_t ldc);

/* The scalar tail and the final alpha/beta step, shared by the SIMD kernels:
 * acc holds sum_p a(i,p) B(p,j) for j in [j0, j0+w). */
static void small_store(float *ci, const float *acc, size_t w, float alpha, float beta) {
    for (size_t j = 0; j < w; j++)
        ci[j] = beta == 0.0f ? alpha * acc[j] : alpha * acc[j] + beta * ci[j];
}

static void small_tail(size_t k, const float *ai, const float *b, size_t ldb, size_t j0, size_t n,
                       float alpha, float beta, float *ci) {
    for (size_t j = j0; j < n; j++) {
        float s = 0.0f;
        for (size_t p = 0; p < k; p++) s += ai[p] * b[p * ldb + j];
        ci[j] = beta == 0.0f ? alpha * s : alpha * s + beta * ci[j];
    }
}

#ifdef GEMM_X86
/* One row of C from a 64-column (AVX2) or 128-column (AVX-512) block: eight
 * independent accumulators, so the FMA latency (4 cycles, 2 pipes) is
 * covered; one load of B per FMA. Narrower blocks for the rest. */
#define SMALL_KERNEL(NAME, TARGET, VEC, W, SET1, LOAD, STORE, FMA, ZERO)                         \
    __attribute__((target(TARGET))) static void NAME(                                            \
        size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda, const float *b,   \
        size_t ldb, float beta, float *c, size_t ldc) {                                          \
        for (size_t i = 0; i < m; i++) {                                                         \
            const float *ai = a + i * lda;                                                       \
            float *ci = c + i * ldc;                                                             \
            size_t j = 0;                                                                        \
            for (; j + 8 * (W) <= n; j += 8 * (W)) {                                             \
                VEC s0 = ZERO(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;  \
                for (size_t p = 0; p < k; p++) {                                                 \
                    const VEC x = SET1(ai[p]);                                                   \
                    const float *bp = b + p * ldb + j;                                           \
                    s0 = FMA(x, LOAD(bp), s0);                                                   \
                    s1 = FMA(x, LOAD(bp + (W)), s1);                                             \
                    s2 = FMA(x, LOAD(bp + 2 * (W)), s2);                                         \
                    s3 = FMA(x, LOAD(bp + 3 * (W)), s3);                                         \
                    s4 = FMA(x, LOAD(bp + 4 * (W)), s4);                                         \
                    s5 = FMA(x, LOAD(bp + 5 * (W)), s5);                                         \
                    s6 = FMA(x, LOAD(bp + 6 * (W)), s6);                                         \
                    s7 = FMA(x, LOAD(bp + 7 * (W)), s7);                                         \
                }                                                                                \
                float acc[8 * (W)];                                                              \
                STORE(acc, s0);                                                                  \
                STORE(acc + (W), s1);                                                            \
                STORE(acc + 2 * (W), s2);                                                        \
                STORE(acc + 3 * (W), s3);                                                        \
                STORE(acc + 4 * (W), s4);                                                        \
                STORE(acc + 5 * (W), s5);                                                        \
                STORE(acc + 6 * (W), s6);                                                        \
                STORE(acc + 7 * (W), s7);                                                        \
                small_store(ci + j, acc, 8 * (W), alpha, beta);                                  \
            }                                                                                    \
            for (; j + (W) <= n; j += (W)) {                                                     \
                VEC s0 = ZERO();                                                                 \
                for (size_t p = 0; p < k; p++) s0 = FMA(SET1(ai[p]), LOAD(b + p * ldb + j), s0); \
                float acc[W];                                                                    \
                STORE(acc, s0);                                                                  \
                small_store(ci + j, acc, (W), alpha, beta);                                      \
            }                                                                                    \
            small_tail(k, ai, b, ldb, j, n, alpha, beta, ci);                                    \
        }                                                                                        \
    }

SMALL_KERNEL(small_nn_avx2, "avx2,fma", __m256, 8, _mm256_set1_ps, _mm256_loadu_ps,
             _mm256_storeu_ps, _mm256_fmadd_ps, _mm256_setzero_ps)
SMALL_KERNEL(small_nn_avx512, "avx512f", __m512, 16, _mm512_set1_ps, _mm512_loadu_ps,
             _mm512_storeu_ps, _mm512_fmadd_ps, _mm512_setzero_ps)
#endif

/* ---- runtime choices, made once ----------------------------------------- */

typedef struct gemm_state {
    int force_builtin;  /* RNNLAB_GEMM=builtin */
    gemm_isa cpu_isa;   /* the best this CPU runs */
    gemm_isa isa;       /* ours in use: cpu_isa capped by RNNLAB_ISA */
    small_nn_fn small;  /* NULL: no SIMD kernel for this ISA, or forced builtin */
    const char *kernel; /* name of `small` */
    gemm_mode mode;
    size_t threads;
} gemm_state;

static gemm_state g_state;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* RNNLAB_ISA=scalar|avx2|avx512 caps the ISA of rnnlab's own kernels (to
 * check on one machine what another would compute); it never raises it
 * above what the CPU runs. Anything else is ignored. */
static gemm_isa isa_cap(gemm_isa cpu) {
    const char *env = getenv("RNNLAB_ISA");
    gemm_isa want = cpu;
    if (env && strcmp(env, "scalar") == 0) want = GEMM_ISA_SCALAR;
    if (env && strcmp(env, "avx2") == 0) want = GEMM_ISA_AVX2;
    return want < cpu ? want : cpu;
}

static void gemm_init(void) {
    const char *env = getenv("RNNLAB_GEMM");
    g_state.force_builtin = env && strcmp(env, "builtin") == 0;
    g_state.threads = 1;
    g_state.mode = GEMM_MODE_MACHINE;
    g_state.cpu_isa = gemm_isa_detect();
    g_state.isa = isa_cap(g_state.cpu_isa);
    g_state.kernel = "none";
#ifdef GEMM_X86
    if (g_state.isa == GEMM_ISA_AVX512) {
        g_state.small = small_nn_avx512;
        g_state.kernel = "avx512";
    } else if (g_state.isa == GEMM_ISA_AVX2) {
        g_state.small = small_nn_avx2;
        g_state.kernel = "avx2";
    }
#endif
    if (g_state.force_builtin) {
        g_state.small = NULL;
        g_state.kernel = "none";
    }
}

static const gemm_state *state(void) {
    pthread_once(&g_once, gemm_init);
    return &g_state;
}

void gemm_set_threads(size_t threads) {
    state();
    if (threads == 0) threads = 1;
    g_state.threads = threads;
    if (g_state.force_builtin) return;
#if defined(RNNLAB_GEMM_OPENBLAS)
    /* OpenBLAS splits small products on its own thresholds. */
    openblas_set_num_threads((int)threads);
#endif
    /* dnnl and blis: gemm_pool_size sizes the OpenMP pool per product. */
}

void gemm_set_mode(gemm_mode mode) {
    state();
    g_state.mode = mode;
}

gemm_mode gemm_get_mode(void) { return state()->mode; }

const char *gemm_mode_name(gemm_mode mode) {
    return mode == GEMM_MODE_PORTABLE ? "portable" : "machine";
}

size_t gemm_threads(void) {
    const gemm_state *s = state();
    if (s->mode == GEMM_MODE_PORTABLE) return gemm_portable_threaded() ? s->threads : 1;
#if defined(RNNLAB_GEMM_DNNL) || defined(RNNLAB_GEMM_OPENBLAS) || defined(RNNLAB_GEMM_BLIS)
    return s->force_builtin ? 1 : s->threads;
#else
    (void)s;
    return 1; /* the portable kernel is single-threaded */
#endif
}

const char *gemm_small_kernel_name(void) { return state()->kernel; }

const char *gemm_kernel_isa(void) { return gemm_isa_name(state()->isa); }

const char *gemm_cpu_isa(void) { return gemm_isa_name(state()->cpu_isa); }

/* ---- the entry point ---------------------------------------------------- */

/* Products below this many FLOPs run on the calling thread alone: an
 * OpenMP fork/join costs microseconds (far more when the other core is
 * busy), which is the whole of a recurrent step's (B, H) x (H, H) product at
 * small H. The head and the weight gradients over all T*B rows are far
 * above it. The choice depends only on the shape and the configured count,
 * so results stay bit-identical for a given thread count (and in portable
 * mode, whatever the count). */
#define GEMM_PARALLEL_MIN_FLOPS 2e7

static size_t product_threads(size_t m, size_t n, size_t k) {
    const double flops = 2.0 * (double)m * (double)n * (double)k;
    return flops >= GEMM_PARALLEL_MIN_FLOPS ? g_state.threads : 1;
}

#if defined(RNNLAB_GEMM_DNNL) || defined(RNNLAB_GEMM_BLIS)
static void gemm_pool_size(size_t m, size_t n, size_t k) {
    static _Thread_local size_t current = 0;
    const size_t want = product_threads(m, n, k);
    if (want == current) return;
    current = want;
#if defined(RNNLAB_GEMM_DNNL)
    omp_set_num_threads((int)want);
#else
    bli_thread_set_num_threads((dim_t)want);
#endif
}
#endif

static void gemm_library(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                         const float *a, size_t lda, const float *b, size_t ldb, float beta,
                         float *c, size_t ldc) {
#if defined(RNNLAB_GEMM_DNNL)
    gemm_pool_size(m, n, k);
    dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', (dnnl_dim_t)m,
                                  (dnnl_dim_t)n, (dnnl_dim_t)k, alpha, a, (dnnl_dim_t)lda, b,
                                  (dnnl_dim_t)ldb, beta, c, (dnnl_dim_t)ldc);
    /* dnnl only fails on arguments it considers invalid (it never allocates
     * for sgemm); the builtin accepts every shape gemm.h allows, so the
     * result is still defined. */
    if (st != dnnl_success)
        gemm_f32_builtin(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#elif defined(RNNLAB_GEMM_OPENBLAS)
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, (blasint)k, alpha, a,
                (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
#elif defined(RNNLAB_GEMM_BLIS)
    /* BLIS takes general strides: row-major is (row stride ld, column
     * stride 1). Its typed API is not const-correct; it does not write A or
     * B. */
    gemm_pool_size(m, n, k);
    bli_sgemm(trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
              trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, (dim_t)m, (dim_t)n, (dim_t)k, &alpha,
              (float *)(uintptr_t)a, (inc_t)lda, 1, (float *)(uintptr_t)b, (inc_t)ldb, 1, &beta, c,
              (inc_t)ldc, 1);
#else
    gemm_f32_builtin(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

void gemm_f32(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a,
              size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    if (m == 0 || n == 0) return;
    const gemm_state *s = state();
    /* Libraries disagree on k == 0 (and reject lda == 0 then); the builtin
     * does exactly C = beta * C. */
    if (k == 0 || alpha == 0.0f) {
        gemm_f32_builtin(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    if (s->mode == GEMM_MODE_PORTABLE) {
        gemm_portable_f32(s->isa, product_threads(m, n, k), trans_a, trans_b, m, n, k, alpha, a,
                          lda, b, ldb, beta, c, ldc);
        return;
    }
    if (s->force_builtin) {
        gemm_f32_builtin(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    if (!trans_a && !trans_b && m <= GEMM_SMALL_M && s->small) {
        s->small(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    gemm_library(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

const char *gemm_backend_name(void) {
    if (state()->mode == GEMM_MODE_PORTABLE) return "portable (rnnlab kernels)";
    if (state()->force_builtin) return "builtin (forced by RNNLAB_GEMM=builtin)";
#if defined(RNNLAB_GEMM_DNNL)
    return "dnnl " GEMM_STR(DNNL_VERSION_MAJOR) "." GEMM_STR(DNNL_VERSION_MINOR) " (dnnl_sgemm)";
#elif defined(RNNLAB_GEMM_OPENBLAS)
    return "openblas (cblas_sgemm)";
#elif defined(RNNLAB_GEMM_BLIS)
    return "blis (bli_sgemm)";
#else
    return "builtin";
#endif
}

#if defined(RNNLAB_GEMM_DNNL)
/* dnnl's ISA names, as ONEDNN_MAX_CPU_ISA spells them (lower case). */
static const char *dnnl_isa_name(dnnl_cpu_isa_t isa) {
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    default: return "unknown";
    }
}

static char g_library_version[64];

static void library_version_init(void) {
    const dnnl_version_t *v = dnnl_version();
    snprintf(g_library_version, sizeof g_library_version, "dnnl %d.%d.%d", v->major, v->minor,
             v->patch);
}
#endif

const char *gemm_library_version(void) {
#if defined(RNNLAB_GEMM_DNNL)
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, library_version_init);
    return g_library_version;
#elif defined(RNNLAB_GEMM_OPENBLAS)
    return openblas_get_config();
#elif defined(RNNLAB_GEMM_BLIS)
    return bli_info_get_version_str();
#else
    return "builtin";
#endif
}

const char *gemm_library_isa(void) {
#if defined(RNNLAB_GEMM_DNNL)
    return dnnl_isa_name(dnnl_get_effective_cpu_isa());
#elif defined(RNNLAB_GEMM_OPENBLAS)
    return openblas_get_corename();
#elif defined(RNNLAB_GEMM_BLIS)
    return bli_arch_string(bli_arch_query_id());
#else
    return "c";
#endif
}
