/* model_impl.h -- the model's kernels, written once for both precisions.
 *
 * Included only by model.c, twice: with REAL = float, SFX = _f32 (training)
 * and REAL = double, SFX = _f64 (gradient checks), so the path a gradient
 * check verifies is the very code that trains. model.c defines model_dims,
 * tensor_index, layer_in, batch_check and act_failed before including it.
 *
 * One "net" holds the parameters' view and every workspace for batches of
 * at most (max_T, max_B); net_alloc is the only function here that
 * allocates: forward and backward never do.
 *
 * Shapes (T, B of the current batch; rows are time-major, row = t*B + b):
 *   x0      (T, B, in0)        DENSE input, converted to REAL
 *   z[c]    (T, B, G*H)        pre-activations of cell c = l*dirs + dir
 *   s[c]    (T+1, B, H)        states: forward dir keeps h0 in slot 0 and
 *                              h_t in slot t+1, reverse keeps h_t in slot t
 *                              and h0 in slot T, so in both the T states
 *                              "before" each step are one contiguous block
 *   y[l]    (T, B, H*dirs)     layer output, zero on padding steps
 *   logits  (T*B or B, C) */
#ifndef REAL
#error "model_impl.h is a template: define REAL and SFX (see model.c)"
#endif

#define F(name) MODEL_CAT(name, SFX)
#define NET F(net)
#define GEMM F(gemm)

typedef struct NET {
    const model_dims *d;
    size_t max_T, max_B;
    REAL *p, *g;   /* parameters and gradients, tensor i at d->off[i] */
    REAL *x0;      /* (max_T, max_B, in0), DENSE only */
    int32_t *ids;  /* (max_T, max_B), IDS only */
    REAL *y;       /* L blocks of (max_T, max_B, Hd) */
    REAL *s;       /* L*dirs blocks of (max_T+1, max_B, H) */
    REAL *z;       /* L*dirs blocks of (max_T, max_B, G*H) */
    REAL *cols;    /* (ncols, G*H): W_ih columns of the ids in the batch, then
                       their gradient rows (IDS input only) */
    int32_t *slot; /* (in0): row of cols for an id, -1 if absent (IDS only) */
    int32_t *uniq; /* (min(in0, max_T*max_B)): the ids present, in first-seen order */
    size_t nuniq;  /* of the last forward */
    REAL *gbias;   /* (G*H) column sums of dz */
    REAL *dz;      /* (max_T, max_B, G*H), one cell at a time */
    REAL *dy[2];   /* (max_T, max_B, Hd): dL/dy of the layer above / below */
    REAL *dh[2];   /* (max_B, H): running dL/dh and the next one */
    REAL *feat;    /* (max_B, Hd) last-step head input */
    REAL *dfeat;   /* (max_B, Hd) */
    REAL *logits;  /* (max_T*max_B, C) */
    REAL *carry;   /* L blocks of (max_B, H): state after the last forward */
    double *dhsq;  /* (max_T, max_B) squared norms of dL/dh_t, top layer */
    int32_t *len;  /* (max_B) */
    uint8_t *live; /* (max_T, max_B) */
    size_t T, B;   /* of the last forward */
    int ready;     /* a forward has run since allocation */
} NET;

static size_t F(y_block)(const NET *n) { return n->max_T * n->max_B * n->d->Hd; }
static size_t F(s_block)(const NET *n) { return (n->max_T + 1) * n->max_B * n->d->H; }
static size_t F(z_block)(const NET *n) { return n->max_T * n->max_B * n->d->G * n->d->H; }

static void F(net_free)(NET *n) {
    free(n->x0);
    free(n->ids);
    free(n->y);
    free(n->s);
    free(n->z);
    free(n->cols);
    free(n->slot);
    free(n->uniq);
    free(n->gbias);
    free(n->dz);
    free(n->dy[0]);
    free(n->dy[1]);
    free(n->dh[0]);
    free(n->dh[1]);
    free(n->feat);
    free(n->dfeat);
    free(n->logits);
    free(n->carry);
    free(n->dhsq);
    free(n->len);
    free(n->live);
    memset(n, 0, sizeof *n);
}

/* Allocates the workspaces (zeroed) for batches up to (max_T, max_B). The
 * caller sets n->p and n->g. Sizes were checked for overflow by
 * model_create (dims_check), and these are bounded by them. */
