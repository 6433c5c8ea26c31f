/* cli.c -- the rnnlab command: the only place that prints or exits. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "gemm.h"
#include "host.h"
#include "infer.h"
#include "plugin_check.h"
#include "registry.h"
#include "rnnlab_build.h"
#include "session.h"
#include "sweep.h"
#include "train.h"

static const char usage[] =
    "usage: rnnlab COMMAND [ARGS] [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  train CONFIG              train a model; writes runs/<name>/\n"
    "  train --resume RUN_DIR    continue an interrupted run from its last checkpoint\n"
    "  gradcheck CONFIG          check every BPTT gradient against finite differences\n"
    "  eval CKPT --data FILE     loss and accuracy (or perplexity) of a checkpoint on a file\n"
    "  tag CKPT                  tag sentences from stdin, one per line: word/TAG\n"
    "  sample CKPT               generate text from a language-model checkpoint\n"
    "  sweep SWEEP.ini           run an ablation sweep (configs/ablations/); tables and plots\n"
    "  verify RUN_DIR            re-run a finished run and compare parameter/metric hashes\n"
    "  config show CONFIG        print the fully resolved config (all defaults filled in)\n"
    "  plugins                   list the plugins found: kind, name, version, file\n"
    "  plugins describe NAME     print a component's parameters\n"
    "  plugins check FILE.so     check a plugin file against the ABI contract (PASS/FAIL/WARN)\n"
    "  version                   print the version, ABI and matrix-multiply backend\n"
    "\n"
    "options:\n"
    "  --set SECTION.KEY=VALUE   override a config value (repeatable)\n"
    "  --plugin-path DIRS        search these folders (colon-separated) for plugins first\n"
    "  --allow-unsafe-plugins    load plugins even from world-writable or foreign-owned paths\n"
    "  --run-dir DIR             train: write the run into exactly this folder\n"
    "  --quiet                   train: no progress output\n"
    "  --diagnostics             train: record gradient-through-time diagnostics every 10 steps\n"
    "  -j N, --dry-run, --force, --rerun-failed, --out DIR\n"
    "                            sweep: runs at a time, print the plan only, redo finished\n"
    "                            runs, re-run failed runs, output folder\n"
    "  --tol X                   gradcheck: relative error tolerance (default 1e-6)\n"
    "  --data FILE               eval: the file to score (read by the checkpoint's loader)\n"
    "  --format text|conllu      tag: output format (default text: word/TAG)\n"
    "  --prime TEXT --length N --temperature T --top-k K --seed S --argmax\n"
    "                            sample: start text, tokens to add, softmax temperature,\n"
    "                            keep the K likeliest, RNG seed, or always the likeliest\n";

#define MAX_SETS 256

typedef struct cli {
    const char *positional[4];
    int npos;
    const char *sets[MAX_SETS];
    size_t nsets;
    const char *plugin_path;
    const char *resume;
    const char *run_dir;
    int quiet;
    double tol;
    const char *data;
    const char *format;
    const char *prime;
    long length;
    double temperature;
    long top_k;
    unsigned long long seed;
    int argmax;
    long jobs; /* sweep */
    int dry_run, force, rerun_failed;
    const char *out;
} cli;

static int parse_long(const char *opt, const char *text, long min, long *out) {
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || end == text || v < min) {
        fprintf(stderr, "rnnlab: %s needs an integer >= %ld, got '%s'\n", opt, min, text);
        return 64;
    }
    *out = v;
    return 0;
}

static int fail(const rnnlab_err *err) {
    fprintf(stderr, "rnnlab: error: %s\n", err->msg[0] ? err->msg : status_name(err->code));
    return status_exit_code(err->code);
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "rnnlab: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(run `rnnlab help` for usage)\n");
    return 64;
}

