/* sweep.c -- see sweep.h. */
#include "sweep.h"

#include "core/registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/checkpoint.h"
#include "core/config.h"
#include "core/metric.h"
#include "core/fileio.h"
#include "core/host.h"
#include "core/lockfile.h"
#include "core/run_folder.h"
#include "report.h"
#include "core/session.h"
#include "core/sha256.h"
#include "core/suggest.h"
#include "core/trainer.h"

#define MAX_AXIS_VALUES 100000
#define MAX_VARIANTS 1000000
#define DRAW_STREAM 0x7377656570000000ull /* "sweep" */

static const char *const mode_names[] = {"grid", "zip", "ofat", "random", NULL};

const char *sweep_mode_name(sweep_mode m) { return mode_names[m]; }

const char *run_state_name(run_state s) {
    switch (s) {
    case RUN_OK: return "ok";
    case RUN_DIVERGED: return "diverged";
    case RUN_FAILED: return "failed";
    case RUN_BUSY: return "busy";
    case RUN_PENDING:
    case RUN_UNFINISHED: break;
    }
    return "unfinished";
}

/* ---- small helpers --------------------------------------------------------- */

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static void free_strings(char **v, size_t n) {
    for (size_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

static int push_string(char ***v, size_t *n, char *s) {
    if (!s) return RNNLAB_ERR_NOMEM;
    char **g = realloc(*v, (*n + 1) * sizeof *g);
    if (!g) {
        free(s);
        return RNNLAB_ERR_NOMEM;
    }
    *v = g;
    g[(*n)++] = s;
    return RNNLAB_OK;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- axis values ------------------------------------------------------------- */

static int parse_int(const char *s, long long *out) {
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno || end == s || *trim(end) ? -1 : 0;
}

static int parse_real(const char *s, double *out) {
    char *end;
    *out = strtod(s, &end);
    return end == s || *trim(end) || !isfinite(*out) ? -1 : 0;
}

/* log(a, b, n) / lin(a, b, n) */
static int parse_spaced(const char *text, int geometric, char ***values, size_t *n,
                        rnnlab_err *err) {
    const char *fn = geometric ? "log" : "lin";
    char *copy = strndup(text + 4, strlen(text) - 5), *save = NULL;
    if (!copy) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    char *parts[4] = {0};
    int k = 0;
    for (char *t = strtok_r(copy, ",", &save); t && k < 4; t = strtok_r(NULL, ",", &save))
        parts[k++] = trim(t);
    double a, b;
    long long cnt;
    int bad = k != 3 || parse_real(parts[0], &a) || parse_real(parts[1], &b) ||
              parse_int(parts[2], &cnt) || cnt < 1 || cnt > MAX_AXIS_VALUES;
    free(copy);
    if (bad)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "'%s': expected %s(a, b, n) with numbers a, b and a count n in [1, %d]",
                       text, fn, MAX_AXIS_VALUES);
    if (geometric && !(a > 0 && b > 0))
        return err_set(err, RNNLAB_ERR_INVALID, "'%s': log(a, b, n) needs a > 0 and b > 0", text);
    for (long long i = 0; i < cnt; i++) {
        double f = cnt == 1 ? 0.0 : (double)i / (double)(cnt - 1);
        double x = geometric ? exp(log(a) + (log(b) - log(a)) * f) : a + (b - a) * f;
        if (i == cnt - 1 && cnt > 1) x = b; /* exactly the end point given */
        char buf[64];
        snprintf(buf, sizeof buf, "%.6g", x);
        if (push_string(values, n, strdup(buf)) != RNNLAB_OK)
            return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    return RNNLAB_OK;
}

/* a..b with integers a <= b; returns 1 when text is not of that form. */
static int parse_range(const char *text, char ***values, size_t *n, rnnlab_err *err) {
    const char *dots = strstr(text, "..");
    if (!dots || strchr(text, ',')) return 1;
    char *lo_s = strndup(text, (size_t)(dots - text));
    if (!lo_s) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    long long lo, hi;
    int ok = parse_int(lo_s, &lo) == 0 && parse_int(dots + 2, &hi) == 0;
    free(lo_s);
    if (!ok) return 1;
    if (hi < lo || hi - lo >= MAX_AXIS_VALUES)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "'%s': expected a..b with a <= b and at most %d values", text,
                       MAX_AXIS_VALUES);
    for (long long i = lo; i <= hi; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", i);
        if (push_string(values, n, strdup(buf)) != RNNLAB_OK)
            return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    return RNNLAB_OK;
}

static int parse_list(const char *text, char ***values, size_t *n, rnnlab_err *err) {
    char *copy = strdup(text);
    if (!copy) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int rc = RNNLAB_OK;
    char *p = copy;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        char *v = trim(p);
        if (!*v) {
            rc = err_set(err, RNNLAB_ERR_INVALID,
                         "'%s': empty value in the list (expected v1, v2, ...)", text);
            break;
        }
        if (push_string(values, n, strdup(v)) != RNNLAB_OK) {
            rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
            break;
        }
        if (!comma) break;
        p = comma + 1;
    }
    free(copy);
    return rc;
}

int sweep_parse_axis(const char *text, char ***values, size_t *n, rnnlab_err *err) {
    *values = NULL;
    *n = 0;
    char *t = strdup(text);
    if (!t) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    char *s = trim(t);
    size_t len = strlen(s);
    int rc;
    if (len == 0) {
        rc = err_set(err, RNNLAB_ERR_INVALID,
                     "empty axis (expected v1, v2, ... | a..b | log(a, b, n) | lin(a, b, n))");
    } else if (len > 5 && (strncmp(s, "log(", 4) == 0 || strncmp(s, "lin(", 4) == 0) &&
               s[len - 1] == ')') {
        rc = parse_spaced(s, s[1] == 'o', values, n, err);
    } else {
        rc = parse_range(s, values, n, err);
        if (rc == 1) rc = parse_list(s, values, n, err);
    }
    free(t);
    if (rc != RNNLAB_OK) {
        free_strings(*values, *n);
        *values = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- loading ------------------------------------------------------------------ */

void sweep_free(sweep_plan *p) {
    if (!p) return;
    free(p->path);
    free(p->name);
    free(p->base);
    free(p->out_dir);
    for (size_t a = 0; a < p->naxes; a++) {
        free(p->axes[a].key);
        free_strings(p->axes[a].values, p->axes[a].n);
    }
    free(p->axes);
    free(p->seeds.key);
    free_strings(p->seeds.values, p->seeds.n);
    free(p->variants);
    free(p->baseline);
    free_strings(p->overrides, p->noverrides);
    free_strings(p->cli_sets, p->ncli_sets);
    free_strings(p->unsets, p->nunsets);
    for (size_t i = 0; i < p->nruns; i++) free(p->runs[i].seed_value);
    free(p->runs);
    free(p);
}

static int add_axis(sweep_plan *p, const config_entry *e, sweep_axis *into, rnnlab_err *err) {
    char where[512];
    config_where(e, where, sizeof where);
    const char *dot = strchr(e->key, '.');
    if (!dot || dot == e->key || !dot[1] || strchr(dot + 1, '.'))
        return err_set(err, RNNLAB_ERR_INVALID,
                       "%s: axis '%s': expected a key of the form section.key", where, e->key);
    for (size_t a = 0; a < p->naxes; a++)
        if (strcmp(p->axes[a].key, e->key) == 0)
            return err_set(err, RNNLAB_ERR_INVALID, "%s: axis %s is given twice", where, e->key);
    sweep_axis ax = {0};
    int rc = sweep_parse_axis(e->value, &ax.values, &ax.n, err);
    if (rc != RNNLAB_OK) return err_prefix(err, "%s: axis %s: ", where, e->key);
    ax.key = strdup(e->key);
    ax.line = e->line;
    if (!ax.key) {
        free_strings(ax.values, ax.n);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    if (into) {
        *into = ax;
        return RNNLAB_OK;
    }
    sweep_axis *g = realloc(p->axes, (p->naxes + 1) * sizeof *g);
    if (!g) {
        free(ax.key);
        free_strings(ax.values, ax.n);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    p->axes = g;
    p->axes[p->naxes++] = ax;
    return RNNLAB_OK;
}

static int set_base(sweep_plan *p, const config_entry *e, const char *dir, rnnlab_err *err) {
    char where[512];
    char *joined = e->value[0] == '/' ? strdup(e->value) : path_join(dir, e->value);
    if (!joined) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    /* Absolute, so the resolved configs (and their hashes) do not depend on
     * the folder the sweep is started from. */
    p->base = realpath(joined, NULL);
    int e_no = errno;
    free(joined);
    if (!p->base)
        return err_set(err, RNNLAB_ERR_IO, "%s: base = '%s': cannot open: %s (relative to %s)",
                       config_where(e, where, sizeof where), e->value, strerror(e_no), dir);
    return RNNLAB_OK;
}

static int sweep_option(sweep_plan *p, const config_entry *e, const char *dir, int *have_samples,
                        rnnlab_err *err) {
    char where[512];
    config_where(e, where, sizeof where);
    const char *k = e->key, *v = e->value;
    long long x;
    if (strcmp(k, "base") == 0) return set_base(p, e, dir, err);
    if (strcmp(k, "mode") == 0) {
        for (int m = 0; mode_names[m]; m++)
            if (strcmp(v, mode_names[m]) == 0) {
                p->mode = (sweep_mode)m;
                return RNNLAB_OK;
            }
        return err_set(err, RNNLAB_ERR_INVALID,
                       "%s: mode = '%s': expected grid, zip, ofat or random", where, v);
    }
    if (strcmp(k, "seeds") == 0) {
        if (p->seeds.key)
            return err_set(err, RNNLAB_ERR_INVALID,
                           "%s: train.seed is swept twice (seeds = and train.seed =)", where);
        int rc = sweep_parse_axis(v, &p->seeds.values, &p->seeds.n, err);
        if (rc != RNNLAB_OK) return err_prefix(err, "%s: seeds: ", where);
        p->seeds.line = e->line;
        p->seeds_key = 1;
        p->seeds.key = strdup("train.seed");
        return p->seeds.key ? RNNLAB_OK : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    if (strcmp(k, "samples") == 0 || strcmp(k, "seed") == 0) {
        if (parse_int(v, &x) || x < (k[1] == 'a' ? 1 : 0) || x > MAX_VARIANTS)
            return err_set(err, RNNLAB_ERR_INVALID,
                           "%s: %s = '%s': expected an integer in [%d, %d]", where, k, v,
                           k[1] == 'a' ? 1 : 0, MAX_VARIANTS);
        if (k[1] == 'a') {
            p->samples = (size_t)x;
            *have_samples = e->line;
        } else {
            p->draw_seed = (uint64_t)x;
        }
        return RNNLAB_OK;
    }
    if (strcmp(k, "metric") == 0) {
        const char *slash = strchr(v, '/');
        if (!slash || (size_t)(slash - v) >= sizeof p->metric_split || !slash[1] ||
            strlen(slash + 1) >= sizeof p->metric_name)
            return err_set(err, RNNLAB_ERR_INVALID,
                           "%s: metric = '%s': expected split/name, e.g. dev/loss or dev/accuracy",
                           where, v);
        snprintf(p->metric_split, sizeof p->metric_split, "%.*s", (int)(slash - v), v);
        snprintf(p->metric_name, sizeof p->metric_name, "%s", slash + 1);
        p->metric_line = e->line;
        return RNNLAB_OK;
    }
    if (strcmp(k, "goal") == 0 || strcmp(k, "select") == 0) {
        const char *a = k[0] == 'g' ? "min" : "final", *b = k[0] == 'g' ? "max" : "best";
        if (strcmp(v, a) != 0 && strcmp(v, b) != 0)
            return err_set(err, RNNLAB_ERR_INVALID, "%s: %s = '%s': expected %s or %s", where, k, v,
                           a, b);
        if (k[0] == 'g')
            p->goal_max = strcmp(v, b) == 0 ? 1 : 0;
        else
            p->select_best = strcmp(v, b) == 0;
        return RNNLAB_OK;
    }
    if (strchr(k, '.')) {
        if (strcmp(k, "train.seed") == 0) {
            if (p->seeds.key)
                return err_set(err, RNNLAB_ERR_INVALID,
                               "%s: train.seed is swept twice (seeds = and train.seed =)", where);
            return add_axis(p, e, &p->seeds, err);
        }
        return add_axis(p, e, NULL, err);
    }
    return err_set(err, RNNLAB_ERR_INVALID,
                   "%s: unknown key '%s' in [sweep]; expected base, mode, seeds, samples, seed, "
                   "metric, goal, select or an axis section.key",
                   where, k);
}

/* ---- expansion ------------------------------------------------------------------ */

static int find_variant(const sweep_plan *p, const size_t *idx, size_t *out) {
    for (size_t v = 0; v < p->nvariants; v++)
        if (memcmp(&p->variants[v * p->naxes], idx, p->naxes * sizeof *idx) == 0) {
            *out = v;
            return 1;
        }
    return 0;
}

static int push_variant(sweep_plan *p, const size_t *idx, size_t *cap) {
    if (p->nvariants == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        size_t *g = realloc(p->variants, *cap * (p->naxes ? p->naxes : 1) * sizeof *g);
        if (!g) return RNNLAB_ERR_NOMEM;
        p->variants = g;
    }
    if (p->naxes) memcpy(&p->variants[p->nvariants * p->naxes], idx, p->naxes * sizeof *idx);
    p->nvariants++;
    return RNNLAB_OK;
}

static int expand_variants(sweep_plan *p, rnnlab_err *err) {
    size_t na = p->naxes, cap = 0;
    size_t *idx = calloc(na + 1, sizeof *idx);
    if (!idx) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int rc = RNNLAB_OK;
    if (p->mode == SWEEP_GRID) {
        size_t total = 1;
        for (size_t a = 0; a < na; a++) {
            if (total > MAX_VARIANTS / p->axes[a].n) {
                free(idx);
                return err_set(err, RNNLAB_ERR_INVALID, "%s: the grid has more than %d variants",
                               p->path, MAX_VARIANTS);
            }
            total *= p->axes[a].n;
        }
        for (size_t v = 0; v < total && rc == RNNLAB_OK; v++) {
            size_t r = v; /* mixed radix, the first axis slowest */
            for (size_t a = na; a-- > 0;) {
                idx[a] = r % p->axes[a].n;
                r /= p->axes[a].n;
            }
            rc = push_variant(p, idx, &cap);
        }
    } else if (p->mode == SWEEP_ZIP) {
        size_t len = na ? p->axes[0].n : 1;
        for (size_t a = 1; a < na; a++)
            if (p->axes[a].n != len) {
                free(idx);
                return err_set(err, RNNLAB_ERR_INVALID,
                               "%s:%d: mode = zip: axis %s has %zu values but %s has %zu; zipped "
                               "axes need the same number of values",
                               p->path, p->axes[a].line, p->axes[a].key, p->axes[a].n,
                               p->axes[0].key, len);
            }
        for (size_t i = 0; i < len && rc == RNNLAB_OK; i++) {
            for (size_t a = 0; a < na; a++) idx[a] = i;
            rc = push_variant(p, idx, &cap);
        }
    } else if (p->mode == SWEEP_OFAT) {
        rc = push_variant(p, idx, &cap);
        for (size_t a = 0; a < na && rc == RNNLAB_OK; a++)
            for (size_t j = 1; j < p->axes[a].n && rc == RNNLAB_OK; j++) {
                idx[a] = j;
                rc = push_variant(p, idx, &cap);
                idx[a] = 0;
            }
    } else {
        size_t distinct = 1;
        for (size_t a = 0; a < na && distinct <= p->samples; a++) distinct *= p->axes[a].n;
        if (distinct < p->samples) {
            free(idx);
            return err_set(err, RNNLAB_ERR_INVALID,
                           "%s: samples = %zu, but the axes have only %zu distinct combinations",
                           p->path, p->samples, distinct);
        }
        rnnlab_rng rng;
        rng_seed(&rng, p->draw_seed, DRAW_STREAM);
        while (p->nvariants < p->samples && rc == RNNLAB_OK) {
            size_t dummy;
            for (size_t a = 0; a < na; a++) idx[a] = (size_t)rng_below(&rng, p->axes[a].n);
            if (!find_variant(p, idx, &dummy)) rc = push_variant(p, idx, &cap);
        }
    }
    free(idx);
    return rc == RNNLAB_OK ? RNNLAB_OK : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
}

static int expand_baselines(sweep_plan *p, rnnlab_err *err) {
    p->baseline = malloc((p->nvariants + 1) * sizeof *p->baseline);
    size_t *idx = calloc(p->naxes + 1, sizeof *idx);
    if (!p->baseline || !idx) {
        free(idx);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    for (size_t v = 0; v < p->nvariants; v++) {
        size_t b = SIZE_MAX;
        if (p->naxes == 0) {
            b = SIZE_MAX;
        } else if (p->mode == SWEEP_OFAT || p->mode == SWEEP_ZIP) {
            b = 0;
        } else {
            memcpy(idx, &p->variants[v * p->naxes], p->naxes * sizeof *idx);
            idx[0] = 0;
            if (!find_variant(p, idx, &b)) b = SIZE_MAX;
        }
        p->baseline[v] = b == v ? SIZE_MAX : b;
    }
    free(idx);
    return RNNLAB_OK;
}

static int expand_runs(sweep_plan *p, rnnlab_err *err) {
    size_t ns = p->seeds.n ? p->seeds.n : 1;
    p->nruns = p->nvariants * ns;
    p->runs = calloc(p->nruns + 1, sizeof *p->runs);
    if (!p->runs) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    for (size_t v = 0; v < p->nvariants; v++)
        for (size_t s = 0; s < ns; s++) {
            sweep_run *r = &p->runs[v * ns + s];
            r->variant = v;
            r->seed = s;
            r->steps = r->diverged_step = -1;
        }
    return RNNLAB_OK;
}

static char *base_name_of(const char *path) {
    const char *b = strrchr(path, '/');
    char *n = strdup(b ? b + 1 : path);
    if (!n) return NULL;
    char *dot = strrchr(n, '.');
    if (dot && dot != n) *dot = '\0';
    return n;
}

static int load_entries(sweep_plan *p, const config *c, rnnlab_err *err) {
    char *dir = dir_of(p->path);
    if (!dir) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int rc = RNNLAB_OK, have_samples = 0;
    for (size_t i = 0; i < config_count(c) && rc == RNNLAB_OK; i++) {
        const config_entry *e = config_at(c, i);
        if (strcmp(e->section, "sweep") == 0) {
            rc = sweep_option(p, e, dir, &have_samples, err);
        } else {
            size_t n = strlen(e->section) + strlen(e->key) + strlen(e->value) + 3;
            char *s = malloc(n);
            if (s) snprintf(s, n, "%s.%s=%s", e->section, e->key, e->value);
            if (push_string(&p->overrides, &p->noverrides, s) != RNNLAB_OK)
                rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        }
    }
    if (rc == RNNLAB_OK && !p->base)
        rc = err_set(err, RNNLAB_ERR_INVALID, "%s: [sweep] missing required key 'base'", p->path);
    if (rc == RNNLAB_OK && p->mode == SWEEP_RANDOM && !have_samples)
        rc = err_set(err, RNNLAB_ERR_INVALID, "%s: mode = random needs samples = N in [sweep]",
                     p->path);
    if (rc == RNNLAB_OK && p->mode != SWEEP_RANDOM && have_samples)
        rc = err_set(err, RNNLAB_ERR_INVALID,
                     "%s:%d: samples is only used with mode = random (mode is %s)", p->path,
                     have_samples, mode_names[p->mode]);
    if (rc == RNNLAB_OK && !p->out_dir) {
        char *nm = malloc(strlen(p->name) + 5);
        if (nm) sprintf(nm, "%s.out", p->name);
        p->out_dir = nm ? path_join(dir, nm) : NULL;
        free(nm);
        if (!p->out_dir) rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    free(dir);
    return rc;
}

int sweep_load(sweep_plan **out, const char *path, rnnlab_err *err) {
    *out = NULL;
    sweep_plan *p = calloc(1, sizeof *p);
    if (!p) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    p->path = strdup(path);
    p->name = base_name_of(path);
    p->goal_max = -1;
    p->draw_seed = 1;
    snprintf(p->metric_split, sizeof p->metric_split, "dev");
    snprintf(p->metric_name, sizeof p->metric_name, "loss");
    if (!p->path || !p->name) {
        sweep_free(p);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    config *c = NULL;
    int rc = config_load(&c, path, err);
    if (rc == RNNLAB_OK) rc = load_entries(p, c, err);
    config_free(c);
    if (rc == RNNLAB_OK && p->goal_max < 0)
        p->goal_max = metric_higher_is_better(p->metric_name) == 1;
    if (rc == RNNLAB_OK) rc = expand_variants(p, err);
    if (rc == RNNLAB_OK) rc = expand_baselines(p, err);
    if (rc == RNNLAB_OK) rc = expand_runs(p, err);
    if (rc != RNNLAB_OK) {
        sweep_free(p);
        return rc;
    }
    *out = p;
    return RNNLAB_OK;
}

/* ---- assignments and validation ----------------------------------------------- */

void sweep_free_sets(char **sets, size_t n) { free_strings(sets, n); }

static char *assignment(const char *key, const char *value) {
    size_t n = strlen(key) + strlen(value) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s=%s", key, value);
    return s;
}

/* Overrides, then each axis at idx[a] (none when idx is NULL), then the
 * seed (seed_idx, or none when SIZE_MAX or unswept). */
static int build_sets(const sweep_plan *p, const size_t *idx, size_t seed_idx, char ***sets,
                      size_t *n) {
    *sets = NULL;
    *n = 0;
    int rc = RNNLAB_OK;
    for (size_t i = 0; i < p->noverrides && rc == RNNLAB_OK; i++)
        rc = push_string(sets, n, strdup(p->overrides[i]));
    for (size_t i = 0; i < p->ncli_sets && rc == RNNLAB_OK; i++)
        rc = push_string(sets, n, strdup(p->cli_sets[i]));
    for (size_t a = 0; a < p->naxes && rc == RNNLAB_OK; a++) {
        if (!idx) break; /* an axis check without the other axes */
        rc = push_string(sets, n, assignment(p->axes[a].key, p->axes[a].values[idx[a]]));
    }
    if (rc == RNNLAB_OK && p->seeds.n && seed_idx != SIZE_MAX)
        rc = push_string(sets, n, assignment("train.seed", p->seeds.values[seed_idx]));
    if (rc != RNNLAB_OK) {
        free_strings(*sets, *n);
        *sets = NULL;
        *n = 0;
    }
    return rc;
}

int sweep_run_sets(const sweep_plan *p, size_t i, char ***sets, size_t *nsets) {
    const sweep_run *r = &p->runs[i];
    const size_t *idx = p->naxes ? &p->variants[r->variant * p->naxes] : NULL;
    return build_sets(p, idx, r->seed, sets, nsets);
}

static int open_session(const sweep_plan *p, char **sets, size_t n, const char *plugin_path,
                        FILE *notes, session *s, rnnlab_err *err) {
    session_args a;
    memset(&a, 0, sizeof a);
    a.config_path = p->base;
    a.sets = (const char *const *)sets;
    a.nsets = n;
    a.unsets = (const char *const *)p->unsets;
    a.nunsets = p->nunsets;
    a.plugin_path = plugin_path;
    a.notes = notes;
    return session_open(s, &a, err);
}

/* The session's message already names "--set section.key"; the sweep's own
 * prefix names the sweep file line instead, so drop the duplicate. */
static const char *strip_set_prefix(const char *msg) {
    if (strncmp(msg, "--set ", 6) != 0) return msg;
    const char *c = strstr(msg, ": ");
    return c ? c + 2 : msg;
}

void sweep_hash_text(const char *text, size_t len, char out[17]) {
    char hex[65];
    sha256_hex(text, len, hex);
    memcpy(out, hex, 16);
    out[16] = '\0';
}

static int config_hash(const session *s, char out[17], rnnlab_err *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int rc = config_write(s->cfg, f);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    sweep_hash_text(buf, len, out);
    free(buf);
    return RNNLAB_OK;
}

static const rnnlab_param *section_schema(const session *s, const char *section) {
    if (strcmp(section, "model") == 0) return schema_model;
    if (strcmp(section, "train") == 0) return schema_train;
    if (strcmp(section, "plugins") == 0) return schema_plugins;
    if (strcmp(section, "diagnostics") == 0) return schema_diagnostics;
    const session_part *parts[] = {&s->activation, &s->loss, &s->optimizer, &s->tokenizer,
                                   &s->loader};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (parts[i]->comp && parts[i]->section && strcmp(parts[i]->section, section) == 0)
            return parts[i]->comp->params;
    return NULL;
}

/* A relative PATH value in the sweep file is relative to the sweep file,
 * not to the base config or the current folder: rewrite it absolute. */
static int absolutize(const session *s, const char *sweep_dir, const char *assign, char **out) {
    *out = NULL;
    const char *dot = strchr(assign, '.'), *eq = strchr(assign, '=');
    if (!dot || !eq || eq < dot) return RNNLAB_OK;
    char section[64], key[128];
    snprintf(section, sizeof section, "%.*s", (int)(dot - assign), assign);
    snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
    const rnnlab_param *schema = section_schema(s, section);
    const rnnlab_param *prm = schema ? schema_find(schema, key) : NULL;
    if (!prm || !(prm->flags & RNNLAB_PARAM_PATH) || eq[1] == '/' || !eq[1]) return RNNLAB_OK;
    size_t n = (size_t)(eq - assign) + strlen(sweep_dir) + strlen(eq + 1) + 3;
    *out = malloc(n);
    if (!*out) return RNNLAB_ERR_NOMEM;
    snprintf(*out, n, "%.*s=%s/%s", (int)(eq - assign), assign, sweep_dir, eq + 1);
    return RNNLAB_OK;
}

static int absolutize_paths(sweep_plan *p, const session *s, rnnlab_err *err) {
    char *dir = dir_of(p->path), *absdir = dir ? realpath(dir, NULL) : NULL;
    free(dir);
    if (!absdir) return err_set(err, RNNLAB_ERR_IO, "%s: cannot resolve its folder", p->path);
    int rc = RNNLAB_OK;
    for (size_t i = 0; i < p->noverrides && rc == RNNLAB_OK; i++) {
        char *r;
        rc = absolutize(s, absdir, p->overrides[i], &r);
        if (r) {
            free(p->overrides[i]);
            p->overrides[i] = r;
        }
    }
    for (size_t a = 0; a < p->naxes && rc == RNNLAB_OK; a++) {
        for (size_t j = 0; j < p->axes[a].n && rc == RNNLAB_OK; j++) {
            char *as = assignment(p->axes[a].key, p->axes[a].values[j]), *r = NULL;
            rc = as ? absolutize(s, absdir, as, &r) : RNNLAB_ERR_NOMEM;
            if (r) {
                free(p->axes[a].values[j]);
                p->axes[a].values[j] = strdup(strchr(r, '=') + 1);
                if (!p->axes[a].values[j]) rc = RNNLAB_ERR_NOMEM;
            }
            free(as);
            free(r);
        }
    }
    free(absdir);
    return rc == RNNLAB_OK ? RNNLAB_OK : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
}

/* Checks that the base config, alone and with the sweep's overrides, opens;
 * on the way, rewrites the sweep file's relative paths. */
static int check_base(sweep_plan *p, const char *plugin_path, rnnlab_err *err) {
    session s;
    int rc = open_session(p, NULL, 0, plugin_path, NULL, &s, err);
    if (rc != RNNLAB_OK) return err_prefix(err, "%s: base config: ", p->path);
    rc = absolutize_paths(p, &s, err);
    session_close(&s);
    if (rc != RNNLAB_OK) return rc;
    char **sets;
    size_t n;
    if (build_sets(p, NULL, SIZE_MAX, &sets, &n) != RNNLAB_OK)
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    rc = open_session(p, sets, n, plugin_path, p->notes, &s, err);
    sweep_free_sets(sets, n);
    if (rc != RNNLAB_OK)
        return err_prefix(err, "%s: the base config with the sweep's sections%s: ", p->path,
                          p->ncli_sets || p->nunsets ? " and the command line's overrides" : "");
    session_close(&s);
    return RNNLAB_OK;
}

/* One session per axis value, the other axes at their first value. */
static int check_axis_values(const sweep_plan *p, const sweep_axis *ax, size_t which,
                             const char *plugin_path, rnnlab_err *err) {
    size_t *idx = calloc(p->naxes + 1, sizeof *idx);
    if (!idx) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int rc = RNNLAB_OK;
    for (size_t j = 0; j < ax->n && rc == RNNLAB_OK; j++) {
        char **sets;
        size_t n;
        if (which < p->naxes) idx[which] = j;
        /* The seeds are checked first and on their own, so that a bad seed
         * is blamed on its own line, not on the first axis. */
        if (build_sets(p, which < p->naxes ? idx : NULL, which < p->naxes ? SIZE_MAX : j, &sets,
                       &n) != RNNLAB_OK) {
            rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
            break;
        }
        session s;
        rc = open_session(p, sets, n, plugin_path, p->notes, &s, err);
        sweep_free_sets(sets, n);
        if (rc != RNNLAB_OK) {
            char msg[RNNLAB_ERR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", strip_set_prefix(err->msg));
            const char *dash = which == SIZE_MAX ? strchr(ax->values[j] + 1, '-') : NULL;
            if (which == SIZE_MAX && p->seeds_key)
                rc = err_set(err, rc, "%s:%d: seeds value '%s': %s%s", p->path, ax->line,
                             ax->values[j], msg, dash ? " (a range of seeds is written a..b)" : "");
            else
                rc = err_set(err, rc, "%s:%d: axis %s value '%s': %s", p->path, ax->line, ax->key,
                             ax->values[j], msg);
        } else {
            session_close(&s);
        }
    }
    free(idx);
    return rc;
}

void sweep_describe_run(const sweep_plan *p, size_t i, char *buf, size_t size) {
    const sweep_run *r = &p->runs[i];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t a = 0; a < p->naxes && used < size; a++) {
        int w = snprintf(buf + used, size - used, "%s%s=%s", a ? " " : "", p->axes[a].key,
                         p->axes[a].values[p->variants[r->variant * p->naxes + a]]);
        if (w < 0) return;
        used += (size_t)w;
    }
    if (p->seeds.n && used < size)
        snprintf(buf + used, size - used, "%sseed=%s", p->naxes ? " " : "",
                 p->seeds.values[r->seed]);
}

/* The session of run i's full config. */
static int open_run_session(const sweep_plan *p, size_t i, const char *plugin_path, session *s,
                            rnnlab_err *err) {
    char **sets;
    size_t n;
    if (sweep_run_sets(p, i, &sets, &n) != RNNLAB_OK)
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int rc = open_session(p, sets, n, plugin_path, NULL, s, err);
    sweep_free_sets(sets, n);
    return rc;
}

static int resolve_run(sweep_plan *p, size_t i, const char *plugin_path, rnnlab_err *err) {
    session s;
    int rc = open_run_session(p, i, plugin_path, &s, err);
    if (rc != RNNLAB_OK) {
        char what[1024];
        sweep_describe_run(p, i, what, sizeof what);
        return err_prefix(err, "%s: run %zu (%s): ", p->path, i + 1, what);
    }
    rc = config_hash(&s, p->runs[i].hash, err);
    free(p->runs[i].seed_value);
    p->runs[i].seed_value = strdup(config_get(s.cfg, "train", "seed", "1"));
    if (rc == RNNLAB_OK && !p->runs[i].seed_value)
        rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    session_close(&s);
    return rc;
}

/* What decides the metrics a run records: its loss, data, tokenizer, model
 * and diagnostics sections, as one string (malloc'd). */
static char *metric_key(const session *s) {
    static const char *const sections[] = {"loss", "data", "tokenizer", "model", "diagnostics"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    for (size_t k = 0; k < sizeof sections / sizeof sections[0]; k++)
        for (size_t i = 0; i < config_count(s->cfg); i++) {
            const config_entry *e = config_at(s->cfg, i);
            if (strcmp(e->section, sections[k]) == 0)
                fprintf(f, "%s.%s=%s\n", e->section, e->key, e->value);
        }
    return fclose(f) == 0 ? buf : NULL;
}

/* Checks run i's data for the summary's metric (once per distinct key). */
static int check_metric_run(const sweep_plan *p, size_t i, const char *plugin_path, char ***seen,
                            size_t *nseen, rnnlab_err *err) {
    session s;
    int rc = open_run_session(p, i, plugin_path, &s, err);
    if (rc != RNNLAB_OK) return rc;
    char *key = metric_key(&s);
    if (!key) rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; rc == RNNLAB_OK && k < *nseen; k++)
        if (strcmp((*seen)[k], key) == 0) {
            free(key);
            session_close(&s);
            return RNNLAB_OK;
        }
    if (rc == RNNLAB_OK) rc = session_open_data(&s, NULL, NULL, err);
    metric_name names[256];
    size_t count = rc == RNNLAB_OK ? trainer_metric_names(&s, names, 256) : 0;
    if (count > 256) count = 256;
    int found = 0;
    const char *cand[256];
    char full[256][80];
    for (size_t k = 0; k < count; k++) {
        found |= strcmp(names[k].split, p->metric_split) == 0 &&
                 strcmp(names[k].name, p->metric_name) == 0;
        snprintf(full[k], sizeof full[k], "%.15s/%.47s", names[k].split, names[k].name);
        cand[k] = full[k];
    }
    if (rc == RNNLAB_OK && !found) {
        char want[128], list[2048] = "", where[600], what[1024];
        snprintf(want, sizeof want, "%s/%s", p->metric_split, p->metric_name);
        const char *near = suggest_closest(want, cand, count);
        size_t used = 0;
        for (size_t k = 0; k < count && used < sizeof list; k++) {
            if (strncmp(full[k], "diag/dh_norm_t", 14) == 0 && strcmp(full[k], "diag/dh_norm_t0"))
                continue; /* one of the per-step names is enough */
            used +=
                (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", full[k]);
        }
        if (p->metric_line)
            snprintf(where, sizeof where, "%s:%d: metric = %s", p->path, p->metric_line, want);
        else
            snprintf(where, sizeof where, "%s: the default metric %s", p->path, want);
        sweep_describe_run(p, i, what, sizeof what);
        char near_text[160] = "";
        if (near) snprintf(near_text, sizeof near_text, "; did you mean '%s'?", near);
        rc = err_set(err, RNNLAB_ERR_INVALID,
                     "%s: run %zu (%s) will not record it%s (it records: %s)", where, i + 1,
                     *what ? what : "the base config", near_text, list);
    }
    if (rc == RNNLAB_OK && push_string(seen, nseen, key) != RNNLAB_OK) {
        key = NULL;
        rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    } else if (rc != RNNLAB_OK) {
        free(key);
    }
    session_close(&s);
    return rc;
}

/* The summary's metric must be one the runs record: a name that none
 * records would train every run and then report nothing. */
static int check_metric(const sweep_plan *p, const char *plugin_path, rnnlab_err *err) {
    char **seen = NULL;
    size_t nseen = 0;
    size_t ns = p->seeds.n ? p->seeds.n : 1;
    int rc = RNNLAB_OK;
    for (size_t i = 0; i < p->nruns && rc == RNNLAB_OK; i += ns)
        rc = check_metric_run(p, i, plugin_path, &seen, &nseen, err);
    free_strings(seen, nseen);
    return rc;
}

/* "section.key" of an assignment or key (before any '='), trimmed, into buf. */
static const char *key_of(const char *text, char *buf, size_t size) {
    size_t n = strcspn(text, "=");
    snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), text);
    return trim(buf);
}

/* The axis (or seeds) that sweeps key, or NULL. */
static const sweep_axis *swept(const sweep_plan *p, const char *key) {
    for (size_t a = 0; a < p->naxes; a++)
        if (strcmp(p->axes[a].key, key) == 0) return &p->axes[a];
    if (p->seeds.n && strcmp(key, "train.seed") == 0) return &p->seeds;
    return NULL;
}

int sweep_add_overrides(sweep_plan *p, const char *const *sets, size_t nsets,
                        const char *const *unsets, size_t nunsets, rnnlab_err *err) {
    char key[256];
    for (size_t i = 0; i < nsets + nunsets; i++) {
        const char *what = i < nsets ? "--set" : "--unset";
        const char *text = i < nsets ? sets[i] : unsets[i - nsets];
        const sweep_axis *ax = swept(p, key_of(text, key, sizeof key));
        if (ax)
            return err_set(err, RNNLAB_ERR_INVALID,
                           "%s %s: %s is swept by the sweep file (%s:%d); change the axis there "
                           "instead",
                           what, text, key, p->path, ax->line);
    }
    for (size_t i = 0; i < nsets; i++)
        if (push_string(&p->cli_sets, &p->ncli_sets, strdup(sets[i])) != RNNLAB_OK)
            return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    config *base = NULL;
    int rc = nunsets ? config_load(&base, p->base, err) : RNNLAB_OK;
    for (size_t i = 0; i < nunsets && rc == RNNLAB_OK; i++) {
        const char *k = key_of(unsets[i], key, sizeof key);
        const char *dot = strchr(k, '.');
        if (!dot || strchr(unsets[i], '=')) {
            rc = err_set(err, RNNLAB_ERR_INVALID,
                         "--unset '%s': expected the form --unset section.key", unsets[i]);
            break;
        }
        /* The sweep file's own sections lose the key... */
        size_t kl = strlen(k), dropped = 0;
        for (size_t o = 0; o < p->noverrides;) {
            if (strncmp(p->overrides[o], k, kl) == 0 && p->overrides[o][kl] == '=') {
                free(p->overrides[o]);
                memmove(&p->overrides[o], &p->overrides[o + 1],
                        (p->noverrides - o - 1) * sizeof *p->overrides);
                p->noverrides--;
                dropped++;
            } else {
                o++;
            }
        }
        /* ...and so does the base config, in every run. */
        char section[128];
        snprintf(section, sizeof section, "%.*s", (int)(dot - k), k);
        if (config_find(base, section, dot + 1)) {
            if (push_string(&p->unsets, &p->nunsets, strdup(k)) != RNNLAB_OK)
                rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        } else if (!dropped) {
            const char *keys[256];
            size_t n = 0;
            for (size_t e = 0; e < config_count(base) && n < 256; e++)
                if (strcmp(config_at(base, e)->section, section) == 0)
                    keys[n++] = config_at(base, e)->key;
            const char *near = suggest_closest(dot + 1, keys, n);
            rc = err_set(
                err, RNNLAB_ERR_INVALID,
                "--unset %s: neither the base config (%s) nor the sweep file sets it%s%s%s", k,
                p->base, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
        }
    }
    config_free(base);
    return rc;
}

/* Writes each distinct line of text to f once, in order of first sight. */
static void put_unique_lines(FILE *f, char *text) {
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        int seen = 0;
        for (char *q = text; q < line && !seen; q += strlen(q) + 1) seen = strcmp(q, line) == 0;
        if (!seen) fprintf(f, "%s\n", line);
    }
}

int sweep_resolve(sweep_plan *p, const char *plugin_path, rnnlab_err *err) {
    /* The same note comes from every session that opens the same switch:
     * gather them and say each once. */
    FILE *user_notes = p->notes;
    char *notes = NULL;
    size_t notes_len = 0;
    if (user_notes) p->notes = open_memstream(&notes, &notes_len);
    int rc = check_base(p, plugin_path, err);
    if (rc == RNNLAB_OK && p->seeds.n)
        rc = check_axis_values(p, &p->seeds, SIZE_MAX, plugin_path, err);
    for (size_t a = 0; a < p->naxes && rc == RNNLAB_OK; a++)
        rc = check_axis_values(p, &p->axes[a], a, plugin_path, err);
    for (size_t i = 0; i < p->nruns && rc == RNNLAB_OK; i++)
        rc = resolve_run(p, i, plugin_path, err);
    for (size_t i = 0; i < p->nruns && rc == RNNLAB_OK; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->runs[i].hash, p->runs[j].hash) == 0) {
                char a[1024], b[1024];
                sweep_describe_run(p, j, a, sizeof a);
                sweep_describe_run(p, i, b, sizeof b);
                rc = err_set(err, RNNLAB_ERR_INVALID,
                             "%s: runs %zu (%s) and %zu (%s) resolve to the same config (hash %s); "
                             "remove the repeated axis value",
                             p->path, j + 1, a, i + 1, b, p->runs[i].hash);
                break;
            }
    if (rc == RNNLAB_OK) rc = check_metric(p, plugin_path, err);
    if (p->notes != user_notes) {
        fclose(p->notes);
        if (notes) put_unique_lines(user_notes, notes);
        free(notes);
        p->notes = user_notes;
    }
    p->resolved = rc == RNNLAB_OK;
    return rc;
}

/* ---- run folders: DONE and CLAIM ----------------------------------------------- */

static char *run_dir(const sweep_plan *p, size_t i) {
    char *runs = path_join(p->out_dir, "runs");
    char *d = runs ? path_join(runs, p->runs[i].hash) : NULL;
    free(runs);
    return d;
}

char *sweep_run_file(const sweep_plan *p, size_t i, const char *name) {
    char *d = run_dir(p, i);
    char *f = d ? path_join(d, name) : NULL;
    free(d);
    return f;
}

/* Reads DONE into the run record; returns 0 when there is none. */
static int read_done(const sweep_plan *p, size_t i, sweep_run *r) {
    char *path = sweep_run_file(p, i, "DONE");
    rnnlab_err e;
    config *c = NULL;
    int found = path && config_load(&c, path, &e) == RNNLAB_OK;
    free(path);
    if (!found) return 0;
    const char *st = config_get(c, "done", "status", "failed");
    r->state = strcmp(st, "ok") == 0         ? RUN_OK
               : strcmp(st, "diverged") == 0 ? RUN_DIVERGED
                                             : RUN_FAILED;
    r->exit_code = atoi(config_get(c, "done", "exit_code", "0"));
    r->signal = atoi(config_get(c, "done", "signal", "0"));
    r->steps = atol(config_get(c, "done", "steps", "-1"));
    r->diverged_step = atol(config_get(c, "done", "diverged_step", "-1"));
    config_free(c);
    return 1;
}

static int write_done(const sweep_plan *p, size_t i, rnnlab_err *err) {
    const sweep_run *r = &p->runs[i];
    char text[512];
    int n = snprintf(text, sizeof text,
                     "; written by `rnnlab sweep` after the run ended; its presence marks the run "
                     "finished\n[done]\nstatus = %s\nexit_code = %d\nsignal = %d\nsteps = %ld\n"
                     "diverged_step = %ld\n",
                     run_state_name(r->state), r->exit_code, r->signal, r->steps, r->diverged_step);
    char *path = sweep_run_file(p, i, "DONE");
    if (!path) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    const void *chunks[1] = {text};
    size_t lens[1] = {(size_t)n};
    int rc = file_write_atomic(path, chunks, lens, 1, err);
    free(path);
    return rc;
}

/* Takes run i's claim (sweep.h): 1 with *fd holding it, and `stale`
 * filled with the record of a holder that died without releasing it (pid
 * 0 if none); 0 when busy (another process holds the claim, or a training
 * process still holds the run folder); < 0 on error. */
static int claim(const sweep_plan *p, size_t i, int *fd, lock_holder *stale, rnnlab_err *err) {
    char *path = sweep_run_file(p, i, "CLAIM");
    if (!path) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int rc = lockfile_take(path, 0, fd, stale, err);
    free(path);
    if (rc != RNNLAB_OK) return rc;
    if (*fd < 0) return 0;
    /* The claim was free, but a `train` left running by a sweep that died
     * (or started by hand) may still hold the folder: leave it be. */
    char *dir = run_dir(p, i);
    int nomem = !dir, busy = nomem || run_folder_busy(dir, NULL);
    free(dir);
    if (busy) {
        lockfile_release(*fd);
        *fd = -1;
        return nomem ? err_set(err, RNNLAB_ERR_NOMEM, "out of memory") : 0;
    }
    return 1;
}

/* Empties a run folder except its lock files, CLAIM and RUN_LOCK_FILE,
 * which must never be removed while in use (lockfile.h): a fresh start. */
static int clear_run_dir(const char *dir, rnnlab_err *err) {
    DIR *d = opendir(dir);
    if (!d) return err_set(err, RNNLAB_ERR_IO, "%s: cannot open: %s", dir, strerror(errno));
    struct dirent *de;
    int rc = RNNLAB_OK;
    while ((de = readdir(d)) && rc == RNNLAB_OK) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, "CLAIM") ||
            !strcmp(de->d_name, RUN_LOCK_FILE))
            continue;
        char *path = path_join(dir, de->d_name);
        if (!path || remove_tree(path) != 0)
            rc = err_set(err, RNNLAB_ERR_IO, "%s/%s: cannot remove: %s", dir, de->d_name,
                         strerror(errno));
        free(path);
    }
    closedir(d);
    return rc;
}

/* ---- running ---------------------------------------------------------------------- */

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig) {
    (void)sig;
    stop_flag = 1;
}

static void on_child(int sig) { (void)sig; }

typedef struct slot {
    pid_t pid;
    size_t run;
    double t0;
    int claim_fd; /* holds the run's CLAIM while its child runs */
} slot;

typedef struct runner {
    sweep_plan *p;
    const sweep_opts *o;
    slot *slots;
    size_t running, started, total;
    size_t finished;      /* runs ended in this sweep process */
    double finished_secs; /* their wall time, summed: the ETA's rate */
    sigset_t old_mask;
} runner;

static int needs_run(const sweep_opts *o, const sweep_run *r) {
    if (o->force) return 1;
    if (r->state == RUN_OK || r->state == RUN_DIVERGED) return 0;
    if (r->state == RUN_FAILED) return o->rerun_failed;
    return 1;
}

/* An interrupted run that left a checkpoint continues from it (`train
 * --resume`: its recorded config is the run's, so no --set is needed)
 * instead of starting over. */
static char **child_argv(const runner *rn, size_t i, const char *dir, int resume) {
    char **sets = NULL;
    size_t n = 0;
    if (!resume && sweep_run_sets(rn->p, i, &sets, &n) != RNNLAB_OK) return NULL;
    size_t argc = 0, max = 2 * (n + rn->p->nunsets) + 10;
    char **argv = calloc(max, sizeof *argv);
    if (!argv) {
        sweep_free_sets(sets, n);
        return NULL;
    }
    argv[argc++] = strdup(rn->o->exe);
    argv[argc++] = strdup("train");
    argv[argc++] = strdup(resume ? "--resume" : rn->p->base);
    for (size_t k = 0; !resume && k < rn->p->nunsets; k++) {
        argv[argc++] = strdup("--unset");
        argv[argc++] = strdup(rn->p->unsets[k]);
    }
    for (size_t k = 0; k < n; k++) {
        argv[argc++] = strdup("--set");
        argv[argc++] = sets[k];
    }
    free(sets);
    argv[argc++] = strdup(resume ? dir : "--run-dir");
    if (!resume) argv[argc++] = strdup(dir);
    if (rn->o->plugin_path) {
        argv[argc++] = strdup("--plugin-path");
        argv[argc++] = strdup(rn->o->plugin_path);
    }
    if (registry_unsafe_allowed()) argv[argc++] = strdup("--allow-unsafe-plugins");
    for (size_t k = 0; k < argc; k++)
        if (!argv[k]) {
            free_strings(argv, argc);
            return NULL;
        }
    return argv;
}

static void child_exec(const runner *rn, char **argv, const char *log, pid_t parent, int resume) {
    /* Its own process group: Ctrl-C reaches the sweep only, which forwards
     * exactly one SIGINT (a second would stop the trainer without its
     * checkpoint). If the sweep dies, the run is told to stop the same way. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(126);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, &rn->old_mask, NULL);
    /* A resumed run's log goes on after the interrupted part. */
    int fd = open(log, O_WRONLY | O_CREAT | (resume ? O_APPEND : O_TRUNC), 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO) close(fd);
    }
    execv(argv[0], argv);
    dprintf(STDERR_FILENO, "rnnlab sweep: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* "[3/12] HASH what  description  (ETA 04:10)": 3 of the 12 runs to do
 * are done; the ETA is the mean duration of the runs finished so far
 * times the runs left, over the jobs running at once. */
static void progress(const runner *rn, size_t i, const char *what) {
    if (!rn->o->out) return;
    char desc[1024], eta[48] = "";
    sweep_describe_run(rn->p, i, desc, sizeof desc);
    if (rn->finished > 0 && rn->finished < rn->total) {
        double secs = rn->finished_secs / (double)rn->finished *
                      (double)(rn->total - rn->finished) / (double)rn->o->jobs;
        long t = (long)(secs + 0.5);
        if (t >= 3600)
            snprintf(eta, sizeof eta, "  (ETA %ld:%02ld:%02ld)", t / 3600, t / 60 % 60, t % 60);
        else
            snprintf(eta, sizeof eta, "  (ETA %02ld:%02ld)", t / 60, t % 60);
    }
    fprintf(rn->o->out, "[%zu/%zu] %s %s  %s%s\n", rn->finished, rn->total, rn->p->runs[i].hash,
            what, desc, eta);
    fflush(rn->o->out);
}

/* Claims and starts run i; returns 1 if a child was started, 0 if the run
 * was skipped (claimed elsewhere, or finished meanwhile). */
static int launch(runner *rn, size_t i, rnnlab_err *err) {
    sweep_plan *p = rn->p;
    sweep_run *r = &p->runs[i];
    char *dir = run_dir(p, i);
    if (!dir) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int fd = -1;
    lock_holder stale;
    int rc = make_dirs(dir, err);
    if (rc == RNNLAB_OK) rc = claim(p, i, &fd, &stale, err);
    if (rc <= 0) {
        if (rc == 0) r->state = RUN_BUSY;
        free(dir);
        return rc;
    }
    /* Another sweep may have finished it between our first look and the
     * claim; DONE is written before a claim is released, so this look,
     * under the claim, is the one that counts. */
    sweep_run seen = *r;
    if (read_done(p, i, &seen) && !needs_run(rn->o, &seen)) {
        *r = seen;
        lockfile_release(fd);
        free(dir);
        return 0;
    }
    char *ckpt = path_join(dir, "last.safetensors");
    int resume = !rn->o->force && r->state == RUN_UNFINISHED && ckpt && access(ckpt, R_OK) == 0;
    free(ckpt);
    char **argv = child_argv(rn, i, dir, resume);
    char *log = path_join(dir, "log.txt");
    rc = !argv || !log ? err_set(err, RNNLAB_ERR_NOMEM, "out of memory")
         : resume      ? RNNLAB_OK
                       : clear_run_dir(dir, err);
    pid_t pid = -1;
    if (rc == RNNLAB_OK) {
        pid_t parent = getpid();
        pid = fork();
        if (pid == 0) child_exec(rn, argv, log, parent, resume);
        if (pid < 0)
            rc = err_set(err, RNNLAB_ERR_IO, "cannot start a run: fork: %s", strerror(errno));
    }
    for (size_t k = 0; argv && argv[k]; k++) free(argv[k]);
    free(argv);
    free(log);
    free(dir);
    if (rc != RNNLAB_OK) {
        lockfile_release(fd);
        return rc;
    }
    for (size_t k = 0; k < (size_t)rn->o->jobs; k++)
        if (rn->slots[k].pid == 0) {
            rn->slots[k] = (slot){pid, i, now_seconds(), fd};
            break;
        }
    r->launched = 1;
    r->state = RUN_PENDING;
    rn->running++;
    rn->started++;
    if (stale.pid > 0) {
        /* Its holder ended without releasing it: killed, preempted,
         * cancelled, or its node was lost. */
        char who[512], what[640];
        lockfile_describe(&stale, who, sizeof who);
        snprintf(what, sizeof what, "%s (a stale claim of %s was taken over)",
                 resume ? "resume" : "start", who);
        progress(rn, i, what);
    } else {
        progress(rn, i, resume ? "resume" : "start");
    }
    return 1;
}

/* Steps and divergence step from the run's meta.json. */
/* Returns 1 when meta.json says the run finished ("status": "ok"). */
static int read_meta(const sweep_plan *p, size_t i, sweep_run *r) {
    char *path = sweep_run_file(p, i, "meta.json"), *text = NULL;
    size_t len;
    rnnlab_err e;
    if (!path || file_read_all(path, &text, &len, &e) != RNNLAB_OK) {
        free(path);
        return 0;
    }
    free(path);
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) return 0;
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
    if (cJSON_IsNumber(steps)) r->steps = (long)steps->valuedouble;
    if (cJSON_IsString(status) && strcmp(status->valuestring, "diverged") == 0) {
        /* The trainer's message starts "step N (epoch E): ..." with the
         * step that produced the NaN/Inf; meta's steps counts completed ones. */
        long s = -1;
        if (cJSON_IsString(msg) && sscanf(msg->valuestring, "step %ld", &s) == 1)
            r->diverged_step = s;
        else
            r->diverged_step = r->steps + 1;
    }
    int finished = cJSON_IsString(status) && strcmp(status->valuestring, "ok") == 0;
    cJSON_Delete(root);
    return finished;
}

static int finish_run(runner *rn, slot *sl, int status, rnnlab_err *err) {
    sweep_plan *p = rn->p;
    size_t i = sl->run;
    sweep_run *r = &p->runs[i];
    double dt = now_seconds() - sl->t0;
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    r->steps = r->diverged_step = -1;
    /* A run is ok only when it says it finished: a plugin's _exit(0) mid-run
     * ends the process with status 0 and meta.json still "running". */
    int finished = read_meta(p, i, r);
    if (r->exit_code == 0 && finished)
        r->state = RUN_OK;
    else if (r->exit_code == status_exit_code(RNNLAB_ERR_NUMERIC))
        r->state = RUN_DIVERGED;
    else if (r->exit_code == status_exit_code(RNNLAB_ERR_INTERRUPTED) ||
             (stop_flag && (r->signal == SIGINT || r->signal == SIGTERM)))
        r->state = RUN_UNFINISHED;
    else
        r->state = RUN_FAILED;
    int rc = RNNLAB_OK;
    if (r->state != RUN_UNFINISHED) rc = write_done(p, i, err);
    lockfile_release(sl->claim_fd);
    sl->pid = 0;
    sl->claim_fd = -1;
    rn->running--;
    if (r->state != RUN_UNFINISHED) {
        rn->finished++;
        rn->finished_secs += dt;
    }
    char what[96];
    if (r->state == RUN_DIVERGED)
        snprintf(what, sizeof what, "diverged at step %ld (%.1f s)", r->diverged_step, dt);
    else if (r->state == RUN_FAILED && r->signal)
        snprintf(what, sizeof what, "FAILED: signal %d (%.1f s)", r->signal, dt);
    else if (r->state == RUN_FAILED && r->exit_code == 0)
        snprintf(what, sizeof what, "FAILED: exit code 0, but meta.json does not say ok (%.1f s)",
                 dt);
    else if (r->state == RUN_FAILED)
        snprintf(what, sizeof what, "FAILED: exit code %d (%.1f s)", r->exit_code, dt);
    else
        snprintf(what, sizeof what, "%s (%.1f s)", run_state_name(r->state), dt);
    progress(rn, i, what);
    return rc;
}

static int reap(runner *rn, rnnlab_err *err) {
    int rc = RNNLAB_OK;
    for (size_t k = 0; k < (size_t)rn->o->jobs; k++) {
        slot *sl = &rn->slots[k];
        int status;
        if (sl->pid == 0 || waitpid(sl->pid, &status, WNOHANG) != sl->pid) continue;
        int r2 = finish_run(rn, sl, status, err);
        if (rc == RNNLAB_OK) rc = r2;
    }
    return rc;
}

static void install_handlers(struct sigaction old[3]) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop; /* no SA_RESTART: the loop looks at the flag */
    sigaction(SIGINT, &sa, &old[0]);
    sigaction(SIGTERM, &sa, &old[1]);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, &old[2]);
}

static void restore_handlers(const struct sigaction old[3]) {
    sigaction(SIGINT, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
    sigaction(SIGCHLD, &old[2], NULL);
}

/* The loop: signals stay blocked except inside sigsuspend, so a child's
 * exit or a Ctrl-C between the checks and the wait is never missed. */
static int run_loop(runner *rn, const size_t *todo, size_t ntodo, rnnlab_err *err) {
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &rn->old_mask);
    wait_mask = rn->old_mask;
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGCHLD);
    int rc = RNNLAB_OK, forwarded = 0;
    size_t next = 0;
    for (;;) {
        int r2 = reap(rn, err);
        if (rc == RNNLAB_OK) rc = r2;
        if ((stop_flag || rc != RNNLAB_OK) && !forwarded) {
            for (size_t k = 0; k < (size_t)rn->o->jobs; k++)
                if (rn->slots[k].pid > 0) kill(rn->slots[k].pid, SIGINT);
            forwarded = 1;
        }
        while (!stop_flag && rc == RNNLAB_OK && rn->running < (size_t)rn->o->jobs && next < ntodo) {
            int l = launch(rn, todo[next++], err);
            if (l < 0) rc = l;
        }
        if (rn->running == 0 && (stop_flag || rc != RNNLAB_OK || next >= ntodo)) break;
        sigsuspend(&wait_mask);
    }
    sigprocmask(SIG_SETMASK, &rn->old_mask, NULL);
    return rc;
}

static int find_exe_ok(const char *exe, rnnlab_err *err) {
    if (access(exe, X_OK) != 0)
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot run the rnnlab binary: %s", exe,
                       strerror(errno));
    return RNNLAB_OK;
}

