/* sgd -- stochastic gradient descent with momentum, torch.optim.SGD's rule.
 *
 * For each element, with g the gradient and p the parameter:
 *     d = g + weight_decay * p
 *     if momentum != 0:
 *         buf = d                                        on the first step
 *         buf = momentum * buf + (1 - dampening) * d     after it
 *         d   = nesterov ? d + momentum * buf : buf
 *     p -= lr * lr_scale * d
 * "First step" is info->t == 1, when PyTorch creates the momentum buffer; a
 * run resumed from a checkpoint has t > 1 and its restored buffer. The
 * arithmetic is in float with float scalars, as torch does for float32
 * tensors, and grad is only read (weight decay never touches it). */
#include "rnnlab/plugin.h"

typedef struct sgd {
    const rnnlab_host *host;
    double lr, momentum, dampening, weight_decay;
    int nesterov;
} sgd;

enum { P_LR, P_MOMENTUM, P_DAMPENING, P_NESTEROV, P_WEIGHT_DECAY };

static const rnnlab_param sgd_params[] = {
    [P_LR] = {.key = "lr",
              .type = RNNLAB_PARAM_REAL,
              .default_value = "0.1",
              .min = 0.0,
              .max = 1e6,
              .flags = RNNLAB_PARAM_LOG_SCALE,
              .help = "Learning rate, before the schedule's factor."},
    [P_MOMENTUM] = {.key = "momentum",
                    .type = RNNLAB_PARAM_REAL,
                    .default_value = "0",
                    .min = 0.0,
                    .max = 1.0,
                    .help = "Momentum factor; 0 disables the velocity buffer."},
    [P_DAMPENING] = {.key = "dampening",
                     .type = RNNLAB_PARAM_REAL,
                     .default_value = "0",
                     .min = 0.0,
                     .max = 1.0,
                     .help = "Dampening of the gradient's share in the momentum buffer."},
    [P_NESTEROV] = {.key = "nesterov",
                    .type = RNNLAB_PARAM_BOOL,
                    .default_value = "false",
                    .help = "Nesterov momentum (needs momentum > 0 and dampening = 0)."},
    [P_WEIGHT_DECAY] = {.key = "weight_decay",
                        .type = RNNLAB_PARAM_REAL,
                        .default_value = "0",
                        .min = 0.0,
                        .max = 1e6,
                        .help = "L2 penalty added to the gradient (coupled, as in torch SGD)."},
    {.key = NULL},
};

/* The same checks torch.optim.SGD.__init__ makes, with its reasons. */
static int sgd_validate(const rnnlab_host *host, const sgd *s) {
    if (!(s->lr >= 0.0))
        return host->set_error(host, RNNLAB_ERR_INVALID, "sgd: lr = %g, expected lr >= 0", s->lr);
    if (!(s->momentum >= 0.0))
        return host->set_error(host, RNNLAB_ERR_INVALID,
                               "sgd: momentum = %g, expected momentum >= 0", s->momentum);
    if (!(s->weight_decay >= 0.0))
        return host->set_error(host, RNNLAB_ERR_INVALID,
                               "sgd: weight_decay = %g, expected weight_decay >= 0",
                               s->weight_decay);
    if (s->nesterov && (s->momentum <= 0.0 || s->dampening != 0.0))
        return host->set_error(host, RNNLAB_ERR_INVALID,
                               "sgd: nesterov = true requires momentum > 0 and dampening = 0 "
                               "(got momentum = %g, dampening = %g)",
                               s->momentum, s->dampening);
    return RNNLAB_OK;
}

static int sgd_create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    sgd cfg = {.host = host,
               .lr = params[P_LR].r,
               .momentum = params[P_MOMENTUM].r,
               .dampening = params[P_DAMPENING].r,
               .nesterov = params[P_NESTEROV].i != 0,
               .weight_decay = params[P_WEIGHT_DECAY].r};
    int rc = sgd_validate(host, &cfg);
    if (rc) return rc;
    sgd *s = host->alloc(host, sizeof *s);
    if (!s) return host->set_error(host, RNNLAB_ERR_NOMEM, "sgd: out of memory");
    *s = cfg;
    *self = s;
    return RNNLAB_OK;
}

static void sgd_destroy(void *self) {
    sgd *s = self;
    if (s) s->host->free(s->host, s);
}

static size_t sgd_state_slots(const void *self) {
    const sgd *s = self;
    return s->momentum != 0.0 ? 1 : 0;
}

/* param, grad, state[0] (the momentum buffer): (n) */
static int sgd_step(const void *self, const rnnlab_optim_step *info, rnnlab_real *param,
                    const rnnlab_real *grad, rnnlab_real *const *state, size_t n) {
    const sgd *s = self;
    const rnnlab_real lr = (rnnlab_real)(s->lr * info->lr_scale);
    const rnnlab_real wd = (rnnlab_real)s->weight_decay;
    const rnnlab_real mom = (rnnlab_real)s->momentum;
    const rnnlab_real keep = (rnnlab_real)(1.0 - s->dampening);
    if (s->momentum == 0.0) {
        for (size_t i = 0; i < n; i++) param[i] -= lr * (grad[i] + wd * param[i]);
        return RNNLAB_OK;
    }
    if (!state || !state[0])
        return s->host->set_error(s->host, RNNLAB_ERR_INVALID,
                                  "sgd: momentum = %g needs 1 state array, got none", s->momentum);
    rnnlab_real *buf = state[0];
    const int first = info->t <= 1;
    for (size_t i = 0; i < n; i++) {
        rnnlab_real d = grad[i] + wd * param[i];
        buf[i] = first ? d : mom * buf[i] + keep * d;
        param[i] -= lr * (s->nesterov ? d + mom * buf[i] : buf[i]);
    }
    return RNNLAB_OK;
}

static double sgd_base_lr(const void *self) {
    const sgd *s = self;
    return s->lr;
}

static const rnnlab_optimizer_ops ops = {
    .struct_size = sizeof(rnnlab_optimizer_ops),
    .create = sgd_create,
    .destroy = sgd_destroy,
    .state_slots = sgd_state_slots,
    .step = sgd_step,
    .base_lr = sgd_base_lr,
};

static const rnnlab_component sgd_component = {
    .kind = RNNLAB_KIND_OPTIMIZER,
    .name = "sgd",
    .version = "1.0.0",
    .description = "SGD with momentum, dampening, Nesterov and weight decay (torch.optim.SGD).",
    .params = sgd_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&sgd_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "sgd",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The SGD optimizer.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
