/* test_model.c -- the Elman model: parameter layout as PyTorch names it,
 * gradients against central differences in double precision, padding and
 * carry semantics, a forward worked out by hand, float vs double agreement,
 * initialisation and determinism.
 *
 * Allocation: model_forward/model_backward never allocate by construction
 * (every buffer is sized in model_create for (max_T, max_B), see
 * model_impl.h's net_alloc, the only allocating kernel function); the
 * `workspaces_are_reused` test checks the observable consequence: the
 * logits and hidden-state buffers stay at the same address across calls. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/model.h"
#include "plugin_util.h"

/* ---- fixture ----------------------------------------------------------- */

static rnnlab_err g_err;
static rnnlab_host *g_host;

static void setup(void) {
    err_clear(&g_err);
    g_host = host_create(&g_err, NULL, RNNLAB_LOG_WARN);
    cr_assert(g_host);
}

static void teardown(void) { host_destroy(g_host); }

TestSuite(model, .init = setup, .fini = teardown);

static const rnnlab_activation_ops *act(const char *name) {
    const rnnlab_component *c = test_component(g_host, name, RNNLAB_KIND_ACTIVATION, name);
    cr_assert(c, "activation plugin %s.so not found", name);
    return c->ops;
}

/* A loss instance from the shipped plugin, with default parameters. */
typedef struct loss_ref {
    const rnnlab_loss_ops *ops;
    void *self;
} loss_ref;

static loss_ref loss_open(const char *name) {
    const rnnlab_component *c = test_component(g_host, name, RNNLAB_KIND_LOSS, name);
    cr_assert(c, "loss plugin %s.so not found", name);
    loss_ref l = {c->ops, NULL};
    rnnlab_value values[8];
    test_defaults(c->params, values);
    if (l.ops->create)
        cr_assert_eq(l.ops->create(g_host, values, &l.self), RNNLAB_OK, "%s", g_err.msg);
    return l;
}

static void loss_close(loss_ref *l) {
    if (l->ops->destroy) l->ops->destroy(l->self);
}

/* ---- test-local activations -------------------------------------------- */

/* softsign x / (1 + |x|): its derivative 1 / (1 + |x|)^2 is written from x,
 * so this exercises the path where the model must keep pre-activations and
 * pass x (and y == NULL). */
static int ss_fwd(const void *self, const float *x, float *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + fabsf(x[i]));
    return RNNLAB_OK;
}
static int ss_bwd(const void *self, const float *x, const float *y, const float *dy, float *dx,
                  size_t n) {
    const rnnlab_host *h = self;
    if (!x || y) return h->set_error(h, RNNLAB_ERR_INTERNAL, "softsign: wants x and not y");
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] / ((1.0f + fabsf(x[i])) * (1.0f + fabsf(x[i])));
    return RNNLAB_OK;
}
static int ss_fwd64(const void *self, const double *x, double *y, size_t n) {
    (void)self;
    for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0 + fabs(x[i]));
    return RNNLAB_OK;
}
static int ss_bwd64(const void *self, const double *x, const double *y, const double *dy,
                    double *dx, size_t n) {
    const rnnlab_host *h = self;
    if (!x || y) return h->set_error(h, RNNLAB_ERR_INTERNAL, "softsign: wants x and not y");
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] / ((1.0 + fabs(x[i])) * (1.0 + fabs(x[i])));
    return RNNLAB_OK;
}
static const rnnlab_activation_ops softsign = {
    .struct_size = sizeof(rnnlab_activation_ops),
    .flags = 0,
    .forward = ss_fwd,
    .backward = ss_bwd,
    .forward_f64 = ss_fwd64,
    .backward_f64 = ss_bwd64,
};

/* Fails on any input above 3, with its own message. */
static int boom_fwd(const void *self, const float *x, float *y, size_t n) {
    const rnnlab_host *h = self;
    for (size_t i = 0; i < n; i++) {
        if (x[i] > 3.0f)
            return h->set_error(h, RNNLAB_ERR_NUMERIC, "boom: input %g above 3", (double)x[i]);
        y[i] = x[i];
    }
    return RNNLAB_OK;
}

/* ---- specs and batches ------------------------------------------------- */

static model_spec spec_make(rnnlab_input_kind in_kind, size_t in, size_t H, size_t L, int bidir,
                            size_t C, rnnlab_head_kind head, const rnnlab_activation_ops *a) {
    model_spec s = {
        .input_kind = in_kind,
        .input_size = in,
        .hidden_size = H,
        .num_layers = L,
        .bidirectional = bidir,
        .output_size = C,
        .head = head,
        .max_T = 6,
        .max_B = 3,
        .act = a,
        .act_self = g_host,
        .init = MODEL_INIT_UNIFORM,
        .init_scale = 1.0,
    };
    return s;
}

static model *model_make(const model_spec *s, uint64_t seed) {
    model *m = NULL;
    cr_assert_eq(model_create(&m, s, &g_err), RNNLAB_OK, "%s", g_err.msg);
    rnnlab_rng rng;
    rng_seed(&rng, seed, 0);
    model_init_params(m, &rng);
    return m;
}

#define TB_T 6
#define TB_B 3
#define TB_F 4

/* A batch with its own storage, sized for the largest test shape. */
typedef struct tbatch {
    rnnlab_batch b;
    int32_t ids[TB_T * TB_B];
    float x[TB_T * TB_B * TB_F];
    uint8_t mask[TB_T * TB_B];
    int32_t lengths[TB_B];
    int32_t tids[TB_T * TB_B];
    float tvals[TB_T * TB_B * TB_F];
    uint8_t tmask[TB_T * TB_B];
} tbatch;

/* Random inputs and targets for spec s with the given lengths. Padding steps
 * hold junk (ids out of the vocabulary, large x) that must not matter. */
