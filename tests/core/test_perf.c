/* test_perf.c -- the performance work's guarantees, none timing-based:
 *  - the steady-state training step (model forward, the softmax_xent and
 *    sgd plugins, backward) allocates nothing: malloc/calloc/realloc are
 *    wrapped at link time (-Wl,--wrap, tests/meson.build) and counted, and
 *    glibc's mallinfo2() shows no heap growth (which also covers the GEMM
 *    library's own allocations);
 *  - two models with the same seed and thread count train to the same bytes,
 *    at 2 threads, on shapes big enough that the GEMM library does split its
 *    products (gemm.c's GEMM_PARALLEL_MIN_FLOPS);
 *  - the hand-vectorised small-m kernel behind gemm_f32 matches the portable
 *    kernel on the shapes it takes (m <= 4, every column-block path). */
#include <criterion/criterion.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/gemm.h"
#include "core/host.h"
#include "core/model.h"
#include "plugin_util.h"

/* ---- counting allocator --------------------------------------------------- */

static long g_allocs;
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

void *__wrap_malloc(size_t size) {
    g_allocs++;
    return __real_malloc(size);
}
void *__wrap_calloc(size_t n, size_t size) {
    g_allocs++;
    return __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t size) {
    g_allocs++;
    return __real_realloc(p, size);
}

/* ---- a training rig: model + real plugins -------------------------------- */

static rnnlab_err g_err;
static rnnlab_host *g_host;

static void setup(void) {
    err_clear(&g_err);
    g_host = host_create(&g_err, NULL, RNNLAB_LOG_WARN);
    cr_assert(g_host);
}

static void teardown(void) { host_destroy(g_host); }

TestSuite(perf, .init = setup, .fini = teardown);

typedef struct rig {
    size_t V, T, B;
    model *m;
    const rnnlab_loss_ops *loss;
    void *loss_self;
    const rnnlab_optimizer_ops *opt;
    void *opt_self;
    float *mom[8];
    rnnlab_batch b;
    int32_t *ids, *tids;
    uint8_t *mask;
    float *dlogits;
    uint64_t steps;
} rig;

static void rig_open(rig *r, size_t V, size_t H, size_t T, size_t B, size_t threads) {
    memset(r, 0, sizeof *r);
    r->V = V;
    r->T = T;
    r->B = B;
    const rnnlab_component *act = test_component(g_host, "tanh", RNNLAB_KIND_ACTIVATION, "tanh");
    const rnnlab_component *loss =
        test_component(g_host, "softmax_xent", RNNLAB_KIND_LOSS, "softmax_xent");
    const rnnlab_component *opt = test_component(g_host, "sgd", RNNLAB_KIND_OPTIMIZER, "sgd");
    cr_assert(act && loss && opt, "plugins tanh, softmax_xent, sgd not found");
    rnnlab_value v[8];
    r->loss = loss->ops;
    test_defaults(loss->params, v);
    cr_assert_eq(r->loss->create(g_host, v, &r->loss_self), RNNLAB_OK, "%s", g_err.msg);
    r->opt = opt->ops;
    test_defaults(opt->params, v);
    test_set(opt->params, v, "momentum", "0.9");
    cr_assert_eq(r->opt->create(g_host, v, &r->opt_self), RNNLAB_OK, "%s", g_err.msg);
    model_spec s = {
        .input_kind = RNNLAB_INPUT_IDS,
        .input_size = V,
        .hidden_size = H,
        .num_layers = 1,
        .output_size = V,
        .head = RNNLAB_HEAD_PER_STEP,
        .max_T = T,
        .max_B = B,
        .act = act->ops,
        .init = MODEL_INIT_UNIFORM,
        .init_scale = 1.0,
        .threads = threads,
    };
    cr_assert_eq(model_create(&r->m, &s, &g_err), RNNLAB_OK, "%s", g_err.msg);
    rnnlab_rng rng;
    rng_seed(&rng, 77, 0);
    model_init_params(r->m, &rng);
    cr_assert(model_num_tensors(r->m) <= 8);
    for (size_t i = 0; i < model_num_tensors(r->m); i++) {
        r->mom[i] = calloc(model_tensor_at(r->m, i)->n, sizeof *r->mom[i]);
        cr_assert(r->mom[i]);
    }
    r->ids = calloc(T * B, sizeof *r->ids);
    r->tids = calloc(T * B, sizeof *r->tids);
    r->mask = malloc(T * B);
    r->dlogits = calloc(T * B * V, sizeof *r->dlogits);
    cr_assert(r->ids && r->tids && r->mask && r->dlogits);
    memset(r->mask, 1, T * B);
    for (size_t i = 0; i < T * B; i++) {
        r->ids[i] = (int32_t)rng_below(&rng, V);
        r->tids[i] = (int32_t)rng_below(&rng, V);
    }
    r->b = (rnnlab_batch){.T = T,
                          .B = B,
                          .ids = r->ids,
                          .mask = r->mask,
                          .target_ids = r->tids,
                          .target_mask = r->mask};
}

static void rig_close(rig *r) {
    for (size_t i = 0; i < 8; i++) free(r->mom[i]);
    free(r->ids);
    free(r->tids);
    free(r->mask);
    free(r->dlogits);
    model_free(r->m);
    r->loss->destroy(r->loss_self);
    r->opt->destroy(r->opt_self);
}

