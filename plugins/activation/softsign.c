/* softsign -- x / (1 + |x|), ONNX RNN activation "Softsign".
 *
 * Bounded in (-1, 1) like tanh, but it approaches its bounds polynomially
 * rather than exponentially, so its derivative 1 / (1 + |x|)^2 decays much
 * more slowly and saturated units still pass some gradient. The derivative
 * is taken from x: from y it would be (1 - |y|)^2, which loses all its
 * digits as |y| rounds to 1. */
#include <math.h>
#include "rnnlab/plugin.h"

/* x, y: (n) */
static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + fabsf(x[i]));
    return RNNLAB_OK;
}

/* x, dy, dx: (n); y is not read */
static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)self;
    (void)y;
    for (size_t i = 0; i < n; i++) {
        /* Dividing twice instead of by the square: no overflow for |x| > 1e19. */
        rnnlab_real d = 1.0f + fabsf(x[i]);
        dx[i] = dy[i] / d / d;
    }
    return RNNLAB_OK;
}

static int fwd64(const void *self, const double *x, double *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0 + fabs(x[i]));
    return RNNLAB_OK;
}

static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)self;
    (void)y;
    for (size_t i = 0; i < n; i++) {
        double d = 1.0 + fabs(x[i]);
        dx[i] = dy[i] / d / d;
    }
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

static const rnnlab_component softsign_component = {
    .kind = RNNLAB_KIND_ACTIVATION,
    .name = "softsign",
    .version = "1.0.0",
    .description = "Softsign x / (1 + |x|): bounded in (-1, 1), polynomial tails.",
    .params = NULL,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&softsign_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "softsign",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The softsign activation.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
