/* diagnostics.h -- what vanishing and exploding gradients look like from
 * inside a training run: the gradient reaching each time step, the growth
 * rate of W_hh, and how many units sit where the activation's derivative is
 * (nearly) zero. Recorded every [diagnostics] every steps as split=diag rows
 * of metrics.csv:
 *   dh_norm_t<k>         ||dL/dh_t|| at step k of the batch (top layer), mean
 *                        over the sequences real at k
 *   spectral_radius_<l>  of each rnn.weight_hh_<l> (power iteration)
 *   saturated_frac       tanh-like or sigmoid-like activations: fraction of
 *                        top-layer units within 0.01 of a bound
 *   dead_frac            relu-like activations: units never positive in
 *                        the batch
 * The activation's shape is probed through its ops: the core never knows
 * which plugin it holds. */
#ifndef RNNLAB_CORE_DIAGNOSTICS_H
#define RNNLAB_CORE_DIAGNOSTICS_H

#include "trainer.h"

/* Records the rows above for the step just taken: tr->dh_norms must hold
 * the backward pass's norms for tr->batch. */
void diagnostics_record(trainer *tr);

#endif
