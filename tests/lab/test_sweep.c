/* test_sweep.c -- sweep plans, validation, hashing, statistics, the report
 * writers, and the real binary end to end (resume, claims, verify). */
#include <criterion/criterion.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/lockfile.h"
#include "lab/report.h"
#include "lab/sweep.h"

static char tmpdir[256];

static void make_tmp(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rnnlab-test-sweep-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static int rm_entry(const char *p, const struct stat *st, int fl, struct FTW *f) {
    (void)st;
    (void)fl;
    (void)f;
    return remove(p);
}

static void drop_tmp(void) { nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void write_file(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static const char tiny_base[] = "[data]\nname = synthetic\ntask = adding\nlength = 5\n"
                                "train_size = 64\ndev_size = 32\ntest_size = 32\nbatch_size = 16\n"
                                "[tokenizer]\nname = char\n[model]\nhidden_size = 4\n"
                                "[loss]\nname = mse\n[train]\nepochs = 2\nlog_every = 2\n";

static sweep_plan *load(const char *sweep_text) {
    write_file("base.ini", tiny_base);
    write_file("s.ini", sweep_text);
    char path[512];
    snprintf(path, sizeof path, "%s/s.ini", tmpdir);
    sweep_plan *p = NULL;
    rnnlab_err err;
    err_clear(&err);
    int rc = sweep_load(&p, path, &err);
    cr_assert_eq(rc, RNNLAB_OK, "%s", err.msg);
    return p;
}

static int load_error(const char *sweep_text, rnnlab_err *err) {
    write_file("base.ini", tiny_base);
    write_file("s.ini", sweep_text);
    char path[512];
    snprintf(path, sizeof path, "%s/s.ini", tmpdir);
    sweep_plan *p = NULL;
    err_clear(err);
    int rc = sweep_load(&p, path, err);
    cr_assert_null(p);
    return rc;
}

static const char *val(const sweep_plan *p, size_t v, size_t a) {
    return p->axes[a].values[p->variants[v * p->naxes + a]];
}

/* ---- axes ------------------------------------------------------------------- */

static void expect_axis(const char *text, size_t n, const char *const *want) {
    char **v;
    size_t got;
    rnnlab_err err;
    cr_assert_eq(sweep_parse_axis(text, &v, &got, &err), RNNLAB_OK, "%s: %s", text, err.msg);
    cr_assert_eq(got, n, "%s: %zu values", text, got);
    for (size_t i = 0; i < n; i++) cr_assert_str_eq(v[i], want[i], "%s value %zu", text, i);
    sweep_free_sets(v, got);
}

Test(sweep, axis_syntax) {
    expect_axis(" tanh, relu ,sigmoid ", 3, (const char *const[]){"tanh", "relu", "sigmoid"});
    expect_axis("1..5", 5, (const char *const[]){"1", "2", "3", "4", "5"});
    expect_axis("-1..1", 3, (const char *const[]){"-1", "0", "1"});
    expect_axis("log(1e-3, 1e-1, 3)", 3, (const char *const[]){"0.001", "0.01", "0.1"});
    expect_axis("lin(0, 1, 5)", 5, (const char *const[]){"0", "0.25", "0.5", "0.75", "1"});
    expect_axis("../data/x.txt", 1, (const char *const[]){"../data/x.txt"});
    const char *bad[] = {"",     "a,,b",        "log(1, 2)", "log(0, 1, 3)", "lin(0, 1, 0)",
                         "5..1", "lin(a, 1, 2)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char **v;
        size_t n;
        rnnlab_err err;
        err_clear(&err);
        cr_expect_eq(sweep_parse_axis(bad[i], &v, &n, &err), RNNLAB_ERR_INVALID, "'%s'", bad[i]);
        cr_expect_gt(strlen(err.msg), 0, "'%s' has a message", bad[i]);
    }
}

/* ---- plans --------------------------------------------------------------------- */

Test(sweep, grid_plan) {
    make_tmp();
    sweep_plan *p = load("[sweep]\nbase = base.ini\nmodel.activation = tanh, relu, sigmoid\n"
                         "model.hidden_size = 4, 8\nseeds = 1..2\n[train]\nepochs = 1\n");
    cr_assert_eq(p->mode, SWEEP_GRID);
    cr_assert_eq(p->naxes, 2);
    cr_assert_eq(p->nvariants, 6);
    cr_assert_eq(p->nruns, 12);
    /* first axis slowest */
    cr_expect_str_eq(val(p, 0, 0), "tanh");
    cr_expect_str_eq(val(p, 1, 1), "8");
    cr_expect_str_eq(val(p, 5, 0), "sigmoid");
    cr_expect_str_eq(val(p, 5, 1), "8");
    /* baseline: the first axis at its first value, the other unchanged */
    cr_expect_eq(p->baseline[0], SIZE_MAX);
    cr_expect_eq(p->baseline[1], SIZE_MAX);
    cr_expect_eq(p->baseline[2], 0);
    cr_expect_eq(p->baseline[5], 1);
    cr_expect_eq(p->runs[3].variant, 1);
    cr_expect_eq(p->runs[3].seed, 1);
    char **sets;
    size_t n;
    cr_assert_eq(sweep_run_sets(p, 3, &sets, &n), RNNLAB_OK);
    cr_assert_eq(n, 4);
    cr_expect_str_eq(sets[0], "train.epochs=1");
    cr_expect_str_eq(sets[1], "model.activation=tanh");
    cr_expect_str_eq(sets[2], "model.hidden_size=8");
    cr_expect_str_eq(sets[3], "train.seed=2");
    sweep_free_sets(sets, n);
    sweep_free(p);
    drop_tmp();
}

Test(sweep, zip_and_ofat_plans) {
    make_tmp();
    sweep_plan *p = load("[sweep]\nbase = base.ini\nmode = zip\nmodel.activation = tanh, relu\n"
                         "model.hidden_size = 4, 8\n");
    cr_expect_eq(p->nvariants, 2);
    cr_expect_eq(p->nruns, 2);
    cr_expect_str_eq(val(p, 1, 0), "relu");
    cr_expect_str_eq(val(p, 1, 1), "8");
    cr_expect_eq(p->baseline[1], 0);
    sweep_free(p);

    p = load("[sweep]\nbase = base.ini\nmode = ofat\nmodel.activation = tanh, relu, sigmoid\n"
             "model.hidden_size = 4, 8\ntrain.seed = 1..3\n");
    /* baseline, then relu, sigmoid alone, then hidden 8 alone */
    cr_assert_eq(p->nvariants, 4);
    cr_expect_eq(p->nruns, 12);
    const char *want[4][2] = {{"tanh", "4"}, {"relu", "4"}, {"sigmoid", "4"}, {"tanh", "8"}};
    for (size_t v = 0; v < 4; v++) {
        cr_expect_str_eq(val(p, v, 0), want[v][0], "variant %zu", v);
        cr_expect_str_eq(val(p, v, 1), want[v][1], "variant %zu", v);
        cr_expect_eq(p->baseline[v], v == 0 ? SIZE_MAX : 0);
    }
    cr_expect_eq(p->seeds.n, 3);
    sweep_free(p);
    drop_tmp();
}

Test(sweep, random_plan_is_reproducible) {
    make_tmp();
    const char *text = "[sweep]\nbase = base.ini\nmode = random\nsamples = 5\nseed = 7\n"
                       "optimizer.lr = log(1e-3, 1, 10)\nmodel.hidden_size = 2..9\n";
    sweep_plan *a = load(text), *b = load(text);
    cr_assert_eq(a->nvariants, 5);
    cr_assert_eq(memcmp(a->variants, b->variants, 5 * 2 * sizeof *a->variants), 0);
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < i; j++)
            cr_expect(memcmp(&a->variants[i * 2], &a->variants[j * 2], 2 * sizeof(size_t)) != 0,
                      "variants %zu and %zu are distinct", i, j);
    sweep_free(a);
    sweep_free(b);
    sweep_plan *c = load("[sweep]\nbase = base.ini\nmode = random\nsamples = 5\nseed = 8\n"
                         "optimizer.lr = log(1e-3, 1, 10)\nmodel.hidden_size = 2..9\n");
    a = load(text);
    cr_expect(memcmp(a->variants, c->variants, 5 * 2 * sizeof *a->variants) != 0,
              "another seed draws another plan");
    sweep_free(a);
    sweep_free(c);
    drop_tmp();
}

Test(sweep, syntax_errors_name_the_line) {
    make_tmp();
    rnnlab_err err;
    cr_expect_eq(load_error("[sweep]\nbase = base.ini\n\nmodel.activation = tanh,,relu\n", &err),
                 RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "s.ini:4: axis model.activation") != NULL, "%s", err.msg);
    cr_expect_eq(load_error("[sweep]\nbase = base.ini\nmode = grdi\n", &err), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "s.ini:3: mode = 'grdi'") != NULL, "%s", err.msg);
    cr_expect_eq(load_error("[sweep]\nbase = base.ini\nactivation = tanh\n", &err),
                 RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "s.ini:3: unknown key 'activation' in [sweep]") != NULL, "%s",
              err.msg);
    cr_expect_eq(load_error("[sweep]\nbase = nope.ini\n", &err), RNNLAB_ERR_IO);
    cr_expect(strstr(err.msg, "s.ini:2: base = 'nope.ini'") != NULL, "%s", err.msg);
    cr_expect_eq(load_error("[sweep]\nmodel.hidden_size = 1..3\n", &err), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "missing required key 'base'") != NULL, "%s", err.msg);
    cr_expect_eq(load_error("[sweep]\nbase = base.ini\nmode = zip\na.b = 1, 2\nc.d = 1..3\n", &err),
                 RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "s.ini:5: mode = zip") != NULL, "%s", err.msg);
    cr_expect_eq(load_error("[sweep]\nbase = base.ini\nseeds = 1..2\ntrain.seed = 3\n", &err),
                 RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "s.ini:4:") != NULL, "%s", err.msg);
    /* the other order (a fuzz finding: the first axis leaked) */
    cr_expect_eq(load_error("[sweep]\nbase = base.ini\ntrain.seed = 3\nseeds = 1..2\n", &err),
                 RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "s.ini:4: train.seed is swept twice") != NULL, "%s", err.msg);
    cr_expect_eq(
        load_error("[sweep]\nbase = base.ini\nmode = random\nsamples = 9\na.b = 1, 2\n", &err),
        RNNLAB_ERR_INVALID);
    drop_tmp();
}

