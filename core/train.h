/* train.h -- the training loop and its run folder.
 *
 * Steps 3 to 7 of the data's way: batches from the loader, forward over T
 * steps, the loss plugin, backward through time, the optimizer plugin, then
 * metrics and checkpoints. The loop allocates everything before the first
 * step; the steady state allocates nothing.
 *
 * A run folder <run_dir>/<name>/ holds (and is locked while a process
 * trains it: run_folder.h):
 *   config.ini        the resolved config, every default filled in
 *   metrics.csv       step,split,metric,value (long format); a checkpoint
 *                     records how many rows it covers, and a resume keeps
 *                     exactly those
 *   meta.json         versions, plugin files and hashes, seed, timings, status
 *   last.safetensors  written at the end of every epoch, on interrupt and
 *                     when max_steps ends the run (at that step)
 *   best.safetensors  the best dev loss so far
 *   .lock             the folder's lock (run_folder.h); never removed */
#ifndef RNNLAB_CORE_TRAIN_H
#define RNNLAB_CORE_TRAIN_H

#include <stdio.h>
#include "session.h"

typedef struct train_args {
    const char *resume_dir; /* continue this run (its config is used) */
    const char *run_dir;    /* exact run folder to use, overriding [train] */
    FILE *out;              /* progress and summaries; NULL: silent */
    int progress_bar;       /* redraw one line (a TTY) instead of log lines */
    /* Behave as if interrupted once this many steps are done (0: never).
     * Lets tests interrupt at an exact step; a signal does the same at
     * whatever step it lands on. */
    uint64_t stop_after_steps;
    int force; /* replace a run already in run_dir */
    /* Write the run folder with the initial weights (last.safetensors at
     * step 0, meta.json status "initialized") and train nothing: the start
     * of an external comparison from rnnlab's own initialisation. `train
     * --resume` continues it exactly as a run that never stopped. */
    int init_only;
} train_args;

/* Trains as the session's config says. The session must be open (not its
 * data: train opens it, restoring the tokenizer when resuming). On success
 * *run_path (malloc'd, caller frees; may be NULL) names the run folder. */
int train_run(const session_args *sargs, const train_args *targs, char **run_path, rnnlab_err *err);

/* The checkpoint a path names for eval, sample and tag: a file is itself;
 * a run folder gives its best.safetensors, or its last.safetensors when
 * it has no best (a run without a dev split, or stopped before its first
 * dev pass). *ckpt is malloc'd. Error: "DIR: a run folder without
 * best.safetensors or last.safetensors (not a run, or it has not finished
 * a step)". */
int train_checkpoint_of(const char *path, char **ckpt, rnnlab_err *err);

/* Interrupt: set from a signal handler; the loop finishes its step, writes
 * a resumable checkpoint and returns RNNLAB_ERR_INTERRUPTED. */
void train_request_stop(void);

#endif