int sweep_write_index(const sweep_plan *p, rnnlab_err *err) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    fprintf(
        f,
        "# %s: runs\n\nWritten by `rnnlab sweep %s`. Each folder here is named by the hash "
        "of its run's resolved config.\n\n| run | variant | seed | state |\n|---|---|---|---|\n",
        p->name, p->path);
    for (size_t i = 0; i < p->nruns; i++) {
        const sweep_run *r = &p->runs[i];
        char desc[1024] = "";
        size_t used = 0;
        for (size_t a = 0; a < p->naxes && used < sizeof desc; a++) {
            int w =
                snprintf(desc + used, sizeof desc - used, "%s%s=%s", a ? " " : "", p->axes[a].key,
                         p->axes[a].values[p->variants[r->variant * p->naxes + a]]);
            if (w > 0) used += (size_t)w;
        }
        fprintf(f, "| [%s](%s/) | %s | %s | %s |\n", r->hash, r->hash, *desc ? desc : "(base)",
                r->seed_value ? r->seed_value : "", run_state_name(r->state));
    }
    if (fclose(f) != 0) {
        free(text);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    char *runs = path_join(p->out_dir, "runs"), *path = runs ? path_join(runs, "INDEX.md") : NULL;
    const void *chunks[1] = {text};
    int rc = path ? make_dirs(runs, err) : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    if (rc == RNNLAB_OK) rc = file_write_atomic(path, chunks, &len, 1, err);
    free(path);
    free(runs);
    free(text);
    return rc;
}

