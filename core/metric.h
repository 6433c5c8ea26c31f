/* metric.h -- what a dev or test pass scores: loss always, accuracy for
 * class targets, perplexity and bits_per_token for language models. One
 * list, read by evaluate_log (the metrics.csv rows), checkpoint selection
 * (select.h) and sweep goals, so a name is valid for one exactly when a
 * pass records it. */
#ifndef RNNLAB_CORE_METRIC_H
#define RNNLAB_CORE_METRIC_H

#include "session.h"

typedef struct eval_result {
    double loss; /* mean over scored targets */
    double accuracy;
    size_t count;
} eval_result;

/* A language model (a stateful stream): perplexity and bits are reported. */
int metric_is_lm(const session *s);

/* The value of metric `name` in a pass's result r (value may be NULL to
 * ask only whether it is recorded). Returns -1 if a pass of session s
 * (data open) does not record that metric. */
int metric_value(const session *s, const char *name, const eval_result *r, double *value);

/* The name of the i-th metric a pass of s records, in metrics.csv's order;
 * NULL past the last. */
const char *metric_name_at(const session *s, size_t i);

/* 1 if higher values of metric `name` are better (accuracy), 0 if lower
 * are (loss, perplexity, bits_per_token), -1 if no pass records it. */
int metric_higher_is_better(const char *name);

#endif
