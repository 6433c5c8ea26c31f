/* bench_rnn.c -- rnnlab's side of bench/run: training, inference and
 * sampling throughput of one Elman char model, and the process's peak RSS.
 *
 *   bench_rnn V H B T THREADS [SECONDS [MODE]]
 *
 * MODE is [train] reproducible: machine (default) or portable.
 *
 * The model is built directly from core/model.h with the real tanh,
 * softmax_xent and sgd plugins dlopen'ed from the build's plugin folder, and
 * a training step does exactly core/train.c's train_step work: forward (with
 * carry, as a stateful LM), loss with dlogits, zero_grad, backward, the
 * gradient norm in double, clip_grad_norm_ (max norm 1), and one SGD step
 * (lr 0.1, momentum 0.9) per tensor. Inputs and targets are uniform random
 * ids from a fixed seed (the three implementations in bench/ use the same
 * kind of data; token values do not change the work).
 *
 * Prints one line of key=value pairs for bench/run to parse:
 *   train_tok_s  tokens trained per second (T*B per step)
 *   infer_tok_s  tokens per second of forward + loss without gradients
 *   sample_tok_s B=1, T=1 steps with the state carried, plus sampling from
 *                the softmax: generation speed (only when B == 1)
 *   rss_mb       peak resident set (getrusage ru_maxrss)
 *   base_mb      peak RSS before the model was created (libraries, plugins)
 *   theory_mb    params + grads + momentum + saved activations (h, z,
 *                logits, dlogits), the floor any implementation needs */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/gemm.h"
#include "core/host.h"
#include "core/model.h"
#include "core/rnnlab_build.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "bench_rnn: %s: %s\n", what, msg);
    exit(1);
}

/* The component `name` of `kind` from <plugin dir>/<name>.so. */
static const rnnlab_component *plugin(const rnnlab_host *host, const char *name, rnnlab_kind kind) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.so", RNNLAB_BUILD_PLUGIN_DIR, name);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) die(path, dlerror());
    void *sym = dlsym(h, RNNLAB_PLUGIN_ENTRY_SYMBOL);
    if (!sym) die(path, "no entry symbol");
    rnnlab_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    for (const rnnlab_component *const *c = entry(host)->components; c && *c; c++)
        if ((*c)->kind == kind && strcmp((*c)->name, name) == 0) return *c;
    die(path, "component not found");
    return NULL;
}

typedef struct bench {
    size_t V, H, B, T;
    rnnlab_host *host;
    rnnlab_err err;
    model *m;
    const rnnlab_loss_ops *loss;
    void *loss_self;
    const rnnlab_optimizer_ops *opt;
    void *opt_self;
    float **mom; /* one momentum buffer per tensor */
    rnnlab_batch batch;
    float *dlogits;
    rnnlab_rng rng;
    uint64_t steps;
} bench;

static void check(bench *b, int rc, const char *what) {
    if (rc != RNNLAB_OK) die(what, b->err.msg);
}

static void fill_batch(bench *b) {
    const size_t n = b->batch.T * b->batch.B;
    for (size_t i = 0; i < n; i++) {
        b->batch.ids[i] = (int32_t)rng_below(&b->rng, b->V);
        b->batch.target_ids[i] = (int32_t)rng_below(&b->rng, b->V);
    }
}

/* One training step, as core/train.c's train_step does it. */
static double train_step(bench *b) {
    float *logits;
    size_t rows, correct;
    double loss;
    check(b, model_forward(b->m, &b->batch, b->steps > 0, &logits, &rows, &b->err), "forward");
    rnnlab_loss_batch lb = {rows, b->V, b->batch.target_ids, NULL, b->batch.target_mask};
    check(b, b->loss->forward(b->loss_self, logits, &lb, &loss, &correct, b->dlogits), "loss");
    model_zero_grad(b->m);
    check(b, model_backward(b->m, b->dlogits, NULL, &b->err), "backward");
    const size_t nt = model_num_tensors(b->m);
    double sq = 0.0;
    for (size_t i = 0; i < nt; i++) {
        const model_tensor *t = model_tensor_at(b->m, i);
        for (size_t k = 0; k < t->n; k++) sq += (double)t->grad[k] * t->grad[k];
    }
    const double coef = 1.0 / (sqrt(sq) + 1e-6);
    if (coef < 1.0)
        for (size_t i = 0; i < nt; i++) {
            model_tensor *t = model_tensor_at(b->m, i);
            for (size_t k = 0; k < t->n; k++) t->grad[k] *= (float)coef;
        }
    b->steps++;
    rnnlab_optim_step info = {1.0, b->steps};
    for (size_t i = 0; i < nt; i++) {
        model_tensor *t = model_tensor_at(b->m, i);
        check(b, b->opt->step(b->opt_self, &info, t->data, t->grad, &b->mom[i], t->n), "sgd");
    }
    return loss;
}

