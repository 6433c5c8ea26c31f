/* train.c -- see train.h. */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "checkpoint.h"
#include "fileio.h"
#include "host.h"
#include "rnnlab_build.h"
#include "sha256.h"

static volatile sig_atomic_t stop_requested = 0;

void train_request_stop(void) { stop_requested = 1; }

/* Everything the loop needs, allocated before the first step. */
typedef struct trainer {
    session *s;
    const train_args *args;
    model *m;
    size_t ntensors;
    rnnlab_real **opt_state; /* per tensor: state_slots arrays */
    size_t slots;
    char **opt_names;        /* "optim.<tensor>.<slot>", ntensors * slots */
    rnnlab_batch batch;
    rnnlab_real *dlogits;
    double *dh_norms;
    double *diag_v, *diag_u; /* power-iteration vectors, (H) */
    unsigned char *diag_alive; /* per unit: positive anywhere in the batch */
    char *run_path;
    char *ckpt_last, *ckpt_best, *metrics_path;
    FILE *metrics;
    /* progress */
    uint64_t step;      /* optimizer steps taken */
    long epoch;         /* epochs completed */
    double lr_scale;
    double best_dev;
    long bad_epochs;    /* for early stopping */
    long plateau_bad;   /* for the plateau schedule */
    char *tok_state;    /* tokenizer and label state, for checkpoints */
    char *labels;
    char *label_names;  /* class names, one per line, for `rnnlab tag` */
    double t_start;
    double train_seconds;
    uint64_t tokens_total; /* real (unpadded) tokens trained on */
    int finished;
    /* Position inside the current epoch, for a checkpoint written on
     * interrupt: the next batch, and the epoch's running loss so far. */
    size_t batch_next;
    double epoch_loss_sum;
    size_t epoch_batches;
} trainer;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int is_lm(const session *s) { return s->info.stateful; }

/* ---- batches ------------------------------------------------------------ */

static int batch_alloc(rnnlab_batch *b, const rnnlab_data_info *info) {
    size_t T = info->max_len, B = info->batch_size;
    size_t out_rows = info->head == RNNLAB_HEAD_PER_STEP ? T * B : B;
    memset(b, 0, sizeof *b);
    b->ids = calloc(T * B, sizeof *b->ids);
    b->mask = calloc(T * B, 1);
    b->lengths = calloc(B, sizeof *b->lengths);
    b->target_mask = calloc(out_rows, 1);
    if (info->input_kind == RNNLAB_INPUT_DENSE) b->x = calloc(T * B * info->input_size, sizeof *b->x);
    if (info->target_kind == RNNLAB_TARGET_CLASS)
        b->target_ids = calloc(out_rows, sizeof *b->target_ids);
    else
        b->target_values = calloc(out_rows * info->output_size, sizeof *b->target_values);
    int ok = b->ids && b->mask && b->lengths && b->target_mask &&
             (info->input_kind != RNNLAB_INPUT_DENSE || b->x) && (b->target_ids || b->target_values);
    return ok ? RNNLAB_OK : RNNLAB_ERR_NOMEM;
}

static void batch_free(rnnlab_batch *b) {
    free(b->ids);
    free(b->x);
    free(b->mask);
    free(b->lengths);
    free(b->target_ids);
    free(b->target_values);
    free(b->target_mask);
    memset(b, 0, sizeof *b);
}

/* Asks the loader for batch i of a split and checks the shape it claims. */
static int next_batch(trainer *tr, rnnlab_split split, size_t i, rnnlab_err *err) {
    session *s = tr->s;
    const rnnlab_loader_ops *ld = &s->loader.comp->ops.loader;
    host_set_sink(s->host, err);
    int rc = ld->batch(s->loader_self, split, i, &tr->batch);
    if (rc != RNNLAB_OK) return err_prefix(err, "data loader '%s': ", s->loader.comp->name);
    if (tr->batch.T == 0 || tr->batch.T > s->info.max_len || tr->batch.B == 0 ||
        tr->batch.B > s->info.batch_size)
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "data loader '%s' (%s) returned a batch of T=%zu, B=%zu, outside its "
                       "declared T<=%zu, B<=%zu",
                       s->loader.comp->name, s->loader.comp->file, tr->batch.T, tr->batch.B,
                       s->info.max_len, s->info.batch_size);
    return RNNLAB_OK;
}

/* Scores the model's output for the current batch. */
static int score(trainer *tr, const rnnlab_real *logits, size_t rows, double *loss, size_t *correct,
                 size_t *counted, rnnlab_real *dlogits, rnnlab_err *err) {
    session *s = tr->s;
    rnnlab_loss_batch lb = {rows, s->info.output_size, tr->batch.target_ids,
                            tr->batch.target_values, tr->batch.target_mask};
    size_t n = 0;
    for (size_t r = 0; r < rows; r++) n += tr->batch.target_mask[r] != 0;
    *counted = n;
    host_set_sink(s->host, err);
    int rc = s->loss.comp->ops.loss.forward(s->loss_self, logits, &lb, loss, correct, dlogits);
    if (rc != RNNLAB_OK) return err_prefix(err, "loss '%s': ", s->loss.comp->name);
    return RNNLAB_OK;
}

/* ---- gradient clipping and the optimizer -------------------------------- */

static double grad_norm(trainer *tr) {
    double sum = 0.0;
    for (size_t i = 0; i < tr->ntensors; i++) {
        const model_tensor *t = model_tensor_at(tr->m, i);
        for (size_t k = 0; k < t->n; k++) sum += (double)t->grad[k] * t->grad[k];
    }
    return sqrt(sum);
}

/* torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when
 * that is below 1. */
static void clip_grads(trainer *tr, double norm) {
    const train_opts *o = &tr->s->train;
    if (o->clip_norm > 0.0) {
        double coef = o->clip_norm / (norm + 1e-6);
        if (coef < 1.0) {
            float c = (float)coef;
            for (size_t i = 0; i < tr->ntensors; i++) {
                model_tensor *t = model_tensor_at(tr->m, i);
                for (size_t k = 0; k < t->n; k++) t->grad[k] *= c;
            }
        }
    }
    if (o->clip_value > 0.0) {
        float v = (float)o->clip_value;
        for (size_t i = 0; i < tr->ntensors; i++) {
            model_tensor *t = model_tensor_at(tr->m, i);
            for (size_t k = 0; k < t->n; k++)
                t->grad[k] = t->grad[k] > v ? v : (t->grad[k] < -v ? -v : t->grad[k]);
        }
    }
}

static int optimizer_step(trainer *tr, rnnlab_err *err) {
    session *s = tr->s;
    const rnnlab_optimizer_ops *op = &s->optimizer.comp->ops.optimizer;
    rnnlab_optim_step info = {tr->lr_scale, tr->step + 1};
    host_set_sink(s->host, err);
    for (size_t i = 0; i < tr->ntensors; i++) {
        model_tensor *t = model_tensor_at(tr->m, i);
        int rc = op->step(s->opt_self, &info, t->data, t->grad, tr->opt_state + i * tr->slots, t->n);
        if (rc != RNNLAB_OK)
            return err_prefix(err, "optimizer '%s' on %s: ", s->optimizer.comp->name, t->name);
    }
    return RNNLAB_OK;
}

