/* trainer.c -- see trainer.h: the state of one training run and what the
 * loop, evaluation and the run folder all use. */
#include "trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "plugin_guard.h"

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
    guard_enter(s->loader.comp, "batch");
    int rc = ld->batch(s->loader_self, split, i, &tr->batch);
    guard_leave();
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

int trainer_forward(trainer *tr, size_t i, rnnlab_real **logits, size_t *rows, rnnlab_err *err) {
    const session *s = tr->s;
    guard_enter(s->activation.comp, "model forward");
    int rc = model_forward(tr->m, &tr->batch, s->info.stateful && i > 0, logits, rows, err);
    guard_leave();
    return rc;
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
    guard_enter(s->loss.comp, "forward");
    int rc = s->loss.comp->ops.loss.forward(s->loss_self, logits, &lb, loss, correct, dlogits);
    guard_leave();
    if (rc != RNNLAB_OK) return err_prefix(err, "loss '%s': ", s->loss.comp->name);
    return RNNLAB_OK;
}

double trainer_lr(const trainer *tr) {
    const rnnlab_optimizer_ops *op = &tr->s->optimizer.comp->ops.optimizer;
    guard_enter(tr->s->optimizer.comp, "base_lr");
    double base = op->base_lr ? op->base_lr(tr->s->opt_self) : 1.0;
    guard_leave();
    return base * tr->lr_scale;
}

/* The activation's shape, probed through its ops (the core never knows
 * which plugin it holds): bounded in (-1, 1) like tanh, in (0, 1) like
 * sigmoid, or unbounded above with 0 below like relu. */
int trainer_activation_shape(const session *s) {
    const rnnlab_activation_ops *a = &s->activation.comp->ops.activation;
    float x[3] = {-1e4f, 0.0f, 1e4f}, y[3];
    guard_enter(s->activation.comp, "forward");
    int rc = a->forward(s->act_self, x, y, 3);
    guard_leave();
    if (rc != RNNLAB_OK) return ACT_OTHER;
    if (fabsf(y[0] + 1.0f) < 1e-3f && fabsf(y[2] - 1.0f) < 1e-3f) return ACT_SYMMETRIC;
    if (fabsf(y[0]) < 1e-3f && fabsf(y[2] - 1.0f) < 1e-3f) return ACT_UNIT;
    if (y[0] == 0.0f && y[1] == 0.0f && y[2] > 1e3f) return ACT_RECTIFIED;
    return ACT_OTHER;
}

static void add_name(metric_name *out, size_t cap, size_t *n, const char *split, const char *name) {
    if (*n < cap) {
        snprintf(out[*n].split, sizeof out[*n].split, "%s", split);
        snprintf(out[*n].name, sizeof out[*n].name, "%s", name);
    }
    (*n)++;
}

size_t trainer_metric_names(const session *s, metric_name *out, size_t cap) {
    static const char *const train[] = {"loss", "grad_norm", "lr", "epoch_loss"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof train / sizeof train[0]; i++)
        add_name(out, cap, &n, "train", train[i]);
    const rnnlab_loader_ops *ld = &s->loader.comp->ops.loader;
    static const char *const splits[] = {"dev", "test"};
    static const rnnlab_split ids[] = {RNNLAB_SPLIT_DEV, RNNLAB_SPLIT_TEST};
    for (size_t k = 0; k < 2; k++) {
        if (ld->num_batches(s->loader_self, ids[k]) == 0) continue;
        const char *m;
        for (size_t i = 0; (m = metric_name_at(s, i)); i++) add_name(out, cap, &n, splits[k], m);
    }
    if (s->train.diag_every > 0) {
        char name[48];
        for (size_t t = 0; t < s->info.max_len; t++) {
            snprintf(name, sizeof name, "dh_norm_t%zu", t);
            add_name(out, cap, &n, "diag", name);
        }
        for (size_t l = 0; l < s->spec.num_layers; l++)
            for (int r = 0; r < (s->spec.bidirectional ? 2 : 1); r++) {
                snprintf(name, sizeof name, "spectral_radius_l%zu%s", l, r ? "_reverse" : "");
                add_name(out, cap, &n, "diag", name);
            }
        int shape = trainer_activation_shape(s);
        if (shape == ACT_SYMMETRIC || shape == ACT_UNIT)
            add_name(out, cap, &n, "diag", "saturated_frac");
        if (shape == ACT_RECTIFIED) add_name(out, cap, &n, "diag", "dead_frac");
    }
    return n;
}

void trainer_metric(trainer *tr, const char *split, const char *name, double value) {
    runlog_printf(&tr->metrics, "%llu,%s,%s,%.9g", (unsigned long long)tr->step, split, name,
                  value);
}

int trainer_fetch_state(trainer *tr, rnnlab_err *err) {
    session *s = tr->s;
    size_t len;
    host_set_sink(s->host, err);
    guard_enter(s->tokenizer.comp, "save");
    int rc = s->tokenizer.comp->ops.tokenizer.save(s->tok_self, &tr->tok_state, &len);
    guard_leave();
    if (rc != RNNLAB_OK) return err_prefix(err, "tokenizer '%s': ", s->tokenizer.comp->name);
    const rnnlab_loader_ops *ld = &s->loader.comp->ops.loader;
    if (ld->save_labels) {
        guard_enter(s->loader.comp, "save_labels");
        rc = ld->save_labels(s->loader_self, &tr->labels, &len);
        guard_leave();
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
            guard_enter(s->loader.comp, "label_name");
            const char *name = ld->label_name(s->loader_self, (int32_t)i);
            guard_leave();
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
    guard_enter(s->optimizer.comp, "state_slots");
    tr->slots = s->optimizer.comp->ops.optimizer.state_slots(s->opt_self);
    guard_leave();
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
    size_t ncarry;
    model_carried_state(tr->m, &ncarry);
    tr->carry_saved = calloc(ncarry + 1, sizeof *tr->carry_saved);
    if (!tr->dlogits || !tr->dh_norms || !tr->diag_v || !tr->diag_u || !tr->diag_alive ||
        !tr->carry_saved || trainer_batch_alloc(&tr->batch, &s->info) != RNNLAB_OK)
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    tr->lr_scale = 1.0;
    return RNNLAB_OK;
}

void trainer_free(trainer *tr) {
    runlog_close(&tr->metrics);
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
    free(tr->carry_saved);
    free(tr->ckpt_last);
    free(tr->ckpt_best);
    if (tr->tok_state) tr->s->host->free(tr->s->host, tr->tok_state);
    if (tr->labels) tr->s->host->free(tr->s->host, tr->labels);
    free(tr->label_names);
    free(tr->run_path);
}
