/* gemm_portable.h -- the portable GEMM: the same bits on every x86-64 CPU
 * and at every thread count ([train] reproducible = portable, issue 17).
 *
 * Every element of C is computed the same way on every path:
 *
 *     acc = +0.0f
 *     for p = 0, 1, ..., k-1:   acc = fmaf(A(i,p), B(p,j), acc)
 *     C(i,j) = beta == 0 ? alpha * acc : alpha * acc + beta * C(i,j)
 *
 * one accumulator per element, k in order, one fused multiply-add per step,
 * and in the last line each product and the sum rounded on its own (the
 * kernels are compiled with -ffp-contract=off). The SIMD paths vectorise
 * across the columns of C only, and threads split C only, so neither the
 * vector width nor the thread count can change a sum's order. The scalar
 * path (fmaf: one instruction where the CPU has FMA, glibc's exact software
 * fma where it has not) is the definition; AVX2 and AVX-512 reproduce it
 * bit for bit (tests/core/test_gemm.c checks every path and transpose).
 *
 * Shapes and strides as in gemm.h (row-major, op(X) by trans flags); the
 * caller (gemm_f32) has already handled m == 0, n == 0, k == 0 and
 * alpha == 0. A transposed B is first copied into a (k, n) row-major panel
 * (a copy, so it cannot change any bit); that buffer is the calling
 * thread's, grown to the largest product seen and then reused, so the
 * steady state allocates nothing. If it cannot be allocated the scalar path
 * runs instead: slower, same bits. */
#ifndef RNNLAB_CORE_GEMM_PORTABLE_H
#define RNNLAB_CORE_GEMM_PORTABLE_H

#include <stddef.h>

/* The instruction sets rnnlab's own kernels are written for, in order. */
typedef enum gemm_isa { GEMM_ISA_SCALAR = 0, GEMM_ISA_AVX2 = 1, GEMM_ISA_AVX512 = 2 } gemm_isa;

/* "scalar", "avx2" or "avx512". */
const char *gemm_isa_name(gemm_isa isa);

/* The best ISA this CPU runs that rnnlab has kernels for (AVX2 means
 * AVX2 + FMA; AVX-512 means AVX-512F). */
gemm_isa gemm_isa_detect(void);

/* C = alpha * op(A) op(B) + beta * C by the rule above, on `isa` (which the
 * CPU must support) with up to `threads` OpenMP threads (1 without
 * OpenMP). Requires m, n, k > 0 and alpha != 0. */
void gemm_portable_f32(gemm_isa isa, size_t threads, int trans_a, int trans_b, size_t m, size_t n,
                       size_t k, float alpha, const float *a, size_t lda, const float *b,
                       size_t ldb, float beta, float *c, size_t ldc);

/* 1 if gemm_portable_f32 can use more than one thread (built with OpenMP). */
int gemm_portable_threaded(void);

#endif
