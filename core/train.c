/* train.c -- see train.h. The training loop; the run folder's files are in
 * run_files.c, evaluation, gradcheck and eval in evaluate.c. */
#include "trainer.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "host.h"
#include "rnnlab_build.h"

static volatile sig_atomic_t stop_requested = 0;

void train_request_stop(void) { stop_requested = 1; }

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int trainer_is_lm(const session *s) { return s->info.stateful; }

/* ---- batches ------------------------------------------------------------ */

int trainer_batch_alloc(rnnlab_batch *b, const rnnlab_data_info *info) {
    size_t T = info->max_len, B = info->batch_size;
    size_t out_rows = info->head == RNNLAB_HEAD_PER_STEP ? T * B : B;
    memset(b, 0, sizeof *b);
    b->ids = calloc(T * B, sizeof *b->ids);
    b->mask = calloc(T * B, 1);
    b->lengths = calloc(B, sizeof *b->lengths);
    b->target_mask = calloc(out_rows, 1);
    if (info->input_kind == RNNLAB_INPUT_DENSE)
        b->x = calloc(T * B * info->input_size, sizeof *b->x);
    if (info->target_kind == RNNLAB_TARGET_CLASS)
        b->target_ids = calloc(out_rows, sizeof *b->target_ids);
    else
        b->target_values = calloc(out_rows * info->output_size, sizeof *b->target_values);
    int ok = b->ids && b->mask && b->lengths && b->target_mask &&
             (info->input_kind != RNNLAB_INPUT_DENSE || b->x) &&
             (b->target_ids || b->target_values);
    return ok ? RNNLAB_OK : RNNLAB_ERR_NOMEM;
}

void trainer_batch_free(rnnlab_batch *b) {
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
int trainer_next_batch(trainer *tr, rnnlab_split split, size_t i, rnnlab_err *err) {
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
int trainer_score(trainer *tr, const rnnlab_real *logits, size_t rows, double *loss,
                  size_t *correct, size_t *counted, rnnlab_real *dlogits, rnnlab_err *err) {
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
        int rc =
            op->step(s->opt_self, &info, t->data, t->grad, tr->opt_state + i * tr->slots, t->n);
        if (rc != RNNLAB_OK)
            return err_prefix(err, "optimizer '%s' on %s: ", s->optimizer.comp->name, t->name);
    }
    return RNNLAB_OK;
}

double trainer_lr(const trainer *tr) {
    const rnnlab_optimizer_ops *op = &tr->s->optimizer.comp->ops.optimizer;
    double base = op->base_lr ? op->base_lr(tr->s->opt_self) : 1.0;
    return base * tr->lr_scale;
}

/* ---- metrics ------------------------------------------------------------ */

void trainer_metric(trainer *tr, const char *split, const char *name, double value) {
    if (tr->metrics)
        fprintf(tr->metrics, "%llu,%s,%s,%.9g\n", (unsigned long long)tr->step, split, name, value);
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
                tr->epoch + 1, (unsigned long long)tr->step, i + 1, nb, loss, trainer_lr(tr),
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
        trainer_metric(tr, "diag", name, tr->dh_norms[t]);
    }
    for (size_t i = 0; i < tr->ntensors; i++) {
        const model_tensor *t = model_tensor_at(tr->m, i);
        if (strncmp(t->name, "rnn.weight_hh_", 14) != 0) continue;
        char name[96];
        snprintf(name, sizeof name, "spectral_radius_%s", t->name + 14);
        trainer_metric(tr, "diag", name,
                       spectral_radius(t->data, t->shape[0], tr->diag_v, tr->diag_u));
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
                saturated += shape == ACT_SYMMETRIC ? fabsf(v) > 0.99f : (v < 0.01f || v > 0.99f);
                tr->diag_alive[j] |= v > 0.0f;
            }
            real++;
        }
    if (real == 0) return;
    if (shape == ACT_SYMMETRIC || shape == ACT_UNIT)
        trainer_metric(tr, "diag", "saturated_frac", (double)saturated / (double)(real * width));
    if (shape == ACT_RECTIFIED) {
        size_t dead = 0;
        for (size_t j = 0; j < width; j++) dead += !tr->diag_alive[j];
        trainer_metric(tr, "diag", "dead_frac", (double)dead / (double)width);
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
    int rc = trainer_next_batch(tr, RNNLAB_SPLIT_TRAIN, i, err);
    if (rc == RNNLAB_OK)
        rc = model_forward(tr->m, &tr->batch, s->info.stateful && i > 0, &logits, &rows, err);
    if (rc == RNNLAB_OK)
        rc = trainer_score(tr, logits, rows, &loss, &correct, &counted, tr->dlogits, err);
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
        trainer_metric(tr, "train", "loss", loss);
        trainer_metric(tr, "train", "grad_norm", norm);
        trainer_metric(tr, "train", "lr", trainer_lr(tr));
    }
    if (diag) record_diagnostics(tr);
    return RNNLAB_OK;
}

