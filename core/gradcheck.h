/* gradcheck.h -- `rnnlab gradcheck`: every BPTT gradient of the configured
 * model against central finite differences, in double precision.
 *
 * The first training batch drives a small copy of the configured model (H
 * at most 3, T at most 4, B at most 2, the same cell, layers, directions,
 * head and loss), so that every parameter can be perturbed. */
#ifndef RNNLAB_CORE_GRADCHECK_H
#define RNNLAB_CORE_GRADCHECK_H

#include <stdio.h>

#include "session.h"

/* Prints a table (one line per tensor) to out (may be NULL); fails with
 * RNNLAB_ERR_NUMERIC if any relative error is not below tol. */
int gradcheck_run(const session_args *sargs, double tol, FILE *out, rnnlab_err *err);

#endif
