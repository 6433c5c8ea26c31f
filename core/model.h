/* model.h -- the Elman RNN: stacked, optionally bidirectional cells with a
 * linear head, forward over T steps and backward through time.
 *
 *   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)        per layer, direction
 *   logits = out.weight h + out.bias                        per step or last step
 *
 * Parameters are named and shaped exactly as torch.nn.RNN and torch.nn.Linear
 * name them (model_tensor_at), so a checkpoint loads into PyTorch:
 *   rnn.weight_ih_l{k}[_reverse] (H, in)   in = input_size for k = 0, else H*dirs
 *   rnn.weight_hh_l{k}[_reverse] (H, H)
 *   rnn.bias_ih_l{k}[_reverse]   (H)
 *   rnn.bias_hh_l{k}[_reverse]   (H)
 *   out.weight (C, H*dirs), out.bias (C)
 *
 * The batched formulation: for each layer and direction, the input
 * projections of all T steps are one GEMM (a column gather of W_ih for
 * one-hot ids), only W_hh h_{t-1} runs per step, the weight gradients are one
 * GEMM over all T*B rows after the backward sweep, and the head is one GEMM
 * over all rows. Workspaces are sized at creation for (max_T, max_B): the
 * forward/backward calls never allocate.
 *
 * Padding: mask[t][b] == 0 steps are skipped exactly as PyTorch's packed
 * sequences skip them: the state passes through unchanged, the layer's output
 * at that step is zero (as pad_packed_sequence gives), the step adds nothing
 * to the recurrent gradients, and the state carried to the next batch is the
 * one at the last real step. The reverse direction of sequence b starts at
 * its last real step lengths[b]-1. A per-step head still maps a padding
 * row's zero output to logits = out.bias; the loss's target_mask decides
 * whether that row counts (if it does, out.bias gets its gradient, exactly).
 * The mask must be 1 on precisely the first lengths[b] steps of sequence b
 * (a NULL mask is derived from lengths; NULL lengths from the mask).
 *
 * Batch arrays are indexed with the batch's own T and B: ids[t*B + b],
 * x[(t*B + b)*input_size + i], mask[t*B + b]. The model copies the input it
 * needs, so the batch may change between model_forward and model_backward.
 *
 * The recurrence itself is a cell behind an ops table (cell.h); the model is
 * written once for float and double (model_impl.h).
 *
 * Ownership: model_create allocates everything; model_free releases it. The
 * activation ops are borrowed and must outlive the model. */
#ifndef RNNLAB_CORE_MODEL_H
#define RNNLAB_CORE_MODEL_H

#include <stddef.h>
#include "error.h"

typedef enum model_init {
    MODEL_INIT_UNIFORM = 0,    /* U(-1/sqrt(H), 1/sqrt(H)) for every tensor, as torch */
    MODEL_INIT_XAVIER = 1,     /* Glorot uniform weights, zero biases */
    MODEL_INIT_ORTHOGONAL = 2, /* W_hh orthogonal * scale, W_ih xavier, zero biases */
    MODEL_INIT_IDENTITY = 3    /* W_hh = scale * I (IRNN), W_ih N(0, 0.001), zero biases */
} model_init;

typedef struct model_spec {
    rnnlab_input_kind input_kind;
    size_t input_size; /* vocabulary for IDS, features for DENSE */
    size_t hidden_size;
    size_t num_layers;
    int bidirectional;
    size_t output_size;
    rnnlab_head_kind head;
    size_t max_T, max_B; /* workspace sizes */
    const rnnlab_activation_ops *act;
    const void *act_self;
    model_init init;
    double init_scale; /* for ORTHOGONAL and IDENTITY */
    size_t threads;    /* compute threads ([train] threads); 0 or 1: one */
} model_spec;

typedef struct model_tensor {
    const char *name;
    size_t ndim;     /* 1 or 2 */
    size_t shape[2]; /* (rows, cols) or (n) */
    size_t n;        /* element count */
    float *data;
    float *grad;
} model_tensor;

typedef struct model model;

int model_create(model **out, const model_spec *spec, rnnlab_err *err);
void model_free(model *m);

/* Initialises all parameters from rng per spec->init; zeroes the carried
 * state and the gradients. Draws go tensor by tensor in model_tensor_at
 * order, elements in row-major order; zero tensors draw nothing. spec->init
 * applies to the rnn.* tensors; out.weight and out.bias always get
 * nn.Linear's default U(-1/sqrt(H*dirs), 1/sqrt(H*dirs)). Orthogonal
 * matrices are Q of the QR of a Gaussian (H, H) draw (torch's signs). */