static void tbatch_fill(tbatch *tb, const model_spec *s, size_t T, size_t B, const int32_t *lengths,
                        uint64_t seed) {
    memset(tb, 0, sizeof *tb);
    rnnlab_rng rng;
    rng_seed(&rng, seed, 3);
    tb->b.T = T;
    tb->b.B = B;
    const size_t F = s->input_kind == RNNLAB_INPUT_DENSE ? s->input_size : 0;
    const size_t C = s->output_size;
    cr_assert(T <= TB_T && B <= TB_B && F <= TB_F && C <= TB_F, "test batch too small");
    for (size_t b = 0; b < B; b++) tb->lengths[b] = lengths[b];
    for (size_t t = 0; t < T; t++)
        for (size_t b = 0; b < B; b++) {
            const size_t r = t * B + b;
            const int live = (int32_t)t < lengths[b];
            tb->mask[r] = (uint8_t)live;
            tb->tmask[r] = (uint8_t)live;
            tb->ids[r] = live ? (int32_t)rng_below(&rng, s->input_size) : 1000 + (int32_t)r;
            for (size_t i = 0; i < F; i++)
                tb->x[r * F + i] = live ? (float)(rng_uniform(&rng) * 2 - 1) : 7.0f;
            tb->tids[r] = (int32_t)rng_below(&rng, C);
            for (size_t j = 0; j < C; j++) tb->tvals[r * C + j] = (float)(rng_uniform(&rng) - 0.5);
        }
    if (s->head == RNNLAB_HEAD_LAST)
        for (size_t b = 0; b < B; b++) tb->tmask[b] = lengths[b] > 0;
    tb->b.ids = tb->ids;
    tb->b.x = tb->x;
    tb->b.mask = tb->mask;
    tb->b.lengths = tb->lengths;
    tb->b.target_ids = tb->tids;
    tb->b.target_values = tb->tvals;
    tb->b.target_mask = tb->tmask;
}

/* Runs gradcheck and asserts every tensor's worst relative error < 1e-6. */
static void expect_gradcheck(model *m, const tbatch *tb, loss_ref *l, const char *what) {
    double worst[64];
    cr_assert(model_num_tensors(m) <= 64);
    int rc = model_gradcheck(m, &tb->b, l->ops, l->self, 1e-5, worst, &g_err);
    cr_assert_eq(rc, RNNLAB_OK, "%s: %s", what, g_err.msg);
    for (size_t i = 0; i < model_num_tensors(m); i++) {
        cr_log_info("%s: %s worst relative error %.3g", what, model_tensor_at(m, i)->name,
                    worst[i]);
        cr_expect(worst[i] < 1e-6, "%s: %s worst relative error %.3g", what,
                  model_tensor_at(m, i)->name, worst[i]);
    }
}

/* ---- parameter layout -------------------------------------------------- */

Test(model, names_shapes_order_match_torch) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 5, 3, 2, 1, 4, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 1);
    /* list(nn.RNN(5, 3, 2, bidirectional=True).named_parameters()) then nn.Linear(6, 4) */
    static const struct {
        const char *name;
        size_t ndim, r, c;
    } want[] = {
        {"rnn.weight_ih_l0", 2, 3, 5},
        {"rnn.weight_hh_l0", 2, 3, 3},
        {"rnn.bias_ih_l0", 1, 3, 0},
        {"rnn.bias_hh_l0", 1, 3, 0},
        {"rnn.weight_ih_l0_reverse", 2, 3, 5},
        {"rnn.weight_hh_l0_reverse", 2, 3, 3},
        {"rnn.bias_ih_l0_reverse", 1, 3, 0},
        {"rnn.bias_hh_l0_reverse", 1, 3, 0},
        {"rnn.weight_ih_l1", 2, 3, 6},
        {"rnn.weight_hh_l1", 2, 3, 3},
        {"rnn.bias_ih_l1", 1, 3, 0},
        {"rnn.bias_hh_l1", 1, 3, 0},
        {"rnn.weight_ih_l1_reverse", 2, 3, 6},
        {"rnn.weight_hh_l1_reverse", 2, 3, 3},
        {"rnn.bias_ih_l1_reverse", 1, 3, 0},
        {"rnn.bias_hh_l1_reverse", 1, 3, 0},
        {"out.weight", 2, 4, 6},
        {"out.bias", 1, 4, 0},
    };
    const size_t n = sizeof want / sizeof want[0];
    cr_assert_eq(model_num_tensors(m), n);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        model_tensor *t = model_tensor_at(m, i);
        cr_expect_str_eq(t->name, want[i].name);
        cr_expect_eq(t->ndim, want[i].ndim, "%s ndim", t->name);
        cr_expect_eq(t->shape[0], want[i].r, "%s rows", t->name);
        if (want[i].ndim == 2) cr_expect_eq(t->shape[1], want[i].c, "%s cols", t->name);
        cr_expect_eq(t->n, want[i].ndim == 2 ? want[i].r * want[i].c : want[i].r);
        /* tensors sit back to back, so an optimizer may treat them as one block */
        cr_expect_eq(t->data, model_tensor_at(m, 0)->data + total, "%s data offset", t->name);
        total += t->n;
    }
    cr_expect_eq(model_num_params(m), total);
    cr_expect_null(model_tensor_at(m, n));
    model_free(m);
}

/* ---- a forward worked out by hand --------------------------------------- */

