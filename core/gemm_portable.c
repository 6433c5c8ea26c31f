/* gemm_portable.c -- see gemm_portable.h. The scalar path below is the
 * definition; gemm_portable_kernel.h holds the AVX2 and AVX-512 paths,
 * included once per ISA. Threads (OpenMP, the same pool dnnl and blis use)
 * split the grid of output tiles, whose shape never depends on the thread
 * count. */
#include "gemm_portable.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PORTABLE_X86 1
#endif

/* One product, as the kernels see it:
 *   U(i,p) = u[i*rsu + p*csu]   op(A)
 *   V(p,j) = v[p*ldv + j*csv]   op(B); the SIMD paths need csv == 1 */
typedef struct pk_args {
    size_t m, n, k;
    const float *u;
    size_t rsu, csu;
    const float *v;
    size_t ldv, csv;
    float alpha, beta;
    float *c;
    size_t ldc;
    /* B too large to stay in cache: copied one column panel at a time
     * (PK(units)) from b as stored, (n, k) when trans_b, else (k, n). */
    int b_panels, trans_b;
    const float *b;
    size_t ldb;
} pk_args;

/* Up to this many floats (256 KiB: L2 on every x86-64 of interest) B is
 * read in place, or copied whole once per call when transposed; above, it
 * is copied panel by panel. */
#define PACK_WHOLE_MAX 65536

const char *gemm_isa_name(gemm_isa isa) {
    return isa == GEMM_ISA_AVX512 ? "avx512" : isa == GEMM_ISA_AVX2 ? "avx2" : "scalar";
}

gemm_isa gemm_isa_detect(void) {
#ifdef PORTABLE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return GEMM_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return GEMM_ISA_AVX2;
#endif
    return GEMM_ISA_SCALAR;
}

int gemm_portable_threaded(void) {
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

/* ---- the definition: one fmaf per step ---------------------------------- */

/* Rows i0 <= i < i1 of C. */
static void scalar_rows(const pk_args *g, size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) {
        const float *ui = g->u + i * g->rsu;
        float *ci = g->c + i * g->ldc;
        for (size_t j = 0; j < g->n; j++) {
            const float *vj = g->v + j * g->csv;
            float acc = 0.0f;
            for (size_t p = 0; p < g->k; p++) acc = fmaf(ui[p * g->csu], vj[p * g->ldv], acc);
            ci[j] = g->beta == 0.0f ? g->alpha * acc : g->alpha * acc + g->beta * ci[j];
        }
    }
}

/* ---- copies of a transposed B ---------------------------------------------- */

#ifdef PORTABLE_X86
/* t[q] = (b[0*ldb + q], b[1*ldb + q], ..., b[7*ldb + q]) for q < 8: an
 * 8 x 8 block of b transposed in registers (unpack / shuffle / permute). */
__attribute__((target("avx2"))) static inline void transpose8_avx2(const float *b, size_t ldb,
                                                                   __m256 t[8]) {
    __m256 r0 = _mm256_loadu_ps(b), r1 = _mm256_loadu_ps(b + ldb);
    __m256 r2 = _mm256_loadu_ps(b + 2 * ldb), r3 = _mm256_loadu_ps(b + 3 * ldb);
    __m256 r4 = _mm256_loadu_ps(b + 4 * ldb), r5 = _mm256_loadu_ps(b + 5 * ldb);
    __m256 r6 = _mm256_loadu_ps(b + 6 * ldb), r7 = _mm256_loadu_ps(b + 7 * ldb);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    r0 = _mm256_shuffle_ps(t0, t2, 0x44);
    r1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    r2 = _mm256_shuffle_ps(t1, t3, 0x44);
    r3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    r4 = _mm256_shuffle_ps(t4, t6, 0x44);
    r5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    r6 = _mm256_shuffle_ps(t5, t7, 0x44);
    r7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    t[0] = _mm256_permute2f128_ps(r0, r4, 0x20);
    t[1] = _mm256_permute2f128_ps(r1, r5, 0x20);
    t[2] = _mm256_permute2f128_ps(r2, r6, 0x20);
    t[3] = _mm256_permute2f128_ps(r3, r7, 0x20);
    t[4] = _mm256_permute2f128_ps(r0, r4, 0x31);
    t[5] = _mm256_permute2f128_ps(r1, r5, 0x31);
    t[6] = _mm256_permute2f128_ps(r2, r6, 0x31);
    t[7] = _mm256_permute2f128_ps(r3, r7, 0x31);
}

