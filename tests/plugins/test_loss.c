/* test_loss.c -- the softmax_xent and mse loss plugins, loaded from the
 * build tree: values against independent formulas and PyTorch, gradients
 * against finite differences, masking, and numeric stability. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "plugin_util.h"

static rnnlab_err err;
static rnnlab_host *host;

static void setup(void) {
    err_clear(&err);
    host = host_create(&err, NULL, RNNLAB_LOG_WARN);
}

static void teardown(void) {
    cr_expect_eq(host_live_blocks(host), 0, "leaked %ld blocks", host_live_blocks(host));
    host_destroy(host);
}

TestSuite(loss, .init = setup, .fini = teardown);

/* A created loss instance with its ops. */
typedef struct loss_inst {
    const rnnlab_loss_ops *ops;
    void *self;
} loss_inst;

static loss_inst make_loss(const char *name, const char *smoothing) {
    const rnnlab_component *c = test_component(host, name, RNNLAB_KIND_LOSS, name);
    cr_assert_not_null(c, "component %s not found", name);
    loss_inst l = {.ops = c->ops, .self = NULL};
    rnnlab_value vals[4];
    test_defaults(c->params, vals);
    if (smoothing) test_set(c->params, vals, "label_smoothing", smoothing);
    if (l.ops->create) cr_assert_eq(l.ops->create(host, vals, &l.self), 0, "%s", err.msg);
    return l;
}

static void free_loss(loss_inst l) {
    if (l.ops->destroy) l.ops->destroy(l.self);
}

/* Deterministic pseudo-random values in [-a, a). */
static void fill(double *v, size_t n, double a, uint64_t seed) {
    rnnlab_rng r;
    rng_seed(&r, seed, 0);
    for (size_t i = 0; i < n; i++) v[i] = a * (2.0 * rng_uniform(&r) - 1.0);
}

/* Cross-entropy written out the long way, as a check that does not share
 * the plugin's algebra: log p_c = z_c - log(sum exp z). Rows with mask 0
 * are skipped; the mean is over the rest. */
static double xent_reference(const double *z, const int32_t *ids, const uint8_t *mask, size_t rows,
                             size_t cols, double eps) {
    double total = 0.0;
    size_t count = 0;
    for (size_t r = 0; r < rows; r++) {
        if (mask && !mask[r]) continue;
        const double *row = z + r * cols;
        double s = 0.0;
        for (size_t c = 0; c < cols; c++) s += exp(row[c]);
        double nll = -(row[ids[r]] - log(s)), uniform = 0.0;
        for (size_t c = 0; c < cols; c++) uniform += -(row[c] - log(s));
        total += (1.0 - eps) * nll + eps * uniform / (double)cols;
        count++;
    }
    return count ? total / (double)count : 0.0;
}

/* Central-difference check of forward_f64's gradient. */
static void gradcheck_f64(loss_inst l, const rnnlab_loss_batch *b, double *z, double tol) {
    size_t n = b->rows * b->cols;
    double *g = calloc(n, sizeof *g), loss, lp, lm, h = 1e-6;
    cr_assert_eq(l.ops->forward_f64(l.self, z, b, &loss, g), 0, "%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        double keep = z[i];
        z[i] = keep + h;
        l.ops->forward_f64(l.self, z, b, &lp, NULL);
        z[i] = keep - h;
        l.ops->forward_f64(l.self, z, b, &lm, NULL);
        z[i] = keep;
        double fd = (lp - lm) / (2 * h);
        cr_expect(fabs(fd - g[i]) <= tol, "element %zu: analytic %.10g, numeric %.10g", i, g[i],
                  fd);
    }
    free(g);
}

/* The same for the float path, with a step and tolerance float can bear. */
static void gradcheck_f32(loss_inst l, const rnnlab_loss_batch *b, const double *z64, double tol) {
    size_t n = b->rows * b->cols, correct;
    rnnlab_real *z = malloc(n * sizeof *z), *g = malloc(n * sizeof *g);
    for (size_t i = 0; i < n; i++) z[i] = (rnnlab_real)z64[i];
    double loss, lp, lm;
    const rnnlab_real h = 1.0f / 64; /* exact in binary: z +- h is rounded once */
    cr_assert_eq(l.ops->forward(l.self, z, b, &loss, &correct, g), 0, "%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        rnnlab_real keep = z[i];
        z[i] = keep + h;
        l.ops->forward(l.self, z, b, &lp, &correct, NULL);
        z[i] = keep - h;
        l.ops->forward(l.self, z, b, &lm, &correct, NULL);
        z[i] = keep;
        double fd = (lp - lm) / (2.0 * (double)h);
        cr_expect(fabs(fd - (double)g[i]) <= tol, "element %zu: analytic %.8g, numeric %.8g", i,
                  (double)g[i], fd);
    }
    free(z);
    free(g);
}

