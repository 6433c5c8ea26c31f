/* session.c -- see session.h. */
#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "host.h"
#include "plugin_guard.h"

const char *const session_sections[] = {"model",       "activation", "loss",  "optimizer",
                                        "tokenizer",   "data",       "train", "plugins",
                                        "diagnostics", NULL};

static const char *const init_choices[] = {"uniform", "xavier", "orthogonal", "identity", NULL};
static const char *const schedule_choices[] = {"constant", "step", "exponential", "plateau", NULL};
static const char *const goal_choices[] = {"auto", "min", "max", NULL}; /* SELECT_GOAL_* */
/* In gemm_mode order. */
static const char *const reproducible_choices[] = {"machine", "portable", NULL};

enum { M_ACTIVATION, M_HIDDEN, M_LAYERS, M_BIDIR, M_INIT, M_INIT_SCALE, M_COUNT };
const rnnlab_param schema_model[] = {
    {"activation", RNNLAB_PARAM_STRING, "tanh", 1, 0, NULL, 0,
     "activation plugin: tanh, relu, sigmoid, ... (see `rnnlab plugins`)"},
    {"hidden_size", RNNLAB_PARAM_INT, "128", 1, 65536, NULL, 0, "units per layer and direction"},
    {"num_layers", RNNLAB_PARAM_INT, "1", 1, 64, NULL, 0, "stacked recurrent layers"},
    {"bidirectional", RNNLAB_PARAM_BOOL, "false", 1, 0, NULL, 0,
     "add a reverse-direction cell per layer (tagging, classification)"},
    {"init", RNNLAB_PARAM_ENUM, "uniform", 1, 0, init_choices, 0,
     "uniform: torch's U(-1/sqrt(H), 1/sqrt(H)); xavier; orthogonal; identity (IRNN)"},
    {"init_scale", RNNLAB_PARAM_REAL, "1.0", 0, 100, NULL, 0,
     "scale of W_hh for orthogonal and identity init"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL}};

enum {
    T_SEED,
    T_EPOCHS,
    T_MAX_STEPS,
    T_CLIP_NORM,
    T_CLIP_VALUE,
    T_SCHEDULE,
    T_STEP_SIZE,
    T_GAMMA,
    T_PLATEAU_PATIENCE,
    T_PATIENCE,
    T_SELECT,
    T_SELECT_GOAL,
    T_LOG_EVERY,
    T_THREADS,
    T_REPRODUCIBLE,
    T_RUN_DIR,
    T_NAME,
    T_COUNT
};
const rnnlab_param schema_train[] = {
    {"seed", RNNLAB_PARAM_INT, "1", 0, 9.2e18, NULL, 0, "seed of every random stream"},
    {"epochs", RNNLAB_PARAM_INT, "10", 1, 1e9, NULL, 0, "passes over the training data"},
    {"max_steps", RNNLAB_PARAM_INT, "0", 0, 9.2e18, NULL, 0,
     "stop after this many optimizer steps (0: no limit)"},
    {"clip_norm", RNNLAB_PARAM_REAL, "0", 0, 1e30, NULL, 0,
     "clip the global gradient L2 norm to this (clip_grad_norm_); 0: off"},
    {"clip_value", RNNLAB_PARAM_REAL, "0", 0, 1e30, NULL, 0,
     "clip every gradient element to [-v, v]; 0: off"},
    {"schedule", RNNLAB_PARAM_ENUM, "constant", 1, 0, schedule_choices, 0,
     "learning-rate schedule, applied per epoch"},
    {"step_size", RNNLAB_PARAM_INT, "1", 1, 1e9, NULL, 0, "step schedule: epochs between decays"},
    {"gamma", RNNLAB_PARAM_REAL, "0.5", 0, 1, NULL, 0,
     "step/exponential/plateau schedules: decay factor"},
    {"plateau_patience", RNNLAB_PARAM_INT, "1", 0, 1e9, NULL, 0,
     "plateau schedule: epochs without improvement of `select` before decaying"},
    {"patience", RNNLAB_PARAM_INT, "0", 0, 1e9, NULL, 0,
     "early stopping: epochs without improvement of `select` before stopping; 0: off"},
    {"select", RNNLAB_PARAM_STRING, "dev/loss", 1, 0, NULL, 0,
     "metric that picks best.safetensors and drives patience and the plateau schedule: "
     "dev/loss, dev/accuracy, dev/perplexity, dev/bits_per_token or train/epoch_loss"},
    {"select_goal", RNNLAB_PARAM_ENUM, "auto", 1, 0, goal_choices, 0,
     "whether `select` improves going down (min) or up (max); auto: max for accuracy"},
    {"log_every", RNNLAB_PARAM_INT, "50", 1, 1e9, NULL, 0, "steps between train metric rows"},
    {"threads", RNNLAB_PARAM_INT, "1", 1, 256, NULL, 0,
     "compute threads; how to run, not what: left out of the resolved config, the run hash and "
     "checkpoints (meta.json records it)"},
    {"reproducible", RNNLAB_PARAM_ENUM, "machine", 1, 0, reproducible_choices, 0,
     "machine: fastest kernels, same bits on this machine and thread count; portable: same bits "
     "on every x86-64 CPU and thread count (docs/REPRODUCIBILITY.md)"},
    {"run_dir", RNNLAB_PARAM_STRING, "runs", 1, 0, NULL, 0,
     "folder that holds one folder per run (relative to the current directory)"},
    {"name", RNNLAB_PARAM_STRING, "", 1, 0, NULL, 0,
     "run name; empty: the config file's base name"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL}};

