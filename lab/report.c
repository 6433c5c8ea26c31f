/* report.c -- see report.h. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/metric.h"

/* ---- statistics ---------------------------------------------------------- */

/* Two-sided 95% critical values of Student's t, df = 1..30. */
static const double t_table[30] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                   2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                   2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                   2.060,  2.056, 2.052, 2.048, 2.045, 2.042};

/* Beyond the table, t is close to linear in 1/df: anchor points at 40, 60
 * and 120 degrees of freedom and the normal limit. */
static const struct {
    double df, t;
} t_tail[] = {{30, 2.042}, {40, 2.021}, {60, 2.000}, {120, 1.980}, {INFINITY, 1.960}};

double t_crit95(long df) {
    if (df < 1) return NAN;
    if (df <= 30) return t_table[df - 1];
    double inv = 1.0 / (double)df;
    for (size_t k = 0; k + 1 < sizeof t_tail / sizeof t_tail[0]; k++) {
        double a = 1.0 / t_tail[k].df, b = isinf(t_tail[k + 1].df) ? 0.0 : 1.0 / t_tail[k + 1].df;
        if (inv <= a && inv >= b)
            return t_tail[k + 1].t + (t_tail[k].t - t_tail[k + 1].t) * (inv - b) / (a - b);
    }
    return 1.960;
}

void stats_compute(const double *x, size_t n, stats *s) {
    s->n = n;
    s->mean = s->std = s->ci_lo = s->ci_hi = s->min = s->max = NAN;
    if (n == 0) return;
    double sum = 0.0;
    s->min = s->max = x[0];
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
        if (x[i] < s->min) s->min = x[i];
        if (x[i] > s->max) s->max = x[i];
    }
    s->mean = sum / (double)n;
    if (n < 2) return;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += (x[i] - s->mean) * (x[i] - s->mean);
    s->std = sqrt(ss / (double)(n - 1));
    double half = t_crit95((long)n - 1) * s->std / sqrt((double)n);
    s->ci_lo = s->mean - half;
    s->ci_hi = s->mean + half;
}

/* ---- metrics.csv --------------------------------------------------------- */

static int copy_field(char *dst, size_t size, const char **p) {
    const char *c = strchr(*p, ',');
    if (!c || (size_t)(c - *p) >= size) return -1;
    memcpy(dst, *p, (size_t)(c - *p));
    dst[c - *p] = '\0';
    *p = c + 1;
    return 0;
}

static int parse_row(const char *line, report_row *r) {
    char *end;
    errno = 0;
    r->step = strtol(line, &end, 10);
    if (errno || end == line || *end != ',') return -1;
    const char *p = end + 1;
    if (copy_field(r->split, sizeof r->split, &p) || copy_field(r->metric, sizeof r->metric, &p))
        return -1;
    r->value = strtod(p, &end);
    if (end == p || (*end && *end != '\r')) return -1;
    return 0;
}

int report_parse_metrics(const char *text, const char *name, report_row **rows, size_t *n,
                         rnnlab_err *err) {
    *rows = NULL;
    *n = 0;
    size_t cap = 0, lineno = 0;
    const char *line = text;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[256];
        lineno++;
        if (len >= sizeof buf) {
            free(*rows);
            *rows = NULL;
            *n = 0;
            return err_set(err, RNNLAB_ERR_FORMAT, "%s:%zu: line longer than %zu characters", name,
                           lineno, sizeof buf - 1);
        }
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = nl ? nl + 1 : NULL;
        if (len == 0 || (lineno == 1 && strncmp(buf, "step,", 5) == 0)) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            report_row *g = realloc(*rows, cap * sizeof *g);
            if (!g) {
                free(*rows);
                *rows = NULL;
                *n = 0;
                return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
            }
            *rows = g;
        }
        if (parse_row(buf, &(*rows)[*n]) != 0) {
            free(*rows);
            *rows = NULL;
            *n = 0;
            return err_set(err, RNNLAB_ERR_FORMAT,
                           "%s:%zu: expected 'step,split,metric,value', got '%s'", name, lineno,
                           buf);
        }
        (*n)++;
    }
    return RNNLAB_OK;
}

double report_run_value(const report_run *r, const char *split, const char *metric, int select_best,
                        int goal_max) {
    double v = NAN;
    for (size_t i = 0; i < r->nrows; i++) {
        const report_row *w = &r->rows[i];
        if (strcmp(w->split, split) != 0 || strcmp(w->metric, metric) != 0) continue;
        if (!select_best || isnan(v) || (goal_max ? w->value > v : w->value < v)) v = w->value;
    }
    return v;
}

static int metric_goal_max(const char *metric) { return metric_higher_is_better(metric) == 1; }

double report_main_value(const report_input *in, size_t i) {
    const report_run *r = &in->runs[i];
    if (strcmp(r->status, "ok") != 0) return NAN;
    return report_run_value(r, in->metric_split, in->metric_name, in->select_best, in->goal_max);
}

/* ---- per-variant figures ------------------------------------------------- */

