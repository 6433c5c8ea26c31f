/* cli_util.h -- test helpers that drive the real `rnnlab` binary: run it
 * with arguments in a scratch folder and look at what it printed. */
#ifndef RNNLAB_TEST_CLI_UTIL_H
#define RNNLAB_TEST_CLI_UTIL_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"

static char cli_tmp[256];

static int cli_rm_entry(const char *p, const struct stat *st, int fl, struct FTW *f) {
    (void)st;
    (void)fl;
    (void)f;
    return remove(p);
}

/* A fresh scratch folder, made the current directory. */
static inline void cli_tmp_make(void) {
    snprintf(cli_tmp, sizeof cli_tmp, "/tmp/rnnlab-test-cli-XXXXXX");
    cr_assert_not_null(mkdtemp(cli_tmp));
    cr_assert_eq(chdir(cli_tmp), 0);
    setenv("RNNLAB_PLUGIN_PATH", RNNLAB_TEST_PLUGIN_DIR, 1);
}

static inline void cli_tmp_drop(void) {
    if (chdir("/") != 0) return;
    nftw(cli_tmp, cli_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to NAME in the scratch folder (printf-style). */
static inline void cli_write(const char *name, const char *fmt, ...) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", cli_tmp, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}

/* The whole of a file (malloc'd, NUL-terminated), or NULL. */
static inline char *cli_read(const char *path) {
    char *text = NULL;
    size_t len;
    rnnlab_err err;
    return file_read_all(path, &text, &len, &err) == RNNLAB_OK ? text : NULL;
}

/* Runs `rnnlab ARGS` (a shell fragment, printf-style) in the current
 * folder; *out (may be NULL) receives stdout and stderr together. Returns
 * the exit code, or -1 if it did not exit normally. */
static inline int cli_run(char **out, const char *fmt, ...) {
    const char *build = getenv("RNNLAB_TEST_BUILD_DIR");
    cr_assert_not_null(build, "RNNLAB_TEST_BUILD_DIR is set by meson");
    char args[8192], cmd[12288], log[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(log, sizeof log, "%s/.cli-out.txt", cli_tmp);
    /* stdin first, so that ARGS may redirect it. */
    snprintf(cmd, sizeof cmd, "'%s/rnnlab' </dev/null %s >'%s' 2>&1", build, args, log);
    int st = system(cmd);
    if (out) *out = cli_read(log);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A tiny synthetic task that trains in well under a second. */
static const char cli_tiny_base[] =
    "[data]\nname = synthetic\ntask = adding\nlength = 5\ntrain_size = 64\ndev_size = 32\n"
    "test_size = 32\nbatch_size = 16\n[tokenizer]\nname = char\n[model]\nhidden_size = 4\n"
    "[loss]\nname = mse\n[optimizer]\nname = sgd\nlr = 0.1\nmomentum = 0.9\n"
    "[train]\nepochs = 2\nlog_every = 2\n";

#endif
