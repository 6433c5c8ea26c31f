/* verify.c -- `rnnlab verify`: does a finished run reproduce bit for bit? */
#include <stdio.h>

#include "cli.h"
#include "lab/verify.h"

static const char usage[] =
    "usage: rnnlab verify RUN_DIR [--threads N] [OPTIONS]\n"
    "\n"
    "Trains the finished run in RUN_DIR again from its recorded config.ini into a\n"
    "temporary folder and compares the SHA-256 of the model parameters and of\n"
    "metrics.csv. First it names what differs between the machine record of the\n"
    "run's meta.json and the re-run's (CPU and kernel ISA, GEMM library, threads,\n"
    "compiler, libc), and whether the run's bits depend on it: everything for\n"
    "[train] reproducible = machine, only the build for portable. Exits 0 when\n"
    "both hashes match, 1 when either differs.\n"
    "\n"
    "options:\n"
    "  --threads N               re-run on N threads (default: as recorded)\n" CLI_HELP_PLUGIN_OPTS
    "\n"
    "environment:\n"
    "  RNNLAB_ISA=scalar|avx2|avx512   cap the ISA of rnnlab's kernels for the re-run\n"
    "\n"
    "examples:\n"
    "  rnnlab verify runs/char_lm\n"
    "  RNNLAB_ISA=avx2 rnnlab verify runs/char_lm --threads 2\n";

static int run(int argc, char **argv) {
    cli_plugin_opts po = {0};
    long threads = 0;
    const cli_option opts[] = {
        {"--threads", NULL, CLI_LONG, &threads, 1, 256},
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
    const verify_opts vo = {po.plugin_path, threads};
    verify_result res;
    if (verify_run(pos[0], &vo, stdout, &res, &err) != RNNLAB_OK) return cli_fail(&err);
    if (res.same)
        printf("OK: the re-run reproduces the run bit for bit\n");
    else if (res.machine_differs)
        printf("MISMATCH: the re-run differs from the recorded run, as expected: it ran on a "
               "different machine record (DIFFERS above)\n");
    else
        printf("MISMATCH: the re-run differs from the recorded run\n");
    return res.same ? 0 : 1;
}

const cli_command cli_cmd_verify = {
    "verify", "re-run a finished run and compare parameter/metric hashes", usage, run};