typedef struct variant_sum {
    stats st;
    size_t diverged, other; /* runs with no value: diverged, failed/unfinished */
    double dmean, dstd;     /* Δ against the baseline, paired over seeds */
    size_t dn;
    int has_baseline;
} variant_sum;

static void paired_delta(const report_input *in, size_t v, size_t b, variant_sum *s) {
    double *d = malloc((in->nruns + 1) * sizeof *d);
    size_t n = 0;
    for (size_t i = 0; d && i < in->nruns; i++) {
        if (in->runs[i].variant != v) continue;
        double x = report_main_value(in, i);
        if (isnan(x)) continue;
        for (size_t j = 0; j < in->nruns; j++) {
            if (in->runs[j].variant != b || strcmp(in->runs[j].seed, in->runs[i].seed) != 0)
                continue;
            double y = report_main_value(in, j);
            if (!isnan(y)) d[n++] = x - y;
            break;
        }
    }
    stats st;
    stats_compute(d, n, &st);
    s->dn = n;
    s->dmean = st.mean;
    s->dstd = st.std;
    free(d);
}

static int summarize(const report_input *in, variant_sum *sums) {
    double *x = malloc((in->nruns + 1) * sizeof *x);
    if (!x) return RNNLAB_ERR_NOMEM;
    for (size_t v = 0; v < in->nvariants; v++) {
        variant_sum *s = &sums[v];
        memset(s, 0, sizeof *s);
        size_t n = 0;
        for (size_t i = 0; i < in->nruns; i++) {
            if (in->runs[i].variant != v) continue;
            double val = report_main_value(in, i);
            if (!isnan(val))
                x[n++] = val;
            else if (strcmp(in->runs[i].status, "diverged") == 0)
                s->diverged++;
            else
                s->other++;
        }
        stats_compute(x, n, &s->st);
        size_t b = in->baseline ? in->baseline[v] : SIZE_MAX;
        s->has_baseline = b != SIZE_MAX && b != v && b < in->nvariants;
        s->dmean = s->dstd = NAN;
        if (s->has_baseline) paired_delta(in, v, b, s);
    }
    free(x);
    return RNNLAB_OK;
}

static size_t baseline_root(const report_input *in, size_t v) {
    size_t b = in->baseline ? in->baseline[v] : SIZE_MAX;
    return b == SIZE_MAX || b >= in->nvariants ? v : b;
}

/* Whether variant v has the best mean among the variants sharing its
 * baseline (the same conditions). */
static int is_best(const report_input *in, const variant_sum *sums, size_t v) {
    if (sums[v].st.n == 0) return 0;
    size_t root = baseline_root(in, v);
    for (size_t u = 0; u < in->nvariants; u++) {
        if (u == v || baseline_root(in, u) != root || sums[u].st.n == 0) continue;
        double a = sums[u].st.mean, b = sums[v].st.mean;
        if (in->goal_max ? a > b : a < b) return 0;
    }
    return 1;
}

static const char *value_of(const report_input *in, size_t v, size_t k) {
    return in->values[v * in->nkeys + k];
}

/* ---- CSV ------------------------------------------------------------------ */

static void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double x) {
    if (isnan(x))
        fputs("", f);
    else
        fprintf(f, "%.9g", x);
}

static int finish(FILE *f, const char *what, rnnlab_err *err) {
    if (ferror(f)) return err_set(err, RNNLAB_ERR_IO, "writing %s failed", what);
    return RNNLAB_OK;
}

/* The distinct metric names of a split over all runs, in first-seen order. */
static size_t metric_names(const report_input *in, const char *split, const char ***out) {
    size_t n = 0, cap = 0;
    const char **names = NULL;
    for (size_t i = 0; i < in->nruns; i++) {
        for (size_t j = 0; j < in->runs[i].nrows; j++) {
            const report_row *w = &in->runs[i].rows[j];
            if (strcmp(w->split, split) != 0) continue;
            size_t k = 0;
            while (k < n && strcmp(names[k], w->metric) != 0) k++;
            if (k < n) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                const char **g = realloc(names, cap * sizeof *g);
                if (!g) {
                    free(names);
                    *out = NULL;
                    return 0;
                }
                names = g;
            }
            names[n++] = w->metric;
        }
    }
    *out = names;
    return n;
}