static int F(net_alloc)(NET *n, const model_dims *d, size_t max_T, size_t max_B, rnnlab_err *err) {
    memset(n, 0, sizeof *n);
    n->d = d;
    n->max_T = max_T;
    n->max_B = max_B;
    const size_t TB = max_T * max_B, cells = d->L * d->dirs;
    int ok = 1;
    if (d->ids_input) {
        const size_t ncols = TB < d->in0 ? TB : d->in0;
        n->ids = ws_calloc(TB, sizeof *n->ids, &ok);
        n->cols = ws_calloc(ncols * d->G * d->H, sizeof *n->cols, &ok);
        n->uniq = ws_calloc(ncols, sizeof *n->uniq, &ok);
        n->slot = ws_calloc(d->in0, sizeof *n->slot, &ok);
        if (n->slot)
            for (size_t i = 0; i < d->in0; i++) n->slot[i] = -1;
    } else
        n->x0 = ws_calloc(TB * d->in0, sizeof *n->x0, &ok);
    n->y = ws_calloc(d->L * F(y_block)(n), sizeof *n->y, &ok);
    n->s = ws_calloc(cells * F(s_block)(n), sizeof *n->s, &ok);
    n->z = ws_calloc(cells * F(z_block)(n), sizeof *n->z, &ok);
    n->dz = ws_calloc(F(z_block)(n), sizeof *n->dz, &ok);
    n->gbias = ws_calloc(d->G * d->H, sizeof *n->gbias, &ok);
    n->dy[0] = ws_calloc(F(y_block)(n), sizeof *n->dy[0], &ok);
    n->dy[1] = ws_calloc(F(y_block)(n), sizeof *n->dy[1], &ok);
    n->dh[0] = ws_calloc(max_B * d->H, sizeof *n->dh[0], &ok);
    n->dh[1] = ws_calloc(max_B * d->H, sizeof *n->dh[1], &ok);
    n->feat = ws_calloc(max_B * d->Hd, sizeof *n->feat, &ok);
    n->dfeat = ws_calloc(max_B * d->Hd, sizeof *n->dfeat, &ok);
    n->logits = ws_calloc(TB * d->C, sizeof *n->logits, &ok);
    n->carry = ws_calloc(d->L * max_B * d->H, sizeof *n->carry, &ok);
    n->dhsq = ws_calloc(TB, sizeof *n->dhsq, &ok);
    n->len = ws_calloc(max_B, sizeof *n->len, &ok);
    n->live = ws_calloc(TB, sizeof *n->live, &ok);
    if (!ok) {
        F(net_free)(n);
        return err_set(err, RNNLAB_ERR_NOMEM,
                       "model: out of memory allocating workspaces for max_T = %zu, max_B = %zu, "
                       "hidden_size = %zu",
                       max_T, max_B, d->H);
    }
    return RNNLAB_OK;
}

/* ---- the Elman cell --------------------------------------------------- */

/* z (B, H) += h_prev (B, H) W_hh^T + b_hh; h = act(z). W_hh stays as
 * stored: the GEMM libraries pack a transposed operand for free, and a
 * transposed copy refreshed per forward cost more than it saved (measured:
 * docs/PERFORMANCE.md). */
static int F(elman_forward)(const cell_act *act, const F(cell_fwd) * a) {
    const size_t B = a->B, H = a->H;
    for (size_t b = 0; b < B; b++) {
        REAL *zb = a->z + b * H;
        for (size_t j = 0; j < H; j++) zb[j] += a->b_hh[j];
    }
    GEMM(0, 1, B, H, H, (REAL)1, a->h_prev, H, a->w_hh, H, (REAL)1, a->z, H);
    return act->ops->ACT_FORWARD(act->self, a->z, a->h, B * H);
}

/* dz = act'(z) * dh (zero on padding rows); dh_prev = dz W_hh. The
 * activation gets y or x as its flag says it needs, the other as NULL. */
static int F(elman_backward)(const cell_act *act, const F(cell_bwd) * a) {
    const size_t B = a->B, H = a->H;
    const int from_y = (act->ops->flags & RNNLAB_ACT_DERIV_FROM_Y) != 0;
    int rc = act->ops->ACT_BACKWARD(act->self, from_y ? NULL : a->z, from_y ? a->h : NULL, a->dh,
                                    a->dz, B * H);
    if (rc != RNNLAB_OK) return rc;
    for (size_t b = 0; b < B; b++)
        if (!a->live[b]) memset(a->dz + b * H, 0, H * sizeof *a->dz);
    GEMM(0, 0, B, H, H, (REAL)1, a->dz, H, a->w_hh, H, (REAL)0, a->dh_prev, H);
    return RNNLAB_OK;
}

