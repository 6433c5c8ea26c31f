/* adagrad -- torch.optim.Adagrad's rule (PyTorch 1.13, single-tensor path).
 *
 * For each element, with g the gradient, p the parameter, lr the configured
 * rate times the schedule's lr_scale and t = info->t (1-based):
 *     g = g + weight_decay * p
 *     clr = lr / (1 + (t - 1) * lr_decay)
 *     sum = sum + g^2                                      state[0]
 *     p = p - clr * g / (sqrt(sum) + eps)
 * torch fills the sum with initial_accumulator_value when it creates the
 * state; the host zeroes state arrays, so the value is added on the first
 * step (t == 1) instead. A run resumed with t > 1 keeps its restored sum.
 * Element arithmetic is in double, rounded once into the float arrays;
 * grad is only read. */
#include <math.h>
#include "rnnlab/plugin.h"

typedef struct adagrad {
    const rnnlab_host *host;
    double lr, lr_decay, weight_decay, initial_accumulator_value, eps;
} adagrad;

enum { P_LR, P_LR_DECAY, P_WEIGHT_DECAY, P_INITIAL, P_EPS };

static const rnnlab_param adagrad_params[] = {
    [P_LR] = {.key = "lr",
              .type = RNNLAB_PARAM_REAL,
              .default_value = "0.01",
              .min = 0.0,
              .max = 1e6,
              .flags = RNNLAB_PARAM_LOG_SCALE,
              .help = "Learning rate, before the schedule's factor."},
    [P_LR_DECAY] = {.key = "lr_decay",
                    .type = RNNLAB_PARAM_REAL,
                    .default_value = "0",
                    .min = 0.0,
                    .max = 1e6,
                    .help = "Step t uses lr / (1 + (t - 1) * lr_decay)."},
    [P_WEIGHT_DECAY] = {.key = "weight_decay",
                        .type = RNNLAB_PARAM_REAL,
                        .default_value = "0",
                        .min = 0.0,
                        .max = 1e6,
                        .help = "L2 penalty added to the gradient."},
    [P_INITIAL] = {.key = "initial_accumulator_value",
                   .type = RNNLAB_PARAM_REAL,
                   .default_value = "0",
                   .min = 0.0,
                   .max = 1e6,
                   .help = "Starting value of the sum of squared gradients."},
    [P_EPS] = {.key = "eps",
               .type = RNNLAB_PARAM_REAL,
               .default_value = "1e-10",
               .min = 0.0,
               .max = 1.0,
               .flags = RNNLAB_PARAM_LOG_SCALE,
               .help = "Added to the denominator for numerical stability."},
    {.key = NULL},
};

static int adagrad_create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    adagrad *a = host->alloc(host, sizeof *a);
    if (!a) return host->set_error(host, RNNLAB_ERR_NOMEM, "adagrad: out of memory");
    *a = (adagrad){.host = host,
                   .lr = params[P_LR].r,
                   .lr_decay = params[P_LR_DECAY].r,
                   .weight_decay = params[P_WEIGHT_DECAY].r,
                   .initial_accumulator_value = params[P_INITIAL].r,
                   .eps = params[P_EPS].r};
    *self = a;
    return RNNLAB_OK;
}

static void adagrad_destroy(void *self) {
    adagrad *a = self;
    if (a) a->host->free(a->host, a);
}

static size_t adagrad_state_slots(const void *self) {
    (void)self;
    return 1; /* the sum of squared gradients */
}

/* param, grad, state[0]: (n) */
static int adagrad_step(const void *self, const rnnlab_optim_step *info, rnnlab_real *param,
                        const rnnlab_real *grad, rnnlab_real *const *state, size_t n) {
    const adagrad *a = self;
    if (info->t < 1)
        return a->host->set_error(a->host, RNNLAB_ERR_INVALID,
                                  "adagrad: step count t = 0, expected t >= 1 (it is 1-based)");
    if (!state || !state[0])
        return a->host->set_error(a->host, RNNLAB_ERR_INVALID,
                                  "adagrad: needs 1 state array, got none");
    const double clr = a->lr * info->lr_scale / (1.0 + (double)(info->t - 1) * a->lr_decay);
    const double start = info->t == 1 ? a->initial_accumulator_value : 0.0;
    rnnlab_real *sum = state[0];
    for (size_t i = 0; i < n; i++) {
        double p = (double)param[i];
        double g = (double)grad[i] + a->weight_decay * p;
        double s = (double)sum[i] + start + g * g;
        sum[i] = (rnnlab_real)s;
        param[i] = (rnnlab_real)(p - clr * g / (sqrt(s) + a->eps));
    }
    return RNNLAB_OK;
}

static double adagrad_base_lr(const void *self) { return ((const adagrad *)self)->lr; }

static const rnnlab_optimizer_ops ops = {
    .struct_size = sizeof(rnnlab_optimizer_ops),
    .create = adagrad_create,
    .destroy = adagrad_destroy,
    .state_slots = adagrad_state_slots,
    .step = adagrad_step,
    .base_lr = adagrad_base_lr,
};

static const rnnlab_component adagrad_component = {
    .kind = RNNLAB_KIND_OPTIMIZER,
    .name = "adagrad",
    .version = "1.0.0",
    .description = "Adagrad with lr decay, weight decay and a starting accumulator "
                   "(torch.optim.Adagrad).",
    .params = adagrad_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&adagrad_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "adagrad",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The Adagrad optimizer.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