int report_write_runs_csv(const report_input *in, FILE *f, rnnlab_err *err) {
    const char **dev = NULL, **test = NULL;
    size_t ndev = metric_names(in, "dev", &dev), ntest = metric_names(in, "test", &test);
    fputs("hash", f);
    for (size_t k = 0; k < in->nkeys; k++) {
        fputc(',', f);
        csv_field(f, in->keys[k]);
    }
    fputs(",seed,status,steps,diverged_step", f);
    for (size_t m = 0; m < ndev; m++) fprintf(f, ",dev_%s_final,dev_%s_best", dev[m], dev[m]);
    for (size_t m = 0; m < ntest; m++) fprintf(f, ",test_%s", test[m]);
    fputc('\n', f);
    for (size_t i = 0; i < in->nruns; i++) {
        const report_run *r = &in->runs[i];
        fputs(r->hash, f);
        for (size_t k = 0; k < in->nkeys; k++) {
            fputc(',', f);
            csv_field(f, value_of(in, r->variant, k));
        }
        fputc(',', f);
        csv_field(f, r->seed);
        fprintf(f, ",%s,", r->status);
        if (r->steps >= 0) fprintf(f, "%ld", r->steps);
        fputc(',', f);
        if (r->diverged_step >= 0) fprintf(f, "%ld", r->diverged_step);
        for (size_t m = 0; m < ndev; m++) {
            fputc(',', f);
            csv_num(f, report_run_value(r, "dev", dev[m], 0, 0));
            fputc(',', f);
            csv_num(f, report_run_value(r, "dev", dev[m], 1, metric_goal_max(dev[m])));
        }
        for (size_t m = 0; m < ntest; m++) {
            fputc(',', f);
            csv_num(f, report_run_value(r, "test", test[m], 0, 0));
        }
        fputc('\n', f);
    }
    free(dev);
    free(test);
    return finish(f, "runs.csv", err);
}

int report_write_summary_csv(const report_input *in, FILE *f, rnnlab_err *err) {
    variant_sum *sums = calloc(in->nvariants + 1, sizeof *sums);
    if (!sums || summarize(in, sums) != RNNLAB_OK) {
        free(sums);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < in->nkeys; k++) {
        csv_field(f, in->keys[k]);
        fputc(',', f);
    }
    fputs("metric,n,diverged,failed,mean,std,ci95_lo,ci95_hi,min,max,best,"
          "delta_mean,delta_std,delta_pairs\n",
          f);
    for (size_t v = 0; v < in->nvariants; v++) {
        const variant_sum *s = &sums[v];
        for (size_t k = 0; k < in->nkeys; k++) {
            csv_field(f, value_of(in, v, k));
            fputc(',', f);
        }
        fprintf(f, "%s/%s %s,%zu,%zu,%zu", in->metric_split, in->metric_name,
                in->select_best ? "best" : "final", s->st.n, s->diverged, s->other);
        const double xs[] = {s->st.mean, s->st.std, s->st.ci_lo, s->st.ci_hi, s->st.min, s->st.max};
        for (size_t j = 0; j < sizeof xs / sizeof xs[0]; j++) {
            fputc(',', f);
            csv_num(f, xs[j]);
        }
        fprintf(f, ",%d,", is_best(in, sums, v));
        csv_num(f, s->dmean);
        fputc(',', f);
        csv_num(f, s->dstd);
        fputc(',', f);
        if (s->has_baseline) fprintf(f, "%zu", s->dn);
        fputc('\n', f);
    }
    free(sums);
    return finish(f, "summary.csv", err);
}

/* ---- markdown ------------------------------------------------------------ */

static void md_cell(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '|') fputc('\\', f);
        fputc(*s, f);
    }
}

static void md_num(FILE *f, double x) {
    if (isnan(x))
        fputs("–", f);
    else
        fprintf(f, "%.4g", x);
}

