/* relu -- the rectified linear unit, ONNX RNN activation "Relu".
 *
 * Unbounded above, so in a recurrent loop an eigenvalue of W_hh above 1 makes
 * activations and gradients grow geometrically: the exploding-gradient case
 * that clip_norm and the identity initialisation (IRNN) are there for.
 * The derivative at exactly 0 is taken as 0, as PyTorch does. */
#include "rnnlab/plugin.h"

static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    return RNNLAB_OK;
}

/* From the output: y > 0 exactly where x > 0, so x is not needed. */
static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)self;
    (void)x;
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    return RNNLAB_OK;
}

static int fwd64(const void *self, const double *x, double *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0 ? x[i] : 0.0;
    return RNNLAB_OK;
}

static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)self;
    (void)x;
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0 ? dy[i] : 0.0;
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

static const rnnlab_component relu_component = {
    .kind = RNNLAB_KIND_ACTIVATION,
    .name = "relu",
    .version = "1.0.0",
    .description = "Rectified linear unit max(0, x): unbounded, prone to exploding gradients.",
    .params = NULL,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&relu_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "relu",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The ReLU activation.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