Test(sweep, validation_fails_before_anything_runs) {
    make_tmp();
    setenv("RNNLAB_PLUGIN_PATH", RNNLAB_TEST_PLUGIN_DIR, 1);
    sweep_plan *p = load("[sweep]\nbase = base.ini\nmodel.hidden_size = 4, 8\n"
                         "model.activation = tanh, tahn\n");
    rnnlab_err err;
    err_clear(&err);
    cr_assert_eq(sweep_resolve(p, RNNLAB_TEST_PLUGIN_DIR, &err), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "s.ini:4: axis model.activation value 'tahn': ") != NULL, "%s",
              err.msg);
    cr_expect(strstr(err.msg, "did you mean 'tanh'") != NULL, "%s", err.msg);
    cr_expect_eq(p->resolved, 0);
    sweep_opts o = {"/bin/false", NULL, 1, 0, 0, NULL};
    cr_expect_eq(sweep_execute(p, &o, &err), RNNLAB_ERR_INTERNAL);
    struct stat st;
    cr_expect_neq(stat(p->out_dir, &st), 0, "nothing was created");
    sweep_free(p);

    p = load("[sweep]\nbase = base.ini\nmodel.hidden_size = 4, 0\n");
    cr_assert_eq(sweep_resolve(p, RNNLAB_TEST_PLUGIN_DIR, &err), RNNLAB_ERR_INVALID);
    cr_expect(strstr(err.msg, "s.ini:3: axis model.hidden_size value '0'") != NULL, "%s", err.msg);
    sweep_free(p);
    drop_tmp();
}

