/* elu -- the exponential linear unit, ONNX RNN activation "Elu".
 *
 *     f(x) = x                        for x > 0
 *     f(x) = alpha * (exp(x) - 1)     for x <= 0
 *
 * Smooth for alpha = 1 and saturating at -alpha for large negative x, so
 * mean activations stay near zero (Clevert et al. 2015). expm1 keeps the
 * small negative values exact. The derivative is alpha * exp(x) below 0
 * (torch's elu_backward), which needs x.
 *
 * Ownership: create allocates the instance through host->alloc; destroy
 * frees it. */
#include <math.h>
#include "rnnlab/plugin.h"
#include "../vecmath.h"

typedef struct elu {
    const rnnlab_host *host;
    double alpha;
} elu;

static const rnnlab_param elu_params[] = {
    {.key = "alpha",
     .type = RNNLAB_PARAM_REAL,
     .default_value = "1.0",
     .min = 0.0,
     .max = 100.0,
     .help = "Scale of the negative branch: f(x) -> -alpha as x -> -inf (ONNX Elu alpha)."},
    {.key = NULL},
};

static int create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    elu *a = host->alloc(host, sizeof *a);
    if (!a) return host->set_error(host, RNNLAB_ERR_NOMEM, "elu: out of memory");
    a->host = host;
    a->alpha = params[0].r;
    *self = a;
    return RNNLAB_OK;
}

static void destroy(void *self) {
    elu *a = self;
    if (a) a->host->free(a->host, a);
}

/* x, y: (n) */
static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    const rnnlab_real alpha = (rnnlab_real)((const elu *)self)->alpha;
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : alpha * expm1f(x[i]);
    return RNNLAB_OK;
}

/* x, dy, dx: (n); y is not read */
static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)y;
    const rnnlab_real alpha = (rnnlab_real)((const elu *)self)->alpha;
    for (size_t i = 0; i < n; i++)
        dx[i] = x[i] > 0.0f ? dy[i] : alpha * vec_exp_nonpos(x[i]) * dy[i];
    return RNNLAB_OK;
}

static int fwd64(const void *self, const double *x, double *y, size_t n) {
    const double alpha = ((const elu *)self)->alpha;
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0 ? x[i] : alpha * expm1(x[i]);
    return RNNLAB_OK;
}

static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)y;
    const double alpha = ((const elu *)self)->alpha;
    for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0.0 ? dy[i] : alpha * exp(x[i]) * dy[i];
    return RNNLAB_OK;
}

static const rnnlab_activation_ops ops = {
    .struct_size = sizeof(rnnlab_activation_ops),
    .flags = 0,
    .create = create,
    .destroy = destroy,
    .forward = fwd,
    .backward = bwd,
    .forward_f64 = fwd64,
    .backward_f64 = bwd64,
};

static const rnnlab_component elu_component = {
    .kind = RNNLAB_KIND_ACTIVATION,
    .name = "elu",
    .version = "1.0.0",
    .description = "Exponential linear unit: x above 0, alpha * (exp(x) - 1) below.",
    .params = elu_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&elu_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "elu",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The elu activation.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