enum { ROWS = 6, COLS = 9 };

static void class_batch(rnnlab_loss_batch *b, int32_t *ids, uint8_t *mask) {
    for (int r = 0; r < ROWS; r++) {
        ids[r] = (r * 5 + 2) % COLS;
        mask[r] = r != 1 && r != 4;
    }
    *b = (rnnlab_loss_batch){.rows = ROWS, .cols = COLS, .ids = ids, .mask = mask};
}

Test(loss, xent_gradient_matches_finite_differences) {
    const char *eps_values[] = {"0", "0.15", "1"};
    for (int k = 0; k < 3; k++) {
        loss_inst l = make_loss("softmax_xent", eps_values[k]);
        int32_t ids[ROWS];
        uint8_t mask[ROWS];
        rnnlab_loss_batch b;
        class_batch(&b, ids, mask);
        double z[ROWS * COLS];
        fill(z, ROWS * COLS, 3.0, 11 + (uint64_t)k);
        gradcheck_f64(l, &b, z, 1e-8);
        gradcheck_f32(l, &b, z, 2e-4);
        b.mask = NULL; /* every row counts */
        gradcheck_f64(l, &b, z, 1e-8);
        free_loss(l);
    }
}

Test(loss, xent_value_matches_independent_formula) {
    const char *eps_text[] = {"0", "0.1", "0.35"};
    const double eps[] = {0.0, 0.1, 0.35};
    for (int k = 0; k < 3; k++) {
        loss_inst l = make_loss("softmax_xent", eps_text[k]);
        int32_t ids[ROWS];
        uint8_t mask[ROWS];
        rnnlab_loss_batch b;
        class_batch(&b, ids, mask);
        double z[ROWS * COLS], got;
        fill(z, ROWS * COLS, 2.0, 5);
        cr_assert_eq(l.ops->forward_f64(l.self, z, &b, &got, NULL), 0, "%s", err.msg);
        double want = xent_reference(z, ids, mask, ROWS, COLS, eps[k]);
        cr_expect(fabs(got - want) < 1e-12, "eps %g: loss %.15g, expected %.15g", eps[k], got,
                  want);

        rnnlab_real zf[ROWS * COLS];
        for (int i = 0; i < ROWS * COLS; i++) zf[i] = (rnnlab_real)z[i];
        size_t correct;
        cr_assert_eq(l.ops->forward(l.self, zf, &b, &got, &correct, NULL), 0, "%s", err.msg);
        cr_expect(fabs(got - want) < 1e-5, "eps %g: float loss %.8g, expected %.8g", eps[k], got,
                  want);
        free_loss(l);
    }
}

/* Values printed by tests/ref/xent_ref.py (torch 1.13, float64):
 * CrossEntropyLoss(label_smoothing=eps, ignore_index=-100) with row 1
 * ignored. */
Test(loss, xent_matches_pytorch_with_ignored_row) {
    const double z[12] = {0.5, -1.25, 2.0, 0.0, 3.0, 1.0, -2.0, 0.25, -0.75, 0.5, 0.125, 1.5};
    const int32_t ids[3] = {2, 0, 3};
    const uint8_t mask[3] = {1, 0, 1};
    const double torch_loss[2] = {0.44018686030531562, 0.72456186030531566};
    const double torch_grad[2][12] = {
        {0.079846775016054125, 0.013875288966340205, -0.14215158110880782, 0.048429517126413524, 0,
         0, 0, 0, 0.0305307078056021, 0.10656264097560855, 0.073239360662187308,
         -0.21033270944339799},
        {0.054846775016054124, -0.011124711033659796, -0.067151581108807867, 0.023429517126413522,
         0, 0, 0, 0, 0.0055307078056020982, 0.081562640975608558, 0.048239360662187307,
         -0.13533270944339804},
    };
    const char *eps_text[2] = {"0", "0.2"};
    rnnlab_loss_batch b = {.rows = 3, .cols = 4, .ids = ids, .mask = mask};
    for (int k = 0; k < 2; k++) {
        loss_inst l = make_loss("softmax_xent", eps_text[k]);
        double loss, g[12];
        cr_assert_eq(l.ops->forward_f64(l.self, z, &b, &loss, g), 0, "%s", err.msg);
        cr_expect(fabs(loss - torch_loss[k]) < 1e-14, "eps %s: %.17g vs torch %.17g", eps_text[k],
                  loss, torch_loss[k]);
        for (int i = 0; i < 12; i++)
            cr_expect(fabs(g[i] - torch_grad[k][i]) < 1e-14, "eps %s grad[%d]: %.17g vs %.17g",
                      eps_text[k], i, g[i], torch_grad[k][i]);
        free_loss(l);
    }
}

