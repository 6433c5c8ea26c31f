/* test_activation.c -- every shipped activation, found through the registry.
 *
 * For each activation plugin in RNNLAB_TEST_PLUGIN_DIR: the double backward
 * against central finite differences, float against double, behaviour at
 * extreme inputs, and in-place calls. Backward is always called the way its
 * flags allow (x == NULL when the derivative comes from y, y == NULL
 * otherwise), so a plugin that reads what it said it doesn't need crashes
 * here rather than in training. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"
#include "core/registry.h"

#define MAX_ACTS 64
#define GRID_N 2001 /* x = -10 + 0.01 i, i < GRID_N */

static rnnlab_err err;
static rnnlab_host *host;
static registry *reg;

static void setup(void) {
    err_clear(&err);
    host = host_create(&err, NULL, RNNLAB_LOG_WARN);
    cr_assert_not_null(host);
    cr_assert_eq(registry_new(&reg, host, &err), RNNLAB_OK);
    cr_assert_eq(registry_add_dir(reg, RNNLAB_TEST_PLUGIN_DIR, &err), RNNLAB_OK, "%s", err.msg);
}

static void teardown(void) {
    registry_close(reg);
    host_destroy(host);
}

TestSuite(activation, .init = setup, .fini = teardown);

/* What each known activation's output and derivative must stay within.
 * An activation not listed here still gets every other check. */
typedef struct act_bounds {
    const char *name;
    double ymin, ymax; /* of f(x) */
    double dmin, dmax; /* of f'(x) */
} act_bounds;

static const act_bounds known_bounds[] = {
    {"tanh", -1.0, 1.0, 0.0, 1.0},
    {"sigmoid", 0.0, 1.0, 0.0, 0.25},
    {"relu", 0.0, INFINITY, 0.0, 1.0},
    {"leaky_relu", -INFINITY, INFINITY, (double)0.01f, 1.0},
    {"elu", -1.0, INFINITY, 0.0, 1.0},
    {"softsign", -1.0, 1.0, 0.0, 1.0},
    {"softplus", 0.0, INFINITY, 0.0, 1.0},
    {"hard_sigmoid", 0.0, 1.0, 0.0, (double)0.2f}, /* the float path multiplies by 0.2f */
    {"scaled_tanh", -1.0, 1.0, 0.0, 1.0},
    {"identity", -INFINITY, INFINITY, 1.0, 1.0},
};

static const act_bounds *bounds_of(const char *name) {
    for (size_t i = 0; i < sizeof known_bounds / sizeof known_bounds[0]; i++)
        if (strcmp(known_bounds[i].name, name) == 0) return &known_bounds[i];
    return NULL;
}

/* An activation ready to call: its ops and, if it has create, an instance
 * made from its schema defaults. */
typedef struct act {
    const reg_component *c;
    const rnnlab_activation_ops *ops;
    void *self;
} act;

static size_t acts_open(act *out) {
    size_t n = 0;
    for (size_t i = 0; i < registry_count(reg); i++) {
        const reg_component *c = registry_at(reg, i);
        if (c->kind != RNNLAB_KIND_ACTIVATION) continue;
        cr_assert_lt(n, MAX_ACTS);
        act *a = &out[n++];
        a->c = c;
        a->ops = &c->ops.activation;
        a->self = NULL;
        if (a->ops->create) {
            rnnlab_value values[64];
            cr_assert_lt(c->nparams, 64);
            test_defaults(c->params, values);
            cr_assert_eq(a->ops->create(host, values, &a->self), RNNLAB_OK, "%s: create: %s",
                         c->name, err.msg);
        }
    }
    return n;
}

static void acts_close(act *a, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i].ops->destroy) a[i].ops->destroy(a[i].self);
    cr_assert_eq(host_live_blocks(host), 0, "activations leaked host allocations");
}

static int from_y(const act *a) { return (a->ops->flags & RNNLAB_ACT_DERIV_FROM_Y) != 0; }

/* x, y, dy, dx: (n) */
static void fwd32(const act *a, const rnnlab_real *x, rnnlab_real *y, size_t n) {
    cr_assert_eq(a->ops->forward(a->self, x, y, n), RNNLAB_OK, "%s: forward: %s", a->c->name,
                 err.msg);
}

static void bwd32(const act *a, const rnnlab_real *x, const rnnlab_real *y, const rnnlab_real *dy,
                  rnnlab_real *dx, size_t n) {
    int rc = a->ops->backward(a->self, from_y(a) ? NULL : x, from_y(a) ? y : NULL, dy, dx, n);
    cr_assert_eq(rc, RNNLAB_OK, "%s: backward: %s", a->c->name, err.msg);
}

static void fwd64(const act *a, const double *x, double *y, size_t n) {
    cr_assert_eq(a->ops->forward_f64(a->self, x, y, n), RNNLAB_OK, "%s: forward_f64: %s",
                 a->c->name, err.msg);
}

