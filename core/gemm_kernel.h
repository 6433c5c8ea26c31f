/* gemm_kernel.h -- the portable GEMM kernel, written once for both scalar
 * types. Included only by gemm.c, twice, with GEMM_REAL (float or double)
 * and GEMM_NAME (the function to define) set; see gemm.h for the contract.
 *
 * Loop orders keep the innermost loop contiguous in memory so the compiler
 * can vectorise it without -ffast-math:
 *   NN  i-p-j : C[i,:] += a(i,p) * B[p,:]     (axpy over a row of B)
 *   TN  p-i-j : C[i,:] += A[p,i] * B[p,:]     (A^T read row by row)
 *   NT  i-j-p : C[i,j]  = A[i,:] . B[j,:]     (dot of two rows, 4 rows of B at once)
 *   TT  i-j-p : C[i,j]  = A[:,i] . B[j,:]     (rare: strided A) */
#ifndef GEMM_REAL
#error "define GEMM_REAL and GEMM_NAME before including gemm_kernel.h"
#endif

void GEMM_NAME(int trans_a, int trans_b, size_t m, size_t n, size_t k, GEMM_REAL alpha,
               const GEMM_REAL *a, size_t lda, const GEMM_REAL *b, size_t ldb, GEMM_REAL beta,
               GEMM_REAL *c, size_t ldc) {
    /* C = beta * C first; beta == 0 writes zeros without reading C. */
    for (size_t i = 0; i < m; i++) {
        GEMM_REAL *ci = c + i * ldc;
        if (beta == (GEMM_REAL)0)
            for (size_t j = 0; j < n; j++) ci[j] = (GEMM_REAL)0;
        else if (beta != (GEMM_REAL)1)
            for (size_t j = 0; j < n; j++) ci[j] *= beta;
    }
    if (k == 0 || alpha == (GEMM_REAL)0) return;

    if (!trans_a && !trans_b) {
        /* a: (m, k), b: (k, n) */
        for (size_t i = 0; i < m; i++) {
            GEMM_REAL *ci = c + i * ldc;
            for (size_t p = 0; p < k; p++) {
                const GEMM_REAL aip = alpha * a[i * lda + p];
                const GEMM_REAL *bp = b + p * ldb;
                for (size_t j = 0; j < n; j++) ci[j] += aip * bp[j];
            }
        }
    } else if (trans_a && !trans_b) {
        /* a: (k, m), b: (k, n) */
        for (size_t p = 0; p < k; p++) {
            const GEMM_REAL *ap = a + p * lda;
            const GEMM_REAL *bp = b + p * ldb;
            for (size_t i = 0; i < m; i++) {
                const GEMM_REAL api = alpha * ap[i];
                GEMM_REAL *ci = c + i * ldc;
                for (size_t j = 0; j < n; j++) ci[j] += api * bp[j];
            }
        }
    } else if (!trans_a && trans_b) {
        /* a: (m, k), b: (n, k) */
        for (size_t i = 0; i < m; i++) {
            const GEMM_REAL *ai = a + i * lda;
            GEMM_REAL *ci = c + i * ldc;
            size_t j = 0;
            /* Four rows of B per pass: each load of a[i,p] feeds four sums. */
            for (; j + 4 <= n; j += 4) {
                const GEMM_REAL *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
                GEMM_REAL s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (size_t p = 0; p < k; p++) {
                    const GEMM_REAL x = ai[p];
                    s0 += x * b0[p];
                    s1 += x * b1[p];
                    s2 += x * b2[p];
                    s3 += x * b3[p];
                }
                ci[j] += alpha * s0;
                ci[j + 1] += alpha * s1;
                ci[j + 2] += alpha * s2;
                ci[j + 3] += alpha * s3;
            }
            for (; j < n; j++) {
                const GEMM_REAL *bj = b + j * ldb;
                GEMM_REAL s = 0;
                for (size_t p = 0; p < k; p++) s += ai[p] * bj[p];
                ci[j] += alpha * s;
            }
        }
    } else {
        /* a: (k, m), b: (n, k) */
        for (size_t i = 0; i < m; i++) {
            GEMM_REAL *ci = c + i * ldc;
            for (size_t j = 0; j < n; j++) {
                const GEMM_REAL *bj = b + j * ldb;
                GEMM_REAL s = 0;
                for (size_t p = 0; p < k; p++) s += a[p * lda + i] * bj[p];
                ci[j] += alpha * s;
            }
        }
    }
}