static double current_lr(const trainer *tr) {
    const rnnlab_optimizer_ops *op = &tr->s->optimizer.comp->ops.optimizer;
    double base = op->base_lr ? op->base_lr(tr->s->opt_self) : 1.0;
    return base * tr->lr_scale;
}

/* ---- metrics ------------------------------------------------------------ */

static void metric(trainer *tr, const char *split, const char *name, double value) {
    if (tr->metrics) fprintf(tr->metrics, "%llu,%s,%s,%.9g\n", (unsigned long long)tr->step, split,
                             name, value);
}

/* ---- checkpoints -------------------------------------------------------- */

static char *path_join(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", a, b);
    return p;
}

static char *config_text(const config *c) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    config_write(c, f);
    fclose(f);
    return buf;
}

static int save_checkpoint(trainer *tr, const char *path, rnnlab_err *err) {
    session *s = tr->s;
    size_t nt = tr->ntensors * (1 + tr->slots) + 1;
    ckpt_tensor *ts = calloc(nt, sizeof *ts);
    char *cfg = config_text(s->cfg);
    if (!ts || !cfg) {
        free(ts);
        free(cfg);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory writing %s", path);
    }
    size_t k = 0;
    for (size_t i = 0; i < tr->ntensors; i++) {
        const model_tensor *t = model_tensor_at(tr->m, i);
        ts[k].name = t->name;
        ts[k].dtype = CKPT_F32;
        ts[k].ndim = t->ndim;
        ts[k].shape[0] = t->shape[0];
        ts[k].shape[1] = t->shape[1];
        ts[k].data = t->data;
        k++;
    }
    for (size_t i = 0; i < tr->ntensors; i++) {
        const model_tensor *t = model_tensor_at(tr->m, i);
        for (size_t j = 0; j < tr->slots; j++) {
            ts[k].name = tr->opt_names[i * tr->slots + j];
            ts[k].dtype = CKPT_F32;
            ts[k].ndim = 1;
            ts[k].shape[0] = t->n;
            ts[k].data = tr->opt_state[i * tr->slots + j];
            k++;
        }
    }
    /* The carried hidden state: a mid-epoch resume of a truncated-BPTT
     * stream must start from exactly this state. */
    size_t ncarry;
    ts[k].name = "state.carry";
    ts[k].dtype = CKPT_F32;
    ts[k].ndim = 1;
    ts[k].data = model_carried_state(tr->m, &ncarry);
    ts[k].shape[0] = ncarry;
    k++;
    char epoch[32], step[32], lr[64], best[64], bad[32], pbad[32], seed[32];
    char bnext[32], esum[64], ebatches[32];
    snprintf(bnext, sizeof bnext, "%zu", tr->batch_next);
    snprintf(esum, sizeof esum, "%.17g", tr->epoch_loss_sum);
    snprintf(ebatches, sizeof ebatches, "%zu", tr->epoch_batches);
    snprintf(epoch, sizeof epoch, "%ld", tr->epoch);
    snprintf(step, sizeof step, "%llu", (unsigned long long)tr->step);
    snprintf(lr, sizeof lr, "%.17g", tr->lr_scale);
    snprintf(best, sizeof best, "%.17g", tr->best_dev);
    snprintf(bad, sizeof bad, "%ld", tr->bad_epochs);
    snprintf(pbad, sizeof pbad, "%ld", tr->plateau_bad);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)s->train.seed);
    char plugins[1024];
    snprintf(plugins, sizeof plugins, "activation=%s %s; loss=%s %s; optimizer=%s %s; tokenizer=%s %s; data=%s %s",
             s->activation.comp->name, s->activation.comp->version, s->loss.comp->name,
             s->loss.comp->version, s->optimizer.comp->name, s->optimizer.comp->version,
             s->tokenizer.comp->name, s->tokenizer.comp->version, s->loader.comp->name,
             s->loader.comp->version);
    ckpt_meta meta[] = {
        {"format", "rnnlab-checkpoint"},
        {"format_version", CKPT_FORMAT_VERSION},
        {"rnnlab_version", RNNLAB_VERSION},
        {"config", cfg},
        {"tokenizer", tr->tok_state ? tr->tok_state : ""},
        {"labels", tr->labels ? tr->labels : ""},
        {"plugins", plugins},
        {"epoch", epoch},
        {"step", step},
        {"lr_scale", lr},
        {"best_dev", best},
        {"bad_epochs", bad},
        {"plateau_bad", pbad},
        {"seed", seed},
        {"batch_next", bnext},
        {"epoch_loss_sum", esum},
        {"epoch_batches", ebatches},
        {"input_kind", s->info.input_kind == RNNLAB_INPUT_IDS ? "ids" : "dense"},
        {"head", s->info.head == RNNLAB_HEAD_PER_STEP ? "per_step" : "last"},
        {"label_names", tr->label_names ? tr->label_names : ""},
    };
    int rc = ckpt_write(path, ts, nt, meta, sizeof meta / sizeof meta[0], err);
    free(ts);
    free(cfg);
    return rc;
}

static int meta_long(const ckpt *c, const char *key, long *out, const char *path, rnnlab_err *err) {
    const char *v = ckpt_meta_get(c, key);
    char *end;
    if (!v) return err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata has no '%s'", path, key);
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v)
        return err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata '%s' = '%s' is not an integer", path,
                       key, v);
    *out = x;
    return RNNLAB_OK;
}

static int meta_double(const ckpt *c, const char *key, double *out, const char *path,
                       rnnlab_err *err) {
    const char *v = ckpt_meta_get(c, key);
    char *end;
    if (!v) return err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata has no '%s'", path, key);
    *out = strtod(v, &end);
    if (*end || end == v)
        return err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata '%s' = '%s' is not a number", path,
                       key, v);
    return RNNLAB_OK;
}

/* Copies a checkpoint's tensor into dst after checking name, dtype and
 * shape against what the model expects. */
static int restore_tensor(const ckpt *c, const char *name, size_t ndim, const size_t *shape,
                          float *dst, const char *path, rnnlab_err *err) {
    const ckpt_tensor *t = ckpt_find(c, name);
    if (!t) return err_set(err, RNNLAB_ERR_FORMAT, "%s: no tensor '%s'", path, name);
    if (t->dtype != CKPT_F32)
        return err_set(err, RNNLAB_ERR_FORMAT, "%s: tensor '%s' has dtype %s, expected F32", path,
                       name, ckpt_dtype_name(t->dtype));
    size_t n = 1;
    int same = t->ndim == ndim;
    for (size_t d = 0; d < ndim && same; d++) same = t->shape[d] == shape[d];
    if (!same)
        return err_set(err, RNNLAB_ERR_FORMAT,
                       "%s: tensor '%s' has shape [%zu%s%zu], the config's model needs [%zu%s%zu]",
                       path, name, t->ndim > 0 ? t->shape[0] : 0, t->ndim > 1 ? ", " : "",
                       t->ndim > 1 ? t->shape[1] : 0, shape[0], ndim > 1 ? ", " : "",
                       ndim > 1 ? shape[1] : 0);
    for (size_t d = 0; d < ndim; d++) n *= shape[d];
    memcpy(dst, t->data, n * sizeof(float));
    return RNNLAB_OK;
}

