/* mse -- mean squared error against real-valued targets.
 *
 * Matches torch.nn.MSELoss(reduction='mean') over every element of the rows
 * that count (masked rows are dropped first):
 *     loss = sum_{counted r, c} (x_rc - y_rc)^2 / (count * cols)
 *     dx_rc = 2 (x_rc - y_rc) / (count * cols)
 * A regression loss has no notion of a correct row, so *correct is 0. */
#include <string.h>
#include "rnnlab/plugin.h"

static int row_counts(const rnnlab_loss_batch *b, size_t r) { return !b->mask || b->mask[r]; }

/* The number of elements the mean divides by: counted rows times cols. */
static size_t mse_count(const rnnlab_loss_batch *b) {
    size_t n = 0;
    for (size_t r = 0; r < b->rows; r++) n += (size_t)row_counts(b, r);
    return n * b->cols;
}

/* The instance only remembers its host, for error messages. */
typedef struct mse {
    const rnnlab_host *host;
} mse;

static int mse_create(const rnnlab_host *host, const rnnlab_value *params, void **self) {
    (void)params;
    mse *m = host->alloc(host, sizeof *m);
    if (!m) return host->set_error(host, RNNLAB_ERR_NOMEM, "mse: out of memory");
    m->host = host;
    *self = m;
    return RNNLAB_OK;
}

static void mse_destroy(void *self) {
    mse *m = self;
    if (m) m->host->free(m->host, m);
}

static int mse_check(const mse *m, const rnnlab_loss_batch *b, size_t elems) {
    if (elems && !b->values)
        return m->host->set_error(m->host, RNNLAB_ERR_INVALID,
                                  "mse: batch has no target values (rows = %zu, cols = %zu)",
                                  b->rows, b->cols);
    return RNNLAB_OK;
}

/* logits, values, dlogits: (rows, cols) */
static int mse_forward(const void *self, const rnnlab_real *logits, const rnnlab_loss_batch *b,
                       double *loss, size_t *correct, rnnlab_real *dlogits) {
    size_t elems = mse_count(b), cols = b->cols;
    int rc = mse_check(self, b, elems);
    if (rc) return rc;
    if (dlogits) memset(dlogits, 0, b->rows * cols * sizeof *dlogits);
    *loss = 0.0;
    *correct = 0;
    if (elems == 0) return RNNLAB_OK;
    double total = 0.0, scale = 1.0 / (double)elems;
    rnnlab_real gscale = (rnnlab_real)(2.0 * scale);
    for (size_t r = 0; r < b->rows; r++) {
        if (!row_counts(b, r)) continue;
        const rnnlab_real *x = logits + r * cols, *y = b->values + r * cols;
        double row = 0.0;
        for (size_t c = 0; c < cols; c++) {
            double d = (double)x[c] - (double)y[c];
            row += d * d;
        }
        total += row;
        if (dlogits) {
            rnnlab_real *dx = dlogits + r * cols;
            for (size_t c = 0; c < cols; c++) dx[c] = gscale * (x[c] - y[c]);
        }
    }
    *loss = total * scale;
    return RNNLAB_OK;
}

/* The same with double logits; targets stay in rnnlab_real as the batch
 * carries them. */
static int mse_forward_f64(const void *self, const double *logits, const rnnlab_loss_batch *b,
                           double *loss, double *dlogits) {
    size_t elems = mse_count(b), cols = b->cols;
    int rc = mse_check(self, b, elems);
    if (rc) return rc;
    if (dlogits) memset(dlogits, 0, b->rows * cols * sizeof *dlogits);
    *loss = 0.0;
    if (elems == 0) return RNNLAB_OK;
    double total = 0.0, scale = 1.0 / (double)elems;
    for (size_t r = 0; r < b->rows; r++) {
        if (!row_counts(b, r)) continue;
        const double *x = logits + r * cols;
        const rnnlab_real *y = b->values + r * cols;
        for (size_t c = 0; c < cols; c++) {
            double d = x[c] - (double)y[c];
            total += d * d;
            if (dlogits) dlogits[r * cols + c] = 2.0 * scale * d;
        }
    }
    *loss = total * scale;
    return RNNLAB_OK;
}

static const rnnlab_loss_ops ops = {
    .struct_size = sizeof(rnnlab_loss_ops),
    .target_kind = RNNLAB_TARGET_REAL,
    .create = mse_create,
    .destroy = mse_destroy,
    .forward = mse_forward,
    .forward_f64 = mse_forward_f64,
};

static const rnnlab_component mse_component = {
    .kind = RNNLAB_KIND_LOSS,
    .name = "mse",
    .version = "1.0.0",
    .description = "Mean squared error over every element of the unmasked rows.",
    .params = NULL,
    .ops = &ops,
};

static const rnnlab_component *const components[] = {&mse_component, NULL};

static const rnnlab_plugin plugin = {
    .stamp = RNNLAB_STAMP_INIT,
    .name = "mse",
    .version = "1.0.0",
    .license = "MIT",
    .description = "The mean squared error loss.",
    .components = components,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
    return &plugin;
}