const rnnlab_param schema_plugins[] = {
    {"path", RNNLAB_PARAM_STRING, "", 1, 0, NULL, RNNLAB_PARAM_PATH,
     "extra plugin folders, colon-separated, searched after --plugin-path and RNNLAB_PLUGIN_PATH"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL}};

enum { D_EVERY, D_COUNT };
const rnnlab_param schema_diagnostics[] = {
    {"every", RNNLAB_PARAM_INT, "0", 0, 1e9, NULL, 0,
     "record gradient-through-time diagnostics every N steps; 0: off"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL}};

static const char *const skip_name[] = {"name", NULL};

enum { R_ACTIVATION, R_LOSS, R_OPTIMIZER, R_TOKENIZER, R_LOADER };
const session_role session_roles[] = {
    [R_ACTIVATION] = {RNNLAB_KIND_ACTIVATION, "model", "activation", "tanh", "activation"},
    [R_LOSS] = {RNNLAB_KIND_LOSS, "loss", "name", "softmax_xent", "loss"},
    [R_OPTIMIZER] = {RNNLAB_KIND_OPTIMIZER, "optimizer", "name", "sgd", "optimizer"},
    [R_TOKENIZER] = {RNNLAB_KIND_TOKENIZER, "tokenizer", "name", "char", "tokenizer"},
    [R_LOADER] = {RNNLAB_KIND_LOADER, "data", "name", "text", "data"},
    {0, NULL, NULL, NULL, NULL}};

const session_role *session_role_of(rnnlab_kind kind) {
    for (const session_role *r = session_roles; r->section; r++)
        if (r->kind == kind) return r;
    return NULL;
}

/* An override switched the role's component (the file chose `was`): drops
 * the file's keys of the old component that the new one does not have,
 * saying so, so that `--set optimizer.name=adam` works on a config written
 * for sgd. Keys from --set stay (and fail validation if unknown), and so
 * do keys the old component did not have either (typos stay errors). */
static int drop_switched_keys(session *s, const session_role *role, const reg_component *now,
                              rnnlab_err *err) {
    const char *was = s->file_choice[role - session_roles];
    if (!was || strcmp(was, now->name) == 0) return RNNLAB_OK;
    const reg_component *old = NULL;
    rnnlab_err ignored;
    if (registry_find(s->reg, role->kind, was, &old, &ignored) != RNNLAB_OK) return RNNLAB_OK;
    for (size_t i = 0; i < config_count(s->cfg);) {
        const config_entry *e = config_at(s->cfg, i);
        int drop =
            strcmp(e->section, role->param_section) == 0 && strcmp(e->origin, "--set") != 0 &&
            strcmp(e->origin, "default") != 0 &&
            !(strcmp(role->param_section, role->section) == 0 && strcmp(e->key, role->key) == 0) &&
            schema_find(old->params, e->key) && !schema_find(now->params, e->key);
        if (!drop) {
            i++;
            continue;
        }
        if (s->notes) {
            char where[512];
            fprintf(s->notes,
                    "note: [%s] %s = %s replaces %s: dropped %s = %s (%s), which %s does not "
                    "have\n",
                    role->section, role->key, now->name, was, e->key, e->value,
                    config_where(e, where, sizeof where), now->name);
        }
        if (!config_remove(s->cfg, e->section, e->key))
            return err_set(err, RNNLAB_ERR_INTERNAL, "cannot drop [%s] %s", e->section, e->key);
    }
    return RNNLAB_OK;
}