static int load_weights(trainer *tr, const ckpt *c, const char *path, int with_state,
                        rnnlab_err *err) {
    for (size_t i = 0; i < tr->ntensors; i++) {
        model_tensor *t = model_tensor_at(tr->m, i);
        int rc = restore_tensor(c, t->name, t->ndim, t->shape, t->data, path, err);
        if (rc != RNNLAB_OK) return rc;
        for (size_t j = 0; with_state && j < tr->slots; j++) {
            rc = restore_tensor(c, tr->opt_names[i * tr->slots + j], 1, &t->n,
                                tr->opt_state[i * tr->slots + j], path, err);
            if (rc != RNNLAB_OK) return rc;
        }
    }
    return RNNLAB_OK;
}

/* ---- meta.json ---------------------------------------------------------- */

static void json_component(cJSON *obj, const char *role, const reg_component *c) {
    cJSON *o = cJSON_AddObjectToObject(obj, role);
    char hash[65] = "";
    rnnlab_err e;
    if (sha256_file_hex(c->file, hash, &e) != RNNLAB_OK) strcpy(hash, "unreadable");
    cJSON_AddStringToObject(o, "name", c->name);
    cJSON_AddStringToObject(o, "version", c->version);
    cJSON_AddStringToObject(o, "plugin", c->plugin);
    cJSON_AddStringToObject(o, "file", c->file);
    cJSON_AddStringToObject(o, "sha256", hash);
}

static int write_meta(trainer *tr, const char *status, const char *message, rnnlab_err *err) {
    session *s = tr->s;
    cJSON *root = cJSON_CreateObject();
    if (!root) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(root, "rnnlab_version", RNNLAB_VERSION);
    cJSON_AddStringToObject(root, "gemm_backend", RNNLAB_GEMM_BACKEND);
    cJSON_AddNumberToObject(root, "seed", (double)s->train.seed);
    cJSON_AddStringToObject(root, "status", status);
    if (message) cJSON_AddStringToObject(root, "message", message);
    cJSON_AddNumberToObject(root, "epochs_completed", (double)tr->epoch);
    cJSON_AddNumberToObject(root, "steps", (double)tr->step);
    cJSON_AddNumberToObject(root, "train_seconds", tr->train_seconds);
    cJSON_AddNumberToObject(root, "train_tokens", (double)tr->tokens_total);
    if (tr->train_seconds > 0)
        cJSON_AddNumberToObject(root, "train_tokens_per_second",
                                (double)tr->tokens_total / tr->train_seconds);
    cJSON_AddNumberToObject(root, "parameters", (double)model_num_params(tr->m));
    if (isfinite(tr->best_dev)) cJSON_AddNumberToObject(root, "best_dev_loss", tr->best_dev);
    cJSON *pl = cJSON_AddObjectToObject(root, "plugins");
    json_component(pl, "activation", s->activation.comp);
    json_component(pl, "loss", s->loss.comp);
    json_component(pl, "optimizer", s->optimizer.comp);
    json_component(pl, "tokenizer", s->tokenizer.comp);
    json_component(pl, "data", s->loader.comp);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    char *path = path_join(tr->run_path, "meta.json");
    size_t len = strlen(text);
    const void *chunks[2] = {text, "\n"};
    size_t lens[2] = {len, 1};
    int rc = path ? file_write_atomic(path, chunks, lens, 2, err)
                  : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    free(path);
    free(text);
    return rc;
}

/* ---- evaluation --------------------------------------------------------- */

typedef struct eval_result {
    double loss;    /* mean over scored targets */
    double accuracy;
    size_t count;
} eval_result;

static int evaluate(trainer *tr, rnnlab_split split, eval_result *res, rnnlab_err *err) {
    session *s = tr->s;
    const rnnlab_loader_ops *ld = &s->loader.comp->ops.loader;
    memset(res, 0, sizeof *res);
    size_t nb = ld->num_batches(s->loader_self, split);
    if (nb == 0) return RNNLAB_OK;
    host_set_sink(s->host, err);
    int rc = ld->begin_epoch(s->loader_self, split, 0);
    if (rc != RNNLAB_OK) return err_prefix(err, "data loader '%s': ", s->loader.comp->name);
    double total = 0.0;
    size_t correct = 0, count = 0;
    model_reset_state(tr->m);
    for (size_t i = 0; i < nb; i++) {
        float *logits;
        size_t rows, c = 0, n = 0;
        double loss;
        rc = next_batch(tr, split, i, err);
        if (rc == RNNLAB_OK)
            rc = model_forward(tr->m, &tr->batch, s->info.stateful && i > 0, &logits, &rows, err);
        if (rc == RNNLAB_OK) rc = score(tr, logits, rows, &loss, &c, &n, NULL, err);
        if (rc != RNNLAB_OK) return rc;
        total += loss * (double)n;
        correct += c;
        count += n;
    }
    model_reset_state(tr->m);
    res->count = count;
    res->loss = count ? total / (double)count : 0.0;
    res->accuracy = count ? (double)correct / (double)count : 0.0;
    return RNNLAB_OK;
}

static void log_eval(trainer *tr, const char *split, const eval_result *r) {
    metric(tr, split, "loss", r->loss);
    if (tr->s->info.target_kind == RNNLAB_TARGET_CLASS) metric(tr, split, "accuracy", r->accuracy);
    if (is_lm(tr->s)) {
        metric(tr, split, "perplexity", exp(r->loss));
        metric(tr, split, "bits_per_token", r->loss / log(2.0));
    }
}

static void print_eval(trainer *tr, const char *split, const eval_result *r) {
    FILE *o = tr->args->out;
    if (!o) return;
    fprintf(o, "  %-5s loss %.4f", split, r->loss);
    if (tr->s->info.target_kind == RNNLAB_TARGET_CLASS) fprintf(o, "  acc %.2f%%", 100.0 * r->accuracy);
    if (is_lm(tr->s)) fprintf(o, "  ppl %.3f  bits/token %.4f", exp(r->loss), r->loss / log(2.0));
    fprintf(o, "  (%zu targets)\n", r->count);
}

/* ---- the loop ----------------------------------------------------------- */

static void progress(trainer *tr, size_t i, size_t nb, double loss, double tok_s, double eta) {
    FILE *o = tr->args->out;
    if (!o) return;
    if (tr->args->progress_bar) {
        int width = 24, fill = (int)((double)width * (double)(i + 1) / (double)nb);
        char bar[32];
        for (int k = 0; k < width; k++) bar[k] = k < fill ? '=' : (k == fill ? '>' : ' ');
        bar[width] = '\0';
        fprintf(o, "\repoch %ld/%ld [%s] %zu/%zu loss %.4f %.1fk tok/s ETA %02d:%02d ",
                tr->epoch + 1, tr->s->train.epochs, bar, i + 1, nb, loss, tok_s / 1000.0,
                (int)(eta / 60), (int)eta % 60);
        fflush(o);
    } else {
        fprintf(o, "epoch %ld step %llu batch %zu/%zu loss %.4f lr %.4g %.1fk tok/s\n",
                tr->epoch + 1, (unsigned long long)tr->step, i + 1, nb, loss, current_lr(tr),
                tok_s / 1000.0);
    }
}

/* ---- diagnostics ---------------------------------------------------------
 * What vanishing and exploding gradients look like from inside: the
 * gradient reaching each step, the growth rate of W_hh, and how many units
 * sit where the activation's derivative is (nearly) zero. */

