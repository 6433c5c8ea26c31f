/* trainer.h -- the state of one training run, and what every file that
 * drives a model through data shares: batch buffers, one batch from the
 * loader, scoring with the loss plugin, metrics rows, the model and
 * optimizer state. train.c (the loop), evaluate.c (dev and test passes,
 * `rnnlab eval`), gradcheck.c and run_files.c (the run folder) build on it;
 * it calls none of them. Internal to core/. */
#ifndef RNNLAB_CORE_TRAINER_H
#define RNNLAB_CORE_TRAINER_H

#include <stdint.h>
#include <stdio.h>

#include "runlog.h"
#include "select.h"
#include "session.h"

/* Everything the loop needs, allocated before the first step. */
typedef struct trainer {
    session *s;
    FILE *out;                 /* progress and summaries; NULL: silent */
    int progress_bar;          /* redraw one line instead of log lines */
    uint64_t stop_after_steps; /* act as if interrupted after this step (0: never) */
    const char *run_dir;       /* exact run folder (--run-dir), or NULL */
    model *m;
    size_t ntensors;
    rnnlab_real **opt_state; /* per tensor: state_slots arrays */
    size_t slots;
    char **opt_names; /* "optim.<tensor>.<slot>", ntensors * slots */
    rnnlab_batch batch;
    rnnlab_real *dlogits;
    double *dh_norms;
    double *diag_v, *diag_u;   /* power-iteration vectors, (H) */
    unsigned char *diag_alive; /* per unit: positive anywhere in the batch */
    float *carry_saved;        /* the carried state, kept across a dev pass */
    char *run_path;
    int lock_fd; /* holds the run folder's lock (run_folder.h); -1: none */
    char *ckpt_last, *ckpt_best;
    runlog metrics; /* metrics.csv */
    /* progress */
    uint64_t step; /* optimizer steps taken */
    long epoch;    /* epochs completed */
    double lr_scale;
    /* The metric that picks best.safetensors and drives early stopping and
     * the plateau schedule; best_dev is its best value so far. */
    select_rule select;
    double best_dev;
    long bad_epochs;  /* for early stopping */
    long plateau_bad; /* for the plateau schedule */
    char *tok_state;  /* tokenizer and label state, for checkpoints */
    char *labels;
    char *label_names; /* class names, one per line, for `rnnlab tag` */
    double t_start;
    double train_seconds;
    uint64_t tokens_total; /* real (unpadded) tokens trained on */
    int finished;
    /* Position inside the current epoch, for a checkpoint written on
     * interrupt: the next batch, and the epoch's running loss so far. */
    size_t batch_next;
    double epoch_loss_sum;
    size_t epoch_batches;
} trainer;

/* Allocates every batch array at the loader's declared (max_len,
 * batch_size); batch_free releases them. */
int trainer_batch_alloc(rnnlab_batch *b, const rnnlab_data_info *info);
void trainer_batch_free(rnnlab_batch *b);
/* Asks the loader for batch i of a split and checks the shape it claims. */
int trainer_next_batch(trainer *tr, rnnlab_split split, size_t i, rnnlab_err *err);
/* Runs the model forward over the current batch (batch i of its split;
 * a stateful stream carries its state from batch i - 1). */
int trainer_forward(trainer *tr, size_t i, rnnlab_real **logits, size_t *rows, rnnlab_err *err);
/* Scores logits (rows, C) against the current batch's targets. */
int trainer_score(trainer *tr, const rnnlab_real *logits, size_t rows, double *loss,
                  size_t *correct, size_t *counted, rnnlab_real *dlogits, rnnlab_err *err);
/* The learning rate now: the optimizer's base rate times the schedule. */
double trainer_lr(const trainer *tr);
/* The activation's shape, probed through its ops (the core never knows
 * which plugin it holds): bounded in (-1, 1) like tanh, in (0, 1) like
 * sigmoid, or unbounded above with 0 below like relu. The diagnostics
 * record saturated units for the first two and dead units for the last. */
enum { ACT_OTHER, ACT_SYMMETRIC, ACT_UNIT, ACT_RECTIFIED };
int trainer_activation_shape(const session *s);

/* A metric a run records: metrics.csv's split and metric columns. */
typedef struct metric_name {
    char split[16];
    char name[48];
} metric_name;

/* The (split, metric) pairs a run of this session will record, into
 * out[0..cap); returns how many there are (which may exceed cap). The
 * session's data must be open: what is recorded depends on the loss
 * (accuracy for class targets), the loader (perplexity and bits_per_token
 * for a language model; dev and test only when it has those splits) and
 * the config ([diagnostics] every, the model's layers). The writers of
 * rows (train.c, evaluate.c, diagnostics.c) and this list change together;
 * tests/core/test_train.c checks every row of a real run against it. */
size_t trainer_metric_names(const session *s, metric_name *out, size_t cap);

/* Appends one metrics.csv row at the current step. */
void trainer_metric(trainer *tr, const char *split, const char *name, double value);
/* The model, optimizer state and workspaces for s (opened, with data). */
int trainer_make(trainer *tr, rnnlab_err *err);
void trainer_free(trainer *tr);
/* Copies the tokenizer, label and class-name state for checkpoints. */
int trainer_fetch_state(trainer *tr, rnnlab_err *err);

#endif
