/* leaky_relu -- the leaky rectifier, ONNX RNN activation "LeakyRelu".
 *
 *     f(x) = x          for x >= 0
 *     f(x) = alpha * x  for x < 0
 *
 * A small negative slope keeps a gradient flowing through units that a
 * plain relu would switch off for good. The derivative at exactly 0 is
 * alpha, as torch.nn.functional.leaky_relu takes it (its backward tests
 * x > 0). It needs x: with alpha = 0 the output cannot tell which side of
 * 0 it came from.
 *
 * Ownership: create allocates the instance (alpha and the host) through
 * host->alloc; destroy frees it. */
#include "rnnlab/plugin.h"

typedef struct leaky_relu {
    const rnnlab_host *host;
    double alpha;
} leaky_relu;

static const rnnlab_param leaky_relu_params[] = {
    {.key = "alpha",
     .type = RNNLAB_PARAM_REAL,
     .default_value = "0.01",
     .min = 0.0,
     .max = 1.0,
     .help = "Slope for x < 0 (ONNX LeakyRelu alpha)."},
    {.key = NULL},
};

static int create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    leaky_relu *a = host->alloc(host, sizeof *a);
    if (!a) return host->set_error(host, RNNLAB_ERR_NOMEM, "leaky_relu: out of memory");
    a->host = host;
    a->alpha = params[0].r;
    *self = a;
    return RNNLAB_OK;
}

static void destroy(void *self) {
    leaky_relu *a = self;
    if (a) a->host->free(a->host, a);
}

/* x, y: (n) */
static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    const rnnlab_real alpha = (rnnlab_real)((const leaky_relu *)self)->alpha;
    for (size_t i = 0; i < n; i++) y[i] = x[i] >= 0.0f ? x[i] : alpha * x[i];
    return RNNLAB_OK;
}

/* x, dy, dx: (n); y is not read */
static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)y;
    const rnnlab_real alpha = (rnnlab_real)((const leaky_relu *)self)->alpha;
    for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : alpha * dy[i];
    return RNNLAB_OK;
}

static int fwd64(const void *self, const double *x, double *y, size_t n) {
    const double alpha = ((const leaky_relu *)self)->alpha;
    for (size_t i = 0; i < n; i++) y[i] = x[i] >= 0.0 ? x[i] : alpha * x[i];
    return RNNLAB_OK;
}

static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)y;
    const double alpha = ((const leaky_relu *)self)->alpha;
    for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0.0 ? dy[i] : alpha * dy[i];
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

static const rnnlab_component leaky_relu_component = {
    .kind = RNNLAB_KIND_ACTIVATION,
    .name = "leaky_relu",
    .version = "1.0.0",
    .description = "Leaky rectifier: x for x >= 0, alpha * x below.",
    .params = leaky_relu_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&leaky_relu_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "leaky_relu",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The leaky_relu activation.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
