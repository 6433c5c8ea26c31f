/* identity -- f(x) = x, ONNX RNN activation "Affine" with alpha 1, beta 0.
 *
 * A linear RNN: no squashing, so the recurrence is a plain linear system
 * whose stability depends only on W_hh's spectral radius. Useful as a
 * baseline, and for checking that a task needs a nonlinearity at all.
 * Neither x nor y is read by backward. */
#include <string.h>
#include "rnnlab/plugin.h"

/* x, y: (n); memmove because x and y may alias */
static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    (void)self;
    if (x != y) memmove(y, x, n * sizeof *y);
    return RNNLAB_OK;
}

/* dy, dx: (n) */
static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)self;
    (void)x;
    (void)y;
    if (dx != dy) memmove(dx, dy, n * sizeof *dx);
    return RNNLAB_OK;
}

static int fwd64(const void *self, const double *x, double *y, size_t n) {
    (void)self;
    if (x != y) memmove(y, x, n * sizeof *y);
    return RNNLAB_OK;
}

static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)self;
    (void)x;
    (void)y;
    if (dx != dy) memmove(dx, dy, n * sizeof *dx);
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

static const rnnlab_component identity_component = {
    .kind = RNNLAB_KIND_ACTIVATION,
    .name = "identity",
    .version = "1.0.0",
    .description = "Identity f(x) = x: a linear RNN.",
    .params = NULL,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&identity_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "identity",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The identity activation.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