/* v[p*ldv + j] = b[j*ldb + p] for an 8 x 8 block. */
__attribute__((target("avx2"))) static void transpose8x8_avx2(const float *b, size_t ldb, float *v,
                                                              size_t ldv) {
    __m256 t[8];
    transpose8_avx2(b, ldb, t);
    for (int q = 0; q < 8; q++) _mm256_storeu_ps(v + q * ldv, t[q]);
}

/* Outputs j0 .. j0 + 8*NB of rows r < MR (MR <= 2, NB <= 4) when B is
 * transposed and m is tiny (the B = 1, 2 recurrent step): every 8 x 8
 * block of B is transposed in registers and used at once, since copying
 * B would cost as much as the product. Same rule as everywhere: one fma
 * per p, p in order (the k % 8 tail in scalar fmaf, continuing each
 * lane's chain). */
__attribute__((target("avx2,fma"))) static inline __attribute__((always_inline)) void
nt_tiny_block(const int mr, const int nb, const pk_args *g, size_t j0) {
    __m256 acc[2][4];
#pragma GCC unroll 2
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int q = 0; q < nb; q++) acc[r][q] = _mm256_setzero_ps();
    const size_t k8 = g->k & ~(size_t)7;
    for (size_t p0 = 0; p0 < k8; p0 += 8) {
#pragma GCC unroll 4
        for (int q = 0; q < nb; q++) {
            __m256 t[8];
            transpose8_avx2(g->b + (j0 + 8 * (size_t)q) * g->ldb + p0, g->ldb, t);
#pragma GCC unroll 8
            for (int x = 0; x < 8; x++)
#pragma GCC unroll 2
                for (int r = 0; r < mr; r++)
                    acc[r][q] = _mm256_fmadd_ps(
                        _mm256_set1_ps(g->u[r * g->rsu + (p0 + (size_t)x) * g->csu]), t[x],
                        acc[r][q]);
        }
    }
    for (int r = 0; r < mr; r++)
        for (int q = 0; q < nb; q++) {
            float lane[8];
            _mm256_storeu_ps(lane, acc[r][q]);
            float *cr = g->c + (size_t)r * g->ldc + j0 + 8 * (size_t)q;
            for (int l = 0; l < 8; l++) {
                const float *bj = g->b + (j0 + 8 * (size_t)q + (size_t)l) * g->ldb;
                float a = lane[l];
                for (size_t p = k8; p < g->k; p++)
                    a = fmaf(g->u[r * g->rsu + p * g->csu], bj[p], a);
                cr[l] = g->beta == 0.0f ? g->alpha * a : g->alpha * a + g->beta * cr[l];
            }
        }
}

/* Columns j0 <= j < j1 of a product with m <= 2 and B transposed; the
 * last n % 8 columns by the scalar rule. */
__attribute__((target("avx2,fma"))) static void nt_tiny(const pk_args *g, size_t j0, size_t j1) {
    size_t j = j0;
    for (; j + 32 <= j1; j += 32) g->m == 1 ? nt_tiny_block(1, 4, g, j) : nt_tiny_block(2, 4, g, j);
    for (; j + 8 <= j1; j += 8) g->m == 1 ? nt_tiny_block(1, 1, g, j) : nt_tiny_block(2, 1, g, j);
    for (; j < j1; j++)
        for (size_t i = 0; i < g->m; i++) {
            const float *ui = g->u + i * g->rsu, *bj = g->b + j * g->ldb;
            float acc = 0.0f;
            for (size_t p = 0; p < g->k; p++) acc = fmaf(ui[p * g->csu], bj[p], acc);
            float *ci = g->c + i * g->ldc + j;
            *ci = g->beta == 0.0f ? g->alpha * acc : g->alpha * acc + g->beta * *ci;
        }
}
#endif

