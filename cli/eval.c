/* eval.c -- `rnnlab eval`: a checkpoint's loss and accuracy on a file. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "core/train.h"
#include "core/evaluate.h"

static const char usage[] =
    "usage: rnnlab eval CKPT|RUN_DIR --data FILE\n"
    "\n"
    "Scores a checkpoint (or a run folder's best.safetensors, else its last) on FILE,\n"
    "read by the checkpoint's own loader and tokenizer with every file it names pointed\n"
    "at FILE, so the training data is not needed: loss and accuracy, or perplexity\n"
    "and bits per token for a language model.\n"
    "\n"
    "options:\n"
    "  --data FILE               the file to score (required)\n" CLI_HELP_PLUGIN_OPTS "\n"
    "example:\n"
    "  rnnlab eval runs/pos_tagger/best.safetensors --data configs/data/pos/test.conllu\n";

static int run(int argc, char **argv) {
    cli_plugin_opts po = {0};
    const char *data = NULL;
    const cli_option opts[] = {
        {"--data", NULL, CLI_STRING, &data, 0, 0},
        CLI_OPT_PLUGIN_PATH(&po),
        CLI_OPT_ALLOW_UNSAFE(&po),
        CLI_OPT_END,
    };
    const char *pos[1];
    int npos, rc = cli_parse(argc, argv, opts, usage, pos, 1, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    if (npos != 1) return cli_usage_error("eval", "expected one checkpoint file");
    if (!data) return cli_usage_error("eval", "--data FILE is required");
    cli_apply_plugin_opts(&po);
    rnnlab_err err;
    err_clear(&err);
    char *ckpt = NULL;
    int code = train_checkpoint_of(pos[0], &ckpt, &err) == RNNLAB_OK &&
                       evaluate_checkpoint(ckpt, data, po.plugin_path, stdout, &err) == RNNLAB_OK
                   ? 0
                   : cli_fail(&err);
    free(ckpt);
    return code;
}

const cli_command cli_cmd_eval = {
    "eval", "loss and accuracy (or perplexity) of a checkpoint on a file", usage, run};