/* ---- forward ---------------------------------------------------------- */

static const REAL *F(tensor)(const NET *n, size_t i) { return n->p + n->d->off[i]; }
static REAL *F(grad)(const NET *n, size_t i) { return n->g + n->d->off[i]; }

/* The input of layer l as (T*B, in) rows. */
static const REAL *F(layer_input)(const NET *n, size_t l) {
    return l == 0 ? n->x0 : n->y + (l - 1) * F(y_block)(n);
}

/* Collects the distinct ids on real steps of the batch (uniq, in first-seen
 * order) and their rows in n->cols (slot). Resets the previous batch's slots
 * first, so the cost is O(distinct ids), never O(vocabulary). */
static void F(collect_ids)(NET *n) {
    for (size_t u = 0; u < n->nuniq; u++) n->slot[n->uniq[u]] = -1;
    n->nuniq = 0;
    const size_t rows = n->T * n->B;
    for (size_t r = 0; r < rows; r++) {
        if (!n->live[r]) continue;
        const int32_t id = n->ids[r];
        if (n->slot[id] < 0) {
            n->slot[id] = (int32_t)n->nuniq;
            n->uniq[n->nuniq++] = id;
        }
    }
}

/* z (T*B, G*H) = x W_ih^T + b_ih. One-hot ids make the product a gather of
 * W_ih's columns: each distinct id's column (strided in W_ih (G*H, in)) is
 * copied once into a contiguous row of n->cols, and every row of z is then
 * a contiguous bias + row pass. Padding steps get the bias alone (their id
 * may be junk). */
static void F(input_projection)(const NET *n, size_t l, size_t dir, REAL *z) {
    const model_dims *d = n->d;
    const size_t rows = n->T * n->B, GH = d->G * d->H, in = layer_in(d, l);
    const REAL *w_ih = F(tensor)(n, tensor_index(d, l, dir, 0));
    const REAL *b_ih = F(tensor)(n, tensor_index(d, l, dir, 2));
    if (l == 0 && d->ids_input) {
        for (size_t u = 0; u < n->nuniq; u++) {
            REAL *col = n->cols + u * GH;
            const size_t id = (size_t)n->uniq[u];
            for (size_t j = 0; j < GH; j++) col[j] = w_ih[j * in + id];
        }
        for (size_t r = 0; r < rows; r++) {
            REAL *zr = z + r * GH;
            if (n->live[r]) {
                const REAL *col = n->cols + (size_t)n->slot[n->ids[r]] * GH;
                for (size_t j = 0; j < GH; j++) zr[j] = b_ih[j] + col[j];
            } else {
                memcpy(zr, b_ih, GH * sizeof *zr);
            }
        }
        return;
    }
    GEMM(0, 1, rows, GH, in, (REAL)1, F(layer_input)(n, l), in, w_ih, in, (REAL)0, z, GH);
    for (size_t r = 0; r < rows; r++) {
        REAL *zr = z + r * GH;
        for (size_t j = 0; j < GH; j++) zr[j] += b_ih[j];
    }
}

/* Runs one direction of one layer over all T steps. Padding steps pass the
 * state through and write a zero output, as a packed sequence does. */
