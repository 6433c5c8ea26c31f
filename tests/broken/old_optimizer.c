/* old_optimizer -- a valid plugin built as if against an older minor ABI
 * whose optimizer table ended before base_lr.
 *
 * base_lr is filled in here, but struct_size says the table stops before
 * it, so the host must read it as NULL: that is what lets old plugins keep
 * working when slots are appended. The optimizer itself is plain SGD. */
#include <stddef.h>
#include "rnnlab/plugin.h"

typedef struct old_sgd {
    const rnnlab_host *host;
    double lr;
} old_sgd;

static int create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    old_sgd *s = host->alloc(host, sizeof *s);
    if (!s) return host->set_error(host, RNNLAB_ERR_NOMEM, "old_sgd: out of memory");
    s->host = host;
    s->lr = params[0].r;
    *self = s;
    return RNNLAB_OK;
}

static void destroy(void *self) {
    old_sgd *s = self;
    if (s) s->host->free(s->host, s);
}

static size_t state_slots(const void *self) {
    (void)self;
    return 0;
}

/* param, grad: (n) */
static int step(const void *self, const rnnlab_optim_step *info, rnnlab_real *param,
                const rnnlab_real *grad, rnnlab_real *const *state, size_t n) {
    const old_sgd *s = self;
    (void)state;
    rnnlab_real lr = (rnnlab_real)(s->lr * info->lr_scale);
    for (size_t i = 0; i < n; i++) param[i] -= lr * grad[i];
    return RNNLAB_OK;
}

static double base_lr(const void *self) { return ((const old_sgd *)self)->lr; }

static const rnnlab_optimizer_ops ops = {
    .struct_size = offsetof(rnnlab_optimizer_ops, base_lr),
    .create = create,
    .destroy = destroy,
    .state_slots = state_slots,
    .step = step,
    .base_lr = base_lr,
};

static const rnnlab_param params[] = {
    {.key = "lr",
     .type = RNNLAB_PARAM_REAL,
     .default_value = "0.5",
     .min = 0,
     .max = 10,
     .flags = RNNLAB_PARAM_LOG_SCALE,
     .help = "learning rate"},
    {.key = NULL},
};

static const rnnlab_component old_sgd_component = {
    .kind = RNNLAB_KIND_OPTIMIZER,
    .name = "old_sgd",
    .version = "0.9.0",
    .description = "SGD with an ops table from an older minor ABI.",
    .params = params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&old_sgd_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "old_optimizer",
    .version = "0.9.0",
    .license = "MIT",
    .description = "An optimizer with a short ops table, for the registry tests.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
