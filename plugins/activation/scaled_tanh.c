/* scaled_tanh -- alpha * tanh(beta * x), ONNX RNN activation "ScaledTanh".
 *
 * LeCun et al. (1998) recommend alpha = 1.7159, beta = 2/3, which keeps
 * unit-variance inputs in the near-linear range and f(+-1) = +-1. With the
 * defaults it is plain tanh. The derivative comes from y:
 *     f'(x) = alpha * beta * (1 - tanh^2) = beta * (alpha - y^2 / alpha)
 * (alpha = 0 makes f constant, derivative 0).
 *
 * Ownership: create allocates the instance through host->alloc; destroy
 * frees it. */
#include <math.h>
#include "rnnlab/plugin.h"

typedef struct scaled_tanh {
    const rnnlab_host *host;
    double alpha, beta;
} scaled_tanh;

static const rnnlab_param scaled_tanh_params[] = {
    {.key = "alpha",
     .type = RNNLAB_PARAM_REAL,
     .default_value = "1.0",
     .min = -1e6,
     .max = 1e6,
     .help = "Output scale: f is bounded by |alpha| (ONNX ScaledTanh alpha)."},
    {.key = "beta",
     .type = RNNLAB_PARAM_REAL,
     .default_value = "1.0",
     .min = -1e6,
     .max = 1e6,
     .help = "Input scale inside the tanh (ONNX ScaledTanh beta)."},
    {.key = NULL},
};

static int create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    scaled_tanh *a = host->alloc(host, sizeof *a);
    if (!a) return host->set_error(host, RNNLAB_ERR_NOMEM, "scaled_tanh: out of memory");
    a->host = host;
    a->alpha = params[0].r;
    a->beta = params[1].r;
    *self = a;
    return RNNLAB_OK;
}

static void destroy(void *self) {
    scaled_tanh *a = self;
    if (a) a->host->free(a->host, a);
}

/* x, y: (n) */
static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    const scaled_tanh *a = self;
    const rnnlab_real alpha = (rnnlab_real)a->alpha, beta = (rnnlab_real)a->beta;
    for (size_t i = 0; i < n; i++) y[i] = alpha * tanhf(beta * x[i]);
    return RNNLAB_OK;
}

/* y, dy, dx: (n); x is not read */
static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)x;
    const scaled_tanh *a = self;
    const rnnlab_real alpha = (rnnlab_real)a->alpha, beta = (rnnlab_real)a->beta;
    if (alpha == 0.0f) {
        for (size_t i = 0; i < n; i++) dx[i] = 0.0f;
        return RNNLAB_OK;
    }
    for (size_t i = 0; i < n; i++) {
        rnnlab_real t = y[i] / alpha; /* tanh(beta * x) */
        dx[i] = dy[i] * alpha * beta * (1.0f - t * t);
    }
    return RNNLAB_OK;
}

static int fwd64(const void *self, const double *x, double *y, size_t n) {
    const scaled_tanh *a = self;
    for (size_t i = 0; i < n; i++) y[i] = a->alpha * tanh(a->beta * x[i]);
    return RNNLAB_OK;
}

static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)x;
    const scaled_tanh *a = self;
    if (a->alpha == 0.0) {
        for (size_t i = 0; i < n; i++) dx[i] = 0.0;
        return RNNLAB_OK;
    }
    for (size_t i = 0; i < n; i++) {
        double t = y[i] / a->alpha;
        dx[i] = dy[i] * a->alpha * a->beta * (1.0 - t * t);
    }
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

static const rnnlab_component scaled_tanh_component = {
    .kind = RNNLAB_KIND_ACTIVATION,
    .name = "scaled_tanh",
    .version = "1.0.0",
    .description = "Scaled tanh alpha * tanh(beta * x) (LeCun's 1.7159 tanh(2x/3)).",
    .params = scaled_tanh_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&scaled_tanh_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "scaled_tanh",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The scaled_tanh activation.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
