/* run_files.h -- what a training run leaves on disk: checkpoints (with
 * everything a resume needs), meta.json, the run folder and metrics.csv.
 * See train.h for the folder's layout. Internal to core/. */
#ifndef RNNLAB_CORE_RUN_FILES_H
#define RNNLAB_CORE_RUN_FILES_H

#include "checkpoint.h"
#include "trainer.h"

/* Writes params, optimizer state, carried state and training position. */
int run_save_checkpoint(trainer *tr, const char *path, rnnlab_err *err);
/* Restores params (and optimizer state when with_state), checking names,
 * dtypes and shapes against the model. */
int run_load_weights(trainer *tr, const ckpt *c, const char *path, int with_state, rnnlab_err *err);
/* Restores everything a resumed run needs from its last checkpoint. */
int run_resume(trainer *tr, const ckpt *c, const char *path, rnnlab_err *err);
/* meta.json, atomically; status "running", "ok", "diverged", ... */
int run_write_meta(trainer *tr, const char *status, const char *message, rnnlab_err *err);
/* metrics.csv: new, or on resume cut back to the checkpoint's step. */
int run_open_metrics(trainer *tr, int resume, rnnlab_err *err);

#endif
