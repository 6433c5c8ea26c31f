/* model.c -- see model.h. The kernels live in model_impl.h, instantiated
 * below for float (training) and double (gradient checks); this file holds
 * what does not depend on the precision: the parameter layout, batch
 * validation, initialisation and the public API. */
#include "model.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "gemm.h"
#include "host.h"

#define MODEL_CAT_(a, b) a##b
#define MODEL_CAT(a, b) MODEL_CAT_(a, b)

/* Sizes every kernel needs, fixed at creation. */
typedef struct model_dims {
    size_t L, dirs, H, G, Hd, C, in0; /* Hd = H * dirs; in0 = input_size */
    int ids_input, last_head;
    const rnnlab_activation_ops *act;
    const void *act_self;
    const cell_ops *cell;
    size_t ntensors;
    size_t *off; /* (ntensors + 1) offsets of each tensor in the parameter block */
} model_dims;

/* Tensors per (layer, direction), in torch.nn.RNN's order. */
enum { TENSORS_PER_CELL = 4 };

/* k: 0 weight_ih, 1 weight_hh, 2 bias_ih, 3 bias_hh. */
static size_t tensor_index(const model_dims *d, size_t l, size_t dir, size_t k) {
    return (l * d->dirs + dir) * TENSORS_PER_CELL + k;
}

/* k: 0 out.weight, 1 out.bias. */
static size_t tensor_out(const model_dims *d, size_t k) {
    return d->L * d->dirs * TENSORS_PER_CELL + k;
}

static size_t layer_in(const model_dims *d, size_t l) { return l == 0 ? d->in0 : d->Hd; }

/* Prefixes the activation's own message (the host routed it into err) with
 * where it happened; a plugin that failed without a message, or with a
 * status outside the enum, gets one here. */
static int act_failed(rnnlab_err *err, int rc, const char *pass, size_t l, size_t dir, size_t t) {
    const char *dname = dir ? " (reverse)" : "";
    if (rc > 0 || rc < RNNLAB_ERR_INTERNAL) {
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "model: activation %s returned %d, not an rnnlab_status (layer %zu%s, "
                       "step %zu)",
                       pass, rc, l, dname, t);
    }
    if (err && err->code == rc)
        return err_prefix(err, "model: activation %s failed at layer %zu%s, step %zu: ", pass, l,
                          dname, t);
    return err_set(err, rc, "model: activation %s failed with status '%s' at layer %zu%s, step %zu",
                   pass, status_name(rc), l, dname, t);
}

/* Checks a batch against the model and derives, for the kernels,
 * len (B) and live (T, B) = t < len[b]. lengths wins when present; a NULL
 * mask means "consistent with lengths", and NULL lengths are recovered from
 * the mask (which must then be a prefix of ones per sequence). */
static int batch_check(const model_dims *d, size_t max_T, size_t max_B, const rnnlab_batch *b,
                       int carry, int32_t *len, uint8_t *live, rnnlab_err *err) {
    if (!b) return err_set(err, RNNLAB_ERR_INVALID, "model_forward: batch is NULL");
    const size_t T = b->T, B = b->B;
    if (T == 0 || T > max_T)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "model_forward: batch has T = %zu steps; expected 1..%zu (max_T)", T, max_T);
    if (B == 0 || B > max_B)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "model_forward: batch has B = %zu sequences; expected 1..%zu (max_B)", B,
                       max_B);
    if (carry && d->dirs == 2)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "model_forward: carry (truncated BPTT) is not possible with a "
                       "bidirectional model: the reverse direction starts from the future");
    if (d->ids_input && !b->ids)
        return err_set(err, RNNLAB_ERR_INVALID, "model_forward: IDS input but batch.ids is NULL");
    if (!d->ids_input && !b->x)
        return err_set(err, RNNLAB_ERR_INVALID, "model_forward: DENSE input but batch.x is NULL");

    for (size_t s = 0; s < B; s++) {
        int32_t n = (int32_t)T;
        if (b->lengths) {
            n = b->lengths[s];
        } else if (b->mask) {
            n = 0;
            while ((size_t)n < T && b->mask[(size_t)n * B + s]) n++;
        }
        if (n < 0 || (size_t)n > T)
            return err_set(err, RNNLAB_ERR_INVALID,
                           "model_forward: lengths[%zu] = %d is outside [0, T = %zu]", s, (int)n,
                           T);
        len[s] = n;
    }
    for (size_t t = 0; t < T; t++)
        for (size_t s = 0; s < B; s++) {
            const uint8_t on = (int64_t)t < (int64_t)len[s];
            live[t * B + s] = on;
            if (b->mask && (b->mask[t * B + s] != 0) != on)
                return err_set(err, RNNLAB_ERR_INVALID,
                               "model_forward: mask[t=%zu][b=%zu] = %u but lengths[%zu] = %d: the "
                               "mask must be 1 exactly on each sequence's first lengths[b] steps",
                               t, s, (unsigned)b->mask[t * B + s], s, (int)len[s]);
            if (d->ids_input && on) {
                const int32_t id = b->ids[t * B + s];
                if (id < 0 || (size_t)id >= d->in0)
                    return err_set(err, RNNLAB_ERR_INVALID,
                                   "model_forward: ids[t=%zu][b=%zu] = %d is outside the "
                                   "vocabulary [0, %zu)",
                                   t, s, (int)id, d->in0);
            }
        }
    return RNNLAB_OK;
}

