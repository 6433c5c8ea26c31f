/* gemm.h -- the one matrix-multiply interface of the core.
 *
 * Every matrix product in rnnlab goes through gemm_f32 (training and
 * inference) or gemm_f64 (gradient checks). The float backend is fixed at
 * configure time by the meson option `gemm`: "dnnl" (oneDNN's dnnl_sgemm),
 * "openblas" (cblas_sgemm), "blis" (bli_sgemm) or "builtin" (portable C,
 * always built; see gemm_kernel.h). Non-transposed products with at most 4
 * rows (the recurrent step at B <= 4) go to a hand-vectorised AVX-512 or
 * AVX2+FMA kernel chosen at run time from the CPU, whatever the backend.
 * The environment variable RNNLAB_GEMM=builtin, read once, sends every
 * product to the portable kernel instead (the tests run the model that way
 * too). gemm_f64 is always the builtin kernel: only gradient checks use it.
 * All backends must agree within float tolerance; tests/core/test_gemm.c checks
 * the one that is built against the builtin and a naive reference.
 *
 * Degenerate shapes are valid: m == 0 or n == 0 does nothing; k == 0 or
 * alpha == 0 leaves C = beta * C. Thread-safe; never allocates itself.
 *
 * Row-major: C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C.
 * op(X) is X or X^T by trans_a / trans_b. lda/ldb/ldc are row strides of the
 * matrices as stored. beta == 0 means C is not read (may hold garbage). */
#ifndef RNNLAB_CORE_GEMM_H
#define RNNLAB_CORE_GEMM_H

#include <stddef.h>

void gemm_f32(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a,
              size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

void gemm_f64(int trans_a, int trans_b, size_t m, size_t n, size_t k, double alpha, const double *a,
              size_t lda, const double *b, size_t ldb, double beta, double *c, size_t ldc);

/* The portable reference kernels, always available, for cross-checks. */
void gemm_f32_builtin(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                      const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                      size_t ldc);

/* "builtin", "openblas (cblas_sgemm)", "blis (bli_sgemm)", "dnnl 2.6
 * (dnnl_sgemm)", or "builtin (forced by RNNLAB_GEMM=builtin)": a static
 * string. */
const char *gemm_backend_name(void);

/* The small-m kernel in use: "avx512", "avx2" or "none". A static string. */
const char *gemm_small_kernel_name(void);

/* Sets the threads of the backend's one thread pool (OpenMP for dnnl and
 * blis, OpenBLAS's own). 0 means 1. Process-wide, as the libraries' own
 * settings are: the last model created decides. Results are bit-identical
 * run to run for a given thread count. Call from the thread that multiplies
 * (OpenMP keeps the setting per thread). */
void gemm_set_threads(size_t threads);

/* Threads the float products use (1 for the portable kernel). */
size_t gemm_threads(void);

#endif