Test(loss, xent_stable_for_huge_logits) {
    loss_inst l = make_loss("softmax_xent", "0.1");
    /* Row 0: target one below the max; row 1: extreme float magnitudes. */
    const rnnlab_real z[8] = {1e4f, -1e4f, 5e3f, 1e4f - 1.0f, 3e38f, -3e38f, 0.0f, 1e30f};
    const int32_t ids[2] = {3, 2};
    rnnlab_loss_batch b = {.rows = 1, .cols = 4, .ids = ids, .mask = NULL};
    double loss;
    size_t correct;
    rnnlab_real g[8];

    /* Row 0 alone, with the maximum pulled out by hand: log-sum-exp is
     * 1e4 + log(1 + e^-1) (the other terms are below e^-5000); -log p_c =
     * lse - z_c, and smoothing averages that over the 4 classes. */
    cr_assert_eq(l.ops->forward(l.self, z, &b, &loss, &correct, g), 0, "%s", err.msg);
    double lse0 = 1e4 + log1p(exp(-1.0));
    double want = 0.9 * (lse0 - (1e4 - 1.0)) + 0.1 * (lse0 - (1e4 - 1e4 + 5e3 + 1e4 - 1.0) / 4.0);
    cr_expect(fabs(loss - want) < 1e-6, "loss %.10g, expected %.10g", loss, want);
    cr_expect_eq(correct, 0, "argmax of row 0 is class 0");

    /* Both rows: row 1's log-sum-exp is its max, 3e38 (as a float). */
    b.rows = 2;
    cr_assert_eq(l.ops->forward(l.self, z, &b, &loss, &correct, g), 0, "%s", err.msg);
    cr_expect(isfinite(loss), "loss %g", loss);
    for (int i = 0; i < 8; i++) cr_expect(isfinite(g[i]), "grad[%d] = %g", i, (double)g[i]);
    double m1 = (double)3e38f;
    double row1 = 0.9 * m1 + 0.1 * (m1 - (m1 - m1 + 0.0 + (double)1e30f) / 4.0);
    want = (want + row1) / 2.0;
    cr_expect(fabs(loss - want) <= 1e-12 * want, "loss %.10g, expected %.10g", loss, want);

    /* The double path at 1e4 and 1e300. Row 0: -log p = 1 + log(1 + e^-1).
     * Row 1 has two equal maxima and the target is one of them: -log(1/2). */
    loss_inst plain = make_loss("softmax_xent", NULL);
    const double zd[8] = {1e4, -1e4, 5e3, 1e4 - 1.0, 1e300, -1e300, 0.0, 1e300};
    const int32_t idd[2] = {3, 3};
    double gd[8];
    b.ids = idd;
    cr_assert_eq(plain.ops->forward_f64(plain.self, zd, &b, &loss, gd), 0, "%s", err.msg);
    want = (1.0 + log1p(exp(-1.0)) + log(2.0)) / 2.0;
    cr_expect(fabs(loss - want) < 1e-12, "loss %.15g, expected %.15g", loss, want);
    cr_expect(fabs(gd[7] - (0.5 - 1.0) / 2.0) < 1e-15, "grad at the target %.17g", gd[7]);
    free_loss(plain);
    free_loss(l);
}

