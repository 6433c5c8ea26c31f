/* other_tanh -- a valid plugin that also calls its activation 'tanh'.
 *
 * Loaded next to the shipped tanh.so it makes the bare name 'tanh'
 * ambiguous; 'other_tanh:tanh' and 'tanh:tanh' must still pick one each.
 * Its version (2.0.0) tells the two apart in the tests. */
#include <math.h>
#include "rnnlab/plugin.h"

static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
    return RNNLAB_OK;
}

static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)self, (void)x;
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
    (void)self, (void)x;
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
    .version = "2.0.0",
    .description = "A second tanh, to make the name ambiguous.",
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&tanh_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "other_tanh",
    .version = "2.0.0",
    .license = "MIT",
    .description = "A second tanh activation for the registry tests.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
