/* softplus -- log(1 + exp(x)), ONNX RNN activation "Softplus".
 *
 * A smooth relu: positive, unbounded above, derivative sigmoid(x) in
 * (0, 1). Written so that nothing overflows: for x > 0,
 *     log(1 + exp(x)) = x + log1p(exp(-x)),
 * and exp only ever sees a non-positive argument. The derivative comes from
 * x by the same split (sigmoid's two stable branches); from y it would be
 * 1 - exp(-y), which cancels badly for small y. */
#include <math.h>
#include "rnnlab/plugin.h"
#include "../vecmath.h"

/* vec_exp_nonpos, not libm's expf (which glibc picks by CPU). */
static rnnlab_real softplus_f(rnnlab_real v) {
    return v > 0.0f ? v + log1pf(vec_exp_nonpos(-v)) : log1pf(vec_exp_nonpos(v));
}

static rnnlab_real sigmoid_f(rnnlab_real v) {
    if (v >= 0.0f) return 1.0f / (1.0f + vec_exp_nonpos(-v));
    rnnlab_real e = vec_exp_nonpos(v);
    return e / (1.0f + e);
}

static double softplus_d(double v) { return v > 0.0 ? v + log1p(exp(-v)) : log1p(exp(v)); }

static double sigmoid_d(double v) {
    if (v >= 0.0) return 1.0 / (1.0 + exp(-v));
    double e = exp(v);
    return e / (1.0 + e);
}

/* x, y: (n) */
static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = softplus_f(x[i]);
    return RNNLAB_OK;
}

/* x, dy, dx: (n); y is not read */
static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)self;
    (void)y;
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * sigmoid_f(x[i]);
    return RNNLAB_OK;
}

static int fwd64(const void *self, const double *x, double *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = softplus_d(x[i]);
    return RNNLAB_OK;
}

static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)self;
    (void)y;
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * sigmoid_d(x[i]);
    return RNNLAB_OK;
}

static const rnnlab_activation_ops ops = {
    .struct_size = sizeof(rnnlab_activation_ops),
    .flags = 0,
    .forward = fwd,
    .backward = bwd,
    .forward_f64 = fwd64,
    .backward_f64 = bwd64,
};

static const rnnlab_component softplus_component = {
    .kind = RNNLAB_KIND_ACTIVATION,
    .name = "softplus",
    .version = "1.0.0",
    .description = "Softplus log(1 + exp(x)): a smooth relu, derivative sigmoid(x).",
    .params = NULL,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&softplus_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "softplus",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The softplus activation.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