int report_write_summary_md(const report_input *in, FILE *f, rnnlab_err *err) {
    variant_sum *sums = calloc(in->nvariants + 1, sizeof *sums);
    if (!sums || summarize(in, sums) != RNNLAB_OK) {
        free(sums);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    fprintf(f, "### %s: %s/%s at the %s epoch (%s is better)\n\n", in->title, in->metric_split,
            in->metric_name, in->select_best ? "best" : "last", in->goal_max ? "higher" : "lower");
    fputc('|', f);
    for (size_t k = 0; k < in->nkeys; k++) {
        fputc(' ', f);
        md_cell(f, in->keys[k]);
        fputs(" |", f);
    }
    fputs(" n | mean ± std | 95% CI | min | max | Δ vs baseline (paired) |\n|", f);
    for (size_t k = 0; k < in->nkeys + 6; k++) fputs("---|", f);
    fputc('\n', f);
    for (size_t v = 0; v < in->nvariants; v++) {
        const variant_sum *s = &sums[v];
        fputc('|', f);
        for (size_t k = 0; k < in->nkeys; k++) {
            fputc(' ', f);
            md_cell(f, value_of(in, v, k));
            fputs(" |", f);
        }
        fprintf(f, " %zu", s->st.n);
        if (s->diverged) fprintf(f, " (+%zu diverged)", s->diverged);
        if (s->other) fprintf(f, " (+%zu failed/unfinished)", s->other);
        int bold = is_best(in, sums, v);
        fputs(bold ? " | **" : " | ", f);
        md_num(f, s->st.mean);
        fputs(" ± ", f);
        md_num(f, s->st.std);
        fputs(bold ? "** | [" : " | [", f);
        md_num(f, s->st.ci_lo);
        fputs(", ", f);
        md_num(f, s->st.ci_hi);
        fputs("] | ", f);
        md_num(f, s->st.min);
        fputs(" | ", f);
        md_num(f, s->st.max);
        fputs(" | ", f);
        if (!s->has_baseline) {
            fputs("baseline", f);
        } else if (s->dn == 0) {
            fputs("no shared seeds", f);
        } else {
            fprintf(f, "%+.4g ± ", s->dmean);
            md_num(f, s->dstd);
            fprintf(f, " (%zu seeds)", s->dn);
        }
        fputs(" |\n", f);
    }
    int header = 0;
    for (size_t i = 0; i < in->nruns; i++) {
        const report_run *r = &in->runs[i];
        if (strcmp(r->status, "ok") == 0) continue;
        if (!header) fputs("\nRuns without a value:\n\n", f);
        header = 1;
        fprintf(f, "- `%s` (", r->hash);
        for (size_t k = 0; k < in->nkeys; k++)
            fprintf(f, "%s%s=%s", k ? ", " : "", in->keys[k], value_of(in, r->variant, k));
        fprintf(f, "%sseed %s): %s", in->nkeys ? ", " : "", r->seed, r->status);
        if (r->diverged_step >= 0) fprintf(f, " at step %ld", r->diverged_step);
        fputc('\n', f);
    }
    free(sums);
    return finish(f, "summary.md", err);
}

/* ---- SVG ------------------------------------------------------------------ */

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define PALETTE_N (sizeof palette / sizeof palette[0])

typedef struct frame {
    double w, h, left, right, top, bottom; /* canvas and margins, px */
    double x0, x1, y0, y1;                 /* data range (y in log10 when ylog) */
    int ylog;
} frame;

static void xml_text(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static double px_x(const frame *fr, double x) {
    double span = fr->x1 - fr->x0;
    return fr->left + (span > 0 ? (x - fr->x0) / span : 0.5) * (fr->w - fr->left - fr->right);
}

static double px_y(const frame *fr, double y) {
    if (fr->ylog) y = log10(y);
    double span = fr->y1 - fr->y0;
    return fr->h - fr->bottom -
           (span > 0 ? (y - fr->y0) / span : 0.5) * (fr->h - fr->top - fr->bottom);
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about 6 ticks. */
static double nice_step(double span) {
    if (!(span > 0)) return 1.0;
    double raw = span / 6.0, p = pow(10.0, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0) * p;
}

/* Widens a linear range to whole ticks; a flat range gets some height. */
static void nice_range(double *lo, double *hi) {
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0.0;
        *hi = 1.0;
    }
    if (*hi - *lo <= 1e-12 * (fabs(*hi) + 1.0)) {
        double pad = fabs(*hi) > 0 ? fabs(*hi) * 0.1 : 1.0;
        *lo -= pad;
        *hi += pad;
    }
    double st = nice_step(*hi - *lo);
    *lo = floor(*lo / st) * st;
    *hi = ceil(*hi / st) * st;
}

static void svg_open(FILE *f, const frame *fr, const char *title) {
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
            fr->w, fr->h, fr->w, fr->h);
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n", fr->w,
            fr->h);
    fprintf(f, "<text x=\"%.1f\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">", fr->w / 2);
    xml_text(f, title);
    fputs("</text>\n", f);
}

static void tick_label(char *buf, size_t n, double v) {
    if (fabs(v) < 1e-12) v = 0.0;
    snprintf(buf, n, "%g", v);
}

/* Axes, grid, ticks and labels. xcat: categorical x (no x ticks). */
static void svg_axes(FILE *f, const frame *fr, const char *xlabel, const char *ylabel, int xcat) {
    double bx = fr->left, by = fr->h - fr->bottom, tx = fr->w - fr->right, ty = fr->top;
    char buf[64];
    if (fr->ylog) {
        /* At most about 10 labelled decades. */
        double every = ceil((fr->y1 - fr->y0) / 10.0);
        if (every < 1.0) every = 1.0;
        for (double e = fr->y0; e <= fr->y1 + 1e-9; e += every) {
            double y = px_y(fr, pow(10.0, e));
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                    bx, y, tx, y);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", bx - 6,
                    y + 4, (int)lround(e));
        }
    } else {
        double st = nice_step(fr->y1 - fr->y0);
        for (double v = fr->y0; v <= fr->y1 + st * 1e-6; v += st) {
            double y = px_y(fr, v);
            tick_label(buf, sizeof buf, v);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                    bx, y, tx, y);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", bx - 6, y + 4,
                    buf);
        }
    }
    if (!xcat) {
        double st = nice_step(fr->x1 - fr->x0);
        if (st < 1.0) st = 1.0; /* x is an epoch or a time step */
        for (double v = ceil(fr->x0 / st) * st; v <= fr->x1 + st * 1e-6; v += st) {
            double x = px_x(fr, v);
            tick_label(buf, sizeof buf, v);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                    x, by, x, by + 5);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, by + 18,
                    buf);
        }
    }
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"#333\"/>\n",
            bx, ty, tx - bx, by - ty);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (bx + tx) / 2,
            fr->h - (xcat ? 8 : 18));
    xml_text(f, xlabel);
    fprintf(f,
            "</text>\n<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" "
            "transform=\"rotate(-90 16 %.1f)\">",
            (by + ty) / 2, (by + ty) / 2);
    xml_text(f, ylabel);
    fputs("</text>\n", f);
}

