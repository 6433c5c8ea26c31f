/* train.c -- see train.h. The training loop; the trainer's state is in
 * trainer.c, the run folder's files in run_files.c, dev and test passes in
 * evaluate.c and the diagnostics in diagnostics.c. */
#include "train.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "diagnostics.h"
#include "evaluate.h"
#include "fileio.h"
#include "host.h"
#include "plugin_guard.h"
#include "rnnlab_build.h"
#include "run_files.h"
#include "run_folder.h"
#include "trainer.h"
#include "rnnlab/portable_math.h"

static volatile sig_atomic_t stop_requested = 0;

void train_request_stop(void) { stop_requested = 1; }

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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
        guard_enter(s->optimizer.comp, "step");
        int rc =
            op->step(s->opt_self, &info, t->data, t->grad, tr->opt_state + i * tr->slots, t->n);
        guard_leave();
        if (rc != RNNLAB_OK)
            return err_prefix(err, "optimizer '%s' on %s: ", s->optimizer.comp->name, t->name);
    }
    return RNNLAB_OK;
}

/* ---- the loop ----------------------------------------------------------- */

/* Optimizer steps the whole run will take: every epoch's batches, or
 * max_steps when that is fewer (early stopping cannot be foreseen). */
static uint64_t run_total_steps(const trainer *tr, size_t nb) {
    const train_opts *o = &tr->s->train;
    uint64_t total = (uint64_t)o->epochs * (uint64_t)nb;
    if (o->max_steps > 0 && (uint64_t)o->max_steps < total) total = (uint64_t)o->max_steps;
    return total;
}

/* "1:02:03" or "02:03". */
static const char *fmt_eta(double seconds, char *buf, size_t size) {
    long s = seconds > 0 && seconds < 1e9 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%02ld:%02ld", s / 60, s % 60);
    return buf;
}

/* One progress report: eta is for the rest of the whole run, from this
 * session's mean time per step. */