/* H = 2, input 2 (DENSE), C = 2, one step, tanh:
 *   W_ih = [[0.5, -1], [0.25, 2]], x = [1, 0.5]
 *   W_ih x = [0.5 - 0.5, 0.25 + 1] = [0, 1.25]
 *   + b_ih [0.1, -0.25] + b_hh [0.2, 0] = z = [0.3, 1.0]
 *   (W_hh h0 = 0 since h0 = 0, whatever W_hh holds)
 *   h = tanh(z) = [0.29131261245159090, 0.76159415595576489]
 *   out.weight = [[1, 2], [-1, 0.5]], out.bias = [0.5, -0.5]
 *   logits = [0.2913126 + 1.5231883 + 0.5, -0.2913126 + 0.3807971 - 0.5]
 *          = [2.31450092436312068, -0.41051553447370846]                  */
Test(model, hand_computed_single_step) {
    model_spec s = spec_make(RNNLAB_INPUT_DENSE, 2, 2, 1, 0, 2, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 5);
    const float w_ih[] = {0.5f, -1.0f, 0.25f, 2.0f}, w_hh[] = {3.0f, -3.0f, 7.0f, 1.0f};
    const float b_ih[] = {0.1f, -0.25f}, b_hh[] = {0.2f, 0.0f};
    const float w_out[] = {1.0f, 2.0f, -1.0f, 0.5f}, b_out[] = {0.5f, -0.5f};
    const float *src[] = {w_ih, w_hh, b_ih, b_hh, w_out, b_out};
    for (size_t i = 0; i < 6; i++)
        memcpy(model_tensor_at(m, i)->data, src[i], model_tensor_at(m, i)->n * sizeof(float));
    float x[] = {1.0f, 0.5f};
    uint8_t mask[] = {1};
    int32_t len[] = {1};
    rnnlab_batch b = {.T = 1, .B = 1, .x = x, .mask = mask, .lengths = len};
    float *logits;
    size_t rows;
    cr_assert_eq(model_forward(m, &b, 0, &logits, &rows, &g_err), RNNLAB_OK, "%s", g_err.msg);
    cr_assert_eq(rows, 1);
    const float *h = model_hidden_states(m);
    cr_expect_float_eq(h[0], 0.29131261245159090f, 1e-6f);
    cr_expect_float_eq(h[1], 0.76159415595576489f, 1e-6f);
    cr_expect_float_eq(logits[0], 2.31450092436312068f, 1e-6f);
    cr_expect_float_eq(logits[1], -0.41051553447370846f, 1e-6f);
    model_free(m);
}

/* ---- gradient checks --------------------------------------------------- */

static void gradcheck_per_step(const char *act_name, rnnlab_input_kind in_kind, size_t L,
                               int bidir) {
    model_spec s = spec_make(in_kind, 4, 4, L, bidir, 3, RNNLAB_HEAD_PER_STEP, act(act_name));
    model *m = model_make(&s, 11);
    loss_ref l = loss_open("softmax_xent");
    tbatch tb;
    const int32_t lens[] = {5, 3, 4};
    tbatch_fill(&tb, &s, 5, 3, lens, 2);
    char what[96];
    snprintf(what, sizeof what, "%s %s L=%zu bidir=%d", act_name,
             in_kind == RNNLAB_INPUT_IDS ? "ids" : "dense", L, bidir);
    expect_gradcheck(m, &tb, &l, what);
    loss_close(&l);
    model_free(m);
}

Test(model, gradcheck_tanh) { gradcheck_per_step("tanh", RNNLAB_INPUT_IDS, 1, 0); }
Test(model, gradcheck_relu) { gradcheck_per_step("relu", RNNLAB_INPUT_DENSE, 1, 0); }
Test(model, gradcheck_sigmoid) { gradcheck_per_step("sigmoid", RNNLAB_INPUT_IDS, 1, 0); }
Test(model, gradcheck_two_layers) { gradcheck_per_step("tanh", RNNLAB_INPUT_DENSE, 2, 0); }
Test(model, gradcheck_bidirectional_two_layers) {
    gradcheck_per_step("tanh", RNNLAB_INPUT_IDS, 2, 1);
}

Test(model, gradcheck_derivative_from_x) {
    model_spec s = spec_make(RNNLAB_INPUT_DENSE, 3, 3, 2, 1, 3, RNNLAB_HEAD_PER_STEP, &softsign);
    model *m = model_make(&s, 12);
    loss_ref l = loss_open("softmax_xent");
    tbatch tb;
    const int32_t lens[] = {4, 2};
    tbatch_fill(&tb, &s, 4, 2, lens, 3);
    expect_gradcheck(m, &tb, &l, "softsign (derivative from x)");
    loss_close(&l);
    model_free(m);
}

Test(model, gradcheck_last_step_xent_ids_bidirectional) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 5, 4, 1, 1, 3, RNNLAB_HEAD_LAST, act("tanh"));
    model *m = model_make(&s, 13);
    loss_ref l = loss_open("softmax_xent");
    tbatch tb;
    const int32_t lens[] = {2, 5, 4};
    tbatch_fill(&tb, &s, 5, 3, lens, 4);
    expect_gradcheck(m, &tb, &l, "last-step xent bidirectional");
    loss_close(&l);
    model_free(m);
}

Test(model, gradcheck_last_step_mse_dense) {
    model_spec s = spec_make(RNNLAB_INPUT_DENSE, 3, 4, 2, 0, 2, RNNLAB_HEAD_LAST, act("sigmoid"));
    model *m = model_make(&s, 14);
    loss_ref l = loss_open("mse");
    tbatch tb;
    const int32_t lens[] = {5, 1, 3};
    tbatch_fill(&tb, &s, 5, 3, lens, 5);
    expect_gradcheck(m, &tb, &l, "last-step mse dense");
    loss_close(&l);
    model_free(m);
}

/* ---- float vs double ------------------------------------------------------ */

/* Float forward + loss + backward from zeroed gradients; returns the loss.
 * The gradients are left in the model, the logits (valid until the next
 * forward) in *logits_out when non-NULL. */
