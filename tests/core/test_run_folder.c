/* test_run_folder.c -- the run folder's promises: one process at a time
 * (lockfile.c, run_folder.c), a --run-dir over a run refused unless forced,
 * and metrics that survive a kill at any moment (runlog.c). The kill loop
 * through the real binary is tests/kill_loop.sh. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/lockfile.h"
#include "core/sha256.h"
#include "core/train.h"

static char tmpdir[256];

static void setup(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rnnlab_test_run_folder_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    /* Four batches per epoch, three epochs, a dev and a test split: rows
     * after every checkpoint, and test rows after the last one. */
    const char *src = getenv("RNNLAB_TEST_SOURCE_DIR");
    cr_assert_not_null(src);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp '%s/tests/data/adding_tiny.ini' '%s/add.ini'", src, tmpdir);
    cr_assert_eq(system(cmd), 0);
    setenv("RNNLAB_PLUGIN_PATH", RNNLAB_TEST_PLUGIN_DIR, 1);
}

static void teardown(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(run_folder, .init = setup, .fini = teardown, .timeout = 60);

static char *in_tmp(const char *rel) {
    static char bufs[4][512];
    static int k;
    char *b = bufs[k++ % 4];
    snprintf(b, 512, "%s/%s", tmpdir, rel);
    return b;
}

/* train add.ini into `run` (or resume it), with --set lines, acting as if
 * interrupted after `stop` steps (0: never). */
static int train_until(const char *run, int resume, int force, const char *const *sets,
                       size_t nsets, uint64_t stop, rnnlab_err *err) {
    session_args a = {.config_path = in_tmp("add.ini"), .sets = sets, .nsets = nsets};
    train_args t = {.resume_dir = resume ? in_tmp(run) : NULL,
                    .run_dir = resume ? NULL : in_tmp(run),
                    .stop_after_steps = stop,
                    .force = force};
    err_clear(err);
    return train_run(&a, &t, NULL, err);
}

static int train(const char *run, int resume, int force, const char *const *sets, size_t nsets,
                 rnnlab_err *err) {
    return train_until(run, resume, force, sets, nsets, 0, err);
}

static void hash(const char *run, const char *file, char out[65]) {
    char p[512];
    rnnlab_err err;
    snprintf(p, sizeof p, "%s/%s/%s", tmpdir, run, file);
    cr_assert_eq(sha256_file_hex(p, out, &err), RNNLAB_OK, "%s", err.msg);
}

static void assert_same_runs(const char *a, const char *b) {
    const char *files[] = {"last.safetensors", "best.safetensors", "metrics.csv"};
    for (size_t i = 0; i < 3; i++) {
        char x[65], y[65];
        hash(a, files[i], x);
        hash(b, files[i], y);
        cr_assert_str_eq(x, y, "%s differs between %s and %s", files[i], a, b);
    }
}

static int exists(const char *rel) {
    struct stat st;
    return stat(in_tmp(rel), &st) == 0;
}

/* ---- locks ------------------------------------------------------------------ */

Test(run_folder, lock_excludes_others_and_ends_with_its_holder) {
    rnnlab_err err;
    const char *path = in_tmp("x.lock");
    int a, b;
    lock_holder h;
    cr_assert_eq(lockfile_take(path, 0, &a, &h, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_geq(a, 0);
    cr_assert_eq(h.pid, 0, "a new lock file has no previous holder");
    cr_assert(lockfile_held(path, NULL));
    /* A second open file (here in the same process) does not get it and
     * learns who holds it. */
    cr_assert_eq(lockfile_take(path, 0, &b, &h, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(b, -1);
    cr_assert_eq(h.pid, (long)getpid());
    cr_assert_gt(h.since, 0);
    lockfile_release(a);
    cr_assert_not(lockfile_held(path, NULL));
    /* Released cleanly: no stale record for the next holder. */
    cr_assert_eq(lockfile_take(path, 0, &b, &h, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_geq(b, 0);
    cr_assert_eq(h.pid, 0);
    close(b); /* ended without release, as a killed process does */
    cr_assert_not(lockfile_held(path, NULL), "the kernel released the lock");
    cr_assert_eq(lockfile_take(path, 0, &a, &h, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_geq(a, 0);
    cr_assert_eq(h.pid, (long)getpid(), "the dead holder's record is reported");
    lockfile_release(a);
}

Test(run_folder, lock_record_names_slurm_job) {
    setenv("SLURM_JOB_ID", "77", 1);
    setenv("SLURM_ARRAY_JOB_ID", "70", 1);
    setenv("SLURM_ARRAY_TASK_ID", "3", 1);
    lock_holder h;
    lockfile_self(&h);
    char text[512];
    lockfile_describe(&h, text, sizeof text);
    cr_assert_not_null(strstr(text, "(Slurm job 77, array 70_3)"), "%s", text);
    cr_assert_not_null(strstr(text, h.host), "%s", text);
    unsetenv("SLURM_JOB_ID");
    unsetenv("SLURM_ARRAY_JOB_ID");
    unsetenv("SLURM_ARRAY_TASK_ID");
}

Test(run_folder, second_train_or_resume_of_a_locked_folder_fails) {
    rnnlab_err err;
    cr_assert_eq(train("run", 0, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    int fd;
    lock_holder h;
    cr_assert_eq(lockfile_take(in_tmp("run/.lock"), 0, &fd, &h, &err), RNNLAB_OK);
    cr_assert_geq(fd, 0, "train released the folder when it ended");
    char pid[64];
    snprintf(pid, sizeof pid, "in use by pid %ld on host ", (long)getpid());
    int rc = train("run", 1, 0, NULL, 0, &err);
    cr_assert_eq(rc, RNNLAB_ERR_IO, "%d: %s", rc, err.msg);
    cr_assert_not_null(strstr(err.msg, "cannot resume: "), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, pid), "%s", err.msg);
    rc = train("run", 0, 1, NULL, 0, &err);
    cr_assert_eq(rc, RNNLAB_ERR_IO, "%d: %s", rc, err.msg);
    cr_assert_not_null(strstr(err.msg, "/run: the run folder is in use by pid"), "%s", err.msg);
    cr_assert(exists("run/last.safetensors"), "--force did not touch a locked folder");
    lockfile_release(fd);
}

Test(run_folder, run_dir_over_a_run_needs_force_and_leaves_nothing_old) {
    rnnlab_err err;
    const char *seed5[] = {"train.seed=5"};
    cr_assert_eq(train("fresh", 0, 0, seed5, 1, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(train("run", 0, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    int rc = train("run", 0, 0, seed5, 1, &err);
    cr_assert_eq(rc, RNNLAB_ERR_INVALID, "%d: %s", rc, err.msg);
    cr_assert_not_null(strstr(err.msg, "already holds a run (last.safetensors, best.safetensors, "
                                       "meta.json, metrics.csv, config.ini); continue it with "
                                       "`rnnlab train --resume "),
                       "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "or pass --force"), "%s", err.msg);
    /* what a write killed mid-way leaves */
    FILE *f = fopen(in_tmp("run/metrics.csv.tmp.4242"), "w");
    cr_assert_not_null(f);
    fclose(f);
    cr_assert_eq(train("run", 0, 1, seed5, 1, &err), RNNLAB_OK, "%s", err.msg);
    assert_same_runs("fresh", "run");
    cr_assert_not(exists("run/metrics.csv.tmp.4242"));
}

Test(run_folder, a_run_name_cannot_leave_run_dir) {
    rnnlab_err err;
    char set_dir[600];
    snprintf(set_dir, sizeof set_dir, "train.run_dir=%s", in_tmp("runs/inner"));
    const char *names[] = {"../../escape", "a/b", "..", "."};
    for (size_t i = 0; i < 4; i++) {
        char set_name[64];
        snprintf(set_name, sizeof set_name, "train.name=%s", names[i]);
        const char *sets[] = {set_dir, set_name};
        session_args a = {.config_path = in_tmp("add.ini"), .sets = sets, .nsets = 2};
        train_args t = {0};
        err_clear(&err);
        int rc = train_run(&a, &t, NULL, &err);
        cr_assert_eq(rc, RNNLAB_ERR_INVALID, "%s: %d: %s", names[i], rc, err.msg);
        cr_assert_not_null(strstr(err.msg, "--set train.name: [train] name = '"), "%s", err.msg);
        cr_assert_not_null(strstr(err.msg, "it cannot contain '/' or '..' or be '.'"), "%s",
                           err.msg);
    }
    cr_assert_not(exists("escape"));
    cr_assert_not(exists("runs"), "nothing was created");
}

/* ---- metrics.csv ----------------------------------------------------------- */

static void append(const char *rel, const char *text) {
    FILE *f = fopen(in_tmp(rel), "a");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* Rows written after the checkpoint, and a line torn by a kill, are
 * dropped on resume and never read as a step. */
Test(run_folder, resume_drops_rows_after_the_checkpoint_and_a_torn_line) {
    rnnlab_err err;
    cr_assert_eq(train("full", 0, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    int rc = train_until("cut", 0, 0, NULL, 0, 6, &err);
    cr_assert_eq(rc, RNNLAB_ERR_INTERRUPTED, "%d: %s", rc, err.msg);
    append("cut/metrics.csv", "7,train,loss,0.5\n7,train,grad_norm,1\n5,train,lo");
    cr_assert_eq(train("cut", 1, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    assert_same_runs("full", "cut");
}

/* A finished run resumed (early-stopped or at max_steps too) trains nothing
 * more and does not write its test rows twice. */
Test(run_folder, resuming_a_finished_run_changes_nothing) {
    rnnlab_err err;
    const char *max6[] = {"train.max_steps=6"};
    cr_assert_eq(train("full", 0, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(train("same", 0, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(train("max", 0, 0, max6, 1, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(train("max2", 0, 0, max6, 1, &err), RNNLAB_OK, "%s", err.msg);
    append("same/metrics.csv", "12,test,lo"); /* killed while writing test rows */
    cr_assert_eq(train("same", 1, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(train("same", 1, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    assert_same_runs("full", "same");
    cr_assert_eq(train("max2", 1, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    assert_same_runs("max", "max2");
    char *text;
    size_t len;
    cr_assert_eq(file_read_all(in_tmp("same/metrics.csv"), &text, &len, &err), RNNLAB_OK);
    size_t tests = 0;
    for (const char *p = text; (p = strstr(p, ",test,loss,")); p++) tests++;
    free(text);
    cr_assert_eq(tests, 1, "one test loss row, found %zu", tests);
}

Test(run_folder, metrics_shorter_than_the_checkpoint_is_an_error) {
    rnnlab_err err;
    cr_assert_eq(train("run", 0, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    FILE *f = fopen(in_tmp("run/metrics.csv"), "w");
    cr_assert_not_null(f);
    fputs("step,split,metric,value\n1,train,loss,0.5\n2,train,lo", f);
    fclose(f);
    int rc = train("run", 1, 0, NULL, 0, &err);
    cr_assert_eq(rc, RNNLAB_ERR_FORMAT, "%d: %s", rc, err.msg);
    cr_assert_not_null(strstr(err.msg, "metrics.csv: has 2 complete lines, but the checkpoint "
                                       "covers "),
                       "%s", err.msg);
}

/* The cut is written beside the file and renamed over it: a write that
 * fails (or a kill) leaves the old file, and the next resume succeeds. */
Test(run_folder, a_failed_cut_leaves_the_old_metrics) {
    rnnlab_err err;
    cr_assert_eq(train("full", 0, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    int rc = train_until("cut", 0, 0, NULL, 0, 6, &err);
    cr_assert_eq(rc, RNNLAB_ERR_INTERRUPTED, "%d: %s", rc, err.msg);
    append("cut/metrics.csv", "7,train,loss,0.5\n");
    char before[65], after[65];
    hash("cut", "metrics.csv", before);
    /* config.ini is rewritten (same bytes) first; the fault hits the cut */
    struct stat st;
    cr_assert_eq(stat(in_tmp("cut/config.ini"), &st), 0);
    fileio_inject_faults((long)st.st_size + 10, 0);
    rc = train("cut", 1, 0, NULL, 0, &err);
    fileio_inject_faults(-1, 0);
    cr_assert_eq(rc, RNNLAB_ERR_IO, "%d: %s", rc, err.msg);
    cr_assert_not_null(strstr(err.msg, "metrics.csv: write failed"), "%s", err.msg);
    hash("cut", "metrics.csv", after);
    cr_assert_str_eq(before, after);
    cr_assert_eq(train("cut", 1, 0, NULL, 0, &err), RNNLAB_OK, "%s", err.msg);
    assert_same_runs("full", "cut");
}
