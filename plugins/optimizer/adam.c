/* adam -- Adam and AdamW, torch.optim.Adam's and torch.optim.AdamW's rules
 * (PyTorch 1.13, single-tensor path).
 *
 * For each element, with g the gradient, p the parameter, lr the configured
 * rate times the schedule's lr_scale and t = info->t (1-based):
 *     adam:   g = g + weight_decay * p                 (coupled L2)
 *     adamw:  p = p * (1 - lr * weight_decay)          (decoupled decay)
 *     m = beta1 * m + (1 - beta1) * g                  state[0]
 *     v = beta2 * v + (1 - beta2) * g^2                state[1]
 *     amsgrad: v_max = max(v_max, v), used for v       state[2]
 *     p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * The host zeroes the state arrays at creation, which is torch's zero
 * initialisation of exp_avg, exp_avg_sq and max_exp_avg_sq, and restores
 * them with t on resume, so the bias corrections continue exactly.
 * Element arithmetic is in double and rounded once into the float arrays;
 * grad is only read. */
#include <math.h>
#include "rnnlab/plugin.h"
#include "rnnlab/portable_math.h"

typedef struct adam {
    const rnnlab_host *host;
    const char *name; /* "adam" or "adamw", for messages */
    int decoupled;    /* adamw */
    double lr, beta1, beta2, eps, weight_decay;
    int amsgrad;
} adam;

enum { P_LR, P_BETA1, P_BETA2, P_EPS, P_WEIGHT_DECAY, P_AMSGRAD };

#define ADAM_PARAMS(wd_default, wd_help)                                                         \
    {                                                                                            \
        [P_LR] = {.key = "lr",                                                                   \
                  .type = RNNLAB_PARAM_REAL,                                                     \
                  .default_value = "0.001",                                                      \
                  .min = 0.0,                                                                    \
                  .max = 1e6,                                                                    \
                  .flags = RNNLAB_PARAM_LOG_SCALE,                                               \
                  .help = "Learning rate, before the schedule's factor."},                       \
        [P_BETA1] = {.key = "beta1",                                                             \
                     .type = RNNLAB_PARAM_REAL,                                                  \
                     .default_value = "0.9",                                                     \
                     .min = 0.0,                                                                 \
                     .max = 1.0,                                                                 \
                     .help = "Decay of the running mean of gradients (betas[0]); < 1."},         \
        [P_BETA2] = {.key = "beta2",                                                             \
                     .type = RNNLAB_PARAM_REAL,                                                  \
                     .default_value = "0.999",                                                   \
                     .min = 0.0,                                                                 \
                     .max = 1.0,                                                                 \
                     .help = "Decay of the running mean of squared gradients (betas[1]); < 1."}, \
        [P_EPS] = {.key = "eps",                                                                 \
                   .type = RNNLAB_PARAM_REAL,                                                    \
                   .default_value = "1e-8",                                                      \
                   .min = 0.0,                                                                   \
                   .max = 1.0,                                                                   \
                   .flags = RNNLAB_PARAM_LOG_SCALE,                                              \
                   .help = "Added to the denominator for numerical stability."},                 \
        [P_WEIGHT_DECAY] = {.key = "weight_decay",                                               \
                            .type = RNNLAB_PARAM_REAL,                                           \
                            .default_value = wd_default,                                         \
                            .min = 0.0,                                                          \
                            .max = 1e6,                                                          \
                            .help = wd_help},                                                    \
        [P_AMSGRAD] = {.key = "amsgrad",                                                         \
                       .type = RNNLAB_PARAM_BOOL,                                                \
                       .default_value = "false",                                                 \
                       .help = "Use the running maximum of v (AMSGrad): one more state array."}, \
        {.key = NULL},                                                                           \
    }

static const rnnlab_param adam_params[] =
    ADAM_PARAMS("0", "L2 penalty added to the gradient (coupled, as in torch Adam).");
static const rnnlab_param adamw_params[] =
    ADAM_PARAMS("0.01", "Decoupled weight decay: p *= 1 - lr * weight_decay before the step.");

/* The checks torch.optim.Adam.__init__ makes, with its reasons. */
static int adam_validate(const rnnlab_host *host, const adam *a) {
    if (!(a->beta1 < 1.0))
        return host->set_error(host, RNNLAB_ERR_INVALID, "%s: beta1 = %g, expected 0 <= beta1 < 1",
                               a->name, a->beta1);
    if (!(a->beta2 < 1.0))
        return host->set_error(host, RNNLAB_ERR_INVALID, "%s: beta2 = %g, expected 0 <= beta2 < 1",
                               a->name, a->beta2);
    return RNNLAB_OK;
}