static void progress(trainer *tr, size_t i, size_t nb, double loss, double tok_s, double eta) {
    FILE *o = tr->out;
    if (!o) return;
    char e[32];
    uint64_t total = run_total_steps(tr, nb);
    if (tr->progress_bar) {
        int width = 24, fill = (int)((double)width * (double)(i + 1) / (double)nb);
        char bar[32];
        for (int k = 0; k < width; k++) bar[k] = k < fill ? '=' : (k == fill ? '>' : ' ');
        bar[width] = '\0';
        fprintf(o, "\repoch %ld/%ld [%s] %zu/%zu step %llu/%llu loss %.4f %.1fk tok/s ETA %s ",
                tr->epoch + 1, tr->s->train.epochs, bar, i + 1, nb, (unsigned long long)tr->step,
                (unsigned long long)total, loss, tok_s / 1000.0, fmt_eta(eta, e, sizeof e));
        fflush(o);
    } else {
        fprintf(o, "epoch %ld step %llu/%llu batch %zu/%zu loss %.4f lr %.4g %.1fk tok/s ETA %s\n",
                tr->epoch + 1, (unsigned long long)tr->step, (unsigned long long)total, i + 1, nb,
                loss, trainer_lr(tr), tok_s / 1000.0, fmt_eta(eta, e, sizeof e));
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
    if (rc == RNNLAB_OK) rc = trainer_forward(tr, i, &logits, &rows, err);
    if (rc == RNNLAB_OK)
        rc = trainer_score(tr, logits, rows, &loss, &correct, &counted, tr->dlogits, err);
    if (rc != RNNLAB_OK) return rc;
    if (!isfinite(loss)) return diverged(tr, "the loss", loss, err);
    model_zero_grad(tr->m);
    int diag = s->train.diag_every > 0 && (tr->step + 1) % (uint64_t)s->train.diag_every == 0;
    guard_enter(s->activation.comp, "model backward");
    rc = model_backward(tr->m, tr->dlogits, diag ? tr->dh_norms : NULL, err);
    guard_leave();
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
    if (diag) diagnostics_record(tr);
    return RNNLAB_OK;
}

/* Updates the schedule after an epoch with its selected metric's value
 * (NaN if none). */
static void schedule_epoch(trainer *tr, double value, int improved) {
    const train_opts *o = &tr->s->train;
    switch (o->schedule) {
    case SCHEDULE_STEP:
        tr->lr_scale = rnnlab_powi(o->gamma, (uint64_t)(tr->epoch / o->step_size));
        break;
    case SCHEDULE_EXPONENTIAL: tr->lr_scale = rnnlab_powi(o->gamma, (uint64_t)tr->epoch); break;
    case SCHEDULE_PLATEAU:
        if (!isnan(value) && !improved && ++tr->plateau_bad > o->plateau_patience) {
            tr->lr_scale *= o->gamma;
            tr->plateau_bad = 0;
        } else if (improved) {
            tr->plateau_bad = 0;
        }
        break;
    default: break;
    }
}

/* The dev pass, logged; then the epoch's value of the select metric
 * (select.h, from the dev pass or epoch_loss) into *value, NaN when there
 * is none (a dev metric without a dev split). *improved when it beats the
 * best so far: best.safetensors is then written. */
static int dev_pass(trainer *tr, double epoch_loss, int *improved, double *value, rnnlab_err *err) {
    eval_result dev;
    *improved = 0;
    *value = NAN;
    int rc = evaluate_split(tr, RNNLAB_SPLIT_DEV, &dev, err);
    if (rc != RNNLAB_OK) return rc;
    if (dev.count > 0) {
        evaluate_log(tr, "dev", &dev);
        evaluate_print(tr, "dev", &dev);
        if (!isfinite(dev.loss)) return diverged(tr, "the dev loss", dev.loss, err);
    }
    *value = select_value(&tr->select, tr->s, &dev, epoch_loss);
    *improved = select_improves(&tr->select, *value, tr->best_dev);
    if (*improved) {
        tr->best_dev = *value;
        tr->bad_epochs = 0;
    } else if (!isnan(*value)) {
        tr->bad_epochs++;
    }
    return RNNLAB_OK;
}

/* The end of the run inside an epoch ([train] max_steps): not an epoch's
 * end, so no epoch count, schedule step or early-stopping tally. The
 * checkpoint comes first, holding the training state at this step (the
 * dev pass does not touch the carried state, but its rows are the run's
 * final report, which a resume with a larger max_steps drops): resuming
 * it continues exactly as a run that never stopped here. */
static int stop_mid_epoch(trainer *tr, rnnlab_err *err) {
    int rc = run_save_checkpoint(tr, tr->ckpt_last, err);
    if (rc != RNNLAB_OK) return rc;
    if (tr->out && tr->progress_bar) fputc('\n', tr->out);
    if (tr->out)
        fprintf(tr->out, "max_steps = %ld reached in epoch %ld (batch %zu)\n",
                tr->s->train.max_steps, tr->epoch + 1, tr->batch_next);
    int improved;
    double value;
    long bad = tr->bad_epochs;
    /* No epoch ended, so there is no epoch loss to select by. */
    rc = dev_pass(tr, NAN, &improved, &value, err);
    tr->bad_epochs = bad;
    if (rc == RNNLAB_OK && improved) rc = run_save_checkpoint(tr, tr->ckpt_best, err);
    return rc;
}

static int run_epochs(trainer *tr, rnnlab_err *err) {
    session *s = tr->s;
    const rnnlab_loader_ops *ld = &s->loader.comp->ops.loader;
    guard_enter(s->loader.comp, "num_batches");
    size_t nb = ld->num_batches(s->loader_self, RNNLAB_SPLIT_TRAIN);
    guard_leave();
    if (nb == 0)
        return err_set(err, RNNLAB_ERR_INVALID, "%s: the training split has no batches",
                       s->config_path);
    uint64_t max_steps = s->train.max_steps > 0 ? (uint64_t)s->train.max_steps : UINT64_MAX;
    int rc = RNNLAB_OK;
    double t_run = now_seconds();
    uint64_t step0 = tr->step;
    while (tr->epoch < s->train.epochs && !tr->finished) {
        /* A run that reached max_steps at an epoch's end (or is resumed
         * there) starts no new epoch. */
        if (tr->step >= max_steps && tr->batch_next == 0) break;
        /* Nor does an early-stopped one. */
        if (s->train.patience > 0 && tr->bad_epochs >= s->train.patience) break;
        host_set_sink(s->host, err);
        guard_enter(s->loader.comp, "begin_epoch");
        rc = ld->begin_epoch(s->loader_self, RNNLAB_SPLIT_TRAIN, (uint64_t)tr->epoch);
        guard_leave();
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
        size_t tokens = 0;
        int interrupted = 0;
        for (size_t i = first; i < nb; i++) {
            if (tr->step >= max_steps) {
                tr->finished = 1;
                break;
            }
            double loss = 0.0;
            size_t tok = 0;
            rc = train_step(tr, i, &loss, &tok, err);
            if (rc != RNNLAB_OK) return rc;
            tr->epoch_loss_sum += loss;
            tr->epoch_batches++;
            tr->batch_next = i + 1;
            tokens += tok;
            double dt = now_seconds() - t0;
            /* A TTY bar is redrawn at most ten times a second (and at the
             * end of the epoch), so fast runs do not spend time printing. */
            int redraw = tr->progress_bar && (dt - last_draw >= 0.1 || i + 1 == nb);
            if (redraw) last_draw = dt;
            if (redraw || (!tr->progress_bar && tr->step % (uint64_t)s->train.log_every == 0)) {
                double per_step = (now_seconds() - t_run) / (double)(tr->step - step0);
                uint64_t total = run_total_steps(tr, nb);
                progress(tr, i, nb, tr->epoch_loss_sum / (double)tr->epoch_batches,
                         (double)tokens / (dt > 0 ? dt : 1e-9),
                         per_step * (double)(total > tr->step ? total - tr->step : 0));
            }
            if (stop_requested || (tr->stop_after_steps && tr->step >= tr->stop_after_steps)) {
                interrupted = i + 1 < nb;
                if (interrupted) break;
            }
        }
        double dt = now_seconds() - t0;
        tr->train_seconds += dt;
        tr->tokens_total += tokens;
        if (interrupted) {
            rc = run_save_checkpoint(tr, tr->ckpt_last, err);
            if (rc != RNNLAB_OK) return err_prefix(err, "interrupted, and the checkpoint failed: ");
            return err_set(err, RNNLAB_ERR_INTERRUPTED,
                           "interrupted after step %llu (epoch %ld, batch %zu of %zu); "
                           "checkpoint written; continue with `rnnlab train --resume %s`",
                           (unsigned long long)tr->step, tr->epoch + 1, tr->batch_next, nb,
                           tr->run_path);
        }
        if (tr->finished) return stop_mid_epoch(tr, err);
        double epoch_loss =
            tr->epoch_loss_sum / (double)(tr->epoch_batches ? tr->epoch_batches : 1);
        tr->batch_next = 0;
        tr->epoch++;
        if (tr->out && tr->progress_bar) fputc('\n', tr->out);
        trainer_metric(tr, "train", "epoch_loss", epoch_loss);
        /* Throughput goes to meta.json, not metrics.csv: metrics.csv must be
         * bit-identical between two runs of the same config and seed. */
        if (tr->out)
            fprintf(tr->out, "epoch %ld/%ld: train loss %.4f, %.0f tokens/s, lr %.4g\n", tr->epoch,
                    s->train.epochs, epoch_loss, (double)tokens / (dt > 0 ? dt : 1e-9),
                    trainer_lr(tr));
        int improved;
        double value;
        rc = dev_pass(tr, epoch_loss, &improved, &value, err);
        if (rc != RNNLAB_OK) return rc;
        schedule_epoch(tr, value, improved);
        rc = run_save_checkpoint(tr, tr->ckpt_last, err);
        if (rc == RNNLAB_OK && improved) rc = run_save_checkpoint(tr, tr->ckpt_best, err);
        if (rc != RNNLAB_OK) return rc;
        /* max_steps reached with the epoch's last batch: the run ends here. */
        if (tr->step >= max_steps) tr->finished = 1;
        if ((stop_requested || (tr->stop_after_steps && tr->step >= tr->stop_after_steps)) &&
            tr->epoch < s->train.epochs && !tr->finished &&
            !(s->train.patience > 0 && tr->bad_epochs >= s->train.patience))
            return err_set(err, RNNLAB_ERR_INTERRUPTED,
                           "interrupted after step %llu (end of epoch %ld); checkpoint written; "
                           "continue with `rnnlab train --resume %s`",
                           (unsigned long long)tr->step, tr->epoch, tr->run_path);
        if (s->train.patience > 0 && tr->bad_epochs >= s->train.patience) {
            if (tr->out)
                fprintf(tr->out, "early stop: %s has not improved for %ld epochs\n",
                        tr->select.name, tr->bad_epochs);
            break;
        }
    }
    return RNNLAB_OK;
}

/* ---- set-up ------------------------------------------------------------- */

/* The process is ending inside the run (a plugin called exit()): meta.json
 * says so, so that nothing reads the run as finished. */
static void on_abnormal_exit(void *ctx, const char *message) {
    rnnlab_err e;
    run_write_meta(ctx, "failed", message, &e);
}

int train_checkpoint_of(const char *path, char **ckpt, rnnlab_err *err) {
    struct stat st;
    *ckpt = NULL;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        *ckpt = strdup(path);
        return *ckpt ? RNNLAB_OK : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    static const char *const names[] = {"best.safetensors", "last.safetensors"};
    for (size_t i = 0; i < 2; i++) {
        char *p = path_join(path, names[i]);
        if (!p) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        if (stat(p, &st) == 0) {
            *ckpt = p;
            return RNNLAB_OK;
        }
        free(p);
    }
    return err_set(err, RNNLAB_ERR_IO,
                   "%s: a run folder without best.safetensors or last.safetensors (not a run, or "
                   "it has not finished a step)",
                   path);
}

int train_run(const session_args *sargs, const train_args *targs, char **run_path,
              rnnlab_err *err) {
    session s;
    trainer tr;
    memset(&tr, 0, sizeof tr);
    tr.out = targs->out;
    tr.progress_bar = targs->progress_bar;
    tr.stop_after_steps = targs->stop_after_steps;
    tr.run_dir = targs->run_dir;
    tr.lock_fd = -1;
    tr.s = &s;
    ckpt *resume = NULL;
    char *resume_path = NULL;
    session_args a = *sargs;
    char *cfg_from_run = NULL;
    int rc = RNNLAB_OK;
    stop_requested = 0;
    if (run_path) *run_path = NULL;
    if (targs->resume_dir) {
        /* Locked before anything of the run is read: no other process is
         * writing the checkpoint or the metrics we are about to continue. */
        rc = run_folder_lock(targs->resume_dir, &tr.lock_fd, err);
        if (rc != RNNLAB_OK) return err_prefix(err, "cannot resume: ");
        /* The run's own checkpoint carries its resolved config: a resumed
         * run continues exactly what was started, with --set on top. */
        resume_path = path_join(targs->resume_dir, "last.safetensors");
        if (!resume_path) {
            rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
            goto out_ckpt;
        }
        rc = ckpt_read(&resume, resume_path, err);
        if (rc != RNNLAB_OK) {
            err_prefix(err, "cannot resume: ");
            goto out_ckpt;
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
        cfg_from_run = path_join(targs->resume_dir, "config.ini");
        a.config_path = cfg_from_run;
        a.config_text = cfg;
        a.config_dir = ".";
    }
    rc = session_open(&s, &a, err);
    if (rc != RNNLAB_OK) goto out_ckpt;
    rc = session_open_data(&s, resume ? ckpt_meta_get(resume, "tokenizer") : NULL,
                           resume ? ckpt_meta_get(resume, "labels") : NULL, err);
    if (rc == RNNLAB_ERR_IO && resume) {
        /* The paths are the absolute ones the run recorded. */
        char msg[RNNLAB_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        err_set(err, rc,
                "cannot resume: %s (the path the run recorded in its config.ini; if the data "
                "moved, point to it with --set data.KEY=NEW_PATH)",
                msg);
    }
    if (rc == RNNLAB_OK) rc = trainer_make(&tr, err);
    if (rc == RNNLAB_OK) rc = select_resolve(&s, &tr.select, err);
    if (rc == RNNLAB_OK) tr.best_dev = select_start(&tr.select);
    if (rc == RNNLAB_OK) rc = trainer_fetch_state(&tr, err);
    if (rc == RNNLAB_OK && resume) rc = run_resume(&tr, resume, resume_path, err);
    if (rc == RNNLAB_OK) {
        if (resume) {
            tr.run_path = strdup(targs->resume_dir);
            if (!tr.run_path) rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        } else {
            rc = run_folder_new(&tr, targs->force, err);
        }
    }
    if (rc == RNNLAB_OK) {
        tr.ckpt_last = path_join(tr.run_path, "last.safetensors");
        tr.ckpt_best = path_join(tr.run_path, "best.safetensors");
        char *cfg_path = path_join(tr.run_path, "config.ini");
        if (!tr.ckpt_last || !tr.ckpt_best || !cfg_path)
            rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        if (rc == RNNLAB_OK) rc = config_save(s.cfg, cfg_path, err);
        free(cfg_path);
    }
    if (rc == RNNLAB_OK) rc = run_open_metrics(&tr, resume, resume_path, err);
    if (rc == RNNLAB_OK) rc = run_write_meta(&tr, "running", NULL, err);
    if (rc != RNNLAB_OK) goto out_session;
    guard_run_begin(on_abnormal_exit, &tr);

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
        if (!tr.select.train &&
            s.loader.comp->ops.loader.num_batches(s.loader_self, RNNLAB_SPLIT_DEV) == 0)
            fprintf(targs->out,
                    "note: no dev split, so [train] select = %s never improves: no "
                    "best.safetensors, no early stop\n",
                    tr.select.name);
    }
    if (targs->init_only && !resume) {
        rc = run_save_checkpoint(&tr, tr.ckpt_last, err);
        if (rc == RNNLAB_OK) rc = run_write_meta(&tr, "initialized", NULL, err);
        if (rc == RNNLAB_OK && targs->out)
            fprintf(targs->out, "initial weights: %s (continue with `rnnlab train --resume %s`)\n",
                    tr.ckpt_last, tr.run_path);
        if (rc == RNNLAB_OK && run_path) {
            *run_path = tr.run_path;
            tr.run_path = NULL;
        }
        goto out_session;
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
    rc = evaluate_split(&tr, RNNLAB_SPLIT_TEST, &test, err);
    if (rc == RNNLAB_OK && test.count > 0) {
        evaluate_log(&tr, "test", &test);
        evaluate_print(&tr, "test", &test);
    }
    if (rc == RNNLAB_OK) rc = runlog_sync(&tr.metrics, err);
    if (rc == RNNLAB_OK) rc = run_write_meta(&tr, "ok", NULL, err);
    if (rc == RNNLAB_OK && run_path) {
        *run_path = tr.run_path;
        tr.run_path = NULL;
    }
out_session:
    guard_run_end();
    trainer_free(&tr);
    session_close(&s);
out_ckpt:
    if (resume) ckpt_free(resume);
    free(resume_path);
    free(cfg_from_run);
    lockfile_release(tr.lock_fd);
    return rc;
}