/* calloc that clears *ok on failure, so a run of allocations is checked once. */
static void *ws_calloc(size_t count, size_t size, int *ok) {
    void *p = calloc(count ? count : 1, size);
    if (!p) *ok = 0;
    return p;
}

/* ---- the two precisions ----------------------------------------------- */

#define REAL float
#define SFX _f32
#define ACT_FORWARD forward
#define ACT_BACKWARD backward
#include "model_impl.h"
#undef REAL
#undef SFX
#undef ACT_FORWARD
#undef ACT_BACKWARD

#define REAL double
#define SFX _f64
#define ACT_FORWARD forward_f64
#define ACT_BACKWARD backward_f64
#include "model_impl.h"
#undef REAL
#undef SFX
#undef ACT_FORWARD
#undef ACT_BACKWARD

const cell_ops cell_elman = {
    .name = "elman",
    .gates = 1,
    .forward_f32 = elman_forward_f32,
    .backward_f32 = elman_backward_f32,
    .forward_f64 = elman_forward_f64,
    .backward_f64 = elman_backward_f64,
};

/* ---- the model -------------------------------------------------------- */

#define MODEL_NAME_MAX 48

struct model {
    model_spec spec;
    model_dims dims;
    model_tensor *tensors;         /* (ntensors) */
    char (*names)[MODEL_NAME_MAX]; /* (ntensors) */
    float *params, *grads;         /* (nparams) each, tensors back to back */
    double *ortho;                 /* (H, H) scratch for orthogonal init */
    size_t nparams;
    net_f32 net;
};

/* a * b, or 0 with *ok cleared on overflow. */
static size_t mul_ok(size_t a, size_t b, int *ok) {
    if (a && b > SIZE_MAX / a) {
        *ok = 0;
        return 0;
    }
    return a * b;
}

static int spec_check(const model_spec *s, rnnlab_err *err) {
    if (!s) return err_set(err, RNNLAB_ERR_INVALID, "model_create: spec is NULL");
    if (s->input_kind != RNNLAB_INPUT_IDS && s->input_kind != RNNLAB_INPUT_DENSE)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "model_create: input_kind = %d; expected IDS (1) or DENSE (2)",
                       (int)s->input_kind);
    if (s->head != RNNLAB_HEAD_PER_STEP && s->head != RNNLAB_HEAD_LAST)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "model_create: head = %d; expected PER_STEP (1) or LAST (2)", (int)s->head);
    const struct {
        const char *key;
        size_t v;
    } sizes[] = {{"input_size", s->input_size}, {"hidden_size", s->hidden_size},
                 {"num_layers", s->num_layers}, {"output_size", s->output_size},
                 {"max_T", s->max_T},           {"max_B", s->max_B}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].v == 0)
            return err_set(err, RNNLAB_ERR_INVALID, "model_create: %s = 0; expected at least 1",
                           sizes[i].key);
    if (s->input_kind == RNNLAB_INPUT_IDS && s->input_size > INT32_MAX)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "model_create: input_size = %zu is beyond int32 token ids", s->input_size);
    if (s->bidirectional != 0 && s->bidirectional != 1)
        return err_set(err, RNNLAB_ERR_INVALID, "model_create: bidirectional = %d; expected 0 or 1",
                       s->bidirectional);
    if ((int)s->init < MODEL_INIT_UNIFORM || (int)s->init > MODEL_INIT_IDENTITY)
        return err_set(err, RNNLAB_ERR_INVALID, "model_create: init = %d is not a model_init",
                       (int)s->init);
    if (!s->act || !s->act->forward || !s->act->backward)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "model_create: the activation must provide forward and backward");
    return RNNLAB_OK;
}