static void bwd64(const act *a, const double *x, const double *y, const double *dy, double *dx,
                  size_t n) {
    int rc = a->ops->backward_f64(a->self, from_y(a) ? NULL : x, from_y(a) ? y : NULL, dy, dx, n);
    cr_assert_eq(rc, RNNLAB_OK, "%s: backward_f64: %s", a->c->name, err.msg);
}

static double grid_x(size_t i) { return -10.0 + 0.01 * (double)i; }

/* An upstream gradient that is never zero and not constant, so a backward
 * that ignores dy or uses it twice is caught. */
static double grid_dy(size_t i) { return 1.0 + 0.5 * cos((double)i); }

Test(activation, shipped_activations_are_found) {
    const char *want[] = {"tanh",     "relu",     "sigmoid",      "leaky_relu",  "elu",
                          "softsign", "softplus", "hard_sigmoid", "scaled_tanh", "identity"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const reg_component *c = NULL;
        cr_assert_eq(registry_find(reg, RNNLAB_KIND_ACTIVATION, want[i], &c, &err), RNNLAB_OK, "%s",
                     err.msg);
        cr_assert_eq(c->kind, RNNLAB_KIND_ACTIVATION);
    }
}

Test(activation, backward_matches_central_differences) {
    static act acts[MAX_ACTS];
    size_t na = acts_open(acts);
    const double h = 1e-6;
    static double x[GRID_N], xp[GRID_N], xm[GRID_N], y[GRID_N], yp[GRID_N], ym[GRID_N];
    static double dy[GRID_N], dx[GRID_N];
    size_t n = 0;
    for (size_t i = 0; i < GRID_N; i++) {
        double v = grid_x(i);
        if (fabs(v) < 1e-4) continue; /* relu's kink: no derivative to check */
        x[n] = v;
        xp[n] = v + h;
        xm[n] = v - h;
        dy[n] = grid_dy(i);
        n++;
    }
    for (size_t k = 0; k < na; k++) {
        const act *a = &acts[k];
        fwd64(a, x, y, n);
        fwd64(a, xp, yp, n);
        fwd64(a, xm, ym, n);
        bwd64(a, x, y, dy, dx, n);
        for (size_t i = 0; i < n; i++) {
            /* A kink inside [x - h, x + h] (hard_sigmoid's at +-2.5): the
             * one-sided slopes disagree and there is no derivative to check. */
            double left = (y[i] - ym[i]) / h, right = (yp[i] - y[i]) / h;
            if (fabs(left - right) > 1e-3 * (1.0 + fabs(left) + fabs(right))) continue;
            double fd = (yp[i] - ym[i]) / (xp[i] - xm[i]) * dy[i];
            cr_assert_leq(fabs(dx[i] - fd), 1e-8 * (1.0 + fabs(fd)),
                          "%s: at x = %.17g backward_f64 gives %.17g, finite differences %.17g",
                          a->c->name, x[i], dx[i], fd);
        }
    }
    acts_close(acts, na);
}

Test(activation, float_path_agrees_with_double_path) {
    static act acts[MAX_ACTS];
    size_t na = acts_open(acts);
    static rnnlab_real xf[GRID_N], yf[GRID_N], dyf[GRID_N], dxf[GRID_N];
    static double xd[GRID_N], yd[GRID_N], dyd[GRID_N], dxd[GRID_N];
    for (size_t i = 0; i < GRID_N; i++) {
        xf[i] = (rnnlab_real)grid_x(i);
        dyf[i] = (rnnlab_real)grid_dy(i);
        /* Same inputs on both paths: the float values, widened. */
        xd[i] = xf[i];
        dyd[i] = dyf[i];
    }
    for (size_t k = 0; k < na; k++) {
        const act *a = &acts[k];
        fwd32(a, xf, yf, GRID_N);
        fwd64(a, xd, yd, GRID_N);
        bwd32(a, xf, yf, dyf, dxf, GRID_N);
        bwd64(a, xd, yd, dyd, dxd, GRID_N);
        for (size_t i = 0; i < GRID_N; i++) {
            /* A few float ulps of the value, or of 1 for values near zero. */
            double ytol = 8.0 * FLT_EPSILON * fmax(fabs(yd[i]), 1e-3);
            cr_assert_leq(fabs(yf[i] - yd[i]), ytol,
                          "%s: forward at x = %.9g: float %.9g, double %.17g", a->c->name, xd[i],
                          yf[i], yd[i]);
            /* The derivative from a rounded y (1 - y^2 near saturation)
             * loses relative precision; its absolute error stays small. */
            double dtol = 8.0 * FLT_EPSILON * fmax(fabs(dxd[i]), fabs(dyd[i]));
            cr_assert_leq(fabs(dxf[i] - dxd[i]), dtol,
                          "%s: backward at x = %.9g: float %.9g, double %.17g", a->c->name, xd[i],
                          dxf[i], dxd[i]);
        }
    }
    acts_close(acts, na);
}