/* The activation's shape, probed through its ops (the core never knows
 * which plugin it holds): bounded in (-1, 1) like tanh, in (0, 1) like
 * sigmoid, or unbounded above with 0 below like relu. */
enum { ACT_OTHER, ACT_SYMMETRIC, ACT_UNIT, ACT_RECTIFIED };

static int activation_shape(const session *s) {
    const rnnlab_activation_ops *a = &s->activation.comp->ops.activation;
    float x[3] = {-1e4f, 0.0f, 1e4f}, y[3];
    if (a->forward(s->act_self, x, y, 3) != RNNLAB_OK) return ACT_OTHER;
    if (fabsf(y[0] + 1.0f) < 1e-3f && fabsf(y[2] - 1.0f) < 1e-3f) return ACT_SYMMETRIC;
    if (fabsf(y[0]) < 1e-3f && fabsf(y[2] - 1.0f) < 1e-3f) return ACT_UNIT;
    if (y[0] == 0.0f && y[1] == 0.0f && y[2] > 1e3f) return ACT_RECTIFIED;
    return ACT_OTHER;
}

/* Spectral radius of a square matrix by power iteration: the growth rate of
 * ||W^k v|| over the last iterations, which converges even when the
 * dominant eigenvalues are a complex pair (where the Rayleigh quotient
 * oscillates). Fixed start vector: deterministic. */
static double spectral_radius(const float *w, size_t n, double *v, double *u) {
    enum { ITERS = 60, TAIL = 20 };
    for (size_t i = 0; i < n; i++) v[i] = 1.0 / sqrt((double)n) * (1.0 + 0.01 * (double)(i % 7));
    double log_growth = 0.0;
    for (int k = 0; k < ITERS; k++) {
        double norm = 0.0;
        for (size_t i = 0; i < n; i++) {
            double acc = 0.0;
            for (size_t j = 0; j < n; j++) acc += (double)w[i * n + j] * v[j];
            u[i] = acc;
            norm += acc * acc;
        }
        norm = sqrt(norm);
        if (norm == 0.0 || !isfinite(norm)) return norm == 0.0 ? 0.0 : norm;
        if (k >= ITERS - TAIL) log_growth += log(norm);
        for (size_t i = 0; i < n; i++) v[i] = u[i] / norm;
    }
    return exp(log_growth / TAIL);
}

static void record_diagnostics(trainer *tr) {
    session *s = tr->s;
    const rnnlab_batch *b = &tr->batch;
    for (size_t t = 0; t < b->T; t++) {
        char name[48];
        snprintf(name, sizeof name, "dh_norm_t%zu", t);
        metric(tr, "diag", name, tr->dh_norms[t]);
    }
    for (size_t i = 0; i < tr->ntensors; i++) {
        const model_tensor *t = model_tensor_at(tr->m, i);
        if (strncmp(t->name, "rnn.weight_hh_", 14) != 0) continue;
        char name[96];
        snprintf(name, sizeof name, "spectral_radius_%s", t->name + 14);
        metric(tr, "diag", name, spectral_radius(t->data, t->shape[0], tr->diag_v, tr->diag_u));
    }
    /* Top layer states over the real steps of this batch: (T, B, H*dirs). */
    size_t width = s->spec.hidden_size * (s->spec.bidirectional ? 2 : 1);
    const float *h = model_hidden_states(tr->m);
    int shape = activation_shape(s);
    size_t real = 0, saturated = 0;
    memset(tr->diag_alive, 0, width);
    for (size_t t = 0; t < b->T; t++)
        for (size_t k = 0; k < b->B; k++) {
            if (!b->mask[t * b->B + k]) continue;
            const float *row = h + (t * b->B + k) * width;
            for (size_t j = 0; j < width; j++) {
                float v = row[j];
                saturated += shape == ACT_SYMMETRIC ? fabsf(v) > 0.99f
                                                    : (v < 0.01f || v > 0.99f);
                tr->diag_alive[j] |= v > 0.0f;
            }
            real++;
        }
    if (real == 0) return;
    if (shape == ACT_SYMMETRIC || shape == ACT_UNIT)
        metric(tr, "diag", "saturated_frac", (double)saturated / (double)(real * width));
    if (shape == ACT_RECTIFIED) {
        size_t dead = 0;
        for (size_t j = 0; j < width; j++) dead += !tr->diag_alive[j];
        metric(tr, "diag", "dead_frac", (double)dead / (double)width);
    }
}

static int diverged(trainer *tr, const char *what, double value, rnnlab_err *err) {
    struct stat st;
    const char *last = stat(tr->ckpt_last, &st) == 0 ? tr->ckpt_last : "none (no epoch finished)";
    return err_set(err, RNNLAB_ERR_NUMERIC,
                   "step %llu (epoch %ld): %s is %g; training stopped. Last good checkpoint: %s. "
                   "Try a lower learning rate or [train] clip_norm.",
                   (unsigned long long)tr->step + 1, tr->epoch + 1, what, value, last);
}

static int train_step(trainer *tr, size_t i, double *loss_out, size_t *tokens, rnnlab_err *err) {
    session *s = tr->s;
    float *logits;
    size_t rows, correct, counted;
    double loss;
    int rc = next_batch(tr, RNNLAB_SPLIT_TRAIN, i, err);
    if (rc == RNNLAB_OK)
        rc = model_forward(tr->m, &tr->batch, s->info.stateful && i > 0, &logits, &rows, err);
    if (rc == RNNLAB_OK) rc = score(tr, logits, rows, &loss, &correct, &counted, tr->dlogits, err);
    if (rc != RNNLAB_OK) return rc;
    if (!isfinite(loss)) return diverged(tr, "the loss", loss, err);
    model_zero_grad(tr->m);
    int diag = s->train.diag_every > 0 && (tr->step + 1) % (uint64_t)s->train.diag_every == 0;
    rc = model_backward(tr->m, tr->dlogits, diag ? tr->dh_norms : NULL, err);
    if (rc != RNNLAB_OK) return rc;
    double norm = grad_norm(tr);
    if (!isfinite(norm)) return diverged(tr, "the gradient norm", norm, err);
    clip_grads(tr, norm);
    rc = optimizer_step(tr, err);
    if (rc != RNNLAB_OK) return rc;
    tr->step++;
    size_t tok = 0;
    for (size_t k = 0; k < tr->batch.T * tr->batch.B; k++) tok += tr->batch.mask[k] != 0;
    *tokens = tok;
    *loss_out = loss;
    if (tr->step % (uint64_t)s->train.log_every == 0 || tr->step == 1) {
        metric(tr, "train", "loss", loss);
        metric(tr, "train", "grad_norm", norm);
        metric(tr, "train", "lr", current_lr(tr));
    }
    if (diag) record_diagnostics(tr);
    return RNNLAB_OK;
}

/* Updates the schedule after an epoch with its dev loss (NaN if none). */
static void schedule_epoch(trainer *tr, double dev_loss, int improved) {
    const train_opts *o = &tr->s->train;
    switch (o->schedule) {
    case SCHEDULE_STEP:
        tr->lr_scale = pow(o->gamma, (double)(tr->epoch / o->step_size));
        break;
    case SCHEDULE_EXPONENTIAL: tr->lr_scale = pow(o->gamma, (double)tr->epoch); break;
    case SCHEDULE_PLATEAU:
        if (!isnan(dev_loss) && !improved && ++tr->plateau_bad > o->plateau_patience) {
            tr->lr_scale *= o->gamma;
            tr->plateau_bad = 0;
        } else if (improved) {
            tr->plateau_bad = 0;
        }
        break;
    default: break;
    }
}