static double float_loss_grad(model *m, const tbatch *tb, loss_ref *l, int carry,
                              float **logits_out, size_t *rows_out) {
    float *logits;
    size_t rows;
    cr_assert_eq(model_forward(m, &tb->b, carry, &logits, &rows, &g_err), RNNLAB_OK, "%s",
                 g_err.msg);
    const model_tensor *w = model_tensor_at(m, model_num_tensors(m) - 2);
    const size_t C = w->shape[0];
    float *dlogits = calloc(rows * C, sizeof *dlogits);
    cr_assert(dlogits);
    rnnlab_loss_batch lb = {rows, C, tb->b.target_ids, tb->b.target_values, tb->b.target_mask};
    double loss;
    size_t correct;
    cr_assert_eq(l->ops->forward(l->self, logits, &lb, &loss, &correct, dlogits), RNNLAB_OK, "%s",
                 g_err.msg);
    model_zero_grad(m);
    cr_assert_eq(model_backward(m, dlogits, NULL, &g_err), RNNLAB_OK, "%s", g_err.msg);
    free(dlogits);
    if (logits_out) *logits_out = logits;
    if (rows_out) *rows_out = rows;
    return loss;
}

Test(model, float_path_matches_double_path) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 5, 4, 2, 1, 3, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 21);
    loss_ref l = loss_open("softmax_xent");
    tbatch tb;
    const int32_t lens[] = {6, 2, 5};
    tbatch_fill(&tb, &s, 6, 3, lens, 6);
    const double lf = float_loss_grad(m, &tb, &l, 0, NULL, NULL);
    const size_t P = model_num_params(m);
    double *g64 = calloc(P, sizeof *g64);
    double ld = 0.0;
    cr_assert_eq(model_loss_grad_f64(m, &tb.b, l.ops, l.self, &ld, g64, &g_err), RNNLAB_OK, "%s",
                 g_err.msg);
    cr_expect(fabs(lf - ld) < 1e-5 * fabs(ld), "loss float %.9g vs double %.9g", lf, ld);
    const float *g32 = model_tensor_at(m, 0)->grad;
    double gmax = 0.0;
    for (size_t i = 0; i < P; i++) gmax = fmax(gmax, fabs(g64[i]));
    cr_assert(gmax > 0.0);
    for (size_t i = 0; i < P; i++)
        cr_expect(fabs(g32[i] - g64[i]) <= 1e-5 * gmax, "grad[%zu] float %.9g vs double %.9g", i,
                  (double)g32[i], g64[i]);
    free(g64);
    loss_close(&l);
    model_free(m);
}

/* ---- padding ------------------------------------------------------------- */

/* A batch of variable-length sequences must give, row for row, the logits of
 * each sequence run alone without padding, and (loss being a mean over real
 * rows) count * grad must equal the sum of each sequence's count * grad. */
static void padding_case(model_spec s, uint64_t seed) {
    loss_ref l = loss_open("softmax_xent");
    model *m = model_make(&s, seed);
    const int last = s.head == RNNLAB_HEAD_LAST;
    const size_t T = 5, B = 3, C = s.output_size, P = model_num_params(m);
    const size_t in_w = s.input_kind == RNNLAB_INPUT_DENSE ? s.input_size : 0;
    const int32_t lens[] = {3, 5, 1};
    const double counted = last ? (double)B : 3.0 + 5.0 + 1.0; /* rows the mean divides by */
    tbatch all;
    tbatch_fill(&all, &s, T, B, lens, seed + 1);

    float *logits;
    size_t rows;
    const double loss_all = float_loss_grad(m, &all, &l, 0, &logits, &rows) * counted;
    float *keep = malloc(rows * C * sizeof *keep);
    double *grad_all = calloc(P, sizeof *grad_all), *grad_sum = calloc(P, sizeof *grad_sum);
    cr_assert(keep && grad_all && grad_sum);
    memcpy(keep, logits, rows * C * sizeof *keep);
    for (size_t i = 0; i < P; i++) grad_all[i] = model_tensor_at(m, 0)->grad[i] * counted;

    double loss_sum = 0.0;
    for (size_t b = 0; b < B; b++) {
        /* sequence b alone: T = lengths[b], B = 1, same inputs and targets */
        tbatch one;
        tbatch_fill(&one, &s, (size_t)lens[b], 1, &lens[b], 99);
        for (size_t t = 0; t < (size_t)lens[b]; t++) {
            one.ids[t] = all.ids[t * B + b];
            one.tids[t] = all.tids[t * B + b];
            memcpy(&one.x[t * in_w], &all.x[(t * B + b) * in_w], in_w * sizeof(float));
        }
        if (last) one.tids[0] = all.tids[b];
        const double w = last ? 1.0 : (double)lens[b];
        float *lo;
        size_t ro;
        loss_sum += float_loss_grad(m, &one, &l, 0, &lo, &ro) * w;
        for (size_t i = 0; i < P; i++) grad_sum[i] += model_tensor_at(m, 0)->grad[i] * w;
        for (size_t r = 0; r < ro; r++) {
            const size_t ra = last ? b : r * B + b;
            for (size_t j = 0; j < C; j++)
                cr_expect_float_eq(keep[ra * C + j], lo[r * C + j], 1e-5f,
                                   "sequence %zu row %zu class %zu", b, r, j);
        }
    }
    cr_expect(fabs(loss_all - loss_sum) < 1e-4, "loss %.7g vs %.7g", loss_all, loss_sum);
    for (size_t i = 0; i < P; i++)
        cr_expect(fabs(grad_all[i] - grad_sum[i]) < 1e-4, "grad[%zu] padded %.7g vs alone %.7g", i,
                  grad_all[i], grad_sum[i]);
    free(keep);
    free(grad_all);
    free(grad_sum);
    loss_close(&l);
    model_free(m);
}

