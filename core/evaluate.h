/* evaluate.h -- scoring a model without training it: the dev and test
 * passes of a training run, and `rnnlab eval` on a file. Builds on the
 * trainer's state (trainer.h); never calls back into training. */
#ifndef RNNLAB_CORE_EVALUATE_H
#define RNNLAB_CORE_EVALUATE_H

#include <stdio.h>

#include "metric.h"
#include "trainer.h"

/* Loss and accuracy over one pass of a split (no gradients). A split the
 * loader does not have gives count == 0. The model's carried state (a
 * truncated-BPTT training stream's) is the same after the pass as before. */
int evaluate_split(trainer *tr, rnnlab_split split, eval_result *res, rnnlab_err *err);
/* metrics.csv rows for a pass: loss, accuracy (classes), perplexity and
 * bits_per_token (language models). */
void evaluate_log(trainer *tr, const char *split, const eval_result *r);
/* The same as one line to tr->out. */
void evaluate_print(trainer *tr, const char *split, const eval_result *r);

/* `rnnlab eval`: loads a checkpoint, points every file of its loader at
 * data_path (so nothing the run trained on is read), scores the split of
 * the loader's held-out file (test, dev or valid, the first its schema
 * has), and prints loss and accuracy (or perplexity) on it. */
int evaluate_checkpoint(const char *ckpt_path, const char *data_path, const char *plugin_path,
                        FILE *out, rnnlab_err *err);

#endif