Test(sweep, hashes_are_stable_and_distinct) {
    make_tmp();
    const char *text = "[sweep]\nbase = base.ini\nmodel.activation = tanh, relu\nseeds = 1..2\n";
    sweep_plan *a = load(text), *b = load(text);
    rnnlab_err err;
    cr_assert_eq(sweep_resolve(a, RNNLAB_TEST_PLUGIN_DIR, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(sweep_resolve(b, RNNLAB_TEST_PLUGIN_DIR, &err), RNNLAB_OK, "%s", err.msg);
    for (size_t i = 0; i < a->nruns; i++) {
        cr_expect_eq(strlen(a->runs[i].hash), 16);
        cr_expect_eq(strspn(a->runs[i].hash, "0123456789abcdef"), 16);
        cr_expect_str_eq(a->runs[i].hash, b->runs[i].hash);
        for (size_t j = 0; j < i; j++) cr_expect_str_neq(a->runs[i].hash, a->runs[j].hash);
    }
    cr_expect_str_eq(a->runs[1].seed_value, "2");
    sweep_free(a);
    sweep_free(b);
    /* The same config through an override is the same run. */
    a = load("[sweep]\nbase = base.ini\nmodel.activation = relu\nseeds = 1..2\n");
    b = load("[sweep]\nbase = base.ini\ntrain.seed = 1, 2\n[model]\nactivation = relu\n");
    cr_assert_eq(sweep_resolve(a, RNNLAB_TEST_PLUGIN_DIR, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(sweep_resolve(b, RNNLAB_TEST_PLUGIN_DIR, &err), RNNLAB_OK, "%s", err.msg);
    cr_expect_str_eq(a->runs[1].hash, b->runs[1].hash);
    sweep_free(a);
    sweep_free(b);
    char h1[17], h2[17];
    sweep_hash_text("abc", 3, h1);
    cr_expect_str_eq(h1, "ba7816bf8f01cfea"); /* SHA-256("abc") */
    sweep_hash_text("abd", 3, h2);
    cr_expect_str_neq(h1, h2);
    drop_tmp();
}

/* ---- statistics and writers ------------------------------------------------------ */

Test(sweep, statistics) {
    const double x[] = {1, 2, 3, 4, 5};
    stats s;
    stats_compute(x, 5, &s);
    cr_expect_eq(s.n, 5);
    cr_expect_float_eq(s.mean, 3.0, 1e-12);
    cr_expect_float_eq(s.std, sqrt(2.5), 1e-12);
    double half = 2.776 * sqrt(2.5) / sqrt(5.0);
    cr_expect_float_eq(s.ci_lo, 3.0 - half, 1e-12);
    cr_expect_float_eq(s.ci_hi, 3.0 + half, 1e-12);
    cr_expect_float_eq(s.min, 1.0, 0);
    cr_expect_float_eq(s.max, 5.0, 0);
    stats_compute(x, 1, &s);
    cr_expect_float_eq(s.mean, 1.0, 0);
    cr_expect(isnan(s.std) && isnan(s.ci_lo));
    stats_compute(x, 0, &s);
    cr_expect(isnan(s.mean));
    cr_expect_float_eq(t_crit95(1), 12.706, 1e-9);
    cr_expect_float_eq(t_crit95(30), 2.042, 1e-9);
    cr_expect_float_eq(t_crit95(60), 2.000, 1e-9);
    cr_expect(t_crit95(45) < 2.021 && t_crit95(45) > 2.000);
    cr_expect(t_crit95(100000) < 1.961 && t_crit95(100000) >= 1.96);
    cr_expect(isnan(t_crit95(0)));
}

/* Two variants (tanh = baseline, relu) x 3 seeds; dev loss rows per epoch. */
typedef struct fake {
    report_row rows[6][16];
    report_run runs[6];
    report_input in;
} fake;

static const char *const fake_keys[] = {"model.activation"};
static const char *const fake_values[] = {"tanh", "relu"};
static const size_t fake_baseline[] = {SIZE_MAX, 0};
static const char *const fake_seeds[] = {"1", "2", "3"};

static void add_row(report_run *r, report_row *rows, long step, const char *split,
                    const char *metric, double v) {
    report_row *w = &rows[r->nrows++];
    w->step = step;
    snprintf(w->split, sizeof w->split, "%s", split);
    snprintf(w->metric, sizeof w->metric, "%s", metric);
    w->value = v;
}

static void make_fake(fake *f, int with_diag) {
    memset(f, 0, sizeof *f);
    /* final dev loss: tanh 1, 2, 3; relu 2, 4, 5 (relu seed 3 diverges when asked) */
    const double final[6] = {1, 2, 3, 2, 4, 5};
    for (size_t i = 0; i < 6; i++) {
        report_run *r = &f->runs[i];
        r->hash = i < 3 ? "aaaaaaaaaaaaaaa0" : "bbbbbbbbbbbbbbb0";
        r->variant = i / 3;
        r->seed = fake_seeds[i % 3];
        r->status = "ok";
        r->steps = 20;
        r->diverged_step = -1;
        r->rows = f->rows[i];
        add_row(r, f->rows[i], 10, "dev", "loss", final[i] + 1.0);
        add_row(r, f->rows[i], 20, "dev", "loss", final[i]);
        add_row(r, f->rows[i], 20, "test", "loss", final[i] + 0.5);
        if (with_diag)
            for (int t = 0; t < 4; t++) {
                char name[32];
                snprintf(name, sizeof name, "dh_norm_t%d", t);
                add_row(r, f->rows[i], 10, "diag", name, pow(10.0, t - 3) * (double)(1 + i % 3));
            }
        if (with_diag)
            for (int k = 1; k <= 2; k++) {
                add_row(r, f->rows[i], 10 * k, "diag", "spectral_radius_l0",
                        0.6 + 0.1 * k + 0.01 * (double)i);
                add_row(r, f->rows[i], 10 * k, "diag", "dead_frac", 0.25 * (double)(i % 2));
            }
    }
    f->in = (report_input){"fake",  fake_keys, 1,     fake_values, 2, fake_baseline,
                           f->runs, 6,         "dev", "loss",      0, 0};
}

static char *capture(int (*fn)(const report_input *, FILE *, rnnlab_err *), const report_input *in,
                     int *rc) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rnnlab_err err;
    *rc = fn(in, f, &err);
    fclose(f);
    return buf;
}

Test(sweep, paired_delta_and_tables) {
    fake f;
    make_fake(&f, 0);
    int rc;
    char *csv = capture(report_write_summary_csv, &f.in, &rc);
    cr_assert_eq(rc, RNNLAB_OK);
    /* relu - tanh per seed: 1, 2, 2 -> mean 5/3, std sqrt(1/3) */
    cr_expect(strstr(csv, "relu,dev/loss final,3,0,0,3.66666667,1.52752523,") != NULL, "%s", csv);
    cr_expect(strstr(csv, ",0,1.66666667,0.577350269,3\n") != NULL, "%s", csv);
    cr_expect(strstr(csv, "tanh,dev/loss final,3,0,0,2,1,") != NULL, "%s", csv);
    /* tanh's CI: 2 ± 4.303 * 1 / sqrt(3) */
    char ci[64];
    snprintf(ci, sizeof ci, "%.9g,%.9g", 2 - 4.303 / sqrt(3.0), 2 + 4.303 / sqrt(3.0));
    cr_expect(strstr(csv, ci) != NULL, "%s in %s", ci, csv);
    free(csv);

    char *md = capture(report_write_summary_md, &f.in, &rc);
    cr_assert_eq(rc, RNNLAB_OK);
    cr_expect(strstr(md, "| model.activation | n | mean ± std | 95% CI |") != NULL, "%s", md);
    cr_expect(strstr(md, "| tanh | 3 | **2 ± 1** |") != NULL, "%s", md);
    cr_expect(strstr(md, "| relu | 3 | 3.667 ± 1.528 |") != NULL, "%s", md);
    cr_expect(strstr(md, "+1.667 ± 0.5774 (3 seeds)") != NULL, "%s", md);
    cr_expect(strstr(md, "| baseline |") != NULL, "%s", md);
    free(md);

    /* A diverged run drops out of the statistics and of the pairing. */
    f.runs[5].status = "diverged";
    f.runs[5].diverged_step = 17;
    csv = capture(report_write_summary_csv, &f.in, &rc);
    cr_expect(strstr(csv, "relu,dev/loss final,2,1,0,3,1.41421356,") != NULL, "%s", csv);
    cr_expect(strstr(csv, ",1.5,0.707106781,2\n") != NULL, "%s", csv);
    free(csv);
    char *runs = capture(report_write_runs_csv, &f.in, &rc);
    const char *header = "hash,model.activation,seed,status,steps,diverged_step,"
                         "dev_loss_final,dev_loss_best,test_loss\n";
    cr_expect(strncmp(runs, header, strlen(header)) == 0, "%s", runs);
    cr_expect(strstr(runs, "bbbbbbbbbbbbbbb0,relu,3,diverged,20,17,5,5,5.5\n") != NULL, "%s", runs);
    cr_expect(strstr(runs, "aaaaaaaaaaaaaaa0,tanh,1,ok,20,,1,1,1.5\n") != NULL, "%s", runs);
    free(runs);
    md = capture(report_write_summary_md, &f.in, &rc);
    cr_expect(strstr(md, "2 (+1 diverged)") != NULL, "%s", md);
    cr_expect(strstr(md, "seed 3): diverged at step 17") != NULL, "%s", md);
    free(md);

    /* goal = max makes relu the best */
    f.runs[5].status = "ok";
    f.in.goal_max = 1;
    md = capture(report_write_summary_md, &f.in, &rc);
    cr_expect(strstr(md, "| relu | 3 | **3.667 ± 1.528** |") != NULL, "%s", md);
    free(md);
}

Test(sweep, metrics_parsing) {
    report_row *rows;
    size_t n;
    rnnlab_err err;
    cr_assert_eq(report_parse_metrics("step,split,metric,value\n1,train,loss,0.5\n7,dev,loss,nan\n",
                                      "m.csv", &rows, &n, &err),
                 RNNLAB_OK);
    cr_assert_eq(n, 2);
    cr_expect_eq(rows[1].step, 7);
    cr_expect_str_eq(rows[1].split, "dev");
    cr_expect(isnan(rows[1].value));
    free(rows);
    cr_expect_eq(
        report_parse_metrics("step,split,metric,value\n1,train\n", "m.csv", &rows, &n, &err),
        RNNLAB_ERR_FORMAT);
    cr_expect(strstr(err.msg, "m.csv:2:") != NULL, "%s", err.msg);
}

/* Well-formed enough for a browser: one <svg> root, every element closed,
 * no NaN or Inf in any number. */
static void check_svg(const char *svg) {
    cr_assert(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0, "%.80s", svg);
    size_t len = strlen(svg);
    cr_assert(len > 7 && strcmp(svg + len - 7, "</svg>\n") == 0);
    cr_expect(!strstr(svg, "nan") && !strstr(svg, "inf") && !strstr(svg, "NaN"));
    char stack[64][16];
    int depth = 0;
    for (const char *p = svg; (p = strchr(p, '<')) != NULL; p++) {
        const char *end = strchr(p, '>');
        cr_assert_not_null(end);
        if (p[1] == '/') {
            cr_assert_gt(depth, 0);
            depth--;
            cr_expect(strncmp(p + 2, stack[depth], strlen(stack[depth])) == 0, "</%s>",
                      stack[depth]);
        } else if (end[-1] != '/') {
            cr_assert_lt(depth, 64);
            size_t n = strcspn(p + 1, " >");
            snprintf(stack[depth++], sizeof stack[0], "%.*s", (int)n, p + 1);
        }
        cr_expect_null(memchr(p + 1, '<', (size_t)(end - p - 1)), "no '<' inside a tag");
    }
    cr_expect_eq(depth, 0, "balanced tags");
}

Test(sweep, svg_plots) {
    fake f;
    make_fake(&f, 1);
    int rc;
    char *svg = capture(report_svg_curves, &f.in, &rc);
    cr_assert_eq(rc, RNNLAB_OK);
    check_svg(svg);
    cr_expect(strstr(svg, "<polygon") && strstr(svg, "<polyline"), "band and line");
    free(svg);
    svg = capture(report_svg_final, &f.in, &rc);
    cr_assert_eq(rc, RNNLAB_OK);
    check_svg(svg);
    free(svg);
    svg = capture(report_svg_gradient, &f.in, &rc);
    cr_assert_eq(rc, RNNLAB_OK);
    check_svg(svg);
    cr_expect(strstr(svg, ">1e-3<") && strstr(svg, ">1e0<"), "decade ticks on a log axis");
    free(svg);
    svg = capture(report_svg_spectral, &f.in, &rc);
    cr_assert_eq(rc, RNNLAB_OK);
    check_svg(svg);
    cr_expect(strstr(svg, "spectral radius of W_hh") && strstr(svg, "<polyline"), "%.200s", svg);
    free(svg);
    svg = capture(report_svg_dead, &f.in, &rc);
    cr_assert_eq(rc, RNNLAB_OK);
    check_svg(svg);
    free(svg);
    svg = capture(report_svg_saturated, &f.in, &rc);
    cr_expect_eq(rc, 1, "no run recorded saturated_frac: nothing to plot");
    free(svg);
    /* No diagnostics: nothing to plot. */
    make_fake(&f, 0);
    svg = capture(report_svg_spectral, &f.in, &rc);
    cr_expect_eq(rc, 1);
    free(svg);
    svg = capture(report_svg_gradient, &f.in, &rc);
    cr_expect_eq(rc, 1);
    free(svg);
    /* Nothing finished: still valid, with a note. */
    for (int i = 0; i < 6; i++) f.runs[i].status = "failed";
    svg = capture(report_svg_final, &f.in, &rc);
    check_svg(svg);
    free(svg);
    svg = capture(report_svg_curves, &f.in, &rc);
    check_svg(svg);
    free(svg);
}

/* ---- end to end through the real binary ------------------------------------------- */

static int run_cmd(const char *args, const char *log) {
    const char *build = getenv("RNNLAB_TEST_BUILD_DIR");
    cr_assert_not_null(build);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s/rnnlab' %s > '%s' 2>&1", build, args, log);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int count_in_file(const char *path, const char *what) {
    char *text = NULL;
    size_t len;
    rnnlab_err err;
    if (file_read_all(path, &text, &len, &err) != RNNLAB_OK) return -1;
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p++) n++;
    free(text);
    return n;
}

static int done_mtime(const sweep_plan *p, size_t i, struct timespec *t) {
    char path[1024];
    snprintf(path, sizeof path, "%s/runs/%s/DONE", p->out_dir, p->runs[i].hash);
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    *t = st.st_mtim;
    return 0;
}

static int same_time(struct timespec a, struct timespec b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

Test(sweep, end_to_end_resume_claims_verify) {
    make_tmp();
    sweep_plan *p = load("[sweep]\nbase = base.ini\nmodel.activation = tanh, relu\nseeds = 1..2\n"
                         "[diagnostics]\nevery = 2\n");
    rnnlab_err err;
    cr_assert_eq(sweep_resolve(p, RNNLAB_TEST_PLUGIN_DIR, &err), RNNLAB_OK, "%s", err.msg);
    char args[1024], log[512], path[1024];
    snprintf(log, sizeof log, "%s/log1.txt", tmpdir);
    snprintf(args, sizeof args, "sweep '%s/s.ini' -j 2 --plugin-path '%s'", tmpdir,
             RNNLAB_TEST_PLUGIN_DIR);
    cr_assert_eq(run_cmd(args, log), 0, "first sweep");
    struct timespec t0[4], t1;
    for (size_t i = 0; i < 4; i++) cr_assert_eq(done_mtime(p, i, &t0[i]), 0, "run %zu done", i);
    snprintf(path, sizeof path, "%s/runs.csv", p->out_dir);
    cr_expect_eq(count_in_file(path, ",ok,"), 4);
    const char *outputs[] = {"summary.csv", "summary.md", "curves.svg", "final.svg",
                             "gradient.svg"};
    for (size_t k = 0; k < 5; k++) {
        snprintf(path, sizeof path, "%s/%s", p->out_dir, outputs[k]);
        cr_expect_eq(access(path, R_OK), 0, "%s", path);
    }

    /* Again: nothing re-runs. */
    cr_assert_eq(run_cmd(args, log), 0);
    cr_expect_eq(count_in_file(log, "(0 run now)"), 1);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(done_mtime(p, i, &t1), 0);
        cr_expect(same_time(t0[i], t1), "run %zu untouched", i);
    }

    /* An unfinished run (no DONE), a stale claim (a record whose holder
     * ended without releasing it: no lock) and a live claim (locked, by
     * this process): the first two re-run, the third is left to its owner. */
    snprintf(path, sizeof path, "%s/runs/%s/DONE", p->out_dir, p->runs[1].hash);
    cr_assert_eq(unlink(path), 0);
    snprintf(path, sizeof path, "%s/runs/%s/DONE", p->out_dir, p->runs[2].hash);
    cr_assert_eq(unlink(path), 0);
    snprintf(path, sizeof path, "%s/runs/%s/CLAIM", p->out_dir, p->runs[2].hash);
    FILE *f = fopen(path, "w");
    fprintf(f, "pid=4242\nhost=gone-node\nsince=1700000000\nslurm_job_id=99\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/runs/%s/DONE", p->out_dir, p->runs[3].hash);
    cr_assert_eq(unlink(path), 0);
    snprintf(path, sizeof path, "%s/runs/%s/CLAIM", p->out_dir, p->runs[3].hash);
    int live;
    cr_assert_eq(lockfile_take(path, 0, &live, NULL, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_geq(live, 0);
    cr_assert_eq(run_cmd(args, log), 0);
    cr_expect_eq(count_in_file(log, "(2 run now)"), 1, "log: %s", log);
    cr_expect_eq(count_in_file(log, "1 running elsewhere"), 1);
    /* The run left a checkpoint, so it continues from it (issue 14). */
    cr_expect_eq(count_in_file(log, "resume (a stale claim of pid 4242 on host gone-node (Slurm "
                                    "job 99) since 2023-11-14 22:13:20 UTC was taken over)"),
                 1);
    cr_expect_eq(done_mtime(p, 0, &t1), 0);
    cr_expect(same_time(t0[0], t1), "finished run untouched");
    cr_expect_eq(done_mtime(p, 1, &t1), 0, "unfinished run re-ran");
    cr_expect_eq(done_mtime(p, 2, &t1), 0, "stale claim taken over");
    cr_expect_neq(done_mtime(p, 3, &t1), 0, "live claim respected");
    snprintf(path, sizeof path, "%s/runs.csv", p->out_dir);
    cr_expect_eq(count_in_file(path, ",busy,"), 1, "runs.csv shows the claimed run busy");
    lockfile_release(live);

    /* The re-run reproduces the run bit for bit. */
    snprintf(args, sizeof args, "verify '%s/runs/%s' --plugin-path '%s'", p->out_dir,
             p->runs[0].hash, RNNLAB_TEST_PLUGIN_DIR);
    cr_expect_eq(run_cmd(args, log), 0);
    cr_expect_geq(count_in_file(log, "OK"), 3, "params, metrics and the verdict");
    cr_expect_eq(count_in_file(log, "MISMATCH"), 0);
    sweep_free(p);

    /* A diverging run is recorded as such; the sweep goes on and succeeds. */
    p = load("[sweep]\nbase = base.ini\noptimizer.lr = 0.01, 1e6\n");
    cr_assert_eq(sweep_resolve(p, RNNLAB_TEST_PLUGIN_DIR, &err), RNNLAB_OK, "%s", err.msg);
    snprintf(args, sizeof args, "sweep '%s/s.ini' --plugin-path '%s'", tmpdir,
             RNNLAB_TEST_PLUGIN_DIR);
    cr_expect_eq(run_cmd(args, log), 0);
    snprintf(path, sizeof path, "%s/runs.csv", p->out_dir);
    cr_expect_eq(count_in_file(path, ",diverged,"), 1);
    cr_expect_eq(count_in_file(path, ",ok,"), 1);
    sweep_free(p);
    drop_tmp();
}
