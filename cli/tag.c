/* tag.c -- `rnnlab tag`: tag sentences from stdin with a tagger checkpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cli.h"
#include "core/train.h"
#include "core/infer.h"

static const char usage[] =
    "usage: rnnlab tag CKPT|RUN_DIR [--format text|tsv|conllu] [--split ud_english|whitespace]\n"
    "                  < TEXT\n"
    "\n"
    "Tags with a checkpoint (or a run folder's best.safetensors, else its last).\n"
    "Reads one sentence per line from stdin, raw or already tokenised, splits it into\n"
    "words and writes each word with its tag. Empty lines are skipped.\n"
    "\n"
    "options:\n"
    "  --format text|tsv|conllu  text: word/TAG on one line (default); tsv: word TAB\n"
    "                            tag, one word per line, a blank line after each\n"
    "                            sentence (unambiguous for words with '/'); conllu:\n"
    "                            CoNLL-U with the tag as UPOS\n"
    "  --split ud_english|whitespace\n"
    "                            ud_english: split raw English the way UD English-EWT\n"
    "                            does (\"don't\" -> do n't, \"U.S.\" stays, \"...\" one\n"
    "                            word; tokenised text stays as it is) (default);\n"
    "                            whitespace: split on spaces only\n" CLI_HELP_PLUGIN_OPTS "\n"
    "example:\n"
    "  echo \"They booked a flight, didn't they?\" | rnnlab tag runs/pos_tagger\n";

static int run(int argc, char **argv) {
    cli_plugin_opts po = {0};
    const char *format = "text", *split = "ud_english";
    const cli_option opts[] = {
        {"--format", NULL, CLI_STRING, &format, 0, 0},
        {"--split", NULL, CLI_STRING, &split, 0, 0},
        CLI_OPT_PLUGIN_PATH(&po),
        CLI_OPT_ALLOW_UNSAFE(&po),
        CLI_OPT_END,
    };
    const char *pos[1];
    int npos, rc = cli_parse(argc, argv, opts, usage, pos, 1, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    if (npos != 1) return cli_usage_error("tag", "expected one checkpoint file");
    static const char *const formats[] = {"text", "tsv", "conllu"}; /* infer_format's order */
    size_t fmt = 0;
    while (fmt < 3 && strcmp(format, formats[fmt])) fmt++;
    if (fmt == 3)
        return cli_usage_error("tag", "--format is text, tsv or conllu, got '%s'", format);
    rawtext_mode mode;
    if (rawtext_mode_parse(split, &mode))
        return cli_usage_error("tag", "--split is ud_english or whitespace, got '%s'", split);
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
        if (infer_tag(&inf, line, mode, (infer_format)fmt, ++no, stdout, &err) != RNNLAB_OK) {
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