static int run_epochs(trainer *tr, rnnlab_err *err) {
    session *s = tr->s;
    const rnnlab_loader_ops *ld = &s->loader.comp->ops.loader;
    size_t nb = ld->num_batches(s->loader_self, RNNLAB_SPLIT_TRAIN);
    if (nb == 0)
        return err_set(err, RNNLAB_ERR_INVALID, "%s: the training split has no batches",
                       s->config_path);
    int rc = RNNLAB_OK;
    while (tr->epoch < s->train.epochs && !tr->finished) {
        host_set_sink(s->host, err);
        rc = ld->begin_epoch(s->loader_self, RNNLAB_SPLIT_TRAIN, (uint64_t)tr->epoch);
        if (rc != RNNLAB_OK) return err_prefix(err, "data loader '%s': ", s->loader.comp->name);
        /* A run resumed mid-epoch continues the same pass: same batch order
         * (it depends only on seed and epoch), same carried state. */
        size_t first = tr->batch_next < nb ? tr->batch_next : 0;
        if (first == 0) {
            model_reset_state(tr->m);
            tr->epoch_loss_sum = 0.0;
            tr->epoch_batches = 0;
        }
        double t0 = now_seconds();
        size_t tokens = 0, timed = 0;
        int interrupted = 0;
        for (size_t i = first; i < nb; i++) {
            double loss = 0.0;
            size_t tok = 0;
            rc = train_step(tr, i, &loss, &tok, err);
            if (rc != RNNLAB_OK) return rc;
            tr->epoch_loss_sum += loss;
            tr->epoch_batches++;
            tr->batch_next = i + 1;
            tokens += tok;
            timed++;
            double dt = now_seconds() - t0;
            if (tr->args->progress_bar || tr->step % (uint64_t)s->train.log_every == 0)
                progress(tr, i, nb, tr->epoch_loss_sum / (double)tr->epoch_batches,
                         (double)tokens / (dt > 0 ? dt : 1e-9),
                         dt / (double)timed * (double)(nb - i - 1));
            if (s->train.max_steps > 0 && tr->step >= (uint64_t)s->train.max_steps) {
                tr->finished = 1;
                break;
            }
            if (stop_requested ||
                (tr->args->stop_after_steps && tr->step >= tr->args->stop_after_steps)) {
                interrupted = i + 1 < nb;
                if (interrupted) break;
            }
        }
        double dt = now_seconds() - t0;
        tr->train_seconds += dt;
        tr->tokens_total += tokens;
        if (interrupted) {
            if (tr->metrics) fflush(tr->metrics);
            rc = save_checkpoint(tr, tr->ckpt_last, err);
            if (rc != RNNLAB_OK) return err_prefix(err, "interrupted, and the checkpoint failed: ");
            return err_set(err, RNNLAB_ERR_INTERRUPTED,
                           "interrupted after step %llu (epoch %ld, batch %zu of %zu); "
                           "checkpoint written; continue with `rnnlab train --resume %s`",
                           (unsigned long long)tr->step, tr->epoch + 1, tr->batch_next, nb,
                           tr->run_path);
        }
        double loss_sum = tr->epoch_loss_sum;
        size_t done = tr->epoch_batches;
        tr->batch_next = 0;
        tr->epoch++;
        if (tr->args->out && tr->args->progress_bar) fputc('\n', tr->args->out);
        metric(tr, "train", "epoch_loss", loss_sum / (double)(done ? done : 1));
        /* Throughput goes to meta.json, not metrics.csv: metrics.csv must be
         * bit-identical between two runs of the same config and seed. */
        if (tr->args->out)
            fprintf(tr->args->out, "epoch %ld/%ld: train loss %.4f, %.0f tokens/s, lr %.4g\n",
                    tr->epoch, s->train.epochs, loss_sum / (double)(done ? done : 1),
                    (double)tokens / (dt > 0 ? dt : 1e-9), current_lr(tr));
        eval_result dev;
        rc = evaluate(tr, RNNLAB_SPLIT_DEV, &dev, err);
        if (rc != RNNLAB_OK) return rc;
        int improved = 0;
        double dev_loss = NAN;
        if (dev.count > 0) {
            log_eval(tr, "dev", &dev);
            print_eval(tr, "dev", &dev);
            dev_loss = dev.loss;
            if (!isfinite(dev.loss)) return diverged(tr, "the dev loss", dev.loss, err);
            improved = dev.loss < tr->best_dev;
            if (improved) {
                tr->best_dev = dev.loss;
                tr->bad_epochs = 0;
            } else {
                tr->bad_epochs++;
            }
        }
        schedule_epoch(tr, dev_loss, improved);
        if (tr->metrics) fflush(tr->metrics);
        rc = save_checkpoint(tr, tr->ckpt_last, err);
        if (rc == RNNLAB_OK && improved) rc = save_checkpoint(tr, tr->ckpt_best, err);
        if (rc != RNNLAB_OK) return rc;
        if ((stop_requested ||
             (tr->args->stop_after_steps && tr->step >= tr->args->stop_after_steps)) &&
            tr->epoch < s->train.epochs && !tr->finished)
            return err_set(err, RNNLAB_ERR_INTERRUPTED,
                           "interrupted after step %llu (end of epoch %ld); checkpoint written; "
                           "continue with `rnnlab train --resume %s`",
                           (unsigned long long)tr->step, tr->epoch, tr->run_path);
        if (s->train.patience > 0 && tr->bad_epochs >= s->train.patience) {
            if (tr->args->out)
                fprintf(tr->args->out, "early stop: dev loss has not improved for %ld epochs\n",
                        tr->bad_epochs);
            break;
        }
    }
    return RNNLAB_OK;
}

/* ---- set-up ------------------------------------------------------------- */

static int fetch_state(trainer *tr, rnnlab_err *err) {
    session *s = tr->s;
    size_t len;
    host_set_sink(s->host, err);
    int rc = s->tokenizer.comp->ops.tokenizer.save(s->tok_self, &tr->tok_state, &len);
    if (rc != RNNLAB_OK) return err_prefix(err, "tokenizer '%s': ", s->tokenizer.comp->name);
    const rnnlab_loader_ops *ld = &s->loader.comp->ops.loader;
    if (ld->save_labels) {
        rc = ld->save_labels(s->loader_self, &tr->labels, &len);
        if (rc != RNNLAB_OK) return err_prefix(err, "data loader '%s': ", s->loader.comp->name);
    }
    /* Class names travel in the checkpoint so that tagging needs neither
     * the loader nor its data. A language model's classes are tokens. */
    if (ld->label_name && s->info.target_kind == RNNLAB_TARGET_CLASS && !s->info.stateful) {
        size_t cap = 64, used = 0;
        tr->label_names = malloc(cap);
        if (!tr->label_names) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        tr->label_names[0] = '\0';
        for (size_t i = 0; i < s->info.output_size; i++) {
            const char *name = ld->label_name(s->loader_self, (int32_t)i);
            if (!name || strchr(name, '\n'))
                return err_set(err, RNNLAB_ERR_PLUGIN,
                               "data loader '%s': label_name(%zu) is %s", s->loader.comp->name, i,
                               name ? "a name with a newline" : "NULL");
            size_t n = strlen(name);
            while (used + n + 2 > cap) {
                char *p = realloc(tr->label_names, cap *= 2);
                if (!p) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
                tr->label_names = p;
            }
            memcpy(tr->label_names + used, name, n);
            used += n;
            tr->label_names[used++] = '\n';
            tr->label_names[used] = '\0';
        }
    }
    return RNNLAB_OK;
}

