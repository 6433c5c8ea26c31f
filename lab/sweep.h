/* sweep.h -- ablation sweeps: a plan of runs from one INI file, validated
 * up front, run as separate `rnnlab train` processes, resumable.
 *
 * A sweep file is an ordinary INI file (config.h) with a [sweep] section:
 *
 *   [sweep]
 *   base = ../adding.ini          ; relative to the sweep file
 *   mode = grid                   ; grid | zip | ofat | random
 *   seeds = 1..5                  ; or an axis `train.seed = 1..5`
 *   model.activation = tanh, relu, sigmoid
 *   optimizer.lr = log(1e-3, 1e-1, 3)
 *   metric = dev/loss             ; the summary's main metric (split/name)
 *   goal = min                    ; min | max: which value is best
 *   select = final                ; final | best: the epoch a run is scored at
 *   samples = 8                   ; random mode: how many variants to draw
 *   seed = 1                      ; random mode: the draw's seed
 *
 * Axis values: `v1, v2, v3`, `a..b` (integers, inclusive), `log(a, b, n)`
 * (n values spaced geometrically) or `lin(a, b, n)` (evenly). Every other
 * section of the sweep file ([train], [data], ...) overrides the base config
 * for every run; relative PATH values there are taken relative to the sweep
 * file.
 *
 * A variant is one assignment of the swept keys other than the seed; the
 * runs are the variants crossed with the seeds:
 *   grid    every combination of the axes;
 *   zip     the i-th values of every axis together (equal lengths);
 *   ofat    the baseline (the first value of every axis), then each other
 *           value of each axis alone, the other axes at their baseline;
 *   random  `samples` distinct combinations drawn uniformly from the axes'
 *           values with the given seed (reproducible).
 * Each variant's baseline (the summary's Δ column): in ofat the baseline
 * variant; otherwise the variant with the first axis at its first value and
 * every other axis unchanged, so the first axis is the factor under study
 * and the others are conditions. A variant that is its own baseline has none.
 *
 * Run folders: OUT/runs/<hash>, hash = the first 16 hex digits of the
 * SHA-256 of the run's fully resolved config (what `rnnlab config show`
 * prints for it). The base path is made absolute first, so the hash does not
 * depend on the folder the sweep is started from.
 *
 * Markers in a run folder: DONE, written last and atomically by the sweep
 * that ran it ("status = ok|diverged|failed" plus the exit code, signal
 * and steps), and CLAIM. Re-running a sweep skips runs whose DONE says ok
 * or diverged, re-runs unfinished runs (no DONE), re-runs failed runs only
 * with rerun_failed, and redoes everything (the folder is emptied first)
 * only with force. A finished run is otherwise never touched.
 *
 * Claims: exactly once, across processes, PID namespaces and hosts that
 * share OUT. A sweep runs a run only while it holds the lock of the run's
 * CLAIM file (core/lockfile.h: an OFD lock the kernel -- or the NFS server,
 * for a client that is gone -- releases when the holder ends, however it
 * ends). CLAIM also holds a record of the holder: host, pid, boot id, the
 * time it was taken and $SLURM_JOB_ID, $SLURM_ARRAY_JOB_ID and
 * $SLURM_ARRAY_TASK_ID when set. How a claim is judged:
 *   live   its lock is held. Nothing else counts: no pid is compared (pids
 *          mean nothing across hosts or PID namespaces) and no clock.
 *   free   its lock is not held and the record is empty: the last holder
 *          released it (after writing DONE, or after its run was
 *          interrupted).
 *   stale  its lock is not held but a record remains: the holder ended
 *          without releasing it (kill -9, scancel, preemption, a lost
 *          node). The next sweep takes it over and says whose it was in its
 *          progress line.
 * A run is busy when its claim is live, or when a `train` process still
 * holds the run folder's own lock (core/run_folder.h; say the child of a
 * sweep that was killed, finishing its last step). A sweep that takes a
 * claim reads DONE again under it, since DONE is written before a claim
 * is released; so a run another sweep finished meanwhile is not run again.
 * Lock files are never removed.
 *
 * Liveness across hosts needs a shared file system whose locks are seen by
 * every client (NFSv4, NFSv3 with lockd, Lustre with -o flock, GPFS,
 * CephFS); on a mount with local-only locks (NFS with `nolock`) two hosts
 * can run the same run.
 *
 * Ownership: sweep_load allocates the plan; sweep_free releases it. */
