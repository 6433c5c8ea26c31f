/* config.c -- `rnnlab config show`: the fully resolved config. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/session.h"
#include "core/suggest.h"

static const char usage[] =
    "usage: rnnlab config show CONFIG [--set SECTION.KEY=VALUE]... [--unset SECTION.KEY]...\n"
    "\n"
    "Validates CONFIG (every section, key and value, every plugin it names) and\n"
    "prints it fully resolved, every default filled in: what `rnnlab train` would\n"
    "run with.\n"
    "\n"
    "options:\n" CLI_HELP_SET CLI_HELP_PLUGIN_OPTS "\n"
    "example:\n"
    "  rnnlab config show configs/char_lm.ini --set model.hidden_size=256\n";

static int run(int argc, char **argv) {
    cli_list sets = {0}, unsets = {0};
    cli_plugin_opts po = {0};
    const cli_option opts[] = {
        CLI_OPT_SET(&sets),
        CLI_OPT_UNSET(&unsets),
        CLI_OPT_PLUGIN_PATH(&po),
        CLI_OPT_ALLOW_UNSAFE(&po),
        CLI_OPT_END,
    };
    const char *pos[2];
    int npos, rc = cli_parse(argc, argv, opts, usage, pos, 2, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    if (npos >= 1 && strcmp(pos[0], "show") != 0)
        return cli_usage_error("config", "unknown subcommand '%s'%s", pos[0],
                               suggest_distance(pos[0], "show") <= 2 ? "; did you mean 'show'?"
                                                                     : " (expected show)");
    if (npos != 2) return cli_usage_error("config", "expected `config show CONFIG`");
    cli_apply_plugin_opts(&po);
    session_args a;
    cli_session_args(&a, pos[1], &sets, &unsets, &po);
    rnnlab_err err;
    err_clear(&err);
    session s;
    if (session_open(&s, &a, &err) != RNNLAB_OK) return cli_fail(&err);
    config_write(s.cfg, stdout);
    session_close(&s);
    return 0;
}

const cli_command cli_cmd_config = {"config", "print the fully resolved config (config show)",
                                    usage, run};
