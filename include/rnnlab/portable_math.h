/* rnnlab/portable_math.h -- exp, log, cos and integer powers in double that
 * give the same bits on every x86-64 CPU.
 *
 * glibc picks its exp, log, pow, sin, cos, expf, logf, powf, expm1 (and
 * tanh through it) at load time by CPU: on a CPU with FMA it runs versions
 * compiled for FMA, which round differently in rare cases. A run with
 * [train] reproducible = portable must not depend on that, so the core and
 * the first-party plugins use these instead wherever a result reaches the
 * weights, the loss or metrics.csv. A third-party plugin that wants its
 * results portable should do the same (and be compiled without FMA
 * contraction: -ffp-contract=off).
 *
 * Plain C, header-only: sums and products in a fixed order, no libm call
 * but frexp, ldexp and fma (exact by definition, so the same everywhere). Accuracy: within 2 ulp of the true value
 * (exp, log, cos on |x| <= 1e5) -- slightly worse than glibc, never
 * machine-dependent. NaN in gives NaN out. */
#ifndef RNNLAB_PORTABLE_MATH_H
#define RNNLAB_PORTABLE_MATH_H

#include <math.h>
#include <stdint.h>

/* Rounds x to the nearest integer (ties to even) for |x| < 2^51, by the
 * 1.5 * 2^52 shift: plain adds, no rounding-mode call. */
static inline double rnnlab_round_(double x) {
    return (x + 6755399441055744.0) - 6755399441055744.0;
}

/* e^x. x = k ln2 + r with |r| <= ln2/2 (ln2 in two parts, so k ln2_hi is
 * exact), e^r by its Taylor series to r^14 (the next term is below 1e-17
 * of the result), then scaled by 2^k. */
static inline double rnnlab_exp(double x) {
    if (x != x) return x;
    if (x > 709.782712893384) return HUGE_VAL;
    if (x < -745.1332191019412) return 0.0;
    const double k = rnnlab_round_(x * 1.4426950408889634);
    const double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
    double p = 1.0 / 87178291200.0; /* 1/14! */
    p = p * r + 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    return ldexp(p, (int)k);
}

/* ln x. x = 2^e m with m in [sqrt(1/2), sqrt(2)); with s = (m-1)/(m+1),
 * ln m = 2 atanh s = 2s (1 + s^2/3 + s^4/5 + ...), |s| <= 0.1716, to s^22;
 * then e ln2 in two parts. */
static inline double rnnlab_log(double x) {
    if (x != x) return x;
    if (x < 0.0) return NAN;
    if (x == 0.0) return -HUGE_VAL;
    if (x == HUGE_VAL) return x;
    int e;
    double m = frexp(x, &e); /* [0.5, 1) */
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        e--;
    }
    const double f = m - 1.0; /* exact */
    const double s = f / (2.0 + f), z = s * s;
    double q = 1.0 / 23.0;
    q = q * z + 1.0 / 21.0;
    q = q * z + 1.0 / 19.0;
    q = q * z + 1.0 / 17.0;
    q = q * z + 1.0 / 15.0;
    q = q * z + 1.0 / 13.0;
    q = q * z + 1.0 / 11.0;
    q = q * z + 1.0 / 9.0;
    q = q * z + 1.0 / 7.0;
    q = q * z + 1.0 / 5.0;
    q = q * z + 1.0 / 3.0;
    const double lnm = 2.0 * s + 2.0 * s * (q * z);
    const double de = (double)e;
    return de * 6.93147180369123816490e-01 + (lnm + de * 1.90821492927058770002e-10);
}

/* cos x. x = n pi/2 + r with |r| <= pi/4 (pi/2 in three parts), then
 * cos r or sin r by Taylor series to r^16 / r^17 by n mod 4. */
static inline double rnnlab_cos(double x) {
    if (x != x || x == HUGE_VAL || x == -HUGE_VAL) return NAN;
    const double n = rnnlab_round_(x * 6.36619772367581382433e-01);
    const double r = ((x - n * 1.57079632673412561417e+00) - n * 6.07710050630396597660e-11) -
                     n * 2.02226624871116645580e-21;
    const double z = r * r;
    double c = 1.0 / 20922789888000.0; /* 1/16! */
    c = -c * z + 1.0 / 87178291200.0;
    c = -c * z + 1.0 / 479001600.0;
    c = -c * z + 1.0 / 3628800.0;
    c = -c * z + 1.0 / 40320.0;
    c = -c * z + 1.0 / 720.0;
    c = -c * z + 1.0 / 24.0;
    c = -c * z + 0.5;
    c = -c * z + 1.0;
    double s = 1.0 / 355687428096000.0; /* 1/17! */
    s = -s * z + 1.0 / 1307674368000.0;
    s = -s * z + 1.0 / 6227020800.0;
    s = -s * z + 1.0 / 39916800.0;
    s = -s * z + 1.0 / 362880.0;
    s = -s * z + 1.0 / 5040.0;
    s = -s * z + 1.0 / 120.0;
    s = -s * z + 1.0 / 6.0;
    s = r - r * (s * z);
    switch ((int64_t)n & 3) {
    case 0: return c;
    case 1: return -s;
    case 2: return -c;
    default: return s;
    }
}

/* (h, l) = (ah + al)(bh + bl) in double-double: fma recovers the product's
 * rounding error exactly (fma is exact on every implementation). */
static inline void rnnlab_mul_dd_(double *h, double *l, double ah, double al, double bh,
                                  double bl) {
    const double p = ah * bh;
    const double e = fma(ah, bh, -p) + (ah * bl + al * bh);
    *h = p + e;
    *l = e - (*h - p);
}

/* x^n for a whole n >= 0 (x^0 = 1) by repeated squaring in double-double,
 * so the error stays within about 1 ulp however large n is (plain
 * squaring would lose up to n/2 ulp). */
static inline double rnnlab_powi(double x, uint64_t n) {
    double rh = 1.0, rl = 0.0, xh = x, xl = 0.0;
    while (n) {
        if (n & 1u) rnnlab_mul_dd_(&rh, &rl, rh, rl, xh, xl);
        n >>= 1;
        if (n) rnnlab_mul_dd_(&xh, &xl, xh, xl, xh, xl);
    }
    return rh + rl;
}

#endif
