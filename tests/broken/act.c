/* act -- an identity activation broken in one way past the stamp, chosen by
 * a BROKEN_* define from tests/meson.build. Each variant is what a plugin
 * author could plausibly get wrong; the stamp is always right.
 *
 * The plugin lists a valid component 'fine' first and the broken one
 * second, so the tests also see that one bad component refuses the whole
 * plugin (nothing of it is registered). */
#include <stddef.h>
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

static const rnnlab_activation_ops good_ops = {
    .struct_size = sizeof(rnnlab_activation_ops),
    .forward = fwd,
    .backward = bwd,
    .forward_f64 = fwd64,
    .backward_f64 = bwd64,
};

/* --- the variants --------------------------------------------------------- */

#define BROKEN_KIND RNNLAB_KIND_ACTIVATION
#define BROKEN_NAME "broken"
#define BROKEN_OPS (&bad_ops)

#if defined(BROKEN_MISSING_BACKWARD)
/* A required op left NULL. */
static const rnnlab_activation_ops bad_ops = {
    .struct_size = sizeof(rnnlab_activation_ops),
    .forward = fwd,
    .forward_f64 = fwd64,
    .backward_f64 = bwd64,
};
#elif defined(BROKEN_SHORT_OPS)
/* A table that claims to end before backward_f64: the slot is filled in,
 * but the host must not read past struct_size, so it counts as missing. */
static const rnnlab_activation_ops bad_ops = {
    .struct_size = offsetof(rnnlab_activation_ops, backward_f64),
    .forward = fwd,
    .backward = bwd,
    .forward_f64 = fwd64,
    .backward_f64 = bwd64,
};
#elif defined(BROKEN_TINY_STRUCT)
/* struct_size too small to hold even itself. */
static const rnnlab_activation_ops bad_ops = {
    .struct_size = 1,
    .forward = fwd,
    .backward = bwd,
    .forward_f64 = fwd64,
    .backward_f64 = bwd64,
};
#else
#define bad_ops good_ops /* the other variants break something else */
#endif

#if defined(BROKEN_NULL_OPS)
#undef BROKEN_OPS
#define BROKEN_OPS NULL
#elif defined(BROKEN_BAD_NAME)
#undef BROKEN_NAME
#define BROKEN_NAME "Bad-Name"
#elif defined(BROKEN_BAD_KIND)
#undef BROKEN_KIND
#define BROKEN_KIND ((rnnlab_kind)42)
#elif defined(BROKEN_DUP_NAME)
/* 'fine' is listed twice, under two descriptors of the same kind+name. */
#undef BROKEN_NAME
#define BROKEN_NAME "fine"
#endif

#if defined(BROKEN_DUP_KEY)
static const rnnlab_param schema[] = {
    {.key = "alpha", .type = RNNLAB_PARAM_REAL, .default_value = "0.1", .min = 0, .max = 1},
    {.key = "alpha", .type = RNNLAB_PARAM_REAL, .default_value = "0.2", .min = 0, .max = 1},
    {.key = NULL},
};
#elif defined(BROKEN_ENUM_NO_CHOICES)
static const char *const no_choices[] = {NULL};
static const rnnlab_param schema[] = {
    {.key = "mode", .type = RNNLAB_PARAM_ENUM, .default_value = "a", .choices = no_choices},
    {.key = NULL},
};
#elif defined(BROKEN_NO_DEFAULT)
static const rnnlab_param schema[] = {
    {.key = "alpha", .type = RNNLAB_PARAM_REAL, .min = 0, .max = 1},
    {.key = NULL},
};
#elif defined(BROKEN_BAD_TYPE)
static const rnnlab_param schema[] = {
    {.key = "alpha", .type = (rnnlab_param_type)9, .default_value = "1"},
    {.key = NULL},
};
#else
#define schema NULL /* the other variants have no parameters */
#endif

static const rnnlab_component fine = {
    .kind = RNNLAB_KIND_ACTIVATION, .name = "fine", .version = "1.0.0", .ops = &good_ops};

static const rnnlab_component broken = {
    .kind = BROKEN_KIND,
    .name = BROKEN_NAME,
    .version = "1.0.0",
    .params = schema,
    .ops = BROKEN_OPS,
};

static const rnnlab_component *const components[] = {&fine, &broken, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "broken_act",
    .version = "1.0.0",
    .license = "MIT",
    .description = "A deliberately broken activation plugin for the registry tests.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