Test(model, padding_equals_unpadded_per_step) {
    padding_case(spec_make(RNNLAB_INPUT_IDS, 5, 4, 2, 1, 3, RNNLAB_HEAD_PER_STEP, act("tanh")), 31);
}

Test(model, padding_equals_unpadded_last_step) {
    padding_case(spec_make(RNNLAB_INPUT_DENSE, 3, 4, 2, 1, 3, RNNLAB_HEAD_LAST, act("tanh")), 32);
}

/* Padding outputs are zero (pad_packed_sequence) in every layer's view. */
Test(model, padding_outputs_are_zero) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 5, 3, 1, 1, 2, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 33);
    tbatch tb;
    const int32_t lens[] = {2, 4};
    tbatch_fill(&tb, &s, 4, 2, lens, 7);
    float *logits;
    size_t rows;
    cr_assert_eq(model_forward(m, &tb.b, 0, &logits, &rows, &g_err), RNNLAB_OK, "%s", g_err.msg);
    const float *h = model_hidden_states(m); /* (T, B, 6) */
    for (size_t t = 2; t < 4; t++)
        for (size_t j = 0; j < 6; j++)
            cr_expect(h[(t * 2 + 0) * 6 + j] == 0.0f, "t=%zu j=%zu", t, j);
    for (size_t j = 0; j < 6; j++) cr_expect(h[(3 * 2 + 1) * 6 + j] != 0.0f);
    model_free(m);
}

/* ---- carry (truncated BPTT) ---------------------------------------------- */

/* Two chunks with carry give the same outputs as one long forward, also for a
 * sequence that ends early in chunk 1 (its state is carried from its last
 * real step). */
Test(model, carry_equals_long_sequence) {
    model_spec s = spec_make(RNNLAB_INPUT_DENSE, 3, 4, 2, 0, 2, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 41);
    const size_t F = 3, H = 4;
    tbatch lng, c1, c2;
    const int32_t full[] = {6, 4}, l1[] = {3, 1}, l2[] = {3, 3};
    tbatch_fill(&lng, &s, 6, 2, full, 8);
    tbatch_fill(&c1, &s, 3, 2, l1, 9);
    tbatch_fill(&c2, &s, 3, 2, l2, 10);
    /* sequence 0: steps 0-2 in chunk 1, 3-5 in chunk 2; sequence 1: step 0 in
     * chunk 1, steps 1-3 in chunk 2. */
    for (size_t t = 0; t < 6; t++) {
        float *dst = t < 3 ? &c1.x[(t * 2 + 0) * F] : &c2.x[((t - 3) * 2 + 0) * F];
        memcpy(dst, &lng.x[(t * 2 + 0) * F], F * sizeof(float));
    }
    for (size_t t = 0; t < 4; t++) {
        float *dst = t < 1 ? &c1.x[(t * 2 + 1) * F] : &c2.x[((t - 1) * 2 + 1) * F];
        memcpy(dst, &lng.x[(t * 2 + 1) * F], F * sizeof(float));
    }
    float *lo;
    size_t rows;
    cr_assert_eq(model_forward(m, &lng.b, 0, &lo, &rows, &g_err), RNNLAB_OK, "%s", g_err.msg);
    float want[6 * 2 * 4];
    memcpy(want, model_hidden_states(m), sizeof want);

    model_reset_state(m);
    cr_assert_eq(model_forward(m, &c1.b, 1, &lo, &rows, &g_err), RNNLAB_OK, "%s", g_err.msg);
    cr_assert_eq(model_forward(m, &c2.b, 1, &lo, &rows, &g_err), RNNLAB_OK, "%s", g_err.msg);
    const float *h = model_hidden_states(m);
    for (size_t t = 0; t < 3; t++)
        for (size_t j = 0; j < H; j++) {
            cr_expect_float_eq(h[(t * 2 + 0) * H + j], want[((t + 3) * 2 + 0) * H + j], 1e-6f,
                               "seq 0 t=%zu", t + 3);
            cr_expect_float_eq(h[(t * 2 + 1) * H + j], want[((t + 1) * 2 + 1) * H + j], 1e-6f,
                               "seq 1 t=%zu", t + 1);
        }

    /* After a reset, carry starts from zero: the same as no carry. */
    model_reset_state(m);
    cr_assert_eq(model_forward(m, &c2.b, 1, &lo, &rows, &g_err), RNNLAB_OK);
    float a[3 * 2 * 4];
    memcpy(a, model_hidden_states(m), sizeof a);
    cr_assert_eq(model_forward(m, &c2.b, 0, &lo, &rows, &g_err), RNNLAB_OK);
    cr_expect(memcmp(a, model_hidden_states(m), sizeof a) == 0);
    model_free(m);
}

/* No gradient flows into the carried state: chunk 1 uses only ids 5 and 6,
 * chunk 2 only ids 0..4, so with carry the W_ih columns 5 and 6 (reachable
 * from chunk 2's loss only through h0) must get exactly zero gradient. */