Test(loss, xent_masked_rows_contribute_nothing) {
    loss_inst l = make_loss("softmax_xent", "0.05");
    /* Rows 1 and 3 are masked and hold garbage: NaN logits, a bad id. */
    rnnlab_real z[4 * 3] = {1, 2, 3, NAN, NAN, NAN, -1, 0.5f, 2, 1e30f, -INFINITY, 0};
    int32_t ids[4] = {0, 99, 2, -7};
    uint8_t mask[4] = {1, 0, 1, 0};
    rnnlab_loss_batch b = {.rows = 4, .cols = 3, .ids = ids, .mask = mask};
    double loss;
    size_t correct;
    rnnlab_real g[12];
    for (int i = 0; i < 12; i++) g[i] = 7.0f;
    cr_assert_eq(l.ops->forward(l.self, z, &b, &loss, &correct, g), 0, "%s", err.msg);

    /* The same two rows alone. */
    rnnlab_real zs[6] = {1, 2, 3, -1, 0.5f, 2};
    int32_t ids_s[2] = {0, 2};
    rnnlab_loss_batch bs = {.rows = 2, .cols = 3, .ids = ids_s, .mask = NULL};
    double loss_s;
    size_t correct_s;
    rnnlab_real gs[6];
    cr_assert_eq(l.ops->forward(l.self, zs, &bs, &loss_s, &correct_s, gs), 0, "%s", err.msg);
    cr_expect_eq(loss, loss_s, "masked: %.10g, subset: %.10g", loss, loss_s);
    cr_expect_eq(correct, 1, "only row 2 (argmax 2 == target 2) is correct, got %zu", correct);
    cr_expect_eq(correct_s, correct);
    for (int c = 0; c < 3; c++) {
        cr_expect_eq(g[0 * 3 + c], gs[c]);
        cr_expect_eq(g[2 * 3 + c], gs[3 + c]);
        cr_expect_eq(g[1 * 3 + c], 0.0f, "masked row 1 grad %g", (double)g[3 + c]);
        cr_expect_eq(g[3 * 3 + c], 0.0f, "masked row 3 grad %g", (double)g[9 + c]);
    }
    free_loss(l);
}

Test(loss, xent_all_masked_is_zero) {
    loss_inst l = make_loss("softmax_xent", "0.1");
    rnnlab_real z[6] = {1, 2, 3, 4, 5, 6};
    double z64[6] = {1, 2, 3, 4, 5, 6}, loss = -1, g64[6];
    int32_t ids[2] = {0, 1};
    uint8_t mask[2] = {0, 0};
    rnnlab_loss_batch b = {.rows = 2, .cols = 3, .ids = ids, .mask = mask};
    size_t correct = 99;
    rnnlab_real g[6];
    for (int i = 0; i < 6; i++) g[i] = g64[i] = 3.0;
    cr_assert_eq(l.ops->forward(l.self, z, &b, &loss, &correct, g), 0, "%s", err.msg);
    cr_expect_eq(loss, 0.0);
    cr_expect_eq(correct, 0);
    for (int i = 0; i < 6; i++) cr_expect_eq(g[i], 0.0f);
    loss = -1;
    cr_assert_eq(l.ops->forward_f64(l.self, z64, &b, &loss, g64), 0, "%s", err.msg);
    cr_expect_eq(loss, 0.0);
    for (int i = 0; i < 6; i++) cr_expect_eq(g64[i], 0.0);
    b.rows = 0; /* an empty batch is the same case */
    cr_assert_eq(l.ops->forward(l.self, z, &b, &loss, &correct, NULL), 0, "%s", err.msg);
    cr_expect_eq(loss, 0.0);
    free_loss(l);
}

Test(loss, xent_counts_correct_rows) {
    loss_inst l = make_loss("softmax_xent", NULL);
    /* argmax per row: 2, 0 (tie 0/1 goes to the first), 1 */
    rnnlab_real z[9] = {0, 1, 5, 2, 2, -1, 0, 3, 1};
    int32_t ids[3] = {2, 0, 0};
    rnnlab_loss_batch b = {.rows = 3, .cols = 3, .ids = ids, .mask = NULL};
    double loss;
    size_t correct;
    cr_assert_eq(l.ops->forward(l.self, z, &b, &loss, &correct, NULL), 0, "%s", err.msg);
    cr_expect_eq(correct, 2, "got %zu", correct);
    free_loss(l);
}

Test(loss, xent_rejects_out_of_range_target) {
    loss_inst l = make_loss("softmax_xent", NULL);
    rnnlab_real z[9] = {0};
    double z64[9] = {0}, loss;
    int32_t ids[3] = {0, 1, 3};
    rnnlab_loss_batch b = {.rows = 3, .cols = 3, .ids = ids, .mask = NULL};
    size_t correct;
    cr_expect_eq(l.ops->forward(l.self, z, &b, &loss, &correct, NULL), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "row 2") && strstr(err.msg, "id 3"), "message: %s", err.msg);
    ids[2] = -1;
    err_clear(&err);
    cr_expect_eq(l.ops->forward_f64(l.self, z64, &b, &loss, NULL), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "row 2") && strstr(err.msg, "id -1"), "message: %s", err.msg);
    free_loss(l);
}

