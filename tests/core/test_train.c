/* test_train.c -- the training loop end to end, on a tiny generated corpus:
 * run folder contents, falling dev loss, bit-identical determinism and
 * resume, divergence handling, config errors through the session, and
 * `rnnlab gradcheck` on the configured model. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/session.h"
#include "core/sha256.h"
#include "core/gradcheck.h"
#include "core/train.h"
#include "core/trainer.h"

static char tmpdir[256];

/* A small corpus with real structure (repeated phrases) so a model can
 * learn something in two epochs. */
static void write_corpus(const char *path) {
    static const char *const phrases[] = {"the cat sat on the mat. ",  "a dog ran in the park. ",
                                          "we read a book at night. ", "they saw the light. ",
                                          "she can play the game. ",   "it is a fine day. "};
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    unsigned x = 7;
    for (int i = 0; i < 400; i++) {
        x = x * 1103515245u + 12345u;
        fputs(phrases[(x >> 16) % 6], f);
    }
    fclose(f);
}

static void write_config(const char *path, const char *extra) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(
        f,
        "[data]\nname = text\ntrain = corpus.txt\nvalid_fraction = 0.1\nbatch_size = 4\nbptt = 16\n"
        "[tokenizer]\nname = char\n"
        "[model]\nactivation = tanh\nhidden_size = 16\n"
        "[loss]\nname = softmax_xent\n"
        "[optimizer]\nname = sgd\nlr = 0.2\nmomentum = 0.5\n"
        "[train]\nseed = 3\nepochs = 3\nclip_norm = 5\nlog_every = 10\n%s",
        extra ? extra : "");
    fclose(f);
}

static void setup(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rnnlab_test_train_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    char p[512];
    snprintf(p, sizeof p, "%s/corpus.txt", tmpdir);
    write_corpus(p);
    snprintf(p, sizeof p, "%s/lm.ini", tmpdir);
    write_config(p, NULL);
    setenv("RNNLAB_PLUGIN_PATH", RNNLAB_TEST_PLUGIN_DIR, 1);
}

static void teardown(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

static int train_until(const char *config, const char *run, const char *const *sets, size_t nsets,
                       const char *resume, uint64_t stop_after, rnnlab_err *err) {
    char cfg[512], dir[512];
    snprintf(cfg, sizeof cfg, "%s/%s", tmpdir, config);
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, run);
    session_args a = {.config_path = cfg, .sets = sets, .nsets = nsets};
    train_args t = {.resume_dir = resume ? dir : NULL,
                    .run_dir = resume ? NULL : dir,
                    .stop_after_steps = stop_after};
    err_clear(err);
    return train_run(&a, &t, NULL, err);
}

static int train(const char *config, const char *run, const char *const *sets, size_t nsets,
                 const char *resume, rnnlab_err *err) {
    return train_until(config, run, sets, nsets, resume, 0, err);
}

static void file_hash(const char *run, const char *file, char out[65]) {
    char p[512];
    rnnlab_err err;
    snprintf(p, sizeof p, "%s/%s/%s", tmpdir, run, file);
    cr_assert_eq(sha256_file_hex(p, out, &err), RNNLAB_OK, "%s", err.msg);
}

/* The text of a run folder's file (malloc'd, NUL-terminated). */
static char *run_file(const char *run, const char *file) {
    char p[512], *text;
    size_t len;
    rnnlab_err err;
    snprintf(p, sizeof p, "%s/%s/%s", tmpdir, run, file);
    cr_assert_eq(file_read_all(p, &text, &len, &err), RNNLAB_OK, "%s", err.msg);
    return text;
}

TestSuite(train, .init = setup, .fini = teardown, .timeout = 120);