Test(model, carry_cuts_the_graph_at_h0) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 7, 3, 1, 0, 3, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 42);
    loss_ref l = loss_open("softmax_xent");
    tbatch c1, c2;
    const int32_t lens[] = {3, 3};
    tbatch_fill(&c1, &s, 3, 2, lens, 11);
    tbatch_fill(&c2, &s, 3, 2, lens, 12);
    for (size_t r = 0; r < 6; r++) {
        c1.ids[r] = 5 + (int32_t)(r % 2);
        c2.ids[r] = (int32_t)(r % 5);
    }
    float *lo;
    size_t rows;
    cr_assert_eq(model_forward(m, &c1.b, 0, &lo, &rows, &g_err), RNNLAB_OK);
    float_loss_grad(m, &c2, &l, 1, NULL, NULL);
    const model_tensor *w_ih = model_tensor_at(m, 0); /* (3, 7) */
    double other = 0.0;
    for (size_t j = 0; j < 3; j++) {
        cr_expect(w_ih->grad[j * 7 + 5] == 0.0f && w_ih->grad[j * 7 + 6] == 0.0f,
                  "gradient leaked through the carried state into row %zu", j);
        other += fabs(w_ih->grad[j * 7 + 0]);
    }
    cr_expect(other > 0.0, "chunk 2's own ids must get gradient");
    /* and the carry did change chunk 2's states (h0 was not zero) */
    float h_carried[3 * 2 * 3];
    memcpy(h_carried, model_hidden_states(m), sizeof h_carried);
    cr_assert_eq(model_forward(m, &c2.b, 0, &lo, &rows, &g_err), RNNLAB_OK);
    cr_expect(memcmp(h_carried, model_hidden_states(m), sizeof h_carried) != 0);
    loss_close(&l);
    model_free(m);
}

/* model_backward adds: a second call with the same dlogits doubles every
 * gradient. */
Test(model, backward_accumulates) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 4, 3, 2, 1, 3, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 44);
    tbatch tb;
    const int32_t lens[] = {3, 2};
    tbatch_fill(&tb, &s, 3, 2, lens, 13);
    float *lo;
    size_t rows;
    cr_assert_eq(model_forward(m, &tb.b, 0, &lo, &rows, &g_err), RNNLAB_OK);
    float dl[18];
    for (size_t i = 0; i < 18; i++) dl[i] = (float)i * 0.01f - 0.05f;
    const size_t P = model_num_params(m);
    const float *g = model_tensor_at(m, 0)->grad;
    float *g1 = malloc(P * sizeof *g1);
    cr_assert(g1);
    model_zero_grad(m);
    cr_assert_eq(model_backward(m, dl, NULL, &g_err), RNNLAB_OK);
    memcpy(g1, g, P * sizeof *g1);
    cr_assert_eq(model_backward(m, dl, NULL, &g_err), RNNLAB_OK);
    for (size_t i = 0; i < P; i++) cr_expect_float_eq(g[i], 2.0f * g1[i], 1e-6f, "grad[%zu]", i);
    free(g1);
    model_free(m);
}

Test(model, carry_with_bidirectional_is_an_error) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 4, 3, 1, 1, 3, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 43);
    tbatch tb;
    const int32_t lens[] = {2};
    tbatch_fill(&tb, &s, 2, 1, lens, 1);
    float *lo;
    size_t rows;
    cr_expect_eq(model_forward(m, &tb.b, 1, &lo, &rows, &g_err), RNNLAB_ERR_INVALID);
    cr_expect(strstr(g_err.msg, "bidirectional"), "message: %s", g_err.msg);
    model_free(m);
}

/* ---- errors ---------------------------------------------------------------- */

Test(model, id_out_of_range_names_step_and_sequence) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 4, 3, 1, 0, 3, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 51);
    tbatch tb;
    const int32_t lens[] = {3, 2};
    tbatch_fill(&tb, &s, 3, 2, lens, 1);
    tb.ids[1 * 2 + 1] = 4;
    float *lo;
    size_t rows;
    cr_expect_eq(model_forward(m, &tb.b, 0, &lo, &rows, &g_err), RNNLAB_ERR_INVALID);
    cr_expect(strstr(g_err.msg, "t=1") && strstr(g_err.msg, "b=1") && strstr(g_err.msg, "= 4"),
              "message: %s", g_err.msg);
    tb.ids[1 * 2 + 1] = -1;
    cr_expect_eq(model_forward(m, &tb.b, 0, &lo, &rows, &g_err), RNNLAB_ERR_INVALID);
    model_free(m);
}

Test(model, bad_batches_are_rejected) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 4, 3, 1, 0, 3, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 52);
    tbatch tb;
    const int32_t lens[] = {3, 2};
    tbatch_fill(&tb, &s, 3, 2, lens, 1);
    float dl[18] = {0};
    cr_expect_eq(model_backward(m, dl, NULL, &g_err), RNNLAB_ERR_INVALID, "backward first");
    float *lo;
    size_t rows;
    tb.b.T = 7; /* > max_T */
    cr_expect_eq(model_forward(m, &tb.b, 0, &lo, &rows, &g_err), RNNLAB_ERR_INVALID);
    cr_expect(strstr(g_err.msg, "max_T"), "message: %s", g_err.msg);
    tb.b.T = 3;
    tb.mask[2 * 2 + 1] = 1; /* contradicts lengths[1] = 2 */
    cr_expect_eq(model_forward(m, &tb.b, 0, &lo, &rows, &g_err), RNNLAB_ERR_INVALID);
    cr_expect(strstr(g_err.msg, "mask[t=2][b=1]"), "message: %s", g_err.msg);
    tb.mask[2 * 2 + 1] = 0;
    tb.lengths[0] = 4;
    cr_expect_eq(model_forward(m, &tb.b, 0, &lo, &rows, &g_err), RNNLAB_ERR_INVALID);
    cr_expect(strstr(g_err.msg, "lengths[0]"), "message: %s", g_err.msg);
    model_free(m);

    s.hidden_size = 0;
    model *bad = NULL;
    cr_expect_eq(model_create(&bad, &s, &g_err), RNNLAB_ERR_INVALID);
    cr_expect(strstr(g_err.msg, "hidden_size"), "message: %s", g_err.msg);
    cr_expect_null(bad);
}