static int parse_args(cli *c, int argc, char **argv) {
    memset(c, 0, sizeof *c);
    c->tol = 1e-6;
    c->length = 200;
    c->temperature = 1.0;
    c->format = "text";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_next = i + 1 < argc;
        if (strcmp(a, "--set") == 0 && has_next) {
            if (c->nsets == MAX_SETS) return usage_error("too many --set options (max %s)", "256");
            c->sets[c->nsets++] = argv[++i];
        } else if (strncmp(a, "--set=", 6) == 0) {
            if (c->nsets == MAX_SETS) return usage_error("too many --set options (max %s)", "256");
            c->sets[c->nsets++] = a + 6;
        } else if (strcmp(a, "--plugin-path") == 0 && has_next) {
            c->plugin_path = argv[++i];
        } else if (strcmp(a, "--allow-unsafe-plugins") == 0) {
            registry_allow_unsafe(1);
        } else if (strcmp(a, "--resume") == 0 && has_next) {
            c->resume = argv[++i];
        } else if (strcmp(a, "--run-dir") == 0 && has_next) {
            c->run_dir = argv[++i];
        } else if (strcmp(a, "--tol") == 0 && has_next) {
            char *end;
            c->tol = strtod(argv[++i], &end);
            if (*end || !(c->tol > 0))
                return usage_error("--tol needs a positive number, got '%s'", argv[i]);
        } else if (strcmp(a, "--diagnostics") == 0) {
            /* Same as [diagnostics] every = 10; an explicit --set wins
             * because later overrides replace earlier ones. */
            if (c->nsets == MAX_SETS) return usage_error("too many --set options (max %s)", "256");
            memmove(c->sets + 1, c->sets, c->nsets * sizeof *c->sets);
            c->sets[0] = "diagnostics.every=10";
            c->nsets++;
        } else if (strcmp(a, "--data") == 0 && has_next) {
            c->data = argv[++i];
        } else if (strcmp(a, "--format") == 0 && has_next) {
            c->format = argv[++i];
            if (strcmp(c->format, "text") && strcmp(c->format, "conllu"))
                return usage_error("--format is text or conllu, got '%s'", c->format);
        } else if (strcmp(a, "--prime") == 0 && has_next) {
            c->prime = argv[++i];
        } else if (strcmp(a, "--length") == 0 && has_next) {
            if (parse_long(a, argv[++i], 0, &c->length)) return 64;
        } else if (strcmp(a, "--top-k") == 0 && has_next) {
            if (parse_long(a, argv[++i], 0, &c->top_k)) return 64;
        } else if (strcmp(a, "--seed") == 0 && has_next) {
            long v;
            if (parse_long(a, argv[++i], 0, &v)) return 64;
            c->seed = (unsigned long long)v;
        } else if (strcmp(a, "--temperature") == 0 && has_next) {
            char *end;
            c->temperature = strtod(argv[++i], &end);
            if (*end || !(c->temperature > 0))
                return usage_error("--temperature needs a positive number, got '%s'", argv[i]);
        } else if (strcmp(a, "--argmax") == 0) {
            c->argmax = 1;
        } else if ((strcmp(a, "-j") == 0 || strcmp(a, "--jobs") == 0) && has_next) {
            if (parse_long(a, argv[++i], 1, &c->jobs)) return 64;
        } else if (strcmp(a, "--out") == 0 && has_next) {
            c->out = argv[++i];
        } else if (strcmp(a, "--dry-run") == 0 || strcmp(a, "--force") == 0 ||
                   strcmp(a, "--rerun-failed") == 0) {
            *(a[2] == 'd' ? &c->dry_run : a[2] == 'f' ? &c->force : &c->rerun_failed) = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            c->quiet = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option or missing value: '%s'", a);
        } else {
            if (c->npos == 4) return usage_error("unexpected argument '%s'", a);
            c->positional[c->npos++] = a;
        }
    }
    return 0;
}

static int cmd_version(void) {
    printf("rnnlab %s\nplugin ABI %d.%d\ngemm backend: %s\ngemm small-batch kernel: %s\n"
           "gemm threads: %zu (training uses [train] threads)\n",
           RNNLAB_VERSION, RNNLAB_ABI_MAJOR, RNNLAB_ABI_MINOR, gemm_backend_name(),
           gemm_small_kernel_name(), gemm_threads());
    return 0;
}

static int open_registry(registry **r, rnnlab_host **host, const cli *c, rnnlab_err *err) {
    *host = host_create(err, NULL, RNNLAB_LOG_WARN);
    if (!*host) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int rc = registry_new(r, *host, err);
    if (rc == RNNLAB_OK) rc = registry_load_default(*r, c->plugin_path, NULL, err);
    return rc;
}

static const char *type_name(rnnlab_param_type t) {
    switch (t) {
    case RNNLAB_PARAM_BOOL: return "bool";
    case RNNLAB_PARAM_INT: return "int";
    case RNNLAB_PARAM_REAL: return "real";
    case RNNLAB_PARAM_STRING: return "string";
    case RNNLAB_PARAM_ENUM: return "enum";
    }
    return "?";
}