Test(train, writes_run_folder_and_dev_loss_falls) {
    rnnlab_err err;
    cr_assert_eq(train("lm.ini", "run", NULL, 0, NULL, &err), RNNLAB_OK, "%s", err.msg);
    const char *files[] = {"config.ini", "metrics.csv", "meta.json", "last.safetensors",
                           "best.safetensors"};
    for (size_t i = 0; i < 5; i++) {
        char p[512];
        struct stat st;
        snprintf(p, sizeof p, "%s/run/%s", tmpdir, files[i]);
        cr_assert_eq(stat(p, &st), 0, "missing %s", p);
        cr_assert_gt(st.st_size, 0);
    }
    /* dev loss, one row per epoch, strictly falling */
    char p[512], *text;
    size_t len;
    snprintf(p, sizeof p, "%s/run/metrics.csv", tmpdir);
    cr_assert_eq(file_read_all(p, &text, &len, &err), RNNLAB_OK);
    cr_assert(strncmp(text, "step,split,metric,value\n", 24) == 0);
    double prev = INFINITY;
    int rows = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *m = strstr(line, ",dev,loss,");
        if (!m) continue;
        double v = atof(m + 10);
        cr_assert_lt(v, prev, "dev loss rose: %g after %g", v, prev);
        prev = v;
        rows++;
    }
    free(text);
    cr_assert_eq(rows, 3);
    /* the checkpoint carries names and shapes of torch.nn.RNN */
    ckpt *c;
    snprintf(p, sizeof p, "%s/run/last.safetensors", tmpdir);
    cr_assert_eq(ckpt_read(&c, p, &err), RNNLAB_OK, "%s", err.msg);
    const ckpt_tensor *w = ckpt_find(c, "rnn.weight_hh_l0");
    cr_assert_not_null(w);
    cr_assert_eq(w->shape[0], 16);
    cr_assert_eq(w->shape[1], 16);
    cr_assert_not_null(ckpt_find(c, "out.bias"));
    cr_assert_not_null(ckpt_find(c, "optim.rnn.weight_hh_l0.0"), "momentum buffer saved");
    cr_assert_str_eq(ckpt_meta_get(c, "epoch"), "3");
    cr_assert_not_null(strstr(ckpt_meta_get(c, "config"), "hidden_size = 16"));
    ckpt_free(c);
}