static int create_common(const rnnlab_host *host, const rnnlab_value *params, int decoupled,
                         void **self) {
    adam cfg = {.host = host,
                .name = decoupled ? "adamw" : "adam",
                .decoupled = decoupled,
                .lr = params[P_LR].r,
                .beta1 = params[P_BETA1].r,
                .beta2 = params[P_BETA2].r,
                .eps = params[P_EPS].r,
                .weight_decay = params[P_WEIGHT_DECAY].r,
                .amsgrad = params[P_AMSGRAD].i != 0};
    int rc = adam_validate(host, &cfg);
    if (rc) return rc;
    adam *a = host->alloc(host, sizeof *a);
    if (!a) return host->set_error(host, RNNLAB_ERR_NOMEM, "%s: out of memory", cfg.name);
    *a = cfg;
    *self = a;
    return RNNLAB_OK;
}

static int adam_create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    return create_common(host, params, 0, self);
}

static int adamw_create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    return create_common(host, params, 1, self);
}

static void adam_destroy(void *self) {
    adam *a = self;
    if (a) a->host->free(a->host, a);
}

/* exp_avg, exp_avg_sq and, with amsgrad, max_exp_avg_sq. */
static size_t adam_state_slots(const void *self) {
    const adam *a = self;
    return a->amsgrad ? 3 : 2;
}

/* param, grad, state[k]: (n) */
static int adam_step(const void *self, const rnnlab_optim_step *info, rnnlab_real *param,
                     const rnnlab_real *grad, rnnlab_real *const *state, size_t n) {
    const adam *a = self;
    if (info->t < 1)
        return a->host->set_error(a->host, RNNLAB_ERR_INVALID,
                                  "%s: step count t = 0, expected t >= 1 (it is 1-based)", a->name);
    if (!state || !state[0] || !state[1] || (a->amsgrad && !state[2]))
        return a->host->set_error(a->host, RNNLAB_ERR_INVALID,
                                  "%s: needs %zu state arrays, got fewer", a->name,
                                  adam_state_slots(a));
    const double lr = a->lr * info->lr_scale;
    /* Not libm's pow: glibc picks it by CPU (rnnlab/portable_math.h). */
    const double step_size = lr / (1.0 - rnnlab_powi(a->beta1, info->t));
    const double bc2_sqrt = sqrt(1.0 - rnnlab_powi(a->beta2, info->t));
    const double decay = a->decoupled ? 1.0 - lr * a->weight_decay : 1.0;
    const double coupled = a->decoupled ? 0.0 : a->weight_decay;
    rnnlab_real *m = state[0], *v = state[1], *vmax = a->amsgrad ? state[2] : NULL;
    for (size_t i = 0; i < n; i++) {
        double p = (double)param[i] * decay;
        double g = (double)grad[i] + coupled * (double)param[i];
        double mi = a->beta1 * (double)m[i] + (1.0 - a->beta1) * g;
        double vi = a->beta2 * (double)v[i] + (1.0 - a->beta2) * g * g;
        m[i] = (rnnlab_real)mi;
        v[i] = (rnnlab_real)vi;
        if (vmax) {
            if ((double)vmax[i] > vi) vi = (double)vmax[i];
            vmax[i] = (rnnlab_real)vi;
        }
        param[i] = (rnnlab_real)(p - step_size * mi / (sqrt(vi) / bc2_sqrt + a->eps));
    }
    return RNNLAB_OK;
}

static double adam_base_lr(const void *self) { return ((const adam *)self)->lr; }

static const rnnlab_optimizer_ops adam_ops = {
    .struct_size = sizeof(rnnlab_optimizer_ops),
    .create = adam_create,
    .destroy = adam_destroy,
    .state_slots = adam_state_slots,
    .step = adam_step,
    .base_lr = adam_base_lr,
};

static const rnnlab_optimizer_ops adamw_ops = {
    .struct_size = sizeof(rnnlab_optimizer_ops),
    .create = adamw_create,
    .destroy = adam_destroy,
    .state_slots = adam_state_slots,
    .step = adam_step,
    .base_lr = adam_base_lr,
};

static const rnnlab_component adam_component = {
    .kind = RNNLAB_KIND_OPTIMIZER,
    .name = "adam",
    .version = "1.0.0",
    .description = "Adam with bias correction, L2 weight decay and AMSGrad (torch.optim.Adam).",
    .params = adam_params,
    .ops = &adam_ops,
};

static const rnnlab_component adamw_component = {
    .kind = RNNLAB_KIND_OPTIMIZER,
    .name = "adamw",
    .version = "1.0.0",
    .description = "Adam with decoupled weight decay (torch.optim.AdamW).",
    .params = adamw_params,
    .ops = &adamw_ops,
};

static const rnnlab_component *const components[] = {&adam_component, &adamw_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "adam",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The Adam and AdamW optimizers.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