static void variant_label(const report_input *in, size_t v, char *buf, size_t n) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < in->nkeys && used < n; k++) {
        const char *key = strchr(in->keys[k], '.');
        key = key ? key + 1 : in->keys[k];
        int w = snprintf(buf + used, n - used, "%s%s=%s", k ? ", " : "", key, value_of(in, v, k));
        if (w < 0) break;
        used += (size_t)w;
    }
    if (in->nkeys == 0) snprintf(buf, n, "all runs");
}

static void svg_legend(FILE *f, const report_input *in, const frame *fr) {
    double x = fr->w - fr->right + 12, y = fr->top + 8;
    char label[256];
    for (size_t v = 0; v < in->nvariants; v++, y += 18) {
        variant_label(in, v, label, sizeof label);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%s\"/>\n", x,
                y - 4, palette[v % PALETTE_N]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">", x + 20, y);
        xml_text(f, label);
        fputs("</text>\n", f);
    }
}

static void svg_empty(FILE *f, const frame *fr, const char *what) {
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#888\">", fr->w / 2,
            fr->h / 2);
    xml_text(f, what);
    fputs("</text>\n", f);
}

/* Per variant: mean and std of a series (indexed 0..len) over its runs. */
typedef struct series {
    double *mean, *std;
    size_t len;
} series;

static void series_free(series *s, size_t n) {
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].mean);
        free(s[i].std);
    }
    free(s);
}

/* The values of split/metric of run r in row order, into a malloc'd array. */
static size_t run_series(const report_run *r, const char *split, const char *metric, double **out) {
    size_t n = 0;
    *out = malloc((r->nrows + 1) * sizeof **out);
    for (size_t i = 0; *out && i < r->nrows; i++)
        if (strcmp(r->rows[i].split, split) == 0 && strcmp(r->rows[i].metric, metric) == 0)
            (*out)[n++] = r->rows[i].value;
    return n;
}

/* Per variant, the k-th value of split/metric (k-th epoch for dev rows, k-th
 * diagnostic record for diag rows), mean and std over the runs that
 * finished. */
static series *curve_series(const report_input *in, const char *split, const char *metric) {
    series *s = calloc(in->nvariants + 1, sizeof *s);
    if (!s) return NULL;
    for (size_t v = 0; v < in->nvariants; v++) {
        double **vals = calloc(in->nruns + 1, sizeof *vals);
        size_t *lens = calloc(in->nruns + 1, sizeof *lens), nr = 0, maxlen = 0;
        if (!vals || !lens) {
            free(vals);
            free(lens);
            series_free(s, in->nvariants);
            return NULL;
        }
        for (size_t i = 0; i < in->nruns; i++) {
            if (in->runs[i].variant != v || strcmp(in->runs[i].status, "ok") != 0) continue;
            lens[nr] = run_series(&in->runs[i], split, metric, &vals[nr]);
            if (lens[nr] > maxlen) maxlen = lens[nr];
            nr++;
        }
        s[v].mean = calloc(maxlen + 1, sizeof *s[v].mean);
        s[v].std = calloc(maxlen + 1, sizeof *s[v].std);
        double *col = malloc((nr + 1) * sizeof *col);
        if (s[v].mean && s[v].std && col) {
            s[v].len = maxlen;
            for (size_t e = 0; e < maxlen; e++) {
                size_t m = 0;
                for (size_t j = 0; j < nr; j++)
                    if (e < lens[j] && isfinite(vals[j][e])) col[m++] = vals[j][e];
                stats st;
                stats_compute(col, m, &st);
                s[v].mean[e] = st.mean;
                s[v].std[e] = isnan(st.std) ? 0.0 : st.std;
            }
        }
        free(col);
        for (size_t j = 0; j < nr; j++) free(vals[j]);
        free(vals);
        free(lens);
    }
    return s;
}

