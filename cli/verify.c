/* verify.c -- `rnnlab verify`: does a finished run reproduce bit for bit? */
#include <stdio.h>

#include "cli.h"
#include "lab/verify.h"

static const char usage[] =
    "usage: rnnlab verify RUN_DIR\n"
    "\n"
    "Trains the finished run in RUN_DIR again from its recorded config.ini into a\n"
    "temporary folder and compares the SHA-256 of the model parameters and of\n"
    "metrics.csv. Exits 0 when both match, 1 when either differs.\n"
    "\n"
    "options:\n" CLI_HELP_PLUGIN_OPTS "\n"
    "example:\n"
    "  rnnlab verify runs/char_lm\n";

static int run(int argc, char **argv) {
    cli_plugin_opts po = {0};
    const cli_option opts[] = {
        CLI_OPT_PLUGIN_PATH(&po),
        CLI_OPT_ALLOW_UNSAFE(&po),
        CLI_OPT_END,
    };
    const char *pos[1];
    int npos, rc = cli_parse(argc, argv, opts, usage, pos, 1, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    if (npos != 1) return cli_usage_error("verify", "expected one RUN_DIR");
    cli_apply_plugin_opts(&po);
    rnnlab_err err;
    err_clear(&err);
    int same = 0;
    if (verify_run(pos[0], po.plugin_path, stdout, &same, &err) != RNNLAB_OK) return cli_fail(&err);
    printf("%s\n", same ? "OK: the re-run reproduces the run bit for bit"
                        : "MISMATCH: the re-run differs from the recorded run");
    return same ? 0 : 1;
}

const cli_command cli_cmd_verify = {
    "verify", "re-run a finished run and compare parameter/metric hashes", usage, run};
