/* plugins.c -- `rnnlab plugins`: list, describe and check plugins. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/host.h"
#include "core/registry.h"
#include "core/session.h"
#include "core/suggest.h"
#include "lab/plugin_check.h"

static const char usage[] =
    "usage: rnnlab plugins [list]\n"
    "       rnnlab plugins describe NAME\n"
    "       rnnlab plugins check FILE.so [FILE.so]...\n"
    "\n"
    "list      kind, name, version and file of every plugin found on the search path\n"
    "          (--plugin-path, $RNNLAB_PLUGIN_PATH, then the build tree or install dir)\n"
    "describe  a component's parameters: type, default, range, help\n"
    "check     loads each file on its own, in a child process, and checks it against\n"
    "          the ABI contract of its kind: PASS/FAIL/WARN per check (lv2lint-style);\n"
    "          exits non-zero if any check failed\n"
    "\n"
    "options:\n" CLI_HELP_PLUGIN_OPTS "\n"
    "example:\n"
    "  rnnlab plugins describe sgd\n"
    "  rnnlab plugins check build/plugins/tanh.so\n";

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
static int check(const char **files, int n) {
    int failed = 0;
    for (int i = 0; i < n; i++) {
        rnnlab_err err;
        err_clear(&err);
        plugin_check_summary sum;
        if (plugin_check_file(files[i], stdout, &sum, &err) != RNNLAB_OK) return cli_fail(&err);
        failed += sum.fail;
    }
    return failed ? status_exit_code(RNNLAB_ERR_PLUGIN) : 0;
}

static void list(const registry *r) {
    printf("%-11s %-14s %-8s %s\n", "KIND", "NAME", "VERSION", "FILE");
    for (size_t i = 0; i < registry_count(r); i++) {
        const reg_component *k = registry_at(r, i);
        printf("%-11s %-14s %-8s %s\n", kind_name(k->kind), k->name, k->version, k->file);
    }
}

/* Where a config chooses the component and where its keys go, e.g.
 * "[model] activation = leaky_relu; its keys go in [activation]". */
static void print_config_place(const reg_component *k) {
    const session_role *role = session_role_of(k->kind);
    if (!role) return;
    printf("  config: [%s] %s = %s", role->section, role->key, k->name);
    if (k->params && k->params->key) printf("; its keys go in [%s]", role->param_section);
    printf("\n");
}

static int describe(const registry *r, const char *name) {
    int found = 0;
    for (size_t i = 0; i < registry_count(r); i++) {
        const reg_component *k = registry_at(r, i);
        if (strcmp(k->name, name) != 0) continue;
        found = 1;
        printf("%s %s %s (plugin %s %s)\n  %s\n  file: %s\n", kind_name(k->kind), k->name,
               k->version, k->plugin, k->plugin_version, k->description, k->file);
        print_config_place(k);
        printf("parameters:\n");
        print_params(k->params);
    }
    if (found) return 0;
    const char *names[1024];
    size_t n = 0;
    for (size_t i = 0; i < registry_count(r) && n < sizeof names / sizeof names[0]; i++)
        names[n++] = registry_at(r, i)->name;
    const char *near = suggest_closest(name, names, n);
    fprintf(stderr, "rnnlab: error: no component named '%s'", name);
    if (near) fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, " (see `rnnlab plugins`)\n");
    return status_exit_code(RNNLAB_ERR_INVALID);
}

#define MAX_FILES 256

static int run(int argc, char **argv) {
    cli_plugin_opts po = {0};
    const cli_option opts[] = {
        CLI_OPT_PLUGIN_PATH(&po),
        CLI_OPT_ALLOW_UNSAFE(&po),
        CLI_OPT_END,
    };
    const char *pos[MAX_FILES + 1];
    int npos, rc = cli_parse(argc, argv, opts, usage, pos, MAX_FILES + 1, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    const char *sub = npos ? pos[0] : "list";
    static const char *const subs[] = {"list", "describe", "check"};
    if (strcmp(sub, "list") && strcmp(sub, "describe") && strcmp(sub, "check")) {
        const char *near = suggest_closest(sub, subs, 3);
        if (near)
            return cli_usage_error("plugins", "unknown subcommand '%s'; did you mean '%s'?", sub,
                                   near);
        return cli_usage_error("plugins",
                               "unknown subcommand '%s' (expected list, describe or "
                               "check)",
                               sub);
    }
    cli_apply_plugin_opts(&po);
    if (strcmp(sub, "check") == 0) {
        if (npos < 2) return cli_usage_error("plugins", "check needs at least one FILE.so");
        return check(pos + 1, npos - 1);
    }
    if (strcmp(sub, "list") == 0 ? npos > 1 : strcmp(sub, "describe") == 0 ? npos != 2 : 1)
        return cli_usage_error("plugins", "expected `plugins [list]`, `plugins describe NAME` "
                                          "or `plugins check FILE.so...`");
    rnnlab_err err;
    err_clear(&err);
    rnnlab_host *host = host_create(&err, NULL, RNNLAB_LOG_WARN);
    if (!host) {
        err_set(&err, RNNLAB_ERR_NOMEM, "out of memory");
        return cli_fail(&err);
    }
    registry *r = NULL;
    int code = 0;
    rc = registry_new(&r, host, &err);
    if (rc == RNNLAB_OK) rc = registry_load_default(r, po.plugin_path, NULL, &err);
    if (rc != RNNLAB_OK)
        code = cli_fail(&err);
    else if (strcmp(sub, "list") == 0)
        list(r);
    else
        code = describe(r, pos[1]);
    if (r) registry_close(r);
    host_destroy(host);
    return code;
}

const cli_command cli_cmd_plugins = {"plugins", "list, describe and check plugins", usage, run};