/* v[p*ldv + j] = b[j*ldb + p] for j < n, p < k: B^T as rows, in 8 x 8
 * blocks (an AVX2 register transpose: only the SIMD paths copy, and a copy
 * cannot change a bit). */
static void pack_transposed(const float *b, size_t ldb, size_t n, size_t k, float *v, size_t ldv) {
    for (size_t j0 = 0; j0 < n; j0 += 8) {
        const size_t j1 = j0 + 8 < n ? j0 + 8 : n;
        for (size_t p0 = 0; p0 < k; p0 += 8) {
            const size_t p1 = p0 + 8 < k ? p0 + 8 : k;
#ifdef PORTABLE_X86
            if (j1 - j0 == 8 && p1 - p0 == 8) {
                transpose8x8_avx2(b + j0 * ldb + p0, ldb, v + p0 * ldv + j0, ldv);
                continue;
            }
#endif
            for (size_t j = j0; j < j1; j++)
                for (size_t p = p0; p < p1; p++) v[p * ldv + j] = b[j * ldb + p];
        }
    }
}

/* v[p*ldv + j] = b[p*ldb + j] for j < n, p < k: rows of B side by side. */
static inline void pack_rows(const float *b, size_t ldb, size_t n, size_t k, float *v, size_t ldv) {
    for (size_t p = 0; p < k; p++) memcpy(v + p * ldv, b + p * ldb, n * sizeof *v);
}

/* The calling thread's copy buffer, grown to the largest product seen (so
 * the steady state allocates nothing); NULL when it cannot grow. */
static _Thread_local float *pack_buf;
static _Thread_local size_t pack_cap;

static float *pack_space(size_t floats) {
    if (floats > pack_cap) {
        float *p = realloc(pack_buf, floats * sizeof *p);
        if (!p) return NULL;
        pack_buf = p;
        pack_cap = floats;
    }
    return pack_buf;
}

/* ---- the SIMD paths -------------------------------------------------------- */

#ifdef PORTABLE_X86
__attribute__((target("avx2"))) static inline __m256i avx2_mask(size_t lanes) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)lanes),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#define PK(name) name##_avx2
#define PK_TARGET __attribute__((target("avx2,fma")))
#define PK_W 8
#define PK_MR 6
#define PK_NV 2
#define PK_NVMAX 8
#define PK_VEC __m256
#define PK_MASK __m256i
#define PK_ZERO() _mm256_setzero_ps()
#define PK_LOAD(p) _mm256_loadu_ps(p)
#define PK_LOADM(p, mask) _mm256_maskload_ps((p), (mask))
#define PK_STORE(p, x) _mm256_storeu_ps((p), (x))
#define PK_STOREM(p, mask, x) _mm256_maskstore_ps((p), (mask), (x))
#define PK_BCAST(x) _mm256_set1_ps(x)
#define PK_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define PK_MUL(a, b) _mm256_mul_ps((a), (b))
#define PK_ADD(a, b) _mm256_add_ps((a), (b))
#define PK_MASKOF(lanes) avx2_mask(lanes)
#include "gemm_portable_kernel.h" /* undefines the PK_ macros */

#define PK(name) name##_avx512
#define PK_TARGET __attribute__((target("avx512f")))
#define PK_W 16
#define PK_MR 8
#define PK_NV 2
#define PK_NVMAX 8
#define PK_VEC __m512
#define PK_MASK __mmask16
#define PK_ZERO() _mm512_setzero_ps()
#define PK_LOAD(p) _mm512_loadu_ps(p)
#define PK_LOADM(p, mask) _mm512_maskz_loadu_ps((mask), (p))
#define PK_STORE(p, x) _mm512_storeu_ps((p), (x))
#define PK_STOREM(p, mask, x) _mm512_mask_storeu_ps((p), (mask), (x))
#define PK_BCAST(x) _mm512_set1_ps(x)
#define PK_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define PK_MUL(a, b) _mm512_mul_ps((a), (b))
#define PK_ADD(a, b) _mm512_add_ps((a), (b))
#define PK_MASKOF(lanes) ((__mmask16)(0xFFFFu >> (16 - (lanes))))
#include "gemm_portable_kernel.h" /* undefines the PK_ macros */
#endif

