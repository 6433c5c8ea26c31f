/* gemm.c -- see gemm.h. The backend macros come from the generated
 * rnnlab_build.h (core/meson.build decides which library was found). */
#include "gemm.h"

#include "rnnlab_build.h"

#if defined(RNNLAB_GEMM_DNNL)
#include <oneapi/dnnl/dnnl.h>
#elif defined(RNNLAB_GEMM_OPENBLAS)
#include <cblas.h>
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

void gemm_f32(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
              const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
              size_t ldc) {
    if (m == 0 || n == 0) return;
    /* Libraries disagree on k == 0 (and reject lda == 0 then); the builtin
     * does exactly C = beta * C. */
    if (k == 0 || alpha == 0.0f) {
        gemm_f32_builtin(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#if defined(RNNLAB_GEMM_DNNL)
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
#else
    gemm_f32_builtin(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

const char *gemm_backend_name(void) {
#if defined(RNNLAB_GEMM_DNNL)
    return "dnnl " GEMM_STR(DNNL_VERSION_MAJOR) "." GEMM_STR(DNNL_VERSION_MINOR) " (dnnl_sgemm)";
#elif defined(RNNLAB_GEMM_OPENBLAS)
    return "openblas (cblas_sgemm)";
#else
    return "builtin";
#endif
}
