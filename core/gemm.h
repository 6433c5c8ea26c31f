/* gemm.h -- the one matrix-multiply interface of the core.
 *
 * Every matrix product in rnnlab goes through gemm_f32 (training and
 * inference) or gemm_f64 (gradient checks). The backend is fixed at configure
 * time by the meson option `gemm`: "builtin" (portable C, always built) or
 * "cblas" (any CBLAS, e.g. OpenBLAS). All backends must agree within float
 * tolerance; tests/test_gemm.c checks each one that is built.
 *
 * Row-major: C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C.
 * op(X) is X or X^T by trans_a / trans_b. lda/ldb/ldc are row strides of the
 * matrices as stored. beta == 0 means C is not read (may hold garbage). */
#ifndef RNNLAB_CORE_GEMM_H
#define RNNLAB_CORE_GEMM_H

#include <stddef.h>

void gemm_f32(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
              const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
              size_t ldc);

void gemm_f64(int trans_a, int trans_b, size_t m, size_t n, size_t k, double alpha,
              const double *a, size_t lda, const double *b, size_t ldb, double beta, double *c,
              size_t ldc);

/* The portable reference kernels, always available, for cross-checks. */
void gemm_f32_builtin(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                      const float *a, size_t lda, const float *b, size_t ldb, float beta,
                      float *c, size_t ldc);

/* "builtin", "cblas (OpenBLAS 0.3.21)", ... */
const char *gemm_backend_name(void);

#endif
