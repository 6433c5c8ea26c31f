/* host.h -- the services table handed to plugins (rnnlab_host).
 *
 * One host per process (or per check). It routes plugin errors into the
 * rnnlab_err the core is currently filling, counts live allocations so
 * leaks are visible, and provides the xoshiro256** random streams. */
#ifndef RNNLAB_CORE_HOST_H
#define RNNLAB_CORE_HOST_H

#include <stdio.h>
#include "error.h"

/* Creates a host. Its set_error writes into *sink until host_set_sink
 * changes it. Log lines at or above `log_level` go to `log_file` (NULL:
 * discarded). The caller owns the host and frees it with host_destroy. */
rnnlab_host *host_create(rnnlab_err *sink, FILE *log_file, int log_level);
void host_destroy(rnnlab_host *host);

/* Redirects plugin errors into `sink`. */
void host_set_sink(rnnlab_host *host, rnnlab_err *sink);

/* Blocks allocated through host->alloc and not yet freed. */
long host_live_blocks(const rnnlab_host *host);

/* The RNG, also for the core's own use. */
void rng_seed(rnnlab_rng *rng, uint64_t seed, uint64_t stream);
uint64_t rng_next(rnnlab_rng *rng);
double rng_uniform(rnnlab_rng *rng);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t rng_below(rnnlab_rng *rng, uint64_t n);
/* Standard normal (Box-Muller, deterministic). */
double rng_normal(rnnlab_rng *rng);

#endif
