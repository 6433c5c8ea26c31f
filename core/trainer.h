/* trainer.h -- internal to the training code (train.c, run_files.c,
 * evaluate.c): the state of one training run and the pieces those files
 * share. Nothing outside those three files includes it. */
#ifndef RNNLAB_CORE_TRAINER_H
#define RNNLAB_CORE_TRAINER_H

#include <stdio.h>

#include "checkpoint.h"
#include "train.h"

/* Everything the loop needs, allocated before the first step. */
typedef struct trainer {
    session *s;
    const train_args *args;
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
    char *run_path;
    char *ckpt_last, *ckpt_best, *metrics_path;
    FILE *metrics;
    /* progress */
    uint64_t step; /* optimizer steps taken */
    long epoch;    /* epochs completed */
    double lr_scale;
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

typedef struct eval_result {
    double loss; /* mean over scored targets */
    double accuracy;
    size_t count;
} eval_result;

/* ---- train.c: batches, metrics, set-up ---------------------------------- */

/* Allocates every batch array at the loader's declared (max_len,
 * batch_size); batch_free releases them. */
int trainer_batch_alloc(rnnlab_batch *b, const rnnlab_data_info *info);
void trainer_batch_free(rnnlab_batch *b);
/* Asks the loader for batch i of a split and checks the shape it claims. */
int trainer_next_batch(trainer *tr, rnnlab_split split, size_t i, rnnlab_err *err);
/* Scores logits (rows, C) against the current batch's targets. */
int trainer_score(trainer *tr, const rnnlab_real *logits, size_t rows, double *loss,
                  size_t *correct, size_t *counted, rnnlab_real *dlogits, rnnlab_err *err);
/* A language model (stateful stream): perplexity and bits are reported. */
int trainer_is_lm(const session *s);
/* The learning rate now: the optimizer's base rate times the schedule. */
double trainer_lr(const trainer *tr);
/* Appends one metrics.csv row at the current step. */
void trainer_metric(trainer *tr, const char *split, const char *name, double value);
/* The model, optimizer state and workspaces for s (opened, with data). */
int trainer_make(trainer *tr, rnnlab_err *err);
void trainer_free(trainer *tr);
/* Copies the tokenizer, label and class-name state for checkpoints. */
int run_fetch_state(trainer *tr, rnnlab_err *err);

/* ---- run_files.c: the run folder ----------------------------------------- */

char *run_path_join(const char *a, const char *b);
/* Writes params, optimizer state, carried state and training position. */
int run_save_checkpoint(trainer *tr, const char *path, rnnlab_err *err);
/* Restores params (and optimizer state when with_state), checking names,
 * dtypes and shapes against the model. */
int run_load_weights(trainer *tr, const ckpt *c, const char *path, int with_state, rnnlab_err *err);
/* Restores everything a resumed run needs from its last checkpoint. */
int run_resume(trainer *tr, const ckpt *c, const char *path, rnnlab_err *err);
/* meta.json, atomically; status "running", "ok", "diverged", ... */
int run_write_meta(trainer *tr, const char *status, const char *message, rnnlab_err *err);
/* A fresh run folder (or the one --run-dir names). */
int run_choose_dir(trainer *tr, rnnlab_err *err);
/* metrics.csv: new, or on resume cut back to the checkpoint's step. */
int run_open_metrics(trainer *tr, int resume, rnnlab_err *err);

/* ---- evaluate.c ----------------------------------------------------------- */

/* Loss and accuracy over one pass of a split (no gradients). */
int trainer_evaluate(trainer *tr, rnnlab_split split, eval_result *res, rnnlab_err *err);
void trainer_log_eval(trainer *tr, const char *split, const eval_result *r);
void trainer_print_eval(trainer *tr, const char *split, const eval_result *r);

#endif