#ifndef RNNLAB_LAB_SWEEP_H
#define RNNLAB_LAB_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/error.h"

typedef enum sweep_mode { SWEEP_GRID = 0, SWEEP_ZIP, SWEEP_OFAT, SWEEP_RANDOM } sweep_mode;

typedef struct sweep_axis {
    char *key;     /* "section.key" */
    char **values; /* expanded value texts */
    size_t n;
    int line; /* in the sweep file */
} sweep_axis;

typedef enum run_state {
    RUN_PENDING = 0, /* not looked at yet */
    RUN_OK,
    RUN_DIVERGED,
    RUN_FAILED,
    RUN_UNFINISHED, /* interrupted, or never started */
    RUN_BUSY        /* claimed by another live sweep process */
} run_state;

typedef struct sweep_run {
    size_t variant; /* index into the plan's variants */
    size_t seed;    /* index into the seed axis (0 when there is none) */
    char hash[17];
    char *seed_value; /* the resolved [train] seed */
    run_state state;
    int launched; /* run (or re-run) by this sweep process */
    int exit_code, signal;
    long steps, diverged_step; /* -1: unknown / did not diverge */
} sweep_run;

typedef struct sweep_plan {
    char *path;    /* the sweep file */
    char *name;    /* its base name without .ini */
    char *base;    /* the base config, absolute */
    char *out_dir; /* default: <sweep folder>/<name>.out */
    sweep_mode mode;
    sweep_axis *axes; /* swept keys except the seed, in file order */
    size_t naxes;
    sweep_axis seeds; /* key "train.seed"; n == 0 when not swept */
    size_t *variants; /* (nvariants, naxes): value index per axis */
    size_t nvariants;
    size_t *baseline; /* per variant: its baseline variant, or SIZE_MAX */
    char **overrides; /* "section.key=value" from the other sections */
    size_t noverrides;
    sweep_run *runs; /* variant-major, seeds inner */
    size_t nruns;
    char **cli_sets; /* --set on the command line: after the file's sections */
    size_t ncli_sets;
    char **unsets; /* --unset keys the base config has, for every run */
    size_t nunsets;
    int seeds_key;   /* the seeds came from `seeds =` (else `train.seed =`) */
    int metric_line; /* of `metric =` in the sweep file, 0 if defaulted */
    FILE *notes;     /* where sweep_resolve says what it did on the user's
                        behalf (a switched component's dropped keys); NULL */
    char metric_split[32], metric_name[64];
    int goal_max, select_best;
    size_t samples;
    uint64_t draw_seed;
    int resolved; /* sweep_resolve succeeded: hashes are filled */
} sweep_plan;

/* Parses one axis value list (see above) into malloc'd strings. On error
 * returns RNNLAB_ERR_INVALID with a message saying what was expected (the
 * caller adds FILE:LINE). */
int sweep_parse_axis(const char *text, char ***values, size_t *n, rnnlab_err *err);

/* Reads and expands a sweep file: axes, variants, runs. Errors name the
 * sweep file and line. Does not open the base config (see sweep_resolve). */
int sweep_load(sweep_plan **out, const char *path, rnnlab_err *err);
void sweep_free(sweep_plan *p);

/* The "section.key=value" assignments of run i (the file's overrides, the
 * command line's, then the axes, then the seed), malloc'd; free with
 * sweep_free_sets. p->unsets come before them. */
int sweep_run_sets(const sweep_plan *p, size_t i, char ***sets, size_t *nsets);
void sweep_free_sets(char **sets, size_t n);