static void infer_step(bench *b) {
    float *logits;
    size_t rows, correct;
    double loss;
    check(b, model_forward(b->m, &b->batch, 1, &logits, &rows, &b->err), "forward");
    rnnlab_loss_batch lb = {rows, b->V, b->batch.target_ids, NULL, b->batch.target_mask};
    check(b, b->loss->forward(b->loss_self, logits, &lb, &loss, &correct, NULL), "loss");
}

/* Generates one token from the carried state: softmax of the logits and a
 * draw from it; the token feeds the next step. */
static int32_t sample_step(bench *b, int32_t prev) {
    float *logits;
    size_t rows;
    rnnlab_batch one = b->batch;
    int32_t id = prev;
    uint8_t on = 1;
    one.T = 1;
    one.B = 1;
    one.ids = &id;
    one.mask = &on;
    one.lengths = NULL;
    check(b, model_forward(b->m, &one, 1, &logits, &rows, &b->err), "forward");
    float mx = logits[0];
    for (size_t c = 1; c < b->V; c++) mx = logits[c] > mx ? logits[c] : mx;
    double sum = 0.0;
    for (size_t c = 0; c < b->V; c++) sum += exp((double)(logits[c] - mx));
    double u = rng_uniform(&b->rng) * sum, acc = 0.0;
    for (size_t c = 0; c < b->V; c++) {
        acc += exp((double)(logits[c] - mx));
        if (acc >= u) return (int32_t)c;
    }
    return (int32_t)(b->V - 1);
}

/* Runs fn until `seconds` have passed (at least `min_reps`), after `warm`
 * untimed calls; returns calls per second. */
#define TIMED(rate, warm, min_reps, seconds, call)    \
    do {                                              \
        for (int w_ = 0; w_ < (warm); w_++) call;     \
        double t0_ = now(), dt_ = 0.0;                \
        long n_ = 0;                                  \
        do {                                          \
            call;                                     \
            n_++;                                     \
            dt_ = now() - t0_;                        \
        } while (n_ < (min_reps) || dt_ < (seconds)); \
        (rate) = (double)n_ / dt_;                    \
    } while (0)

static void setup(bench *b, size_t threads) {
    err_clear(&b->err);
    b->host = host_create(&b->err, NULL, RNNLAB_LOG_WARN);
    const rnnlab_component *act = plugin(b->host, "tanh", RNNLAB_KIND_ACTIVATION);
    const rnnlab_component *loss = plugin(b->host, "softmax_xent", RNNLAB_KIND_LOSS);
    const rnnlab_component *opt = plugin(b->host, "sgd", RNNLAB_KIND_OPTIMIZER);
    b->loss = loss->ops;
    b->opt = opt->ops;
    rnnlab_value lv[1] = {{.r = 0.0, .s = "0"}};
    check(b, b->loss->create(b->host, lv, &b->loss_self), "loss create");
    /* lr, momentum, dampening, nesterov, weight_decay, as in sgd.c's schema */
    rnnlab_value ov[5] = {{.r = 0.1}, {.r = 0.9}, {.r = 0.0}, {.i = 0}, {.r = 0.0}};
    check(b, b->opt->create(b->host, ov, &b->opt_self), "sgd create");

    model_spec spec = {
        .input_kind = RNNLAB_INPUT_IDS,
        .input_size = b->V,
        .hidden_size = b->H,
        .num_layers = 1,
        .output_size = b->V,
        .head = RNNLAB_HEAD_PER_STEP,
        .max_T = b->T,
        .max_B = b->B,
        .act = act->ops,
        .init = MODEL_INIT_UNIFORM,
        .init_scale = 1.0,
        .threads = threads,
    };
    check(b, model_create(&b->m, &spec, &b->err), "model_create");
    rng_seed(&b->rng, 1234, 0);
    model_init_params(b->m, &b->rng);
    const size_t nt = model_num_tensors(b->m), n = b->T * b->B;
    b->mom = calloc(nt, sizeof *b->mom);
    for (size_t i = 0; i < nt && b->mom; i++)
        b->mom[i] = calloc(model_tensor_at(b->m, i)->n, sizeof **b->mom);
    b->batch = (rnnlab_batch){.T = b->T, .B = b->B};
    b->batch.ids = calloc(n, sizeof *b->batch.ids);
    b->batch.target_ids = calloc(n, sizeof *b->batch.target_ids);
    b->batch.mask = malloc(n);
    b->batch.target_mask = malloc(n);
    b->dlogits = calloc(n * b->V, sizeof *b->dlogits);
    if (!b->mom || !b->batch.ids || !b->batch.target_ids || !b->batch.mask ||
        !b->batch.target_mask || !b->dlogits)
        die("setup", "out of memory");
    memset(b->batch.mask, 1, n);
    memset(b->batch.target_mask, 1, n);
    fill_batch(b);
}

