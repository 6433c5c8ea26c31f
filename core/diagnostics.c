/* diagnostics.c -- see diagnostics.h. */
#include "diagnostics.h"
#include "rnnlab/portable_math.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plugin_guard.h"

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
        if (k >= ITERS - TAIL) log_growth += rnnlab_log(norm);
        for (size_t i = 0; i < n; i++) v[i] = u[i] / norm;
    }
    return rnnlab_exp(log_growth / TAIL);
}

void diagnostics_record(trainer *tr) {
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
    int shape = trainer_activation_shape(s);
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
