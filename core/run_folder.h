/* run_folder.h -- the run folder: which one, and that one process at a time
 * writes it.
 *
 * The process that trains a run holds the lock of its folder (lockfile.h,
 * the file RUN_LOCK_FILE in the folder) from before it reads anything of
 * the run until it ends; the kernel releases it however the process ends.
 * A second `train` into the folder, or a `--resume` of it, fails with a
 * message naming the holder. Holding the lock also makes the folder's
 * leftover temp files (from an atomic write cut short by kill -9) safe to
 * remove, which both functions below do. Internal to core/. */
#ifndef RNNLAB_CORE_RUN_FOLDER_H
#define RNNLAB_CORE_RUN_FOLDER_H

#include "lockfile.h"
#include "trainer.h"

#define RUN_LOCK_FILE ".lock"

/* The files a run writes into its folder, checkpoints first (so a removal
 * cut short never leaves a resumable checkpoint without its metrics);
 * NULL-terminated. */
extern const char *const run_folder_files[];

/* Chooses, creates and locks the folder of a new run: tr->run_dir exactly
 * (--run-dir), or a fresh <[train] run_dir>/<name>[-N]. A --run-dir that
 * already holds a run (any of run_folder_files) is refused unless `force`,
 * which removes that run's files first. Sets tr->run_path and
 * tr->lock_fd. */
int run_folder_new(trainer *tr, int force, rnnlab_err *err);

/* Locks an existing run's folder (to resume it) into *fd. */
int run_folder_lock(const char *dir, int *fd, rnnlab_err *err);

/* Whether a training process holds dir's lock right now (for tools that
 * look at run folders, such as sweeps); fills holder (may be NULL). */
int run_folder_busy(const char *dir, lock_holder *holder);

#endif
