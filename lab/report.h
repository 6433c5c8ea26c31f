/* report.h -- a sweep's tables and plots: runs.csv, summary.csv,
 * summary.md, and hand-written SVG (learning curves, final metric per
 * variant, gradient through time).
 *
 * The input is plain records (report_run), one per run, grouped into
 * variants (one assignment of the swept keys other than the seed), so the
 * writers can be tested without running anything. Each run carries the rows
 * of its metrics.csv (step,split,metric,value).
 *
 * Statistics: mean, sample standard deviation (n - 1), the 95% confidence
 * interval of the mean with Student's t at n - 1 degrees of freedom, min and
 * max over the seeds of a variant; Δ against the variant's baseline is the
 * mean (± sample std) of the per-seed differences over the seeds both have.
 * Diverged, failed and unfinished runs have no value and are left out of the
 * statistics (their count is a column of its own).
 *
 * Ownership: report functions keep nothing; report_parse_metrics allocates
 * rows the caller frees with free(). */
#ifndef RNNLAB_LAB_REPORT_H
#define RNNLAB_LAB_REPORT_H

#include <stddef.h>
#include <stdio.h>
#include "core/error.h"

typedef struct report_row {
    long step;
    char split[16];
    char metric[48];
    double value;
} report_row;

typedef struct report_run {
    const char *hash;
    size_t variant;
    const char *seed;          /* the run's [train] seed */
    const char *status;        /* ok, diverged, failed, unfinished, busy */
    long steps, diverged_step; /* -1: unknown / none */
    const report_row *rows;
    size_t nrows;
} report_run;

typedef struct report_input {
    const char *title;
    const char *const *keys; /* swept keys except the seed */
    size_t nkeys;
    const char *const *values; /* (nvariants, nkeys): each variant's value of each key */
    size_t nvariants;
    const size_t *baseline; /* per variant: its baseline variant, or SIZE_MAX */
    const report_run *runs;
    size_t nruns;
    const char *metric_split, *metric_name; /* main metric, e.g. "dev", "loss" */
    int goal_max;                           /* larger is better */
    int select_best;                        /* score a run at its best epoch instead of its last */
} report_input;

typedef struct stats {
    size_t n;
    double mean, std, ci_lo, ci_hi, min, max; /* NaN when n == 0 (std, CI: n < 2) */
} stats;

/* Two-sided 95% critical value of Student's t with df degrees of freedom
 * (df >= 1; a table to 30, then interpolated in 1/df towards 1.96). */
double t_crit95(long df);

/* Statistics of x[0..n). */
void stats_compute(const double *x, size_t n, stats *s);

/* Parses metrics.csv text. Rows that do not parse are an error naming
 * `name` and the line. */
int report_parse_metrics(const char *text, const char *name, report_row **rows, size_t *n,
                         rnnlab_err *err);

/* A run's value of split/metric: the last row (select_best == 0) or the
 * best row by goal_max; NaN when the run has no such row. */
double report_run_value(const report_run *r, const char *split, const char *metric, int select_best,
                        int goal_max);

/* The main metric's value for run i: NaN unless the run finished "ok". */
double report_main_value(const report_input *in, size_t i);

/* Writers. Each returns 0 or a negative status (an I/O error on f). */
int report_write_runs_csv(const report_input *in, FILE *f, rnnlab_err *err);
int report_write_summary_csv(const report_input *in, FILE *f, rnnlab_err *err);
int report_write_summary_md(const report_input *in, FILE *f, rnnlab_err *err);
/* Dev main metric per epoch (mean line, ±std band) per variant. */
int report_svg_curves(const report_input *in, FILE *f, rnnlab_err *err);
/* Main metric per variant: mean with ±std error bars, seeds as dots. */
int report_svg_final(const report_input *in, FILE *f, rnnlab_err *err);
/* Mean ||dL/dh_t|| against t per variant, log y axis, from split=diag rows
 * dh_norm_t<k> (averaged over the recorded steps, then the seeds). Returns
 * 1 (and writes nothing) when no run has such rows. */
int report_svg_gradient(const report_input *in, FILE *f, rnnlab_err *err);
/* The diagnostics over training, one record per [diagnostics] every steps:
 * spectral radius of W_hh (layer 0), fraction of saturated units, fraction
 * of dead units; mean and +-1 std band over seeds per variant. Each returns
 * 1, writing nothing useful, when no run recorded that metric. */
int report_svg_spectral(const report_input *in, FILE *f, rnnlab_err *err);
int report_svg_saturated(const report_input *in, FILE *f, rnnlab_err *err);
int report_svg_dead(const report_input *in, FILE *f, rnnlab_err *err);

/* All of the above into dir: runs.csv, summary.csv, summary.md,
 * curves.svg, final.svg and (when there are diagnostics) gradient.svg. */
int report_write_all(const report_input *in, const char *dir, rnnlab_err *err);

#endif
