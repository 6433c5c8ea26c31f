/* gradcheck.c -- see gradcheck.h. */
#include "gradcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "trainer.h"

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

int gradcheck_run(const session_args *sargs, double tol, FILE *out, rnnlab_err *err) {
    session s;
    trainer tr;
    memset(&tr, 0, sizeof tr);
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
