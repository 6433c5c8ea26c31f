/* softmax_xent -- softmax cross-entropy over rows of logits, fused.
 *
 * Matches torch.nn.CrossEntropyLoss(reduction='mean', label_smoothing=eps)
 * with masked rows treated like ignore_index: they add nothing to the loss
 * or the gradient, and the mean is over the rows that count.
 *
 * Per counted row with target y over C classes:
 *     log p_c  = x_c - m - log(sum_k exp(x_k - m)),   m = max_k x_k
 *     loss_row = (1 - eps) * (-log p_y) + eps * mean_c(-log p_c)
 *     dx_c     = (p_c - (1 - eps) * [c == y] - eps / C) / count
 * Subtracting the row maximum keeps every exp() argument <= 0, so logits of
 * any magnitude give a finite loss; log-softmax is never formed as log(p),
 * so a tiny p_y does not underflow to log(0). */
#include <math.h>
#include <string.h>
#include "rnnlab/plugin.h"
#include "rnnlab/portable_math.h"
#include "../vecmath.h"

typedef struct xent {
    const rnnlab_host *host;
    double eps; /* label smoothing */
} xent;

static const rnnlab_param xent_params[] = {
    {.key = "label_smoothing",
     .type = RNNLAB_PARAM_REAL,
     .default_value = "0",
     .min = 0.0,
     .max = 1.0,
     .help = "Mix eps of a uniform target into the one-hot target (PyTorch label_smoothing)."},
    {.key = NULL},
};

static int xent_create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    double eps = params[0].r;
    if (!(eps >= 0.0 && eps <= 1.0))
        return host->set_error(host, RNNLAB_ERR_INVALID,
                               "softmax_xent: label_smoothing = %g, expected a value in [0, 1]",
                               eps);
    xent *x = host->alloc(host, sizeof *x);
    if (!x) return host->set_error(host, RNNLAB_ERR_NOMEM, "softmax_xent: out of memory");
    x->host = host;
    x->eps = eps;
    *self = x;
    return RNNLAB_OK;
}

static void xent_destroy(void *self) {
    xent *x = self;
    if (x) x->host->free(x->host, x);
}

static int row_counts(const rnnlab_loss_batch *b, size_t r) { return !b->mask || b->mask[r]; }

/* Counts the rows that count and checks their targets before anything is
 * written, so a bad batch leaves the outputs untouched. */
static int xent_check(const xent *x, const rnnlab_loss_batch *b, size_t *count) {
    size_t n = 0;
    for (size_t r = 0; r < b->rows; r++) {
        if (!row_counts(b, r)) continue;
        if (!b->ids)
            return x->host->set_error(x->host, RNNLAB_ERR_INVALID,
                                      "softmax_xent: batch has no target ids (rows = %zu)",
                                      b->rows);
        int32_t y = b->ids[r];
        if (y < 0 || (size_t)y >= b->cols)
            return x->host->set_error(x->host, RNNLAB_ERR_INVALID,
                                      "softmax_xent: row %zu has target id %d, expected an id in "
                                      "[0, %zu)",
                                      r, (int)y, b->cols);
        n++;
    }
    *count = n;
    return RNNLAB_OK;
}

/* One counted row in single precision, with the sums in double.
 * z: (cols) logits, dz: (cols) gradient or NULL. Returns loss_row and, in
 * *argmax, the first index of the row maximum (as torch.argmax). The
 * exponentials are parked in dz so each is computed once. */
/* sum_c exp(z[c] - m), also storing each exponential in out when out is not
 * NULL. Blocks of 64 through a local array so the exp loop vectorises (GCC
 * gives up on z and out possibly overlapping), and four running sums in
 * double so the additions are not one long dependent chain. The order is
 * fixed, so the result is the same with and without out. */
static double row_expsum(const rnnlab_real *z, size_t cols, rnnlab_real m, rnnlab_real *out) {
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    float t[64];
    for (size_t c0 = 0; c0 < cols; c0 += 64) {
        size_t n = cols - c0 < 64 ? cols - c0 : 64, k = 0;
        for (k = 0; k < n; k++) t[k] = vec_expf(z[c0 + k] - m);
        for (k = 0; k + 4 <= n; k += 4) {
            a0 += t[k];
            a1 += t[k + 1];
            a2 += t[k + 2];
            a3 += t[k + 3];
        }
        for (; k < n; k++) a0 += t[k];
        if (out) memcpy(out + c0, t, n * sizeof *t);
    }
    return (a0 + a1) + (a2 + a3);
}

/* One counted row in single precision, with the sums in double.
 * z: (cols) logits, dz: (cols) gradient or NULL. Returns loss_row and, in
 * *argmax, the first index of the row maximum (as torch.argmax). The
 * exponentials are parked in dz so each is computed once. */
