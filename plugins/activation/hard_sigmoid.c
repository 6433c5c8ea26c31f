/* hard_sigmoid -- a piecewise-linear sigmoid, ONNX RNN activation
 * "HardSigmoid".
 *
 *     f(x) = max(0, min(1, alpha * x + beta))
 *
 * With ONNX's defaults (alpha 0.2, beta 0.5) it is linear on [-2.5, 2.5]
 * and flat outside. The derivative is alpha strictly inside (0, 1) and 0 on
 * the flat parts and at the two kinks (torch's hardsigmoid_backward also
 * uses the open interval). 0 < y < 1 holds exactly where x is inside, so
 * the derivative comes from y.
 *
 * Ownership: create allocates the instance through host->alloc; destroy
 * frees it. */
#include "rnnlab/plugin.h"

typedef struct hard_sigmoid {
    const rnnlab_host *host;
    double alpha, beta;
} hard_sigmoid;

static const rnnlab_param hard_sigmoid_params[] = {
    {.key = "alpha",
     .type = RNNLAB_PARAM_REAL,
     .default_value = "0.2",
     .min = 0.0,
     .max = 1e6,
     .help = "Slope of the linear part (ONNX HardSigmoid alpha)."},
    {.key = "beta",
     .type = RNNLAB_PARAM_REAL,
     .default_value = "0.5",
     .min = -1e6,
     .max = 1e6,
     .help = "Value at x = 0 before clamping to [0, 1] (ONNX HardSigmoid beta)."},
    {.key = NULL},
};

static int create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    hard_sigmoid *a = host->alloc(host, sizeof *a);
    if (!a) return host->set_error(host, RNNLAB_ERR_NOMEM, "hard_sigmoid: out of memory");
    a->host = host;
    a->alpha = params[0].r;
    a->beta = params[1].r;
    *self = a;
    return RNNLAB_OK;
}

static void destroy(void *self) {
    hard_sigmoid *a = self;
    if (a) a->host->free(a->host, a);
}

static double clamp01_d(double v) { return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v; }

/* x, y: (n). alpha * x + beta cancels near the lower kink (-0.498 + 0.5),
 * so the float path computes it in double and rounds once. */
static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    const hard_sigmoid *a = self;
    for (size_t i = 0; i < n; i++) y[i] = (rnnlab_real)clamp01_d(a->alpha * (double)x[i] + a->beta);
    return RNNLAB_OK;
}

/* y, dy, dx: (n); x is not read */
static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)x;
    const rnnlab_real alpha = (rnnlab_real)((const hard_sigmoid *)self)->alpha;
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f && y[i] < 1.0f ? alpha * dy[i] : 0.0f;
    return RNNLAB_OK;
}

static int fwd64(const void *self, const double *x, double *y, size_t n) {
    const hard_sigmoid *a = self;
    for (size_t i = 0; i < n; i++) y[i] = clamp01_d(a->alpha * x[i] + a->beta);
    return RNNLAB_OK;
}

static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)x;
    const double alpha = ((const hard_sigmoid *)self)->alpha;
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0 && y[i] < 1.0 ? alpha * dy[i] : 0.0;
    return RNNLAB_OK;
}

static const rnnlab_activation_ops ops = {
    .struct_size = sizeof(rnnlab_activation_ops),
    .flags = RNNLAB_ACT_DERIV_FROM_Y,
    .create = create,
    .destroy = destroy,
    .forward = fwd,
    .backward = bwd,
    .forward_f64 = fwd64,
    .backward_f64 = bwd64,
};

static const rnnlab_component hard_sigmoid_component = {
    .kind = RNNLAB_KIND_ACTIVATION,
    .name = "hard_sigmoid",
    .version = "1.0.0",
    .description = "Hard sigmoid max(0, min(1, alpha * x + beta)): piecewise linear.",
    .params = hard_sigmoid_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&hard_sigmoid_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "hard_sigmoid",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The hard_sigmoid activation.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