static int make_trainer(trainer *tr, rnnlab_err *err) {
    session *s = tr->s;
    int rc = model_create(&tr->m, &s->spec, err);
    if (rc != RNNLAB_OK) return rc;
    rnnlab_rng rng;
    rng_seed(&rng, s->train.seed, 1);
    model_init_params(tr->m, &rng);
    tr->ntensors = model_num_tensors(tr->m);
    tr->slots = s->optimizer.comp->ops.optimizer.state_slots(s->opt_self);
    size_t nstate = tr->ntensors * tr->slots;
    tr->opt_state = calloc(nstate + 1, sizeof *tr->opt_state);
    tr->opt_names = calloc(nstate + 1, sizeof *tr->opt_names);
    if (!tr->opt_state || !tr->opt_names) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < tr->ntensors; i++) {
        const model_tensor *t = model_tensor_at(tr->m, i);
        for (size_t j = 0; j < tr->slots; j++) {
            size_t k = i * tr->slots + j;
            size_t nl = strlen(t->name) + 32;
            tr->opt_state[k] = calloc(t->n ? t->n : 1, sizeof(rnnlab_real));
            tr->opt_names[k] = malloc(nl);
            if (!tr->opt_state[k] || !tr->opt_names[k])
                return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
            snprintf(tr->opt_names[k], nl, "optim.%s.%zu", t->name, j);
        }
    }
    size_t rows = s->info.head == RNNLAB_HEAD_PER_STEP ? s->info.max_len * s->info.batch_size
                                                        : s->info.batch_size;
    tr->dlogits = calloc(rows * s->info.output_size, sizeof *tr->dlogits);
    tr->dh_norms = calloc(s->info.max_len, sizeof *tr->dh_norms);
    size_t H = s->spec.hidden_size;
    tr->diag_v = calloc(H, sizeof *tr->diag_v);
    tr->diag_u = calloc(H, sizeof *tr->diag_u);
    tr->diag_alive = calloc(2 * H, 1);
    if (!tr->dlogits || !tr->dh_norms || !tr->diag_v || !tr->diag_u || !tr->diag_alive ||
        batch_alloc(&tr->batch, &s->info) != RNNLAB_OK)
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    tr->lr_scale = 1.0;
    tr->best_dev = INFINITY;
    return RNNLAB_OK;
}

static void free_trainer(trainer *tr) {
    if (tr->metrics) fclose(tr->metrics);
    for (size_t k = 0; tr->opt_state && k < tr->ntensors * tr->slots; k++) {
        free(tr->opt_state[k]);
        free(tr->opt_names[k]);
    }
    free(tr->opt_state);
    free(tr->opt_names);
    if (tr->m) model_free(tr->m);
    batch_free(&tr->batch);
    free(tr->dlogits);
    free(tr->dh_norms);
    free(tr->diag_v);
    free(tr->diag_u);
    free(tr->diag_alive);
    free(tr->ckpt_last);
    free(tr->ckpt_best);
    free(tr->metrics_path);
    if (tr->tok_state) tr->s->host->free(tr->s->host, tr->tok_state);
    if (tr->labels) tr->s->host->free(tr->s->host, tr->labels);
    free(tr->label_names);
    free(tr->run_path);
}

static const char *base_name(const char *path, char *buf, size_t size) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, size, "%s", b);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf) *dot = '\0';
    return buf;
}

/* A fresh run folder: <run_dir>/<name>, or <name>-2, -3... if taken, so an
 * earlier run is never overwritten. */
static int choose_run_dir(trainer *tr, rnnlab_err *err) {
    session *s = tr->s;
    if (tr->args->run_dir) {
        tr->run_path = strdup(tr->args->run_dir);
        if (!tr->run_path) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        return make_dirs(tr->run_path, err);
    }
    char name[256];
    if (s->train.name[0])
        snprintf(name, sizeof name, "%s", s->train.name);
    else
        base_name(s->config_path, name, sizeof name);
    int rc = make_dirs(s->train.run_dir, err);
    if (rc != RNNLAB_OK) return rc;
    size_t n = strlen(s->train.run_dir) + strlen(name) + 32;
    tr->run_path = malloc(n);
    if (!tr->run_path) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    for (int k = 1;; k++) {
        if (k == 1)
            snprintf(tr->run_path, n, "%s/%s", s->train.run_dir, name);
        else
            snprintf(tr->run_path, n, "%s/%s-%d", s->train.run_dir, name, k);
        if (mkdir(tr->run_path, 0755) == 0) return RNNLAB_OK;
        if (errno != EEXIST)
            return err_set(err, RNNLAB_ERR_IO, "%s: cannot create run folder: %s", tr->run_path,
                           strerror(errno));
    }
}

/* Keeps the metrics rows up to `step` (those the checkpoint covers) and
 * reopens the file for appending. */
static int reopen_metrics(trainer *tr, int resume, rnnlab_err *err) {
    if (!resume) {
        tr->metrics = fopen(tr->metrics_path, "w");
        if (!tr->metrics)
            return err_set(err, RNNLAB_ERR_IO, "%s: cannot create: %s", tr->metrics_path,
                           strerror(errno));
        fprintf(tr->metrics, "step,split,metric,value\n");
        return RNNLAB_OK;
    }
    char *old;
    size_t len;
    int rc = file_read_all(tr->metrics_path, &old, &len, err);
    if (rc != RNNLAB_OK) return rc;
    tr->metrics = fopen(tr->metrics_path, "w");
    if (!tr->metrics) {
        free(old);
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot rewrite: %s", tr->metrics_path,
                       strerror(errno));
    }
    char *line = old, *next;
    for (int first = 1; line && *line; line = next, first = 0) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (!first && strtoull(line, NULL, 10) > tr->step) continue;
        fprintf(tr->metrics, "%s\n", line);
    }
    free(old);
    return RNNLAB_OK;
}

