/* sample.c -- `rnnlab sample`: generate text from a language model. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

#include "cli.h"
#include "core/train.h"
#include "core/infer.h"

static const char usage[] =
    "usage: rnnlab sample CKPT|RUN_DIR [--prime TEXT] [--length N] [OPTIONS]\n"
    "\n"
    "Generates text from a language-model checkpoint (or a run folder's\n"
    "best.safetensors, else its last): feeds --prime, then draws --length more tokens\n"
    "from the softmax (or takes the likeliest with --argmax). A --prime with text\n"
    "outside the model's vocabulary is an error naming it.\n"
    "\n"
    "options:\n"
    "  --prime TEXT              start text (default: none)\n"
    "  --length N                tokens to add, 0..10000000 (default 200)\n"
    "  --temperature T           softmax temperature, > 0 (default 1)\n"
    "  --top-k K                 draw only from the K likeliest (default 0: all)\n"
    "  --seed S                  random seed (default 0)\n"
    "  --argmax                  always take the likeliest token\n" CLI_HELP_PLUGIN_OPTS "\n"
    "example:\n"
    "  rnnlab sample runs/char_lm --prime \"The river\" --temperature 0.7\n";

static int run(int argc, char **argv) {
    cli_plugin_opts po = {0};
    const char *prime = NULL;
    long length = 200, top_k = 0, seed = 0;
    double temperature = 1.0;
    int argmax = 0;
    const cli_option opts[] = {
        {"--prime", NULL, CLI_STRING, &prime, 0, 0},
        {"--length", NULL, CLI_LONG, &length, 0, 1e7},
        {"--temperature", NULL, CLI_REAL, &temperature, 0, -1},
        {"--top-k", NULL, CLI_LONG, &top_k, 0, (double)INT32_MAX},
        {"--seed", NULL, CLI_LONG, &seed, 0, 9.2e18},
        {"--argmax", NULL, CLI_FLAG, &argmax, 0, 0},
        CLI_OPT_PLUGIN_PATH(&po),
        CLI_OPT_ALLOW_UNSAFE(&po),
        CLI_OPT_END,
    };
    const char *pos[1];
    int npos, rc = cli_parse(argc, argv, opts, usage, pos, 1, &npos);
    if (rc) return rc < 0 ? 0 : rc;
    if (npos != 1) return cli_usage_error("sample", "expected one checkpoint file");
    cli_apply_plugin_opts(&po);
    rnnlab_err err;
    err_clear(&err);
    infer inf;
    char *ckpt = NULL;
    rc = train_checkpoint_of(pos[0], &ckpt, &err);
    if (rc == RNNLAB_OK) rc = infer_open(&inf, ckpt, po.plugin_path, 4096, &err);
    free(ckpt);
    if (rc != RNNLAB_OK) return cli_fail(&err);
    sample_opts o = {prime, length, temperature, top_k, (unsigned long long)seed, argmax};
    int code = infer_sample(&inf, &o, stdout, &err) == RNNLAB_OK ? 0 : cli_fail(&err);
    infer_close(&inf);
    return code;
}

const cli_command cli_cmd_sample = {"sample", "generate text from a language-model checkpoint",
                                    usage, run};
