/* my_leaky_relu -- a template rnnlab plugin: the leaky rectifier
 *
 *     f(x) = x for x >= 0,  alpha * x for x < 0
 *
 * with one parameter, alpha, set in a config as
 *
 *     [model]
 *     activation = my_leaky_relu
 *     [activation]
 *     alpha = 0.1
 *
 * Rename it, change the arithmetic, keep the shape: include only
 * rnnlab/plugin.h, keep everything static except the entry point, allocate
 * only through the host, return a status from every op.
 * See docs/PLUGINS.md (share/doc/rnnlab/PLUGINS.md once installed). */
#include "rnnlab/plugin.h"

/* The instance: what create() read from the validated parameters. */
typedef struct my_leaky_relu {
    const rnnlab_host *host;
    double alpha;
} my_leaky_relu;

/* The schema: rnnlab parses, range-checks and defaults every key before
 * create() sees it, and `rnnlab plugins describe my_leaky_relu` prints it. */
static const rnnlab_param params[] = {
    {.key = "alpha",
     .type = RNNLAB_PARAM_REAL,
     .default_value = "0.01",
     .min = 0.0,
     .max = 1.0,
     .help = "Slope for x < 0."},
    {.key = NULL},
};

/* params[i] is the value of params schema entry i: params[0] is alpha. */
static int create(const rnnlab_host *host, const rnnlab_value *values, void **self) {
    my_leaky_relu *a = host->alloc(host, sizeof *a);
    if (!a) return host->set_error(host, RNNLAB_ERR_NOMEM, "my_leaky_relu: out of memory");
    a->host = host;
    a->alpha = values[0].r;
    *self = a;
    return RNNLAB_OK;
}

static void destroy(void *self) {
    my_leaky_relu *a = self;
    if (a) a->host->free(a->host, a);
}

/* x, y: (n); they may be the same array. */
static int forward(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    const rnnlab_real alpha = (rnnlab_real)((const my_leaky_relu *)self)->alpha;
    for (size_t i = 0; i < n; i++) y[i] = x[i] >= 0.0f ? x[i] : alpha * x[i];
    return RNNLAB_OK;
}

/* dx = f'(x) * dy; dx may be dy. flags = 0 below says backward needs x
 * (y may be NULL). */
static int backward(const void *self, const rnnlab_real *x, const rnnlab_real *y,
                    const rnnlab_real *dy, rnnlab_real *dx, size_t n) {
    (void)y;
    const rnnlab_real alpha = (rnnlab_real)((const my_leaky_relu *)self)->alpha;
    for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : alpha * dy[i];
    return RNNLAB_OK;
}

/* The same in double, for `rnnlab gradcheck` and the checker. */
static int forward_f64(const void *self, const double *x, double *y, size_t n) {
    const double alpha = ((const my_leaky_relu *)self)->alpha;
    for (size_t i = 0; i < n; i++) y[i] = x[i] >= 0.0 ? x[i] : alpha * x[i];
    return RNNLAB_OK;
}

static int backward_f64(const void *self, const double *x, const double *y, const double *dy,
                        double *dx, size_t n) {
    (void)y;
    const double alpha = ((const my_leaky_relu *)self)->alpha;
    for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0.0 ? dy[i] : alpha * dy[i];
    return RNNLAB_OK;
}

static const rnnlab_activation_ops ops = {
    .struct_size = RNNLAB_OPS_SIZE(rnnlab_activation_ops),
    .flags = 0,
    .create = create,
    .destroy = destroy,
    .forward = forward,
    .backward = backward,
    .forward_f64 = forward_f64,
    .backward_f64 = backward_f64,
};

static const rnnlab_component component = {
    .kind = RNNLAB_KIND_ACTIVATION,
    .name = "my_leaky_relu",
    .version = "1.0.0",
    .description = "Leaky rectifier with a configurable slope (template plugin).",
    .params = params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "my_leaky_relu",
    .version = "1.0.0",
    .license = "MIT",
    .description = "Template plugin: one activation with a parameter.",
    .components = components,
};

/* The one exported symbol. */
RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
