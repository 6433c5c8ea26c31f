/* main.c -- the rnnlab command: the table of commands, and dispatch. Each
 * command lives in its own file with its usage text (cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/plugin_guard.h"
#include "core/suggest.h"

static const cli_command *const commands[] = {
    &cli_cmd_train, &cli_cmd_gradcheck, &cli_cmd_eval,   &cli_cmd_tag,     &cli_cmd_sample,
    &cli_cmd_sweep, &cli_cmd_verify,    &cli_cmd_config, &cli_cmd_plugins, &cli_cmd_version,
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static void help(FILE *f) {
    fputs("usage: rnnlab COMMAND [ARGS] [OPTIONS]\n\ncommands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-11s %s\n", commands[i]->name, commands[i]->summary);
    fputs("\n`rnnlab COMMAND --help` (or `rnnlab help COMMAND`) shows a command's options and\n"
          "an example. The manual page is rnnlab(1).\n",
          f);
}

static const cli_command *find(const char *name) {
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0) return commands[i];
    return NULL;
}

/* "unknown command 'trian'; did you mean 'train'?" */
static int unknown_command(const char *who, const char *name) {
    const char *names[NCOMMANDS + 1];
    for (size_t i = 0; i < NCOMMANDS; i++) names[i] = commands[i]->name;
    names[NCOMMANDS] = "help";
    const char *near = suggest_closest(name, names, NCOMMANDS + 1);
    fprintf(stderr, "rnnlab%s%s: unknown command '%s'", who ? " " : "", who ? who : "", name);
    if (near) fprintf(stderr, "; did you mean '%s'?", near);
    fputs("\n(run `rnnlab help` for the list)\n", stderr);
    return CLI_USAGE_ERROR;
}

int main(int argc, char **argv) {
    /* A plugin that calls exit() or crashes is named, and never ends a
     * command with status 0. */
    guard_install();
    if (argc < 2) {
        help(stderr);
        return CLI_USAGE_ERROR;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0) name = "version";
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        if (argc == 2) {
            help(stdout);
            return 0;
        }
        const cli_command *c = find(argv[2]);
        if (!c) return unknown_command("help", argv[2]);
        fputs(c->usage, stdout);
        return 0;
    }
    const cli_command *c = find(name);
    if (!c) return unknown_command(NULL, name);
    return c->run(argc - 1, argv + 1);
}
