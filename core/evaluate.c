/* evaluate.c -- scoring a model without training it: dev and test passes
 * during training, `rnnlab eval` on a file, and `rnnlab gradcheck`. */
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* ---- evaluation --------------------------------------------------------- */

int trainer_evaluate(trainer *tr, rnnlab_split split, eval_result *res, rnnlab_err *err) {
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
        rc = trainer_next_batch(tr, split, i, err);
        if (rc == RNNLAB_OK)
            rc = model_forward(tr->m, &tr->batch, s->info.stateful && i > 0, &logits, &rows, err);
        if (rc == RNNLAB_OK) rc = trainer_score(tr, logits, rows, &loss, &c, &n, NULL, err);
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

void trainer_log_eval(trainer *tr, const char *split, const eval_result *r) {
    trainer_metric(tr, split, "loss", r->loss);
    if (tr->s->info.target_kind == RNNLAB_TARGET_CLASS)
        trainer_metric(tr, split, "accuracy", r->accuracy);
    if (trainer_is_lm(tr->s)) {
        trainer_metric(tr, split, "perplexity", exp(r->loss));
        trainer_metric(tr, split, "bits_per_token", r->loss / log(2.0));
    }
}

void trainer_print_eval(trainer *tr, const char *split, const eval_result *r) {
    FILE *o = tr->args->out;
    if (!o) return;
    fprintf(o, "  %-5s loss %.4f", split, r->loss);
    if (tr->s->info.target_kind == RNNLAB_TARGET_CLASS)
        fprintf(o, "  acc %.2f%%", 100.0 * r->accuracy);
    if (trainer_is_lm(tr->s))
        fprintf(o, "  ppl %.3f  bits/token %.4f", exp(r->loss), r->loss / log(2.0));
    fprintf(o, "  (%zu targets)\n", r->count);
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
            if (src->x)
                memcpy(dst->x + (t * B + b) * in, src->x + (t * sB + b) * in, in * sizeof(float));
        }
    size_t rows = info->head == RNNLAB_HEAD_PER_STEP ? T * B : B;
    for (size_t r = 0; r < rows; r++) {
        size_t sr = info->head == RNNLAB_HEAD_PER_STEP ? (r / B) * sB + r % B : r;
        dst->target_mask[r] = src->target_mask[sr];
        if (src->target_ids) dst->target_ids[r] = src->target_ids[sr];
        if (src->target_values)
            memcpy(dst->target_values + r * out, src->target_values + sr * out,
                   out * sizeof(float));
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
    rc = trainer_batch_alloc(&tr.batch, &s.info) == RNNLAB_OK
             ? RNNLAB_OK
             : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    if (rc == RNNLAB_OK) {
        host_set_sink(s.host, err);
        rc = s.loader.comp->ops.loader.begin_epoch(s.loader_self, RNNLAB_SPLIT_TRAIN, 0);
        if (rc == RNNLAB_OK) rc = trainer_next_batch(&tr, RNNLAB_SPLIT_TRAIN, 0, err);
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
    if (trainer_batch_alloc(&crop, &small) != RNNLAB_OK) {
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
        rc = model_gradcheck(m, &crop, &s.loss.comp->ops.loss, s.loss_self, GRADCHECK_EPS, worst,
                             err);
    }
    if (rc == RNNLAB_OK) {
        double max = 0.0;
        if (out)
            fprintf(out,
                    "gradcheck: %s, H=%zu, layers=%zu%s, T=%zu, B=%zu, loss %s, double precision\n",
                    s.activation.comp->name, spec.hidden_size, spec.num_layers,
                    spec.bidirectional ? ", bidirectional" : "", spec.max_T, spec.max_B,
                    s.loss.comp->name);
        for (size_t i = 0; i < model_num_tensors(m); i++) {
            const model_tensor *t = model_tensor_at(m, i);
            if (out)
                fprintf(out, "  %-28s %6zu params  max rel error %.3e\n", t->name, t->n, worst[i]);
            if (worst[i] > max || isnan(worst[i])) max = worst[i];
        }
        if (out)
            fprintf(out, "max relative error %.3e (tolerance %.1e): %s\n", max, tol,
                    max < tol ? "PASS" : "FAIL");
        if (!(max < tol))
            rc = err_set(err, RNNLAB_ERR_NUMERIC,
                         "gradcheck failed: max relative error %.3e is above %.1e", max, tol);
    }
    free(worst);
    if (m) model_free(m);
    trainer_batch_free(&crop);
out:
    trainer_batch_free(&tr.batch);
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
    rc = ckpt_check_rnnlab(c, ckpt_path, err);
    if (rc != RNNLAB_OK) {
        ckpt_free(c);
        return rc;
    }
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
    if (rc == RNNLAB_OK) rc = trainer_make(&tr, err);
    if (rc == RNNLAB_OK) rc = run_load_weights(&tr, c, ckpt_path, 0, err);
    eval_result r;
    if (rc == RNNLAB_OK) rc = trainer_evaluate(&tr, split, &r, err);
    if (rc == RNNLAB_OK && r.count == 0)
        rc = err_set(err, RNNLAB_ERR_INVALID, "%s: no targets to score", data_path);
    if (rc == RNNLAB_OK && out) {
        fprintf(out, "%s on %s:\n", ckpt_path, data_path);
        tr.args = &(train_args){.out = out};
        trainer_print_eval(&tr, "eval", &r);
    }
    trainer_free(&tr);
    session_close(&s);
out_ckpt:
    ckpt_free(c);
    return rc;
}