Test(model, activation_error_propagates_with_its_message) {
    rnnlab_activation_ops boom = softsign;
    boom.forward = boom_fwd;
    model_spec s = spec_make(RNNLAB_INPUT_DENSE, 2, 2, 1, 0, 2, RNNLAB_HEAD_PER_STEP, &boom);
    model *m = model_make(&s, 53);
    /* one step from h0 = 0: |z| <= 2 * 1/sqrt(2) + 2 * 1/sqrt(2) < 3 at init */
    tbatch tb;
    const int32_t lens[] = {1};
    tbatch_fill(&tb, &s, 1, 1, lens, 1);
    float *lo;
    size_t rows;
    cr_assert_eq(model_forward(m, &tb.b, 0, &lo, &rows, &g_err), RNNLAB_OK, "%s", g_err.msg);
    model_tensor_at(m, 2)->data[0] = 100.0f; /* bias_ih pushes unit 0 above 3 */
    err_clear(&g_err);
    cr_expect_eq(model_forward(m, &tb.b, 0, &lo, &rows, &g_err), RNNLAB_ERR_NUMERIC);
    cr_expect(strstr(g_err.msg, "boom: input") && strstr(g_err.msg, "layer 0"), "message: %s",
              g_err.msg);
    model_free(m);
}

/* ---- dh norms --------------------------------------------------------------- */

/* T = 1, per-step head: dL/dh_0 = dlogits (B, C) x out.weight (C, H). */
Test(model, dh_norms_match_head_gradient) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 4, 3, 1, 0, 2, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 61);
    tbatch tb;
    const int32_t lens[] = {1, 1, 1};
    tbatch_fill(&tb, &s, 1, 3, lens, 2);
    float *lo;
    size_t rows;
    cr_assert_eq(model_forward(m, &tb.b, 0, &lo, &rows, &g_err), RNNLAB_OK);
    const float dl[6] = {0.5f, -1.0f, 0.25f, 0.0f, -2.0f, 1.5f};
    double norms[1];
    cr_assert_eq(model_backward(m, dl, norms, &g_err), RNNLAB_OK);
    const float *w = model_tensor_at(m, 4)->data; /* (2, 3) */
    double mean = 0.0;
    for (size_t b = 0; b < 3; b++) {
        double sq = 0.0;
        for (size_t j = 0; j < 3; j++) {
            double g = dl[b * 2] * w[j] + dl[b * 2 + 1] * w[3 + j];
            sq += g * g;
        }
        mean += sqrt(sq) / 3.0;
    }
    cr_expect(fabs(norms[0] - mean) < 1e-5, "dh_norms[0] = %g, want %g", norms[0], mean);
    model_free(m);
}

/* ---- initialisation and determinism ---------------------------------------- */

Test(model, same_seed_same_bytes) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 5, 4, 2, 1, 3, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *a = model_make(&s, 77), *b = model_make(&s, 77), *c = model_make(&s, 78);
    const size_t bytes = model_num_params(a) * sizeof(float);
    cr_expect(memcmp(model_tensor_at(a, 0)->data, model_tensor_at(b, 0)->data, bytes) == 0);
    cr_expect(memcmp(model_tensor_at(a, 0)->data, model_tensor_at(c, 0)->data, bytes) != 0);
    tbatch tb;
    const int32_t lens[] = {4, 2, 3};
    tbatch_fill(&tb, &s, 4, 3, lens, 1);
    float *la, *lb;
    size_t ra, rb;
    cr_assert_eq(model_forward(a, &tb.b, 0, &la, &ra, &g_err), RNNLAB_OK);
    cr_assert_eq(model_forward(b, &tb.b, 0, &lb, &rb, &g_err), RNNLAB_OK);
    cr_expect(ra == rb && memcmp(la, lb, ra * 3 * sizeof(float)) == 0);
    model_free(a);
    model_free(b);
    model_free(c);
}

/* torch's defaults: every rnn.* element in [-1/sqrt(H), 1/sqrt(H)], the head
 * in [-1/sqrt(H*dirs), 1/sqrt(H*dirs)]; and the first draw of the rng lands
 * in the first element of rnn.weight_ih_l0. */
Test(model, uniform_init_bounds_and_draw_order) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 5, 4, 1, 1, 3, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 81);
    for (size_t i = 0; i < model_num_tensors(m); i++) {
        model_tensor *t = model_tensor_at(m, i);
        const double k = i + 2 < model_num_tensors(m) ? 0.5 : 1.0 / sqrt(8.0);
        for (size_t j = 0; j < t->n; j++)
            cr_expect(fabs(t->data[j]) <= k, "%s[%zu] = %g beyond %g", t->name, j,
                      (double)t->data[j], k);
    }
    rnnlab_rng rng;
    rng_seed(&rng, 81, 0);
    const float first = (float)(-0.5 + 1.0 * rng_uniform(&rng));
    cr_expect_float_eq(model_tensor_at(m, 0)->data[0], first, 0.0f);
    model_free(m);
}