/* Mean lines with a shaded +-1 std band, one per variant that has data. */
static void svg_bands(const report_input *in, FILE *f, series *s, const char *title,
                      const char *xlabel, const char *ylabel, const char *none) {
    frame fr = {760, 460, 70, 220, 40, 50, 1, 1, INFINITY, -INFINITY, 0};
    for (size_t v = 0; v < in->nvariants; v++) {
        if (s[v].len > fr.x1) fr.x1 = (double)s[v].len;
        for (size_t e = 0; e < s[v].len; e++) {
            if (!isfinite(s[v].mean[e])) continue;
            fr.y0 = fmin(fr.y0, s[v].mean[e] - s[v].std[e]);
            fr.y1 = fmax(fr.y1, s[v].mean[e] + s[v].std[e]);
        }
    }
    int empty = !isfinite(fr.y0);
    nice_range(&fr.y0, &fr.y1);
    svg_open(f, &fr, title);
    svg_axes(f, &fr, xlabel, ylabel, 0);
    if (empty) svg_empty(f, &fr, none);
    for (size_t v = 0; v < in->nvariants; v++) {
        const char *col = palette[v % PALETTE_N];
        if (s[v].len == 0) continue;
        fprintf(f, "<polygon fill=\"%s\" fill-opacity=\"0.18\" stroke=\"none\" points=\"", col);
        for (size_t e = 0; e < s[v].len; e++)
            if (isfinite(s[v].mean[e]))
                fprintf(f, "%.1f,%.1f ", px_x(&fr, (double)e + 1),
                        px_y(&fr, s[v].mean[e] + s[v].std[e]));
        for (size_t e = s[v].len; e-- > 0;)
            if (isfinite(s[v].mean[e]))
                fprintf(f, "%.1f,%.1f ", px_x(&fr, (double)e + 1),
                        px_y(&fr, s[v].mean[e] - s[v].std[e]));
        fprintf(f, "\"/>\n<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
        for (size_t e = 0; e < s[v].len; e++)
            if (isfinite(s[v].mean[e]))
                fprintf(f, "%.1f,%.1f ", px_x(&fr, (double)e + 1), px_y(&fr, s[v].mean[e]));
        fputs("\"/>\n", f);
    }
    svg_legend(f, in, &fr);
    fputs("</svg>\n", f);
}

int report_svg_curves(const report_input *in, FILE *f, rnnlab_err *err) {
    const char *metric = strcmp(in->metric_split, "dev") == 0 ? in->metric_name : "loss";
    series *s = curve_series(in, "dev", metric);
    if (!s) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    char title[512], ylabel[128];
    snprintf(title, sizeof title, "%s: dev %s per epoch (mean, band ±1 std over seeds)", in->title,
             metric);
    snprintf(ylabel, sizeof ylabel, "dev %s", metric);
    svg_bands(in, f, s, title, "epoch", ylabel, "no finished run has dev rows");
    series_free(s, in->nvariants);
    return finish(f, "curves.svg", err);
}

/* Whether any run recorded split=diag rows of this metric. */
static int has_diag(const report_input *in, const char *metric) {
    for (size_t i = 0; i < in->nruns; i++)
        for (size_t j = 0; j < in->runs[i].nrows; j++)
            if (strcmp(in->runs[i].rows[j].split, "diag") == 0 &&
                strcmp(in->runs[i].rows[j].metric, metric) == 0)
                return 1;
    return 0;
}

/* One diagnostic over training: the value at each record ([diagnostics]
 * every N steps), mean and band over seeds. Returns 1 (no file) when no run
 * recorded it. */
static int svg_diag(const report_input *in, FILE *f, const char *metric, const char *what,
                    const char *file, rnnlab_err *err) {
    if (!has_diag(in, metric)) return 1;
    series *s = curve_series(in, "diag", metric);
    if (!s) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    char title[512];
    snprintf(title, sizeof title, "%s: %s during training (mean, band ±1 std over seeds)",
             in->title, what);
    svg_bands(in, f, s, title, "diagnostic record (every [diagnostics] every steps)", metric,
              "no finished run recorded it");
    series_free(s, in->nvariants);
    return finish(f, file, err);
}

int report_svg_spectral(const report_input *in, FILE *f, rnnlab_err *err) {
    return svg_diag(in, f, "spectral_radius_l0", "spectral radius of W_hh (layer 0)",
                    "spectral.svg", err);
}

int report_svg_saturated(const report_input *in, FILE *f, rnnlab_err *err) {
    return svg_diag(in, f, "saturated_frac", "fraction of saturated units", "saturated.svg", err);
}

int report_svg_dead(const report_input *in, FILE *f, rnnlab_err *err) {
    return svg_diag(in, f, "dead_frac", "fraction of dead ReLU units", "dead.svg", err);
}

int report_svg_final(const report_input *in, FILE *f, rnnlab_err *err) {
    variant_sum *sums = calloc(in->nvariants + 1, sizeof *sums);
    if (!sums || summarize(in, sums) != RNNLAB_OK) {
        free(sums);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    frame fr = {800, 480, 130, 30, 40, 130, 0, (double)in->nvariants, INFINITY, -INFINITY, 0};
    for (size_t i = 0; i < in->nruns; i++) {
        double x = report_main_value(in, i);
        if (isnan(x)) continue;
        fr.y0 = fmin(fr.y0, x);
        fr.y1 = fmax(fr.y1, x);
    }
    for (size_t v = 0; v < in->nvariants; v++) {
        if (sums[v].st.n < 2) continue;
        fr.y0 = fmin(fr.y0, sums[v].st.mean - sums[v].st.std);
        fr.y1 = fmax(fr.y1, sums[v].st.mean + sums[v].st.std);
    }
    int empty = !isfinite(fr.y0);
    nice_range(&fr.y0, &fr.y1);
    if (fr.x1 <= 0) fr.x1 = 1;
    char title[512], ylabel[160];
    snprintf(title, sizeof title, "%s: %s/%s at the %s epoch (mean ±1 std, dots: seeds)", in->title,
             in->metric_split, in->metric_name, in->select_best ? "best" : "last");
    snprintf(ylabel, sizeof ylabel, "%s %s", in->metric_split, in->metric_name);
    svg_open(f, &fr, title);
    svg_axes(f, &fr, "", ylabel, 1);
    if (empty) svg_empty(f, &fr, "no run finished");
    char label[256];
    for (size_t v = 0; v < in->nvariants; v++) {
        const char *col = palette[v % PALETTE_N];
        double cx = px_x(&fr, (double)v + 0.5), by = fr.h - fr.bottom;
        variant_label(in, v, label, sizeof label);
        fprintf(f,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" "
                "transform=\"rotate(-35 %.1f %.1f)\">",
                cx, by + 14, cx, by + 14);
        xml_text(f, label);
        fputs("</text>\n", f);
        size_t k = 0;
        for (size_t i = 0; i < in->nruns; i++) {
            if (in->runs[i].variant != v) continue;
            double x = report_main_value(in, i);
            if (isnan(x)) continue;
            fprintf(
                f,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\" fill-opacity=\"0.45\"/>\n",
                cx + 14 + 3.0 * (double)(k++ % 5), px_y(&fr, x), col);
        }
        const stats *st = &sums[v].st;
        if (st->n == 0) continue;
        if (st->n >= 2) {
            double y1 = px_y(&fr, st->mean + st->std), y2 = px_y(&fr, st->mean - st->std);
            fprintf(f,
                    "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\" stroke=\"%s\" "
                    "stroke-width=\"1.5\" fill=\"none\"/>\n",
                    cx, y1, y2, cx - 6, y1, cx + 6, cx - 6, y2, cx + 6, col);
        }
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n", cx,
                px_y(&fr, st->mean), col);
    }
    fputs("</svg>\n", f);
    free(sums);
    return finish(f, "final.svg", err);
}

/* dh_norm_t<k>: k, or -1 for any other metric. */
static long dh_index(const report_row *w) {
    if (strcmp(w->split, "diag") != 0 || strncmp(w->metric, "dh_norm_t", 9) != 0) return -1;
    char *end;
    long k = strtol(w->metric + 9, &end, 10);
    return *end || k < 0 ? -1 : k;
}

/* Per variant, per t: mean over runs of (mean over recorded steps). */
static series *gradient_series(const report_input *in, int *any) {
    series *s = calloc(in->nvariants + 1, sizeof *s);
    *any = 0;
    if (!s) return NULL;
    for (size_t v = 0; v < in->nvariants; v++) {
        size_t len = 0;
        for (size_t i = 0; i < in->nruns; i++) {
            if (in->runs[i].variant != v) continue;
            for (size_t j = 0; j < in->runs[i].nrows; j++) {
                long k = dh_index(&in->runs[i].rows[j]);
                if (k >= 0 && (size_t)k + 1 > len) len = (size_t)k + 1;
            }
        }
        double *sum = calloc(len + 1, sizeof *sum), *run_sum = calloc(len + 1, sizeof *run_sum);
        size_t *cnt = calloc(len + 1, sizeof *cnt), *run_cnt = calloc(len + 1, sizeof *run_cnt);
        s[v].mean = calloc(len + 1, sizeof *s[v].mean);
        s[v].std = calloc(len + 1, sizeof *s[v].std);
        if (!sum || !run_sum || !cnt || !run_cnt || !s[v].mean || !s[v].std) {
            free(sum);
            free(run_sum);
            free(cnt);
            free(run_cnt);
            series_free(s, in->nvariants);
            return NULL;
        }
        s[v].len = len;
        for (size_t i = 0; i < in->nruns; i++) {
            if (in->runs[i].variant != v) continue;
            memset(sum, 0, len * sizeof *sum);
            memset(cnt, 0, len * sizeof *cnt);
            for (size_t j = 0; j < in->runs[i].nrows; j++) {
                const report_row *w = &in->runs[i].rows[j];
                long k = dh_index(w);
                if (k < 0 || !isfinite(w->value)) continue;
                sum[k] += w->value;
                cnt[k]++;
            }
            for (size_t t = 0; t < len; t++) {
                if (!cnt[t]) continue;
                run_sum[t] += sum[t] / (double)cnt[t];
                run_cnt[t]++;
            }
        }
        for (size_t t = 0; t < len; t++) {
            s[v].mean[t] = run_cnt[t] ? run_sum[t] / (double)run_cnt[t] : NAN;
            if (run_cnt[t]) *any = 1;
        }
        free(sum);
        free(run_sum);
        free(cnt);
        free(run_cnt);
    }
    return s;
}

int report_svg_gradient(const report_input *in, FILE *f, rnnlab_err *err) {
    int any;
    series *s = gradient_series(in, &any);
    if (!s) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    double lo = INFINITY, hi = -INFINITY;
    size_t maxlen = 0;
    for (size_t v = 0; v < in->nvariants; v++) {
        if (s[v].len > maxlen) maxlen = s[v].len;
        for (size_t t = 0; t < s[v].len; t++) {
            double y = s[v].mean[t];
            if (!(y > 0) || !isfinite(y)) continue;
            lo = fmin(lo, y);
            hi = fmax(hi, y);
        }
    }
    if (!any || !isfinite(lo)) {
        series_free(s, in->nvariants);
        return 1;
    }
    frame fr = {760,
                460,
                70,
                220,
                40,
                50,
                0,
                maxlen > 1 ? (double)maxlen - 1 : 1,
                floor(log10(lo)),
                ceil(log10(hi)),
                1};
    if (fr.y1 <= fr.y0) fr.y1 = fr.y0 + 1;
    char title[512];
    snprintf(title, sizeof title,
             "%s: mean ||dL/dh_t|| by time step (log scale; loss at the last step)", in->title);
    svg_open(f, &fr, title);
    svg_axes(f, &fr, "time step t", "mean ||dL/dh_t||", 0);
    for (size_t v = 0; v < in->nvariants; v++) {
        /* A gap (no finite positive value) ends one polyline and starts the next. */
        int open = 0;
        for (size_t t = 0; t < s[v].len; t++) {
            double y = s[v].mean[t];
            int ok = y > 0 && isfinite(y);
            if (ok && !open) {
                fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                        palette[v % PALETTE_N]);
                open = 1;
            } else if (!ok && open) {
                fputs("\"/>\n", f);
                open = 0;
            }
            if (ok) fprintf(f, "%.1f,%.1f ", px_x(&fr, (double)t), px_y(&fr, y));
        }
        if (open) fputs("\"/>\n", f);
    }
    svg_legend(f, in, &fr);
    fputs("</svg>\n", f);
    series_free(s, in->nvariants);
    return finish(f, "gradient.svg", err);
}

