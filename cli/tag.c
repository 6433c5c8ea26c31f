/* tag.c -- `rnnlab tag`: tag sentences from stdin with a tagger checkpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cli.h"
#include "core/train.h"
#include "core/infer.h"

static const char usage[] =
    "usage: rnnlab tag CKPT|RUN_DIR [--format text|conllu] < TEXT\n"
    "\n"
    "Tags with a checkpoint (or a run folder's best.safetensors, else its last).\n"
    "Reads one sentence per line from stdin (words separated by spaces) and writes\n"
    "each with its tags: word/TAG (text) or CoNLL-U (conllu). Empty lines are skipped.\n"
    "\n"
    "options:\n"
    "  --format text|conllu      output format (default text)\n" CLI_HELP_PLUGIN_OPTS "\n"
    "example:\n"
    "  echo \"They book a flight .\" | rnnlab tag runs/pos_tagger\n";

static int run(int argc, char **argv) {
    cli_plugin_opts po = {0};
    const char *format = "text";
    const cli_option opts[] = {
        {"--format", NULL, CLI_STRING, &format, 0, 0},
        CLI_OPT_PLUGIN_PATH(&po),
        CLI_OPT_ALLOW_UNSAFE(&po),
        CLI_OPT_END,
    };
    const char *pos[1];
    int npos, rc = cli_parse(argc, argv, opts, usage, pos, 1, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    if (npos != 1) return cli_usage_error("tag", "expected one checkpoint file");
    if (strcmp(format, "text") && strcmp(format, "conllu"))
        return cli_usage_error("tag", "--format is text or conllu, got '%s'", format);
    cli_apply_plugin_opts(&po);
    rnnlab_err err;
    err_clear(&err);
    infer inf;
    char *ckpt = NULL;
    rc = train_checkpoint_of(pos[0], &ckpt, &err);
    if (rc == RNNLAB_OK) rc = infer_open(&inf, ckpt, po.plugin_path, 1024, &err);
    free(ckpt);
    if (rc != RNNLAB_OK) return cli_fail(&err);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long no = 0, lineno = 0;
    int code = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0) continue;
        if (infer_tag(&inf, line, strcmp(format, "conllu") == 0, ++no, stdout, &err) != RNNLAB_OK) {
            err_prefix(&err, "stdin:%ld: ", lineno);
            code = cli_fail(&err);
            break;
        }
    }
    free(line);
    infer_close(&inf);
    return code;
}

const cli_command cli_cmd_tag = {"tag", "tag sentences from stdin, one per line: word/TAG", usage,
                                 run};