Test(model, other_inits) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 5, 4, 1, 0, 3, RNNLAB_HEAD_PER_STEP, act("tanh"));
    s.init = MODEL_INIT_ORTHOGONAL;
    s.init_scale = 0.9;
    model *m = model_make(&s, 91);
    const float *w = model_tensor_at(m, 1)->data; /* W_hh (4, 4) */
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++) {
            double dot = 0.0;
            for (size_t k = 0; k < 4; k++) dot += (double)w[k * 4 + i] * w[k * 4 + j];
            cr_expect(fabs(dot - (i == j ? 0.81 : 0.0)) < 1e-5, "W^T W [%zu,%zu] = %g", i, j, dot);
        }
    for (size_t j = 0; j < 4; j++)
        cr_expect(model_tensor_at(m, 2)->data[j] == 0.0f && model_tensor_at(m, 3)->data[j] == 0.0f);
    const double xav = sqrt(6.0 / 9.0);
    for (size_t j = 0; j < 20; j++) cr_expect(fabs(model_tensor_at(m, 0)->data[j]) <= xav);
    model_free(m);

    s.init = MODEL_INIT_IDENTITY;
    s.init_scale = 0.5;
    m = model_make(&s, 92);
    w = model_tensor_at(m, 1)->data;
    for (size_t i = 0; i < 16; i++) cr_expect(w[i] == (i % 5 == 0 ? 0.5f : 0.0f));
    for (size_t j = 0; j < 20; j++) cr_expect(fabs(model_tensor_at(m, 0)->data[j]) < 0.01);
    model_free(m);

    s.init = MODEL_INIT_XAVIER;
    m = model_make(&s, 93);
    for (size_t j = 0; j < 16; j++)
        cr_expect(fabs(model_tensor_at(m, 1)->data[j]) <= sqrt(6.0 / 8.0));
    for (size_t j = 0; j < 4; j++) cr_expect(model_tensor_at(m, 2)->data[j] == 0.0f);
    model_free(m);
}

/* Buffers are sized once at creation: the same addresses come back. */
Test(model, workspaces_are_reused) {
    model_spec s = spec_make(RNNLAB_INPUT_IDS, 5, 3, 1, 0, 2, RNNLAB_HEAD_PER_STEP, act("tanh"));
    model *m = model_make(&s, 95);
    tbatch a, b;
    const int32_t la[] = {6, 6, 6}, lb[] = {1};
    tbatch_fill(&a, &s, 6, 3, la, 1);
    tbatch_fill(&b, &s, 1, 1, lb, 2);
    float *l1, *l2;
    size_t r1, r2;
    cr_assert_eq(model_forward(m, &a.b, 0, &l1, &r1, &g_err), RNNLAB_OK);
    const float *h1 = model_hidden_states(m);
    cr_assert_eq(model_forward(m, &b.b, 0, &l2, &r2, &g_err), RNNLAB_OK);
    cr_expect(l1 == l2 && h1 == model_hidden_states(m) && r1 == 18 && r2 == 1);
    model_free(m);
}

/* ---- fixture for bench/parity_torch.py -------------------------------------- */

static void dump_floats(FILE *f, const char *tag, const char *name, const float *v, size_t n) {
    fprintf(f, "%s %s %zu", tag, name, n);
    for (size_t i = 0; i < n; i++) fprintf(f, " %.9g", (double)v[i]);
    fputc('\n', f);
}

static void dump_ints(FILE *f, const char *tag, const int32_t *v, size_t n) {
    fprintf(f, "%s %zu", tag, n);
    for (size_t i = 0; i < n; i++) fprintf(f, " %d", (int)v[i]);
    fputc('\n', f);
}

/* Writes one case: spec, batch, parameters, float logits and gradients under
 * softmax_xent. The optional bench/parity_torch.py replays it in PyTorch. */
static void dump_case(FILE *f, const char *act_name, uint64_t seed, model_spec s0,
                      const int32_t *lens, size_t T, size_t B) {
    const model_spec *s = &s0;
    model *m = model_make(s, seed);
    loss_ref l = loss_open("softmax_xent");
    tbatch tb;
    tbatch_fill(&tb, s, T, B, lens, seed);
    float *logits;
    size_t rows;
    float_loss_grad(m, &tb, &l, 0, &logits, &rows);
    const size_t F = s->input_kind == RNNLAB_INPUT_DENSE ? s->input_size : 0;
    fprintf(f, "case %s %zu %zu %zu %d %zu %s %zu %zu %s\n",
            s->input_kind == RNNLAB_INPUT_IDS ? "ids" : "dense", s->input_size, s->hidden_size,
            s->num_layers, s->bidirectional, s->output_size,
            s->head == RNNLAB_HEAD_LAST ? "last" : "per_step", T, B, act_name);
    dump_ints(f, "lengths", tb.lengths, B);
    dump_ints(f, "ids", tb.ids, T * B);
    dump_floats(f, "x", "-", tb.x, T * B * F);
    dump_ints(f, "target_ids", tb.tids, s->head == RNNLAB_HEAD_LAST ? B : T * B);
    for (size_t i = 0; i < model_num_tensors(m); i++) {
        const model_tensor *t = model_tensor_at(m, i);
        dump_floats(f, "param", t->name, t->data, t->n);
    }
    dump_floats(f, "logits", "-", logits, rows * s->output_size);
    for (size_t i = 0; i < model_num_tensors(m); i++) {
        const model_tensor *t = model_tensor_at(m, i);
        dump_floats(f, "grad", t->name, t->grad, t->n);
    }
    loss_close(&l);
    model_free(m);
}

Test(model, write_torch_parity_fixture) {
    const char *dir = getenv("RNNLAB_TEST_BUILD_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/model_parity.txt", dir ? dir : ".");
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    const int32_t lens[] = {5, 2, 4}, lens1[] = {3, 1, 2};
    dump_case(f, "tanh", 101,
              spec_make(RNNLAB_INPUT_IDS, 5, 4, 2, 1, 3, RNNLAB_HEAD_PER_STEP, act("tanh")), lens,
              5, 3);
    dump_case(f, "tanh", 102,
              spec_make(RNNLAB_INPUT_DENSE, 3, 4, 2, 1, 3, RNNLAB_HEAD_LAST, act("tanh")), lens, 5,
              3);
    dump_case(f, "relu", 103,
              spec_make(RNNLAB_INPUT_DENSE, 3, 4, 1, 0, 2, RNNLAB_HEAD_LAST, act("relu")), lens1, 3,
              3);
    cr_assert(!ferror(f) && fclose(f) == 0, "writing %s failed", path);
}
