/* select.h -- which epoch's checkpoint is the best, and when to stop.
 *
 * [train] select names a metric recorded at the end of every epoch:
 * dev/loss (the default), dev/accuracy, dev/perplexity, dev/bits_per_token
 * (whichever the dev pass of this data records, see metric.h), or
 * train/epoch_loss. [train] select_goal says which way is better: min, max,
 * or auto (max for accuracy, min for the others). The selected metric
 * decides three things together, so they never disagree:
 *  - best.safetensors is written at every epoch that strictly improves on
 *    the best value so far (a tie keeps the earlier checkpoint);
 *  - early stopping ([train] patience) counts epochs without improvement;
 *  - the plateau schedule decays the learning rate on the same signal.
 * Without a dev split, a dev metric never improves: no best.safetensors,
 * no early stop (as before select existed); the run says so at the start. */
#ifndef RNNLAB_CORE_SELECT_H
#define RNNLAB_CORE_SELECT_H

#include "metric.h"

typedef struct select_rule {
    char name[64];      /* "dev/accuracy", for messages and checkpoints */
    const char *metric; /* the metric's name after the split, inside name */
    int train;          /* 1: train/epoch_loss; 0: a dev pass metric */
    int maximize;
} select_rule;

/* Resolves [train] select and select_goal for session s, whose data is open:
 * the metric must be one this run records every epoch, else the error
 * names the config line, the metrics it could be and the closest one. */
int select_resolve(const session *s, select_rule *r, rnnlab_err *err);

/* The value before any epoch: the worst there is (+inf or -inf). */
double select_start(const select_rule *r);

/* The epoch's value of the selected metric, from its dev pass (dev.count
 * == 0: no dev split) and its mean training loss; NaN if the epoch has none. */
double select_value(const select_rule *r, const session *s, const eval_result *dev,
                    double epoch_loss);

/* "dev/accuracy max": the rule as checkpoints record it, so a resumed run
 * continues the same selection. */
void select_key(const select_rule *r, char *buf, size_t size);

/* Is value strictly better than best? NaN never is. */
int select_improves(const select_rule *r, double value, double best);

#endif
