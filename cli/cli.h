/* cli.h -- what the command files share: the command descriptor, option
 * tables and their parser, and the one way errors are printed.
 *
 * The command line is a thin room: each command is one file (cli/train.c,
 * cli/sweep.c, ...) holding its usage text, its option table and a run
 * function that calls into core/ or lab/ and turns the result into an exit
 * code. main.c's table of commands is the list of commands. Only this room
 * prints to the terminal or decides exit codes.
 *
 * Exit codes: 0 success; 64 usage error (EX_USAGE); otherwise
 * status_exit_code() of the rnnlab_status that failed (2..11). */
#ifndef RNNLAB_CLI_CLI_H
#define RNNLAB_CLI_CLI_H

#include <stddef.h>

#include "core/error.h"
#include "core/session.h"

#define CLI_USAGE_ERROR 64

typedef struct cli_command {
    const char *name;
    const char *summary; /* one line for `rnnlab help` */
    const char *usage;   /* the whole help text: usage, options, example */
    int (*run)(int argc, char **argv);
} cli_command;

typedef enum cli_opt_type {
    CLI_FLAG,   /* int *: set to 1 */
    CLI_STRING, /* const char **: the next argument */
    CLI_LONG,   /* long *: an integer in [min, max] */
    CLI_REAL,   /* double *: a finite number in [min, max], or > min if max < min */
    CLI_LIST    /* cli_list *: appended, repeatable */
} cli_opt_type;

#define CLI_MAX_LIST 256

/* A repeatable option's values (--set A --set B), in order. */
typedef struct cli_list {
    const char *v[CLI_MAX_LIST];
    size_t n;
} cli_list;

typedef struct cli_option {
    const char *name;  /* "--length" */
    const char *alias; /* "-n", or NULL */
    cli_opt_type type;
    void *dest;
    double min, max; /* CLI_LONG, CLI_REAL */
} cli_option;

/* Parses argv[1..argc) (argv[0] is the command name) against opts
 * (terminated by an entry with name NULL). Positional arguments are
 * collected into pos (at most maxpos). "--name=value" and "--name value"
 * both work; "--" ends the options. "-h" and "--help" print usage to stdout
 * and make the function return -1 (the caller exits 0). Any unknown option,
 * a missing or malformed value, a number out of range or too many
 * positionals prints a message naming the argument and the usage line, and
 * returns CLI_USAGE_ERROR. Returns 0 on success. */
int cli_parse(int argc, char **argv, const cli_option *opts, const char *usage, const char **pos,
              int maxpos, int *npos);

/* Prints "rnnlab: error: MSG" to stderr and returns the exit code for
 * err->code. */
int cli_fail(const rnnlab_err *err);

/* Prints "rnnlab CMD: MSG" and "(see `rnnlab CMD --help`)" to stderr;
 * returns CLI_USAGE_ERROR. printf-style. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The options every command that loads plugins accepts. */
typedef struct cli_plugin_opts {
    const char *plugin_path;
    int allow_unsafe;
} cli_plugin_opts;

/* Applies --allow-unsafe-plugins to the process's registries. */
void cli_apply_plugin_opts(const cli_plugin_opts *o);

#define CLI_OPT_PLUGIN_PATH(o) \
    { "--plugin-path", NULL, CLI_STRING, &(o)->plugin_path, 0, 0 }
#define CLI_OPT_ALLOW_UNSAFE(o) \
    { "--allow-unsafe-plugins", NULL, CLI_FLAG, &(o)->allow_unsafe, 0, 0 }
#define CLI_OPT_SET(list) \
    { "--set", NULL, CLI_LIST, (list), 0, 0 }
#define CLI_OPT_UNSET(list) \
    { "--unset", NULL, CLI_LIST, (list), 0, 0 }
#define CLI_OPT_END \
    { NULL, NULL, CLI_FLAG, NULL, 0, 0 }

/* The help text of the options above, for usage strings. */
#define CLI_HELP_PLUGIN_OPTS                                                                 \
    "  --plugin-path DIRS        search these folders (colon-separated) for plugins first\n" \
    "  --allow-unsafe-plugins    load plugins even from world-writable or foreign-owned paths\n"
#define CLI_HELP_SET                                                                         \
    "  --set SECTION.KEY=VALUE   override a config value (repeatable)\n"                     \
    "  --unset SECTION.KEY       remove a key, so its default applies (repeatable; before\n" \
    "                            the --set options)\n"

/* The session arguments of a command that reads CONFIG with --set and
 * --unset; notes (a switched component's dropped keys) go to stderr. */
void cli_session_args(session_args *a, const char *config, const cli_list *sets,
                      const cli_list *unsets, const cli_plugin_opts *po);

/* The commands, in the order `rnnlab help` lists them (main.c). */
extern const cli_command cli_cmd_train, cli_cmd_gradcheck, cli_cmd_eval, cli_cmd_tag,
    cli_cmd_sample, cli_cmd_sweep, cli_cmd_verify, cli_cmd_config, cli_cmd_plugins, cli_cmd_version;

#endif
