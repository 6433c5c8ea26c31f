/* contract -- plugins that load cleanly (stamp, descriptor and ops are all
 * right) but break a behavioural contract, one per CONTRACT_* define from
 * tests/meson.build. `rnnlab plugins check` must fail each one naming the
 * contract; the registry alone cannot tell them from good plugins. */
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "rnnlab/plugin.h"

static const rnnlab_host *the_host;

#if defined(CONTRACT_SIGN_ERROR) || defined(CONTRACT_CRASH) || defined(CONTRACT_EXTRA_SYMBOL) || \
    defined(CONTRACT_LEAK)
/* tanh, except where the variant says otherwise. */
#if defined(CONTRACT_SIGN_ERROR)
#define NAME "sign_error"
#define SIGN (-1) /* backward returns -f'(x) dy */
#else
#define SIGN 1
#endif
#if defined(CONTRACT_CRASH)
#define NAME "crash_forward"
#elif defined(CONTRACT_EXTRA_SYMBOL)
#define NAME "extra_symbol"
#elif defined(CONTRACT_LEAK)
#define NAME "leaky_create"
#endif

#if defined(CONTRACT_EXTRA_SYMBOL)
/* Forgot `static`: a second exported symbol that can clash with any other
 * plugin's or the host's. */
RNNLAB_EXPORT double tanh_helper(double v) { return tanh(v); }
#define TANH tanh_helper
#else
#define TANH tanh
#endif

#if defined(CONTRACT_LEAK)
/* create allocates two blocks, destroy frees only the first. */
typedef struct leaky {
    void *extra;
} leaky;
static int create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    (void)params;
    leaky *l = host->alloc(host, sizeof *l);
    if (!l) return RNNLAB_ERR_NOMEM;
    l->extra = host->alloc(host, 16);
    *self = l;
    return RNNLAB_OK;
}
static void destroy(void *self) {
    if (self) the_host->free(the_host, self);
}
#define CREATE create
#define DESTROY destroy
#else
#define CREATE NULL
#define DESTROY NULL
#endif

static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    (void)self;
#if defined(CONTRACT_CRASH)
    /* Reads far outside x as soon as the input leaves [-10, 10]. */
    for (size_t i = 0; i < n; i++) {
        const volatile rnnlab_real *wild = fabsf(x[i]) > 10.0f ? (const rnnlab_real *)16 : &x[i];
        y[i] = tanhf(*wild);
    }
#else
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
#endif
    return RNNLAB_OK;
}
static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)self, (void)x;
    for (size_t i = 0; i < n; i++) dx[i] = SIGN * dy[i] * (1.0f - y[i] * y[i]);
    return RNNLAB_OK;
}
static int fwd64(const void *self, const double *x, double *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = TANH(x[i]);
    return RNNLAB_OK;
}
static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)self, (void)x;
    for (size_t i = 0; i < n; i++) dx[i] = SIGN * dy[i] * (1.0 - y[i] * y[i]);
    return RNNLAB_OK;
}
static const rnnlab_activation_ops ops = {
    .struct_size = sizeof(rnnlab_activation_ops),
    .flags = RNNLAB_ACT_DERIV_FROM_Y,
    .create = CREATE,
    .destroy = DESTROY,
    .forward = fwd,
    .backward = bwd,
    .forward_f64 = fwd64,
    .backward_f64 = bwd64,
};
#define KIND RNNLAB_KIND_ACTIVATION

#elif defined(CONTRACT_MASK_LEAK)
/* Mean squared error whose masked rows still get a gradient. */
#define NAME "mask_leak"
static int fwd(const void *self, const rnnlab_real *logits, const rnnlab_loss_batch *b,
               double *loss, size_t *correct, rnnlab_real *dlogits) {
    (void)self;
    size_t counted = 0;
    for (size_t r = 0; r < b->rows; r++) counted += !b->mask || b->mask[r];
    double total = 0.0, scale = counted ? 1.0 / (double)(counted * b->cols) : 0.0;
    for (size_t i = 0; i < b->rows * b->cols; i++) {
        double d = (double)logits[i] - (double)b->values[i];
        int counts = !b->mask || b->mask[i / b->cols];
        if (counts) total += d * d;
        if (dlogits) dlogits[i] = (rnnlab_real)(2.0 * scale * d); /* the bug: masked rows too */
    }
    *loss = total * scale;
    *correct = 0;
    return RNNLAB_OK;
}
static int fwd64(const void *self, const double *logits, const rnnlab_loss_batch *b, double *loss,
                 double *dlogits) {
    (void)self;
    size_t counted = 0;
    for (size_t r = 0; r < b->rows; r++) counted += !b->mask || b->mask[r];
    double total = 0.0, scale = counted ? 1.0 / (double)(counted * b->cols) : 0.0;
    for (size_t i = 0; i < b->rows * b->cols; i++) {
        double d = logits[i] - (double)b->values[i];
        int counts = !b->mask || b->mask[i / b->cols];
        if (counts) total += d * d;
        if (dlogits) dlogits[i] = 2.0 * scale * d;
    }
    *loss = total * scale;
    return RNNLAB_OK;
}
static const rnnlab_loss_ops ops = {
    .struct_size = sizeof(rnnlab_loss_ops),
    .target_kind = RNNLAB_TARGET_REAL,
    .forward = fwd,
    .forward_f64 = fwd64,
};
#define KIND RNNLAB_KIND_LOSS

#elif defined(CONTRACT_ZERO_LR_MOVES)
/* SGD that ignores lr_scale, so a schedule's 0 still moves the weights. */
#define NAME "zero_lr_moves"
static int create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    (void)params;
    *self = (void *)host;
    return RNNLAB_OK;
}
static void destroy(void *self) { (void)self; }
static size_t slots(const void *self) {
    (void)self;
    return 0;
}
static int step(const void *self, const rnnlab_optim_step *info, rnnlab_real *param,
                const rnnlab_real *grad, rnnlab_real *const *state, size_t n) {
    (void)self, (void)info, (void)state;
    for (size_t i = 0; i < n; i++) param[i] -= 0.1f * grad[i];
    return RNNLAB_OK;
}
static const rnnlab_optimizer_ops ops = {
    .struct_size = sizeof(rnnlab_optimizer_ops),
    .create = create,
    .destroy = destroy,
    .state_slots = slots,
    .step = step,
};
#define KIND RNNLAB_KIND_OPTIMIZER
#else
#error "tests/meson.build picks a CONTRACT_* variant"
#endif

static const rnnlab_component component = {.kind = KIND,
                                           .name = NAME,
                                           .version = "1.0.0",
                                           .description = "broken on purpose",
                                           .ops = &ops};

static const rnnlab_component *const components[] = {&component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = NAME,
    .version = "1.0.0",
    .license = "MIT",
    .description = "A plugin that breaks one behavioural contract, for the checker's tests.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    the_host = host;
    return &plugin;
}