/* Names, shapes and offsets of every tensor, in torch's order: per layer,
 * per direction weight_ih, weight_hh, bias_ih, bias_hh; then out.weight,
 * out.bias. Returns 0 if a size overflows. */
static int layout_build(model *m) {
    const model_dims *d = &m->dims;
    int ok = 1;
    size_t off = 0;
    for (size_t i = 0; i < d->ntensors; i++) {
        model_tensor *t = &m->tensors[i];
        t->name = m->names[i];
        if (i < tensor_out(d, 0)) {
            const size_t cell = i / TENSORS_PER_CELL, k = i % TENSORS_PER_CELL;
            const size_t l = cell / d->dirs, dir = cell % d->dirs;
            static const char *const stem[TENSORS_PER_CELL] = {"weight_ih", "weight_hh", "bias_ih",
                                                               "bias_hh"};
            snprintf(m->names[i], MODEL_NAME_MAX, "rnn.%s_l%zu%s", stem[k], l,
                     dir ? "_reverse" : "");
            t->ndim = k < 2 ? 2 : 1;
            t->shape[0] = d->G * d->H;
            t->shape[1] = k == 0 ? layer_in(d, l) : k == 1 ? d->H : 0;
        } else {
            const int is_w = i == tensor_out(d, 0);
            snprintf(m->names[i], MODEL_NAME_MAX, "%s", is_w ? "out.weight" : "out.bias");
            t->ndim = is_w ? 2 : 1;
            t->shape[0] = d->C;
            t->shape[1] = is_w ? d->Hd : 0;
        }
        t->n = t->ndim == 2 ? mul_ok(t->shape[0], t->shape[1], &ok) : t->shape[0];
        d->off[i] = off;
        off += t->n;
        if (off < t->n) ok = 0;
    }
    d->off[d->ntensors] = off;
    m->nparams = off;
    return ok;
}

/* Rejects workspace sizes whose byte counts would overflow size_t, before
 * any calloc (net_alloc multiplies without checks). */
static int workspace_fits(const model_dims *d, size_t max_T, size_t max_B) {
    int ok = max_T < SIZE_MAX;
    const size_t tb1 = mul_ok(max_T + 1, max_B, &ok);
    const size_t cells = mul_ok(d->L, d->dirs, &ok);
    const size_t widest = d->G * d->Hd + d->in0 + d->C; /* d->Hd, d->G are small */
    const size_t biggest = mul_ok(mul_ok(tb1, cells, &ok), widest, &ok);
    return ok && biggest < SIZE_MAX / sizeof(double);
}

int model_create(model **out, const model_spec *spec, rnnlab_err *err) {
    if (!out) return err_set(err, RNNLAB_ERR_INVALID, "model_create: out is NULL");
    *out = NULL;
    int rc = spec_check(spec, err);
    if (rc != RNNLAB_OK) return rc;
    model *m = calloc(1, sizeof *m);
    if (!m) return err_set(err, RNNLAB_ERR_NOMEM, "model_create: out of memory");
    m->spec = *spec;
    model_dims *d = &m->dims;
    d->cell = &cell_elman;
    d->L = spec->num_layers;
    d->dirs = spec->bidirectional ? 2 : 1;
    d->H = spec->hidden_size;
    d->G = d->cell->gates;
    d->Hd = d->H * d->dirs;
    d->C = spec->output_size;
    d->in0 = spec->input_size;
    d->ids_input = spec->input_kind == RNNLAB_INPUT_IDS;
    d->last_head = spec->head == RNNLAB_HEAD_LAST;
    d->act = spec->act;
    d->act_self = spec->act_self;
    d->ntensors = d->L * d->dirs * TENSORS_PER_CELL + 2;

    int ok = d->L < SIZE_MAX / (2 * TENSORS_PER_CELL) && d->H < SIZE_MAX / 8;
    if (ok) {
        d->off = calloc(d->ntensors + 1, sizeof *d->off);
        m->tensors = calloc(d->ntensors, sizeof *m->tensors);
        m->names = calloc(d->ntensors, sizeof *m->names);
    }
    if (!ok || !layout_build(m) || !workspace_fits(d, spec->max_T, spec->max_B)) {
        model_free(m);
        return err_set(err, RNNLAB_ERR_INVALID,
                       "model_create: sizes too large (hidden_size = %zu, num_layers = %zu, "
                       "max_T = %zu, max_B = %zu)",
                       spec->hidden_size, spec->num_layers, spec->max_T, spec->max_B);
    }
    m->params = calloc(m->nparams, sizeof *m->params);
    m->grads = calloc(m->nparams, sizeof *m->grads);
    m->ortho = calloc(d->H * d->H, sizeof *m->ortho);
    if (!d->off || !m->tensors || !m->names || !m->params || !m->grads || !m->ortho) {
        model_free(m);
        return err_set(err, RNNLAB_ERR_NOMEM, "model_create: out of memory for %zu parameters",
                       m->nparams);
    }
    for (size_t i = 0; i < d->ntensors; i++) {
        m->tensors[i].data = m->params + d->off[i];
        m->tensors[i].grad = m->grads + d->off[i];
    }
    /* The backend's one thread pool; dnnl and blis would otherwise start
     * one OpenMP thread per core, whatever [train] threads says. */
    gemm_set_threads(spec->threads);
    rc = net_alloc_f32(&m->net, d, spec->max_T, spec->max_B, err);
    if (rc != RNNLAB_OK) {
        model_free(m);
        return rc;
    }
    m->net.p = m->params;
    m->net.g = m->grads;
    *out = m;
    return RNNLAB_OK;
}