static void print_params(const rnnlab_param *p) {
    if (!p || !p->key) {
        printf("  (no parameters)\n");
        return;
    }
    for (; p->key; p++) {
        char range[256] = "";
        if (p->type == RNNLAB_PARAM_ENUM && p->choices) {
            size_t n = 0;
            for (const char *const *ch = p->choices; *ch; ch++)
                n += (size_t)snprintf(range + n, n < sizeof range ? sizeof range - n : 0, "%s%s",
                                      ch == p->choices ? "" : "|", *ch);
        } else if ((p->type == RNNLAB_PARAM_INT || p->type == RNNLAB_PARAM_REAL) &&
                   p->min <= p->max) {
            snprintf(range, sizeof range, "[%g, %g]", p->min, p->max);
        }
        printf("  %-18s %-6s default %-10s %-24s %s%s%s\n", p->key, type_name(p->type),
               p->default_value ? p->default_value : "(required)", range,
               (p->flags & RNNLAB_PARAM_LOG_SCALE) ? "[log] " : "",
               (p->flags & RNNLAB_PARAM_PATH) ? "[path] " : "", p->help ? p->help : "");
    }
}

/* Checks each named file in a child process; exit status 0 only if no
 * check failed. Needs no registry: the file is loaded on its own. */
static int cmd_plugins_check(const cli *c) {
    if (c->npos < 3) return usage_error("usage: rnnlab plugins check FILE.so [FILE.so]%s", "");
    int failed = 0;
    for (int i = 2; i < c->npos; i++) {
        rnnlab_err err;
        err_clear(&err);
        plugin_check_summary sum;
        if (plugin_check_file(c->positional[i], stdout, &sum, &err) != RNNLAB_OK) return fail(&err);
        failed += sum.fail;
    }
    return failed ? status_exit_code(RNNLAB_ERR_PLUGIN) : 0;
}

static int cmd_plugins(const cli *c) {
    if (c->npos >= 2 && strcmp(c->positional[1], "check") == 0) return cmd_plugins_check(c);
    rnnlab_err err;
    err_clear(&err);
    registry *r = NULL;
    rnnlab_host *host = NULL;
    int rc = open_registry(&r, &host, c, &err);
    int code = 0;
    if (rc != RNNLAB_OK) {
        code = fail(&err);
    } else if (c->npos == 1 || (c->npos == 2 && strcmp(c->positional[1], "list") == 0)) {
        printf("%-11s %-14s %-8s %s\n", "KIND", "NAME", "VERSION", "FILE");
        for (size_t i = 0; i < registry_count(r); i++) {
            const reg_component *k = registry_at(r, i);
            printf("%-11s %-14s %-8s %s\n", kind_name(k->kind), k->name, k->version, k->file);
        }
    } else if (c->npos == 3 && strcmp(c->positional[1], "describe") == 0) {
        int found = 0;
        for (size_t i = 0; i < registry_count(r); i++) {
            const reg_component *k = registry_at(r, i);
            if (strcmp(k->name, c->positional[2]) != 0) continue;
            found = 1;
            printf("%s %s %s (plugin %s %s)\n  %s\n  file: %s\nparameters:\n", kind_name(k->kind),
                   k->name, k->version, k->plugin, k->plugin_version, k->description, k->file);
            print_params(k->params);
        }
        if (!found) {
            fprintf(stderr, "rnnlab: error: no component named '%s' (see `rnnlab plugins`)\n",
                    c->positional[2]);
            code = status_exit_code(RNNLAB_ERR_INVALID);
        }
    } else {
        code = usage_error("unknown plugins subcommand '%s' (list, describe NAME)",
                           c->npos > 1 ? c->positional[1] : "");
    }
    if (r) registry_close(r);
    host_destroy(host);
    return code;
}

static session_args make_sargs(const cli *c, const char *config_path) {
    session_args a;
    memset(&a, 0, sizeof a);
    a.config_path = config_path;
    a.sets = c->sets;
    a.nsets = c->nsets;
    a.plugin_path = c->plugin_path;
    return a;
}

static int cmd_config(const cli *c) {
    if (c->npos != 3 || strcmp(c->positional[1], "show") != 0)
        return usage_error("usage: rnnlab config show CONFIG [--set section.key=value]%s", "");
    rnnlab_err err;
    err_clear(&err);
    session s;
    session_args a = make_sargs(c, c->positional[2]);
    if (session_open(&s, &a, &err) != RNNLAB_OK) return fail(&err);
    config_write(s.cfg, stdout);
    session_close(&s);
    return 0;
}

