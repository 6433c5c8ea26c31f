/* dies -- plain SGD that ends the whole process in the middle of training,
 * on its 20th step call, in the way a DIES_* define from tests/meson.build
 * chooses: exit(0) (atexit handlers run), _exit(0) (nothing runs) or a
 * crash (a store to a wild address). The run must not look successful:
 * tests/plugin_death.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "rnnlab/plugin.h"

static const rnnlab_host *the_host;
static int calls;

static int create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    (void)params;
    the_host = host;
    *self = host->alloc(host, 1);
    return *self ? RNNLAB_OK : RNNLAB_ERR_NOMEM;
}

static void destroy(void *self) {
    if (self) the_host->free(the_host, self);
}

static void die(void) {
#if defined(DIES_EXIT)
    exit(0);
#elif defined(DIES_QUICK_EXIT)
    _exit(0);
#elif defined(DIES_CRASH)
    volatile uintptr_t wild = 16; /* volatile: the compiler cannot see it */
    *(volatile int *)wild = 1;
#endif
}

static size_t state_slots(const void *self) {
    (void)self;
    return 0;
}

static int step(const void *self, const rnnlab_optim_step *info, rnnlab_real *param,
                const rnnlab_real *grad, rnnlab_real *const *state, size_t n) {
    (void)self, (void)state;
    if (++calls == 20) die();
    for (size_t i = 0; i < n; i++) param[i] -= (rnnlab_real)(0.1 * info->lr_scale) * grad[i];
    return RNNLAB_OK;
}

static const rnnlab_optimizer_ops ops = {
    .struct_size = sizeof(rnnlab_optimizer_ops),
    .create = create,
    .destroy = destroy,
    .state_slots = state_slots,
    .step = step,
};

static const rnnlab_component component = {
    .kind = RNNLAB_KIND_OPTIMIZER,
    .name = "dies",
    .version = "1.0.0",
    .description = "SGD that ends the process on its 20th step.",
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "dies",
    .version = "1.0.0",
    .license = "MIT",
    .description = "An optimizer that ends the process mid-training, for tests.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