void model_free(model *m) {
    if (!m) return;
    net_free_f32(&m->net);
    free(m->params);
    free(m->grads);
    free(m->ortho);
    free(m->tensors);
    free(m->names);
    free(m->dims.off);
    free(m);
}

/* ---- initialisation --------------------------------------------------- */

static void fill_uniform(float *x, size_t n, double bound, rnnlab_rng *rng) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(-bound + 2.0 * bound * rng_uniform(rng));
}

/* Glorot: U(-a, a), a = sqrt(6 / (fan_in + fan_out)), for a (rows, cols) weight. */
static void fill_xavier(model_tensor *t, rnnlab_rng *rng) {
    fill_uniform(t->data, t->n, sqrt(6.0 / (double)(t->shape[0] + t->shape[1])), rng);
}

/* Q of the QR decomposition of a Gaussian (H, H) matrix, by modified
 * Gram-Schmidt on its columns. The R this implies has a positive diagonal,
 * which is torch.nn.init.orthogonal_'s sign convention. q: (H, H). */
static void orthogonal(double *q, size_t H, rnnlab_rng *rng) {
    for (size_t i = 0; i < H * H; i++) q[i] = rng_normal(rng);
    for (size_t j = 0; j < H; j++) {
        for (size_t k = 0; k < j; k++) {
            double dot = 0.0;
            for (size_t i = 0; i < H; i++) dot += q[i * H + k] * q[i * H + j];
            for (size_t i = 0; i < H; i++) q[i * H + j] -= dot * q[i * H + k];
        }
        double norm = 0.0;
        for (size_t i = 0; i < H; i++) norm += q[i * H + j] * q[i * H + j];
        norm = sqrt(norm);
        /* A Gaussian matrix is singular with probability 0; keep a unit
         * column rather than divide by zero if it ever happens. */
        for (size_t i = 0; i < H; i++)
            q[i * H + j] = norm > 1e-300 ? q[i * H + j] / norm : (double)(i == j);
    }
}

/* W_hh (G*H, H): each gate's (H, H) block set by `init`. */
static void fill_recurrent(model *m, model_tensor *t, rnnlab_rng *rng) {
    const size_t H = m->dims.H;
    const double scale = m->spec.init_scale;
    for (size_t g = 0; g < m->dims.G; g++) {
        float *blk = t->data + g * H * H;
        if (m->spec.init == MODEL_INIT_ORTHOGONAL) {
            orthogonal(m->ortho, H, rng);
            for (size_t i = 0; i < H * H; i++) blk[i] = (float)(scale * m->ortho[i]);
        } else {
            for (size_t i = 0; i < H; i++)
                for (size_t j = 0; j < H; j++) blk[i * H + j] = i == j ? (float)scale : 0.0f;
        }
    }
}