static int F(cell_forward)(NET *n, size_t l, size_t dir, int carry, rnnlab_err *err) {
    const model_dims *d = n->d;
    const size_t T = n->T, B = n->B, H = d->H, Hd = d->Hd, GH = d->G * H;
    const size_t c = l * d->dirs + dir;
    REAL *z = n->z + c * F(z_block)(n); /* (T, B, G*H) */
    REAL *s = n->s + c * F(s_block)(n); /* (T+1, B, H) */
    REAL *y = n->y + l * F(y_block)(n); /* (T, B, Hd) */
    const cell_act act = {d->act, d->act_self};

    F(input_projection)(n, l, dir, z);
    REAL *h0 = dir == 0 ? s : s + T * B * H;
    if (carry)
        memcpy(h0, n->carry + l * n->max_B * H, B * H * sizeof *h0);
    else
        memset(h0, 0, B * H * sizeof *h0);

    for (size_t step = 0; step < T; step++) {
        const size_t t = dir == 0 ? step : T - 1 - step;
        const REAL *hp = s + (dir == 0 ? t : t + 1) * B * H;
        REAL *hs = s + (dir == 0 ? t + 1 : t) * B * H;
        const F(cell_fwd) a = {
            .B = B,
            .H = H,
            .w_hh = F(tensor)(n, tensor_index(d, l, dir, 1)),
            .b_hh = F(tensor)(n, tensor_index(d, l, dir, 3)),
            .h_prev = hp,
            .z = z + t * B * GH,
            .h = hs,
        };
        int rc = d->cell->F(forward)(&act, &a);
        if (rc != RNNLAB_OK) return act_failed(err, rc, "forward", l, dir, t);
        const uint8_t *live = n->live + t * B;
        for (size_t b = 0; b < B; b++) {
            REAL *out = y + (t * B + b) * Hd + dir * H;
            if (live[b]) {
                memcpy(out, hs + b * H, H * sizeof *out);
            } else {
                memcpy(hs + b * H, hp + b * H, H * sizeof *hs);
                memset(out, 0, H * sizeof *out);
            }
        }
    }
    return RNNLAB_OK;
}

/* The head's input rows: every step's top output, or per sequence the final
 * state of each direction (torch's h_n: forward at lengths[b]-1, which the
 * pass-through has carried to slot T, and reverse at t = 0). */
static const REAL *F(head_input)(NET *n, size_t *rows) {
    const model_dims *d = n->d;
    const size_t T = n->T, B = n->B, H = d->H, top = d->L - 1;
    if (!d->last_head) {
        *rows = T * B;
        return n->y + top * F(y_block)(n);
    }
    *rows = B;
    for (size_t dir = 0; dir < d->dirs; dir++) {
        const REAL *s = n->s + (top * d->dirs + dir) * F(s_block)(n);
        const REAL *fin = dir == 0 ? s + T * B * H : s;
        for (size_t b = 0; b < B; b++)
            memcpy(n->feat + b * d->Hd + dir * H, fin + b * H, H * sizeof *n->feat);
    }
    return n->feat;
}

/* Copies each layer's final state (slot T of the forward direction) into
 * the carry; rows beyond B start the next chunk from zero. */
static void F(store_carry)(NET *n) {
    const model_dims *d = n->d;
    const size_t T = n->T, B = n->B, H = d->H;
    for (size_t l = 0; l < d->L; l++) {
        const REAL *fin = n->s + (l * d->dirs) * F(s_block)(n) + T * B * H;
        REAL *cl = n->carry + l * n->max_B * H;
        memcpy(cl, fin, B * H * sizeof *cl);
        memset(cl + B * H, 0, (n->max_B - B) * H * sizeof *cl);
    }
}

/* Converts the batch's input into the net's own buffers, so backward does
 * not depend on the caller keeping the batch. */
static void F(load_input)(NET *n, const rnnlab_batch *b) {
    const size_t cnt = n->T * n->B;
    if (n->d->ids_input) {
        memcpy(n->ids, b->ids, cnt * sizeof *n->ids);
    } else {
        const size_t m = cnt * n->d->in0;
        for (size_t i = 0; i < m; i++) n->x0[i] = (REAL)b->x[i];
    }
}

static int F(net_forward)(NET *n, const rnnlab_batch *b, int carry, rnnlab_err *err) {
    const model_dims *d = n->d;
    n->ready = 0;
    int rc = batch_check(d, n->max_T, n->max_B, b, carry, n->len, n->live, err);
    if (rc != RNNLAB_OK) return rc;
    n->T = b->T;
    n->B = b->B;
    F(load_input)(n, b);
    if (d->ids_input) F(collect_ids)(n);
    for (size_t l = 0; l < d->L; l++)
        for (size_t dir = 0; dir < d->dirs; dir++) {
            rc = F(cell_forward)(n, l, dir, carry, err);
            if (rc != RNNLAB_OK) return rc;
        }
    if (d->dirs == 1) F(store_carry)(n);

    /* logits (rows, C) = head_input (rows, Hd) out.weight^T + out.bias */
    size_t rows;
    const REAL *in = F(head_input)(n, &rows);
    const REAL *w = F(tensor)(n, tensor_out(d, 0)), *bias = F(tensor)(n, tensor_out(d, 1));
    GEMM(0, 1, rows, d->C, d->Hd, (REAL)1, in, d->Hd, w, d->Hd, (REAL)0, n->logits, d->C);
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < d->C; j++) n->logits[r * d->C + j] += bias[j];
    n->ready = 1;
    return RNNLAB_OK;
}