static int resume_from(trainer *tr, const ckpt *c, const char *path, rnnlab_err *err) {
    long epoch, step, bad, pbad;
    double lr, best;
    int rc = load_weights(tr, c, path, 1, err);
    if (rc == RNNLAB_OK) rc = meta_long(c, "epoch", &epoch, path, err);
    if (rc == RNNLAB_OK) rc = meta_long(c, "step", &step, path, err);
    if (rc == RNNLAB_OK) rc = meta_long(c, "bad_epochs", &bad, path, err);
    if (rc == RNNLAB_OK) rc = meta_long(c, "plateau_bad", &pbad, path, err);
    if (rc == RNNLAB_OK) rc = meta_double(c, "lr_scale", &lr, path, err);
    if (rc == RNNLAB_OK) rc = meta_double(c, "best_dev", &best, path, err);
    if (rc != RNNLAB_OK) return rc;
    long bnext = 0, ebatches = 0;
    double esum = 0.0;
    rc = meta_long(c, "batch_next", &bnext, path, err);
    if (rc == RNNLAB_OK) rc = meta_long(c, "epoch_batches", &ebatches, path, err);
    if (rc == RNNLAB_OK) rc = meta_double(c, "epoch_loss_sum", &esum, path, err);
    if (rc != RNNLAB_OK) return rc;
    size_t ncarry;
    float *carry = model_carried_state(tr->m, &ncarry);
    rc = restore_tensor(c, "state.carry", 1, &ncarry, carry, path, err);
    if (rc != RNNLAB_OK) return rc;
    if (bnext < 0 || ebatches < 0)
        return err_set(err, RNNLAB_ERR_FORMAT, "%s: negative batch position in metadata", path);
    tr->batch_next = (size_t)bnext;
    tr->epoch_loss_sum = esum;
    tr->epoch_batches = (size_t)ebatches;
    tr->epoch = epoch;
    tr->step = (uint64_t)step;
    tr->bad_epochs = bad;
    tr->plateau_bad = pbad;
    tr->lr_scale = lr;
    tr->best_dev = best;
    return RNNLAB_OK;
}

int train_run(const session_args *sargs, const train_args *targs, char **run_path,
              rnnlab_err *err) {
    session s;
    trainer tr;
    memset(&tr, 0, sizeof tr);
    tr.args = targs;
    tr.s = &s;
    ckpt *resume = NULL;
    char *resume_path = NULL;
    session_args a = *sargs;
    char *cfg_from_run = NULL;
    int rc = RNNLAB_OK;
    stop_requested = 0;
    if (run_path) *run_path = NULL;
    if (targs->resume_dir) {
        /* The run's own checkpoint carries its resolved config: a resumed
         * run continues exactly what was started, with --set on top. */
        resume_path = path_join(targs->resume_dir, "last.safetensors");
        if (!resume_path) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        rc = ckpt_read(&resume, resume_path, err);
        if (rc != RNNLAB_OK) {
            free(resume_path);
            return err_prefix(err, "cannot resume: ");
        }
        const char *cfg = ckpt_meta_get(resume, "config");
        if (!cfg) {
            rc = err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata has no 'config'", resume_path);
            goto out_ckpt;
        }
        cfg_from_run = path_join(targs->resume_dir, "config.ini");
        a.config_path = cfg_from_run;
        a.config_text = cfg;
        a.config_dir = ".";
    }
    rc = session_open(&s, &a, err);
    if (rc != RNNLAB_OK) goto out_ckpt;
    rc = session_open_data(&s, resume ? ckpt_meta_get(resume, "tokenizer") : NULL,
                           resume ? ckpt_meta_get(resume, "labels") : NULL, err);
    if (rc == RNNLAB_OK) rc = make_trainer(&tr, err);
    if (rc == RNNLAB_OK) rc = fetch_state(&tr, err);
    if (rc == RNNLAB_OK && resume) rc = resume_from(&tr, resume, resume_path, err);
    if (rc == RNNLAB_OK) {
        if (resume) {
            tr.run_path = strdup(targs->resume_dir);
            if (!tr.run_path) rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        } else {
            rc = choose_run_dir(&tr, err);
        }
    }
    if (rc == RNNLAB_OK) {
        tr.ckpt_last = path_join(tr.run_path, "last.safetensors");
        tr.ckpt_best = path_join(tr.run_path, "best.safetensors");
        tr.metrics_path = path_join(tr.run_path, "metrics.csv");
        char *cfg_path = path_join(tr.run_path, "config.ini");
        if (!tr.ckpt_last || !tr.ckpt_best || !tr.metrics_path || !cfg_path)
            rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        if (rc == RNNLAB_OK) rc = config_save(s.cfg, cfg_path, err);
        free(cfg_path);
    }
    if (rc == RNNLAB_OK) rc = reopen_metrics(&tr, resume != NULL, err);
    if (rc == RNNLAB_OK) rc = write_meta(&tr, "running", NULL, err);
    if (rc != RNNLAB_OK) goto out_session;

    if (targs->out) {
        fprintf(targs->out,
                "run %s: %s RNN, %zu layer(s) x %zu units%s, %zu parameters, %s on %s/%s, "
                "gemm %s\n",
                tr.run_path, s.activation.comp->name, s.spec.num_layers, s.spec.hidden_size,
                s.spec.bidirectional ? " x 2 directions" : "", model_num_params(tr.m),
                s.optimizer.comp->name, s.loader.comp->name, s.tokenizer.comp->name,
                RNNLAB_GEMM_BACKEND);
        if (isfinite(s.info.baseline_loss) && s.info.baseline_desc)
            fprintf(targs->out, "baseline: %s: loss %.4f\n", s.info.baseline_desc,
                    s.info.baseline_loss);
    }
    rc = run_epochs(&tr, err);
    if (rc == RNNLAB_ERR_INTERRUPTED) {
        rnnlab_err e2;
        write_meta(&tr, "interrupted", err->msg, &e2);
        goto out_session;
    }
    if (rc != RNNLAB_OK) {
        rnnlab_err e2;
        write_meta(&tr, rc == RNNLAB_ERR_NUMERIC ? "diverged" : "failed", err->msg, &e2);
        goto out_session;
    }
    eval_result test;
    rc = evaluate(&tr, RNNLAB_SPLIT_TEST, &test, err);
    if (rc == RNNLAB_OK && test.count > 0) {
        log_eval(&tr, "test", &test);
        print_eval(&tr, "test", &test);
    }
    if (tr.metrics) fflush(tr.metrics);
    if (rc == RNNLAB_OK) rc = write_meta(&tr, "ok", NULL, err);
    if (rc == RNNLAB_OK && run_path) {
        *run_path = tr.run_path;
        tr.run_path = NULL;
    }
out_session:
    free_trainer(&tr);
    session_close(&s);
out_ckpt:
    if (resume) ckpt_free(resume);
    free(resume_path);
    free(cfg_from_run);
    return rc;
}

/* ---- gradcheck ---------------------------------------------------------- */

/* Copies the top-left (T, B) block of batch `src` into `dst`. */
static void batch_crop(const rnnlab_batch *src, rnnlab_batch *dst, const rnnlab_data_info *info,
                       size_t T, size_t B) {
    size_t sB = src->B, in = info->input_size, out = info->output_size;
    dst->T = T;
    dst->B = B;
    for (size_t b = 0; b < B; b++) {
        int32_t len = src->lengths[b];
        dst->lengths[b] = len > (int32_t)T ? (int32_t)T : len;
    }
    for (size_t t = 0; t < T; t++)
        for (size_t b = 0; b < B; b++) {
            dst->ids[t * B + b] = src->ids[t * sB + b];
            dst->mask[t * B + b] = src->mask[t * sB + b];
            if (src->x) memcpy(dst->x + (t * B + b) * in, src->x + (t * sB + b) * in, in * sizeof(float));
        }
    size_t rows = info->head == RNNLAB_HEAD_PER_STEP ? T * B : B;
    for (size_t r = 0; r < rows; r++) {
        size_t sr = info->head == RNNLAB_HEAD_PER_STEP ? (r / B) * sB + r % B : r;
        dst->target_mask[r] = src->target_mask[sr];
        if (src->target_ids) dst->target_ids[r] = src->target_ids[sr];
        if (src->target_values)
            memcpy(dst->target_values + r * out, src->target_values + sr * out, out * sizeof(float));
    }
}

