/* vecmath.h -- element-wise float math that GCC can vectorise, shared by
 * first-party plugins (header-only; plugins still link against nothing).
 *
 * libm's expf and tanhf are scalar calls; in an RNN step they run on every
 * hidden unit of every row and were the largest single cost of training at
 * H = 128 (docs/PERFORMANCE.md). Loops over these inline functions compile
 * to SIMD code with -O3 -fno-trapping-math (plugins/meson.build). */
#ifndef RNNLAB_PLUGINS_VECMATH_H
#define RNNLAB_PLUGINS_VECMATH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* exp(x) within 2 ulp of expf for x in [-87, 88] (Cephes expf: range
 * reduction by ln 2 in two parts, degree-6 polynomial, 2^n from the
 * exponent bits). x is clamped to that range first (NaN becomes -87), so
 * the conversion and the shift below are always defined; callers that must
 * pass NaN or give exact 0 / inf at the ends handle those themselves. */
static inline float vec_expf(float x) {
    x = x >= -87.0f ? x : -87.0f;
    x = x <= 88.0f ? x : 88.0f;
    /* n = round(x / ln 2) by the 1.5 * 2^23 trick: no rounding call. */
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23; /* n + 127 in [1, 254] */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* e^x for x <= 0, as activations need it: exactly 0 below -87 (where
 * vec_expf clamps) and NaN for NaN. Not libm's expf, which glibc picks by
 * CPU ([train] reproducible = portable). */
static inline float vec_exp_nonpos(float x) { return x != x ? x : x < -87.0f ? 0.0f : vec_expf(x); }

/* y[i] = f(x[i]) for i < n, with x and y allowed to be the same array (the
 * model calls activations in place). GCC's vectorised loop over x and y is
 * guarded by a run-time overlap check that in-place calls fail, falling back
 * to scalar code; going through a small local block avoids that. Inlined
 * with a constant f, the inner loop is f's own code, vectorised. */
static inline void vec_map(float (*f)(float), const float *x, float *y, size_t n) {
    float t[64];
    for (size_t i = 0; i < n; i += 64) {
        size_t m = n - i < 64 ? n - i : 64;
        for (size_t k = 0; k < m; k++) t[k] = f(x[i + k]);
        memcpy(y + i, t, m * sizeof *t);
    }
}

#endif
