/* sigmoid -- the logistic function, ONNX RNN activation "Sigmoid".
 *
 * Bounded in (0, 1) and not zero-centred: every hidden unit is positive, so
 * the gradients of a row of W_hh all share one sign and learning zig-zags.
 * Its derivative is at most 1/4, so gradients through time shrink at least
 * 4x per step: the fastest vanishing of the three classic activations. */
#include <math.h>
#include "rnnlab/plugin.h"
#include "../vecmath.h"

/* Written from e = exp(-|x|) <= 1 so that exp never overflows (for x =
 * -1e4, exp(-x) would be inf): sigmoid(x) = 1/(1+e) for x >= 0 and e/(1+e)
 * below. Branch-free with vec_expf so the loop vectorises; through a small
 * local block because the model calls it in place (vec_map). */
static inline float sigmoid_vec(float v) {
    float a = v < 0.0f ? -v : v;
    float e = a > 87.0f ? 0.0f : vec_expf(-a); /* exp(-87) ~ 1.6e-38 */
    float p = 1.0f / (1.0f + e);
    float r = v >= 0.0f ? p : e * p;
    return v == v ? r : v;
}

static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    (void)self;
    vec_map(sigmoid_vec, x, y, n);
    return RNNLAB_OK;
}

static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)self;
    (void)x;
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
    return RNNLAB_OK;
}

static int fwd64(const void *self, const double *x, double *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (v >= 0.0) {
            y[i] = 1.0 / (1.0 + exp(-v));
        } else {
            double e = exp(v);
            y[i] = e / (1.0 + e);
        }
    }
    return RNNLAB_OK;
}

static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)self;
    (void)x;
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1.0 - y[i]);
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

static const rnnlab_component sigmoid_component = {
    .kind = RNNLAB_KIND_ACTIVATION,
    .name = "sigmoid",
    .version = "1.0.0",
    .description = "Logistic 1/(1+exp(-x)): bounded in (0, 1), not zero-centred.",
    .params = NULL,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&sigmoid_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "sigmoid",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The sigmoid activation.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