static void on_signal(int sig) {
    (void)sig;
    train_request_stop();
    /* A second signal stops at once. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

static int cmd_train(const cli *c) {
    if (!c->resume && c->npos != 2)
        return usage_error("usage: rnnlab train CONFIG [OPTIONS]%s", "");
    if (c->resume && c->npos > 2) return usage_error("unexpected argument '%s'", c->positional[2]);
    rnnlab_err err;
    err_clear(&err);
    session_args a = make_sargs(c, c->npos == 2 ? c->positional[1] : "");
    train_args t;
    memset(&t, 0, sizeof t);
    t.resume_dir = c->resume;
    t.run_dir = c->run_dir;
    t.out = c->quiet ? NULL : stdout;
    t.progress_bar = !c->quiet && isatty(STDOUT_FILENO);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    char *run = NULL;
    int rc = train_run(&a, &t, &run, &err);
    if (rc != RNNLAB_OK) return fail(&err);
    if (!c->quiet) printf("done: %s\n", run);
    free(run);
    return 0;
}

static int cmd_gradcheck(const cli *c) {
    if (c->npos != 2) return usage_error("usage: rnnlab gradcheck CONFIG [--set ...]%s", "");
    rnnlab_err err;
    err_clear(&err);
    session_args a = make_sargs(c, c->positional[1]);
    if (train_gradcheck(&a, c->tol, stdout, &err) != RNNLAB_OK) return fail(&err);
    return 0;
}

static int cmd_eval(const cli *c) {
    if (c->npos != 2 || !c->data) return usage_error("usage: rnnlab eval CKPT --data FILE%s", "");
    rnnlab_err err;
    err_clear(&err);
    if (train_eval(c->positional[1], c->data, c->plugin_path, stdout, &err) != RNNLAB_OK)
        return fail(&err);
    return 0;
}

static int cmd_tag(const cli *c) {
    if (c->npos != 2)
        return usage_error("usage: rnnlab tag CKPT [--format text|conllu] < TEXT%s", "");
    rnnlab_err err;
    err_clear(&err);
    infer inf;
    if (infer_open(&inf, c->positional[1], c->plugin_path, 1024, &err) != RNNLAB_OK)
        return fail(&err);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long no = 0, lineno = 0;
    int code = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0) continue;
        if (infer_tag(&inf, line, strcmp(c->format, "conllu") == 0, ++no, stdout, &err) !=
            RNNLAB_OK) {
            err_prefix(&err, "stdin:%ld: ", lineno);
            code = fail(&err);
            break;
        }
    }
    free(line);
    infer_close(&inf);
    return code;
}

static int cmd_sample(const cli *c) {
    if (c->npos != 2)
        return usage_error("usage: rnnlab sample CKPT [--prime TEXT] [--length N]%s", "");
    rnnlab_err err;
    err_clear(&err);
    infer inf;
    if (infer_open(&inf, c->positional[1], c->plugin_path, 4096, &err) != RNNLAB_OK)
        return fail(&err);
    sample_opts o = {c->prime, c->length, c->temperature, c->top_k, c->seed, c->argmax};
    int code = infer_sample(&inf, &o, stdout, &err) == RNNLAB_OK ? 0 : fail(&err);
    infer_close(&inf);
    return code;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--version") == 0) return cmd_version();
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    cli c;
    int rc = parse_args(&c, argc, argv);
    if (rc != 0) return rc;
    if (c.npos == 0) {
        fputs(usage, stderr);
        return 64;
    }
    const char *cmd = c.positional[0];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0) return cmd_version();
    if (strcmp(cmd, "plugins") == 0) return cmd_plugins(&c);
    if (strcmp(cmd, "config") == 0) return cmd_config(&c);
    if (strcmp(cmd, "train") == 0) return cmd_train(&c);
    if (strcmp(cmd, "gradcheck") == 0) return cmd_gradcheck(&c);
    if (strcmp(cmd, "eval") == 0) return cmd_eval(&c);
    if (strcmp(cmd, "tag") == 0) return cmd_tag(&c);
    if (strcmp(cmd, "sample") == 0) return cmd_sample(&c);
    sweep_cli sc = {c.positional, c.npos,  c.plugin_path,  c.jobs,
                    c.dry_run,    c.force, c.rerun_failed, c.out};
    if (strcmp(cmd, "sweep") == 0) return sweep_command(&sc);
    if (strcmp(cmd, "verify") == 0) return verify_command(&sc);
    return usage_error("unknown command '%s'", cmd);
}