/* ---- driver ---------------------------------------------------------------- */

/* Work units of a product on an ISA (output tiles or column panels; rows
 * for scalar), and the floats of one column panel copy. */
static size_t unit_count(gemm_isa isa, const pk_args *g, size_t *panel_floats) {
    *panel_floats = 0;
#ifdef PORTABLE_X86
    if (isa == GEMM_ISA_AVX512) return unit_count_avx512(g, panel_floats);
    if (isa == GEMM_ISA_AVX2) return unit_count_avx2(g, panel_floats);
#endif
    (void)isa;
    return g->m;
}

static void run_units(gemm_isa isa, const pk_args *g, size_t t0, size_t t1, float *buf) {
#ifdef PORTABLE_X86
    if (isa == GEMM_ISA_AVX512) {
        units_avx512(g, t0, t1, buf);
        return;
    }
    if (isa == GEMM_ISA_AVX2) {
        units_avx2(g, t0, t1, buf);
        return;
    }
#endif
    (void)isa;
    (void)buf;
    scalar_rows(g, t0, t1);
}

void gemm_portable_f32(gemm_isa isa, size_t threads, int trans_a, int trans_b, size_t m, size_t n,
                       size_t k, float alpha, const float *a, size_t lda, const float *b,
                       size_t ldb, float beta, float *c, size_t ldc) {
    pk_args g = {
        .m = m,
        .n = n,
        .k = k,
        .u = a,
        .rsu = trans_a ? 1 : lda,
        .csu = trans_a ? lda : 1,
        .v = b,
        .ldv = trans_b ? 1 : ldb,
        .csv = trans_b ? ldb : 1,
        .alpha = alpha,
        .beta = beta,
        .c = c,
        .ldc = ldc,
        .b = b,
        .ldb = ldb,
    };
#ifdef PORTABLE_X86
    if (trans_b && m <= 2 && isa != GEMM_ISA_SCALAR) {
        nt_tiny(&g, 0, n); /* on this thread: two rows are too few to split */
        return;
    }
#endif
    /* The SIMD paths read rows of B: a large B is copied one column panel
     * per unit of work (when transposed, or when enough row blocks reuse
     * the copy to pay for it), a small transposed one whole. */
    g.trans_b = trans_b;
    g.b_panels = isa != GEMM_ISA_SCALAR && n * k > PACK_WHOLE_MAX && (trans_b || m >= 16);
    size_t panel_floats;
    size_t units = unit_count(isa, &g, &panel_floats);
    const size_t nt = threads < units ? threads : units;
    float *buf = NULL;
    if ((trans_b || g.b_panels) && isa != GEMM_ISA_SCALAR) {
        buf = pack_space(g.b_panels ? (nt ? nt : 1) * panel_floats : n * k);
        if (!buf) {
            isa = GEMM_ISA_SCALAR; /* slower, same bits */
            g.b_panels = 0;
            units = unit_count(isa, &g, &panel_floats);
        } else if (!g.b_panels) {
            pack_transposed(b, ldb, n, k, buf, n);
            g.v = buf;
            g.ldv = n;
            g.csv = 1;
        }
    }
#ifdef _OPENMP
    if (nt > 1 && units > 1) {
#pragma omp parallel num_threads((int)nt)
        {
            const size_t id = (size_t)omp_get_thread_num(), cnt = (size_t)omp_get_num_threads();
            run_units(isa, &g, units * id / cnt, units * (id + 1) / cnt,
                      g.b_panels ? buf + id * panel_floats : NULL);
        }
        return;
    }
#endif
    run_units(isa, &g, 0, units, buf);
}