/* Finds the component a section names and validates the section against
 * its schema. `key` is the config key holding the name. */
static int resolve_part(session *s, session_part *part, const session_role *role, rnnlab_err *err) {
    const char *section = role->section, *key = role->key, *param_section = role->param_section;
    rnnlab_kind kind = role->kind;
    const char *name = config_get(s->cfg, section, key, role->fallback);
    int rc = registry_find(s->reg, kind, name, &part->comp, err);
    if (rc != RNNLAB_OK) {
        const config_entry *e = config_find(s->cfg, section, key);
        char where[512];
        if (e)
            return err_prefix(err, "%s: [%s] %s = '%s': ", config_where(e, where, sizeof where),
                              section, key, name);
        return err_prefix(err, "%s: [%s] %s (default '%s'): ", config_name(s->cfg), section, key,
                          name);
    }
    if (!config_find(s->cfg, section, key)) config_put(s->cfg, section, key, name, "default", 0);
    rc = drop_switched_keys(s, role, part->comp, err);
    if (rc != RNNLAB_OK) return rc;
    part->section = param_section;
    size_t n = part->comp->nparams;
    part->values = calloc(n + 1, sizeof *part->values);
    if (!part->values) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    return config_validate_section(s->cfg, param_section, part->comp->params,
                                   strcmp(param_section, section) == 0 ? skip_name : NULL,
                                   part->values, err);
}

static void fill_train_opts(train_opts *t, const rnnlab_value *v, const rnnlab_value *d) {
    t->seed = (uint64_t)v[T_SEED].i;
    t->epochs = (long)v[T_EPOCHS].i;
    t->max_steps = (long)v[T_MAX_STEPS].i;
    t->clip_norm = v[T_CLIP_NORM].r;
    t->clip_value = v[T_CLIP_VALUE].r;
    t->schedule = (int)v[T_SCHEDULE].i;
    t->step_size = (long)v[T_STEP_SIZE].i;
    t->gamma = v[T_GAMMA].r;
    t->plateau_patience = (long)v[T_PLATEAU_PATIENCE].i;
    t->patience = (long)v[T_PATIENCE].i;
    t->select = v[T_SELECT].s;
    t->select_goal = (int)v[T_SELECT_GOAL].i;
    t->log_every = (long)v[T_LOG_EVERY].i;
    t->threads = (long)v[T_THREADS].i;
    t->reproducible = (int)v[T_REPRODUCIBLE].i;
    t->run_dir = v[T_RUN_DIR].s;
    t->name = v[T_NAME].s;
    t->diag_every = (long)d[D_EVERY].i;
}

/* [train] name names one folder inside run_dir, never a path out of it. */
static int check_run_name(const session *s, rnnlab_err *err) {
    const char *name = s->train.name;
    if (!strchr(name, '/') && !strstr(name, "..") && strcmp(name, ".") != 0) return RNNLAB_OK;
    const config_entry *e = config_find(s->cfg, "train", "name");
    char where[512];
    return err_set(err, RNNLAB_ERR_INVALID,
                   "%s: [train] name = '%s': a run name is one folder inside run_dir; it cannot "
                   "contain '/' or '..' or be '.'",
                   e ? config_where(e, where, sizeof where) : s->config_path, name);
}

static int create_instance(session *s, const session_part *part, rnnlab_create_fn create,
                           void **self, rnnlab_err *err) {
    *self = NULL;
    if (!create) return RNNLAB_OK;
    host_set_sink(s->host, err);
    guard_enter(part->comp, "create");
    int rc = create(s->host, part->values, self);
    guard_leave();
    if (rc != RNNLAB_OK)
        return err_prefix(err, "%s '%s' (%s): ", kind_name(part->comp->kind), part->comp->name,
                          part->comp->file);
    return RNNLAB_OK;
}