/* ------------------------------------------------------------------------ */
/* mse                                                                       */
/* ------------------------------------------------------------------------ */

Test(loss, mse_kind_and_pytorch_value) {
    loss_inst l = make_loss("mse", NULL);
    cr_expect_eq(l.ops->target_kind, RNNLAB_TARGET_REAL);
    /* Printed by tests/ref/xent_ref.py: torch.nn.MSELoss() on a 2x3 batch. */
    const double x[6] = {0.5, -1.0, 2.0, 1.5, 0.25, -0.5};
    const rnnlab_real y[6] = {1.0f, 0.0f, 2.5f, -1.0f, 0.75f, 0.0f};
    const double torch_grad[6] = {-0.16666666666666666, -0.33333333333333331, -0.16666666666666666,
                                  0.83333333333333326,  -0.16666666666666666, -0.16666666666666666};
    rnnlab_loss_batch b = {.rows = 2, .cols = 3, .values = y, .mask = NULL};
    double loss, g[6];
    cr_assert_eq(l.ops->forward_f64(l.self, x, &b, &loss, g), 0, "%s", err.msg);
    cr_expect(fabs(loss - 1.375) < 1e-15, "loss %.17g vs torch 1.375", loss);
    for (int i = 0; i < 6; i++) cr_expect(fabs(g[i] - torch_grad[i]) < 1e-15, "grad[%d]", i);

    rnnlab_real xf[6], gf[6];
    for (int i = 0; i < 6; i++) xf[i] = (rnnlab_real)x[i];
    size_t correct = 5;
    cr_assert_eq(l.ops->forward(l.self, xf, &b, &loss, &correct, gf), 0, "%s", err.msg);
    cr_expect(fabs(loss - 1.375) < 1e-7, "float loss %.10g", loss);
    cr_expect_eq(correct, 0, "regression has no correct rows");
    for (int i = 0; i < 6; i++) cr_expect(fabs(gf[i] - torch_grad[i]) < 1e-7, "float grad[%d]", i);
    free_loss(l);
}

Test(loss, mse_masking_and_gradient) {
    loss_inst l = make_loss("mse", NULL);
    enum { R = 5, C = 4 };
    double x[R * C], yd[R * C];
    rnnlab_real y[R * C];
    fill(x, R * C, 2.0, 3);
    fill(yd, R * C, 2.0, 4);
    for (int i = 0; i < R * C; i++) y[i] = (rnnlab_real)yd[i];
    uint8_t mask[R] = {1, 0, 1, 1, 0};
    rnnlab_loss_batch b = {.rows = R, .cols = C, .values = y, .mask = mask};

    /* sum of squares over counted rows / (3 rows * 4 cols) */
    double want = 0.0, loss;
    for (int r = 0; r < R; r++)
        for (int c = 0; mask[r] && c < C; c++) want += pow(x[r * C + c] - (double)y[r * C + c], 2);
    want /= 3.0 * C;
    cr_assert_eq(l.ops->forward_f64(l.self, x, &b, &loss, NULL), 0, "%s", err.msg);
    cr_expect(fabs(loss - want) < 1e-14, "loss %.15g, expected %.15g", loss, want);

    gradcheck_f64(l, &b, x, 1e-8);
    gradcheck_f32(l, &b, x, 1e-5);

    double g[R * C];
    l.ops->forward_f64(l.self, x, &b, &loss, g);
    for (int c = 0; c < C; c++) {
        cr_expect_eq(g[1 * C + c], 0.0);
        cr_expect_eq(g[4 * C + c], 0.0);
    }
    mask[0] = mask[2] = mask[3] = 0; /* all masked */
    g[0] = 1.0;
    cr_assert_eq(l.ops->forward_f64(l.self, x, &b, &loss, g), 0, "%s", err.msg);
    cr_expect_eq(loss, 0.0);
    for (int i = 0; i < R * C; i++) cr_expect_eq(g[i], 0.0);
    free_loss(l);
}

Test(loss, mse_requires_values) {
    loss_inst l = make_loss("mse", NULL);
    rnnlab_real x[2] = {0};
    rnnlab_loss_batch b = {.rows = 1, .cols = 2, .values = NULL, .mask = NULL};
    double loss;
    size_t correct;
    cr_expect_eq(l.ops->forward(l.self, x, &b, &loss, &correct, NULL), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "mse") != NULL, "message: %s", err.msg);
    free_loss(l);
}