static void check_value(const act *a, const char *path, double x, double y, double dx) {
    const char *name = a->c->name;
    cr_assert(isfinite(y), "%s (%s): forward(%g) = %g is not finite", name, path, x, y);
    cr_assert(isfinite(dx), "%s (%s): backward at %g = %g is not finite", name, path, x, dx);
    const act_bounds *b = bounds_of(name);
    if (!b) return;
    cr_assert(y >= b->ymin && y <= b->ymax, "%s (%s): forward(%g) = %g is outside [%g, %g]", name,
              path, x, y, b->ymin, b->ymax);
    cr_assert(dx >= b->dmin && dx <= b->dmax, "%s (%s): f'(%g) = %g is outside [%g, %g]", name,
              path, x, dx, b->dmin, b->dmax);
}

Test(activation, extremes_stay_finite_and_in_range) {
    static act acts[MAX_ACTS];
    size_t na = acts_open(acts);
    const double big[] = {0.0,   1e4,    -1e4,    1e30,     -1e30, FLT_MAX, -FLT_MAX,
                          1e300, -1e300, DBL_MAX, -DBL_MAX, 10.0,  -10.0,   1e-30};
    enum { NBIG = sizeof big / sizeof big[0], NF = 7 /* the float-representable head */ };
    /* The grid too, so the range holds in the ordinary region as well. */
    static double xd[NBIG + GRID_N], yd[NBIG + GRID_N], dyd[NBIG + GRID_N], dxd[NBIG + GRID_N];
    static rnnlab_real xf[NF + GRID_N], yf[NF + GRID_N], dyf[NF + GRID_N], dxf[NF + GRID_N];
    size_t nd = 0, nf = 0;
    for (size_t i = 0; i < NBIG; i++) xd[nd++] = big[i];
    for (size_t i = 0; i < NF; i++) xf[nf++] = (rnnlab_real)big[i];
    for (size_t i = 0; i < GRID_N; i++) xd[nd++] = xf[nf++] = (rnnlab_real)grid_x(i);
    for (size_t i = 0; i < nd; i++) dyd[i] = 1.0;
    for (size_t i = 0; i < nf; i++) dyf[i] = 1.0f;

    for (size_t k = 0; k < na; k++) {
        const act *a = &acts[k];
        fwd64(a, xd, yd, nd);
        bwd64(a, xd, yd, dyd, dxd, nd);
        for (size_t i = 0; i < nd; i++) check_value(a, "double", xd[i], yd[i], dxd[i]);
        fwd32(a, xf, yf, nf);
        bwd32(a, xf, yf, dyf, dxf, nf);
        for (size_t i = 0; i < nf; i++) check_value(a, "float", xf[i], yf[i], dxf[i]);
    }
    acts_close(acts, na);
}

Test(activation, outputs_may_alias_inputs) {
    static act acts[MAX_ACTS];
    size_t na = acts_open(acts);
    enum { N = 401 };
    for (size_t k = 0; k < na; k++) {
        const act *a = &acts[k];
        rnnlab_real xf[N], yf[N], dyf[N], dxf[N], inplace[N], grad[N];
        double xd[N], yd[N], dyd[N], dxd[N], inplace_d[N], grad_d[N];
        for (size_t i = 0; i < N; i++) {
            xf[i] = (rnnlab_real)(-8.0 + 0.04 * (double)i);
            xd[i] = xf[i];
            dyf[i] = (rnnlab_real)grid_dy(i);
            dyd[i] = dyf[i];
        }
        /* forward in place: y written over x */
        fwd32(a, xf, yf, N);
        memcpy(inplace, xf, sizeof inplace);
        fwd32(a, inplace, inplace, N);
        cr_assert_arr_eq(inplace, yf, sizeof yf, "%s: forward with x == y differs", a->c->name);
        fwd64(a, xd, yd, N);
        memcpy(inplace_d, xd, sizeof inplace_d);
        fwd64(a, inplace_d, inplace_d, N);
        cr_assert_arr_eq(inplace_d, yd, sizeof yd, "%s: forward_f64 with x == y differs",
                         a->c->name);

        /* backward in place: dx written over dy */
        bwd32(a, xf, yf, dyf, dxf, N);
        memcpy(grad, dyf, sizeof grad);
        bwd32(a, xf, yf, grad, grad, N);
        cr_assert_arr_eq(grad, dxf, sizeof dxf, "%s: backward with dx == dy differs", a->c->name);
        bwd64(a, xd, yd, dyd, dxd, N);
        memcpy(grad_d, dyd, sizeof grad_d);
        bwd64(a, xd, yd, grad_d, grad_d, N);
        cr_assert_arr_eq(grad_d, dxd, sizeof dxd, "%s: backward_f64 with dx == dy differs",
                         a->c->name);
    }
    acts_close(acts, na);
}
