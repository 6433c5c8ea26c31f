/* cell.h -- the recurrent cell behind the model, as an ops table.
 *
 * model.c owns everything that is the same for every cell: the parameter
 * tensors and their names, the input projection of all T steps as one GEMM,
 * padding, carry, directions, layers, the head, and the weight gradients as
 * one GEMM over all T*B rows after the backward sweep. A cell does one time
 * step for the whole batch; the model calls it in either direction of time.
 * Adding an LSTM or GRU means writing another table, not touching the
 * trainer or the model's bookkeeping.
 *
 * Parameters per (layer, direction) are the four tensors every torch.nn
 * recurrent module has:
 *   weight_ih (G*H, in), weight_hh (G*H, H), bias_ih (G*H), bias_hh (G*H)
 * with G = gates (Elman 1, GRU 3, LSTM 4), gates stacked along the rows.
 *
 * Step contract (row-major, B rows of a batch):
 *   forward:  on entry z (B, G*H) holds x_t W_ih^T + b_ih; the cell adds its
 *             recurrent part, leaves in z what its backward needs (the
 *             pre-activations) and writes h (B, H) from h_prev (B, H).
 *   backward: from dh (B, H) = dL/dh_t and what forward left, writes
 *             dz (B, G*H) = dL/dz_t and dh_prev (B, H) = dL/dh_{t-1}. Rows
 *             with live[b] == 0 are padding: their dz must be 0 before dz
 *             reaches dh_prev; the model then overwrites their dh_prev.
 * The model derives dW_ih, db_ih, dx and also dW_hh, db_hh from dz. That is
 * exact for cells whose recurrent pre-activation is summed with the input one
 * before any nonlinearity (Elman, LSTM); a GRU would append a separate
 * dz_h output, and an LSTM a second state (c) next to h.
 *
 * Both precisions run the same code (model_impl.h): f32 for training, f64
 * for gradient checks. Steps never allocate. */
#ifndef RNNLAB_CORE_CELL_H
#define RNNLAB_CORE_CELL_H

#include <stddef.h>
#include <stdint.h>
#include "rnnlab/plugin.h"

/* The activation a cell applies, borrowed from the model spec. */
typedef struct cell_act {
    const rnnlab_activation_ops *ops;
    const void *self;
} cell_act;

typedef struct cell_fwd_f32 {
    size_t B, H;
    const float *w_hh;   /* (G*H, H) */
    const float *b_hh;   /* (G*H) */
    const float *h_prev; /* (B, H) */
    float *z;            /* (B, G*H) in: input projection; out: kept for backward */
    float *h;            /* (B, H) out */
} cell_fwd_f32;

typedef struct cell_bwd_f32 {
    size_t B, H;
    const float *w_hh;   /* (G*H, H) */
    const float *z;      /* (B, G*H) as forward left it */
    const float *h;      /* (B, H) forward's output (padding rows: anything) */
    const float *h_prev; /* (B, H) */
    const uint8_t *live; /* (B) 1 = real step, 0 = padding */
    const float *dh;     /* (B, H) dL/dh_t */
    float *dz;           /* (B, G*H) out */
    float *dh_prev;      /* (B, H) out */
} cell_bwd_f32;

typedef struct cell_fwd_f64 {
    size_t B, H;
    const double *w_hh, *b_hh, *h_prev;
    double *z, *h;
} cell_fwd_f64;

typedef struct cell_bwd_f64 {
    size_t B, H;
    const double *w_hh, *z, *h, *h_prev;
    const uint8_t *live;
    const double *dh;
    double *dz, *dh_prev;
} cell_bwd_f64;

/* Every op returns 0 or a negative rnnlab_status; a failing activation has
 * already recorded its message through the host. */
typedef struct cell_ops {
    const char *name; /* "elman" */
    size_t gates;     /* G */
    int (*forward_f32)(const cell_act *act, const cell_fwd_f32 *a);
    int (*backward_f32)(const cell_act *act, const cell_bwd_f32 *a);
    int (*forward_f64)(const cell_act *act, const cell_fwd_f64 *a);
    int (*backward_f64)(const cell_act *act, const cell_bwd_f64 *a);
} cell_ops;

/* h_t = act(z_t + h_{t-1} W_hh^T + b_hh), torch.nn.RNN's cell. */
extern const cell_ops cell_elman;

#endif
