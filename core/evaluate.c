/* evaluate.c -- see evaluate.h. */
#include "evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "plugin_guard.h"
#include "run_files.h"
#include "rnnlab/portable_math.h"

/* ---- evaluation --------------------------------------------------------- */

int evaluate_split(trainer *tr, rnnlab_split split, eval_result *res, rnnlab_err *err) {
    session *s = tr->s;
    const rnnlab_loader_ops *ld = &s->loader.comp->ops.loader;
    memset(res, 0, sizeof *res);
    guard_enter(s->loader.comp, "num_batches");
    size_t nb = ld->num_batches(s->loader_self, split);
    guard_leave();
    if (nb == 0) return RNNLAB_OK;
    host_set_sink(s->host, err);
    guard_enter(s->loader.comp, "begin_epoch");
    int rc = ld->begin_epoch(s->loader_self, split, 0);
    guard_leave();
    if (rc != RNNLAB_OK) return err_prefix(err, "data loader '%s': ", s->loader.comp->name);
    double total = 0.0;
    size_t correct = 0, count = 0;
    /* The training stream's carried state survives the pass, so that a
     * checkpoint written after it holds the state at its step. */
    size_t ncarry;
    float *carry = model_carried_state(tr->m, &ncarry);
    memcpy(tr->carry_saved, carry, ncarry * sizeof *carry);
    model_reset_state(tr->m);
    for (size_t i = 0; i < nb; i++) {
        float *logits;
        size_t rows, c = 0, n = 0;
        double loss;
        rc = trainer_next_batch(tr, split, i, err);
        if (rc == RNNLAB_OK) rc = trainer_forward(tr, i, &logits, &rows, err);
        if (rc == RNNLAB_OK) rc = trainer_score(tr, logits, rows, &loss, &c, &n, NULL, err);
        if (rc != RNNLAB_OK) return rc;
        total += loss * (double)n;
        correct += c;
        count += n;
    }
    memcpy(carry, tr->carry_saved, ncarry * sizeof *carry);
    res->count = count;
    res->loss = count ? total / (double)count : 0.0;
    res->accuracy = count ? (double)correct / (double)count : 0.0;
    return RNNLAB_OK;
}

void evaluate_log(trainer *tr, const char *split, const eval_result *r) {
    const char *name;
    double v;
    for (size_t i = 0; (name = metric_name_at(tr->s, i)); i++)
        if (metric_value(tr->s, name, r, &v) == 0) trainer_metric(tr, split, name, v);
}

void evaluate_print(trainer *tr, const char *split, const eval_result *r) {
    FILE *o = tr->out;
    if (!o) return;
    fprintf(o, "  %-5s loss %.4f", split, r->loss);
    if (tr->s->info.target_kind == RNNLAB_TARGET_CLASS)
        fprintf(o, "  acc %.2f%%", 100.0 * r->accuracy);
    if (metric_is_lm(tr->s))
        fprintf(o, "  ppl %.3f  bits/token %.4f", rnnlab_exp(r->loss), r->loss / M_LN2);
    fprintf(o, "  (%zu targets)\n", r->count);
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

int evaluate_checkpoint(const char *ckpt_path, const char *data_path, const char *plugin_path,
                        FILE *out, rnnlab_err *err) {
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
    tr.s = &s;
    /* First pass: which key of this loader names a held-out file? */
    session_args a = {.config_path = ckpt_path,
                      .plugin_path = plugin_path,
                      .config_text = cfg,
                      .config_dir = "."};
    rc = session_open(&s, &a, err);
    if (rc != RNNLAB_OK) goto out_ckpt;
    rnnlab_split split = RNNLAB_SPLIT_TEST;
    const char *key = heldout_key(s.loader.comp, &split);
    /* Every file the loader reads becomes FILE: the tokenizer and labels
     * come from the checkpoint, so the training data is never read (it may
     * have moved, or be large). */
    char sets_text[8][4096];
    const char *sets[8];
    size_t nsets = 0;
    for (const rnnlab_param *p = s.loader.comp->params; key && p && p->key && nsets < 8; p++)
        if (p->type == RNNLAB_PARAM_STRING && (p->flags & RNNLAB_PARAM_PATH)) {
            snprintf(sets_text[nsets], sizeof sets_text[nsets], "data.%s=%s", p->key, data_path);
            sets[nsets] = sets_text[nsets];
            nsets++;
        }
    char loader_name[128];
    snprintf(loader_name, sizeof loader_name, "%s", s.loader.comp->name);
    session_close(&s);
    if (!key) {
        rc = err_set(err, RNNLAB_ERR_UNSUPPORTED,
                     "data loader '%s' has no test, dev or valid file parameter to evaluate on",
                     loader_name);
        goto out_ckpt;
    }
    a.sets = sets;
    a.nsets = nsets;
    rc = session_open(&s, &a, err);
    if (rc != RNNLAB_OK) goto out_ckpt;
    rc = session_open_data(&s, ckpt_meta_get(c, "tokenizer"), ckpt_meta_get(c, "labels"), err);
    if (rc != RNNLAB_OK) err_prefix(err, "--data %s: ", data_path);
    if (rc == RNNLAB_OK) rc = trainer_make(&tr, err);
    if (rc == RNNLAB_OK) rc = run_load_weights(&tr, c, ckpt_path, 0, err);
    eval_result r;
    if (rc == RNNLAB_OK) rc = evaluate_split(&tr, split, &r, err);
    if (rc == RNNLAB_OK && r.count == 0)
        rc = err_set(err, RNNLAB_ERR_INVALID, "%s: no targets to score", data_path);
    if (rc == RNNLAB_OK && out) {
        fprintf(out, "%s on %s:\n", ckpt_path, data_path);
        tr.out = out;
        evaluate_print(&tr, "eval", &r);
    }
    trainer_free(&tr);
    session_close(&s);
out_ckpt:
    ckpt_free(c);
    return rc;
}
