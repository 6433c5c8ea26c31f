/* session.h -- a resolved configuration: every component found, every
 * section validated, every instance created.
 *
 * This is step 1 and 2 of the data's way (DESIGN.md): the config file and
 * --set become a resolved config, and the registry turns names into
 * components. Training, evaluation, gradient checks and `config show` all
 * start from a session, so they agree on what a config means.
 *
 * Sections and the key that names their plugin:
 *   [model] activation   [loss] name   [optimizer] name
 *   [tokenizer] name     [data] name   ([activation] holds the activation's
 *   parameters, if it has any.) [train] and [plugins] are the core's own.
 *
 * Ownership: session_open fills a caller-provided session; session_close
 * releases everything it holds. */
#ifndef RNNLAB_CORE_SESSION_H
#define RNNLAB_CORE_SESSION_H

#include "config.h"
#include "model.h"
#include "registry.h"

/* The most component roles a session has (session_roles). */
#define SESSION_MAX_ROLES 8

/* [train]: the core's training options. */
typedef struct train_opts {
    uint64_t seed;
    long epochs;
    long max_steps;    /* 0: no limit */
    double clip_norm;  /* 0: off */
    double clip_value; /* 0: off */
    int schedule;      /* SCHEDULE_* */
    long step_size;
    double gamma;
    long plateau_patience;
    long patience;      /* early stopping, in epochs; 0: off */
    const char *select; /* the metric that picks best.safetensors (select.h) */
    int select_goal;    /* SELECT_GOAL_* */
    long log_every;
    long threads;        /* not in the resolved config: see session.c */
    int reproducible;    /* gemm_mode: 0 machine, 1 portable */
    const char *run_dir; /* parent folder of runs */
    const char *name;    /* run name; "" = the config's base name */
    long diag_every;     /* [diagnostics] every; 0: off */
} train_opts;

enum { SCHEDULE_CONSTANT = 0, SCHEDULE_STEP, SCHEDULE_EXPONENTIAL, SCHEDULE_PLATEAU };
enum { SELECT_GOAL_AUTO = 0, SELECT_GOAL_MIN, SELECT_GOAL_MAX };

/* A component chosen by the config, with its validated parameters. */
typedef struct session_part {
    const reg_component *comp;
    rnnlab_value *values; /* one per schema entry */
    const char *section;
} session_part;

typedef struct session {
    rnnlab_err err; /* plugins' errors land here through the host */
    rnnlab_host *host;
    registry *reg;
    config *cfg;
    char *config_path;
    train_opts train;
    model_spec spec; /* filled by session_open_data */
    session_part activation, loss, optimizer, tokenizer, loader;
    /* instances */
    void *act_self, *loss_self, *opt_self, *tok_self, *loader_self;
    rnnlab_data_info info;
    char *file_choice[SESSION_MAX_ROLES]; /* per session_roles entry: the file's choice */
    FILE *notes;                          /* session_args.notes */
} session;

typedef struct session_args {
    const char *config_path;
    const char *const *sets; /* "section.key=value" overrides */
    size_t nsets;
    const char *plugin_path; /* --plugin-path, may be NULL */
    /* When non-NULL, the config text to use instead of reading config_path
     * (resume and eval read it from a checkpoint); config_path still names
     * the origin in messages and the folder for relative paths. */
    const char *config_text;
    const char *config_dir;
    /* "section.key" removals (--unset), applied before the sets. */
    const char *const *unsets;
    size_t nunsets;
    /* Where to say what the session did on the user's behalf (a component
     * switched by --set drops the old one's keys); NULL: silent. */
    FILE *notes;
} session_args;

/* Where each kind of component is chosen and configured: [section] key
 * names it (default `fallback`), and its parameters go in
 * [param_section]. */
typedef struct session_role {
    rnnlab_kind kind;
    const char *section, *key, *fallback, *param_section;
} session_role;

/* One per kind a session uses (at most SESSION_MAX_ROLES), in the order
 * session_open resolves them; terminated by an entry with section NULL. */
extern const session_role session_roles[];

/* The role of a kind, or NULL when a session does not use that kind. */
const session_role *session_role_of(rnnlab_kind kind);

/* Parses and validates the config, loads the plugins it names, and creates
 * the activation, loss, optimizer and tokenizer instances. When --set or
 * --unset changes a role's component (optimizer.name sgd -> adam), the
 * keys of the old component in its parameter section that the new one
 * does not have and that did not come from --set are dropped, each with a
 * line to args->notes; any other unknown key is still an error. Does not open the
 * data (see session_open_data). On error, the session is already closed. */
int session_open(session *s, const session_args *args, rnnlab_err *err);

/* Opens the loader (fitting the tokenizer on the training data, or using
 * the restored state when `tok_state` is non-NULL) and fills s->info and
 * s->spec from the data's shape and the [model] section. */
int session_open_data(session *s, const char *tok_state, const char *labels, rnnlab_err *err);

void session_close(session *s);

/* Names of the sections the core knows, NULL-terminated. */
extern const char *const session_sections[];

/* The core's own schemas, for `rnnlab plugins describe` style listings. */
extern const rnnlab_param schema_model[];
extern const rnnlab_param schema_train[];
extern const rnnlab_param schema_plugins[];
extern const rnnlab_param schema_diagnostics[];

#endif