/* One step of core/train.c's train_step work (without clipping, which is
 * the trainer's own loop over the gradients). */
static void rig_step(rig *r) {
    float *logits;
    size_t rows, correct;
    double loss;
    cr_assert_eq(model_forward(r->m, &r->b, r->steps > 0, &logits, &rows, &g_err), RNNLAB_OK, "%s",
                 g_err.msg);
    rnnlab_loss_batch lb = {rows, r->V, r->tids, NULL, r->mask};
    cr_assert_eq(r->loss->forward(r->loss_self, logits, &lb, &loss, &correct, r->dlogits),
                 RNNLAB_OK, "%s", g_err.msg);
    model_zero_grad(r->m);
    cr_assert_eq(model_backward(r->m, r->dlogits, NULL, &g_err), RNNLAB_OK, "%s", g_err.msg);
    r->steps++;
    rnnlab_optim_step info = {1.0, r->steps};
    for (size_t i = 0; i < model_num_tensors(r->m); i++) {
        model_tensor *t = model_tensor_at(r->m, i);
        cr_assert_eq(r->opt->step(r->opt_self, &info, t->data, t->grad, &r->mom[i], t->n),
                     RNNLAB_OK, "%s", g_err.msg);
    }
}

Test(perf, training_steps_do_not_allocate) {
    rig r;
    rig_open(&r, 65, 64, 16, 8, 1);
    cr_assert(g_allocs > 0, "the --wrap=malloc counter is not linked in: it saw no allocation");
    rig_step(&r); /* first use: lazy library set-up (dnnl's JIT) may allocate */
    rig_step(&r);
    const long before = g_allocs;
    const size_t heap_before = mallinfo2().uordblks;
    for (int i = 0; i < 5; i++) rig_step(&r);
    const long calls = g_allocs - before;
    const size_t heap_after = mallinfo2().uordblks;
    cr_expect_eq(calls, 0, "5 steady-state training steps called malloc/calloc/realloc %ld times",
                 calls);
    cr_expect(heap_after <= heap_before, "heap in use grew from %zu to %zu bytes over 5 steps",
              heap_before, heap_after);
    rig_close(&r);
}

Test(perf, same_seed_same_threads_same_bytes) {
    /* H = 256, T*B = 1024 rows: the head and weight-gradient products are
     * above the parallel threshold, so 2 threads really split them. */
    rig a, b;
    rig_open(&a, 65, 256, 32, 32, 2);
    rig_open(&b, 65, 256, 32, 32, 2);
    cr_assert_eq(gemm_threads(), strncmp(gemm_backend_name(), "builtin", 7) == 0 ? 1u : 2u);
    for (int i = 0; i < 3; i++) {
        rig_step(&a);
        rig_step(&b);
    }
    for (size_t i = 0; i < model_num_tensors(a.m); i++) {
        const model_tensor *ta = model_tensor_at(a.m, i), *tb = model_tensor_at(b.m, i);
        cr_expect(memcmp(ta->data, tb->data, ta->n * sizeof *ta->data) == 0,
                  "%s differs between two identical runs at 2 threads", ta->name);
    }
    rig_close(&a);
    rig_close(&b);
    gemm_set_threads(1);
}

/* gemm_f32 (small-m kernel when the CPU has one) against the portable
 * kernel, on every block path: 8*W-column blocks, W-column blocks, tails. */
Test(perf, small_m_kernel_matches_builtin) {
    rnnlab_rng rng;
    rng_seed(&rng, 5, 0);
    static const size_t ns[] = {1, 7, 16, 64, 100, 128, 135, 200, 257};
    static const size_t ks[] = {1, 37, 128};
    static const float betas[] = {0.0f, 1.0f, 0.5f};
    enum { PAD = 3, MAXN = 257 + PAD, MAXK = 128 + PAD };
    static float a[4 * MAXK], b[128 * MAXN], c1[4 * MAXN], c2[4 * MAXN];
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) a[i] = (float)rng_uniform(&rng) - 0.5f;
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) b[i] = (float)rng_uniform(&rng) - 0.5f;
    for (size_t m = 1; m <= 4; m++)
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
                for (size_t bi = 0; bi < 3; bi++) {
                    const size_t n = ns[ni], k = ks[ki], ldc = n + PAD;
                    for (size_t i = 0; i < m * ldc; i++) c1[i] = c2[i] = (float)rng_uniform(&rng);
                    if (betas[bi] == 0.0f)
                        for (size_t i = 0; i < m * ldc; i++) c1[i] = NAN; /* must not be read */
                    gemm_f32(0, 0, m, n, k, -0.5f, a, k + PAD, b, n + PAD, betas[bi], c1, ldc);
                    gemm_f32_builtin(0, 0, m, n, k, -0.5f, a, k + PAD, b, n + PAD, betas[bi], c2,
                                     ldc);
                    for (size_t i = 0; i < m; i++)
                        for (size_t j = 0; j < n; j++)
                            cr_assert(fabsf(c1[i * ldc + j] - c2[i * ldc + j]) <=
                                          1e-5f * (float)(k + 2),
                                      "%s kernel, m=%zu n=%zu k=%zu beta=%g: C[%zu,%zu] = %g, "
                                      "builtin %g",
                                      gemm_small_kernel_name(), m, n, k, (double)betas[bi], i, j,
                                      (double)c1[i * ldc + j], (double)c2[i * ldc + j]);
                }
}
