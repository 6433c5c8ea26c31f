/* run_files.h -- what a training run leaves on disk: checkpoints (with
 * everything a resume needs), meta.json, the run folder and metrics.csv.
 * See train.h for the folder's layout. Internal to core/. */
#ifndef RNNLAB_CORE_RUN_FILES_H
#define RNNLAB_CORE_RUN_FILES_H

#include "checkpoint.h"
#include "trainer.h"

/* Writes params, optimizer state, carried state, training position and how
 * many lines of metrics.csv it covers (after making them durable). */
int run_save_checkpoint(trainer *tr, const char *path, rnnlab_err *err);
/* Restores params (and optimizer state when with_state), checking names,
 * dtypes and shapes against the model. */
int run_load_weights(trainer *tr, const ckpt *c, const char *path, int with_state, rnnlab_err *err);
/* Restores everything a resumed run needs from its last checkpoint. */
int run_resume(trainer *tr, const ckpt *c, const char *path, rnnlab_err *err);
/* meta.json, atomically; status "running", "ok", "diverged", ... */
int run_write_meta(trainer *tr, const char *status, const char *message, rnnlab_err *err);
/* Opens metrics.csv (runlog.h): new, or when resuming from checkpoint c
 * (read from ckpt_path) cut back to the lines c covers. */
int run_open_metrics(trainer *tr, const ckpt *c, const char *ckpt_path, rnnlab_err *err);

#endif
