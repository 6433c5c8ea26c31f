/* metric.c -- see metric.h. */
#include "metric.h"

#include <math.h>
#include <string.h>

#include "rnnlab/portable_math.h"

int metric_is_lm(const session *s) { return s->info.stateful; }

static int always(const session *s) { return s != NULL; }
static int has_classes(const session *s) { return s->info.target_kind == RNNLAB_TARGET_CLASS; }
static double m_loss(const eval_result *r) { return r->loss; }
static double m_accuracy(const eval_result *r) { return r->accuracy; }
/* Not libm's exp: glibc picks it by CPU (rnnlab/portable_math.h). */
static double m_perplexity(const eval_result *r) { return rnnlab_exp(r->loss); }
static double m_bits(const eval_result *r) { return r->loss / M_LN2; }

/* In metrics.csv's order; `recorded` says for which data. */
static const struct {
    const char *name;
    int higher_is_better;
    int (*recorded)(const session *s);
    double (*value)(const eval_result *r);
} metrics[] = {
    {"loss", 0, always, m_loss},
    {"accuracy", 1, has_classes, m_accuracy},
    {"perplexity", 0, metric_is_lm, m_perplexity},
    {"bits_per_token", 0, metric_is_lm, m_bits},
};
#define NMETRICS (sizeof metrics / sizeof metrics[0])

int metric_value(const session *s, const char *name, const eval_result *r, double *value) {
    for (size_t i = 0; i < NMETRICS; i++)
        if (strcmp(metrics[i].name, name) == 0 && metrics[i].recorded(s)) {
            if (value) *value = metrics[i].value(r);
            return 0;
        }
    return -1;
}

const char *metric_name_at(const session *s, size_t i) {
    for (size_t k = 0; k < NMETRICS; k++)
        if (metrics[k].recorded(s) && i-- == 0) return metrics[k].name;
    return NULL;
}

int metric_higher_is_better(const char *name) {
    for (size_t i = 0; i < NMETRICS; i++)
        if (strcmp(metrics[i].name, name) == 0) return metrics[i].higher_is_better;
    return -1;
}