/* Adds the command line's overrides: `--set section.key=value` applies to
 * every run after the sweep file's own sections (so it wins over them);
 * `--unset section.key` removes the key from the sweep file's sections and
 * the base config. Overriding or unsetting a swept key is an error naming
 * its axis's line, and so is an unset key that neither the base nor the
 * sweep file sets. Values are validated by sweep_resolve, like the file's. */
int sweep_add_overrides(sweep_plan *p, const char *const *sets, size_t nsets,
                        const char *const *unsets, size_t nunsets, rnnlab_err *err);

/* Validates the seeds, then every value of every axis against the
 * component schemas (one session per value, the other axes at their first
 * value), then every run's config, and fills each run's hash; checks the
 * summary's metric against what the runs will record (opening each
 * distinct data set once). Errors: "SWEEP:LINE: axis model.activation
 * value 'tahn': ...", "SWEEP:LINE: metric = dev/bits_per_char: ... did you
 * mean 'dev/bits_per_token'?". */
int sweep_resolve(sweep_plan *p, const char *plugin_path, rnnlab_err *err);

/* The run hash of a resolved config text. */
void sweep_hash_text(const char *text, size_t len, char out[17]);

typedef struct sweep_opts {
    const char *exe;         /* the rnnlab binary to run */
    const char *plugin_path; /* forwarded as --plugin-path, may be NULL */
    long jobs;               /* runs at a time, >= 1 */
    int force, rerun_failed;
    FILE *out; /* one line per started/finished run; NULL: silent */
} sweep_opts;

/* Runs every run of a resolved plan that needs running, `jobs` at a time,
 * each as `EXE train BASE --unset ... --set ... --run-dir OUT/runs/<hash>` with
 * its output (progress lines, summaries, errors) in the run's log.txt, and
 * records every run's state in p->runs. An unfinished run (no DONE) that
 * left a last.safetensors continues from it (`EXE train --resume DIR`,
 * appending to its log.txt) unless force; the progress lines count the runs
 * done and give an ETA from the durations of those finished so far.
 * While it runs, SIGINT and SIGTERM are caught: the sweep stops launching,
 * forwards SIGINT to its children, waits for them, removes their claims and
 * returns RNNLAB_ERR_INTERRUPTED (their runs stay unfinished). Failed and
 * diverged runs are not errors here: see p->runs. */
int sweep_execute(sweep_plan *p, const sweep_opts *o, rnnlab_err *err);

/* Fills each run's state from its folder (DONE, and whether its claim or
 * run folder lock is held: RUN_BUSY) without running or locking anything:
 * a report of a sweep that is still going, or was interrupted. */
void sweep_scan(sweep_plan *p);

/* OUT/runs/INDEX.md: a table of the run folders (hash names) with each
 * run's variant and seed in words and its state. Written when a sweep
 * starts and again by sweep_report. */
int sweep_write_index(const sweep_plan *p, rnnlab_err *err);

/* Re-reads every run's state (sweep_scan) and writes runs.csv,
 * summary.csv, summary.md, the SVG plots into p->out_dir and
 * OUT/runs/INDEX.md, holding OUT/.report.lock throughout: when several
 * sweeps share OUT, each writes a report at least as new as any written
 * before it, and the last one (written after every run ended) shows every
 * run finished. */
int sweep_report(sweep_plan *p, rnnlab_err *err);

const char *run_state_name(run_state s);

/* "grid", "zip", "ofat" or "random". */
const char *sweep_mode_name(sweep_mode m);

/* Run i in words: its swept values and seed ("model.activation=relu
 * seed=2"), into buf. */
void sweep_describe_run(const sweep_plan *p, size_t i, char *buf, size_t size);

/* OUT/runs/<hash>/<name> for run i, malloc'd (NULL when out of memory). */
char *sweep_run_file(const sweep_plan *p, size_t i, const char *name);

#endif
