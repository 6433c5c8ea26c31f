/* train.c -- `rnnlab train`: train a model as a config says, or continue an
 * interrupted run. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/train.h"

static const char usage[] =
    "usage: rnnlab train CONFIG [--set SECTION.KEY=VALUE]... [--unset SECTION.KEY]... [OPTIONS]\n"
    "       rnnlab train --resume RUN_DIR [--set ...] [--unset ...] [OPTIONS]\n"
    "\n"
    "Trains the model CONFIG describes and writes a run folder: config.ini (resolved),\n"
    "metrics.csv, meta.json, last.safetensors and best.safetensors (the epoch best on\n"
    "[train] select, dev/loss unless set). Ctrl-C finishes the current step and\n"
    "writes a checkpoint that --resume continues bit for bit.\n"
    "\n"
    "options:\n" CLI_HELP_SET
    "  --resume RUN_DIR          continue an interrupted run from its last checkpoint\n"
    "  --run-dir DIR             write the run into exactly this folder; refused if it\n"
    "                            already holds a run (continue that one with --resume)\n"
    "  --force                   with --run-dir: replace the run already there\n"
    "  --init-only               write the initial weights (last.safetensors, step 0) and\n"
    "                            train nothing; --resume trains from them\n"
    "  --diagnostics             record gradient-through-time diagnostics every 10 steps\n"
    "                            (the same as --set diagnostics.every=10)\n"
    "  -q, --quiet               no progress output\n" CLI_HELP_PLUGIN_OPTS "\n"
    "example:\n"
    "  rnnlab train configs/char_lm.ini --set model.activation=relu --set train.clip_norm=1\n";

static void on_signal(int sig) {
    (void)sig;
    train_request_stop();
    /* A second signal stops at once. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

static int run(int argc, char **argv) {
    cli_list sets = {0}, unsets = {0};
    cli_plugin_opts po = {0};
    const char *resume = NULL, *run_dir = NULL;
    int quiet = 0, diagnostics = 0, force = 0, init_only = 0;
    const cli_option opts[] = {
        CLI_OPT_SET(&sets),
        CLI_OPT_UNSET(&unsets),
        {"--resume", NULL, CLI_STRING, &resume, 0, 0},
        {"--run-dir", NULL, CLI_STRING, &run_dir, 0, 0},
        {"--force", NULL, CLI_FLAG, &force, 0, 0},
        {"--diagnostics", NULL, CLI_FLAG, &diagnostics, 0, 0},
        {"--init-only", NULL, CLI_FLAG, &init_only, 0, 0},
        {"--quiet", "-q", CLI_FLAG, &quiet, 0, 0},
        CLI_OPT_PLUGIN_PATH(&po),
        CLI_OPT_ALLOW_UNSAFE(&po),
        CLI_OPT_END,
    };
    const char *pos[1];
    int npos, rc = cli_parse(argc, argv, opts, usage, pos, 1, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    if (!resume && npos != 1) return cli_usage_error("train", "expected one CONFIG file");
    if (resume && init_only)
        return cli_usage_error("train", "--init-only starts a run; it cannot --resume one");
    if (resume && npos != 0)
        return cli_usage_error("train", "--resume takes the run's config; unexpected '%s'", pos[0]);
    if (force && !run_dir)
        return cli_usage_error("train", "--force replaces the run in --run-dir DIR; give one");
    cli_apply_plugin_opts(&po);
    /* --diagnostics goes first, so that an explicit --set diagnostics.every
     * (a later override) wins. */
    cli_list all = {0};
    if (diagnostics) all.v[all.n++] = "diagnostics.every=10";
    for (size_t i = 0; i < sets.n && all.n < CLI_MAX_LIST; i++) all.v[all.n++] = sets.v[i];
    if (all.n < (size_t)diagnostics + sets.n)
        return cli_usage_error("train", "too many --set options (at most %d)", CLI_MAX_LIST - 1);

    session_args a;
    cli_session_args(&a, npos ? pos[0] : "", &all, &unsets, &po);
    train_args t;
    memset(&t, 0, sizeof t);
    t.resume_dir = resume;
    t.init_only = init_only;
    t.run_dir = run_dir;
    t.force = force;
    t.out = quiet ? NULL : stdout;
    t.progress_bar = !quiet && isatty(STDOUT_FILENO);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rnnlab_err err;
    err_clear(&err);
    char *path = NULL;
    if (train_run(&a, &t, &path, &err) != RNNLAB_OK) return cli_fail(&err);
    if (!quiet) printf("done: %s\n", path);
    free(path);
    return 0;
}

const cli_command cli_cmd_train = {"train", "train a model; writes runs/<name>/", usage, run};