int sweep_execute(sweep_plan *p, const sweep_opts *o, rnnlab_err *err) {
    if (!p->resolved)
        return err_set(err, RNNLAB_ERR_INTERNAL, "sweep_execute: the plan is not resolved");
    if (o->jobs < 1)
        return err_set(err, RNNLAB_ERR_INVALID, "-j %ld: expected at least 1", o->jobs);
    int rc = find_exe_ok(o->exe, err);
    if (rc != RNNLAB_OK) return rc;
    char *runs = path_join(p->out_dir, "runs");
    rc = runs ? make_dirs(runs, err) : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    free(runs);
    if (rc != RNNLAB_OK) return rc;
    size_t *todo = calloc(p->nruns + 1, sizeof *todo), ntodo = 0;
    runner rn;
    memset(&rn, 0, sizeof rn);
    rn.p = p;
    rn.o = o;
    rn.slots = calloc((size_t)o->jobs, sizeof(slot));
    if (!todo || !rn.slots) {
        free(todo);
        free(rn.slots);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < p->nruns; i++) {
        sweep_run *r = &p->runs[i];
        r->state = RUN_UNFINISHED;
        r->launched = 0;
        r->steps = r->diverged_step = -1;
        read_done(p, i, r);
        if (needs_run(o, r)) todo[ntodo++] = i;
    }
    rn.total = ntodo;
    rc = sweep_write_index(p, err);
    if (rc != RNNLAB_OK) {
        free(todo);
        free(rn.slots);
        return rc;
    }
    stop_flag = 0;
    struct sigaction old[3];
    install_handlers(old);
    rc = run_loop(&rn, todo, ntodo, err);
    restore_handlers(old);
    free(todo);
    free(rn.slots);
    if (rc == RNNLAB_OK && stop_flag) {
        size_t left = 0;
        for (size_t i = 0; i < p->nruns; i++) left += p->runs[i].state == RUN_UNFINISHED;
        rc = err_set(err, RNNLAB_ERR_INTERRUPTED,
                     "interrupted: %zu run(s) unfinished; run the same sweep again to finish them",
                     left);
    }
    return rc;
}

