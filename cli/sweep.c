/* sweep.c -- `rnnlab sweep`: run an ablation sweep and write its report. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/fileio.h"
#include "lab/sweep.h"

static const char usage[] =
    "usage: rnnlab sweep SWEEP.ini [-j N] [--dry-run] [--force] [--rerun-failed] [--out DIR]\n"
    "                  [--set SECTION.KEY=VALUE]... [--unset SECTION.KEY]...\n"
    "\n"
    "Expands a sweep file ([sweep] base, mode, axes, seeds; see configs/ablations/)\n"
    "into runs, validates every run before any starts, trains the runs that are not\n"
    "finished yet as separate processes, and writes OUT/runs.csv, summary.md,\n"
    "summary.csv and SVG plots. Runs live in OUT/runs/<hash> (OUT/runs/INDEX.md names\n"
    "each one's variant and seed; its log.txt holds its log); an interrupted sweep\n"
    "continues where it stopped when started again, resuming interrupted runs from\n"
    "their checkpoints.\n"
    "\n"
    "options:\n" CLI_HELP_SET
    "                            (every run; validated, and part of each run's hash)\n"
    "  -j N, --jobs N            runs at a time (default 1)\n"
    "  --dry-run                 print the plan and each run's state; run nothing\n"
    "  --force                   redo finished runs from scratch\n"
    "  --rerun-failed            run failed runs again\n"
    "  --out DIR                 output folder (default: SWEEP.out beside the "
    "file)\n" CLI_HELP_PLUGIN_OPTS "\n"
    "example:\n"
    "  rnnlab sweep configs/ablations/activation_adding.ini -j 2\n";

static void print_plan(const sweep_plan *p) {
    size_t ns = p->seeds.n ? p->seeds.n : 1;
    printf("sweep %s: mode %s, base %s\n", p->path, sweep_mode_name(p->mode), p->base);
    for (size_t i = 0; i < p->nruns; i++) {
        char desc[1024];
        sweep_describe_run(p, i, desc, sizeof desc);
        printf("%s  %-10s %s\n", p->runs[i].hash, run_state_name(p->runs[i].state), desc);
    }
    printf("%zu runs (%zu variants x %zu seeds) -> %s/runs/\n", p->nruns, p->nvariants, ns,
           p->out_dir);
}

/* The last n lines of a file, printed with an indent. */
static void print_tail(const char *path, int n) {
    char *text = NULL;
    size_t len;
    rnnlab_err e;
    if (file_read_all(path, &text, &len, &e) != RNNLAB_OK) {
        printf("      (no log: %s)\n", e.msg);
        return;
    }
    while (len > 0 && text[len - 1] == '\n') text[--len] = '\0';
    size_t start = len;
    for (int k = 0; k < n && start > 0;) {
        start--;
        if (text[start] == '\n' && ++k == n) {
            start++;
            break;
        }
    }
    char *line = text + start, *nl;
    for (; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        printf("      | %s\n", line);
    }
    free(text);
}

static int report_outcome(const sweep_plan *p) {
    size_t count[RUN_BUSY + 1] = {0}, launched = 0;
    for (size_t i = 0; i < p->nruns; i++) {
        count[p->runs[i].state]++;
        launched += (size_t)p->runs[i].launched;
    }
    printf("sweep %s: %zu runs: %zu ok, %zu diverged, %zu failed, %zu unfinished, %zu running "
           "elsewhere (%zu run now)\n",
           p->name, p->nruns, count[RUN_OK], count[RUN_DIVERGED], count[RUN_FAILED],
           count[RUN_UNFINISHED] + count[RUN_PENDING], count[RUN_BUSY], launched);
    printf("summary: %s/summary.md\n", p->out_dir);
    if (!count[RUN_FAILED]) return 0;
    printf("\nfailed runs:\n");
    for (size_t i = 0; i < p->nruns; i++) {
        const sweep_run *r = &p->runs[i];
        if (r->state != RUN_FAILED) continue;
        char desc[1024];
        sweep_describe_run(p, i, desc, sizeof desc);
        if (r->signal)
            printf("  %s  signal %-3d %s\n", r->hash, r->signal, desc);
        else
            printf("  %s  exit %-5d %s\n", r->hash, r->exit_code, desc);
        char *log = sweep_run_file(p, i, "log.txt");
        if (log) print_tail(log, 5);
        free(log);
    }
    printf("(re-run them with --rerun-failed)\n");
    return 1;
}

static int run(int argc, char **argv) {
    cli_plugin_opts po = {0};
    cli_list sets = {0}, unsets = {0};
    long jobs = 1;
    int dry_run = 0, force = 0, rerun_failed = 0;
    const char *out = NULL;
    const cli_option opts[] = {
        {"--jobs", "-j", CLI_LONG, &jobs, 1, 1024},
        {"--dry-run", NULL, CLI_FLAG, &dry_run, 0, 0},
        {"--force", NULL, CLI_FLAG, &force, 0, 0},
        {"--rerun-failed", NULL, CLI_FLAG, &rerun_failed, 0, 0},
        {"--out", NULL, CLI_STRING, &out, 0, 0},
        CLI_OPT_SET(&sets),
        CLI_OPT_UNSET(&unsets),
        CLI_OPT_PLUGIN_PATH(&po),
        CLI_OPT_ALLOW_UNSAFE(&po),
        CLI_OPT_END,
    };
    const char *pos[1];
    int npos, rc = cli_parse(argc, argv, opts, usage, pos, 1, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    if (npos != 1) return cli_usage_error("sweep", "expected one SWEEP.ini file");
    cli_apply_plugin_opts(&po);
    rnnlab_err err;
    err_clear(&err);
    sweep_plan *p = NULL;
    rc = sweep_load(&p, pos[0], &err);
    if (rc == RNNLAB_OK && out) {
        free(p->out_dir);
        p->out_dir = strdup(out);
        if (!p->out_dir) rc = err_set(&err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    if (rc == RNNLAB_OK) rc = sweep_add_overrides(p, sets.v, sets.n, unsets.v, unsets.n, &err);
    if (rc == RNNLAB_OK) {
        p->notes = stderr;
        rc = sweep_resolve(p, po.plugin_path, &err);
    }
    if (rc != RNNLAB_OK) {
        sweep_free(p);
        return cli_fail(&err);
    }
    if (dry_run) {
        sweep_scan(p);
        print_plan(p);
        sweep_free(p);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        sweep_free(p);
        fprintf(stderr, "rnnlab: error: cannot find the rnnlab binary (/proc/self/exe): %s\n",
                strerror(errno));
        return status_exit_code(RNNLAB_ERR_IO);
    }
    exe[n] = '\0';
    sweep_opts o = {exe, po.plugin_path, jobs, force, rerun_failed, stdout};
    rc = sweep_execute(p, &o, &err);
    rnnlab_err rerr;
    err_clear(&rerr);
    int rep = sweep_report(p, &rerr);
    int code = report_outcome(p);
    if (rep != RNNLAB_OK) code = cli_fail(&rerr);
    if (rc != RNNLAB_OK) code = cli_fail(&err);
    sweep_free(p);
    return code;
}

const cli_command cli_cmd_sweep = {
    "sweep", "run an ablation sweep (configs/ablations/): seeds x variants -> tables, plots", usage,
    run};
