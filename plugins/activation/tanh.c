/* tanh -- the hyperbolic tangent, ONNX RNN activation "Tanh".
 *
 * Zero-centred and bounded: the default Elman activation. Its derivative
 * 1 - y^2 is at most 1 and decays fast for |x| > 2, which is why gradients
 * vanish through long chains of saturated units. */
#include <math.h>
#include "rnnlab/plugin.h"
#include "../vecmath.h"

/* Float forward, written so the compiler can vectorise it: glibc's tanhf is
 * a scalar call per element and was 40% of a training step at H = 128
 * (docs/PERFORMANCE.md). Branch-free, Cephes-style, within 2 ulp of tanhf:
 *  - |x| < 0.625: tanh(x) = x + x^3 P(x^2), the Cephes tanhf polynomial
 *    (the exp form below would cancel catastrophically near 0);
 *  - otherwise:   tanh(|x|) = 1 - 2 / (exp(2|x|) + 1), with vec_expf;
 *    |x| is clamped at 9, where tanh already rounds to 1 in float.
 * The double path (gradient checks) keeps libm's tanh. */
static inline float tanh_vec(float v) {
    float a = fabsf(v);
    float z = v * v;
    float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
                    1.33314422036e-1f) *
                       z -
                   3.33332819422e-1f) *
                      z * v +
                  v;
    float c = a < 9.0f ? a : 9.0f;
    float big = copysignf(1.0f - 2.0f / (vec_expf(2.0f * c) + 1.0f), v);
    float r = a < 0.625f ? small : big;
    return v == v ? r : v; /* NaN in, NaN out (the clamp would make it 1) */
}

static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    (void)self;
    vec_map(tanh_vec, x, y, n);
    return RNNLAB_OK;
}

/* d tanh(x)/dx = 1 - tanh(x)^2, from the output: no second tanh. */
static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)self;
    (void)x;
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
    return RNNLAB_OK;
}

static int fwd64(const void *self, const double *x, double *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = tanh(x[i]);
    return RNNLAB_OK;
}

static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)self;
    (void)x;
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0 - y[i] * y[i]);
    return RNNLAB_OK;
}

static const rnnlab_activation_ops ops = {
    .struct_size = sizeof(rnnlab_activation_ops),
    .flags = RNNLAB_ACT_DERIV_FROM_Y,
    .forward = fwd,
    .backward = bwd,
    .forward_f64 = fwd64,
    .backward_f64 = bwd64,
};

static const rnnlab_component tanh_component = {
    .kind = RNNLAB_KIND_ACTIVATION,
    .name = "tanh",
    .version = "1.0.0",
    .description = "Hyperbolic tangent: zero-centred, bounded in (-1, 1).",
    .params = NULL,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&tanh_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "tanh",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The tanh activation.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