/* One rnn.* tensor; k as in tensor_index. */
static void init_cell_tensor(model *m, model_tensor *t, size_t k, rnnlab_rng *rng) {
    const model_init init = m->spec.init;
    if (init == MODEL_INIT_UNIFORM) {
        fill_uniform(t->data, t->n, 1.0 / sqrt((double)m->dims.H), rng);
    } else if (k >= 2) {
        memset(t->data, 0, t->n * sizeof *t->data); /* biases */
    } else if (k == 1 && init != MODEL_INIT_XAVIER) {
        fill_recurrent(m, t, rng);
    } else if (k == 0 && init == MODEL_INIT_IDENTITY) {
        /* IRNN (Le et al. 2015): small Gaussian input weights, std 0.001. */
        for (size_t i = 0; i < t->n; i++) t->data[i] = (float)(0.001 * rng_normal(rng));
    } else {
        fill_xavier(t, rng);
    }
}

void model_init_params(model *m, rnnlab_rng *rng) {
    const model_dims *d = &m->dims;
    for (size_t i = 0; i < d->ntensors; i++) {
        model_tensor *t = &m->tensors[i];
        if (i < tensor_out(d, 0))
            init_cell_tensor(m, t, i % TENSORS_PER_CELL, rng);
        else /* nn.Linear's default for both: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
            fill_uniform(t->data, t->n, 1.0 / sqrt((double)d->Hd), rng);
    }
    model_zero_grad(m);
    model_reset_state(m);
}

/* ---- accessors -------------------------------------------------------- */

size_t model_num_tensors(const model *m) { return m->dims.ntensors; }

model_tensor *model_tensor_at(model *m, size_t i) {
    return i < m->dims.ntensors ? &m->tensors[i] : NULL;
}

size_t model_num_params(const model *m) { return m->nparams; }

void model_zero_grad(model *m) { memset(m->grads, 0, m->nparams * sizeof *m->grads); }

void model_reset_state(model *m) {
    memset(m->net.carry, 0, m->dims.L * m->net.max_B * m->dims.H * sizeof *m->net.carry);
}

float *model_carried_state(model *m, size_t *n) {
    *n = m->dims.L * m->net.max_B * m->dims.H;
    return m->net.carry;
}

const float *model_hidden_states(const model *m) {
    return m->net.y + (m->dims.L - 1) * y_block_f32(&m->net);
}

/* ---- forward and backward --------------------------------------------- */

int model_forward(model *m, const rnnlab_batch *b, int carry, float **logits, size_t *rows,
                  rnnlab_err *err) {
    int rc = net_forward_f32(&m->net, b, carry, err);
    if (rc != RNNLAB_OK) return rc;
    if (logits) *logits = m->net.logits;
    if (rows) *rows = m->dims.last_head ? m->net.B : m->net.T * m->net.B;
    return RNNLAB_OK;
}

int model_backward(model *m, const float *dlogits, double *dh_norms, rnnlab_err *err) {
    return net_backward_f32(&m->net, dlogits, dh_norms, err);
}

/* ---- gradient check --------------------------------------------------- */

/* loss(model(batch)) in double with the net's current parameters; fills
 * dlogits (rows, C) when non-NULL. */
static int gc_loss(net_f64 *n, const rnnlab_batch *b, const rnnlab_loss_ops *loss,
                   const void *loss_self, double *value, double *dlogits, rnnlab_err *err) {
    int rc = net_forward_f64(n, b, 0, err);
    if (rc != RNNLAB_OK) return rc;
    const model_dims *d = n->d;
    rnnlab_loss_batch lb = {
        .rows = d->last_head ? n->B : n->T * n->B,
        .cols = d->C,
        .ids = b->target_ids,
        .values = b->target_values,
        .mask = b->target_mask,
    };
    rc = loss->forward_f64(loss_self, n->logits, &lb, value, dlogits);
    if (rc != RNNLAB_OK && err && err->code != rc)
        err_set(err, rc, "model_gradcheck: loss forward_f64 failed with status '%s'",
                status_name(rc));
    return rc;
}

/* Sets up a double net for batch b with the model's parameters converted,
 * and runs loss + backward once: n->g holds the analytic gradient. */
static int gc_open(model *m, net_f64 *n, const rnnlab_batch *b, const rnnlab_loss_ops *loss,
                   const void *loss_self, double *value, rnnlab_err *err) {
    memset(n, 0, sizeof *n);
    if (!m || !b || !loss)
        return err_set(err, RNNLAB_ERR_INVALID, "model (double path): NULL argument");
    if (!loss->forward_f64)
        return err_set(err, RNNLAB_ERR_UNSUPPORTED,
                       "model (double path): the loss has no forward_f64");
    if (!m->dims.act->forward_f64 || !m->dims.act->backward_f64)
        return err_set(err, RNNLAB_ERR_UNSUPPORTED,
                       "model (double path): the activation has no forward_f64/backward_f64");
    if (b->T == 0 || b->B == 0 || b->T > m->net.max_T || b->B > m->net.max_B)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "model (double path): batch (T = %zu, B = %zu) outside the model's "
                       "(1..%zu, 1..%zu)",
                       b->T, b->B, m->net.max_T, m->net.max_B);
    int rc = net_alloc_f64(n, &m->dims, b->T, b->B, err);
    if (rc != RNNLAB_OK) return rc;
    n->p = calloc(m->nparams, sizeof *n->p);
    n->g = calloc(m->nparams, sizeof *n->g);
    const size_t rows = m->dims.last_head ? b->B : b->T * b->B;
    double *dlogits = calloc(rows * m->dims.C, sizeof *dlogits);
    if (!n->p || !n->g || !dlogits) {
        free(dlogits);
        return err_set(err, RNNLAB_ERR_NOMEM,
                       "model (double path): out of memory for %zu parameters", m->nparams);
    }
    for (size_t i = 0; i < m->nparams; i++) n->p[i] = (double)m->params[i];
    rc = gc_loss(n, b, loss, loss_self, value, dlogits, err);
    if (rc == RNNLAB_OK) rc = net_backward_f64(n, dlogits, NULL, err);
    free(dlogits);
    return rc;
}

static void gc_close(net_f64 *n) {
    free(n->p);
    free(n->g);
    net_free_f64(n);
}

/* Central differences for every parameter against the gradient in n->g. */
static int gc_compare(const model *m, net_f64 *n, const rnnlab_batch *b,
                      const rnnlab_loss_ops *loss, const void *loss_self, double eps, double *worst,
                      rnnlab_err *err) {
    const model_dims *d = &m->dims;
    int rc = RNNLAB_OK;
    for (size_t i = 0; rc == RNNLAB_OK && i < d->ntensors; i++) {
        worst[i] = 0.0;
        for (size_t j = d->off[i]; rc == RNNLAB_OK && j < d->off[i + 1]; j++) {
            const double saved = n->p[j];
            double lp = 0.0, lm = 0.0;
            n->p[j] = saved + eps;
            rc = gc_loss(n, b, loss, loss_self, &lp, NULL, err);
            n->p[j] = saved - eps;
            if (rc == RNNLAB_OK) rc = gc_loss(n, b, loss, loss_self, &lm, NULL, err);
            n->p[j] = saved;
            const double num = (lp - lm) / (2.0 * eps), an = n->g[j];
            const double rel = fabs(an - num) / fmax(fabs(an) + fabs(num), MODEL_GRADCHECK_FLOOR);
            if (rel > worst[i] || isnan(rel)) worst[i] = rel;
        }
    }
    return rc;
}

int model_loss_grad_f64(model *m, const rnnlab_batch *b, const rnnlab_loss_ops *loss,
                        const void *loss_self, double *loss_value, double *grads, rnnlab_err *err) {
    net_f64 n;
    double value = 0.0;
    int rc = gc_open(m, &n, b, loss, loss_self, &value, err);
    if (rc == RNNLAB_OK) {
        if (loss_value) *loss_value = value;
        if (grads) memcpy(grads, n.g, m->nparams * sizeof *grads);
    }
    gc_close(&n);
    return rc;
}

int model_gradcheck(model *m, const rnnlab_batch *b, const rnnlab_loss_ops *loss,
                    const void *loss_self, double eps, double *worst, rnnlab_err *err) {
    if (!worst) return err_set(err, RNNLAB_ERR_INVALID, "model_gradcheck: worst is NULL");
    if (!(eps > 0.0))
        return err_set(err, RNNLAB_ERR_INVALID, "model_gradcheck: eps = %g; expected > 0", eps);
    net_f64 n;
    double value = 0.0;
    int rc = gc_open(m, &n, b, loss, loss_self, &value, err);
    if (rc == RNNLAB_OK) rc = gc_compare(m, &n, b, loss, loss_self, eps, worst, err);
    gc_close(&n);
    return rc;
}