/* ---- backward --------------------------------------------------------- */

/* Backpropagates one direction of one layer through time.
 *   dy_in  (T, B, Hd) dL/dy of this layer's output, or NULL (no per-step use)
 *   dh_fin (B, Hd)    dL/d(final state) from a last-step head, or NULL
 *   dx_out (T, B, in) dL/dx for the layer below, or NULL; the first
 *                     direction overwrites it and the second adds.
 * Then the weight gradients as single GEMMs over all T*B rows. */
static int F(cell_backward)(NET *n, size_t l, size_t dir, const REAL *dy_in, const REAL *dh_fin,
                            REAL *dx_out, int record_norms, rnnlab_err *err) {
    const model_dims *d = n->d;
    const size_t T = n->T, B = n->B, H = d->H, Hd = d->Hd, GH = d->G * H, in = layer_in(d, l);
    const size_t c = l * d->dirs + dir;
    const REAL *z = n->z + c * F(z_block)(n);
    const REAL *s = n->s + c * F(s_block)(n);
    const REAL *w_hh = F(tensor)(n, tensor_index(d, l, dir, 1));
    const cell_act act = {d->act, d->act_self};
    REAL *dh = n->dh[0], *dn = n->dh[1];

    for (size_t b = 0; b < B; b++)
        for (size_t j = 0; j < H; j++) dh[b * H + j] = dh_fin ? dh_fin[b * Hd + dir * H + j] : 0;

    for (size_t step = 0; step < T; step++) {
        const size_t t = dir == 0 ? T - 1 - step : step;
        const uint8_t *live = n->live + t * B;
        /* dh becomes the total dL/dh_t: future steps plus this step's output. */
        if (dy_in)
            for (size_t b = 0; b < B; b++) {
                if (!live[b]) continue;
                const REAL *g = dy_in + (t * B + b) * Hd + dir * H;
                for (size_t j = 0; j < H; j++) dh[b * H + j] += g[j];
            }
        if (record_norms)
            for (size_t b = 0; b < B; b++) {
                double sq = 0.0;
                for (size_t j = 0; j < H; j++) sq += (double)dh[b * H + j] * (double)dh[b * H + j];
                n->dhsq[t * B + b] += sq;
            }
        const F(cell_bwd) a = {
            .B = B,
            .H = H,
            .w_hh = w_hh,
            .z = z + t * B * GH,
            .h = s + (dir == 0 ? t + 1 : t) * B * H,
            .h_prev = s + (dir == 0 ? t : t + 1) * B * H,
            .live = live,
            .dh = dh,
            .dz = n->dz + t * B * GH,
            .dh_prev = dn,
        };
        int rc = d->cell->F(backward)(&act, &a);
        if (rc != RNNLAB_OK) return act_failed(err, rc, "backward", l, dir, t);
        for (size_t b = 0; b < B; b++)
            if (!live[b]) memcpy(dn + b * H, dh + b * H, H * sizeof *dn);
        REAL *tmp = dh;
        dh = dn;
        dn = tmp;
    }

    /* dz: (T*B, G*H); states before each step: (T*B, H), contiguous by the
     * slot layout of s. */
    const REAL *dz = n->dz;
    const size_t rows = T * B;
    const REAL *h_before = dir == 0 ? s : s + B * H;
    GEMM(1, 0, GH, H, rows, (REAL)1, dz, GH, h_before, H, (REAL)1,
         F(grad)(n, tensor_index(d, l, dir, 1)), H);
    /* Both biases get the column sums of dz (they enter z the same way). */
    REAL *gb = n->gbias;
    memset(gb, 0, GH * sizeof *gb);
    for (size_t r = 0; r < rows; r++) {
        const REAL *dzr = dz + r * GH;
        for (size_t j = 0; j < GH; j++) gb[j] += dzr[j];
    }
    REAL *gb_ih = F(grad)(n, tensor_index(d, l, dir, 2));
    REAL *gb_hh = F(grad)(n, tensor_index(d, l, dir, 3));
    for (size_t j = 0; j < GH; j++) {
        gb_ih[j] += gb[j];
        gb_hh[j] += gb[j];
    }
    REAL *gw_ih = F(grad)(n, tensor_index(d, l, dir, 0));
    if (l == 0 && d->ids_input) {
        /* The transpose of the gather: sum the dz rows of each distinct id
         * contiguously in n->cols, then add each sum into its column of
         * W_ih's gradient once. */
        memset(n->cols, 0, n->nuniq * GH * sizeof *n->cols);
        for (size_t r = 0; r < rows; r++) {
            if (!n->live[r]) continue;
            REAL *acc = n->cols + (size_t)n->slot[n->ids[r]] * GH;
            const REAL *dzr = dz + r * GH;
            for (size_t j = 0; j < GH; j++) acc[j] += dzr[j];
        }
        for (size_t u = 0; u < n->nuniq; u++) {
            const REAL *acc = n->cols + u * GH;
            const size_t id = (size_t)n->uniq[u];
            for (size_t j = 0; j < GH; j++) gw_ih[j * in + id] += acc[j];
        }
    } else {
        GEMM(1, 0, GH, in, rows, (REAL)1, dz, GH, F(layer_input)(n, l), in, (REAL)1, gw_ih, in);
    }
    if (dx_out)
        GEMM(0, 0, rows, in, GH, (REAL)1, dz, GH, F(tensor)(n, tensor_index(d, l, dir, 0)), in,
             dir == 0 ? (REAL)0 : (REAL)1, dx_out, in);
    return RNNLAB_OK;
}

