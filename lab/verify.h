/* verify.h -- `rnnlab verify`: does a finished run reproduce bit for bit?
 *
 * The run is trained again from its recorded config.ini, in this process,
 * into a fresh temporary folder, and the SHA-256 of its model tensors (the
 * parameters of last.safetensors, leaving out optimizer state) and of its
 * metrics.csv are compared with the recorded ones. The checkpoint file's own
 * hash is printed too, for information: it also covers metadata such as
 * timings, which may differ.
 *
 * Before the hashes it compares the machine record of meta.json (ISA of
 * the CPU and of the kernels, GEMM library and its ISA, threads, compiler,
 * libc) with the re-run's, so that a mismatch on another machine says why:
 * a run with [train] reproducible = machine depends on all of them, a
 * portable one only on the build. */
#ifndef RNNLAB_LAB_VERIFY_H
#define RNNLAB_LAB_VERIFY_H

#include <stdio.h>
#include "core/error.h"

typedef struct verify_opts {
    const char *plugin_path; /* may be NULL */
    long threads;            /* re-run with this many threads; 0: as recorded */
} verify_opts;

typedef struct verify_result {
    int same; /* parameter and metrics hashes both match */
    /* meta.json fields (ISA, GEMM, threads, compiler, libc, ...) that differ
     * between the run and the re-run and that the run's bits depend on under
     * its [train] reproducible mode: a mismatch is expected when > 0. */
    int machine_differs;
} verify_result;

/* Re-runs the finished run in run_dir (its meta.json must say "ok"), paths
 * resolved as the run recorded them, at the recorded thread count unless
 * o->threads says otherwise. Prints to out (may be NULL) first the machine
 * fields that differ (and whether they matter in the run's mode), then the
 * hashes. */
int verify_run(const char *run_dir, const verify_opts *o, FILE *out, verify_result *res,
               rnnlab_err *err);

#endif
