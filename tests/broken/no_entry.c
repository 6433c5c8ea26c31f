/* no_entry -- a complete plugin whose author forgot RNNLAB_EXPORT: built
 * with hidden visibility, the entry point is not in the dynamic symbol
 * table, so dlsym cannot find it. */
#include "rnnlab/plugin.h"

static int fwd(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = x[i];
    return RNNLAB_OK;
}

static int bwd(const void *self, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
               rnnlab_real *dx, size_t n) {
    (void)self, (void)x, (void)y;
    for (size_t i = 0; i < n; i++) dx[i] = dy[i];
    return RNNLAB_OK;
}

static int fwd64(const void *self, const double *x, double *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = x[i];
    return RNNLAB_OK;
}

static int bwd64(const void *self, const double *x, const double *y, const double *dy, double *dx,
                 size_t n) {
    (void)self, (void)x, (void)y;
    for (size_t i = 0; i < n; i++) dx[i] = dy[i];
    return RNNLAB_OK;
}

static const rnnlab_activation_ops ops = {
    .struct_size = sizeof(rnnlab_activation_ops),
    .forward = fwd,
    .backward = bwd,
    .forward_f64 = fwd64,
    .backward_f64 = bwd64,
};

static const rnnlab_component identity = {
    .kind = RNNLAB_KIND_ACTIVATION, .name = "identity", .version = "1.0.0", .ops = &ops};

static const rnnlab_component *const components[] = {&identity, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT, .name = "no_entry", .version = "1.0.0", .components = components};

/* No RNNLAB_EXPORT: the mistake under test. */
const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host);
const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