/* dh_norms[t] = mean over the live sequences at t of ||dL/dh_t|| (both
 * directions together), 0 where no sequence is live. */
static void F(finish_norms)(const NET *n, double *dh_norms) {
    for (size_t t = 0; t < n->T; t++) {
        double sum = 0.0;
        size_t cnt = 0;
        for (size_t b = 0; b < n->B; b++) {
            if (!n->live[t * n->B + b]) continue;
            sum += sqrt(n->dhsq[t * n->B + b]);
            cnt++;
        }
        dh_norms[t] = cnt ? sum / (double)cnt : 0.0;
    }
}

/* dlogits: (rows, C) as the last forward's logits. Adds into n->g. */
static int F(net_backward)(NET *n, const REAL *dlogits, double *dh_norms, rnnlab_err *err) {
    const model_dims *d = n->d;
    if (!n->ready)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "model_backward: no successful model_forward to backpropagate through");
    if (!dlogits) return err_set(err, RNNLAB_ERR_INVALID, "model_backward: dlogits is NULL");
    const size_t Hd = d->Hd, C = d->C;
    size_t rows;
    const REAL *in = F(head_input)(n, &rows);
    const REAL *w = F(tensor)(n, tensor_out(d, 0));

    /* out.weight += dlogits^T (C, rows) x in (rows, Hd); out.bias += column sums. */
    GEMM(1, 0, C, Hd, rows, (REAL)1, dlogits, C, in, Hd, (REAL)1, F(grad)(n, tensor_out(d, 0)), Hd);
    REAL *gb = F(grad)(n, tensor_out(d, 1));
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < C; j++) gb[j] += dlogits[r * C + j];

    /* d(head input) = dlogits (rows, C) x out.weight (C, Hd). */
    const REAL *dy_top = NULL, *dh_fin = NULL;
    if (d->last_head) {
        GEMM(0, 0, rows, Hd, C, (REAL)1, dlogits, C, w, Hd, (REAL)0, n->dfeat, Hd);
        dh_fin = n->dfeat;
    } else {
        GEMM(0, 0, rows, Hd, C, (REAL)1, dlogits, C, w, Hd, (REAL)0, n->dy[0], Hd);
        dy_top = n->dy[0];
    }

    if (dh_norms) memset(n->dhsq, 0, n->T * n->B * sizeof *n->dhsq);
    size_t cur = 0;
    for (size_t l = d->L; l-- > 0;) {
        const int top = l == d->L - 1;
        const REAL *dy_in = top ? dy_top : n->dy[cur];
        REAL *dx_out = l > 0 ? n->dy[1 - cur] : NULL;
        for (size_t dir = 0; dir < d->dirs; dir++) {
            int rc = F(cell_backward)(n, l, dir, dy_in, top ? dh_fin : NULL, dx_out,
                                      top && dh_norms != NULL, err);
            if (rc != RNNLAB_OK) return rc;
        }
        cur = 1 - cur;
    }
    if (dh_norms) F(finish_norms)(n, dh_norms);
    return RNNLAB_OK;
}

#undef F
#undef NET
#undef GEMM