static int open_config(session *s, const session_args *a, rnnlab_err *err) {
    int rc;
    if (a->config_text)
        rc = config_load_string(&s->cfg, a->config_text, a->config_path, a->config_dir, err);
    else
        rc = config_load(&s->cfg, a->config_path, err);
    if (rc != RNNLAB_OK) return rc;
    /* Each role's component as the file chose it, to see later whether an
     * override switched it. */
    for (size_t i = 0; i < SESSION_MAX_ROLES && session_roles[i].section; i++) {
        const session_role *r = &session_roles[i];
        s->file_choice[i] = strdup(config_get(s->cfg, r->section, r->key, r->fallback));
        if (!s->file_choice[i]) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < a->nunsets && rc == RNNLAB_OK; i++)
        rc = config_unset(s->cfg, a->unsets[i], err);
    for (size_t i = 0; i < a->nsets && rc == RNNLAB_OK; i++)
        rc = config_apply_set(s->cfg, a->sets[i], err);
    if (rc != RNNLAB_OK) return rc;
    return config_check_sections(s->cfg, session_sections, err);
}

int session_open(session *s, const session_args *a, rnnlab_err *err) {
    memset(s, 0, sizeof *s);
    s->notes = a->notes;
    s->config_path = strdup(a->config_path);
    s->host = host_create(&s->err, NULL, RNNLAB_LOG_WARN);
    if (!s->config_path || !s->host) {
        session_close(s);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    rnnlab_value mv[M_COUNT + 1], tv[T_COUNT + 1], pv[2], dv[D_COUNT + 1];
    int rc = open_config(s, a, err);
    if (rc == RNNLAB_OK) rc = config_validate_section(s->cfg, "model", schema_model, NULL, mv, err);
    if (rc == RNNLAB_OK) rc = config_validate_section(s->cfg, "train", schema_train, NULL, tv, err);
    if (rc == RNNLAB_OK)
        rc = config_validate_section(s->cfg, "plugins", schema_plugins, NULL, pv, err);
    if (rc == RNNLAB_OK)
        rc = config_validate_section(s->cfg, "diagnostics", schema_diagnostics, NULL, dv, err);
    if (rc == RNNLAB_OK) rc = registry_new(&s->reg, s->host, err);
    if (rc == RNNLAB_OK)
        rc = registry_load_default(s->reg, a->plugin_path, pv[0].s[0] ? pv[0].s : NULL, err);
    session_part *parts[] = {[R_ACTIVATION] = &s->activation,
                             [R_LOSS] = &s->loss,
                             [R_OPTIMIZER] = &s->optimizer,
                             [R_TOKENIZER] = &s->tokenizer,
                             [R_LOADER] = &s->loader};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && rc == RNNLAB_OK; i++)
        rc = resolve_part(s, parts[i], &session_roles[i], err);
    if (rc == RNNLAB_OK) {
        fill_train_opts(&s->train, tv, dv);
        s->spec.hidden_size = (size_t)mv[M_HIDDEN].i;
        s->spec.num_layers = (size_t)mv[M_LAYERS].i;
        s->spec.bidirectional = (int)mv[M_BIDIR].i;
        s->spec.init = (model_init)mv[M_INIT].i;
        s->spec.init_scale = mv[M_INIT_SCALE].r;
        s->spec.act = &s->activation.comp->ops.activation;
        s->spec.threads = (size_t)s->train.threads;
        rc = check_run_name(s, err);
        gemm_set_mode(s->train.reproducible ? GEMM_MODE_PORTABLE : GEMM_MODE_MACHINE);
        /* Threads say how to run, not what: with them in the config, a run
         * at 2 threads would get another run hash and other checkpoint
         * bytes than the same run at 1. */
        config_remove(s->cfg, "train", "threads");
    }
    if (rc == RNNLAB_OK)
        rc = create_instance(s, &s->activation, s->activation.comp->ops.activation.create,
                             &s->act_self, err);
    if (rc == RNNLAB_OK)
        rc = create_instance(s, &s->loss, s->loss.comp->ops.loss.create, &s->loss_self, err);
    if (rc == RNNLAB_OK)
        rc = create_instance(s, &s->optimizer, s->optimizer.comp->ops.optimizer.create,
                             &s->opt_self, err);
    if (rc == RNNLAB_OK)
        rc = create_instance(s, &s->tokenizer, s->tokenizer.comp->ops.tokenizer.create,
                             &s->tok_self, err);
    if (rc != RNNLAB_OK) {
        session_close(s);
        return rc;
    }
    s->spec.act_self = s->act_self;
    return RNNLAB_OK;
}

