/*
 * rnnlab/plugin.h -- the plugin ABI.
 *
 * This header is the whole contract between rnnlab and a plugin. A plugin
 * includes nothing else of ours and links against nothing of ours: every
 * service it needs (memory, errors, logging, random numbers) reaches it
 * through the rnnlab_host table passed to its entry point.
 *
 * A plugin is a shared object exporting exactly one symbol:
 *
 *     RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host);
 *
 * which returns a pointer to a static, constant descriptor. The descriptor
 * opens with an rnnlab_stamp that the host checks before it reads anything
 * else, then lists the plugin's components (one .so may hold several).
 *
 * Versioning (see docs/PLUGINS.md):
 *  - RNNLAB_ABI_MINOR grows when something is appended: a slot at the end of
 *    an ops table, a field at the end of rnnlab_host, a new kind or flag.
 *    Old plugins keep working: every ops table starts with struct_size, and
 *    the host treats slots beyond it as NULL.
 *  - RNNLAB_ABI_MAJOR grows on any other layout change. The host refuses a
 *    plugin whose major differs from its own, or whose minor is newer.
 *
 * Conventions:
 *  - Every op returns an int status: RNNLAB_OK (0) or a negative
 *    rnnlab_status, after calling host->set_error() with a message.
 *  - Plugins never print, never exit, never call rand(); they allocate only
 *    through host->alloc/host->free so the host can count leaks.
 *  - Arrays are row-major. Shapes are given in comments as (rows, cols).
 *  - Ops are called from one thread at a time per instance.
 */
#ifndef RNNLAB_PLUGIN_H
#define RNNLAB_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RNNLAB_ABI_MAGIC 0x4C4E4E52u /* "RNNL" read as little-endian bytes */
#define RNNLAB_ABI_MAJOR 1
#define RNNLAB_ABI_MINOR 1

#if defined(__GNUC__)
#define RNNLAB_EXPORT __attribute__((visibility("default")))
#else
#define RNNLAB_EXPORT
#endif

/* The scalar type of every tensor that crosses the ABI. Its size is part of
 * the stamp, so a plugin built with another scalar type is refused. */
typedef float rnnlab_real;

/* One error convention for host and plugins alike. */
typedef enum rnnlab_status {
    RNNLAB_OK = 0,
    RNNLAB_ERR_NOMEM = -1,       /* allocation failed */
    RNNLAB_ERR_INVALID = -2,     /* bad argument, config value or input data */
    RNNLAB_ERR_IO = -3,          /* a file could not be read or written */
    RNNLAB_ERR_FORMAT = -4,      /* a file was read but its content is malformed */
    RNNLAB_ERR_PLUGIN = -5,      /* a plugin broke the ABI contract */
    RNNLAB_ERR_NUMERIC = -6,     /* NaN, Inf or divergence */
    RNNLAB_ERR_UNSUPPORTED = -7, /* a valid request this component cannot serve */
    RNNLAB_ERR_INTERRUPTED = -8, /* stopped by a signal */
    RNNLAB_ERR_INTERNAL = -9     /* a bug in rnnlab */
} rnnlab_status;

/* ------------------------------------------------------------------------ */
/* Host services                                                             */
/* ------------------------------------------------------------------------ */

/* A seeded random stream (xoshiro256**). The plugin may keep one by value;
 * it is seeded and advanced only through host->rng_seed / host->rng_next so
 * that every component draws from the same, reproducible generator. */
typedef struct rnnlab_rng {
    uint64_t s[4];
} rnnlab_rng;

typedef enum rnnlab_log_level {
    RNNLAB_LOG_DEBUG = 0,
    RNNLAB_LOG_INFO = 1,
    RNNLAB_LOG_WARN = 2
} rnnlab_log_level;

typedef struct rnnlab_host rnnlab_host;
struct rnnlab_host {
    size_t struct_size; /* sizeof(rnnlab_host) as the host was built */
    uint32_t abi_major, abi_minor;

    /* Memory. Same semantics as malloc/realloc/free; free(NULL) is a no-op.
     * The host counts live blocks so a checker can report leaks. */
    void *(*alloc)(const rnnlab_host *host, size_t size);
    void *(*realloc)(const rnnlab_host *host, void *ptr, size_t size);
    void (*free)(const rnnlab_host *host, void *ptr);

