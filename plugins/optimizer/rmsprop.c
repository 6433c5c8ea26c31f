/* rmsprop -- torch.optim.RMSprop's rule (PyTorch 1.13, single-tensor path).
 *
 * For each element, with g the gradient, p the parameter and lr the
 * configured rate times the schedule's lr_scale:
 *     g = g + weight_decay * p
 *     sq = alpha * sq + (1 - alpha) * g^2                  state[0]
 *     centered: ga = alpha * ga + (1 - alpha) * g          state[k_avg]
 *               avg = sqrt(sq - ga^2) + eps
 *     else:     avg = sqrt(sq) + eps
 *     momentum > 0: buf = momentum * buf + g / avg         state[1]
 *                   p = p - lr * buf
 *     else:         p = p - lr * g / avg
 * State: square_avg always, then momentum_buffer if momentum > 0, then
 * grad_avg if centered, all zero at creation as in torch. Element
 * arithmetic is in double, rounded once into the float arrays; grad is
 * only read. */
#include <math.h>
#include "rnnlab/plugin.h"

typedef struct rmsprop {
    const rnnlab_host *host;
    double lr, alpha, eps, weight_decay, momentum;
    int centered;
} rmsprop;

enum { P_LR, P_ALPHA, P_EPS, P_WEIGHT_DECAY, P_MOMENTUM, P_CENTERED };

static const rnnlab_param rmsprop_params[] = {
    [P_LR] = {.key = "lr",
              .type = RNNLAB_PARAM_REAL,
              .default_value = "0.01",
              .min = 0.0,
              .max = 1e6,
              .flags = RNNLAB_PARAM_LOG_SCALE,
              .help = "Learning rate, before the schedule's factor."},
    [P_ALPHA] = {.key = "alpha",
                 .type = RNNLAB_PARAM_REAL,
                 .default_value = "0.99",
                 .min = 0.0,
                 .max = 1.0,
                 .help = "Smoothing constant of the running mean of squared gradients."},
    [P_EPS] = {.key = "eps",
               .type = RNNLAB_PARAM_REAL,
               .default_value = "1e-8",
               .min = 0.0,
               .max = 1.0,
               .flags = RNNLAB_PARAM_LOG_SCALE,
               .help = "Added to the denominator for numerical stability."},
    [P_WEIGHT_DECAY] = {.key = "weight_decay",
                        .type = RNNLAB_PARAM_REAL,
                        .default_value = "0",
                        .min = 0.0,
                        .max = 1e6,
                        .help = "L2 penalty added to the gradient."},
    [P_MOMENTUM] = {.key = "momentum",
                    .type = RNNLAB_PARAM_REAL,
                    .default_value = "0",
                    .min = 0.0,
                    .max = 1.0,
                    .help = "Momentum factor; > 0 adds a momentum buffer (one state array)."},
    [P_CENTERED] = {.key = "centered",
                    .type = RNNLAB_PARAM_BOOL,
                    .default_value = "false",
                    .help = "Normalise by the estimated variance instead of the raw second "
                            "moment (one more state array)."},
    {.key = NULL},
};

static int rmsprop_create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    rmsprop *r = host->alloc(host, sizeof *r);
    if (!r) return host->set_error(host, RNNLAB_ERR_NOMEM, "rmsprop: out of memory");
    *r = (rmsprop){.host = host,
                   .lr = params[P_LR].r,
                   .alpha = params[P_ALPHA].r,
                   .eps = params[P_EPS].r,
                   .weight_decay = params[P_WEIGHT_DECAY].r,
                   .momentum = params[P_MOMENTUM].r,
                   .centered = params[P_CENTERED].i != 0};
    *self = r;
    return RNNLAB_OK;
}

static void rmsprop_destroy(void *self) {
    rmsprop *r = self;
    if (r) r->host->free(r->host, r);
}

static size_t rmsprop_state_slots(const void *self) {
    const rmsprop *r = self;
    return 1 + (r->momentum > 0.0) + (r->centered != 0);
}

/* param, grad, state[k]: (n) */
static int rmsprop_step(const void *self, const rnnlab_optim_step *info, rnnlab_real *param,
                        const rnnlab_real *grad, rnnlab_real *const *state, size_t n) {
    const rmsprop *r = self;
    size_t slots = rmsprop_state_slots(r);
    for (size_t k = 0; k < slots; k++)
        if (!state || !state[k])
            return r->host->set_error(r->host, RNNLAB_ERR_INVALID,
                                      "rmsprop: needs %zu state arrays, array %zu is missing",
                                      slots, k);
    const double lr = r->lr * info->lr_scale, a = r->alpha;
    rnnlab_real *sq = state[0];
    rnnlab_real *buf = r->momentum > 0.0 ? state[1] : NULL;
    rnnlab_real *ga = r->centered ? state[slots - 1] : NULL;
    for (size_t i = 0; i < n; i++) {
        double p = (double)param[i];
        double g = (double)grad[i] + r->weight_decay * p;
        double s = a * (double)sq[i] + (1.0 - a) * g * g;
        sq[i] = (rnnlab_real)s;
        double avg;
        if (ga) {
            double m = a * (double)ga[i] + (1.0 - a) * g;
            ga[i] = (rnnlab_real)m;
            /* s and m are rounded separately: keep a rounding-negative variance at 0. */
            double var = s - m * m;
            avg = sqrt(var > 0.0 ? var : 0.0) + r->eps;
        } else {
            avg = sqrt(s) + r->eps;
        }
        if (buf) {
            double b = r->momentum * (double)buf[i] + g / avg;
            buf[i] = (rnnlab_real)b;
            param[i] = (rnnlab_real)(p - lr * b);
        } else {
            param[i] = (rnnlab_real)(p - lr * g / avg);
        }
    }
    return RNNLAB_OK;
}

static double rmsprop_base_lr(const void *self) { return ((const rmsprop *)self)->lr; }

static const rnnlab_optimizer_ops ops = {
    .struct_size = sizeof(rnnlab_optimizer_ops),
    .create = rmsprop_create,
    .destroy = rmsprop_destroy,
    .state_slots = rmsprop_state_slots,
    .step = rmsprop_step,
    .base_lr = rmsprop_base_lr,
};

static const rnnlab_component rmsprop_component = {
    .kind = RNNLAB_KIND_OPTIMIZER,
    .name = "rmsprop",
    .version = "1.0.0",
    .description = "RMSprop with momentum, centering and weight decay (torch.optim.RMSprop).",
    .params = rmsprop_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&rmsprop_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "rmsprop",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The RMSprop optimizer.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