static double row_f32(const rnnlab_real *z, size_t cols, int32_t y, double eps, double scale,
                      rnnlab_real *dz, size_t *argmax) {
    /* The maximum first (a loop without an index, which vectorises), then
     * its first position. A NaN row keeps position 0. */
    rnnlab_real m = z[0];
    for (size_t c = 1; c < cols; c++) m = z[c] > m ? z[c] : m;
    size_t best = 0;
    while (best < cols && !(z[best] == m)) best++;
    *argmax = best < cols ? best : 0;
    double sum = row_expsum(z, cols, m, dz);
    double logz = rnnlab_log(sum); /* log-sum-exp minus m; not libm's (chosen by CPU) */
    double loss = (1.0 - eps) * (logz - ((double)z[y] - (double)m));
    if (eps > 0.0) {
        double zsum = 0.0;
        for (size_t c = 0; c < cols; c++) zsum += (double)z[c] - (double)m;
        loss += eps * (logz - zsum / (double)cols); /* mean_c(-log p_c) */
    }
    if (dz) {
        rnnlab_real inv = (rnnlab_real)(scale / sum);
        rnnlab_real off = (rnnlab_real)(eps * scale / (double)cols);
        for (size_t c = 0; c < cols; c++) dz[c] = dz[c] * inv - off;
        dz[y] -= (rnnlab_real)((1.0 - eps) * scale);
    }
    return loss;
}

static double row_f64(const double *z, size_t cols, int32_t y, double eps, double scale,
                      double *dz) {
    double m = z[0];
    for (size_t c = 1; c < cols; c++)
        if (z[c] > m) m = z[c];
    double sum = 0.0, zsum = 0.0;
    for (size_t c = 0; c < cols; c++) {
        sum += exp(z[c] - m);
        zsum += z[c] - m;
    }
    double logz = log(sum);
    double nll = logz - (z[y] - m);
    double smooth = logz - zsum / (double)cols;
    if (dz) {
        double inv = 1.0 / sum, off = eps / (double)cols;
        for (size_t c = 0; c < cols; c++) dz[c] = (exp(z[c] - m) * inv - off) * scale;
        dz[y] -= (1.0 - eps) * scale;
    }
    return (1.0 - eps) * nll + eps * smooth;
}

/* logits, dlogits: (rows, cols) */
static int xent_forward(const void *self, const rnnlab_real *logits, const rnnlab_loss_batch *b,
                        double *loss, size_t *correct, rnnlab_real *dlogits) {
    const xent *x = self;
    size_t count;
    int rc = xent_check(x, b, &count);
    if (rc) return rc;
    if (dlogits) memset(dlogits, 0, b->rows * b->cols * sizeof *dlogits);
    *loss = 0.0;
    *correct = 0;
    if (count == 0) return RNNLAB_OK;
    double scale = 1.0 / (double)count, total = 0.0;
    size_t hits = 0;
    for (size_t r = 0; r < b->rows; r++) {
        if (!row_counts(b, r)) continue;
        const rnnlab_real *z = logits + r * b->cols;
        rnnlab_real *dz = dlogits ? dlogits + r * b->cols : NULL;
        size_t argmax;
        total += row_f32(z, b->cols, b->ids[r], x->eps, scale, dz, &argmax);
        hits += argmax == (size_t)b->ids[r];
    }
    *loss = total * scale;
    *correct = hits;
    return RNNLAB_OK;
}

static int xent_forward_f64(const void *self, const double *logits, const rnnlab_loss_batch *b,
                            double *loss, double *dlogits) {
    const xent *x = self;
    size_t count;
    int rc = xent_check(x, b, &count);
    if (rc) return rc;
    if (dlogits) memset(dlogits, 0, b->rows * b->cols * sizeof *dlogits);
    *loss = 0.0;
    if (count == 0) return RNNLAB_OK;
    double scale = 1.0 / (double)count, total = 0.0;
    for (size_t r = 0; r < b->rows; r++) {
        if (!row_counts(b, r)) continue;
        total += row_f64(logits + r * b->cols, b->cols, b->ids[r], x->eps, scale,
                         dlogits ? dlogits + r * b->cols : NULL);
    }
    *loss = total * scale;
    return RNNLAB_OK;
}

static const rnnlab_loss_ops ops = {
    .struct_size = sizeof(rnnlab_loss_ops),
    .target_kind = RNNLAB_TARGET_CLASS,
    .create = xent_create,
    .destroy = xent_destroy,
    .forward = xent_forward,
    .forward_f64 = xent_forward_f64,
};

static const rnnlab_component xent_component = {
    .kind = RNNLAB_KIND_LOSS,
    .name = "softmax_xent",
    .version = "1.0.0",
    .description = "Softmax cross-entropy (fused, numerically stable), mean over unmasked rows.",
    .params = xent_params,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&xent_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "softmax_xent",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The softmax cross-entropy loss.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