    /* Records the message of the error the calling op is about to return.
     * printf-style; returns `code` so a plugin can write
     *     return host->set_error(host, RNNLAB_ERR_INVALID, "...", ...);  */
    int (*set_error)(const rnnlab_host *host, int code, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

    /* Diagnostic output; the host decides where it goes, if anywhere. */
    void (*log)(const rnnlab_host *host, int level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

    /* Seeds `rng` from (seed, stream): different streams are independent. */
    void (*rng_seed)(rnnlab_rng *rng, uint64_t seed, uint64_t stream);
    /* Next 64 random bits. */
    uint64_t (*rng_next)(rnnlab_rng *rng);
    /* Uniform double in [0, 1) with 53 random bits. */
    double (*rng_uniform)(rnnlab_rng *rng);

    void *impl; /* host-private */

    /* ---- ABI 1.1 ---- */

    /* The message of the error most recently set (by this plugin or by
     * another component it called, e.g. a loader's tokenizer), so a caller
     * can add its own context: copy it first, then set_error("%s: %s",
     * file, copy). Valid until the next set_error. */
    const char *(*last_error)(const rnnlab_host *host);
};

/* ------------------------------------------------------------------------ */
/* Parameter schema                                                          */
/* ------------------------------------------------------------------------ */

typedef enum rnnlab_param_type {
    RNNLAB_PARAM_BOOL = 1,
    RNNLAB_PARAM_INT = 2,
    RNNLAB_PARAM_REAL = 3,
    RNNLAB_PARAM_STRING = 4,
    RNNLAB_PARAM_ENUM = 5
} rnnlab_param_type;

enum {
    RNNLAB_PARAM_REQUIRED = 1u << 0,  /* no default: the config must set it */
    RNNLAB_PARAM_LOG_SCALE = 1u << 1, /* sweeps should space values geometrically */
    RNNLAB_PARAM_PATH = 1u << 2       /* a file path, resolved against the config's folder */
};

/* One configurable key of a component. A schema is an array of these ended
 * by an entry whose key is NULL. For INT and REAL, [min, max] bounds the
 * value (inclusive); set min > max for "unbounded". */
typedef struct rnnlab_param {
    const char *key;
    rnnlab_param_type type;
    const char *default_value; /* as written in a config; NULL if REQUIRED */
    double min, max;
    const char *const *choices; /* ENUM: NULL-terminated list */
    unsigned flags;
    const char *help; /* one line */
} rnnlab_param;

/* A validated parameter value. Components receive an array of these in the
 * order of their schema, so params[i] is the value of schema[i]; the host has
 * already parsed, range-checked and defaulted every entry.
 * BOOL and INT use i; REAL uses r; STRING uses s; ENUM uses i (the index into
 * choices) and s (the choice's text). Strings live as long as the instance. */
typedef struct rnnlab_value {
    int64_t i;
    double r;
    const char *s;
} rnnlab_value;

/* ------------------------------------------------------------------------ */
/* Components and the descriptor                                             */
/* ------------------------------------------------------------------------ */

typedef enum rnnlab_kind {
    RNNLAB_KIND_ACTIVATION = 1,
    RNNLAB_KIND_LOSS = 2,
    RNNLAB_KIND_OPTIMIZER = 3,
    RNNLAB_KIND_LOADER = 4,
    RNNLAB_KIND_TOKENIZER = 5
} rnnlab_kind;

typedef struct rnnlab_component {
    rnnlab_kind kind;
    const char *name;    /* unique per kind: [a-z0-9_]+ */
    const char *version; /* of this component, e.g. "1.0.0" */
    const char *description;
    const rnnlab_param *params; /* schema, may be NULL for none */
    const void *ops;            /* the kind's ops table, see below */
} rnnlab_component;

/* The fixed opening of every descriptor. Its layout never changes. */
typedef struct rnnlab_stamp {
    uint32_t magic;       /* RNNLAB_ABI_MAGIC */
    uint16_t abi_major;   /* RNNLAB_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;   /* RNNLAB_ABI_MINOR the plugin was built with */
    uint16_t real_size;   /* sizeof(rnnlab_real) */
    uint16_t size_t_size; /* sizeof(size_t) */
    uint32_t reserved;    /* zero */
} rnnlab_stamp;

#define RNNLAB_STAMP_INIT                                                                    \
    {                                                                                        \
        RNNLAB_ABI_MAGIC, RNNLAB_ABI_MAJOR, RNNLAB_ABI_MINOR, (uint16_t)sizeof(rnnlab_real), \
            (uint16_t)sizeof(size_t), 0u                                                     \
    }

typedef struct rnnlab_plugin {
    rnnlab_stamp stamp;
    const char *name;
    const char *version;
    const char *license; /* SPDX identifier */
    const char *description;
    const rnnlab_component *const *components; /* NULL-terminated */
} rnnlab_plugin;

typedef const rnnlab_plugin *(*rnnlab_plugin_entry_fn)(const rnnlab_host *host);
#define RNNLAB_PLUGIN_ENTRY_SYMBOL "rnnlab_plugin_entry"

/* ------------------------------------------------------------------------ */
/* Instances                                                                 */
/* ------------------------------------------------------------------------ */

/* Every kind with state is created the same way: `create` receives the host
 * (which the instance may keep) and the validated parameter values, and
 * stores an opaque instance in *self. `destroy` frees everything `create`
 * and later ops allocated; destroy(NULL) is a no-op. Both are optional for
 * stateless, parameterless components (activations). */
typedef int (*rnnlab_create_fn)(const rnnlab_host *host, const rnnlab_value *params, void **self);
typedef void (*rnnlab_destroy_fn)(void *self);

/* ------------------------------------------------------------------------ */
/* Activation                                                                */
/* ------------------------------------------------------------------------ */

enum {
    /* The derivative is cheaper from the output y (tanh, sigmoid): backward
     * may be called with x == NULL. Otherwise it needs x, and y may be NULL. */
    RNNLAB_ACT_DERIV_FROM_Y = 1u << 0
};

typedef struct rnnlab_activation_ops {
    size_t struct_size;
    unsigned flags;
    rnnlab_create_fn create;   /* optional */
    rnnlab_destroy_fn destroy; /* optional */
    /* y[i] = f(x[i]) for i < n. x and y may alias. Required. */
    int (*forward)(const void *self, const rnnlab_real *x, rnnlab_real *y, size_t n);
    /* dx[i] = f'(x[i]) * dy[i]. dx may alias dy. Required. */
    int (*backward)(const void *self, const rnnlab_real *x, const rnnlab_real *y,
                    const rnnlab_real *dy, rnnlab_real *dx, size_t n);
    /* The same in double precision, for gradient checks. Required. */
    int (*forward_f64)(const void *self, const double *x, double *y, size_t n);
    int (*backward_f64)(const void *self, const double *x, const double *y, const double *dy,
                        double *dx, size_t n);
} rnnlab_activation_ops;

/* ------------------------------------------------------------------------ */
/* Loss                                                                      */
/* ------------------------------------------------------------------------ */

typedef enum rnnlab_target_kind {
    RNNLAB_TARGET_CLASS = 1, /* one class id per row: ids[rows] */
    RNNLAB_TARGET_REAL = 2   /* a real vector per row: values[rows, cols] */
} rnnlab_target_kind;

/* The inputs of one loss evaluation over `rows` rows of `cols` outputs. */
typedef struct rnnlab_loss_batch {
    size_t rows, cols;
    const int32_t *ids;        /* (rows) class ids, for RNNLAB_TARGET_CLASS */
    const rnnlab_real *values; /* (rows, cols) targets, for RNNLAB_TARGET_REAL */
    const uint8_t *mask;       /* (rows) 1 = counts, 0 = ignored; NULL = all count */
} rnnlab_loss_batch;

typedef struct rnnlab_loss_ops {
    size_t struct_size;
    rnnlab_target_kind target_kind;
    rnnlab_create_fn create;   /* optional */
    rnnlab_destroy_fn destroy; /* optional */
    /* logits: (rows, cols). Writes *loss = mean over unmasked rows, *correct =
     * unmasked rows whose argmax is the target (0 for regression), and
     * dlogits (rows, cols) = d(*loss)/d(logits), zero on masked rows. If no
     * row counts, *loss = 0 and dlogits = 0. dlogits may be NULL (eval only).
     * Required. */
    int (*forward)(const void *self, const rnnlab_real *logits, const rnnlab_loss_batch *batch,
                   double *loss, size_t *correct, rnnlab_real *dlogits);
    /* The same in double precision, for gradient checks. Required. */
    int (*forward_f64)(const void *self, const double *logits, const rnnlab_loss_batch *batch,
                       double *loss, double *dlogits);
} rnnlab_loss_ops;

/* ------------------------------------------------------------------------ */
/* Optimizer                                                                 */
/* ------------------------------------------------------------------------ */

/* What changes from step to step, decided by the host's training loop. */
typedef struct rnnlab_optim_step {
    double lr_scale; /* the schedule's factor on the configured learning rate */
    uint64_t t;      /* 1-based count of steps taken, including this one */
} rnnlab_optim_step;

/* The optimizer's per-parameter state is a set of real arrays owned by the
 * host, `state_slots(n)` arrays of n elements each, zeroed at creation. The
 * host saves and restores them in checkpoints as `optim.<param>.<slot>`
 * tensors, so an optimizer never serialises anything itself. */
typedef struct rnnlab_optimizer_ops {
    size_t struct_size;
    rnnlab_create_fn create;   /* required */
    rnnlab_destroy_fn destroy; /* required */
    /* Number of state arrays per parameter tensor. Required. */
    size_t (*state_slots)(const void *self);
    /* Updates param (n) in place from grad (n); state[k] (n) for k <
     * state_slots. grad is read-only: weight decay must not modify it.
     * Required. */
    int (*step)(const void *self, const rnnlab_optim_step *info, rnnlab_real *param,
                const rnnlab_real *grad, rnnlab_real *const *state, size_t n);
    /* The configured base learning rate, for logging. Optional. */
    double (*base_lr)(const void *self);
} rnnlab_optimizer_ops;

/* ------------------------------------------------------------------------ */
/* Tokenizer                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct rnnlab_tokenizer_ops {
    size_t struct_size;
    rnnlab_create_fn create;   /* required */
    rnnlab_destroy_fn destroy; /* required */
    /* Builds the vocabulary from training text (UTF-8, len bytes). May be
     * called more than once: later calls extend the vocabulary
     * deterministically. Required. */
    int (*fit)(void *self, const char *text, size_t len);
    /* Number of ids encode can produce. Required. */
    size_t (*vocab_size)(const void *self);
    /* Encodes text into ids. With ids == NULL, only counts: *n_out receives
     * the number of ids either way. If cap is too small, returns
     * RNNLAB_ERR_INVALID after setting *n_out to the needed count. Required. */
    int (*encode)(const void *self, const char *text, size_t len, int32_t *ids, size_t cap,
                  size_t *n_out);
    /* Decodes ids into UTF-8, NUL-terminated. Same counting convention as
     * encode; *len_out excludes the NUL. Required. */
    int (*decode)(const void *self, const int32_t *ids, size_t n, char *out, size_t cap,
                  size_t *len_out);
    /* Serialises the fitted state into a host->alloc'd buffer the caller
     * frees with host->free. The text must be valid UTF-8 without NUL bytes
     * (it is stored in checkpoint metadata). Required. */
    int (*save)(const void *self, char **buf, size_t *len);
    /* Restores a state written by save, replacing the current one. Must
     * reject malformed input with an error, never crash. Required. */
    int (*load)(void *self, const char *buf, size_t len);
    /* The text of one id, for display (e.g. "<unk>", "a"); NULL if out of
     * range. The string lives as long as the instance's state. Optional. */
    const char *(*token_text)(const void *self, int32_t id);
} rnnlab_tokenizer_ops;

/* An instance of a tokenizer, as handed to a loader. */
typedef struct rnnlab_tokenizer_ref {
    const rnnlab_tokenizer_ops *ops;
    void *self;
} rnnlab_tokenizer_ref;

/* ------------------------------------------------------------------------ */
/* Data loader                                                               */
/* ------------------------------------------------------------------------ */

typedef enum rnnlab_split {
    RNNLAB_SPLIT_TRAIN = 0,
    RNNLAB_SPLIT_DEV = 1,
    RNNLAB_SPLIT_TEST = 2
} rnnlab_split;
#define RNNLAB_SPLIT_COUNT 3

typedef enum rnnlab_input_kind {
    RNNLAB_INPUT_IDS = 1,  /* token ids, fed to the model as one-hot vectors */
    RNNLAB_INPUT_DENSE = 2 /* real vectors of input_size */
} rnnlab_input_kind;

typedef enum rnnlab_head_kind {
    RNNLAB_HEAD_PER_STEP = 1, /* a target at every step: LM, tagging */
    RNNLAB_HEAD_LAST = 2      /* one target per sequence: classification, regression */
} rnnlab_head_kind;

/* What the model must look like to fit the data, reported by the loader
 * once it is open. */
typedef struct rnnlab_data_info {
    size_t struct_size;
    rnnlab_input_kind input_kind;
    size_t input_size;  /* vocabulary size for IDS, features for DENSE */
    size_t output_size; /* classes for CLASS targets, values for REAL */
    rnnlab_target_kind target_kind;
    rnnlab_head_kind head;
    size_t batch_size; /* B: batches have at most this many sequences */
    size_t max_len;    /* T: batches have at most this many steps */
    /* Nonzero if consecutive train batches continue the same B streams
     * (truncated BPTT): the host then carries the hidden state across
     * batches, cut from the graph. */
    int stateful;
    /* The loss a model that ignores its input would get, for reports; NaN if
     * not known. */
    double baseline_loss;
    const char *baseline_desc;
} rnnlab_data_info;

/* One batch, time-major like torch.nn.RNN's default. The host allocates
 * every array at the sizes of rnnlab_data_info (T = max_len, B =
 * batch_size) and the loader fills them; unused entries must be zeroed. */
typedef struct rnnlab_batch {
    size_t T, B;                /* set by the loader: steps and sequences in this batch */
    int32_t *ids;               /* (T, B) token ids, IDS input */
    rnnlab_real *x;             /* (T, B, input_size), DENSE input */
    uint8_t *mask;              /* (T, B) 1 = real step, 0 = padding */
    int32_t *lengths;           /* (B) real steps per sequence: mask[t][b] == (t < lengths[b]) */
    int32_t *target_ids;        /* CLASS targets: (T, B) per step, (B) last */
    rnnlab_real *target_values; /* REAL targets: (T, B, output_size) per step,
                                   (B, output_size) last */
    uint8_t *target_mask;       /* (T, B) per step, (B) last: 1 = scored */
} rnnlab_batch;

typedef struct rnnlab_loader_ops {
    size_t struct_size;
    /* Opens the data the params name. `tok` is the configured tokenizer.
     * When `restored` is NULL the tokenizer is unfitted and the loader fits
     * it (and its label vocabulary) on training data only. Otherwise the
     * tokenizer was restored from a checkpoint and `restored` is the text
     * save_labels wrote then (possibly ""): the loader must use both as they
     * are, so ids mean what they meant in training. `seed` drives any
     * generation and shuffling. Relative paths in params were already
     * resolved by the host. Errors name FILE:LINE. Required. */
    int (*open)(const rnnlab_host *host, const rnnlab_value *params, rnnlab_tokenizer_ref tok,
                const char *restored, uint64_t seed, void **self);
    rnnlab_destroy_fn close; /* required */
    /* Fills *info (whose struct_size the host set). Required. */
    int (*info)(const void *self, rnnlab_data_info *info);
    /* Batches in one pass over a split; 0 if the split is absent. Required. */
    size_t (*num_batches)(const void *self, rnnlab_split split);
    /* Prepares a pass over `split`: the order of batches for `epoch` must
     * depend only on (seed, epoch). Required. */
    int (*begin_epoch)(void *self, rnnlab_split split, uint64_t epoch);
    /* Fills batch `index` (< num_batches) of the current pass. Required. */
    int (*batch)(void *self, rnnlab_split split, size_t index, rnnlab_batch *out);
    /* The name of a class id, for tagging output; NULL if out of range or
     * the targets are not named. Optional. */
    const char *(*label_name)(const void *self, int32_t id);
    /* Saves the label vocabulary for `open`'s `restored` (same conventions
     * as the tokenizer's save). Optional: without it, "" is saved. */
    int (*save_labels)(const void *self, char **buf, size_t *len);
} rnnlab_loader_ops;

/* The length of a table as compiled into this plugin, for struct_size. */
#define RNNLAB_OPS_SIZE(type) sizeof(type)

#ifdef __cplusplus
}
#endif
#endif /* RNNLAB_PLUGIN_H */