void model_init_params(model *m, rnnlab_rng *rng);

size_t model_num_tensors(const model *m);
/* The i-th tensor in torch order, NULL for i >= model_num_tensors. */
model_tensor *model_tensor_at(model *m, size_t i);
/* Total parameter count. */
size_t model_num_params(const model *m);

/* Runs the forward pass over batch b (b->T <= max_T, b->B <= max_B). With
 * `carry`, the initial state of each layer is the state carried out of the
 * previous forward (truncated BPTT: no gradient flows into it); otherwise
 * zero. Every forward of a unidirectional model records its final states for
 * the next carry (rows >= B are zeroed); carry with a bidirectional model is
 * RNNLAB_ERR_INVALID. Sets *logits to the model's output buffer, (rows, C)
 * with rows = T*B for a per-step head (row t*B+b) or B for a last-step head,
 * valid until the next forward. A last-step head reads torch's h_n: the
 * forward direction at lengths[b]-1 and, if bidirectional, the reverse one
 * at t = 0, concatenated (a length-0 sequence gives its initial state).
 * Errors: RNNLAB_ERR_INVALID for a batch that does not fit (sizes, mask vs
 * lengths, an id outside [0, input_size) on a real step, naming t, b and the
 * id); an activation's own status and message, prefixed with the layer and
 * step. Never allocates. */
int model_forward(model *m, const rnnlab_batch *b, int carry, float **logits, size_t *rows,
                  rnnlab_err *err);

/* Backpropagates dlogits (same shape as the last forward's logits) through
 * time and ADDS the parameter gradients into each tensor's grad. Also
 * records, when `dh_norms` is non-NULL, ||dL/dh_t|| for every t of the top
 * layer (both directions' state together), averaged over the sequences that
 * are real at t (0 where none is): T values. May be called more than once
 * per forward (gradients add up). Never allocates. */
int model_backward(model *m, const float *dlogits, double *dh_norms, rnnlab_err *err);

void model_zero_grad(model *m);
/* Forgets the carried state (the next carry starts from zero). */
void model_reset_state(model *m);

/* The state each layer carries into the next forward with `carry`: (L,
 * max_B, H), *n elements. Read it to checkpoint a run in the middle of a
 * truncated-BPTT stream; write it to resume one. */
float *model_carried_state(model *m, size_t *n);

/* The top layer's hidden states of the last forward, (T, B, H*dirs); for
 * diagnostics (saturation, dead units). */
const float *model_hidden_states(const model *m);

/* ---- double precision, for gradient checks ---------------------------- */

/* Denominator floor of model_gradcheck's relative error: gradients much
 * smaller than this are in effect compared absolutely (to 1e-6 * floor for a
 * pass at 1e-6), since central differences carry ~1e-10 absolute noise in
 * double and a pure ratio would flag exact zeros against that noise. */
#define MODEL_GRADCHECK_FLOOR 1e-4

/* Evaluates loss(model(batch)) and its gradient in double precision with the
 * model's current parameters (converted to double; the float model is left
 * untouched, no carry), comparing every analytic gradient against central
 * finite differences (L(p+eps) - L(p-eps)) / 2eps. The loss batch is built
 * from b->target_ids / target_values / target_mask. worst[i] (one per
 * tensor, model_num_tensors entries) receives the worst, over the tensor's
 * elements, of
 *     |a - n| / max(|a| + |n|, MODEL_GRADCHECK_FLOOR)
 * (a analytic, n numeric; NaN counts as worst). Allocates its own double
 * workspaces for (b->T, b->B); meant for small models (it runs 2 forwards
 * per parameter). */
int model_gradcheck(model *m, const rnnlab_batch *b, const rnnlab_loss_ops *loss,
                    const void *loss_self, double eps, double *worst, rnnlab_err *err);

/* The double-precision loss and analytic gradient alone (the same path
 * model_gradcheck verifies), for comparing the float path against it.
 * grads: model_num_params doubles, tensor i starting where its data starts
 * relative to model_tensor_at(m, 0)->data. Either output may be NULL. */
int model_loss_grad_f64(model *m, const rnnlab_batch *b, const rnnlab_loss_ops *loss,
                        const void *loss_self, double *loss_value, double *grads, rnnlab_err *err);

#endif