/* Central-difference step. Its error is about eps^2 |f'''| (truncation)
 * plus 1e-16 |f| / eps (rounding): 1e-5 balances the two in double, where
 * 1e-6 left rounding noise of ~1e-6 relative on small gradients. */
#define GRADCHECK_EPS 1e-5

int train_gradcheck(const session_args *sargs, double tol, FILE *out, rnnlab_err *err) {
    session s;
    trainer tr;
    memset(&tr, 0, sizeof tr);
    train_args quiet = {0};
    tr.args = &quiet;
    tr.s = &s;
    int rc = session_open(&s, sargs, err);
    if (rc != RNNLAB_OK) return rc;
    rc = session_open_data(&s, NULL, NULL, err);
    if (rc != RNNLAB_OK) goto out;
    /* The real batch drives the loader; the model is a small copy of the
     * configured one so every parameter can be perturbed. */
    rc = batch_alloc(&tr.batch, &s.info) == RNNLAB_OK
             ? RNNLAB_OK
             : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    if (rc == RNNLAB_OK) {
        host_set_sink(s.host, err);
        rc = s.loader.comp->ops.loader.begin_epoch(s.loader_self, RNNLAB_SPLIT_TRAIN, 0);
        if (rc == RNNLAB_OK) rc = next_batch(&tr, RNNLAB_SPLIT_TRAIN, 0, err);
    }
    if (rc != RNNLAB_OK) goto out;
    model_spec spec = s.spec;
    spec.hidden_size = spec.hidden_size < 3 ? spec.hidden_size : 3;
    spec.max_T = tr.batch.T < 4 ? tr.batch.T : 4;
    spec.max_B = tr.batch.B < 2 ? tr.batch.B : 2;
    rnnlab_data_info small = s.info;
    small.max_len = spec.max_T;
    small.batch_size = spec.max_B;
    rnnlab_batch crop;
    if (batch_alloc(&crop, &small) != RNNLAB_OK) {
        rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        goto out;
    }
    batch_crop(&tr.batch, &crop, &s.info, spec.max_T, spec.max_B);
    model *m = NULL;
    rc = model_create(&m, &spec, err);
    double *worst = NULL;
    if (rc == RNNLAB_OK) {
        rnnlab_rng rng;
        rng_seed(&rng, s.train.seed, 1);
        model_init_params(m, &rng);
        worst = calloc(model_num_tensors(m), sizeof *worst);
        if (!worst) rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    if (rc == RNNLAB_OK) {
        host_set_sink(s.host, err);
        rc = model_gradcheck(m, &crop, &s.loss.comp->ops.loss, s.loss_self, GRADCHECK_EPS, worst, err);
    }
    if (rc == RNNLAB_OK) {
        double max = 0.0;
        if (out)
            fprintf(out, "gradcheck: %s, H=%zu, layers=%zu%s, T=%zu, B=%zu, loss %s, double precision\n",
                    s.activation.comp->name, spec.hidden_size, spec.num_layers,
                    spec.bidirectional ? ", bidirectional" : "", spec.max_T, spec.max_B,
                    s.loss.comp->name);
        for (size_t i = 0; i < model_num_tensors(m); i++) {
            const model_tensor *t = model_tensor_at(m, i);
            if (out) fprintf(out, "  %-28s %6zu params  max rel error %.3e\n", t->name, t->n, worst[i]);
            if (worst[i] > max || isnan(worst[i])) max = worst[i];
        }
        if (out) fprintf(out, "max relative error %.3e (tolerance %.1e): %s\n", max, tol,
                         max < tol ? "PASS" : "FAIL");
        if (!(max < tol))
            rc = err_set(err, RNNLAB_ERR_NUMERIC,
                         "gradcheck failed: max relative error %.3e is above %.1e", max, tol);
    }
    free(worst);
    if (m) model_free(m);
    batch_free(&crop);
out:
    batch_free(&tr.batch);
    session_close(&s);
    return rc;
}

/* ---- eval --------------------------------------------------------------- */

/* The loader key that names a held-out file: the first of these that its
 * schema has. `eval` points it at the user's file and scores that split. */
static const char *heldout_key(const reg_component *loader, rnnlab_split *split) {
    static const char *const keys[] = {"test", "dev", "valid"};
    static const rnnlab_split splits[] = {RNNLAB_SPLIT_TEST, RNNLAB_SPLIT_DEV, RNNLAB_SPLIT_DEV};
    for (size_t i = 0; i < 3; i++) {
        const rnnlab_param *p = schema_find(loader->params, keys[i]);
        if (p && (p->flags & RNNLAB_PARAM_PATH)) {
            *split = splits[i];
            return keys[i];
        }
    }
    return NULL;
}

int train_eval(const char *ckpt_path, const char *data_path, const char *plugin_path, FILE *out,
               rnnlab_err *err) {
    ckpt *c = NULL;
    int rc = ckpt_read(&c, ckpt_path, err);
    if (rc != RNNLAB_OK) return rc;
    const char *cfg = ckpt_meta_get(c, "config");
    if (!cfg) {
        ckpt_free(c);
        return err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata has no 'config'", ckpt_path);
    }
    session s;
    trainer tr;
    memset(&tr, 0, sizeof tr);
    train_args quiet = {0};
    tr.args = &quiet;
    tr.s = &s;
    /* First pass: which key of this loader names a held-out file? */
    session_args a = {ckpt_path, NULL, 0, plugin_path, cfg, "."};
    rc = session_open(&s, &a, err);
    if (rc != RNNLAB_OK) goto out_ckpt;
    rnnlab_split split = RNNLAB_SPLIT_TEST;
    const char *key = heldout_key(s.loader.comp, &split);
    char set[4096];
    if (key) snprintf(set, sizeof set, "data.%s=%s", key, data_path);
    char loader_name[128];
    snprintf(loader_name, sizeof loader_name, "%s", s.loader.comp->name);
    session_close(&s);
    if (!key) {
        rc = err_set(err, RNNLAB_ERR_UNSUPPORTED,
                     "data loader '%s' has no test, dev or valid file parameter to evaluate on",
                     loader_name);
        goto out_ckpt;
    }
    const char *sets[1] = {set};
    a.sets = sets;
    a.nsets = 1;
    rc = session_open(&s, &a, err);
    if (rc != RNNLAB_OK) goto out_ckpt;
    rc = session_open_data(&s, ckpt_meta_get(c, "tokenizer"), ckpt_meta_get(c, "labels"), err);
    if (rc == RNNLAB_OK) rc = make_trainer(&tr, err);
    if (rc == RNNLAB_OK) rc = load_weights(&tr, c, ckpt_path, 0, err);
    eval_result r;
    if (rc == RNNLAB_OK) rc = evaluate(&tr, split, &r, err);
    if (rc == RNNLAB_OK && r.count == 0)
        rc = err_set(err, RNNLAB_ERR_INVALID, "%s: no targets to score", data_path);
    if (rc == RNNLAB_OK && out) {
        fprintf(out, "%s on %s:\n", ckpt_path, data_path);
        tr.args = &(train_args){.out = out};
        print_eval(&tr, "eval", &r);
    }
    free_trainer(&tr);
    session_close(&s);
out_ckpt:
    ckpt_free(c);
    return rc;
}