int session_open_data(session *s, const char *tok_state, const char *labels, rnnlab_err *err) {
    const rnnlab_tokenizer_ops *tk = &s->tokenizer.comp->ops.tokenizer;
    const rnnlab_loader_ops *ld = &s->loader.comp->ops.loader;
    host_set_sink(s->host, err);
    int rc;
    if (tok_state) {
        guard_enter(s->tokenizer.comp, "load");
        rc = tk->load(s->tok_self, tok_state, strlen(tok_state));
        guard_leave();
        if (rc != RNNLAB_OK)
            return err_prefix(err,
                              "tokenizer '%s': restoring its state: ", s->tokenizer.comp->name);
    }
    rnnlab_tokenizer_ref ref = {tk, s->tok_self};
    guard_enter(s->loader.comp, "open");
    rc = ld->open(s->host, s->loader.values, ref, tok_state ? (labels ? labels : "") : NULL,
                  s->train.seed, &s->loader_self);
    guard_leave();
    if (rc != RNNLAB_OK) {
        s->loader_self = NULL;
        return err_prefix(err, "data loader '%s': ", s->loader.comp->name);
    }
    memset(&s->info, 0, sizeof s->info);
    s->info.struct_size = sizeof s->info;
    guard_enter(s->loader.comp, "info");
    rc = ld->info(s->loader_self, &s->info);
    guard_leave();
    if (rc != RNNLAB_OK) return err_prefix(err, "data loader '%s': ", s->loader.comp->name);
    if (s->info.target_kind != s->loss.comp->ops.loss.target_kind)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "%s: [loss] name = '%s' expects %s targets, but [data] name = '%s' gives %s",
                       s->config_path, s->loss.comp->name,
                       s->loss.comp->ops.loss.target_kind == RNNLAB_TARGET_CLASS ? "class-id"
                                                                                 : "real-valued",
                       s->loader.comp->name,
                       s->info.target_kind == RNNLAB_TARGET_CLASS ? "class ids" : "real values");
    if (s->info.stateful && s->spec.bidirectional)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "%s: [model] bidirectional = true cannot be used with [data] name = '%s', "
                       "which streams text for truncated BPTT (the reverse direction would see "
                       "the future)",
                       s->config_path, s->loader.comp->name);
    if (s->info.batch_size == 0 || s->info.max_len == 0 || s->info.input_size == 0 ||
        s->info.output_size == 0)
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "data loader '%s' (%s) reported an empty shape: batch %zu, length %zu, "
                       "input %zu, output %zu",
                       s->loader.comp->name, s->loader.comp->file, s->info.batch_size,
                       s->info.max_len, s->info.input_size, s->info.output_size);
    s->spec.input_kind = s->info.input_kind;
    s->spec.input_size = s->info.input_size;
    s->spec.output_size = s->info.output_size;
    s->spec.head = s->info.head;
    s->spec.max_T = s->info.max_len;
    s->spec.max_B = s->info.batch_size;
    return RNNLAB_OK;
}

static void free_part(session_part *p) { free(p->values); }

void session_close(session *s) {
    if (s->loader_self) {
        guard_enter(s->loader.comp, "close");
        s->loader.comp->ops.loader.close(s->loader_self);
    }
    if (s->tok_self) {
        guard_enter(s->tokenizer.comp, "destroy");
        s->tokenizer.comp->ops.tokenizer.destroy(s->tok_self);
    }
    if (s->opt_self) {
        guard_enter(s->optimizer.comp, "destroy");
        s->optimizer.comp->ops.optimizer.destroy(s->opt_self);
    }
    if (s->loss_self && s->loss.comp->ops.loss.destroy) {
        guard_enter(s->loss.comp, "destroy");
        s->loss.comp->ops.loss.destroy(s->loss_self);
    }
    if (s->act_self && s->activation.comp->ops.activation.destroy) {
        guard_enter(s->activation.comp, "destroy");
        s->activation.comp->ops.activation.destroy(s->act_self);
    }
    guard_leave();
    free_part(&s->activation);
    free_part(&s->loss);
    free_part(&s->optimizer);
    free_part(&s->tokenizer);
    free_part(&s->loader);
    if (s->reg) registry_close(s->reg);
    if (s->cfg) config_free(s->cfg);
    if (s->host) host_destroy(s->host);
    free(s->config_path);
    for (size_t i = 0; i < sizeof s->file_choice / sizeof s->file_choice[0]; i++)
        free(s->file_choice[i]);
    memset(s, 0, sizeof *s);
}
