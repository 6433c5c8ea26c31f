/* gradcheck.c -- `rnnlab gradcheck`: every BPTT gradient against finite
 * differences, in double precision. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/gradcheck.h"

static const char usage[] =
    "usage: rnnlab gradcheck CONFIG [--set SECTION.KEY=VALUE]... [--unset SECTION.KEY]... [--tol "
    "X]\n"
    "\n"
    "Builds a small double-precision copy of the configured model (H <= 3, T <= 4,\n"
    "B <= 2; same cell, layers, directions, head and loss) on the first training\n"
    "batch and compares every analytic gradient with central differences. Prints\n"
    "one line per tensor; exits non-zero if the worst relative error is not below\n"
    "the tolerance.\n"
    "\n"
    "options:\n" CLI_HELP_SET
    "  --tol X                   relative error tolerance (default 1e-6)\n" CLI_HELP_PLUGIN_OPTS
    "\n"
    "example:\n"
    "  rnnlab gradcheck configs/pos_tagger.ini --set model.num_layers=2\n";

static int run(int argc, char **argv) {
    cli_list sets = {0}, unsets = {0};
    cli_plugin_opts po = {0};
    double tol = 1e-6;
    const cli_option opts[] = {
        CLI_OPT_SET(&sets),       CLI_OPT_UNSET(&unsets),    {"--tol", NULL, CLI_REAL, &tol, 0, -1},
        CLI_OPT_PLUGIN_PATH(&po), CLI_OPT_ALLOW_UNSAFE(&po), CLI_OPT_END,
    };
    const char *pos[1];
    int npos, rc = cli_parse(argc, argv, opts, usage, pos, 1, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    if (npos != 1) return cli_usage_error("gradcheck", "expected one CONFIG file");
    cli_apply_plugin_opts(&po);
    session_args a;
    cli_session_args(&a, pos[0], &sets, &unsets, &po);
    rnnlab_err err;
    err_clear(&err);
    if (gradcheck_run(&a, tol, stdout, &err) != RNNLAB_OK) return cli_fail(&err);
    return 0;
}

const cli_command cli_cmd_gradcheck = {
    "gradcheck", "check every BPTT gradient against finite differences", usage, run};