void sweep_scan(sweep_plan *p) {
    for (size_t i = 0; i < p->nruns; i++) {
        sweep_run *r = &p->runs[i];
        r->state = RUN_UNFINISHED;
        r->steps = r->diverged_step = -1;
        if (read_done(p, i, r)) continue;
        char *claim = sweep_run_file(p, i, "CLAIM"), *dir = run_dir(p, i);
        /* Looked at without locking: a probe must never make a claimer
         * see the run busy. */
        if ((claim && lockfile_held(claim, NULL)) || (dir && run_folder_busy(dir, NULL)))
            r->state = RUN_BUSY;
        free(claim);
        free(dir);
    }
}

/* ---- report ---------------------------------------------------------------------- */

/* The report of p as its run folders are now: called with the report lock
 * held, so the last report written is never older than another's. */
static int write_report(sweep_plan *p, rnnlab_err *err) {
    sweep_scan(p);
    const char **keys = calloc(p->naxes + 1, sizeof *keys);
    const char **values = calloc(p->nvariants * p->naxes + 1, sizeof *values);
    report_run *runs = calloc(p->nruns + 1, sizeof *runs);
    report_row **rows = calloc(p->nruns + 1, sizeof *rows);
    int rc = keys && values && runs && rows ? RNNLAB_OK
                                            : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    for (size_t a = 0; rc == RNNLAB_OK && a < p->naxes; a++) keys[a] = p->axes[a].key;
    for (size_t v = 0; rc == RNNLAB_OK && v < p->nvariants; v++)
        for (size_t a = 0; a < p->naxes; a++)
            values[v * p->naxes + a] = p->axes[a].values[p->variants[v * p->naxes + a]];
    for (size_t i = 0; rc == RNNLAB_OK && i < p->nruns; i++) {
        const sweep_run *r = &p->runs[i];
        report_run *o = &runs[i];
        o->hash = r->hash;
        o->variant = r->variant;
        o->seed = r->seed_value ? r->seed_value : "";
        o->status = run_state_name(r->state);
        o->steps = r->steps;
        o->diverged_step = r->diverged_step;
        char *path = sweep_run_file(p, i, "metrics.csv"), *text = NULL;
        size_t len;
        rnnlab_err e;
        if (path && file_read_all(path, &text, &len, &e) == RNNLAB_OK)
            rc = report_parse_metrics(text, path, &rows[i], &o->nrows, err);
        o->rows = rows[i];
        free(text);
        free(path);
    }
    if (rc == RNNLAB_OK) rc = sweep_write_index(p, err);
    if (rc == RNNLAB_OK) {
        report_input in = {p->name,         keys,           p->naxes,    values,
                           p->nvariants,    p->baseline,    runs,        p->nruns,
                           p->metric_split, p->metric_name, p->goal_max, p->select_best};
        rc = report_write_all(&in, p->out_dir, err);
    }
    for (size_t i = 0; rows && i < p->nruns; i++) free(rows[i]);
    free(rows);
    free(runs);
    free(values);
    free(keys);
    return rc;
}

int sweep_report(sweep_plan *p, rnnlab_err *err) {
    int rc = make_dirs(p->out_dir, err);
    char *path = path_join(p->out_dir, ".report.lock");
    if (rc == RNNLAB_OK && !path) rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int fd = -1;
    if (rc == RNNLAB_OK) rc = lockfile_take(path, 1, &fd, NULL, err);
    free(path);
    if (rc == RNNLAB_OK) rc = write_report(p, err);
    lockfile_release(fd);
    return rc;
}
