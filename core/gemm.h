/* gemm.h -- the one matrix-multiply interface of the core.
 *
 * Every matrix product in rnnlab goes through gemm_f32 (training and
 * inference) or gemm_f64 (gradient checks). The float backend is fixed at
 * configure time by the meson option `gemm`: "dnnl" (oneDNN's dnnl_sgemm),
 * "openblas" (cblas_sgemm), "blis" (bli_sgemm) or "builtin" (portable C,
 * always built; see gemm_kernel.h). Non-transposed products with at most 4
 * rows (the recurrent step at B <= 4) go to a hand-vectorised AVX-512 or
 * AVX2+FMA kernel chosen at run time from the CPU, whatever the backend.
 * In machine mode (below) the environment variable RNNLAB_GEMM=builtin,
 * read once, sends every product to the builtin kernel instead (the tests
 * run the model that way too). gemm_f64 is always the builtin kernel: only gradient checks use it.
 *
 * Two modes ([train] reproducible, set process-wide by gemm_set_mode):
 *   machine   the fastest kernels for this CPU (the library's JIT, the
 *             small-m kernel): the same bits run to run on one machine,
 *             build and thread count, not across instruction sets;
 *   portable  gemm_portable.h's kernels: the same bits on every x86-64 CPU
 *             (scalar, AVX2, AVX-512) and at every thread count.
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

/* What float products run on now: "builtin", "openblas (cblas_sgemm)",
 * "blis (bli_sgemm)", "dnnl 2.6 (dnnl_sgemm)", "builtin (forced by
 * RNNLAB_GEMM=builtin)", or "portable (rnnlab kernels)" in portable mode.
 * A static string. */
const char *gemm_backend_name(void);

/* The small-m kernel in use: "avx512", "avx2" or "none". A static string. */
const char *gemm_small_kernel_name(void);

/* Sets the threads of the backend's one thread pool (OpenMP for dnnl and
 * blis, OpenBLAS's own). 0 means 1. Process-wide, as the libraries' own
 * settings are: the last model created decides. Results are bit-identical
 * run to run for a given thread count. Call from the thread that multiplies
 * (OpenMP keeps the setting per thread). */
void gemm_set_threads(size_t threads);

/* Threads the float products use (1 for the builtin kernel; in portable
 * mode, the set count when built with OpenMP, else 1). */
size_t gemm_threads(void);

typedef enum gemm_mode { GEMM_MODE_MACHINE = 0, GEMM_MODE_PORTABLE = 1 } gemm_mode;

/* Chooses the arithmetic of every later gemm_f32 call, process-wide like
 * the thread count (session_open sets it from [train] reproducible). */
void gemm_set_mode(gemm_mode mode);
gemm_mode gemm_get_mode(void);
/* "machine" or "portable": the values of [train] reproducible. */
const char *gemm_mode_name(gemm_mode mode);

/* The instruction set of rnnlab's own kernels in use ("scalar", "avx2",
 * "avx512": the CPU's best, capped by the environment variable
 * RNNLAB_ISA=scalar|avx2|avx512), and the CPU's best. Static strings. */
const char *gemm_kernel_isa(void);
const char *gemm_cpu_isa(void);

/* The configured library as it runs: name and run-time version (e.g.
 * "dnnl 2.6.3"), and the instruction set it dispatches to ("avx512_core",
 * OpenBLAS's core name, BLIS's architecture; "c" for the builtin kernel,
 * plain C compiled for the baseline ISA). Static strings. */
const char *gemm_library_version(void);
const char *gemm_library_isa(void);

#endif