Test(train, same_seed_is_bit_identical) {
    rnnlab_err err;
    char a[65], b[65];
    cr_assert_eq(train("lm.ini", "a", NULL, 0, NULL, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(train("lm.ini", "b", NULL, 0, NULL, &err), RNNLAB_OK, "%s", err.msg);
    file_hash("a", "last.safetensors", a);
    file_hash("b", "last.safetensors", b);
    cr_assert_str_eq(a, b);
    file_hash("a", "metrics.csv", a);
    file_hash("b", "metrics.csv", b);
    cr_assert_str_eq(a, b);
    const char *seed[] = {"train.seed=4"};
    cr_assert_eq(train("lm.ini", "c", seed, 1, NULL, &err), RNNLAB_OK, "%s", err.msg);
    file_hash("c", "last.safetensors", b);
    cr_assert_str_neq(a, b, "another seed must give other weights");
}

Test(train, resume_is_bit_identical) {
    rnnlab_err err;
    char full[65], resumed[65];
    cr_assert_eq(train("lm.ini", "full", NULL, 0, NULL, &err), RNNLAB_OK, "%s", err.msg);
    const char *one[] = {"train.epochs=1"};
    cr_assert_eq(train("lm.ini", "part", one, 1, NULL, &err), RNNLAB_OK, "%s", err.msg);
    const char *three[] = {"train.epochs=3"};
    cr_assert_eq(train("lm.ini", "part", three, 1, "resume", &err), RNNLAB_OK, "%s", err.msg);
    file_hash("full", "last.safetensors", full);
    file_hash("part", "last.safetensors", resumed);
    cr_assert_str_eq(full, resumed);
    file_hash("full", "metrics.csv", full);
    file_hash("part", "metrics.csv", resumed);
    cr_assert_str_eq(full, resumed);
}

/* An interrupt in the middle of an epoch (mid truncated-BPTT stream) and
 * another at an epoch's end: each writes a checkpoint, and the resumed run
 * ends bit-identical to one that never stopped. */
Test(train, interrupt_mid_epoch_then_resume_is_bit_identical) {
    rnnlab_err err;
    char full[65], resumed[65];
    cr_assert_eq(train("lm.ini", "full", NULL, 0, NULL, &err), RNNLAB_OK, "%s", err.msg);
    int rc = train_until("lm.ini", "cut", NULL, 0, NULL, 7, &err);
    cr_assert_eq(rc, RNNLAB_ERR_INTERRUPTED, "%d: %s", rc, err.msg);
    cr_assert_not_null(strstr(err.msg, "--resume"), "%s", err.msg);
    char p[512];
    ckpt *c;
    snprintf(p, sizeof p, "%s/cut/last.safetensors", tmpdir);
    cr_assert_eq(ckpt_read(&c, p, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_str_eq(ckpt_meta_get(c, "step"), "7");
    cr_assert_str_eq(ckpt_meta_get(c, "epoch"), "0");
    cr_assert_str_eq(ckpt_meta_get(c, "batch_next"), "7");
    ckpt_free(c);
    /* interrupted again later, then run to the end */
    rc = train_until("lm.ini", "cut", NULL, 0, "resume", 30, &err);
    cr_assert_eq(rc, RNNLAB_ERR_INTERRUPTED, "%d: %s", rc, err.msg);
    cr_assert_eq(train("lm.ini", "cut", NULL, 0, "resume", &err), RNNLAB_OK, "%s", err.msg);
    file_hash("full", "last.safetensors", full);
    file_hash("cut", "last.safetensors", resumed);
    cr_assert_str_eq(full, resumed);
    file_hash("full", "metrics.csv", full);
    file_hash("cut", "metrics.csv", resumed);
    cr_assert_str_eq(full, resumed);
}

Test(train, divergence_stops_with_step_and_checkpoint) {
    rnnlab_err err;
    const char *sets[] = {"model.activation=relu", "optimizer.lr=1e6", "train.clip_norm=0",
                          "optimizer.momentum=0"};
    int rc = train("lm.ini", "nan", sets, 4, NULL, &err);
    cr_assert_eq(rc, RNNLAB_ERR_NUMERIC, "%d: %s", rc, err.msg);
    cr_assert_not_null(strstr(err.msg, "step "), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "Last good checkpoint"), "%s", err.msg);
    char *text = run_file("nan", "meta.json");
    cr_assert_not_null(strstr(text, "\"diverged\""), "%s", text);
    free(text);
}

Test(train, config_errors_name_file_and_line) {
    rnnlab_err err;
    const char *typo[] = {"model.hiden_size=3"};
    int rc = train("lm.ini", "x", typo, 1, NULL, &err);
    cr_assert_neq(rc, RNNLAB_OK);
    cr_assert_not_null(strstr(err.msg, "did you mean 'hidden_size'"), "%s", err.msg);
    const char *mse[] = {"loss.name=mse"};
    rc = train("lm.ini", "y", mse, 1, NULL, &err);
    cr_assert_eq(rc, RNNLAB_ERR_INVALID);
    cr_assert_not_null(strstr(err.msg, "real-valued"), "%s", err.msg);
    const char *act[] = {"model.activation=tahn"};
    rc = train("lm.ini", "z", act, 1, NULL, &err);
    cr_assert_neq(rc, RNNLAB_OK);
    cr_assert_not_null(strstr(err.msg, "tahn"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "--set model.activation"), "%s", err.msg);
}

/* The "epoch" a run's checkpoint records. */
static long ckpt_epoch(const char *run, const char *file) {
    char p[512];
    rnnlab_err err;
    ckpt *c;
    snprintf(p, sizeof p, "%s/%s/%s", tmpdir, run, file);
    cr_assert_eq(ckpt_read(&c, p, &err), RNNLAB_OK, "%s", err.msg);
    long epoch = atol(ckpt_meta_get(c, "epoch"));
    ckpt_free(c);
    return epoch;
}

/* The dev loss falls every epoch (see above), so selecting its maximum
 * makes epoch 1 the best and every later epoch a miss: best.safetensors
 * stays at epoch 1 and patience = 1 stops the run after epoch 2. */
Test(train, select_goal_picks_best_and_patience_stops) {
    rnnlab_err err;
    const char *sets[] = {"train.select=dev/loss", "train.select_goal=max", "train.patience=1",
                          "train.epochs=3"};
    cr_assert_eq(train("lm.ini", "max", sets, 4, NULL, &err), RNNLAB_OK, "%s", err.msg);
    cr_expect_eq(ckpt_epoch("max", "best.safetensors"), 1);
    cr_expect_eq(ckpt_epoch("max", "last.safetensors"), 2, "patience = 1 stops after epoch 2");
    char *text = run_file("max", "meta.json");
    cr_expect_not_null(strstr(text, "\"select\":\t\"dev/loss\""), "%s", text);
    free(text);
}

/* select = dev/accuracy: best.safetensors is the epoch of the highest dev
 * accuracy in metrics.csv (the earliest of equals). */
Test(train, select_by_dev_accuracy) {
    rnnlab_err err;
    const char *sets[] = {"train.select=dev/accuracy", "train.epochs=4"};
    cr_assert_eq(train("lm.ini", "acc", sets, 2, NULL, &err), RNNLAB_OK, "%s", err.msg);
    char *text = run_file("acc", "metrics.csv");
    double best = -1;
    long epoch = 0, best_epoch = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *m = strstr(line, ",dev,accuracy,");
        if (!m) continue;
        double v = atof(m + 14);
        epoch++;
        if (v > best) best = v, best_epoch = epoch;
    }
    free(text);
    cr_assert_eq(epoch, 4);
    cr_expect_eq(ckpt_epoch("acc", "best.safetensors"), best_epoch);
    /* the language model's other metrics are selectable too */
    const char *ppl[] = {"train.select=dev/perplexity", "train.epochs=1"};
    cr_expect_eq(train("lm.ini", "ppl", ppl, 2, NULL, &err), RNNLAB_OK, "%s", err.msg);
}

Test(train, select_names_a_recorded_metric) {
    rnnlab_err err;
    const char *typo[] = {"train.select=dev/acuracy"};
    int rc = train("lm.ini", "typo", typo, 1, NULL, &err);
    cr_assert_eq(rc, RNNLAB_ERR_INVALID, "%d: %s", rc, err.msg);
    cr_expect_not_null(strstr(err.msg, "--set train.select"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "did you mean 'dev/accuracy'"), "%s", err.msg);
    const char *test[] = {"train.select=test/loss"};
    rc = train("lm.ini", "test", test, 1, NULL, &err);
    cr_assert_eq(rc, RNNLAB_ERR_INVALID, "%d: %s", rc, err.msg);
    cr_expect_not_null(strstr(err.msg, "dev/loss, dev/accuracy, dev/perplexity"), "%s", err.msg);
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/typo", tmpdir);
    cr_expect_neq(stat(p, &st), 0, "no run folder for a refused config");
}

/* The best value a run has kept is for its metric: resuming with another
 * one is refused, resuming with the same one continues. */
Test(train, resume_keeps_the_select_metric) {
    rnnlab_err err;
    const char *one[] = {"train.select=dev/accuracy", "train.epochs=1"};
    cr_assert_eq(train("lm.ini", "r", one, 2, NULL, &err), RNNLAB_OK, "%s", err.msg);
    const char *other[] = {"train.select=dev/loss", "train.epochs=2"};
    int rc = train("lm.ini", "r", other, 2, "resume", &err);
    cr_assert_eq(rc, RNNLAB_ERR_INVALID, "%d: %s", rc, err.msg);
    cr_expect_not_null(strstr(err.msg, "'dev/accuracy max', not 'dev/loss min'"), "%s", err.msg);
    const char *two[] = {"train.epochs=2"};
    cr_expect_eq(train("lm.ini", "r", two, 1, "resume", &err), RNNLAB_OK, "%s", err.msg);
}

static void gradcheck_with(const char *const *sets, size_t n) {
    char cfg[512];
    rnnlab_err err;
    err_clear(&err);
    snprintf(cfg, sizeof cfg, "%s/lm.ini", tmpdir);
    session_args a = {.config_path = cfg, .sets = sets, .nsets = n};
    int rc = gradcheck_run(&a, 1e-6, NULL, &err);
    cr_assert_eq(rc, RNNLAB_OK, "%s", err.msg);
}

Test(train, gradcheck_tanh_relu_sigmoid_stacked) {
    const char *tanh_[] = {"model.activation=tanh"};
    const char *relu_[] = {"model.activation=relu"};
    const char *sigm_[] = {"model.activation=sigmoid"};
    const char *deep_[] = {"model.num_layers=2"};
    gradcheck_with(tanh_, 1);
    gradcheck_with(relu_, 1);
    gradcheck_with(sigm_, 1);
    gradcheck_with(deep_, 1);
}

/* `rnnlab gradcheck` on the shipped configs: bidirectional tagging over
 * padded sentences of different lengths, the last-step head with class
 * targets and with real targets from dense inputs. */
static void gradcheck_shipped(const char *config, const char *const *sets, size_t n) {
    char cfg[512];
    rnnlab_err err;
    err_clear(&err);
    snprintf(cfg, sizeof cfg, "%s/configs/%s", getenv("RNNLAB_TEST_SOURCE_DIR"), config);
    session_args a = {.config_path = cfg, .sets = sets, .nsets = n};
    int rc = gradcheck_run(&a, 1e-6, NULL, &err);
    cr_assert_eq(rc, RNNLAB_OK, "%s: %s", config, err.msg);
}

Test(train, gradcheck_bidirectional_padded_and_last_step_heads) {
    cr_assert_not_null(getenv("RNNLAB_TEST_SOURCE_DIR"));
    const char *relu2[] = {"model.activation=relu", "model.num_layers=2"};
    const char *sigm[] = {"model.activation=sigmoid"};
    gradcheck_shipped("pos_tagger.ini", NULL, 0);
    gradcheck_shipped("pos_tagger.ini", relu2, 2);
    gradcheck_shipped("pos_tagger.ini", sigm, 1);
    gradcheck_shipped("classify.ini", NULL, 0);
    gradcheck_shipped("adding.ini", NULL, 0);
    gradcheck_shipped("adding.ini", sigm, 1);
}

/* Every (split, metric) a run writes is in trainer_metric_names, which
 * sweeps (and [train] select) check names against: the list cannot drift
 * from the writers. Tagging (accuracy, bidirectional spectral radii) and a
 * language model with diagnostics (perplexity, bits, dh_norm, saturation). */
static void check_names_cover_rows(const char *config, const char *run, const char *const *sets,
                                   size_t nsets) {
    rnnlab_err err;
    char cfg[512], p[512];
    snprintf(cfg, sizeof cfg, "%s", config);
    snprintf(p, sizeof p, "%s/%s", tmpdir, run);
    session_args a = {.config_path = cfg, .sets = sets, .nsets = nsets};
    train_args t = {.run_dir = p};
    err_clear(&err);
    cr_assert_eq(train_run(&a, &t, NULL, &err), RNNLAB_OK, "%s", err.msg);
    session s;
    cr_assert_eq(session_open(&s, &a, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(session_open_data(&s, NULL, NULL, &err), RNNLAB_OK, "%s", err.msg);
    metric_name names[512];
    size_t n = trainer_metric_names(&s, names, 512);
    cr_assert_leq(n, 512);
    session_close(&s);
    char *text;
    size_t len;
    snprintf(p, sizeof p, "%s/%s/metrics.csv", tmpdir, run);
    cr_assert_eq(file_read_all(p, &text, &len, &err), RNNLAB_OK);
    int rows = 0;
    for (char *line = strtok(strchr(text, '\n') + 1, "\n"); line; line = strtok(NULL, "\n")) {
        char split[32], metric[64];
        cr_assert_eq(sscanf(line, "%*[^,],%31[^,],%63[^,],", split, metric), 2, "%s", line);
        int found = 0;
        for (size_t k = 0; k < n && !found; k++)
            found = !strcmp(names[k].split, split) && !strcmp(names[k].name, metric);
        cr_expect(found, "%s: row %s/%s is not in trainer_metric_names", config, split, metric);
        rows++;
    }
    cr_expect_gt(rows, 10);
    free(text);
}

Test(train, metric_names_cover_every_row) {
    char cfg[512];
    snprintf(cfg, sizeof cfg, "%s/lm.ini", tmpdir);
    const char *lm[] = {"diagnostics.every=3", "train.epochs=1"};
    check_names_cover_rows(cfg, "lm", lm, 2);
    const char *relu[] = {"diagnostics.every=3", "train.epochs=1", "model.activation=relu"};
    check_names_cover_rows(cfg, "lm_relu", relu, 3);
    snprintf(cfg, sizeof cfg, "%s/configs/pos_tagger.ini", getenv("RNNLAB_TEST_SOURCE_DIR"));
    const char *tag[] = {"diagnostics.every=5", "train.epochs=1", "model.num_layers=2"};
    check_names_cover_rows(cfg, "tagger", tag, 3);
}

/* A run stopped by max_steps in the middle of an epoch, resumed with a
 * larger max_steps, ends bit-identical to a run that went straight there:
 * hitting max_steps is not an epoch's end (no dev pass counted as one, no
 * schedule step, no epoch count), the checkpoint holds the carried
 * truncated-BPTT state of its step, and the first run's final report
 * (dev and test rows) is dropped by the resume. */
Test(train, max_steps_resume_is_bit_identical) {
    rnnlab_err err;
    char a[65], b[65];
    const char *six[] = {"train.max_steps=6", "train.schedule=exponential", "train.log_every=1"};
    const char *two[] = {"train.max_steps=2", "train.schedule=exponential", "train.log_every=1"};
    cr_assert_eq(train("lm.ini", "straight", six, 3, NULL, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(train("lm.ini", "cut", two, 3, NULL, &err), RNNLAB_OK, "%s", err.msg);
    char p[512];
    ckpt *c;
    snprintf(p, sizeof p, "%s/cut/last.safetensors", tmpdir);
    cr_assert_eq(ckpt_read(&c, p, &err), RNNLAB_OK, "%s", err.msg);
    cr_expect_str_eq(ckpt_meta_get(c, "step"), "2");
    cr_expect_str_eq(ckpt_meta_get(c, "epoch"), "0", "max_steps is not an epoch's end");
    cr_expect_str_eq(ckpt_meta_get(c, "batch_next"), "2");
    cr_expect_str_eq(ckpt_meta_get(c, "lr_scale"), "1", "no schedule step");
    const ckpt_tensor *carry = ckpt_find(c, "state.carry");
    cr_assert_not_null(carry);
    float norm = 0.0f;
    for (size_t k = 0; k < carry->shape[0]; k++)
        norm += ((const float *)carry->data)[k] * ((const float *)carry->data)[k];
    cr_expect_gt(norm, 0.0f, "the carried state is the training stream's, not zeros");
    ckpt_free(c);
    /* The finished run has its final dev and test report... */
    char *text;
    size_t len;
    snprintf(p, sizeof p, "%s/cut/metrics.csv", tmpdir);
    cr_assert_eq(file_read_all(p, &text, &len, &err), RNNLAB_OK);
    cr_expect_not_null(strstr(text, "\n2,dev,loss,"), "%s", text);
    cr_expect_not_null(strstr(text, "\n2,test,loss,") || !strstr(text, "test"), "%s", text);
    free(text);
    /* ...which the resume replaces with the one at step 6. */
    cr_assert_eq(train("lm.ini", "cut", six, 3, "resume", &err), RNNLAB_OK, "%s", err.msg);
    file_hash("straight", "last.safetensors", a);
    file_hash("cut", "last.safetensors", b);
    cr_expect_str_eq(a, b, "weights, optimizer state, carried state and position");
    file_hash("straight", "metrics.csv", a);
    file_hash("cut", "metrics.csv", b);
    cr_expect_str_eq(a, b, "metrics");
    file_hash("straight", "best.safetensors", a);
    file_hash("cut", "best.safetensors", b);
    cr_expect_str_eq(a, b, "best");
    /* Resuming a finished run changes nothing. */
    cr_assert_eq(train("lm.ini", "cut", six, 3, "resume", &err), RNNLAB_OK, "%s", err.msg);
    file_hash("straight", "metrics.csv", a);
    file_hash("cut", "metrics.csv", b);
    cr_expect_str_eq(a, b, "metrics after resuming a finished run");
    file_hash("straight", "last.safetensors", a);
    file_hash("cut", "last.safetensors", b);
    cr_expect_str_eq(a, b, "checkpoint after resuming a finished run");
}

/* --init-only writes the initial weights and trains nothing; resuming it
 * is a run that never stopped. */
Test(train, init_only_then_resume_is_bit_identical) {
    rnnlab_err err;
    char cfg[512], dir[512], a[65], b[65];
    const char *one[] = {"train.epochs=1"};
    cr_assert_eq(train("lm.ini", "straight", one, 1, NULL, &err), RNNLAB_OK, "%s", err.msg);
    snprintf(cfg, sizeof cfg, "%s/lm.ini", tmpdir);
    snprintf(dir, sizeof dir, "%s/init", tmpdir);
    session_args sa = {.config_path = cfg, .sets = one, .nsets = 1};
    train_args ta = {.run_dir = dir, .init_only = 1};
    err_clear(&err);
    cr_assert_eq(train_run(&sa, &ta, NULL, &err), RNNLAB_OK, "%s", err.msg);
    char p[512], *text;
    size_t len;
    ckpt *c;
    snprintf(p, sizeof p, "%s/init/last.safetensors", tmpdir);
    cr_assert_eq(ckpt_read(&c, p, &err), RNNLAB_OK, "%s", err.msg);
    cr_expect_str_eq(ckpt_meta_get(c, "step"), "0");
    ckpt_free(c);
    snprintf(p, sizeof p, "%s/init/meta.json", tmpdir);
    cr_assert_eq(file_read_all(p, &text, &len, &err), RNNLAB_OK);
    cr_expect_not_null(strstr(text, "\"initialized\""), "%s", text);
    free(text);
    snprintf(p, sizeof p, "%s/init/metrics.csv", tmpdir);
    cr_assert_eq(file_read_all(p, &text, &len, &err), RNNLAB_OK);
    cr_expect_eq(strchr(text, '\n') - text + 1, (long)len, "only the header: %s", text);
    free(text);
    cr_assert_eq(train("lm.ini", "init", one, 1, "resume", &err), RNNLAB_OK, "%s", err.msg);
    file_hash("straight", "last.safetensors", a);
    file_hash("init", "last.safetensors", b);
    cr_expect_str_eq(a, b);
    file_hash("straight", "metrics.csv", a);
    file_hash("init", "metrics.csv", b);
    cr_expect_str_eq(a, b);
}

/* The progress lines count steps of the whole run: epochs x batches, or
 * max_steps when fewer. */
Test(train, progress_counts_the_whole_run) {
    rnnlab_err err;
    char cfg[512], dir[512], *text = NULL;
    size_t len = 0;
    snprintf(cfg, sizeof cfg, "%s/lm.ini", tmpdir);
    for (int k = 0; k < 2; k++) {
        const char *sets[] = {"train.log_every=1", k ? "train.max_steps=5" : "train.epochs=2"};
        snprintf(dir, sizeof dir, "%s/p%d", tmpdir, k);
        FILE *out = open_memstream(&text, &len);
        session_args sa = {.config_path = cfg, .sets = sets, .nsets = 2};
        train_args ta = {.run_dir = dir, .out = out};
        err_clear(&err);
        cr_assert_eq(train_run(&sa, &ta, NULL, &err), RNNLAB_OK, "%s", err.msg);
        fclose(out);
        size_t nb = 0;
        cr_assert_eq(sscanf(strstr(text, "batch 1/"), "batch 1/%zu", &nb), 1, "%s", text);
        char want[64];
        snprintf(want, sizeof want, "step 1/%zu batch 1/%zu", k ? (size_t)5 : 2 * nb, nb);
        cr_expect_not_null(strstr(text, want), "%s in %.300s", want, text);
        cr_expect_not_null(strstr(text, " ETA "), "%.300s", text);
        free(text);
    }
}