int main(int argc, char **argv) {
    if (argc < 6 || argc > 8) {
        fprintf(stderr, "usage: bench_rnn V H B T THREADS [SECONDS [machine|portable]]\n");
        return 2;
    }
    bench b;
    memset(&b, 0, sizeof b);
    b.V = strtoul(argv[1], NULL, 10);
    b.H = strtoul(argv[2], NULL, 10);
    b.B = strtoul(argv[3], NULL, 10);
    b.T = strtoul(argv[4], NULL, 10);
    const size_t threads = strtoul(argv[5], NULL, 10);
    const double seconds = argc >= 7 ? atof(argv[6]) : 1.0;
    if (argc == 8 && strcmp(argv[7], "portable") != 0 && strcmp(argv[7], "machine") != 0)
        die(argv[7], "MODE must be machine or portable");
    gemm_set_mode(argc == 8 && strcmp(argv[7], "portable") == 0 ? GEMM_MODE_PORTABLE
                                                                : GEMM_MODE_MACHINE);
    if (!b.V || !b.H || !b.B || !b.T || !threads) die("arguments", "sizes must be positive");
    const double base_mb = peak_rss_mb();
    setup(&b, threads);

    const double tok = (double)(b.T * b.B);
    double train_rate, infer_rate, sample_rate = 0.0;
    double loss0 = train_step(&b);
    TIMED(train_rate, 2, 3, seconds, train_step(&b));
    TIMED(infer_rate, 2, 3, seconds / 2, infer_step(&b));
    if (b.B == 1) {
        int32_t id = 0;
        model_reset_state(b.m);
        TIMED(sample_rate, 16, 64, seconds / 2, (id = sample_step(&b, id)));
    }
    const double P = (double)model_num_params(b.m);
    const double acts = tok * (double)(3 * b.H + 2 * b.V) + (double)(b.B * b.H);
    const double theory_mb = 4.0 * (3.0 * P + acts) / (1024.0 * 1024.0);
    printf("rnnlab V=%zu H=%zu B=%zu T=%zu threads=%zu mode=%s isa=%s backend=\"%s\" "
           "train_tok_s=%.0f "
           "infer_tok_s=%.0f sample_tok_s=%.0f rss_mb=%.1f base_mb=%.1f theory_mb=%.1f "
           "loss0=%.4f\n",
           b.V, b.H, b.B, b.T, threads, gemm_mode_name(gemm_get_mode()), gemm_kernel_isa(),
           gemm_backend_name(), train_rate * tok, infer_rate * tok, sample_rate, peak_rss_mb(),
           base_mb, theory_mb, loss0);

    for (size_t i = 0; i < model_num_tensors(b.m); i++) free(b.mom[i]);
    free(b.mom);
    free(b.batch.ids);
    free(b.batch.target_ids);
    free(b.batch.mask);
    free(b.batch.target_mask);
    free(b.dlogits);
    model_free(b.m);
    b.loss->destroy(b.loss_self);
    b.opt->destroy(b.opt_self);
    host_destroy(b.host);
    return 0;
}