/* ---- all of it ------------------------------------------------------------ */

typedef int (*writer_fn)(const report_input *, FILE *, rnnlab_err *);

/* Writes into a memory buffer, then atomically to dir/name. A writer that
 * returns 1 (nothing to plot) writes no file. */
static int write_one(const report_input *in, const char *dir, const char *name, writer_fn fn,
                     rnnlab_err *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int rc = fn(in, f, err);
    if (fclose(f) != 0 && rc == RNNLAB_OK) rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    if (rc == RNNLAB_OK) {
        size_t n = strlen(dir) + strlen(name) + 2;
        char *path = malloc(n);
        if (!path) {
            free(buf);
            return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        }
        snprintf(path, n, "%s/%s", dir, name);
        const void *chunks[1] = {buf};
        size_t lens[1] = {len};
        rc = file_write_atomic(path, chunks, lens, 1, err);
        free(path);
    } else if (rc == 1) {
        rc = RNNLAB_OK;
    }
    free(buf);
    return rc;
}

static int write_md_with_plots(const report_input *in, FILE *f, rnnlab_err *err) {
    int rc = report_write_summary_md(in, f, err);
    if (rc != RNNLAB_OK) return rc;
    fputs("\n![learning curves](curves.svg)\n\n![final metric per variant](final.svg)\n", f);
    int any = 0;
    for (size_t i = 0; i < in->nruns && !any; i++)
        for (size_t j = 0; j < in->runs[i].nrows && !any; j++)
            any = dh_index(&in->runs[i].rows[j]) >= 0;
    if (any) fputs("\n![gradient through time](gradient.svg)\n", f);
    if (has_diag(in, "spectral_radius_l0")) fputs("\n![spectral radius](spectral.svg)\n", f);
    if (has_diag(in, "saturated_frac")) fputs("\n![saturated units](saturated.svg)\n", f);
    if (has_diag(in, "dead_frac")) fputs("\n![dead units](dead.svg)\n", f);
    return finish(f, "summary.md", err);
}

int report_write_all(const report_input *in, const char *dir, rnnlab_err *err) {
    int rc = make_dirs(dir, err);
    if (rc == RNNLAB_OK) rc = write_one(in, dir, "runs.csv", report_write_runs_csv, err);
    if (rc == RNNLAB_OK) rc = write_one(in, dir, "summary.csv", report_write_summary_csv, err);
    if (rc == RNNLAB_OK) rc = write_one(in, dir, "summary.md", write_md_with_plots, err);
    if (rc == RNNLAB_OK) rc = write_one(in, dir, "curves.svg", report_svg_curves, err);
    if (rc == RNNLAB_OK) rc = write_one(in, dir, "final.svg", report_svg_final, err);
    if (rc == RNNLAB_OK) rc = write_one(in, dir, "gradient.svg", report_svg_gradient, err);
    if (rc == RNNLAB_OK) rc = write_one(in, dir, "spectral.svg", report_svg_spectral, err);
    if (rc == RNNLAB_OK) rc = write_one(in, dir, "saturated.svg", report_svg_saturated, err);
    if (rc == RNNLAB_OK) rc = write_one(in, dir, "dead.svg", report_svg_dead, err);
    return rc;
}