/* Updates the schedule after an epoch with its dev loss (NaN if none). */
static void schedule_epoch(trainer *tr, double dev_loss, int improved) {
    const train_opts *o = &tr->s->train;
    switch (o->schedule) {
    case SCHEDULE_STEP: tr->lr_scale = pow(o->gamma, (double)(tr->epoch / o->step_size)); break;
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
        double t0 = now_seconds(), last_draw = -1.0;
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
            /* A TTY bar is redrawn at most ten times a second (and at the
             * end of the epoch), so fast runs do not spend time printing. */
            int redraw = tr->args->progress_bar && (dt - last_draw >= 0.1 || i + 1 == nb);
            if (redraw) last_draw = dt;
            if (redraw || (!tr->args->progress_bar && tr->step % (uint64_t)s->train.log_every == 0))
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
            rc = run_save_checkpoint(tr, tr->ckpt_last, err);
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
        trainer_metric(tr, "train", "epoch_loss", loss_sum / (double)(done ? done : 1));
        /* Throughput goes to meta.json, not metrics.csv: metrics.csv must be
         * bit-identical between two runs of the same config and seed. */
        if (tr->args->out)
            fprintf(tr->args->out, "epoch %ld/%ld: train loss %.4f, %.0f tokens/s, lr %.4g\n",
                    tr->epoch, s->train.epochs, loss_sum / (double)(done ? done : 1),
                    (double)tokens / (dt > 0 ? dt : 1e-9), trainer_lr(tr));
        eval_result dev;
        rc = trainer_evaluate(tr, RNNLAB_SPLIT_DEV, &dev, err);
        if (rc != RNNLAB_OK) return rc;
        int improved = 0;
        double dev_loss = NAN;
        if (dev.count > 0) {
            trainer_log_eval(tr, "dev", &dev);
            trainer_print_eval(tr, "dev", &dev);
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
        rc = run_save_checkpoint(tr, tr->ckpt_last, err);
        if (rc == RNNLAB_OK && improved) rc = run_save_checkpoint(tr, tr->ckpt_best, err);
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

int run_fetch_state(trainer *tr, rnnlab_err *err) {
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
                return err_set(err, RNNLAB_ERR_PLUGIN, "data loader '%s': label_name(%zu) is %s",
                               s->loader.comp->name, i, name ? "a name with a newline" : "NULL");
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

int trainer_make(trainer *tr, rnnlab_err *err) {
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
        trainer_batch_alloc(&tr->batch, &s->info) != RNNLAB_OK)
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    tr->lr_scale = 1.0;
    tr->best_dev = INFINITY;
    return RNNLAB_OK;
}

void trainer_free(trainer *tr) {
    if (tr->metrics) fclose(tr->metrics);
    for (size_t k = 0; tr->opt_state && k < tr->ntensors * tr->slots; k++) {
        free(tr->opt_state[k]);
        free(tr->opt_names[k]);
    }
    free(tr->opt_state);
    free(tr->opt_names);
    if (tr->m) model_free(tr->m);
    trainer_batch_free(&tr->batch);
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
        resume_path = run_path_join(targs->resume_dir, "last.safetensors");
        if (!resume_path) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        rc = ckpt_read(&resume, resume_path, err);
        if (rc != RNNLAB_OK) {
            free(resume_path);
            return err_prefix(err, "cannot resume: ");
        }
        rc = ckpt_check_rnnlab(resume, resume_path, err);
        if (rc != RNNLAB_OK) {
            err_prefix(err, "cannot resume: ");
            goto out_ckpt;
        }
        const char *cfg = ckpt_meta_get(resume, "config");
        if (!cfg) {
            rc = err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata has no 'config'", resume_path);
            goto out_ckpt;
        }
        cfg_from_run = run_path_join(targs->resume_dir, "config.ini");
        a.config_path = cfg_from_run;
        a.config_text = cfg;
        a.config_dir = ".";
    }
    rc = session_open(&s, &a, err);
    if (rc != RNNLAB_OK) goto out_ckpt;
    rc = session_open_data(&s, resume ? ckpt_meta_get(resume, "tokenizer") : NULL,
                           resume ? ckpt_meta_get(resume, "labels") : NULL, err);
    if (rc == RNNLAB_OK) rc = trainer_make(&tr, err);
    if (rc == RNNLAB_OK) rc = run_fetch_state(&tr, err);
    if (rc == RNNLAB_OK && resume) rc = run_resume(&tr, resume, resume_path, err);
    if (rc == RNNLAB_OK) {
        if (resume) {
            tr.run_path = strdup(targs->resume_dir);
            if (!tr.run_path) rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        } else {
            rc = run_choose_dir(&tr, err);
        }
    }
    if (rc == RNNLAB_OK) {
        tr.ckpt_last = run_path_join(tr.run_path, "last.safetensors");
        tr.ckpt_best = run_path_join(tr.run_path, "best.safetensors");
        tr.metrics_path = run_path_join(tr.run_path, "metrics.csv");
        char *cfg_path = run_path_join(tr.run_path, "config.ini");
        if (!tr.ckpt_last || !tr.ckpt_best || !tr.metrics_path || !cfg_path)
            rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        if (rc == RNNLAB_OK) rc = config_save(s.cfg, cfg_path, err);
        free(cfg_path);
    }
    if (rc == RNNLAB_OK) rc = run_open_metrics(&tr, resume != NULL, err);
    if (rc == RNNLAB_OK) rc = run_write_meta(&tr, "running", NULL, err);
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
        run_write_meta(&tr, "interrupted", err->msg, &e2);
        goto out_session;
    }
    if (rc != RNNLAB_OK) {
        rnnlab_err e2;
        run_write_meta(&tr, rc == RNNLAB_ERR_NUMERIC ? "diverged" : "failed", err->msg, &e2);
        goto out_session;
    }
    eval_result test;
    rc = trainer_evaluate(&tr, RNNLAB_SPLIT_TEST, &test, err);
    if (rc == RNNLAB_OK && test.count > 0) {
        trainer_log_eval(&tr, "test", &test);
        trainer_print_eval(&tr, "test", &test);
    }
    if (tr.metrics) fflush(tr.metrics);
    if (rc == RNNLAB_OK) rc = run_write_meta(&tr, "ok", NULL, err);
    if (rc == RNNLAB_OK && run_path) {
        *run_path = tr.run_path;
        tr.run_path = NULL;
    }
out_session:
    trainer_free(&tr);
    session_close(&s);
out_ckpt:
    if (resume) ckpt_free(resume);
    free(resume_path);
    free(cfg_from_run);
    return rc;
}
