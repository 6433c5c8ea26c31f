/* cli.c -- see cli.h. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/registry.h"
#include "core/suggest.h"

int cli_fail(const rnnlab_err *err) {
    fprintf(stderr, "rnnlab: error: %s\n", err->msg[0] ? err->msg : status_name(err->code));
    return status_exit_code(err->code);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "rnnlab %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see `rnnlab %s --help`)\n", cmd);
    return CLI_USAGE_ERROR;
}

void cli_session_args(session_args *a, const char *config, const cli_list *sets,
                      const cli_list *unsets, const cli_plugin_opts *po) {
    memset(a, 0, sizeof *a);
    a->config_path = config;
    a->sets = sets->v;
    a->nsets = sets->n;
    a->unsets = unsets->v;
    a->nunsets = unsets->n;
    a->plugin_path = po->plugin_path;
    a->notes = stderr;
}

void cli_apply_plugin_opts(const cli_plugin_opts *o) {
    if (o->allow_unsafe) registry_allow_unsafe(1);
}

static const cli_option *find_option(const cli_option *opts, const char *arg, size_t len) {
    for (const cli_option *o = opts; o->name; o++) {
        if (strlen(o->name) == len && strncmp(o->name, arg, len) == 0) return o;
        if (o->alias && strlen(o->alias) == len && strncmp(o->alias, arg, len) == 0) return o;
    }
    return NULL;
}

/* "unknown option '--reusme'; did you mean '--resume'?" */
static int unknown_option(const char *cmd, const cli_option *opts, const char *arg, size_t len) {
    const char *names[2 * CLI_MAX_LIST + 2];
    size_t n = 0;
    for (const cli_option *o = opts; o->name && n + 2 < sizeof names / sizeof names[0]; o++) {
        names[n++] = o->name;
        if (o->alias) names[n++] = o->alias;
    }
    names[n++] = "--help";
    char word[256];
    snprintf(word, sizeof word, "%.*s", (int)(len < sizeof word ? len : sizeof word - 1), arg);
    const char *near = suggest_closest(word, names, n);
    if (near) return cli_usage_error(cmd, "unknown option '%s'; did you mean '%s'?", word, near);
    return cli_usage_error(cmd, "unknown option '%s'", word);
}

/* Stores text into the option's destination; 0 or CLI_USAGE_ERROR. */
static int store(const char *cmd, const cli_option *o, const char *text) {
    switch (o->type) {
    case CLI_FLAG: *(int *)o->dest = 1; return 0;
    case CLI_STRING: *(const char **)o->dest = text; return 0;
    case CLI_LIST: {
        cli_list *l = o->dest;
        if (l->n == CLI_MAX_LIST)
            return cli_usage_error(cmd, "too many %s options (at most %d)", o->name, CLI_MAX_LIST);
        l->v[l->n++] = text;
        return 0;
    }
    case CLI_LONG: {
        char *end;
        errno = 0;
        long v = strtol(text, &end, 10);
        if (end == text || *end || errno == ERANGE || (double)v < o->min || (double)v > o->max)
            return cli_usage_error(cmd, "%s needs an integer in [%.0f, %.0f], got '%s'", o->name,
                                   o->min, o->max, text);
        *(long *)o->dest = v;
        return 0;
    }
    case CLI_REAL: {
        char *end;
        errno = 0;
        double v = strtod(text, &end);
        int ok = end != text && !*end && errno != ERANGE && isfinite(v);
        if (ok && o->max >= o->min) ok = v >= o->min && v <= o->max;
        if (ok && o->max < o->min) ok = v > o->min;
        if (!ok) {
            if (o->max >= o->min)
                return cli_usage_error(cmd, "%s needs a number in [%g, %g], got '%s'", o->name,
                                       o->min, o->max, text);
            return cli_usage_error(cmd, "%s needs a number > %g, got '%s'", o->name, o->min, text);
        }
        *(double *)o->dest = v;
        return 0;
    }
    }
    return CLI_USAGE_ERROR;
}

int cli_parse(int argc, char **argv, const cli_option *opts, const char *usage, const char **pos,
              int maxpos, int *npos) {
    const char *cmd = argv[0];
    int only_pos = 0;
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            fputs(usage, stdout);
            return -1;
        }
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            if (*npos == maxpos) return cli_usage_error(cmd, "unexpected argument '%s'", a);
            pos[(*npos)++] = a;
            continue;
        }
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        const cli_option *o = find_option(opts, a, eq ? (size_t)(eq - a) : strlen(a));
        if (!o) return unknown_option(cmd, opts, a, eq ? (size_t)(eq - a) : strlen(a));
        if (o->type == CLI_FLAG) {
            if (eq) return cli_usage_error(cmd, "%s takes no value", o->name);
            store(cmd, o, NULL);
            continue;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc) return cli_usage_error(cmd, "%s needs a value", o->name);
            value = argv[++i];
        }
        int rc = store(cmd, o, value);
        if (rc) return rc;
    }
    return 0;
}
