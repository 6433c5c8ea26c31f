/* verify.h -- `rnnlab verify`: does a finished run reproduce bit for bit?
 *
 * The run is trained again from its recorded config.ini, in this process,
 * into a fresh temporary folder, and the SHA-256 of its model tensors (the
 * parameters of last.safetensors, leaving out optimizer state) and of its
 * metrics.csv are compared with the recorded ones. The checkpoint file's own
 * hash is printed too, for information: it also covers metadata such as
 * timings, which may differ. */
#ifndef RNNLAB_LAB_VERIFY_H
#define RNNLAB_LAB_VERIFY_H

#include <stdio.h>
#include "core/error.h"

/* Re-runs the finished run in run_dir (its meta.json must say "ok"), paths
 * resolved as the run recorded them, and sets *same to 1 when the parameter
 * and metrics hashes both match. Prints the hashes to out (may be NULL). */
int verify_run(const char *run_dir, const char *plugin_path, FILE *out, int *same, rnnlab_err *err);

#endif
